from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backend.ops.models import QueueProbe

admin.site.site_header = _("Lotse administration")
admin.site.site_title = _("Lotse")
admin.site.index_title = _("Sources, crawls, index and conversations")


@admin.register(QueueProbe)
class QueueProbeAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "main_worker", "crawler_worker", "rag_worker")
    readonly_fields = [field.name for field in QueueProbe._meta.fields]

    def has_add_permission(self, request):
        return False
