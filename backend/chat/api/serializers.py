"""Request bodies of the public chat endpoints (validation, and the OpenAPI components)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.chat.models import Feedback


class ChatRequestSerializer(serializers.Serializer):
    # type, length and content are checked by the chat service, with their own error codes
    message = serializers.JSONField()
    conversation_id = serializers.UUIDField(required=False, allow_null=True)
    stream = serializers.BooleanField(required=False, default=True)
    language = serializers.ChoiceField(choices=["de", "en"], required=False)
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=50,
    )


RATINGS = {"up": Feedback.Rating.UP, "down": Feedback.Rating.DOWN}


class FeedbackRequestSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    rating = serializers.ChoiceField(choices=list(RATINGS))
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, trim_whitespace=True
    )

    def validate(self, attrs):
        attrs["rating_name"] = attrs["rating"]
        attrs["rating"] = int(RATINGS[attrs["rating"]])
        return attrs


class ChatErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable error code, e.g. rate_limited."))
    message = serializers.CharField(help_text=_("Readable explanation."))
