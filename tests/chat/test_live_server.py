"""The chat over real HTTP: uvicorn serving Lotse's ASGI app, as ``manage.py serve`` does.

uvicorn runs in a thread of the test process, so it shares the test database and the
embedded vector store. The OpenAPI schema is fuzzed against it in test_api_schema.py.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.fake_openai import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("corpus")]


def read_events(response: httpx.Response) -> list[tuple[float, str, object]]:
    """(arrival time, event, data) as the lines come in."""
    events, kind = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            events.append((time.monotonic(), kind, json.loads(line[len("data: ") :])))
    return events


def test_answer_streams_over_http_as_it_is_generated(live_url, fake_llm):
    fake_llm.default = Reply(
        "Erwachsene zahlen 120 Euro [1] und Kinder 60 Euro [1].", chunk_delay=0.1
    )
    started = time.monotonic()
    with httpx.stream(
        "POST",
        f"{live_url}/api/v1/chat/",
        json={"message": "Wie hoch ist der Jahresbeitrag?"},
        headers={"Origin": "https://www.verein.example", "Host": "localhost"},
        timeout=20,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-accel-buffering"] == "no"
        events = read_events(response)
    kinds = [kind for _, kind, _ in events]
    assert kinds[-2:] == ["sources", "done"]
    first_token_at = next(at for at, kind, _ in events if kind == "token")
    done_at = events[-1][0]
    # ~10 pieces at 0.1 s: the first arrived long before the last, i.e. it was not buffered
    assert done_at - first_token_at > 0.5
    assert first_token_at - started < done_at - started
    assert events[-1][2]["outcome"] == "answered"
