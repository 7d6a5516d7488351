"""One Upload per file an editor uploaded: the version served and indexed, and a replacement
waiting for indexing. Bodies live in the page store (``store_url``), never in the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

INDEX_PREFIX = "upload-"
# The page store's URLs of uploads: a reserved name (.invalid) that no crawl can ever reach.
STORE_PREFIX = "http://uploads.lotse.invalid/"


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for indexing")
        INDEXED = "indexed", _("Indexed")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        ODT = "odt", "OpenDocument (ODT)"
        HTML = "html", "HTML"
        TEXT = "text", _("Text")
        MARKDOWN = "markdown", "Markdown"

    title = models.CharField(_("title"), max_length=500, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    # the version that is served (and, once indexed_hash says so, in the index)
    content_hash = models.CharField(_("content hash"), max_length=64, db_index=True)
    # whose chunks the index holds: "" none; equal to content_hash once indexed
    indexed_hash = models.CharField(max_length=64, blank=True, editable=False)
    # a replacement waiting for its indexing ("" none): it is served and indexed once it
    # indexed; if it cannot be, the version above stays
    pending_hash = models.CharField(max_length=64, blank=True, editable=False)
    pending_name = models.CharField(max_length=255, blank=True, editable=False)
    pending_kind = models.CharField(max_length=20, blank=True, editable=False)
    pending_size = models.PositiveBigIntegerField(default=0, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error = models.TextField(_("error"), blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    # as Document.chunk_slots: the chunk ids the index may hold for this upload
    chunk_slots = models.PositiveIntegerField(default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    last_indexed_at = models.DateTimeField(_("last indexed"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or self.file_name

    @property
    def index_id(self) -> str:
        """The document id of its chunks in the index."""
        return f"{INDEX_PREFIX}{self.pk}"


def store_url(upload_id: int, content_hash: str) -> str:
    """Where one version of an upload is kept in the page store."""
    return f"{STORE_PREFIX}{upload_id}/{content_hash}"
