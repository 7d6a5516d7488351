from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "backend.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        # Saving an entry indexes it (when its content changed), deleting it unindexes it.
        from backend.knowledge.services import connect_signals

        connect_signals()
