"""What visitors asked, what Lotse answered from which sources, and what visitors thought."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.sources.models import Source


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Only a salted hash of the visitor's IP address is kept, never the address itself.
    client_hash = models.CharField(_("anonymised client"), max_length=64, blank=True)
    origin = models.CharField(_("embedding site"), max_length=300, blank=True)
    sources = models.ManyToManyField(
        Source, blank=True, verbose_name=_("searched sources"), related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", _("Visitor")
        ASSISTANT = "assistant", _("Lotse")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        # the language model failed before its first word: the passages were quoted instead
        ANSWERED_FALLBACK = "answered_fallback", _("Answered without the language model")
        UNANSWERED = "unanswered", _("Not answered by the site")
        INTERRUPTED = "interrupted", _("Interrupted")
        ERROR = "error", _("Error")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    text = models.TextField(_("text"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True, db_index=True
    )
    # [{"n": 1, "url": ..., "title": ..., "page": ..., "score": ...}, ...]
    sources = models.JSONField(_("sources"), default=list, blank=True)
    # {"retrieval_ms": ..., "first_token_ms": ..., "total_ms": ...}
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    # assistant messages: the standalone query searched (a follow-up rewritten), every
    # passage retrieved with its score (why an answer was or was not given), the model used
    # and, for outcome "error", the error code
    query = models.TextField(_("search query"), blank=True)
    retrieved = models.JSONField(_("retrieved passages"), default=list, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=50, blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Feedback(models.Model):
    """A visitor's vote on one answer: at most one per answer, a second vote replaces it."""

    class Rating(models.IntegerChoices):
        UP = 1, _("Helpful")
        DOWN = -1, _("Not helpful")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    rating = models.SmallIntegerField(_("rating"), choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("given"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["message"], name="chat_one_feedback_per_message")
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()}: {self.comment[:60]}"


class ChatTexts(models.Model):
    """What editors may change without a deploy, per language. Empty fields use the defaults."""

    class Language(models.TextChoices):
        GERMAN = "de", _("German")
        ENGLISH = "en", _("English")

    language = models.CharField(_("language"), max_length=2, choices=Language.choices, unique=True)
    greeting = models.TextField(
        _("greeting"), blank=True, help_text=_("Shown when the chat opens. Empty: the default.")
    )
    suggested_questions = models.TextField(
        _("suggested questions"),
        blank=True,
        help_text=_("One per line; shown as buttons on the start screen."),
    )
    dont_know = models.TextField(
        _('"I don\'t know" answer'),
        blank=True,
        help_text=_(
            "The answer when the website has nothing on a question (the contact hint is "
            "added). Empty: the default."
        ),
    )
    system_prompt = models.TextField(
        _("system prompt"),
        blank=True,
        help_text=_(
            "The rules for the language model. Empty: the default, which answers only from the "
            "numbered sources and cites them. Keep those rules if you change it."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("chat texts")
        verbose_name_plural = _("chat texts")
        ordering = ["language"]

    def __str__(self) -> str:
        return self.get_language_display()

    @property
    def suggested_question_list(self) -> list[str]:
        return [line.strip() for line in self.suggested_questions.splitlines() if line.strip()]
