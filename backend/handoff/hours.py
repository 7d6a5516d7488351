"""When people answer: the opening hours and holidays editors keep in the admin.

Times are wall-clock times in ``TIME_ZONE`` (Europe/Berlin by default), so summer time needs
no change. A holiday closes its whole day.

Live chat needs a supporter online as well as opening hours: a supporter whose inbox sent a
heartbeat within ``HANDOFF_ONLINE_S`` seconds (:mod:`backend.handoff.live`). Otherwise the
widget offers the contact form.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from backend.handoff.models import Holiday, OpeningHours


def is_open(at: datetime | None = None) -> bool:
    """Whether ``at`` (default: now) lies within the opening hours and is no holiday."""
    local = timezone.localtime(at or timezone.now())
    if Holiday.objects.filter(date=local.date()).exists():
        return False
    now = local.time().replace(tzinfo=None)
    return OpeningHours.objects.filter(
        weekday=local.weekday(), opens__lte=now, closes__gt=now
    ).exists()


def supporter_available(at: datetime | None = None) -> bool:
    """A supporter online within opening hours: then the widget offers live chat."""
    from backend.handoff.live import supporters_online  # live needs this module too

    return is_open(at) and supporters_online() > 0
