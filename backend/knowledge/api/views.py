"""Knowledge entries for integrators: the same role permissions as sources
(``backend.ops.permissions.RolePermissions``, the REST default), as in the admin."""

from __future__ import annotations

from rest_framework import viewsets

from backend.knowledge.api.serializers import KnowledgeEntrySerializer
from backend.knowledge.models import KnowledgeEntry


class KnowledgeEntryViewSet(viewsets.ModelViewSet):
    queryset = KnowledgeEntry.objects.prefetch_related("sources")
    serializer_class = KnowledgeEntrySerializer

    def perform_create(self, serializer) -> None:
        serializer.save(author=self.request.user)
