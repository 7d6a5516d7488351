from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import CrawlAlreadyRunning, explain_url, request_stop, start_crawl


class TestUrlForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=2000)


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
    list_display = (
        "name", "kind", "enabled", "schedule", "first_start_url", "max_pages", "last_run",
    )  # fmt: skip
    list_filter = ("kind", "enabled", "schedule", "follow_pdfs", "render")
    search_fields = ("name", "start_urls", "allowed_domains")
    inlines = [CrawlRunInline]
    actions = ["crawl_now", "stop_crawls"]
    fieldsets = (
        (
            None,
            {"fields": ("name", "enabled", "kind", "start_urls", "sitemap_urls")},
        ),
        (
            _("MediaWiki"),
            {
                "description": _(
                    "For a source of the type MediaWiki: the wiki is read through its API, "
                    "page by page as its parser renders them; start URLs, sitemaps and link "
                    "depth do not apply."
                ),
                "fields": (
                    "wiki_api_url",
                    "wiki_username",
                    "wiki_password_env",
                    "wiki_namespaces",
                    "wiki_categories",
                ),
            },
        ),
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
                    "render",
                )
            },
        ),
        (
            _("Recrawls"),
            {"fields": ("trust_sitemap_lastmod", "revisit", "max_revisit_days")},
        ),
        (
            _("Schedule and politeness"),
            {"fields": ("schedule", "concurrency_per_host", "download_delay")},
        ),
    )

    change_form_template = "admin/sources/source/change_form.html"

    def get_urls(self):
        own = [
            path(
                "<int:source_id>/test-url/",
                self.admin_site.admin_view(self.test_url_view),
                name="sources_source_test_url",
            ),
            path(
                "<int:source_id>/crawl/",
                self.admin_site.admin_view(self.crawl_view),
                name="sources_source_crawl",
            ),
        ]
        return own + super().get_urls()

    def test_url_view(self, request, source_id: int):
        source = get_object_or_404(Source, pk=source_id)
        if not self.has_view_permission(request, source):
            raise PermissionDenied
        form = TestUrlForm(request.POST or None)
        result = explain_url(source, form.cleaned_data["url"]) if form.is_valid() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": source,
            "title": _("Test a URL against %(source)s") % {"source": source},
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/sources/source/test_url.html", context)

    def crawl_view(self, request, source_id: int):
        """The "Crawl now" button of the change page (POST only)."""
        source = get_object_or_404(Source, pk=source_id)
        if request.method != "POST" or not self.has_change_permission(request, source):
            raise PermissionDenied
        try:
            run = start_crawl(source, CrawlRun.Trigger.ADMIN)
        except CrawlAlreadyRunning as exc:
            self.message_user(request, str(exc), messages.WARNING)
            run = exc.run
        else:
            self.message_user(request, _("Crawl started."), messages.SUCCESS)
        return redirect("admin:sources_crawlrun_change", run.pk)

    @admin.display(description=_("start URL"))
    def first_start_url(self, obj: Source) -> str:
        urls = [obj.wiki_api_url] if obj.is_wiki else obj.start_url_list
        return urls[0] + (f" (+{len(urls) - 1})" if len(urls) > 1 else "") if urls else ""

    @admin.display(description=_("last crawl"))
    def last_run(self, obj: Source):
        run = obj.runs.order_by("-created_at").first()
        if run is None:
            return "-"
        url = reverse("admin:sources_crawlrun_change", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run.get_status_display())

    @admin.action(description=_("Crawl now"), permissions=["change"])
    def crawl_now(self, request, queryset):
        started = 0
        for source in queryset:
            try:
                start_crawl(source, CrawlRun.Trigger.ADMIN)
                started += 1
            except CrawlAlreadyRunning as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if started:
            self.message_user(
                request,
                ngettext("%(n)d crawl started.", "%(n)d crawls started.", started) % {"n": started},
                messages.SUCCESS,
            )

    @admin.action(description=_("Stop running crawls"), permissions=["change"])
    def stop_crawls(self, request, queryset):
        runs = CrawlRun.objects.filter(source__in=queryset, status__in=CrawlRun.ACTIVE_STATUSES)
        stopped = sum(request_stop(run) for run in runs)
        self.message_user(
            request,
            ngettext("%(n)d crawl asked to stop.", "%(n)d crawls asked to stop.", stopped)
            % {"n": stopped},
            messages.SUCCESS if stopped else messages.INFO,
        )


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
        "log_link",
    )
    list_filter = ("status", "trigger", "source", "created_at")
    search_fields = ("source__name", "error")
    # Status and counters are shown live above the form (change_form.html polls them).
    fields = (
        "source",
        "trigger",
        "created_at",
        "started_at",
        "finished_at",
        "complete",
        "finish_reason",
        "error",
        "stop_requested",
    )
    readonly_fields = fields
    list_select_related = ("source",)
    actions = ["stop"]
    change_form_template = "admin/sources/crawlrun/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        own = [
            path(
                "<int:run_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="sources_crawlrun_progress",
            ),
            path(
                "<int:run_id>/stop/",
                self.admin_site.admin_view(self.stop_view),
                name="sources_crawlrun_stop",
            ),
        ]
        return own + super().get_urls()

    def progress_view(self, request, run_id: int):
        """The run's live counters as JSON, polled by its change page."""
        run = get_object_or_404(CrawlRun.objects.select_related("source"), pk=run_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        done = run.fetched + run.skipped + run.failed + run.gone
        return JsonResponse(
            {
                "status": run.status,
                "status_display": str(run.get_status_display()),
                "active": run.is_active,
                "counters": {name: getattr(run, name) for name in CrawlRun.COUNTERS},
                "done": done,
                "ceiling": max(run.source.max_pages, done),
                "duration_s": _seconds(run),
                "error": run.error,
                "explanation": run.explanation,
                "complete": run.complete,
            }
        )

    def stop_view(self, request, run_id: int):
        run = get_object_or_404(CrawlRun, pk=run_id)
        if request.method != "POST" or not self.has_change_permission(request, run):
            raise PermissionDenied
        if request_stop(run):
            self.message_user(request, _("The crawl was asked to stop."), messages.SUCCESS)
        return redirect("admin:sources_crawlrun_change", run.pk)

    @admin.display(description=_("per-URL log"))
    def log_link(self, obj: CrawlRun):
        url = reverse("admin:sources_crawllogentry_changelist") + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("per-URL log"))

    @admin.action(description=_("Stop"), permissions=["change"])
    def stop(self, request, queryset):
        stopped = sum(request_stop(run) for run in queryset)
        self.message_user(
            request,
            ngettext("%(n)d crawl asked to stop.", "%(n)d crawls asked to stop.", stopped)
            % {"n": stopped},
        )


@admin.register(CrawlLogEntry)
class CrawlLogEntryAdmin(admin.ModelAdmin):
    list_display = ("url", "outcome", "reason", "http_status", "content_type", "depth", "at")
    list_filter = ("outcome", "reason", "run__source", "http_status")
    search_fields = ("url", "reason")
    readonly_fields = [field.name for field in CrawlLogEntry._meta.fields]
    list_select_related = ("run",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _seconds(run: CrawlRun) -> float | None:
    from django.utils import timezone

    if not run.started_at:
        return None
    return round(((run.finished_at or timezone.now()) - run.started_at).total_seconds(), 1)
