from django.core.management.base import BaseCommand

from backend.ops.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or complete the Editors and Administrators groups (safe to run again)."

    def handle(self, *args, **options):
        editors, administrators = ensure_roles()
        self.stdout.write(
            f"{editors.name}: {editors.permissions.count()} permissions; "
            f"{administrators.name}: {administrators.permissions.count()} permissions. "
            "Give a staff user one of these groups in Authentication → Users."
        )
