"""The sources/runs API: an editor's token; start, refuse a second, stop, read the log."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.ops.roles import EDITORS
from backend.sources.models import CrawlLogEntry, CrawlRun, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(name="Verein", start_urls="https://verein.example/")


@pytest.fixture
def staff_api():
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def no_dispatch(monkeypatch):
    sent = []
    monkeypatch.setattr("backend.sources.services.enqueue_on_commit", lambda *a: sent.append(a))
    return sent


@pytest.mark.parametrize("path", ["/api/v1/sources/", "/api/v1/runs/"])
def test_anonymous_and_non_staff_are_refused(path):
    anonymous = APIClient().get(path)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    user = User.objects.create_user("visitor", password="pw")
    client = APIClient()
    client.force_authenticate(user)
    assert client.get(path).status_code == 403


def test_create_source_validates_urls_and_patterns(staff_api):
    response = staff_api.post(
        "/api/v1/sources/",
        {"name": "x", "start_urls": "ftp://nope", "exclude_patterns": "(["},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"start_urls", "exclude_patterns"}
    response = staff_api.post(
        "/api/v1/sources/", {"name": "ok", "start_urls": "https://ok.example/"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["trust_sitemap_lastmod"] is True


def test_trusting_sitemap_lastmod_is_the_sources_choice(staff_api, source):
    from backend.wiring import crawl_config

    response = staff_api.patch(
        f"/api/v1/sources/{source.pk}/", {"trust_sitemap_lastmod": False}, format="json"
    )
    assert response.status_code == 200
    run = CrawlRun.objects.create(source=Source.objects.get(pk=source.pk))
    assert crawl_config(run).trust_sitemap_lastmod is False


def test_the_revisit_policy_is_the_sources_choice(staff_api, source):
    from backend.wiring import crawl_config

    assert staff_api.get(f"/api/v1/sources/{source.pk}/").json()["revisit"] == "every_crawl"
    response = staff_api.patch(
        f"/api/v1/sources/{source.pk}/",
        {"revisit": "sometimes", "max_revisit_days": 0},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"revisit", "max_revisit_days"}
    response = staff_api.patch(
        f"/api/v1/sources/{source.pk}/",
        {"revisit": "when_stale", "max_revisit_days": 3},
        format="json",
    )
    assert response.status_code == 200
    config = crawl_config(CrawlRun.objects.create(source=Source.objects.get(pk=source.pk)))
    assert (config.revisit, config.max_revisit_days) == ("when_stale", 3.0)


def test_rendering_with_a_browser_is_the_sources_choice(staff_api, source):
    from backend.wiring import crawl_config

    assert staff_api.get(f"/api/v1/sources/{source.pk}/").json()["render"] == "never"
    response = staff_api.patch(f"/api/v1/sources/{source.pk}/", {"render": "js"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"render"}
    response = staff_api.patch(f"/api/v1/sources/{source.pk}/", {"render": "auto"}, format="json")
    assert response.status_code == 200
    config = crawl_config(CrawlRun.objects.create(source=Source.objects.get(pk=source.pk)))
    assert config.render == "auto"
    assert config.browser_path == "/usr/bin/chromium"


def test_crawl_start_conflict_and_stop(staff_api, source, no_dispatch):
    started = staff_api.post(f"/api/v1/sources/{source.pk}/crawl/")
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert started.json()["status"] == "queued" and started.json()["trigger"] == "api"

    again = staff_api.post(f"/api/v1/sources/{source.pk}/crawl/")
    assert again.status_code == 409
    assert again.json()["run"]["id"] == run_id

    stopped = staff_api.post(f"/api/v1/runs/{run_id}/stop/")
    assert stopped.status_code == 202
    assert stopped.json()["status"] == "cancelled"  # still queued: stopped at once
    assert staff_api.post(f"/api/v1/runs/{run_id}/stop/").status_code == 409


def test_run_log_filters_by_outcome(staff_api, source):
    run = CrawlRun.objects.create(source=source, status=CrawlRun.Status.FINISHED)
    for outcome, reason in [
        ("fetched_new", ""),
        ("skipped", "robots_disallowed"),
        ("failed", "http_500"),
    ]:
        CrawlLogEntry.objects.create(
            run=run,
            url=f"https://verein.example/{outcome}",
            outcome=outcome,
            reason=reason,
            at="2026-11-21T10:00:00Z",
        )
    body = staff_api.get(f"/api/v1/runs/{run.pk}/log/", {"outcome": "skipped"}).json()
    assert body["count"] == 1
    assert body["results"][0]["reason"] == "robots_disallowed"
    assert staff_api.get("/api/v1/runs/", {"source": source.pk}).json()["count"] == 1


def test_crawls_run_at_the_operators_cpu_priority(source, settings):
    from backend.wiring import crawl_config

    run = CrawlRun.objects.create(source=Source.objects.get(pk=source.pk))
    assert crawl_config(run).nice == 10  # the default: answers and indexing come first
    settings.CRAWLER_NICE = 0
    assert crawl_config(run).nice == 0
