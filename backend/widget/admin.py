"""The admin index links the script-tag page (it has no model, so no entry of its own)."""

from django.contrib import admin

admin.site.index_template = "widget/admin_index.html"
