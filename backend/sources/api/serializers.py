from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from backend.sources.models import CrawlLogEntry, CrawlRun, Source


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "enabled",
            "kind",
            "start_urls",
            "wiki_api_url",
            "wiki_username",
            "wiki_password_env",
            "wiki_namespaces",
            "wiki_categories",
            "sitemap_urls",
            "trust_sitemap_lastmod",
            "revisit",
            "max_revisit_days",
            "render",
            "allowed_domains",
            "include_patterns",
            "exclude_patterns",
            "max_depth",
            "max_pages",
            "follow_pdfs",
            "schedule",
            "concurrency_per_host",
            "download_delay",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        """The model's cross-field rules (a wiki needs its API URL, a website a start URL)."""
        instance = Source(**{**self._current(), **attrs})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        names = [f for f in self.Meta.fields if f not in ("id", "created_at", "updated_at")]
        return {name: getattr(self.instance, name) for name in names}


class CrawlRunSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)

    class Meta:
        model = CrawlRun
        fields = [
            "id",
            "source",
            "source_name",
            "status",
            "trigger",
            *CrawlRun.COUNTERS,
            "complete",
            "finish_reason",
            "error",
            "stop_requested",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class CrawlLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CrawlLogEntry
        fields = ["url", "outcome", "reason", "http_status", "content_type", "depth", "at"]
        read_only_fields = fields
