"""The operator's path: `manage.py crawl --wait --json` -> RabbitMQ -> a real Celery worker
that runs the spider in its child process and indexes what it fetched."""

from __future__ import annotations

import json

import pytest

from backend.documents.models import Document
from backend.sources.models import CrawlLogEntry, Source
from tests.helpers import clean_env, run_manage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]


# Generous bounds: on a loaded 2-core machine the worker's first ingest (loading the parsers)
# took longer than the 120 s this test used to give the whole indexing.
@pytest.mark.timeout(900)
def test_cli_crawl_through_rabbitmq_and_a_real_worker(
    verein_site, rabbitmq_url, start_worker, tmp_path
):
    worker = start_worker(
        rabbitmq_url,
        extra_env={
            "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
            # the worker's own page store and Qdrant folder: it is the only process using them
            "LOTSE_VAR_DIR": str(tmp_path / "worker-var"),
        },
    )
    source = Source.objects.create(
        name="Verein", start_urls=verein_site.base + "/", download_delay=0
    )
    result = run_manage(
        "crawl",
        str(source.pk),
        "--wait",
        "--json",
        "--timeout",
        "600",
        env=worker.env,
        timeout=800,
    )
    assert result.returncode == 0, result.stderr + worker.log()
    report = json.loads(result.stdout)
    assert report["status"] == "finished" and report["complete"]
    assert report["counters"]["new"] == 4
    assert report["documents"] == {"indexed": 4, "failed": 0, "pending": 0, "gone": 0}
    assert "lotse.crawler.crawl_source" in worker.log()
    assert Document.objects.filter(source=source, status="indexed", chunk_count__gt=0).count() == 4


def test_cli_crawl_embedded_by_url_with_progress(verein_site, tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"), CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    result = run_manage("crawl", verein_site.base + "/", "--wait", env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Created source #1" in result.stderr
    assert "documents indexed" in result.stderr  # the progress bar of the indexing phase
    assert "Documents: 4 indexed, 0 failed, 0 pending" in result.stdout


@pytest.mark.parametrize(
    "start_url", ["http://127.0.0.1:{port}/", "http://169.254.169.254/latest/meta-data/"]
)
def test_private_addresses_are_refused_unless_allowed(verein_site, start_url, settings):
    from backend.sources.crawling import execute_crawl
    from backend.sources.models import CrawlRun

    settings.CRAWLER_ALLOWED_NETWORKS = []
    source = Source.objects.create(
        name="intern", start_urls=start_url.format(port=verein_site.server_address[1])
    )
    run = CrawlRun.objects.create(source=source)
    requests_before = len(verein_site.requests)
    run = execute_crawl(run.pk)
    assert run.status == CrawlRun.Status.FINISHED
    entry = CrawlLogEntry.objects.get(run=run)
    assert entry.outcome == "skipped" and entry.reason.startswith("refused_address")
    assert len(verein_site.requests) == requests_before
    assert not Document.objects.exists()
