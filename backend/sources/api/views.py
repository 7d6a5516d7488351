"""Sources and crawl runs for integrators: API token or admin session, and the role's model
permissions (``backend.ops.permissions.RolePermissions``, the REST default), as in the admin."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from backend.sources.api.schema import (
    CRAWL_RESPONSES,
    LOG_PAGE,
    LOG_PARAMETERS,
    RUN_LIST_PARAMETERS,
    STOP_RESPONSES,
)
from backend.sources.api.serializers import (
    CrawlLogEntrySerializer,
    CrawlRunSerializer,
    SourceSerializer,
)
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import CrawlAlreadyRunning, request_stop, start_crawl


class SourceViewSet(viewsets.ModelViewSet):
    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    # as the admin's "Crawl now": changing the source
    action_permissions = {"crawl": ["sources.change_source"]}

    @extend_schema(request=None, responses=CRAWL_RESPONSES)
    @action(detail=True, methods=["post"])
    def crawl(self, request, pk=None):
        """Start a crawl; 409 with the active run if one is queued or running."""
        source = self.get_object()
        try:
            run = start_crawl(source, CrawlRun.Trigger.API)
        except CrawlAlreadyRunning as exc:
            return Response(
                {"detail": str(exc), "run": CrawlRunSerializer(exc.run).data},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(CrawlRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(list=extend_schema(parameters=RUN_LIST_PARAMETERS))
class CrawlRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CrawlRunSerializer
    # as the admin's "Stop" (changing the run) and its per-URL log
    action_permissions = {
        "stop": ["sources.change_crawlrun"],
        "log": ["sources.view_crawlrun", "sources.view_crawllogentry"],
    }

    def get_queryset(self):
        runs = CrawlRun.objects.select_related("source")
        source = self.request.query_params.get("source")
        if source is not None and self.action == "list":
            if not (source.isascii() and source.isdigit() and len(source) <= 18):
                raise ValidationError({"source": [_("A source id (a whole number).")]})
            runs = runs.filter(source_id=int(source))
        return runs

    @extend_schema(request=None, responses=STOP_RESPONSES)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        run = self.get_object()
        stopped = request_stop(run)
        run.refresh_from_db()
        return Response(
            CrawlRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED if stopped else status.HTTP_409_CONFLICT,
        )

    @extend_schema(parameters=LOG_PARAMETERS, responses=LOG_PAGE)
    @action(detail=True, methods=["get"])
    def log(self, request, pk=None):
        """The run's per-URL log; ``?outcome=skipped`` filters."""
        entries = CrawlLogEntry.objects.filter(run=self.get_object())
        outcome = request.query_params.get("outcome")
        if outcome is not None:
            if outcome not in CrawlLogEntry.Outcome.values:
                choices = ", ".join(CrawlLogEntry.Outcome.values)
                raise ValidationError(
                    {"outcome": [_("One of: %(choices)s.") % {"choices": choices}]}
                )
            entries = entries.filter(outcome=outcome)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(CrawlLogEntrySerializer(page, many=True).data)
