"""The OpenAPI schema and the API agree: every route is in it, and what every operation
answers, anonymously and as an editor, conforms to it. Never a 5xx.

Schemathesis generates valid and invalid requests from the schema (its pytest plugin does not
load under pytest 9, so it is driven by hand) against uvicorn serving Lotse in a thread.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.chat.models import Message
from backend.ops.roles import EDITORS
from backend.sources.models import CrawlLogEntry, CrawlRun, Source

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("corpus")]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Everything under /api/ that the schema describes (the schema's own pages are not API).
NOT_API = {"/api/schema/", "/api/schema/docs/"}
OPERATIONS = {
    ("POST", "/api/v1/chat/"),
    ("POST", "/api/v1/chat/messages/{message_id}/feedback/"),
    ("GET", "/api/v1/chat/config/"),
    ("POST", "/api/v1/chat/handoff/"),
    ("GET", "/api/v1/chat/handoff/options/"),
    ("POST", "/api/v1/chat/handoff/live/"),
    ("GET", "/api/v1/chat/handoff/live/{handoff_id}/"),
    ("POST", "/api/v1/chat/handoff/live/{handoff_id}/"),
    ("GET", "/api/v1/sources/"),
    ("POST", "/api/v1/sources/"),
    ("GET", "/api/v1/sources/{id}/"),
    ("PUT", "/api/v1/sources/{id}/"),
    ("PATCH", "/api/v1/sources/{id}/"),
    ("DELETE", "/api/v1/sources/{id}/"),
    ("POST", "/api/v1/sources/{id}/crawl/"),
    ("GET", "/api/v1/runs/"),
    ("GET", "/api/v1/runs/{id}/"),
    ("GET", "/api/v1/runs/{id}/log/"),
    ("POST", "/api/v1/runs/{id}/stop/"),
    ("GET", "/api/v1/entries/"),
    ("POST", "/api/v1/entries/"),
    ("GET", "/api/v1/entries/{id}/"),
    ("PUT", "/api/v1/entries/{id}/"),
    ("PATCH", "/api/v1/entries/{id}/"),
    ("DELETE", "/api/v1/entries/{id}/"),
    ("GET", "/api/v1/gaps/"),
    ("GET", "/api/v1/handoff-stats/"),
    ("GET", "/api/v1/uploads/"),
    ("POST", "/api/v1/uploads/"),
    ("GET", "/api/v1/uploads/{id}/"),
    ("DELETE", "/api/v1/uploads/{id}/"),
    ("GET", "/api/v1/uploads/{id}/chunks/"),
    ("POST", "/api/v1/uploads/{id}/replace/"),
}


def routes(patterns=None, prefix: str = "") -> set[str]:
    """Every URL the resolver serves, as the schema spells it: parameters become {}."""
    found = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            found.add(text)
    return found


def spelled(path: str) -> str:
    path = path.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<[^>]+>[^)]*\)|<[^>]+>|\{[^}]+\}", "{}", path)
    return "/" + path.lstrip("/")


def test_the_schema_lists_every_api_route(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    served = {spelled(route) for route in routes() if spelled(route).startswith("/api/")}
    described = {spelled(path) for path in schema["paths"]}
    assert served - NOT_API == described
    listed = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert listed == OPERATIONS


@pytest.fixture
def editor_token():
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return Token.objects.create(user=user).key


@pytest.fixture
def rows(monkeypatch):
    """A source with a run and its log, so generated ids sometimes hit real objects; no crawl
    is really started, and the chat tests' index, which later tests count, stays as it is: no
    fuzzed knowledge entry or upload is indexed, no deleted source's chunks are purged from it."""
    for module in (
        "sources.services", "knowledge.services", "documents.cleanup", "uploads.services"
    ):  # fmt: skip
        monkeypatch.setattr(f"backend.{module}.enqueue_on_commit", lambda *a: None)
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    run = CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
    CrawlLogEntry.objects.create(
        run=run, url="https://verein.example/", outcome="fetched_new", at="2026-11-21T10:00:00Z"
    )
    return {"id": [source.pk, run.pk]}


def fuzz(live_url: str, headers: dict[str, str], known_ids: dict[str, list[int]], examples: int):
    """Positive and negative cases for every operation; the chat's get twice as many (most
    generated questions are refused as empty or binary before one reaches the answer)."""
    schema = schemathesis.openapi.from_url(
        f"{live_url}/api/schema/?format=json", headers={"Host": "localhost"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == OPERATIONS
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            @hypothesis_settings(
                max_examples=examples * (2 if operation.path == "/api/v1/chat/" else 1),
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def conforms(case, data):
                # now and then a real object instead of a random id
                for name, ids in known_ids.items():
                    if name in (case.path_parameters or {}) and data.draw(st.booleans()):
                        case.path_parameters[name] = data.draw(st.sampled_from(ids))
                response = case.call_and_validate(
                    checks=CHECKS, headers={"Host": "localhost", **headers}
                )
                statuses.setdefault(case.operation.label, set()).add(response.status_code)

            conforms()
    return statuses


def test_anonymous_requests_conform_to_the_schema(live_url, rows):
    statuses = fuzz(live_url, {}, rows, examples=15)
    # the chat answered for real, the rest refused with the documented 401
    assert 200 in statuses["POST /api/v1/chat/"]
    assert Message.objects.filter(role="assistant").exists()
    assert statuses["GET /api/v1/sources/"] == {401}
    assert 200 in statuses["GET /api/v1/chat/config/"]


def test_an_editors_requests_conform_to_the_schema(live_url, rows, editor_token):
    statuses = fuzz(live_url, {"Authorization": f"Token {editor_token}"}, rows, examples=25)
    # the generated requests reached the views, not only the authentication in front of them
    assert 200 in statuses["GET /api/v1/sources/"]
    assert 200 in statuses["GET /api/v1/runs/{id}/log/"]
    assert 200 in statuses["PATCH /api/v1/sources/{id}/"]
    assert 400 in statuses["POST /api/v1/sources/"]
    assert 400 in statuses["POST /api/v1/entries/"]
