"""Knowledge entries: a question and its answer, written by an editor, indexed like a page."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.sources.models import Source

# Validity dates outside these years are typing errors (0226, 20026), not plans.
FIRST_YEAR, LAST_YEAR = 2000, 2199


class KnowledgeEntry(models.Model):
    class Language(models.TextChoices):
        GERMAN = "de", _("German")
        ENGLISH = "en", _("English")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for indexing")
        INDEXED = "indexed", _("Indexed")
        FAILED = "failed", _("Failed")

    question = models.CharField(_("question"), max_length=500)
    alternative_questions = models.TextField(
        _("other ways to ask"),
        blank=True,
        help_text=_("One per line: how visitors might phrase the same question."),
    )
    answer = models.TextField(
        _("answer"), help_text=_("Plain text; **bold**, *italic* and lists are shown as such.")
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.GERMAN
    )
    read_more_url = models.URLField(
        _("read more (link)"),
        max_length=2000,
        blank=True,
        help_text=_("A public page the citation links to. Without one it shows the editorial "
                    "team and the entry's date."),
    )  # fmt: skip
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    sources = models.ManyToManyField(
        Source,
        blank=True,
        related_name="knowledge_entries",
        verbose_name=_("sources"),
        help_text=_("Conversations limited to these sources may use it; none selected: all."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
        verbose_name=_("author"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, editable=False
    )
    error = models.TextField(_("error"), blank=True, editable=False)
    # The hash of what is in the index: saving without a change of content indexes nothing.
    indexed_hash = models.CharField(max_length=64, blank=True, editable=False)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0, editable=False)
    # As Document.chunk_slots: the chunk ids the index may hold, so they are deleted by id.
    chunk_slots = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge entries")
        ordering = ["question"]

    def __str__(self) -> str:
        return self.question

    @property
    def index_id(self) -> str:
        """Its document id in the index: never all digits, so nothing takes it for a
        Document (backend.documents.selectors.dead_document_ids, prune_index)."""
        return f"entry-{self.pk}"

    def phrasings(self) -> list[str]:
        return [line.strip() for line in self.alternative_questions.splitlines() if line.strip()]

    def content_hash(self) -> str:
        """What the index holds of the entry; validity and sources are checked at search."""
        material = "\x1f".join(
            [self.question.strip(), *self.phrasings(), "", self.answer.strip(), self.language,
             self.read_more_url.strip()]
        )  # fmt: skip
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def clean(self) -> None:
        errors = {}
        if not self.question.strip():
            errors["question"] = _("Please write the question.")
        if not self.answer.strip():
            errors["answer"] = _("Please write the answer: an entry without one cannot be used.")
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
                errors[name] = _("Please check the year: from %(first)s to %(last)s.") % {
                    "first": FIRST_YEAR,
                    "last": LAST_YEAR,
                }
        if not errors and self.valid_from and self.valid_until:
            if self.valid_until <= self.valid_from:
                errors["valid_until"] = _("The end of the validity must come after its start.")
        if errors:
            raise ValidationError(errors)


class DeletedEntry(models.Model):
    """What the gaps' history keeps of a deleted entry: its wordings and the time it closed
    gaps (from its creation or validity start until its validity end or deletion), so the
    dashboard shows a gap it had closed as reopened in the week of the deletion."""

    question = models.CharField(max_length=500)
    alternative_questions = models.TextField(blank=True)
    created_at = models.DateTimeField()  # the entry's
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(default=timezone.now)

    # the dashboard looks back at most 365 days: older ones close no gap it shows
    KEPT = timedelta(days=366)

    class Meta:
        ordering = ["deleted_at"]

    def __str__(self) -> str:
        return self.question

    def phrasings(self) -> list[str]:
        return [line.strip() for line in self.alternative_questions.splitlines() if line.strip()]
