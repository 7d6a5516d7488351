from django.contrib import admin

from backend.ops.models import QueueProbe


@admin.register(QueueProbe)
class QueueProbeAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "main_worker", "crawler_worker", "rag_worker")
    readonly_fields = [field.name for field in QueueProbe._meta.fields]

    def has_add_permission(self, request):
        return False
