"""Error pages: JSON under /api/, Django's plain pages elsewhere (never a debug page).

A URL under /api/ that matches no route (``/api/v1/runs/1.5/``) or a bug behind an API view
answers like the API does, so a client parsing JSON never gets HTML: the chat's
``{"code", "message"}`` under /api/v1/chat/, DRF's ``{"detail"}`` elsewhere.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _api_error(request, code: str, message: str, status: int) -> JsonResponse | None:
    if request.path.startswith("/api/v1/chat/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return None


def not_found(request, exception=None):
    response = _api_error(request, "not_found", _("Not found."), 404)
    return response or defaults.page_not_found(request, exception)


def server_error(request):
    message = _("Something went wrong. Please try again later.")
    response = _api_error(request, "internal_error", message, 500)
    return response or defaults.server_error(request)
