"""One outcome vocabulary: the crawler's (crawler.events.Outcome) is the per-URL log's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from backend.sources.crawling import COUNTERS, RunRecorder
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from crawler.events import Outcome


def test_every_crawler_outcome_is_a_log_choice_and_back():
    assert set(CrawlLogEntry.Outcome.values) == {o.value for o in Outcome}
    assert set(COUNTERS) == set(Outcome)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_a_german_label(outcome):
    label = dict(CrawlLogEntry.Outcome.choices)[outcome.value]
    with translation.override("de"):
        german = str(label)
    with translation.override("en"):
        english = str(label)
    assert german != english


@pytest.mark.django_db
def test_each_crawler_outcome_lands_in_the_log_as_itself():
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    run = CrawlRun.objects.create(source=source)
    recorder = RunRecorder(run)
    for outcome in Outcome:
        recorder({"event": "url", "url": f"https://verein.example/{outcome}", "outcome": outcome})
    recorder.flush()
    logged = dict(CrawlLogEntry.objects.filter(run=run).values_list("url", "outcome"))
    assert logged == {f"https://verein.example/{o}": o.value for o in Outcome}


@pytest.mark.django_db(transaction=True)
def test_migration_renames_the_old_log_outcomes():
    executor = MigrationExecutor(connection)
    before, after = (
        [("sources", "0005_source_parameter_bounds")],
        [("sources", "0006_crawl_log_outcomes")],
    )
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    source = apps.get_model("sources", "Source").objects.create(
        name="Verein", start_urls="https://verein.example/"
    )
    run = apps.get_model("sources", "CrawlRun").objects.create(source=source)
    entries = apps.get_model("sources", "CrawlLogEntry").objects
    for old in ("new", "changed", "unchanged", "gone"):
        entries.create(
            run=run, url=f"https://verein.example/{old}", outcome=old, at="2026-12-01T10:00Z"
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    outcomes = dict(CrawlLogEntry.objects.filter(run_id=run.pk).values_list("url", "outcome"))
    assert outcomes == {
        "https://verein.example/new": "fetched_new",
        "https://verein.example/changed": "fetched_changed",
        "https://verein.example/unchanged": "unchanged",
        "https://verein.example/gone": "gone",
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
