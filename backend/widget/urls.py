"""Included at the site root, before the admin (whose catch-all would hide admin/widget/)."""

from django.contrib import admin
from django.urls import path

from backend.widget import views

urlpatterns = [
    path("widget/widget.js", views.widget_js, name="widget-js"),
    path("demo/", views.demo, name="widget-demo"),
    path("admin/widget/", admin.site.admin_view(views.snippet_admin), name="widget-snippet"),
]
