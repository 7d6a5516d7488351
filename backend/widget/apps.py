from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WidgetConfig(AppConfig):
    """The chat widget: its script, the demo page and the admin page with the script tag."""

    name = "backend.widget"
    label = "widget"
    verbose_name = _("Chat widget")
