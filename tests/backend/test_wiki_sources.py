"""MediaWiki sources in the API and the admin (editors only, validated like websites), and the
crawl config built for them: the bot password from the named environment variable only, the
wiki's logs read from the last complete crawl on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from backend.ops.roles import EDITORS
from backend.sources.models import CrawlRun, Source
from backend.wiring import crawl_config
from crawler.config import CrawlConfig, CrawlConfigError

pytestmark = pytest.mark.django_db

WIKI = {
    "name": "Intranet",
    "kind": "mediawiki",
    "wiki_api_url": "https://wiki.example.org/w/api.php",
    "wiki_username": "Lotse@crawler",
    "wiki_password_env": "WIKI_PASSWORD_INTRANET",
    "wiki_namespaces": "0, 4",
    "wiki_categories": "Handbuch\nCategory:Ablauf",
}


@pytest.fixture
def editor_api() -> APIClient:
    user = User.objects.create_user("redakteur", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_editor_adds_a_wiki_source_through_the_api(editor_api):
    response = editor_api.post("/api/v1/sources/", WIKI, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "mediawiki" and body["start_urls"] == ""
    assert body["wiki_password_env"] == "WIKI_PASSWORD_INTRANET"
    source = Source.objects.get(pk=body["id"])
    assert source.wiki_category_list == ["Handbuch", "Ablauf"]
    assert source.allowed_domain_list == ["wiki.example.org"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"wiki_api_url": ""}, "wiki_api_url"),
        ({"wiki_api_url": "ftp://wiki.example.org/api.php"}, "wiki_api_url"),
        # another secret of the server must not be sent to a wiki an editor chose
        ({"wiki_password_env": "DJANGO_SECRET_KEY"}, "wiki_password_env"),
        ({"wiki_password_env": "WIKI_PASSWORD_lower"}, "wiki_password_env"),
        ({"wiki_password_env": ""}, "wiki_password_env"),
        ({"wiki_namespaces": "0, main"}, "wiki_namespaces"),
        ({"wiki_namespaces": "-1"}, "wiki_namespaces"),
    ],
)
def test_bad_wiki_settings_are_refused_by_field(editor_api, change, field):
    response = editor_api.post("/api/v1/sources/", {**WIKI, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Source.objects.exists()


def test_a_website_still_needs_a_start_url(editor_api):
    response = editor_api.post("/api/v1/sources/", {"name": "Leer"}, format="json")
    assert response.status_code == 400 and "start_urls" in response.json()


def test_visitors_reach_no_wiki_source():
    Source.objects.create(**{**WIKI, "kind": Source.Kind.MEDIAWIKI})
    assert APIClient().post("/api/v1/sources/", WIKI, format="json").status_code == 401
    visitor = APIClient()
    visitor.force_authenticate(User.objects.create_user("besucher", password="pw"))
    assert visitor.get("/api/v1/sources/").status_code == 403
    assert visitor.post("/api/v1/sources/", WIKI, format="json").status_code == 403


def test_the_admin_form_takes_a_wiki_source(client):
    user = User.objects.create_user("r2", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(user)
    form = {
        **WIKI, "enabled": "on", "max_depth": 10, "max_pages": 100, "revisit": "every_crawl",
        "max_revisit_days": 7, "schedule": "manual", "concurrency_per_host": 1,
        "download_delay": 1, "render": "never", "runs-TOTAL_FORMS": 0, "runs-INITIAL_FORMS": 0,
    }  # fmt: skip
    response = client.post("/admin/sources/source/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Source.objects.get().is_wiki


def test_the_crawl_config_reads_the_password_from_the_named_variable(monkeypatch):
    source = Source.objects.create(**{**WIKI, "kind": Source.Kind.MEDIAWIKI})
    run = CrawlRun.objects.create(source=source)
    monkeypatch.delenv("WIKI_PASSWORD_INTRANET", raising=False)
    with pytest.raises(CrawlConfigError, match="WIKI_PASSWORD_INTRANET is not set"):
        crawl_config(run)
    monkeypatch.setenv("WIKI_PASSWORD_INTRANET", "geheim-123")
    config = crawl_config(run)
    wiki = config.mediawiki
    assert (wiki.username, wiki.password, wiki.namespaces) == (
        "Lotse@crawler",
        "geheim-123",
        (0, 4),
    )
    assert wiki.categories == ("Handbuch", "Ablauf")
    assert config.start_urls == (WIKI["wiki_api_url"],)
    assert "geheim" not in repr(config)  # no password in a log line
    # it crosses to the crawl child as JSON and comes back whole
    assert CrawlConfig.from_json(config.to_json()) == config
    assert wiki.changes_since == ""  # before any crawl: no logs to read

    earlier = CrawlRun.objects.create(
        source=source, complete=True, started_at=datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    )
    CrawlRun.objects.create(
        source=source, complete=False, started_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    )
    assert earlier.pk
    assert crawl_config(run).mediawiki.changes_since == "2026-11-03T11:50:00Z"


def test_the_test_a_url_tool_needs_no_password(monkeypatch):
    from backend.sources.services import explain_url

    monkeypatch.delenv("WIKI_PASSWORD_INTRANET", raising=False)
    source = Source.objects.create(**{**WIKI, "kind": Source.Kind.MEDIAWIKI})
    result = explain_url(source, "https://wiki.example.org/w/index.php/Start")
    assert result["url"] and "reason" in result  # answered, not a server error
