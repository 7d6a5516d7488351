from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoffConfig(AppConfig):
    """A visitor asks for a person: the hand-off, its ticket delivery and opening hours."""

    name = "backend.handoff"
    label = "handoff"
    verbose_name = _("Hand-off to a person")
