"""Mounted at /api/v1/chat/handoff/: the public hand-off endpoints (in the OpenAPI schema by
backend/handoff/api/schema.py)."""

from django.urls import path

from backend.handoff.api import live_views, views

urlpatterns = [
    path("", views.request_handoff, name="chat-handoff"),
    path("options/", views.options, name="chat-handoff-options"),
    path("live/", live_views.start, name="chat-handoff-live"),
    path("live/<int:handoff_id>/", live_views.chat, name="chat-handoff-live-chat"),
]
