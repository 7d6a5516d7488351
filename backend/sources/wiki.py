"""What a MediaWiki source's crawl needs from the database and the environment.

The bot password is read from the environment variable the source names (the database holds
only that name: no secret in the admin, the API's JSON or a database backup, as for every other
secret of Lotse); only names starting with ``WIKI_PASSWORD_`` are read (models). The wiki's
deletion and move logs are read from the start of the last complete crawl on.
"""

from __future__ import annotations

import os
from datetime import timedelta

from backend.sources.models import WIKI_PASSWORD_ENV_PREFIX, CrawlRun, Source, namespace_numbers
from crawler.config import CrawlConfigError

# the wiki's clock and ours may differ a little; reading a log entry twice does no harm
CLOCK_MARGIN = timedelta(minutes=10)


def bot_password(source: Source) -> str:
    """The bot password from the environment ("" without a bot user)."""
    name = source.wiki_password_env
    if not source.wiki_username:
        return ""
    if not name.startswith(WIKI_PASSWORD_ENV_PREFIX):
        raise CrawlConfigError(
            f"wiki_password_env: {name!r} does not start with {WIKI_PASSWORD_ENV_PREFIX}"
        )
    password = os.environ.get(name, "")
    if not password:
        raise CrawlConfigError(
            f"wiki_password_env: the environment variable {name} is not set on the server "
            "that crawls"
        )
    return password


def changes_since(run: CrawlRun) -> str:
    """ISO time from which the wiki's logs are read: the start of the last complete crawl
    before ``run`` (else of the first crawl ever), minus a margin; "" before any crawl."""
    earlier = CrawlRun.objects.filter(source_id=run.source_id, started_at__isnull=False)
    if run.pk:
        earlier = earlier.exclude(pk=run.pk)
    anchor = earlier.filter(complete=True).order_by("-started_at").first()
    anchor = anchor or earlier.order_by("started_at").first()
    if anchor is None:
        return ""
    return (anchor.started_at - CLOCK_MARGIN).strftime("%Y-%m-%dT%H:%M:%SZ")


def namespaces(source: Source) -> tuple[int, ...]:
    return tuple(namespace_numbers(source.wiki_namespaces))
