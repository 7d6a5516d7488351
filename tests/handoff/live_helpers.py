"""Live chat test helpers: a supporter, opening hours all week, the visitor's and the inbox's
requests through Django's test client (the real URLs, middleware, CSRF and sessions)."""

from __future__ import annotations

import json
from datetime import time

from django.contrib.auth.models import Group, User
from django.test import Client

from backend.handoff.models import OpeningHours
from backend.ops.roles import EDITORS, SUPPORTERS

ORIGIN = "https://www.verein.example"


def open_all_week() -> None:
    for day in range(7):
        OpeningHours.objects.create(weekday=day, opens=time(0, 0), closes=time(23, 59, 59))


def staff(name: str, group: str = SUPPORTERS, first_name: str = "") -> Client:
    """A logged-in admin client of a staff user in ``group``, checking CSRF like a browser."""
    user = User.objects.create_user(name, password="pw", is_staff=True, first_name=first_name)
    user.groups.add(Group.objects.get(name=group))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/admin/")  # sets the csrftoken cookie
    return client


def editor() -> Client:
    return staff("editor", EDITORS)


def inbox_state(client: Client) -> dict:
    response = client.get("/admin/handoff/inbox/state/")
    assert response.status_code == 200, response.content
    return response.json()


def inbox_post(client: Client, handoff_id: int, action: str, body: dict | None = None):
    token = client.cookies["csrftoken"].value
    return client.post(
        f"/admin/handoff/inbox/{handoff_id}/{action}/",
        json.dumps(body or {}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


visitor = Client()


def start(conversation_id, **extra):
    body = {"conversation_id": str(conversation_id) if conversation_id else None, **extra}
    return visitor.post(
        "/api/v1/chat/handoff/live/",
        json.dumps(body),
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )


def poll(handoff_id: int, conversation_id, after: int = 0):
    return visitor.get(
        f"/api/v1/chat/handoff/live/{handoff_id}/",
        {"conversation_id": str(conversation_id), "after": after},
        headers={"Origin": ORIGIN},
    )


def say(handoff_id: int, conversation_id, **body):
    return visitor.post(
        f"/api/v1/chat/handoff/live/{handoff_id}/",
        json.dumps({"conversation_id": str(conversation_id), **body}),
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )
