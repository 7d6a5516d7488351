from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "backend.documents"
    label = "documents"
    verbose_name = _("Index")

    def ready(self) -> None:
        # Deleting a Document or Source (admin, API, bulk) removes its chunks from the index.
        from backend.documents.cleanup import connect_signals

        connect_signals()
