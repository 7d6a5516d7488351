"""The editors' admin: roles, the crawl buttons, live progress and the URL tester."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from backend.ops.roles import ADMINISTRATORS, EDITORS, VIEWERS
from backend.sources.models import CrawlRun, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(
        name="Verein", start_urls="https://verein.example/", exclude_patterns="/intern/"
    )


@pytest.fixture
def staff_without_role(client):
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def no_dispatch(monkeypatch):
    sent = []
    monkeypatch.setattr("backend.sources.services.enqueue_on_commit", lambda *a: sent.append(a))
    return sent


def test_migrate_created_both_roles_and_setup_roles_is_idempotent(capsys):
    editors = Group.objects.get(name=EDITORS)
    before = set(editors.permissions.values_list("codename", flat=True))
    assert {"add_source", "change_source", "view_crawllogentry", "view_conversation"} <= before
    assert "add_user" not in before and "delete_document" not in before
    call_command("setup_roles")
    assert set(editors.permissions.values_list("codename", flat=True)) == before
    assert Group.objects.get(name=ADMINISTRATORS).permissions.filter(codename="add_user").exists()
    viewers = set(Group.objects.get(name=VIEWERS).permissions.values_list("codename", flat=True))
    assert {"view_source", "view_crawlrun", "view_crawllogentry", "view_conversation"} <= viewers
    assert all(codename.startswith("view_") for codename in viewers)


@pytest.mark.parametrize(
    "name",
    [
        "sources_source_changelist",
        "sources_crawlrun_changelist",
        "sources_crawllogentry_changelist",
        "documents_document_changelist",
        "chat_conversation_changelist",
        "chat_message_changelist",
        "chat_feedback_changelist",
        "chat_chattexts_changelist",
        "chat_chattexts_add",
        "sources_source_add",
        "dashboard",
        "retrieval",
        "index",
    ],
)
def test_editor_sees_the_editor_pages(editor_client, name, source):
    assert editor_client.get(reverse(f"admin:{name}")).status_code == 200


def test_editor_sees_the_widget_snippet_page(editor_client):
    page = editor_client.get(reverse("widget-snippet"))
    assert page.status_code == 200 and "widget.js" in page.content.decode()


def test_editor_changes_the_chat_texts(editor_client):
    from backend.chat.models import ChatTexts

    response = editor_client.post(
        reverse("admin:chat_chattexts_add"),
        {"language": "de", "greeting": "Moin!", "suggested_questions": "Wann ist Training?"},
    )
    assert response.status_code == 302
    assert ChatTexts.objects.get(language="de").greeting == "Moin!"


@pytest.mark.parametrize(
    "name",
    [
        "sources_source_changelist",
        "documents_document_changelist",
        "auth_user_changelist",
        "chat_conversation_changelist",
        "chat_chattexts_changelist",
        "dashboard",
        "retrieval",
    ],
)
def test_staff_without_a_role_is_refused(staff_without_role, name):
    assert staff_without_role.get(reverse(f"admin:{name}")).status_code == 403


def test_editor_cannot_manage_users(editor_client):
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_crawl_now_button_and_stop_button(editor_client, source, no_dispatch):
    response = editor_client.post(reverse("admin:sources_source_crawl", args=[source.pk]))
    run = CrawlRun.objects.get(source=source)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sources_crawlrun_change", args=[run.pk])
    page = editor_client.get(response["Location"]).content.decode()
    assert reverse("admin:sources_crawlrun_progress", args=[run.pk]) in page
    assert reverse("admin:sources_crawlrun_stop", args=[run.pk]) in page

    editor_client.post(reverse("admin:sources_crawlrun_stop", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == CrawlRun.Status.CANCELLED  # it was still queued


def test_crawl_button_refused_without_change_permission(staff_without_role, source):
    response = staff_without_role.post(reverse("admin:sources_source_crawl", args=[source.pk]))
    assert response.status_code == 403
    assert not CrawlRun.objects.exists()


def test_progress_endpoint_reports_live_counters(editor_client, source):
    run = CrawlRun.objects.create(
        source=source, status=CrawlRun.Status.RUNNING, fetched=12, new=10, skipped=3
    )
    data = editor_client.get(reverse("admin:sources_crawlrun_progress", args=[run.pk])).json()
    assert data["active"] is True and data["status"] == "running"
    assert data["counters"]["fetched"] == 12 and data["done"] == 15
    assert data["ceiling"] == source.max_pages


@pytest.mark.parametrize(
    ("url", "in_scope", "reason"),
    [
        ("https://verein.example/kurse/#oben", True, "in_scope"),
        ("https://verein.example/intern/protokoll", False, "excluded_pattern"),
        ("https://anderer.example/", False, "out_of_scope_domain"),
        ("mailto:vorstand@verein.example", False, "not_http"),
    ],
)
def test_url_tester_explains_the_scope(editor_client, source, url, in_scope, reason, monkeypatch):
    # The network check resolves the host: answer with a public address, no DNS needed.
    monkeypatch.setattr("crawler.netguard.resolve_host", lambda host: ["93.184.216.34"])
    response = editor_client.post(
        reverse("admin:sources_source_test_url", args=[source.pk]), {"url": url}
    )
    result = response.context["result"]
    assert result["in_scope"] is in_scope and result["reason"] == reason
    if reason == "in_scope":
        assert result["normalised"] == "https://verein.example/kurse/"


def test_url_tester_flags_private_addresses(editor_client, settings):
    settings.CRAWLER_ALLOWED_NETWORKS = []
    intern = Source.objects.create(name="intern", start_urls="http://127.0.0.1:8080/")
    response = editor_client.post(
        reverse("admin:sources_source_test_url", args=[intern.pk]),
        {"url": "http://127.0.0.1:8080/x"},
    )
    result = response.context["result"]
    assert result["in_scope"] is False and result["network"].startswith("loopback")
