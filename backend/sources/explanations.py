"""Why a crawl run ended, in the editor's words (CrawlRun.explanation shows them)."""

from django.utils.translation import gettext_lazy as _

# A run's finish reason in the editor's words; the run's ``error`` adds the details.
FINISH_EXPLANATIONS = {
    "complete": _("Complete: the crawl reached every page in scope."),
    "site_unreachable": _(
        "Incomplete, nothing was removed: the site could not be reached (a start URL, a "
        "sitemap or robots.txt could not be fetched). Crawl again when the site is back."
    ),
    "too_many_failures": _(
        "Incomplete, nothing was removed: too many of the known pages failed (server errors, "
        "timeouts). Crawl again later."
    ),
    "max_pages": _(
        "Incomplete: the crawl stopped at the maximum number of pages. Pages it did not "
        "reach were not removed."
    ),
    "closespider_timeout": _(
        "Incomplete: the crawl reached its time limit. Pages it did not reach were not removed."
    ),
    "time_limit": _(
        "Incomplete: the crawl reached its time limit. Pages it did not reach were not removed."
    ),
    "cancelled": _("Stopped. Pages it did not reach were not removed."),
    "shutdown": _("Stopped. Pages it did not reach were not removed."),
    "crashed": _("Failed: the crawl process ended unexpectedly. Nothing was removed."),
    "abandoned": _(
        "Failed: the crawl stopped sending its heartbeat (its worker or the server stopped). "
        "Nothing was removed. Start it again."
    ),
    "interrupted": _(
        "Failed: the server stopped while the crawl ran. Nothing was removed. Start it again."
    ),
    "lost": _("Failed: the crawl never started (its task was lost). Start it again."),
    "login_failed": _(
        "Incomplete, nothing was removed: the wiki refused the login (user name or bot "
        "password wrong, or the bot password was revoked). Check the source's bot user and "
        "the server's password variable, then crawl again."
    ),
}
