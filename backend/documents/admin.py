from django.contrib import admin

from backend.documents.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "source",
        "status",
        "content_type",
        "language",
        "chunk_count",
        "last_indexed_at",
    )
    list_filter = ("status", "source", "content_type", "language")
    search_fields = ("url", "title", "error")
    readonly_fields = [field.name for field in Document._meta.fields if field.name != "id"]
    list_select_related = ("source",)

    def has_add_permission(self, request):
        return False
