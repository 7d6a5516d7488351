# SimpleRouter: no API root view, which would list the endpoints to anyone signed in
from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.insights.api.views import GapView, HandOffStatsView
from backend.knowledge.api.views import KnowledgeEntryViewSet
from backend.sources.api.views import CrawlRunViewSet, SourceViewSet
from backend.uploads.api.views import UploadViewSet

router = SimpleRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("runs", CrawlRunViewSet, basename="crawlrun")
router.register("entries", KnowledgeEntryViewSet, basename="knowledgeentry")
router.register("uploads", UploadViewSet, basename="upload")

urlpatterns = [
    *router.urls,
    path("gaps/", GapView.as_view(), name="gaps"),
    path("handoff-stats/", HandOffStatsView.as_view(), name="handoff-stats"),
]
