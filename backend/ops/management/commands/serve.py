"""Serve Lotse over ASGI (uvicorn). In the embedded default, the in-process worker runs here too."""

from __future__ import annotations

import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backend.ops.embedded import acquire_embedded_stores
from backend.ops.stores import describe_mode
from backend.wiring import dense_config


class Command(BaseCommand):
    help = "Serve the web app (API, admin, widget) with uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    def handle(self, *args, host: str, port: int, workers: int, **options):
        import uvicorn

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `manage.py migrate`.")
        connection.close()

        embedded_vectors = not settings.QDRANT_URL
        if embedded_vectors:
            if workers != 1:
                raise CommandError(
                    "The embedded vector store allows one process: use --workers 1, or set "
                    "QDRANT_URL (a Qdrant server) for more (docs/scaling.md)."
                )
            acquire_embedded_stores()
        if settings.TASKS_EMBEDDED:
            from workers.inprocess import get_worker

            get_worker().start()
            if embedded_vectors:  # the lock proves the runs left running have no owner
                from backend.ops.recovery import recover_after_restart

                recover_after_restart()
            get_worker().start_beat()  # crawl schedules, the crawl watchdog, maintenance
        if workers == 1:
            from backend.chat.services import warm_up

            threading.Thread(target=warm_up, name="chat-warm-up", daemon=True).start()
        self._banner(host, port)
        uvicorn.run(
            "backend.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.LOG_LEVEL.lower(),
            # X-Forwarded-For/-Proto count only from the configured proxies (docs/operators.md)
            proxy_headers=True,
            forwarded_allow_ips=",".join(settings.FORWARDED_ALLOW_IPS),
            lifespan="off",
        )

    def _banner(self, host: str, port: int) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        base = f"http://{shown}:{port}"
        out = self.stdout
        out.write(self.style.SUCCESS("Lotse is starting."))
        for part, adapter in describe_mode().items():
            out.write(f"  {part:<11} {adapter}")
        if not settings.OPENAI_API_KEY:
            out.write(
                "  No language model: the chat quotes the pages. Set OPENAI_API_KEY (and "
                "OPENAI_BASE_URL for another endpoint) to answer in its own words."
            )
        if not dense_config().model:
            out.write(
                "  No embedding model: search matches keywords. Set EMBEDDING_PROVIDER, "
                "EMBEDDING_MODEL and EMBEDDING_DIM to search by meaning (docs/operators.md)."
            )
        out.write(f"  Admin:      {base}/admin/")
        out.write(f"  Demo:       {base}/demo/  (the chat widget as a customer embeds it)")
        out.write(f"  Readiness:  {base}/readyz")
        if not get_user_model().objects.filter(is_superuser=True).exists():
            out.write(
                self.style.WARNING(
                    "  No admin user yet. Create one (in another terminal): "
                    ".venv/bin/python manage.py createsuperuser"
                )
            )
        connection.close()
