"""The roles of the admin and the API, as Django groups: viewers, editors, supporters and
administrators.

Viewers read what editors work with (sources, crawl runs and their logs, documents,
conversations and feedback, chat texts) and change nothing. Editors manage sources and crawls,
re-index documents, read conversations, edit the chat texts, write knowledge entries, upload files, keep the
test questions and run evaluations, keep the opening hours and the hand-off settings (ticket
delivery). Supporters see the hand-offs visitors asked for, with their transcripts and
delivery logs, send a failed ticket again, and answer live chats in the inbox
(``backend.handoff.inbox``, with administrators); nothing else. Administrators may do everything (users, tokens, settings). A staff user in no group sees nothing in the admin and
gets 403 from every API endpoint: both check the same model permissions
(``backend.ops.permissions``).

``ensure_roles`` runs after every ``migrate`` and as ``manage.py setup_roles``; it only adds
what is missing, so running it again changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

VIEWERS = "Viewers"
EDITORS = "Editors"
ADMINISTRATORS = "Administrators"
SUPPORTERS = "Supporters"

EDITOR_PERMISSIONS = {
    "sources": {
        "source": ("add", "change", "delete", "view"),
        "crawlrun": ("change", "view"),  # change = stop a run
        "crawllogentry": ("view",),
    },
    "documents": {"document": ("change", "view")},  # change = re-index
    "chat": {
        "conversation": ("view",),
        "message": ("view",),
        "feedback": ("view",),
        "chattexts": ("add", "change", "view"),
    },
    "evaluation": {
        "testquestion": ("add", "change", "delete", "view"),
        "evaluationrun": ("add", "view"),  # add = start an evaluation
    },
    "knowledge": {"knowledgeentry": ("add", "change", "delete", "view")},
    "handoff": {
        "handoff": ("change", "view"),  # change = send a ticket again
        "deliveryattempt": ("view",),
        "handoffsettings": ("add", "change", "view"),
        "openinghours": ("add", "change", "delete", "view"),
        "holiday": ("add", "change", "delete", "view"),
    },
    "uploads": {"upload": ("add", "change", "delete", "view")},  # change = replace, re-index
}

# Hand-offs and their tickets: to read, and to send a failed one again.
SUPPORTER_PERMISSIONS = {
    "handoff": {"handoff": ("change", "view"), "deliveryattempt": ("view",)},
}

# The same models, to look at only.
VIEWER_PERMISSIONS = {
    app: {model: ("view",) for model in models} for app, models in EDITOR_PERMISSIONS.items()
}


def _permissions(wanted_by_app: dict[str, dict[str, tuple[str, ...]]]) -> list[Permission]:
    wanted = Permission.objects.none()
    for app_label, models in wanted_by_app.items():
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        wanted |= Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
    return list(wanted)


def editor_permissions() -> list[Permission]:
    return _permissions(EDITOR_PERMISSIONS)


def viewer_permissions() -> list[Permission]:
    return _permissions(VIEWER_PERMISSIONS)


def supporter_permissions() -> list[Permission]:
    return _permissions(SUPPORTER_PERMISSIONS)


def ensure_roles() -> tuple[Group, Group, Group, Group]:
    supporters, _ = Group.objects.get_or_create(name=SUPPORTERS)
    supporters.permissions.add(*supporter_permissions())
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.add(*viewer_permissions())
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*editor_permissions())
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(*Permission.objects.all())
    return viewers, editors, supporters, administrators
