"""Starting and stopping crawls from the admin and the command line."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from backend.sources.models import CrawlRun, Source
from backend.sources.services import due_sources, fail_abandoned_runs, source_for_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr("backend.sources.services.enqueue_on_commit", lambda *a: calls.append(a))
    return calls


@pytest.fixture
def source():
    return Source.objects.create(name="Verein", start_urls="https://verein.example/")


def test_admin_crawl_now_and_already_running(admin_client, source, sent):
    url = reverse("admin:sources_source_changelist")
    data = {"action": "crawl_now", "_selected_action": [source.pk]}
    page = admin_client.post(url, data, follow=True).content.decode()
    assert "1 crawl started." in page
    assert CrawlRun.objects.filter(source=source, trigger="admin").count() == 1
    page = admin_client.post(url, data, follow=True).content.decode()
    assert "is already queued" in page
    assert CrawlRun.objects.filter(source=source).count() == 1
    assert len(sent) == 1


def test_admin_stop_marks_running_run(admin_client, source):
    run = CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
    url = reverse("admin:sources_crawlrun_changelist")
    admin_client.post(url, {"action": "stop", "_selected_action": [run.pk]}, follow=True)
    run.refresh_from_db()
    assert run.stop_requested and run.status == CrawlRun.Status.RUNNING  # the task stops it


def test_run_page_links_its_per_url_log(admin_client, source):
    run = CrawlRun.objects.create(source=source)
    page = admin_client.get(reverse("admin:sources_crawlrun_changelist")).content.decode()
    assert f"run__id__exact={run.pk}" in page
    log = admin_client.get(
        reverse("admin:sources_crawllogentry_changelist"), {"run__id__exact": run.pk}
    )
    assert log.status_code == 200


def test_source_for_url_reuses_or_creates(source):
    assert source_for_url("https://verein.example/") == (source, False)
    created, is_new = source_for_url("https://andere.example/news/")
    assert is_new and created.start_url_list == ["https://andere.example/news/"]
    with pytest.raises(ValueError):
        source_for_url("mailto:vorstand@verein.example")


def test_crawl_command_refuses_second_crawl(source, sent, settings):
    settings.TASKS_EMBEDDED = False
    call_command("crawl", str(source.pk), "--json")
    with pytest.raises(CommandError, match="already queued"):
        call_command("crawl", str(source.pk))
    with pytest.raises(CommandError, match="no source with id 999"):
        call_command("crawl", "999")


def test_crawl_command_json_without_wait(source, sent, settings, capsys):
    settings.TASKS_EMBEDDED = False
    call_command("crawl", "https://verein.example/", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "queued"
    assert CrawlRun.objects.get(pk=out["run"]).trigger == "cli"


def test_crawl_command_sets_how_the_source_renders(source, sent, settings, capsys):
    settings.TASKS_EMBEDDED = False
    call_command("crawl", str(source.pk), "--json", "--render", "always")
    source.refresh_from_db()
    assert source.render == "always"
    run = CrawlRun.objects.get(pk=json.loads(capsys.readouterr().out)["run"])
    run.status = CrawlRun.Status.FINISHED
    run.save()
    call_command("crawl", str(source.pk), "--json")  # without the option: as it was
    source.refresh_from_db()
    assert source.render == "always"
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("crawl", str(source.pk), "--render", "sometimes")


def test_schedule_picks_due_sources_only(source):
    source.schedule = Source.Schedule.DAILY
    source.save()
    assert due_sources() == [source]
    CrawlRun.objects.create(source=source, status=CrawlRun.Status.FINISHED)
    assert due_sources() == []  # crawled less than a day ago


def test_lost_and_abandoned_runs_are_failed(source):
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(days=1)
    lost = CrawlRun.objects.create(source=source)
    CrawlRun.objects.filter(pk=lost.pk).update(created_at=old)
    assert fail_abandoned_runs(queued_for=timedelta(hours=2), silent_for=timedelta(hours=5)) == 1
    lost.refresh_from_db()
    assert lost.status == "failed" and "never started" in lost.error
