from rest_framework import serializers

from backend.uploads.models import Upload
from backend.uploads.selectors import public_url


class UploadSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the file is served (citations).")
    replacement_pending = serializers.SerializerMethodField(
        help_text="A new version is waiting for its indexing (the current one stays till then)."
    )

    class Meta:
        model = Upload
        fields = [
            "id", "title", "file_name", "kind", "size", "url", "status", "error", "chunk_count",
            "page_count", "language", "replacement_pending", "uploaded_by", "last_indexed_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, obj: Upload) -> str:
        return public_url(obj.pk, obj.file_name)

    def get_replacement_pending(self, obj: Upload) -> bool:
        return bool(obj.pending_hash)


class FileSerializer(serializers.Serializer):
    """A multipart request with one file: PDF, DOCX, ODT, HTML, TXT or Markdown."""

    file = serializers.FileField(help_text="The file (multipart/form-data).")


class ChunkSerializer(serializers.Serializer):
    chunk_index = serializers.IntegerField()
    text = serializers.CharField()
    heading_path = serializers.ListField(child=serializers.CharField())
    page = serializers.IntegerField(allow_null=True, required=False)
    language = serializers.CharField(allow_blank=True, required=False)
