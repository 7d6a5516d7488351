"""What the sources/runs API answers besides success, for the OpenAPI schema.

Every operation there needs a token or the admin session and a role (``RolePermissions``):
without credentials ``401`` (``WWW-Authenticate: Token``), without the role's permission
``403``, after too many invalid tokens from one address ``429``. The hook adds these to each
operation, so the schema and the responses cannot drift apart operation by operation.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from backend.sources.api.serializers import CrawlLogEntrySerializer, CrawlRunSerializer
from backend.sources.models import CrawlLogEntry

API_ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Field name -> its errors; `detail` for an unreadable body.",
    "additionalProperties": True,
}


def _error(description: str, schema: str = "ApiError") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


AUTH_ERRORS = {
    "401": _error("No or invalid credentials (a token, or the admin's session)"),
    "403": _error("Signed in, but the role lacks the permission (or CSRF check failed)"),
    "429": _error("Too many invalid tokens from this address (see Retry-After)"),
}


FILTERS = {"source", "outcome", "days"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry for the authenticated operations."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ApiError"] = API_ERROR
    schemas["ValidationError"] = VALIDATION_ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if operation.get("security") == [{}]:
                continue  # public (the chat)
            responses = operation.setdefault("responses", {})
            for status, response in AUTH_ERRORS.items():
                responses.setdefault(status, response)
            parameters = {p["name"] for p in operation.get("parameters", [])}
            if "{" in path or "page" in parameters:
                responses.setdefault("404", _error("No such object, or no such page"))
            if method in ("post", "put", "patch") and operation.get("requestBody"):
                responses.setdefault("400", _error("Invalid fields", "ValidationError"))
            if parameters & FILTERS:
                responses.setdefault("400", _error("Invalid filter", "ValidationError"))
    return result


CRAWL_CONFLICT = inline_serializer(
    "CrawlConflict",
    fields={"detail": serializers.CharField(), "run": CrawlRunSerializer()},
)
CRAWL_RESPONSES = {
    202: OpenApiResponse(CrawlRunSerializer, description="The crawl is queued: the new run"),
    409: OpenApiResponse(CRAWL_CONFLICT, description="A crawl of the source is active"),
}
STOP_RESPONSES = {
    202: OpenApiResponse(CrawlRunSerializer, description="Asked to stop (queued: stopped)"),
    409: OpenApiResponse(CrawlRunSerializer, description="The run has ended already"),
}
LOG_PAGE = inline_serializer(
    "CrawlLogPage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": CrawlLogEntrySerializer(many=True),
    },
)
LOG_PARAMETERS = [
    OpenApiParameter(
        "outcome", str, enum=list(CrawlLogEntry.Outcome.values), description="Only this outcome"
    ),
    OpenApiParameter("page", int, description="Page number (100 entries a page)"),
]
RUN_LIST_PARAMETERS = [OpenApiParameter("source", int, description="Only this source's runs")]
