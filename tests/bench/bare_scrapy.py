"""The bare Scrapy side of bench_crawl.py: a minimal spider in a child process of its own,
crawling a site twice (the second time with conditional GETs), as the floor Lotse's crawl is
compared with.

    python tests/bench/bare_scrapy.py URL CONCURRENCY   (prints "ready", waits for "go")
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Lotse runs Scrapy with at least this many requests in total (crawler.settings).
LOTSE_MIN_TOTAL_CONCURRENCY = 16

# -- bare Scrapy, in a child process ----------------------------------------------------------


def bare_scrapy_child(start_url: str, concurrency: int) -> None:
    """Crawl every same-host page linked from ``start_url``, then once more with conditional
    GETs (the first crawl's ETag / Last-Modified; a 304 page's links as the first crawl saw
    them). Print the pages and both crawls' seconds as JSON."""
    from urllib.parse import urlsplit

    import scrapy
    from scrapy.crawler import CrawlerProcess

    host = urlsplit(start_url).netloc
    pages = Counter()
    known: dict[str, tuple[dict, list[str]]] = {}  # url -> (validators, links)
    settings = {
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": max(LOTSE_MIN_TOTAL_CONCURRENCY, concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
    }
    # Loaded like Lotse's warm spare (the components its settings name imported too): the
    # clock starts when the parent says "go".
    from crawler.child import preload_components

    preload_components(settings)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()

    class BareSpider(scrapy.Spider):
        name = "bare"
        custom_settings = {"HTTPERROR_ALLOWED_CODES": [304]}

        def __init__(self, recrawl: bool, **kwargs):
            super().__init__(**kwargs)
            self.recrawl = recrawl

        async def start(self):
            yield self.request(start_url)

        def request(self, url):
            validators = known[url][0] if self.recrawl and url in known else {}
            return scrapy.Request(url, callback=self.parse, headers=validators)

        def parse(self, response):
            pages["recrawl" if self.recrawl else "first"] += 1
            if response.status == 304:
                pages["not_modified"] += 1
                links = known[response.url][1]
            elif isinstance(response, scrapy.http.TextResponse):
                links = []
                for href in response.xpath("//a/@href").getall():
                    url = response.urljoin(href.strip()).split("#", 1)[0]
                    if urlsplit(url).netloc == host:
                        links.append(url)
                validators = {}
                for header, condition in (
                    (b"ETag", "If-None-Match"),
                    (b"Last-Modified", "If-Modified-Since"),
                ):
                    if response.headers.get(header):
                        validators[condition] = response.headers[header]
                known[response.url] = (validators, links)
            else:
                return []
            return [self.request(url) for url in links]

    process = CrawlerProcess(settings)
    times = {"go": time.monotonic()}

    def first_done(_):
        times["first"] = time.monotonic()
        return process.crawl(BareSpider, recrawl=True)

    def recrawl_done(_):
        times["recrawl"] = time.monotonic()

    def failed(failure):
        print(failure.getTraceback(), file=sys.stderr)

    def stop(_):
        from twisted.internet import reactor  # Scrapy's reactor, installed by now

        reactor.stop()

    crawl = process.crawl(BareSpider, recrawl=False)
    crawl.addCallback(first_done)
    crawl.addCallback(recrawl_done)
    crawl.addErrback(failed)
    crawl.addBoth(stop)
    process.start(stop_after_crawl=False)
    if "recrawl" not in times:
        raise SystemExit("bare scrapy failed")
    result = {
        "pages": pages["first"],
        "first_s": times["first"] - times["go"],
        "recrawl_pages": pages["recrawl"],
        "recrawl_not_modified": pages["not_modified"],
        "recrawl_s": times["recrawl"] - times["first"],
    }
    print(json.dumps(result), flush=True)


def run_bare_scrapy(start_url: str, concurrency: int) -> dict:
    child = subprocess.Popen(
        [sys.executable, __file__, start_url, str(concurrency)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    child.stdin.write("go\n")
    child.stdin.close()
    line = child.stdout.readline()
    if child.wait() != 0 or not line.strip():
        raise SystemExit(f"bare scrapy failed with {child.returncode}")
    return json.loads(line)


if __name__ == "__main__":
    bare_scrapy_child(sys.argv[1], int(sys.argv[2]))
