"""A source's parameters are checked the same in the API and the admin: sane ranges, safe
patterns (RE2: no pattern can make a crawl backtrack for minutes)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from rest_framework.test import APIClient

from backend.ops.roles import EDITORS
from backend.sources.models import Source

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Verein",
    "start_urls": "https://verein.example/",
    "max_depth": 3,
    "max_pages": 100,
    "concurrency_per_host": 2,
    "download_delay": 0.5,
    "schedule": "manual",
    "revisit": "every_crawl",
    "max_revisit_days": 7,
}

BAD = [
    ("download_delay", -5),
    ("download_delay", 1e308),
    ("download_delay", 61),
    ("concurrency_per_host", 0),
    ("concurrency_per_host", 32767),
    ("concurrency_per_host", 17),
    ("max_pages", 0),
    ("max_pages", 10**9),
    ("max_depth", -1),
    ("max_depth", 101),
    ("exclude_patterns", "(a+)+$\n(?=lookahead)"),
    ("include_patterns", r"(x)\1"),
    ("include_patterns", "a" * 501),
    ("include_patterns", "\n".join(f"/p{n}/" for n in range(201))),
]


@pytest.fixture
def editor():
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


@pytest.mark.parametrize(("field", "value"), BAD)
def test_the_api_refuses_out_of_range_values(editor, field, value):
    api = APIClient()
    api.force_authenticate(editor)
    response = api.post("/api/v1/sources/", {**VALID, field: value}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not Source.objects.exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_the_api_refuses_non_finite_delays(editor, value):
    api = APIClient()
    api.force_authenticate(editor)
    body = '{"name": "V", "start_urls": "https://v.example/", "download_delay": ' + value + "}"
    response = api.post("/api/v1/sources/", body, content_type="application/json")
    assert response.status_code == 400
    assert not Source.objects.exists()


@pytest.mark.parametrize(("field", "value"), BAD)
def test_the_admin_refuses_the_same_values(client, editor, field, value):
    client.force_login(editor)
    form = {**VALID, field: value, "runs-TOTAL_FORMS": 0, "runs-INITIAL_FORMS": 0}
    response = client.post(reverse("admin:sources_source_add"), form)
    assert response.status_code == 200  # the form again, with the error
    assert field in response.context["adminform"].form.errors
    assert not Source.objects.exists()


def test_the_bounds_themselves_are_accepted(editor):
    api = APIClient()
    api.force_authenticate(editor)
    edges = {
        **VALID,
        "download_delay": 60,
        "concurrency_per_host": 16,
        "max_pages": 1_000_000,
        "max_depth": 100,
        "exclude_patterns": "(?i)/INTERN/\n\\.(jpg|png)$\n(a+)+$",
    }
    assert api.post("/api/v1/sources/", edges, format="json").status_code == 201
