"""Knowledge entries: bad input is refused with a clear message, and only editors (and
administrators) reach entries, in the API as in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backend.knowledge.models import KnowledgeEntry
from backend.ops.roles import EDITORS, VIEWERS
from tests.backend.test_api_roles import call, user_in

pytestmark = pytest.mark.django_db

NEW = {"question": "Wo kann ich parken?", "answer": "Hinter der Halle.", "language": "de"}


@pytest.fixture(autouse=True)
def no_indexing(monkeypatch):
    monkeypatch.setattr("backend.knowledge.services.enqueue_on_commit", lambda *a: None)


def api(group: str | None, **kwargs) -> APIClient:
    client = APIClient()
    client.force_authenticate(user_in(group, **kwargs))
    return client


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"answer": "  "}, "answer", "Please write the answer"),
        ({"question": ""}, "question", "Please write the question"),
        (
            {"valid_from": "2026-12-01T00:00:00Z", "valid_until": "2026-11-01T00:00:00Z"},
            "valid_until",
            "must come after its start",
        ),
        (
            {"valid_from": "2026-12-01T00:00:00Z", "valid_until": "20261-12-01T00:00:00Z"},
            "valid_until",
            "",  # not even a date
        ),
        ({"valid_until": "2999-12-01T00:00:00Z"}, "valid_until", "Please check the year"),
        ({"valid_from": "0032-02-16T01:42:34Z"}, "valid_from", "Please check the year"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(body, field, message):
    response = api(EDITORS).post("/api/v1/entries/", {**NEW, **body}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not KnowledgeEntry.objects.exists()


def operations(entry: KnowledgeEntry) -> list[tuple[str, str, dict | None, bool]]:
    return [
        ("get", "/api/v1/entries/", None, True),
        ("get", f"/api/v1/entries/{entry.pk}/", None, True),
        ("post", "/api/v1/entries/", NEW, False),
        ("patch", f"/api/v1/entries/{entry.pk}/", {"answer": "Neu."}, False),
        ("delete", f"/api/v1/entries/{entry.pk}/", None, False),
    ]


def test_editors_do_everything_viewers_read_others_nothing():
    entry = KnowledgeEntry.objects.create(**NEW)
    anonymous = APIClient()
    no_role, viewer = api(None), api(VIEWERS)
    for method, path, body, read in operations(entry):
        assert call(anonymous, method, path, body) in (401, 403), path
        assert call(no_role, method, path, body) == 403, path
        assert call(viewer, method, path, body) == (200 if read else 403), (method, path)
    editor = api(EDITORS)
    for method, path, body, _read in operations(entry):
        assert call(editor, method, path, body) in (200, 201, 204), (method, path)


def test_the_admin_lets_editors_in_and_staff_without_a_role_not(client):
    changelist = reverse("admin:knowledge_knowledgeentry_changelist")
    add = reverse("admin:knowledge_knowledgeentry_add")
    client.force_login(user_in(None))
    assert client.get(changelist).status_code == 403
    assert client.get(add).status_code == 403
    client.force_login(user_in(EDITORS))
    assert client.get(changelist).status_code == 200
    response = client.post(add, {**NEW, "answer": ""})
    assert response.status_code == 200 and "errorlist" in response.text
    response = client.post(add, NEW)
    assert response.status_code == 302
    assert KnowledgeEntry.objects.get().author.username.startswith("u-Editors")
