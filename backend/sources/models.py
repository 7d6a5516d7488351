"""What editors configure (Source) and what each crawl did (CrawlRun)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.sources.explanations import FINISH_EXPLANATIONS
from backend.sources.validators import (  # noqa: F401 (the migrations name them here)
    WIKI_PASSWORD_ENV_PREFIX,
    lines,
    namespace_numbers,
    validate_finite,
    validate_namespaces,
    validate_pattern_lines,
    validate_url_lines,
    validate_wiki_password_env,
)
from crawler.events import Outcome as CrawlOutcome

# Sane bounds for what an editor (admin) or integrator (API) sets on a source: a crawl that
# asks a site too often, forever, or waits a day between requests helps nobody.
MAX_DEPTH = 100
MAX_PAGES = 1_000_000
MAX_CONCURRENCY_PER_HOST = 16
MAX_DOWNLOAD_DELAY_S = 60.0


class Source(models.Model):
    """A website (or part of one) that Lotse crawls and indexes."""

    class Schedule(models.TextChoices):
        MANUAL = "manual", _("Only when started by hand")
        HOURLY = "hourly", _("Every hour")
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")

    class Kind(models.TextChoices):
        WEBSITE = "website", _("Website (crawled by following links)")
        MEDIAWIKI = "mediawiki", _("MediaWiki (read through its API)")

    class Revisit(models.TextChoices):
        EVERY_CRAWL = "every_crawl", _("At every crawl (conditional requests)")
        WHEN_STALE = "when_stale", _("Only when possibly outdated (HTTP caching rules)")

    class Render(models.TextChoices):
        NEVER = "never", _("Never")
        AUTO = "auto", _("When a page looks built by JavaScript")
        ALWAYS = "always", _("Always")

    name = models.CharField(_("name"), max_length=200, unique=True)
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Disabled sources are not crawled on schedule.")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.WEBSITE)
    start_urls = models.TextField(
        _("start URLs"),
        blank=True,
        validators=[validate_url_lines],
        help_text=_("One URL per line. The crawl starts here and follows links."),
    )
    wiki_api_url = models.URLField(
        _("wiki API URL"),
        max_length=2000,
        blank=True,
        validators=[validate_url_lines],
        help_text=_(
            "For a MediaWiki: the address of its api.php, e.g. https://wiki.example.org/w/api.php."
        ),
    )
    wiki_username = models.CharField(
        _("bot user name"),
        max_length=255,
        blank=True,
        help_text=_("Optional: a bot password's login name from Special:BotPasswords (User@name)."),
    )
    wiki_password_env = models.CharField(
        _("bot password variable"),
        max_length=100,
        blank=True,
        validators=[validate_wiki_password_env],
        help_text=_(
            "The environment variable of the server that holds the bot password (the password "
            "itself is never stored in Lotse), e.g. WIKI_PASSWORD_INTRANET."
        ),
    )
    wiki_namespaces = models.CharField(
        _("namespaces"),
        max_length=200,
        blank=True,
        validators=[validate_namespaces],
        help_text=_("Namespace numbers, separated by commas. Empty: the articles (0)."),
    )
    wiki_categories = models.TextField(
        _("categories"),
        blank=True,
        help_text=_(
            "One category name per line (without “Category:”): only their pages are indexed. "
            "Empty: every page of the namespaces."
        ),
    )
    sitemap_urls = models.TextField(
        _("sitemap URLs"),
        blank=True,
        validators=[validate_url_lines],
        help_text=_("One per line. Sitemaps named in robots.txt are found automatically."),
    )
    allowed_domains = models.TextField(
        _("allowed domains"),
        blank=True,
        help_text=_(
            "One host name per line (subdomains included). Empty: the hosts of the start URLs."
        ),
    )
    include_patterns = models.TextField(
        _("include patterns"),
        blank=True,
        validators=[validate_pattern_lines],
        help_text=_("Regular expressions, one per line. If set, only matching URLs are indexed."),
    )
    exclude_patterns = models.TextField(
        _("exclude patterns"),
        blank=True,
        validators=[validate_pattern_lines],
        help_text=_("Regular expressions, one per line. Matching URLs are never fetched."),
    )
    max_depth = models.PositiveIntegerField(
        _("maximum link depth"),
        default=10,
        validators=[MaxValueValidator(MAX_DEPTH)],
        help_text=_("Links followed from a start URL."),
    )
    max_pages = models.PositiveIntegerField(
        _("maximum pages"),
        default=5000,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PAGES)],
        help_text=_("The crawl stops after this many fetches."),
    )
    follow_pdfs = models.BooleanField(_("index linked PDFs"), default=True)
    trust_sitemap_lastmod = models.BooleanField(
        _("trust the sitemap's lastmod"),
        default=True,
        help_text=_(
            "A recrawl skips pages whose last modification in the sitemap is older than Lotse's "
            "copy (checked with the server at least once a week). Turn off for a site whose "
            "sitemap dates are wrong."
        ),
    )
    revisit = models.CharField(
        _("recheck unchanged pages"),
        max_length=20,
        choices=Revisit.choices,
        default=Revisit.EVERY_CRAWL,
        help_text=_(
            "“Only when possibly outdated” follows the site's caching headers (Cache-Control, "
            "Expires, Last-Modified): a page that has not changed for a long time is asked "
            "less often. Recrawls get faster, but a change can show up a crawl or more later. "
            "Start URLs are asked at every crawl."
        ),
    )
    max_revisit_days = models.PositiveSmallIntegerField(
        _("recheck at least every (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("With “only when possibly outdated”: the longest a page goes unchecked."),
    )
    render = models.CharField(
        _("render pages with a browser"),
        max_length=10,
        choices=Render.choices,
        default=Render.NEVER,
        help_text=_(
            "For sites whose text appears only after JavaScript runs. “When a page looks "
            "built by JavaScript” renders only pages with little text and much script or an "
            "empty application root; “Always” renders every page. A rendered page takes about "
            "a second of a browser's time instead of a fraction of one, and the browser needs "
            "several hundred MB of memory; the crawl log says which pages were rendered and why."
        ),
    )
    schedule = models.CharField(
        _("schedule"), max_length=20, choices=Schedule.choices, default=Schedule.MANUAL
    )
    concurrency_per_host = models.PositiveSmallIntegerField(
        _("parallel requests per host"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENCY_PER_HOST)],
    )
    download_delay = models.FloatField(
        _("delay between requests (seconds)"),
        default=0.5,
        validators=[
            validate_finite,
            MinValueValidator(0.0),
            MaxValueValidator(MAX_DOWNLOAD_DELAY_S),
        ],
        help_text=_("A Crawl-delay in robots.txt wins if it is longer."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.MEDIAWIKI:
            if not self.wiki_api_url:
                raise ValidationError(
                    {"wiki_api_url": _("A MediaWiki source needs the address of its api.php.")}
                )
            if bool(self.wiki_username) != bool(self.wiki_password_env):
                raise ValidationError(
                    {
                        "wiki_password_env": _(
                            "Give both the bot user name and its password variable, or neither."
                        )
                    }
                )
        elif not self.start_url_list and not self.sitemap_url_list:
            raise ValidationError({"start_urls": _("Give at least one start URL or sitemap.")})

    @property
    def is_wiki(self) -> bool:
        return self.kind == self.Kind.MEDIAWIKI

    @property
    def wiki_category_list(self) -> list[str]:
        return [line.removeprefix("Category:") for line in lines(self.wiki_categories)]

    @property
    def start_url_list(self) -> list[str]:
        return lines(self.start_urls)

    @property
    def sitemap_url_list(self) -> list[str]:
        return lines(self.sitemap_urls)

    @property
    def allowed_domain_list(self) -> list[str]:
        explicit = [domain.lower() for domain in lines(self.allowed_domains)]
        if explicit and not self.is_wiki:
            return explicit
        urls = [self.wiki_api_url] if self.is_wiki else self.start_url_list
        return sorted({urlsplit(url).hostname or "" for url in urls} - {""})

    @property
    def include_pattern_list(self) -> list[str]:
        return lines(self.include_patterns)

    @property
    def exclude_pattern_list(self) -> list[str]:
        return lines(self.exclude_patterns)


class CrawlRun(models.Model):
    """One crawl of one source, with counters that grow while it runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Stopped")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("Admin")
        SCHEDULE = "schedule", _("Schedule")
        API = "api", _("API")
        CLI = "cli", _("Command line")

    COUNTERS = (
        "discovered",
        "fetched",
        "unchanged",
        "changed",
        "new",
        "gone",
        "skipped",
        "failed",
    )

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="runs", verbose_name=_("source")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(
        _("started by"), max_length=20, choices=Trigger.choices, default=Trigger.ADMIN
    )
    discovered = models.PositiveIntegerField(_("discovered"), default=0)
    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    gone = models.PositiveIntegerField(_("gone"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Set by "Stop"; the crawler task polls it and stops the spider cleanly.
    stop_requested = models.BooleanField(_("stop requested"), default=False)
    # True only when the crawl reached every page in scope: then unseen pages count as gone.
    complete = models.BooleanField(_("complete"), default=False)
    finish_reason = models.CharField(_("finish reason"), max_length=100, blank=True)
    # Written by the crawling worker every CRAWLER_HEARTBEAT_INTERVAL (and with each batch of
    # progress); the watchdog ends a running run whose heartbeat is older than its timeout.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("crawl run")
        verbose_name_plural = _("crawl runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source", "status"])]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def explanation(self) -> str:
        """Why the run ended as it did, in the editor's language ("" while it runs)."""
        if self.is_active:
            return ""
        if self.complete:
            return str(FINISH_EXPLANATIONS["complete"])
        return str(FINISH_EXPLANATIONS.get(self.finish_reason, ""))


# The editor's words for the crawler's outcomes. crawler.events.Outcome is the one vocabulary
# of the crawler, the run recorder (backend.sources.crawling) and the per-URL log.
OUTCOME_LABELS = {
    CrawlOutcome.FETCHED_NEW: _("fetched: new"),
    CrawlOutcome.FETCHED_CHANGED: _("fetched: changed"),
    CrawlOutcome.UNCHANGED: _("unchanged"),
    CrawlOutcome.SKIPPED: _("skipped"),
    CrawlOutcome.FAILED: _("failed"),
    CrawlOutcome.GONE: _("gone"),
}


class CrawlLogEntry(models.Model):
    """One line of a run's per-URL log: what happened to a URL, and why."""

    # The crawler's outcomes as choices (an outcome without a label fails here, at import).
    Outcome = models.TextChoices(
        "Outcome", [(o.name, (o.value, OUTCOME_LABELS[o])) for o in CrawlOutcome]
    )

    run = models.ForeignKey(
        CrawlRun, on_delete=models.CASCADE, related_name="log", verbose_name=_("crawl run")
    )
    url = models.URLField(_("URL"), max_length=2000)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("per-URL log entry")
        verbose_name_plural = _("per-URL log")
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["run", "outcome"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.url}"
