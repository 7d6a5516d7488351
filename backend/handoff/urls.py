"""Included at the site root, before the admin (whose catch-all would hide these): the
supporters' live-chat inbox (backend/handoff/inbox.py)."""

from django.contrib import admin
from django.urls import path

from backend.handoff import inbox

urlpatterns = [
    path("admin/handoff/inbox/", admin.site.admin_view(inbox.page), name="handoff-inbox"),
    path(
        "admin/handoff/inbox/state/", admin.site.admin_view(inbox.state), name="handoff-inbox-state"
    ),
    path(
        "admin/handoff/inbox/<int:handoff_id>/<str:name>/",
        admin.site.admin_view(inbox.action),
        name="handoff-inbox-action",
    ),
]
