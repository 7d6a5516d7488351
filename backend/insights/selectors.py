"""What the dashboard shows, computed from the stored messages and feedback."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from backend.chat.models import Feedback, Message
from backend.insights import gap_history
from backend.insights.gaps import group_questions

# bounds the work of one dashboard view on a busy site
MAX_MESSAGES = 20_000
GAPS_SHOWN = 15


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def period(days: int, today: date | None = None) -> tuple[date, date, list[dict]]:
    """The first and last day of the ``days`` ending today, and the answers given in them
    (newest first, at most MAX_MESSAGES). The offer of a person (``backend.handoff.offer``) is
    stored as an assistant message with no outcome: it answers no question, so it is left out
    (neither a question nor a content gap)."""
    today = today or timezone.localdate()
    first_day = today - timedelta(days=days - 1)
    since = timezone.make_aware(timezone.datetime.combine(first_day, timezone.datetime.min.time()))
    answers = list(
        Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since)
        .exclude(outcome="")
        .order_by("-created_at")
        .values(
            "id", "conversation_id", "conversation__language", "outcome", "timings", "sources",
            "created_at", "retrieved",
        )[:MAX_MESSAGES]
    )  # fmt: skip
    return first_day, today, answers


def gaps_report(days: int = 30, *, shown: int = GAPS_SHOWN) -> dict:
    """Only the content gaps of the dashboard (the API's /gaps/), with up to ``shown``."""
    first_day, today, answers = period(days)
    return {"days": days, **content_gaps(answers, first_day, today, shown=shown)}


def dashboard(days: int = 30, today: date | None = None) -> dict:
    from backend.insights.handoffs import handoff_stats

    first_day, today, answers = period(days, today)
    since = timezone.make_aware(timezone.datetime.combine(first_day, timezone.datetime.min.time()))
    per_day = {first_day + timedelta(days=n): Counter() for n in range(days)}
    totals: Counter[str] = Counter()
    total_ms, first_token_ms = [], []
    cited: Counter[tuple[str, str]] = Counter()
    for answer in answers:
        # grouped in Python, in the server's time zone: MySQL without time zone tables cannot
        day = timezone.localtime(answer["created_at"]).date()
        if day in per_day:
            per_day[day][answer["outcome"]] += 1
        totals[answer["outcome"]] += 1
        timings = answer["timings"] or {}
        if isinstance(timings.get("total_ms"), int | float):
            total_ms.append(float(timings["total_ms"]))
        if isinstance(timings.get("first_token_ms"), int | float):
            first_token_ms.append(float(timings["first_token_ms"]))
        for source in answer["sources"] or []:
            if isinstance(source, dict) and source.get("url"):
                cited[(source["url"], source.get("title") or source["url"])] += 1
    ratings = Feedback.objects.filter(created_at__gte=since).aggregate(
        up=Count("id", filter=Q(rating=Feedback.Rating.UP)),
        down=Count("id", filter=Q(rating=Feedback.Rating.DOWN)),
    )
    rated = ratings["up"] + ratings["down"]
    return {
        "days": days,
        "per_day": [
            {
                "day": day,
                "answered": counts[Message.Outcome.ANSWERED]
                + counts[Message.Outcome.ANSWERED_FALLBACK],
                "unanswered": counts[Message.Outcome.UNANSWERED],
                "other": counts[Message.Outcome.ERROR] + counts[Message.Outcome.INTERRUPTED],
            }
            for day, counts in per_day.items()
        ],
        "questions": sum(totals.values()),
        # answers quoted from the pages because the language model failed count as answered
        # too; ``answered_fallback`` says how many of them there were
        "answered": totals[Message.Outcome.ANSWERED] + totals[Message.Outcome.ANSWERED_FALLBACK],
        "answered_fallback": totals[Message.Outcome.ANSWERED_FALLBACK],
        "unanswered": totals[Message.Outcome.UNANSWERED],
        "errors": totals[Message.Outcome.ERROR] + totals[Message.Outcome.INTERRUPTED],
        "feedback_up": ratings["up"],
        "feedback_down": ratings["down"],
        "feedback_positive_pct": round(100 * ratings["up"] / rated) if rated else None,
        "latency": {
            "total_p50": percentile(total_ms, 0.5),
            "total_p95": percentile(total_ms, 0.95),
            "first_token_p50": percentile(first_token_ms, 0.5),
            "first_token_p95": percentile(first_token_ms, 0.95),
        },
        "most_cited": [
            {"url": url, "title": title, "count": count}
            for (url, title), count in cited.most_common(10)
        ],
        "handoffs": handoff_stats(first_day, today),
        **content_gaps(answers, first_day, today),
    }


# An answer whose best passage was this little above the relevance threshold was a guess.
LOW_CONFIDENCE_MARGIN = 0.1


def low_confidence(answer: dict, threshold: float) -> bool:
    """Answered, but only just: no passage it could use stood clearly above the threshold."""
    if answer["outcome"] not in (Message.Outcome.ANSWERED, Message.Outcome.ANSWERED_FALLBACK):
        return False
    used = [
        r.get("confidence")
        for r in answer.get("retrieved") or []
        if isinstance(r, dict)
        and r.get("relevant")
        and isinstance(r.get("confidence"), float | int)
    ]
    return bool(used) and max(used) < threshold + LOW_CONFIDENCE_MARGIN


def content_gaps(
    answers: list[dict], first_day: date, today: date, *, shown: int = GAPS_SHOWN
) -> dict:
    """The gaps (not answered, thumbs-down, low confidence), which entries closed them, and
    the gaps opened, closed and still open per week (``gap_history``)."""
    from backend.knowledge.selectors import entry_form_url
    from backend.wiring import answer_config

    threshold = answer_config().min_confidence
    thumbs_down = {
        message_id: (feedback_id, comment)
        for message_id, feedback_id, comment in Feedback.objects.filter(
            message_id__in=[a["id"] for a in answers], rating=Feedback.Rating.DOWN
        ).values_list("message_id", "id", "comment")
    }
    down = {message_id: comment for message_id, (_, comment) in thumbs_down.items()}
    weak = [
        a
        for a in answers
        if a["outcome"] == Message.Outcome.UNANSWERED
        or a["id"] in down
        or low_confidence(a, threshold)
    ]
    asked = visitor_questions(weak)
    comments: dict[str, list[str]] = {}
    asked_at: dict[str, object] = {}
    language: dict[str, str] = {}  # per wording: the conversation's
    feedback: dict[str, int] = {}  # per wording: a thumbs-down's id
    for answer in weak:
        question = asked.get(answer["id"])
        if question is None:
            continue
        if down.get(answer["id"], "").strip():
            comments.setdefault(question, []).append(down[answer["id"]].strip())
        if question not in asked_at or answer["created_at"] < asked_at[question]:
            asked_at[question] = answer["created_at"]
        said = " ".join(question.split())
        language.setdefault(said, answer.get("conversation__language", ""))
        if answer["id"] in thumbs_down:
            feedback.setdefault(said, thumbs_down[answer["id"]][0])
    # all of them for the history; the table shows the most asked
    gaps = group_questions(list(asked.values()), limit=None, comments=comments, asked_at=asked_at)
    now = timezone.now()
    matched = gap_history.match_closers(gaps, gap_history.closers())
    gap_history.mark_closed(gaps, matched, now)
    for gap in gaps[:shown]:
        # the add form in the gap's language, with its thumbs-down and comment if it had one
        down = next((feedback[text] for text in gap.examples if text in feedback), None)
        gap.write_url = entry_form_url(gap.question, language.get(gap.question, ""), down)
    return {
        "gaps": gaps[:shown],
        "gaps_open": sum(not gap.closed for gap in gaps),
        "gaps_closed": sum(gap.closed for gap in gaps),
        "gaps_per_week": gap_history.per_week(gaps, matched, first_day, today, now),
    }


def visitor_questions(answers: list[dict]) -> dict[int, str]:
    """The visitor's words for each answer (by its id): the user message right before it."""
    if not answers:
        return {}
    conversation_ids = {a["conversation_id"] for a in answers}
    questions: dict = {}
    for message in (
        Message.objects.filter(conversation_id__in=conversation_ids, role=Message.Role.USER)
        .order_by("id")
        .values("id", "conversation_id", "text")
    ):
        questions.setdefault(message["conversation_id"], []).append(message)
    texts = {}
    for answer in answers:
        before = [m for m in questions.get(answer["conversation_id"], []) if m["id"] < answer["id"]]
        if before:
            texts[answer["id"]] = before[-1]["text"]
    return texts
