"""One Document per crawled URL: what indexing made of it."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.sources.models import Source


def url_key(url: str) -> str:
    """A fixed-length key for a URL: MySQL cannot put a unique index on a 2,000-char column."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class Document(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for indexing")
        INDEXED = "indexed", _("Indexed")
        FAILED = "failed", _("Failed")
        GONE = "gone", _("Gone")

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="documents", verbose_name=_("source")
    )
    url = models.URLField(_("URL"), max_length=2000)
    url_hash = models.CharField(max_length=64, editable=False)
    title = models.CharField(_("title"), max_length=500, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error = models.TextField(_("error"), blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    # How many chunk slots (point ids uuid5(document, 0..n-1)) the index may hold for this
    # document: raised before chunks are written, lowered once leftovers are deleted. Stale
    # chunks are deleted by these ids, never by a search through the whole collection.
    chunk_slots = models.PositiveIntegerField(default=0, editable=False)
    last_indexed_at = models.DateTimeField(_("last indexed"), null=True, blank=True)
    # Complete crawls in a row that did not reach the page; gone at CRAWLER_GONE_AFTER_MISSED_CRAWLS.
    missed_crawls = models.PositiveSmallIntegerField(
        _("complete crawls without it"), default=0, editable=False
    )
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["url"]
        constraints = [
            models.UniqueConstraint(fields=["source", "url_hash"], name="document_unique_url")
        ]

    def __str__(self) -> str:
        return self.title or self.url

    def save(self, *args, **kwargs):
        self.url_hash = url_key(self.url)
        super().save(*args, **kwargs)
