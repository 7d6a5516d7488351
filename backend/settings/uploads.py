"""What editors may upload and where visitors open it (backend/uploads; imported by ``base``)."""

from __future__ import annotations

from backend.settings.env import envint, envstr

# One uploaded file at most (refused, and not kept, past it); the proxy in front and Django's
# own limits must let requests of that size through (docs/operators.md).
UPLOAD_MAX_MB = envint("UPLOAD_MAX_MB", 50, minimum=1)
# Files per upload request (the admin takes several at once).
UPLOAD_MAX_FILES = envint("UPLOAD_MAX_FILES", 20, minimum=1)
# What a DOCX or ODT may unpack to: past it the file is refused as a possible zip bomb.
UPLOAD_MAX_UNPACKED_MB = envint("UPLOAD_MAX_UNPACKED_MB", 200, minimum=1)
# Lotse's public address, for the links citations give to uploaded files; unset:
# https://CHATBOT_HOST. Changing it needs a reindex (manage.py reindex).
PUBLIC_URL = envstr("LOTSE_PUBLIC_URL", "")
# Django reads the files of one request through these handlers; the first refuses a file
# past UPLOAD_MAX_MB while it streams in (backend/uploads/limits.py).
FILE_UPLOAD_HANDLERS = [
    "backend.uploads.limits.SizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
