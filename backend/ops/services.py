"""Use cases for operators."""

from __future__ import annotations

import logging
import uuid

from django.utils import timezone

from backend.ops.models import QueueProbe

logger = logging.getLogger(__name__)


def stamp_probe(probe_id: str | uuid.UUID, queue: str, worker: str) -> bool:
    """Record that ``worker`` ran the probe's hop on ``queue``.

    One conditional update: a second run of the same hop finds the stamp set and changes
    nothing (returns False). A probe that no longer exists is logged and ignored.
    """
    updated = QueueProbe.objects.filter(id=probe_id, **{f"{queue}_at__isnull": True}).update(
        **{f"{queue}_at": timezone.now(), f"{queue}_worker": worker[:200]}
    )
    if not updated and not QueueProbe.objects.filter(id=probe_id).exists():
        logger.warning("queue probe %s is gone; nothing to stamp", probe_id)
    return bool(updated)
