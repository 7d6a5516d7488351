"""The contact form's body (types here; contents in backend.handoff.services.clean_contact)."""

from __future__ import annotations

from rest_framework import serializers

from backend.handoff.services import REASONS


class HandOffRequestSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField(required=False, allow_null=True)
    name = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=10_000
    )
    email = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=10_000
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=10_000
    )
    message = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    consent = serializers.BooleanField()
    language = serializers.ChoiceField(choices=["de", "en"], required=False)
    reason = serializers.ChoiceField(choices=list(REASONS), required=False)
