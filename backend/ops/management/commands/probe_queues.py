"""Prove that every queue has a worker: send a probe main -> crawler -> rag and wait for it."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backend.ops.models import QueueProbe
from workers.dispatch import enqueue_on_commit
from workers.names import ALL_QUEUES, Task


class Command(BaseCommand):
    help = "Send a probe through the main, crawler and rag queues and report which worker ran each hop."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the result as JSON"
        )

    def handle(self, *args, timeout: float, as_json: bool, **options):
        with transaction.atomic():
            probe = QueueProbe.objects.create()
            enqueue_on_commit(Task.PROBE_MAIN, str(probe.id))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe.refresh_from_db()
            if probe.rag_at:
                break
            time.sleep(0.2)
        hops = [
            {
                "queue": queue,
                "worker": getattr(probe, f"{queue}_worker") or None,
                "ms_after_send": _ms(probe.created_at, getattr(probe, f"{queue}_at")),
            }
            for queue in ALL_QUEUES
        ]
        if as_json:
            self.stdout.write(json.dumps({"probe": str(probe.id), "hops": hops}))
        else:
            for hop in hops:
                took = f"{hop['ms_after_send']:.0f} ms" if hop["ms_after_send"] is not None else "-"
                self.stdout.write(f"{hop['queue']:<8} {hop['worker'] or 'NO ANSWER':<40} {took}")
        missing = [hop["queue"] for hop in hops if hop["worker"] is None]
        if missing:
            raise CommandError(
                f"no worker answered on queue '{missing[0]}' within {timeout:g}s: "
                f"start one with `celery -A workers.app worker -Q {missing[0]}`."
            )


def _ms(start, end) -> float | None:
    return (end - start).total_seconds() * 1000 if end else None
