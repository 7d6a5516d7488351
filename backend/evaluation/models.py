"""Editors' test questions, and what each evaluation run made of them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.sources.models import CrawlRun, Source, lines, validate_url_lines


class TestQuestion(models.Model):
    """A question with the page that should answer it, or one the site cannot answer."""

    __test__ = False  # not a pytest test class, despite its name

    class Language(models.TextChoices):
        GERMAN = "de", _("German")
        ENGLISH = "en", _("English")

    question = models.TextField(_("question"))
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.GERMAN
    )
    cannot_answer = models.BooleanField(
        _("the site cannot answer this"),
        default=False,
        help_text=_("The right result is “I don't know”: no passage may count as relevant."),
    )
    expected_url = models.URLField(
        _("expected page"),
        max_length=2000,
        blank=True,
        help_text=_("The URL of the page or PDF that answers the question."),
    )
    expected_page = models.PositiveIntegerField(
        _("PDF page"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For a PDF: the page that answers it (empty: any page of the PDF)."),
    )
    alternative_urls = models.TextField(
        _("alternative pages"),
        blank=True,
        validators=[validate_url_lines],
        help_text=_("One URL per line: other pages that answer it just as well."),
    )
    expected_passage = models.TextField(
        _("expected passage"),
        blank=True,
        help_text=_(
            "Optional: a piece of text the answering passage contains, e.g. “120 Euro” "
            "(case and spacing do not matter)."
        ),
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="test_questions",
        verbose_name=_("only in source"),
        help_text=_("Empty: searched in all sources, as the chat does by default."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active questions are evaluated.")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("test question")
        verbose_name_plural = _("test questions")
        ordering = ["id"]

    def __str__(self) -> str:
        text = " ".join(self.question.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @property
    def alternative_url_list(self) -> list[str]:
        return lines(self.alternative_urls)

    @property
    def expected_urls(self) -> list[str]:
        return [url for url in [self.expected_url.strip(), *self.alternative_url_list] if url]

    def clean(self) -> None:
        self.question = " ".join((self.question or "").split())
        errors: dict[str, str] = {}
        limit = settings.CHAT_MAX_MESSAGE_CHARS
        if not self.question:
            errors["question"] = _("Please type the question.")
        elif len(self.question) > limit:
            errors["question"] = _(
                "The question is longer than the chat accepts (at most %(limit)s characters)."
            ) % {"limit": limit}
        if self.cannot_answer:
            if self.expected_url or self.alternative_urls.strip() or self.expected_page:
                errors["expected_url"] = _(
                    "A question the site cannot answer has no expected page: remove it, or "
                    "untick “the site cannot answer this”."
                )
            elif self.expected_passage.strip():
                errors["expected_passage"] = _(
                    "A question the site cannot answer has no expected passage."
                )
        elif not self.expected_url:
            errors["expected_url"] = _(
                "Give the page that should answer the question, or tick “the site cannot "
                "answer this”."
            )
        if errors:
            raise ValidationError(errors)


class EvaluationRun(models.Model):
    """One run of test questions against the live index: its figures and what was searched."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("Admin")
        COMMAND = "command", _("Command line")
        AFTER_CRAWL = "after_crawl", _("After a crawl")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.ADMIN
    )
    # the editor's user name, "manage.py (login)", or the crawl run it followed
    started_by = models.CharField(_("started by whom"), max_length=150, blank=True)
    # "" = the editors' test questions; otherwise the name of the file the questions came from.
    # Runs are compared only with earlier runs of the same set.
    question_set = models.CharField(_("questions"), max_length=200, blank=True)
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only in source"),
    )
    crawl_run = models.ForeignKey(
        CrawlRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("after crawl"),
    )
    total = models.PositiveIntegerField(_("questions"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    # rag.evaluation.Summary.to_dict(): recall@k, abstention, ...
    summary = models.JSONField(_("figures"), default=dict, blank=True)
    # what was searched: retrieval mode, dense model, collection and its size, relevance settings
    searched = models.JSONField(_("what was searched"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["question_set", "status", "created_at"])]

    def __str__(self) -> str:
        return _("Evaluation #%(id)s") % {"id": self.pk}

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class EvaluationResult(models.Model):
    """One question of a run. A copy of the question as it was, so history stays readable
    after an editor changes or deletes it."""

    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="results", verbose_name=_("run")
    )
    test_question = models.ForeignKey(
        TestQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
        verbose_name=_("test question"),
    )
    position = models.PositiveIntegerField(_("position"))
    question = models.TextField(_("question"))
    language = models.CharField(_("language"), max_length=5, blank=True)
    cannot_answer = models.BooleanField(_("the site cannot answer this"), default=False)
    expected_urls = models.JSONField(_("expected pages"), default=list, blank=True)
    expected_page = models.PositiveIntegerField(_("PDF page"), null=True, blank=True)
    expected_passage = models.TextField(_("expected passage"), blank=True)
    source_id_searched = models.PositiveIntegerField(_("searched source"), null=True, blank=True)
    # 1-based ranks among the retrieved passages; None: not among them
    page_rank = models.PositiveIntegerField(_("rank of the page"), null=True, blank=True)
    passage_rank = models.PositiveIntegerField(_("rank of the passage"), null=True, blank=True)
    abstained = models.BooleanField(_("answered “I don't know”"), default=False)
    # False: none of the expected pages is in the index at all (a crawl problem, not a miss)
    expected_indexed = models.BooleanField(_("expected page indexed"), default=True)
    # when not indexed, what Lotse knows of the page: "never_crawled" or its document's status
    # ("failed", "pending", "gone"), and the reason indexing failed
    index_status = models.CharField(_("index status"), max_length=20, blank=True)
    index_error = models.CharField(_("indexing error"), max_length=300, blank=True)
    hits = models.PositiveIntegerField(_("passages found"), default=0)
    # the best few passages: url, title, page, score, relevant
    top_hits = models.JSONField(_("best passages"), default=list, blank=True)
    # the chat would refuse the question: its error code (e.g. "message_too_long")
    refusal = models.CharField(_("refused by the chat"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="evaluation_result_position")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.position}: {self.question[:60]}"
