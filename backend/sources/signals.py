"""Signals other apps listen to, so the crawl code needs no knowledge of them."""

from django.dispatch import Signal

# Sent once a crawl run has ended (finished, failed or stopped), with ``run`` (its CrawlRun,
# refreshed from the database). Receivers enqueue follow-up work, e.g. the evaluation.
crawl_ended = Signal()
