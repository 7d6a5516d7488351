"""The widget's script, the demo page and the admin page that builds the script tag."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backend.widget.forms import WidgetOptionsForm
from backend.widget.snippet import SCRIPT_PATH, WidgetOptions, script_tag

# widget.js is authored in parts by job and served as one file, joined in this order: no
# build step, and the browser still makes one request. Part 1 opens the closure all parts
# share, the last (6-start.js) closes it.
WIDGET_SRC = Path(__file__).resolve().parent / "src"
WIDGET_PARTS = tuple(
    WIDGET_SRC / name
    for name in (
        "1-texts.js",
        "2-options.js",
        "3-markdown.js",
        "4-ui.js",
        "5-handoff.js",
        "5-transport.js",
        "5-matomo.js",
        "6-start.js",
    )
)
# Customers' pages pick up a new widget version within this time.
SCRIPT_MAX_AGE_S = 3600


@dataclass(frozen=True)
class Script:
    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=2)
def _script(mtimes_ns: tuple[int, ...]) -> Script:
    body = b"".join(part.read_bytes() for part in WIDGET_PARTS)
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Script(body, gzip.compress(body, compresslevel=9, mtime=0), etag)


def load_script() -> Script:
    """The joined script, built once; keyed by the parts' mtimes, so an edited part is served
    without a restart."""
    return _script(tuple(part.stat().st_mtime_ns for part in WIDGET_PARTS))


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """GET /widget/widget.js: the script customers embed, gzipped when the browser accepts it."""
    script = load_script()
    if request.headers.get("If-None-Match") == script.etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(script.gzipped, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(script.body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = script.etag
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE_S}"
    # any website may load the script; only WEBSITE_HOST may use the chat API
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def script_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(SCRIPT_PATH)


# Only the language: the demo shows the greeting and suggested questions editors set under
# Chat texts, as a customer's page with a plain script tag does.
DEMO_OPTIONS = {"de": WidgetOptions(language="de"), "en": WidgetOptions(language="en")}


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """GET /demo/: a sample customer page embedding the widget with the same tag they paste."""
    lang = "en" if request.GET.get("lang") == "en" else "de"
    tag = script_tag(script_url(request), DEMO_OPTIONS[lang])
    return render(request, "widget/demo.html", {"lang": lang, "script_tag": tag})


def snippet_admin(request: HttpRequest) -> HttpResponse:
    """Admin: the options form and the script tag built from it (?format=json for live updates)."""
    form = WidgetOptionsForm(request.GET if request.GET else None)
    options = form.options() if form.is_bound and form.is_valid() else WidgetOptions()
    tag = script_tag(script_url(request), options)
    if request.GET.get("format") == "json":
        return JsonResponse({"snippet": tag, "errors": form.errors if form.is_bound else {}})
    context = {
        **admin.site.each_context(request),
        "title": _("Chat widget: script tag"),
        "form": form,
        "snippet": tag,
        "script_size": len(load_script().gzipped),
        "allowed_origins": list(settings.WEBSITE_HOST),
    }
    return render(request, "widget/admin_snippet.html", context)
