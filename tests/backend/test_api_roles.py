"""The API asks what the admin asks: a staff user's role (group) and its model permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.ops.roles import ADMINISTRATORS, EDITORS, VIEWERS
from backend.sources.models import CrawlLogEntry, CrawlRun, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(monkeypatch):
    monkeypatch.setattr("backend.sources.services.enqueue_on_commit", lambda *a: None)
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    run = CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
    CrawlLogEntry.objects.create(
        run=run, url="https://verein.example/", outcome="fetched_new", at="2026-11-21T10:00:00Z"
    )
    return source, run


def operations(source: Source, run: CrawlRun) -> list[tuple[str, str, dict | None, bool]]:
    """(method, path, body, is a read) for every operation of the sources API."""
    new = {"name": "Neu", "start_urls": "https://neu.example/"}
    return [
        ("get", "/api/v1/sources/", None, True),
        ("get", f"/api/v1/sources/{source.pk}/", None, True),
        ("get", "/api/v1/runs/", None, True),
        ("get", f"/api/v1/runs/{run.pk}/", None, True),
        ("get", f"/api/v1/runs/{run.pk}/log/", None, True),
        ("get", "/api/v1/gaps/", None, True),
        ("get", "/api/v1/handoff-stats/", None, True),
        ("post", "/api/v1/sources/", new, False),
        ("patch", f"/api/v1/sources/{source.pk}/", {"max_pages": 10}, False),
        ("put", f"/api/v1/sources/{source.pk}/", {**new, "name": "Verein"}, False),
        ("post", f"/api/v1/sources/{source.pk}/crawl/", None, False),
        ("post", f"/api/v1/runs/{run.pk}/stop/", None, False),
        ("delete", f"/api/v1/sources/{source.pk}/", None, False),
    ]


def user_in(group: str | None, *, staff: bool = True, superuser: bool = False) -> User:
    user = User.objects.create_user(
        f"u-{group}-{staff}-{superuser}", password="pw", is_staff=staff, is_superuser=superuser
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def token_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def session_client(user: User) -> APIClient:
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(user)  # the admin's session cookie, as a browser signed in to it has
    return client


def call(client: APIClient, method: str, path: str, body: dict | None) -> int:
    return getattr(client, method)(path, body, format="json").status_code


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_staff_without_a_role_gets_403_everywhere(rows, make_client):
    client = make_client(user_in(None))
    for method, path, body, _ in operations(*rows):
        assert call(client, method, path, body) == 403, (method, path)
    assert Source.objects.count() == 1 and not Source.objects.filter(name="Neu").exists()
    assert CrawlRun.objects.get().status == CrawlRun.Status.RUNNING


def test_a_role_without_staff_status_gets_403_as_in_the_admin(rows):
    client = token_client(user_in(EDITORS, staff=False))
    for method, path, body, _ in operations(*rows):
        assert call(client, method, path, body) == 403, (method, path)


def test_viewers_read_but_change_nothing(rows):
    client = token_client(user_in(VIEWERS))
    for method, path, body, read in operations(*rows):
        status = call(client, method, path, body)
        assert (status == 200) if read else (status == 403), (method, path, status)
    assert Source.objects.get().max_pages == 5000


@pytest.mark.parametrize(
    ("group", "superuser"), [(EDITORS, False), (ADMINISTRATORS, False), (None, True)]
)
def test_editors_and_administrators_may_do_everything(rows, group, superuser):
    client = token_client(user_in(group, superuser=superuser))
    expected = {"get": 200, "post": 201, "patch": 200, "put": 200, "delete": 204}
    for method, path, body, _ in operations(*rows):
        status = call(client, method, path, body)
        if path.endswith(("/crawl/", "/stop/")):
            assert status in (202, 409), (method, path, status)  # 409: a run is active
        else:
            assert status == expected[method], (method, path, status)
    assert not Source.objects.filter(name="Verein").exists()  # the last operation deleted it


def test_the_admin_and_the_api_agree_for_every_role(rows, client):
    """Changelist in the admin and list in the API: both open or both closed, per role."""
    pages = {
        "/admin/sources/source/": "/api/v1/sources/",
        "/admin/sources/crawlrun/": "/api/v1/runs/",
        "/admin/dashboard/": "/api/v1/gaps/",
    }
    for group in (None, VIEWERS, EDITORS, ADMINISTRATORS):
        user = user_in(group)
        client.force_login(user)
        for admin_page, api_path in pages.items():
            admin_open = client.get(admin_page).status_code == 200
            api_open = token_client(user).get(api_path).status_code == 200
            assert admin_open == api_open == (group is not None), (group, admin_page)
