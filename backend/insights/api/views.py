"""The dashboard's numbers for integrators: content gaps and hand-offs
(``backend.insights.selectors``, ``backend.insights.handoffs``), for those who may read
conversations (``chat.view_conversation``, as the dashboard)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.chat.models import Conversation
from backend.insights.api.serializers import GapReportSerializer, HandOffStatsSerializer
from backend.insights.handoffs import handoff_report
from backend.insights.selectors import gaps_report

MAX_DAYS = 365
MAX_GAPS = 100
DAYS = OpenApiParameter("days", int, description=f"The last 1 to {MAX_DAYS} days (default 30)")


def days_asked(request) -> int:
    raw = request.query_params.get("days", "30")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        raise ValidationError(
            {"days": [_("A whole number of days from 1 to %(max)s.") % {"max": MAX_DAYS}]}
        )
    return int(raw)


class GapView(APIView):
    # RolePermissions reads the permission off the model: chat.view_conversation for a GET
    queryset = Conversation.objects.none()

    @extend_schema(parameters=[DAYS], responses=GapReportSerializer)
    def get(self, request):
        """The content gaps of the last ``days``: open and closed, and per week."""
        report = gaps_report(days_asked(request), shown=MAX_GAPS)
        return Response(GapReportSerializer(report).data)


class HandOffStatsView(APIView):
    queryset = Conversation.objects.none()  # chat.view_conversation, as the dashboard

    @extend_schema(parameters=[DAYS], responses=HandOffStatsSerializer)
    def get(self, request):
        """The hand-offs of the last ``days``: per day, waiting times, share handed off."""
        return Response(HandOffStatsSerializer(handoff_report(days_asked(request))).data)
