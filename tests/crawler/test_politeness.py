"""Per-host delay and concurrency: within one crawl process, and across processes via Redis."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from crawler.config import CrawlConfig
from crawler.politeness import LocalHostSlots, RedisHostSlots
from crawler.run import run_crawl
from crawler.store import PageStoreConfig
from tests.conftest import REDIS_URL, require_tcp
from tests.crawler.sites import Answer, Site, html

pytestmark = pytest.mark.timeout(90)

LOCAL = ("127.0.0.1/32",)
# Nothing listens on port 1: the crawl must fall back, not fail.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
# Timer and scheduling jitter between two processes on a busy 2-core machine.
TOLERANCE_S = 0.05
PAGES = 6


def paged_site(page_time_s: float = 0.0) -> Site:
    """A home page linking to PAGES pages, each answered after ``page_time_s``."""
    links = [f"/p/{i}" for i in range(PAGES)]
    routes: dict[str, Answer] = {"/": html("Home", *links)}
    for link in links:
        answer = html(f"Page {link}", "/")
        answer.delay_s = page_time_s
        routes[link] = answer
    return Site(routes)


def config_for(site: Site, name: str, **changes) -> CrawlConfig:
    values = dict(
        source_id=f"src-{name}",
        run_id=f"run-{name}",
        start_urls=(site.base + "/",),
        allowed_networks=LOCAL,
        request_timeout_s=5,
        time_limit_s=60,
        log_level="WARNING",
        politeness_redis_url=REDIS_URL,
    )
    values.update(changes)
    return CrawlConfig(**values)


def crawl_concurrently(site: Site, tmp_path, count: int = 2, **changes) -> list:
    """``count`` crawls of ``site`` at once, each in its own child process and page store."""
    results: list = [None] * count

    def crawl(i: int) -> None:
        store = PageStoreConfig(url="", database="lotse", path=str(tmp_path / f"ps{i}"))
        events: list[dict] = []
        result = run_crawl(config_for(site, str(i), **changes), store, events.append)
        results[i] = (result, events)

    threads = [threading.Thread(target=crawl, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def fetched(events: list[dict]) -> int:
    return sum(1 for e in events if e.get("outcome") == "fetched_new")


def smallest_gap(timings: list[tuple[float, float, str]], *, skip: str = "") -> float:
    starts = sorted(start for start, _, path in timings if path != skip)
    return min(b - a for a, b in zip(starts, starts[1:], strict=False))


def most_in_flight(timings: list[tuple[float, float, str]]) -> int:
    # An end at the same moment as a start counts first; the end is taken a little early
    # because the server notes it after writing, when the crawler may already be on.
    moments = [(start, 1) for start, _, _ in timings]
    moments += [(end - TOLERANCE_S, -1) for _, end, _ in timings]
    in_flight = peak = 0
    for _, step in sorted(moments):
        in_flight += step
        peak = max(peak, in_flight)
    return peak


@pytest.fixture
def redis_available() -> None:
    require_tcp("Redis", "127.0.0.1", 6379)


def test_delay_holds_across_two_crawl_processes(redis_available, tmp_path):
    delay = 0.25
    with paged_site() as site:
        results = crawl_concurrently(site, tmp_path, download_delay=delay, concurrency_per_host=2)
        timings = list(site.timings)
    for result, events in results:
        assert result.complete
        assert fetched(events) == PAGES + 1
    # robots.txt and every page of both crawls: starts to the host are the delay apart.
    assert len(timings) == 2 * (PAGES + 2)
    assert smallest_gap(timings) >= delay - TOLERANCE_S


@pytest.mark.parametrize("limit", [1, 2])
def test_concurrency_holds_across_two_crawl_processes(redis_available, tmp_path, limit):
    # Slow pages and no delay: only the shared slots keep the two crawls from overlapping.
    with paged_site(page_time_s=0.3) as site:
        results = crawl_concurrently(site, tmp_path, download_delay=0, concurrency_per_host=limit)
        timings = list(site.timings)
    for result, events in results:
        assert result.complete
        assert fetched(events) == PAGES + 1
    assert most_in_flight(timings) == limit


def test_robots_crawl_delay_holds_across_two_crawl_processes(redis_available, tmp_path):
    site = paged_site()
    robots = Answer(
        body=b"User-agent: *\nCrawl-delay: 0.3\n", headers={"Content-Type": "text/plain"}
    )
    site.routes["/robots.txt"] = robots
    with site:
        results = crawl_concurrently(site, tmp_path, download_delay=0, concurrency_per_host=4)
        timings = list(site.timings)
    assert all(result.complete for result, _ in results)
    # Each process learns the delay from its robots.txt; every page request comes after.
    assert smallest_gap(timings, skip="/robots.txt") >= 0.3 - TOLERANCE_S


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_holds_within_one_process_without_redis(tmp_path, limit):
    # Scrapy's own per-domain limit does not hold without a delay (see crawler.politeness).
    with paged_site(page_time_s=0.3) as site:
        ((result, events),) = crawl_concurrently(
            site,
            tmp_path,
            count=1,
            download_delay=0,
            concurrency_per_host=limit,
            politeness_redis_url="",
        )
        timings = list(site.timings)
    assert result.complete
    assert fetched(events) == PAGES + 1
    assert most_in_flight(timings) == limit


def test_unreachable_redis_falls_back_to_per_process_politeness(tmp_path, capfd):
    delay = 0.2
    with paged_site() as site:
        ((result, events),) = crawl_concurrently(
            site,
            tmp_path,
            count=1,
            download_delay=delay,
            politeness_redis_url=UNREACHABLE_REDIS,
        )
        timings = list(site.timings)
    assert result.complete and result.finish_reason == "finished"
    assert fetched(events) == PAGES + 1
    assert smallest_gap(timings) >= delay - TOLERANCE_S
    assert capfd.readouterr().err.count("shared politeness is not usable") == 1


# -- the slot rules, on Redis (the Lua script) and in-process (the fallback) --------------


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture(params=["redis", "local"])
def slots(request):
    """acquire(token, now_ms) and release(token) on one fresh host, in either implementation."""
    host = f"test-{uuid.uuid4().hex}"
    rules = dict(limit=2, delay_s=0.2, lease_s=1.0)
    if request.param == "redis":
        require_tcp("Redis", "127.0.0.1", 6379)
        impl = RedisHostSlots(REDIS_URL)

        async def acquire(token: str, now_ms: int) -> float | None:
            return await impl.acquire(host, token=token, now_ms=now_ms, **rules)
    else:
        clock = FakeClock()
        impl = LocalHostSlots(clock=clock)

        async def acquire(token: str, now_ms: int) -> float | None:
            clock.now_s = now_ms / 1000
            return await impl.acquire(host, token=token, **rules)

    async def release(token: str) -> None:
        await impl.release(host, token)

    return acquire, release, impl


def test_slots_space_starts_limit_concurrency_and_expire_leases(slots):
    acquire, release, impl = slots

    async def scenario() -> list:
        seen = [
            await acquire("a", 1000),  # free host: start now
            await acquire("b", 1000),  # second slot: one delay after a
            await acquire("c", 1050),  # both slots taken
        ]
        await release("a")
        seen.append(await acquire("c", 1050))  # a's slot; after b's start plus the delay
        seen.append(await acquire("d", 1100))  # b and c still hold theirs
        # Leases run out 1 s after their start (b: 2.2 s, c: 2.4 s) without a release.
        seen.append(await acquire("d", 2300))
        seen.append(await acquire("e", 2500))
        if isinstance(impl, RedisHostSlots):
            await impl.close()
        return seen

    waits = asyncio.run(scenario())
    assert waits == [0.0, 0.2, None, 0.35, None, 0.0, 0.0]


def test_redis_slots_use_the_redis_clock(redis_available):
    impl = RedisHostSlots(REDIS_URL)
    host = f"test-{uuid.uuid4().hex}"

    async def scenario() -> list:
        rules = dict(limit=3, delay_s=0.5, lease_s=5.0)
        waits = [await impl.acquire(host, token=t, **rules) for t in ("a", "b", "c")]
        await impl.close()
        return waits

    first, second, third = asyncio.run(scenario())
    assert first == 0.0
    assert 0.4 <= second <= 0.5
    assert 0.9 <= third <= 1.0
