from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UploadsConfig(AppConfig):
    name = "backend.uploads"
    label = "uploads"
    verbose_name = _("Uploads")

    def ready(self) -> None:
        # Deleting an upload (admin, API, bulk) removes its chunks from the index.
        from backend.uploads.services import connect_signals

        connect_signals()
