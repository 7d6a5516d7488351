"""The dashboard's hand-off numbers: how many per day, how long visitors waited, how many
conversations ended up with a person.

Waiting time is measured per kind:

- live chat: from the request (``HandOff.created_at``) to a supporter taking it over
  (``taken_at``); a live hand-off never taken has no waiting time and is counted as
  ``never_taken`` instead;
- ticket: from the request to its first successful delivery in the delivery log
  (:class:`~backend.handoff.models.DeliveryAttempt` with ``ok``). A ticket kept in Lotse only
  (no delivery chosen) or not delivered (yet) has no waiting time; ``undelivered`` counts
  those that went out through a delivery and never arrived.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.chat.models import Message
from backend.handoff.models import DeliveryAttempt, HandOff
from backend.insights.selectors import percentile


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def handoff_stats(first_day: date, today: date) -> dict:
    """The hand-offs requested from ``first_day`` to ``today`` (both included)."""
    since, until = start_of(first_day), start_of(today + timedelta(days=1))
    handoffs = list(
        HandOff.objects.filter(created_at__gte=since, created_at__lt=until).values(
            "id", "kind", "status", "channel", "conversation_id", "created_at", "taken_at"
        )
    )
    delivered = dict(
        DeliveryAttempt.objects.filter(handoff_id__in=[h["id"] for h in handoffs], ok=True)
        .values("handoff_id")
        .annotate(first=Min("at"))
        .values_list("handoff_id", "first")
    )
    days = (today - first_day).days + 1
    per_day = {first_day + timedelta(days=n): Counter() for n in range(days)}
    live_waits: list[float] = []
    ticket_waits: list[float] = []
    never_taken = undelivered = 0
    for handoff in handoffs:
        day = timezone.localtime(handoff["created_at"]).date()
        if day in per_day:
            per_day[day][handoff["kind"]] += 1
        if handoff["kind"] == HandOff.Kind.LIVE:
            if handoff["taken_at"] is None:
                never_taken += 1
            else:
                live_waits.append(seconds(handoff["created_at"], handoff["taken_at"]))
        elif handoff["id"] in delivered:
            ticket_waits.append(seconds(handoff["created_at"], delivered[handoff["id"]]))
        elif handoff["channel"] and handoff["channel"] != "none":
            undelivered += 1
    conversations = (
        Message.objects.filter(role=Message.Role.USER, created_at__gte=since, created_at__lt=until)
        .values("conversation_id")
        .distinct()
        .count()
    )
    handed_off = len({h["conversation_id"] for h in handoffs})
    return {
        "per_day": [
            {"day": day, "tickets": counts[HandOff.Kind.TICKET], "live": counts[HandOff.Kind.LIVE]}
            for day, counts in per_day.items()
        ],
        "tickets": sum(h["kind"] == HandOff.Kind.TICKET for h in handoffs),
        "live": sum(h["kind"] == HandOff.Kind.LIVE for h in handoffs),
        "never_taken": never_taken,
        "undelivered": undelivered,
        "live_wait_p50": percentile(live_waits, 0.5),
        "live_wait_p95": percentile(live_waits, 0.95),
        "ticket_wait_p50": percentile(ticket_waits, 0.5),
        "ticket_wait_p95": percentile(ticket_waits, 0.95),
        "conversations": conversations,
        "conversations_handed_off": handed_off,
        # a hand-off without a question in the period (asked late at night the day before)
        # still counts as handed off; the share never exceeds 100
        "handed_off_pct": round(100 * min(handed_off, conversations) / conversations)
        if conversations
        else None,
    }


def handoff_report(days: int = 30, today: date | None = None) -> dict:
    """The numbers of the last ``days`` ending today, as the API gives them."""
    today = today or timezone.localdate()
    return {"days": days, **handoff_stats(today - timedelta(days=days - 1), today)}


def seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


def duration(value: float | None) -> str:
    """Seconds as editors read them: "45 s", "3 min 20 s", "2 h 5 min"; "-" for none."""
    if value is None:
        return "-"
    whole = round(value)
    if whole < 60:
        return _("%(seconds)d s") % {"seconds": whole}
    if whole < 3600:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": whole // 60, "seconds": whole % 60}
    return _("%(hours)d h %(minutes)d min") % {
        "hours": whole // 3600,
        "minutes": whole % 3600 // 60,
    }
