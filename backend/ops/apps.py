from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs) -> None:
    from backend.ops.roles import ensure_roles

    ensure_roles()


class OpsConfig(AppConfig):
    name = "backend.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # After the last app's permissions exist: every migrate completes the two groups.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="lotse-ensure-roles")
