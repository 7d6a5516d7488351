"""The content gaps as the dashboard shows them, for integrators."""

from __future__ import annotations

from rest_framework import serializers


class GapSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The most frequent wording")
    count = serializers.IntegerField(help_text="How often it (or a similar wording) was asked")
    examples = serializers.ListField(child=serializers.CharField(), help_text="Up to 5 wordings")
    comments = serializers.ListField(
        child=serializers.CharField(), help_text="What visitors wrote with a thumbs-down"
    )
    first_asked = serializers.DateTimeField(allow_null=True)
    closed = serializers.BooleanField(help_text="A matching entry exists and is valid now")
    entry = serializers.IntegerField(
        source="entry_id", allow_null=True, help_text="The entry that closes it"
    )
    entry_outside_validity = serializers.IntegerField(
        source="idle_entry_id",
        allow_null=True,
        help_text="A matching entry that has expired or does not apply yet (the gap is open)",
    )


class GapWeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()
    reopened = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Gaps of the period still open at the week's end")


class GapReportSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    open = serializers.IntegerField(source="gaps_open")
    closed = serializers.IntegerField(source="gaps_closed")
    gaps = GapSerializer(many=True, help_text="The most asked, at most 100")
    per_week = GapWeekSerializer(many=True, source="gaps_per_week")


class HandOffDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    tickets = serializers.IntegerField()
    live = serializers.IntegerField()


class HandOffStatsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    tickets = serializers.IntegerField(help_text="Ticket hand-offs requested in the period")
    live = serializers.IntegerField(help_text="Live-chat hand-offs requested in the period")
    never_taken = serializers.IntegerField(help_text="Live hand-offs no supporter took over")
    undelivered = serializers.IntegerField(
        help_text="Tickets sent out by a delivery that never succeeded"
    )
    live_wait_p50 = serializers.FloatField(
        allow_null=True, help_text="Seconds from the request until a supporter took it over"
    )
    live_wait_p95 = serializers.FloatField(allow_null=True)
    ticket_wait_p50 = serializers.FloatField(
        allow_null=True,
        help_text="Seconds from the request until the first successful delivery attempt",
    )
    ticket_wait_p95 = serializers.FloatField(allow_null=True)
    conversations = serializers.IntegerField(help_text="Conversations with a question")
    conversations_handed_off = serializers.IntegerField()
    handed_off_pct = serializers.IntegerField(allow_null=True)
    per_day = HandOffDaySerializer(many=True, help_text="Every day of the period, oldest first")
