"""Prometheus metrics at ``/metrics``, for staff users or ``Authorization: Bearer METRICS_TOKEN``.

Two kinds:

* measured in the web process as it serves: request latency (the middleware below) and LLM
  calls (``observe_llm_call``, for the chat code to call);
* read at scrape time: messages waiting per queue (from the broker) and crawl runs, pages and
  documents (from the database). Workers write their progress into those rows, so the web
  process can report it without scraping every worker.

With several uvicorn processes, ``PROMETHEUS_MULTIPROC_DIR`` (set for the backend service in
docker-compose.yml) lets prometheus_client add up what every process measured.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # prometheus_client writes one file per process here and fails if the folder is missing.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

# Measured metrics live in their own registry, so tests and scrapes never see the library's
# default process collectors twice.
MEASURED = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "lotse_http_request_duration_seconds",
    "Time from request to response headers (a chat stream: until it starts).",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=MEASURED,
)
LLM_LATENCY = Histogram(
    "lotse_llm_request_duration_seconds",
    "Time of one call to the language model.",
    ["model"],
    buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
    registry=MEASURED,
)
LLM_TOKENS = Counter(
    "lotse_llm_tokens",
    "Tokens sent to (prompt) and received from (completion) the language model.",
    ["model", "kind"],
    registry=MEASURED,
)


def observe_llm_call(
    model: str, seconds: float, prompt_tokens: int = 0, completion_tokens: int = 0
) -> None:
    """The hook for the chat code: call once per language-model request."""
    LLM_LATENCY.labels(model=model).observe(seconds)
    if prompt_tokens:
        LLM_TOKENS.labels(model=model, kind="prompt").inc(prompt_tokens)
    if completion_tokens:
        LLM_TOKENS.labels(model=model, kind="completion").inc(completion_tokens)


def _route(request) -> str:
    # The URL pattern, not the path: one series per view, whatever ids are in the URL.
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


def _observe_request(request, response, seconds: float) -> None:
    REQUEST_LATENCY.labels(
        method=request.method, route=_route(request), status=str(response.status_code)
    ).observe(seconds)


class RequestMetricsMiddleware:
    """Times every request. Sync and async, so an async view (the chat stream) stays async."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _observe_request(request, response, time.perf_counter() - started)
        return response

    async def _acall(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        _observe_request(request, response, time.perf_counter() - started)
        return response


def queue_depths() -> dict[str, int]:
    """Messages waiting in each Lotse queue, asked from the broker; {} without one."""
    if settings.TASKS_EMBEDDED:
        return {}
    from kombu import Connection
    from kombu.exceptions import ChannelError

    # Queue names are constants of the worker side; backend reads them, never task code.
    from workers.names import ALL_QUEUES

    timeout = settings.HEALTH_CHECK_TIMEOUT
    depths = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        for name in ALL_QUEUES:
            # A passive declare counts without creating; the broker closes the channel when
            # the queue does not exist yet, so every queue gets its own.
            channel = conn.channel()
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:
                depths[name] = 0
            finally:
                try:
                    channel.close()
                except Exception:  # the broker may have closed it already
                    pass
    return depths


class StateCollector(Collector):
    """Gauges read at scrape time: queue depth from the broker, crawl and index state."""

    def describe(self):
        return []  # nothing to check at registration; everything is read in collect()

    def collect(self):
        yield from self._queue_metrics()
        yield from self._database_metrics()

    def _queue_metrics(self):
        up = GaugeMetricFamily(
            "lotse_broker_up", "1 when the task broker answered this scrape, else 0."
        )
        depth = GaugeMetricFamily(
            "lotse_queue_messages", "Messages waiting in a task queue.", labels=["queue"]
        )
        try:
            for name, count in queue_depths().items():
                depth.add_metric([name], count)
            up.add_metric([], 1)
        except Exception as exc:  # a scrape reports the broker as down rather than failing
            logger.warning("metrics: cannot read queue depths: %s", exc)
            up.add_metric([], 0)
        yield up
        yield depth

    def _database_metrics(self):
        from backend.documents.models import Document
        from backend.sources.models import CrawlRun

        runs = GaugeMetricFamily("lotse_crawl_runs", "Crawl runs by status.", labels=["status"])
        for row in CrawlRun.objects.values("status").annotate(n=Count("id")).order_by():
            runs.add_metric([row["status"]], row["n"])
        yield runs

        pages = GaugeMetricFamily(
            "lotse_crawl_pages",
            "Pages counted by all crawl runs in the database, by outcome.",
            labels=["outcome"],
        )
        totals = CrawlRun.objects.aggregate(**{name: Sum(name) for name in CrawlRun.COUNTERS})
        for outcome in CrawlRun.COUNTERS:
            pages.add_metric([outcome], totals[outcome] or 0)
        yield pages

        documents = GaugeMetricFamily(
            "lotse_documents", "Documents by index status.", labels=["status"]
        )
        for row in Document.objects.values("status").annotate(n=Count("id")).order_by():
            documents.add_metric([row["status"]], row["n"])
        yield documents

        chunks = GaugeMetricFamily("lotse_indexed_chunks", "Chunks of all indexed documents.")
        indexed = Document.objects.filter(status=Document.Status.INDEXED)
        chunks.add_metric([], indexed.aggregate(n=Sum("chunk_count"))["n"] or 0)
        yield chunks


STATE = CollectorRegistry(auto_describe=False)
STATE.register(StateCollector())


def render() -> bytes:
    """The text exposition of every Lotse metric."""
    if MULTIPROC_DIR:
        measured = CollectorRegistry()
        multiprocess.MultiProcessCollector(measured)
    else:
        measured = MEASURED
    return generate_latest(measured) + generate_latest(STATE)


def _authorised(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    # compare_digest: the time taken does not tell how much of a guess was right.
    return bool(
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


@never_cache
@require_GET
def metrics_view(request):
    if not _authorised(request):
        return JsonResponse(
            {"detail": "Sign in as staff or send Authorization: Bearer METRICS_TOKEN."},
            status=403,
        )
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
