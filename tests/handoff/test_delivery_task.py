"""The delivery task under a Celery worker (not eager): a receiver that is down is retried
through Celery with the tasks' policy (TASK_RETRY), and after HANDOFF_DELIVERY_RETRIES the
ticket fails, keeping every try in its log."""

from __future__ import annotations

import uuid

import pytest
from celery.exceptions import Retry

from tests.handoff.conftest import configure, make_handoff
from workers.tasks._base import TASK_RETRY
from workers.tasks.main import deliver_handoff_task

pytestmark = pytest.mark.django_db


def run_as_worker(handoff_id: int, retries: int) -> None:
    deliver_handoff_task.push_request(
        id=str(uuid.uuid4()), args=[handoff_id], kwargs={}, retries=retries,
        is_eager=False, called_directly=False,
    )  # fmt: skip
    try:
        deliver_handoff_task.run(handoff_id)
    finally:
        deliver_handoff_task.pop_request()


@pytest.mark.parametrize("retries", [0, 1])
def test_a_receiver_that_is_down_is_retried_by_celery(conversation, receiver, retries):
    hook = receiver(lambda seen: (502, {"error": "bad gateway"}))
    configure(delivery="webhook", webhook_url=hook.url + "/hook")
    handoff = make_handoff(conversation, "webhook")

    with pytest.raises(Retry) as retry:
        run_as_worker(handoff.pk, retries)

    ceiling = min(TASK_RETRY.cap_s, TASK_RETRY.base_s * 2**retries)
    assert 0.5 * ceiling <= retry.value.when <= ceiling
    handoff.refresh_from_db()
    assert handoff.status == "requested" and "HTTP 502" in handoff.last_error


def test_after_the_last_retry_the_ticket_fails_and_stays(conversation, receiver):
    hook = receiver(lambda seen: (502, {"error": "bad gateway"}))
    configure(delivery="webhook", webhook_url=hook.url + "/hook")
    handoff = make_handoff(conversation, "webhook")

    run_as_worker(handoff.pk, retries=2)  # HANDOFF_DELIVERY_RETRIES=2 in these tests

    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed" and "Gave up after 3 tries" in handoff.last_error
    (attempt,) = handoff.attempts.all()
    assert (attempt.status_code, attempt.final) == (502, True)


def test_a_rate_limited_delivery_waits_what_retry_after_asks(conversation, receiver):
    def busy(seen):
        return 429, {"error": "slow down"}

    hook = receiver(busy)
    hook.headers = {"Retry-After": "120"}
    configure(delivery="webhook", webhook_url=hook.url + "/hook")
    handoff = make_handoff(conversation, "webhook")

    with pytest.raises(Retry) as retry:
        run_as_worker(handoff.pk, 0)

    assert retry.value.when >= 120  # not the first retry's 5 s
