"""Mounts the insights pages in the admin site: /admin/dashboard/ and /admin/retrieval/."""

from django.contrib import admin
from django.urls import path

from backend.insights.views import dashboard_view, retrieval_debugger_view

_original_get_urls = admin.site.get_urls


def _get_urls():
    own = [
        path("dashboard/", admin.site.admin_view(dashboard_view), name="dashboard"),
        path("retrieval/", admin.site.admin_view(retrieval_debugger_view), name="retrieval"),
    ]
    return own + _original_get_urls()


admin.site.get_urls = _get_urls
