"""Rows that exist for operators: proof that every queue has a worker."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class QueueProbe(models.Model):
    """A message sent main -> crawler -> rag; each hop stamps the worker that ran it.

    ``manage.py probe_queues`` creates one and waits for the rag stamp: all three queues have a
    consuming worker that reaches the database.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    main_at = models.DateTimeField(null=True, blank=True)
    main_worker = models.CharField(max_length=200, blank=True)
    crawler_at = models.DateTimeField(null=True, blank=True)
    crawler_worker = models.CharField(max_length=200, blank=True)
    rag_at = models.DateTimeField(null=True, blank=True)
    rag_worker = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("queue probe")
        verbose_name_plural = _("queue probes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)
