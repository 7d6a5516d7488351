"""/metrics: not public, and it reports latency, queue depth and crawl/index state."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from backend.documents.models import Document
from backend.ops import metrics
from backend.sources.models import CrawlRun, Source

pytestmark = pytest.mark.django_db

# The test settings leave the middleware out (as dev does); prod puts it first.
WITH_MIDDLEWARE = override_settings(
    MIDDLEWARE=["backend.ops.metrics.RequestMetricsMiddleware", *settings.MIDDLEWARE]
)


def test_anonymous_gets_no_metrics(client):
    response = client.get("/metrics")
    assert response.status_code == 403
    assert b"lotse_" not in response.content


@override_settings(METRICS_TOKEN="s3cret-token")
@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Bearer s3cret-token", 200),
        ("bearer s3cret-token", 200),
        ("Bearer wrong", 403),
        ("Basic s3cret-token", 403),
        ("Bearer s3cret-tokën", 403),
    ],
)
def test_bearer_token(client, header, status):
    assert client.get("/metrics", HTTP_AUTHORIZATION=header).status_code == status


def test_an_empty_token_never_matches(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_staff_sees_crawl_and_index_state(client):
    source = Source.objects.create(name="site", start_urls="https://example.org/")
    CrawlRun.objects.create(source=source, status=CrawlRun.Status.FINISHED, fetched=5, failed=1)
    CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING, fetched=2)
    Document.objects.create(
        source=source, url="https://example.org/a", status=Document.Status.INDEXED, chunk_count=4
    )
    Document.objects.create(source=source, url="https://example.org/b")
    staff = get_user_model().objects.create_user("ops", password="pw", is_staff=True)
    client.force_login(staff)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'lotse_crawl_runs{status="finished"} 1.0' in text
    assert 'lotse_crawl_runs{status="running"} 1.0' in text
    assert 'lotse_crawl_pages{outcome="fetched"} 7.0' in text
    assert 'lotse_crawl_pages{outcome="failed"} 1.0' in text
    assert 'lotse_documents{status="indexed"} 1.0' in text
    assert 'lotse_documents{status="pending"} 1.0' in text
    assert "lotse_indexed_chunks 4.0" in text
    # the embedded default has no broker to ask; it still answers
    assert "lotse_broker_up 1.0" in text


@WITH_MIDDLEWARE
def test_request_latency_is_counted_by_route(client):
    labels = {"method": "GET", "route": "healthz", "status": "200"}
    sample = "lotse_http_request_duration_seconds_count"
    before = metrics.MEASURED.get_sample_value(sample, labels) or 0
    client.get("/healthz")
    client.get("/healthz")
    assert metrics.MEASURED.get_sample_value(sample, labels) == before + 2
    client.get("/no-such-page")
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert metrics.MEASURED.get_sample_value(sample, unmatched) >= 1


def test_llm_hook_counts_latency_and_tokens():
    def sample(name, **labels):
        return metrics.MEASURED.get_sample_value(name, labels) or 0

    before = sample("lotse_llm_tokens_total", model="m", kind="prompt")
    metrics.observe_llm_call("m", 1.5, prompt_tokens=100, completion_tokens=20)
    assert sample("lotse_llm_tokens_total", model="m", kind="prompt") == before + 100
    assert sample("lotse_llm_tokens_total", model="m", kind="completion") >= 20
    assert sample("lotse_llm_request_duration_seconds_count", model="m") >= 1


@pytest.mark.services
def test_queue_depth_comes_from_the_broker(rabbitmq_url, client, admin_user):
    with override_settings(CELERY_BROKER_URL=rabbitmq_url, TASKS_EMBEDDED=False):
        depths = metrics.queue_depths()
        client.force_login(admin_user)
        text = client.get("/metrics").content.decode()
    assert set(depths) == {"main", "crawler", "rag"}
    assert all(count >= 0 for count in depths.values())
    assert "lotse_broker_up 1.0" in text
    assert 'lotse_queue_messages{queue="rag"}' in text


def test_unreachable_broker_is_reported_not_raised(client, admin_user):
    with override_settings(
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:9//",
        TASKS_EMBEDDED=False,
        HEALTH_CHECK_TIMEOUT=1,
    ):
        client.force_login(admin_user)
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "lotse_broker_up 0.0" in response.content.decode()
