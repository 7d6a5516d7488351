"""Mounted at /api/v1/chat/handoff/: the public hand-off endpoints (in the OpenAPI schema by
backend/handoff/api/schema.py)."""

from django.urls import path

from backend.handoff.api import views

urlpatterns = [
    path("", views.request_handoff, name="chat-handoff"),
    path("options/", views.options, name="chat-handoff-options"),
]
