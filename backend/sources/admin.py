from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backend.sources.models import CrawlRun, Source


class CrawlRunInline(admin.TabularInline):
    model = CrawlRun
    extra = 0
    can_delete = False
    max_num = 0
    show_change_link = True
    fields = (
        "status",
        "trigger",
        "created_at",
        "finished_at",
        "fetched",
        "new",
        "changed",
        "failed",
    )
    readonly_fields = fields
    ordering = ("-created_at",)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "schedule", "first_start_url", "max_pages", "updated_at")
    list_filter = ("enabled", "schedule", "follow_pdfs")
    search_fields = ("name", "start_urls", "allowed_domains")
    inlines = [CrawlRunInline]
    fieldsets = (
        (None, {"fields": ("name", "enabled", "start_urls", "sitemap_urls")}),
        (
            _("Scope"),
            {
                "fields": (
                    "allowed_domains",
                    "include_patterns",
                    "exclude_patterns",
                    "max_depth",
                    "max_pages",
                    "follow_pdfs",
                )
            },
        ),
        (
            _("Schedule and politeness"),
            {"fields": ("schedule", "concurrency_per_host", "download_delay")},
        ),
    )

    @admin.display(description=_("start URL"))
    def first_start_url(self, obj: Source) -> str:
        urls = obj.start_url_list
        return urls[0] + (f" (+{len(urls) - 1})" if len(urls) > 1 else "") if urls else ""


@admin.register(CrawlRun)
class CrawlRunAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "source",
        "status",
        "trigger",
        "created_at",
        "duration",
        "fetched",
        "new",
        "changed",
        "unchanged",
        "gone",
        "skipped",
        "failed",
    )
    list_filter = ("status", "trigger", "source", "created_at")
    search_fields = ("source__name", "error")
    readonly_fields = [field.name for field in CrawlRun._meta.fields]
    list_select_related = ("source",)

    def has_add_permission(self, request):
        return False
