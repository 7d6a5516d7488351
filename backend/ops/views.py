"""Liveness and readiness endpoints for compose healthchecks and load balancers."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.ops.health import run_checks
from backend.ops.stores import describe_mode


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving requests; touches no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Every dependency reachable: 200, else 503 naming the failing checks.

    Anyone (a load balancer) gets the status and the names of the failing checks; only staff
    users see each check's latency and detail, whose error texts name hosts, ports and
    versions of the servers behind Lotse."""
    results = run_checks()
    ready = all(result.ok for result in results)
    body = {
        "status": "ok" if ready else "fail",
        "failing": [result.name for result in results if not result.ok],
    }
    if request.user.is_authenticated and request.user.is_staff:
        body["checks"] = {result.name: result.as_dict() for result in results}
        body["mode"] = describe_mode()
    return JsonResponse(body, status=200 if ready else 503)
