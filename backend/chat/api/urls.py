"""Mounted at /api/: the public chat endpoints and the OpenAPI schema with its docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.chat.api import views

urlpatterns = [
    path("v1/chat/", views.chat, name="chat"),
    path("v1/chat/config/", views.widget_config, name="chat-config"),
    path(
        "v1/chat/messages/<int:message_id>/feedback/",
        views.feedback,
        name="chat-feedback",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-docs"),
]
