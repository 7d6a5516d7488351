"""The two roles of the admin, as Django groups: editors and administrators.

Editors manage sources and crawls, re-index documents, read conversations, keep the test
questions and run evaluations; administrators may do everything (users, tokens, settings).
``ensure_roles`` runs after every ``migrate`` and as ``manage.py setup_roles``; it only adds
what is missing, so running it again changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
ADMINISTRATORS = "Administrators"

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
}


def editor_permissions() -> list[Permission]:
    wanted = [
        f"{action}_{model}"
        for models in EDITOR_PERMISSIONS.values()
        for model, actions in models.items()
        for action in actions
    ]
    return list(
        Permission.objects.filter(
            content_type__app_label__in=EDITOR_PERMISSIONS, codename__in=wanted
        )
    )


def ensure_roles() -> tuple[Group, Group]:
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*editor_permissions())
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(*Permission.objects.all())
    return editors, administrators
