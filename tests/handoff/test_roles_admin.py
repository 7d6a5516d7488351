"""Who sees and does what: supporters see hand-offs, tickets and their delivery logs and send
a failed ticket again; editors also keep opening hours, holidays and the delivery settings;
visitors reach only the public endpoints."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from backend.handoff.models import DeliveryAttempt
from backend.ops.roles import EDITORS, SUPPORTERS, VIEWERS
from tests.handoff.conftest import configure, make_handoff
from workers.names import Task

pytestmark = pytest.mark.django_db


def login(client, group: str):
    user = User.objects.create_user(group.lower(), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def failed_ticket(conversation):
    handoff = make_handoff(conversation, "webhook", status="ticket_failed", last_error="HTTP 503")
    DeliveryAttempt.objects.create(
        handoff=handoff, channel="webhook", status_code=503, error="HTTP 503 from x", final=True
    )
    return handoff


def test_the_supporters_group_exists_after_migrate_and_setup_roles():
    supporters = Group.objects.get(name=SUPPORTERS)
    codenames = set(supporters.permissions.values_list("codename", flat=True))
    assert codenames == {"view_handoff", "change_handoff", "view_deliveryattempt"}
    call_command("setup_roles")
    assert set(supporters.permissions.values_list("codename", flat=True)) == codenames
    editors = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    assert {"change_handoffsettings", "add_openinghours", "add_holiday", "view_handoff"} <= editors
    viewers = set(Group.objects.get(name=VIEWERS).permissions.values_list("codename", flat=True))
    assert "change_handoffsettings" not in viewers


def test_a_supporter_reads_the_ticket_with_its_transcript_and_log(client, failed_ticket):
    login(client, SUPPORTERS)
    listing = client.get(reverse("admin:handoff_handoff_changelist"))
    assert listing.status_code == 200 and b"Erika Muster" in listing.content
    page = client.get(reverse("admin:handoff_handoff_change", args=[failed_ticket.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Der Jahresbeitrag beträgt 60 Euro [1]." in html
    assert "https://verein.example/beitraege/" in html
    assert "HTTP 503 from x" in html  # the delivery log
    # what visitors typed is shown as text, never as markup
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Und &lt;b&gt;Rabatte&lt;/b&gt;?" in html


def test_a_supporter_sends_a_failed_ticket_again(client, failed_ticket, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "backend.handoff.services.enqueue_on_commit", lambda name, *args: sent.append((name, args))
    )
    configure(delivery="webhook", webhook_url="https://hooks.example.org/lotse")
    login(client, SUPPORTERS)
    response = client.post(
        reverse("admin:handoff_handoff_changelist"),
        {"action": "send_again", "_selected_action": [failed_ticket.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed_ticket.refresh_from_db()
    assert failed_ticket.status == "requested"
    assert sent == [(Task.DELIVER_HANDOFF, (failed_ticket.pk,))]


@pytest.mark.parametrize(
    "name",
    [
        "handoff_openinghours_changelist",
        "handoff_holiday_add",
        "handoff_handoffsettings_changelist",
    ],
)
def test_supporters_do_not_configure(client, name):
    login(client, SUPPORTERS)
    assert client.get(reverse(f"admin:{name}")).status_code == 403


def test_editors_configure_hours_holidays_and_delivery(client):
    login(client, EDITORS)
    response = client.post(
        reverse("admin:handoff_openinghours_add"),
        {"weekday": 0, "opens": "09:00", "closes": "12:00"},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:handoff_handoffsettings_add")).status_code == 200
    assert client.get(reverse("admin:handoff_holiday_add")).status_code == 200


def test_closing_before_opening_is_refused(client):
    login(client, EDITORS)
    response = client.post(
        reverse("admin:handoff_openinghours_add"),
        {"weekday": 0, "opens": "12:00", "closes": "09:00"},
    )
    assert response.status_code == 200  # the form again, with the error


def test_visitors_see_no_hand_off_in_the_admin(client, failed_ticket):
    response = client.get(reverse("admin:handoff_handoff_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
