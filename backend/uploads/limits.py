"""The size limit of one uploaded file, applied while the request streams in: a file past
UPLOAD_MAX_MB is dropped chunk by chunk as it arrives (Django's ``SkipFile``), never kept in
memory or on disk, and the request carries its name in ``upload_refusals`` for the view to
tell the editor. (The proxy in front refuses a request larger than its own limit before any
of it reaches Lotse: docs/operators.md.)"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def refusals(request) -> list[str]:
    """The names of the files of ``request`` that were over the limit."""
    return getattr(request, "upload_refusals", [])


class SizeLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes each chunk on until the file is over the limit."""

    def new_file(self, field_name, file_name, *args, **kwargs) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.limit = settings.UPLOAD_MAX_MB * 2**20
        if not hasattr(self.request, "upload_refusals"):
            self.request.upload_refusals = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.request.upload_refusals.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
