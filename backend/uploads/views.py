"""Uploaded files as visitors open them from a citation: public (the chat cites only what it
may show), the version the index holds, with its own content type, ``inline``, and never
something a browser could run as Lotse.

HTML is served as HTML (readers see the document as its author laid it out) under a CSP
``sandbox`` with ``default-src 'none'``: the browser gives it an opaque origin, runs none of
its scripts, submits none of its forms and loads nothing from anywhere, so an uploaded page can
neither act as Lotse (its cookies, its API) nor track whoever opens it. Markdown is served as
``text/plain``: browsers show it inline, where ``text/markdown`` is often only downloaded.
``X-Content-Type-Options: nosniff`` everywhere, so no browser second-guesses the type.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from backend.ops.stores import page_store
from backend.uploads.models import Upload, store_url
from rag.parsing.sniff import content_type_of

SANDBOX = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@require_safe
def serve_file(request: HttpRequest, upload_id: int, name: str) -> HttpResponse:
    upload = Upload.objects.filter(pk=upload_id).exclude(indexed_hash="").first()
    if upload is None:
        raise Http404("no such file")
    body = page_store().load_body(store_url(upload.pk, upload.indexed_hash))
    if body is None:
        raise Http404("no such file")
    content_type = (
        "text/plain; charset=utf-8" if upload.kind == "markdown" else content_type_of(upload.kind)
    )
    if request.headers.get("If-None-Match") == f'"{upload.indexed_hash}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, upload.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{upload.indexed_hash}"'
    # a replacement is seen at once: the browser asks again each time (a 304 when unchanged)
    response["Cache-Control"] = "public, no-cache"
    if upload.kind == "html":
        response["Content-Security-Policy"] = SANDBOX
    return response
