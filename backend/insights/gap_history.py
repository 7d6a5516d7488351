"""Open and closed content gaps over time: when each gap was opened (its first question in the
period), closed (an entry matching it became usable) and reopened (that entry expired or was
deleted), counted per week.

A gap is closed while a knowledge entry that matches it (``gaps.matching``) exists and is
within its validity: from the later of the entry's creation and its *valid from* until its
*valid until* or its deletion (kept as a ``DeletedEntry``). An entry written before the gap's
first question closes it from that question on. The entries' current wordings decide which
gaps they match; a question asked while its gap is closed changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from backend.insights.gaps import Gap, matching

WEEK = 7


@dataclass(frozen=True)
class Closer:
    """An entry (live or deleted) and the time in which it closes the gaps it matches."""

    entry_id: int | None  # None: deleted
    question: str
    wordings: tuple[str, ...]
    start: datetime
    end: datetime | None

    def active(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def closers() -> list[Closer]:
    from backend.knowledge.models import DeletedEntry, KnowledgeEntry

    found = []
    for entry in KnowledgeEntry.objects.only(
        "pk", "question", "alternative_questions", "created_at", "valid_from", "valid_until"
    ):
        start = max(entry.created_at, entry.valid_from or entry.created_at)
        wordings = (entry.question, *entry.phrasings())
        found.append(Closer(entry.pk, entry.question, wordings, start, entry.valid_until))
    for gone in DeletedEntry.objects.all():
        start = max(gone.created_at, gone.valid_from or gone.created_at)
        end = min(gone.deleted_at, gone.valid_until or gone.deleted_at)
        if start < end:
            found.append(
                Closer(None, gone.question, (gone.question, *gone.phrasings()), start, end)
            )
    return found


def match_closers(gaps: list[Gap], found: list[Closer]) -> list[list[Closer]]:
    keyed = [(index, list(closer.wordings)) for index, closer in enumerate(found)]
    return [[found[i] for i in keys] for keys in matching(gaps, keyed)]


def mark_closed(gaps: list[Gap], matched: list[list[Closer]], now: datetime) -> None:
    """Each gap's entry now: the usable one that closes it, or else one outside its validity
    (the gap is open, and the editor changes that entry rather than writing another)."""
    for gap, candidates in zip(gaps, matched, strict=True):
        live = [c for c in candidates if c.entry_id is not None]
        usable = [c for c in live if c.active(now)]
        if usable:
            gap.entry_id, gap.entry_question = usable[0].entry_id, usable[0].question
        elif live:
            gap.idle_entry_id, gap.idle_entry_question = live[0].entry_id, live[0].question


def events(gap: Gap, candidates: list[Closer], now: datetime) -> list[tuple[datetime, str]]:
    """(when, "opened" | "closed" | "reopened"), in order, up to ``now``."""
    if gap.first_asked is None or gap.first_asked > now:
        return []
    moments = {gap.first_asked}
    for closer in candidates:
        for moment in (closer.start, closer.end):
            if moment is not None and gap.first_asked < moment <= now:
                moments.add(moment)
    found = [(gap.first_asked, "opened")]
    closed = False
    for moment in sorted(moments):
        now_closed = any(closer.active(moment) for closer in candidates)
        if now_closed != closed:
            found.append((moment, "closed" if now_closed else "reopened"))
            closed = now_closed
    return found


def weeks(first_day: date, today: date) -> list[tuple[date, date]]:
    """Periods of seven days ending today, oldest first; the first one starts no earlier than
    ``first_day``."""
    periods = []
    end = today
    while end >= first_day:
        periods.append((max(end - timedelta(days=WEEK - 1), first_day), end))
        end -= timedelta(days=WEEK)
    return periods[::-1]


def per_week(
    gaps: list[Gap], matched: list[list[Closer]], first_day: date, today: date, now: datetime
) -> list[dict]:
    """Per week: gaps opened, closed, reopened, and how many were still open at its end."""
    periods = weeks(first_day, today)
    rows = [
        {"start": start, "end": end, "opened": 0, "closed": 0, "reopened": 0, "open": 0}
        for start, end in periods
    ]
    for gap, candidates in zip(gaps, matched, strict=True):
        for moment, kind in events(gap, candidates, now):
            day = timezone.localtime(moment).date()
            for row in rows:
                if row["start"] <= day <= row["end"]:
                    row[kind] += 1
    still_open = 0
    for row in rows:
        still_open += row["opened"] - row["closed"] + row["reopened"]
        row["open"] = still_open
    return rows
