"""Tasks travel through a real broker to a real worker process and change the database."""

import json

import pytest

from backend.ops.models import QueueProbe
from tests.helpers import run_manage
from tests.worker_process import database_url_for_subprocess

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("broker", ["rabbitmq_url", "redis_url"])
def test_probe_crosses_all_three_queues(request, start_worker, broker):
    broker_url = request.getfixturevalue(broker)
    worker = start_worker(broker_url)

    # The operator's own command, in its own process: dispatch -> broker -> worker -> database.
    result = run_manage(
        "probe_queues",
        "--json",
        "--timeout",
        "60",
        env={**worker.env, "DATABASE_URL": database_url_for_subprocess()},
    )
    assert result.returncode == 0, result.stderr + worker.log()
    report = json.loads(result.stdout)
    assert [hop["queue"] for hop in report["hops"]] == ["main", "crawler", "rag"]

    probe = QueueProbe.objects.get(id=report["probe"])
    expected_worker = worker.name.split("@")[0]
    for queue in ("main", "crawler", "rag"):
        assert getattr(probe, f"{queue}_at") is not None, queue
        assert getattr(probe, f"{queue}_worker").startswith(expected_worker), queue


def test_probe_names_the_queue_without_a_worker(rabbitmq_url, start_worker):
    worker = start_worker(rabbitmq_url, queues="main,crawler")  # nobody consumes "rag"
    result = run_manage("probe_queues", "--timeout", "5", env=worker.env)
    assert result.returncode != 0
    assert "no worker answered on queue 'rag'" in result.stderr
    assert "NO ANSWER" in result.stdout


@pytest.mark.parametrize("broker", ["rabbitmq_url", "redis_url"])
def test_a_message_reaches_only_its_own_queue(request, broker):
    from kombu import Connection

    from tests.worker_process import purge_queues
    from workers.app import app
    from workers.names import Task

    broker_url = request.getfixturevalue(broker)
    purge_queues(broker_url)
    with Connection(broker_url, connect_timeout=5) as conn:
        channel = conn.default_channel
        queues = {name: app.amqp.queues[name](channel) for name in ("main", "crawler", "rag")}
        for queue in queues.values():
            queue.declare()
        app.send_task(Task.PROBE_RAG, args=["x"], queue="rag", connection=conn)
        counts = {name: drain(queue) for name, queue in queues.items()}
        purge_queues(broker_url)
    assert counts == {"main": 0, "crawler": 0, "rag": 1}


def drain(queue) -> int:
    """Take every message off ``queue`` and count them (works on every kombu transport)."""
    count = 0
    while queue.get(no_ack=True) is not None:
        count += 1
    return count
