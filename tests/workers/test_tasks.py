"""Every task: runs twice, effect once. And the in-process worker runs the same task code."""

import pytest
from django.db import transaction

from backend.ops.models import QueueProbe
from workers.dispatch import enqueue_on_commit
from workers.inprocess import InProcessWorker, get_worker
from workers.names import TASK_QUEUES, Task
from workers.tasks.crawler import probe_crawler
from workers.tasks.main import probe_main
from workers.tasks.rag import probe_rag


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("task", "queue"), [(probe_main, "main"), (probe_crawler, "crawler"), (probe_rag, "rag")]
)
def test_probe_hop_runs_twice_effect_once(task, queue, monkeypatch):
    sent = []
    monkeypatch.setattr("workers.tasks.main.enqueue", lambda *a, **k: sent.append(a))
    monkeypatch.setattr("workers.tasks.crawler.enqueue", lambda *a, **k: sent.append(a))
    probe = QueueProbe.objects.create()

    task.apply(args=[str(probe.id)]).get()
    probe.refresh_from_db()
    first = getattr(probe, f"{queue}_at")
    task.apply(args=[str(probe.id)]).get()
    probe.refresh_from_db()

    assert first is not None
    assert getattr(probe, f"{queue}_at") == first
    assert getattr(probe, f"{queue}_worker").startswith("in-process@")


@pytest.mark.django_db(transaction=True)
def test_probe_for_a_deleted_row_is_ignored():
    probe = QueueProbe.objects.create()
    probe_id = str(probe.id)
    probe.delete()
    probe_rag.apply(args=[probe_id]).get()  # logs and returns; raises nothing
    assert not QueueProbe.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_in_process_worker_runs_the_chain_after_commit():
    worker = get_worker()
    with transaction.atomic():
        probe = QueueProbe.objects.create()
        enqueue_on_commit(Task.PROBE_MAIN, str(probe.id))
        assert worker.idle()  # nothing is sent before the commit
    assert worker.wait_idle(timeout=30)
    probe.refresh_from_db()
    assert probe.main_at and probe.crawler_at and probe.rag_at


def test_in_process_worker_survives_a_failing_task(caplog):
    worker = InProcessWorker()
    worker.submit("lotse.does.not.exist", "main", (), {})
    assert worker.wait_idle(timeout=10)
    assert worker.alive()["main"]
    assert "crashed in-process" in caplog.text


def test_every_task_has_a_queue_and_is_registered():
    from workers.app import app

    for module in app.conf.imports:
        __import__(module)
    for name, queue in TASK_QUEUES.items():
        assert name in app.tasks, name
        assert queue in ("main", "crawler", "rag")
    lotse_tasks = {name for name in app.tasks if name.startswith("lotse.")}
    assert lotse_tasks == set(TASK_QUEUES)


def test_base_config_is_safe_for_killed_workers():
    from workers.app import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    for name in TASK_QUEUES:
        task = app.tasks[name]
        assert task.time_limit and task.soft_time_limit, name


def test_embedded_beat_fires_the_schedule(monkeypatch):
    from workers.app import app

    worker = InProcessWorker()
    fired = []
    monkeypatch.setattr(worker, "submit", lambda name, queue, args, kwargs: fired.append(name))
    monkeypatch.setitem(
        app.conf.beat_schedule,
        "start-due-crawls",
        {"task": Task.SCHEDULE_CRAWLS, "schedule": 0.1, "options": {}},
    )
    worker.start_beat(first_delay=0.05)
    import time

    try:
        time.sleep(0.5)
    finally:
        worker.stop_beat()
    stopped_at = len(fired)
    time.sleep(0.3)
    assert len(fired) == stopped_at  # stopped means stopped
    assert fired.count(Task.SCHEDULE_CRAWLS) >= 3
    assert fired.count(Task.DELETE_OLD_CHATS) == 1  # once at start, then daily
    assert fired.count(Task.DAILY_MAINTENANCE) == 1
    assert fired.count(Task.WATCH_CRAWLS) == 1  # every CRAWLER_WATCHDOG_INTERVAL (60 s)


def test_the_watchdog_and_the_daily_maintenance_run_on_main(settings):
    from workers.app import base_config
    from workers.names import queue_of

    settings.CRAWLER_WATCHDOG_INTERVAL = 7.0
    schedule = {entry["task"]: entry for entry in base_config()["beat_schedule"].values()}
    assert schedule[Task.WATCH_CRAWLS]["schedule"] == 7.0
    assert schedule[Task.DAILY_MAINTENANCE]["schedule"] == 24 * 3600
    for name in (Task.WATCH_CRAWLS, Task.DAILY_MAINTENANCE):
        assert schedule[name]["options"]["queue"] == queue_of(name) == "main"
