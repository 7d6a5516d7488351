from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from backend.knowledge.models import KnowledgeEntry


class KnowledgeEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeEntry
        fields = [
            "id",
            "question",
            "alternative_questions",
            "answer",
            "language",
            "read_more_url",
            "valid_from",
            "valid_until",
            "sources",
            "author",
            "status",
            "error",
            "chunk_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "author", "status", "error", "chunk_count", "created_at", "updated_at",
        ]  # fmt: skip
        # blank text reaches validate(), which says what is missing in the model's words
        extra_kwargs = {"question": {"allow_blank": True}, "answer": {"allow_blank": True}}

    def validate(self, attrs: dict) -> dict:
        """The model's own checks (empty answer, absurd validity), as the admin runs them."""
        checked = ("question", "answer", "valid_from", "valid_until")
        values = {name: getattr(self.instance, name) for name in checked} if self.instance else {}
        values.update({name: attrs[name] for name in checked if name in attrs})
        try:
            KnowledgeEntry(**values).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs
