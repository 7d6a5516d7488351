"""Uploads in the admin: editors upload several files at once (the add view), replace one with
a new version, delete them (the row's delete, or in bulk: their chunks leave the index), and
see each one's status, error and chunks as for crawled documents. The role's model
permissions decide: add to upload, change to replace and re-index, delete to delete."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.uploads.forms import ReplaceFileForm, UploadFilesForm
from backend.uploads.limits import refusals
from backend.uploads.models import Upload
from backend.uploads.selectors import public_url, upload_chunks
from backend.uploads.services import (
    add_upload,
    read_file,
    reindex_uploads,
    replace_upload,
    too_big,
)
from rag.parsing.sniff import RejectedUpload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("__str__", "file_name", "kind", "status", "chunk_count", "page_count",
                    "language", "updated_at", "links")  # fmt: skip
    list_filter = ("status", "kind", "language")
    search_fields = ("title", "file_name", "error")
    readonly_fields = ("title", "file_name", "kind", "size", "status", "error", "chunk_count",
                       "page_count", "language", "uploaded_by", "last_indexed_at", "created_at",
                       "updated_at", "links")  # fmt: skip
    fields = readonly_fields
    actions = ["reindex_selected"]

    def get_urls(self):
        own = [
            path("<int:upload_id>/chunks/", self.admin_site.admin_view(self.chunks_view),
                 name="uploads_upload_chunks"),
            path("<int:upload_id>/replace/", self.admin_site.admin_view(self.replace_view),
                 name="uploads_upload_replace"),
        ]  # fmt: skip
        return own + super().get_urls()

    @admin.display(description=_("file and chunks"))
    def links(self, obj: Upload):
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · <a href="{}">{}</a>'
            ' · <a href="{}">{}</a>',
            public_url(obj.pk, obj.file_name), _("open the file"),
            reverse("admin:uploads_upload_chunks", args=[obj.pk]), _("show chunks"),
            reverse("admin:uploads_upload_replace", args=[obj.pk]), _("replace"),
        )  # fmt: skip

    def _refused(self, request, reason: str) -> None:
        self.message_user(request, reason, messages.ERROR)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadFilesForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            taken = 0
            for name in refusals(request):
                self._refused(request, too_big(name).reason)
            for uploaded in form.cleaned_data["files"]:
                try:
                    add_upload(uploaded.name, read_file(uploaded), request.user)
                    taken += 1
                except RejectedUpload as exc:
                    self._refused(request, exc.reason)
            if taken:
                self.message_user(
                    request,
                    ngettext("%(n)d file uploaded; it is being indexed.",
                             "%(n)d files uploaded; they are being indexed.", taken)
                    % {"n": taken},
                    messages.SUCCESS,
                )  # fmt: skip
                return HttpResponseRedirect(reverse("admin:uploads_upload_changelist"))
            if not refusals(request) and not form.cleaned_data["files"]:
                self._refused(request, _("Choose at least one file."))
        return self._form_page(request, form, _("Upload files"), None)

    def replace_view(self, request, upload_id: int):
        upload = get_object_or_404(Upload, pk=upload_id)
        if not self.has_change_permission(request, upload):
            raise PermissionDenied
        form = ReplaceFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                if refusals(request):
                    raise too_big(refusals(request)[0])
                if uploaded is None:
                    raise RejectedUpload(_("Choose a file."))
                changed = replace_upload(upload, uploaded.name, read_file(uploaded))
            except RejectedUpload as exc:
                self._refused(request, exc.reason)
            else:
                if changed:
                    text = _("The new version is being indexed; the current one stays until then.")
                else:
                    text = _("The file is unchanged: nothing is indexed again.")
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:uploads_upload_change", args=[upload.pk])
                )
        return self._form_page(request, form, _("Replace %(upload)s") % {"upload": upload}, upload)

    def _form_page(self, request, form, title, upload):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "original": upload,
        }
        return TemplateResponse(request, "admin/uploads/upload/upload_form.html", context)

    def chunks_view(self, request, upload_id: int):
        upload = get_object_or_404(Upload, pk=upload_id)
        if not self.has_view_permission(request, upload):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": upload,
            "link_url": public_url(upload.pk, upload.file_name),
            "link_text": upload.file_name,
            "title": _("Chunks of %(document)s") % {"document": upload},
            "chunks": upload_chunks(upload),
        }
        return TemplateResponse(request, "admin/chunks.html", context)

    @admin.action(description=_("Re-index"), permissions=["change"])
    def reindex_selected(self, request, queryset):
        queued = reindex_uploads(queryset)
        self.message_user(
            request,
            ngettext("%(n)d upload queued for indexing.", "%(n)d uploads queued for indexing.",
                     queued) % {"n": queued},
            messages.SUCCESS,
        )  # fmt: skip
