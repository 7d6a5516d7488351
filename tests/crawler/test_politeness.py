"""Per-host delay and concurrency: within one crawl process, and across processes via Redis."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid

import pytest

from crawler.config import CrawlConfig
from crawler.politeness import LocalHostSlots, RedisHostSlots, Slot
from crawler.run import run_crawl
from crawler.store import PageStoreConfig
from tests.conftest import REDIS_URL, require_tcp
from tests.crawler.sites import Answer, Route, Site, gathering, html

pytestmark = pytest.mark.timeout(90)

LOCAL = ("127.0.0.1/32",)
# Nothing listens on port 1: the crawl must fall back, not fail.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
PAGES = 6
# Reserved starts are logged in milliseconds (Redis) or rounded to them (%.3f).
MS = 0.001
# What the crawler logs at DEBUG for every request it lets go (crawler.politeness).
RESERVED = re.compile(r"politeness: (\S+) starts at (\d+\.\d+)")


def paged_site(page_time_s: float = 0.0, *, gather: int = 0) -> Site:
    """A home page linking to PAGES pages, each answered after ``page_time_s``. With
    ``gather``, robots.txt is answered once that many crawls asked for it, so they overlap."""
    links = [f"/p/{i}" for i in range(PAGES)]
    routes: dict[str, Route] = {"/": html("Home", *links)}
    for link in links:
        answer = html(f"Page {link}", "/")
        answer.delay_s = page_time_s
        routes[link] = answer
    if gather:
        routes["/robots.txt"] = gathering(Answer(404, b"", {}), gather)
    return Site(routes)


def config_for(site: Site, name: str, **changes) -> CrawlConfig:
    values = dict(
        source_id=f"src-{name}",
        run_id=f"run-{name}",
        start_urls=(site.base + "/",),
        allowed_networks=LOCAL,
        # generous: a request that times out under load would be retried and counted twice
        request_timeout_s=30,
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


def reserved_starts(stderr: str, *, skip: str = "") -> list[float]:
    """The start each request was given, from the crawl processes' DEBUG log, in order."""
    return sorted(
        float(at) for url, at in RESERVED.findall(stderr) if not url.endswith(skip or "\0")
    )


def assert_starts_spaced_and_kept(starts: list[float], arrivals: list[float], delay: float):
    """Politeness as the crawler can promise it, whatever the machine's load: the starts it
    reserves for a host are at least the delay apart, and no request reaches the host
    before its start (a process scheduled late only ever starts later)."""
    assert starts and len(arrivals) == len(starts)
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= delay - MS
    # sorted both ways: the k-th arrival can only come after the k-th start
    late = [
        round(start - arrived, 3) for start, arrived in zip(starts, sorted(arrivals), strict=True)
    ]
    assert max(late) <= MS, f"requests arrived before their start: {late}"


def most_in_flight(timings: list[tuple[float, float, str]]) -> int:
    # An answer noted at the same moment as an arrival counts first (see tests.crawler.sites:
    # the next request can only arrive after the answer was noted).
    moments = [(arrived, 1) for arrived, _, _ in timings]
    moments += [(answered, -1) for _, answered, _ in timings]
    in_flight = peak = 0
    for _, step in sorted(moments):
        in_flight += step
        peak = max(peak, in_flight)
    return peak


@pytest.fixture
def redis_available() -> None:
    require_tcp("Redis", "127.0.0.1", 6379)


def test_delay_holds_across_two_crawl_processes(redis_available, tmp_path, capfd):
    delay = 0.25
    with paged_site(gather=2) as site:
        results = crawl_concurrently(
            site, tmp_path, download_delay=delay, concurrency_per_host=2, log_level="DEBUG"
        )
        arrivals = [arrived for arrived, _ in site.arrivals]
    for result, events in results:
        assert result.complete
        assert fetched(events) == PAGES + 1
    # robots.txt and every page of both crawls, on one schedule kept in Redis
    assert len(arrivals) == 2 * (PAGES + 2)
    assert_starts_spaced_and_kept(reserved_starts(capfd.readouterr().err), arrivals, delay)


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


def test_robots_crawl_delay_holds_across_two_crawl_processes(redis_available, tmp_path, capfd):
    site = paged_site()
    robots = Answer(
        body=b"User-agent: *\nCrawl-delay: 0.3\n", headers={"Content-Type": "text/plain"}
    )
    site.routes["/robots.txt"] = gathering(robots, 2)
    with site:
        results = crawl_concurrently(
            site, tmp_path, download_delay=0, concurrency_per_host=4, log_level="DEBUG"
        )
        arrivals = [arrived for arrived, path in site.arrivals if path != "/robots.txt"]
    assert all(result.complete for result, _ in results)
    # Each process learns the delay from its robots.txt; every page request comes after.
    starts = reserved_starts(capfd.readouterr().err, skip="/robots.txt")
    assert_starts_spaced_and_kept(starts, arrivals, 0.3)


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
            log_level="DEBUG",
        )
        # the fallback keeps its schedule on time.monotonic, as the site notes arrivals
        arrivals = [arrived for arrived, _, _ in site.timings]
    assert result.complete and result.finish_reason == "finished"
    assert fetched(events) == PAGES + 1
    stderr = capfd.readouterr().err
    assert stderr.count("shared politeness is not usable") == 1
    assert_starts_spaced_and_kept(reserved_starts(stderr), arrivals, delay)


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

        async def acquire(token: str, now_ms: int) -> Slot | None:
            return await impl.acquire(host, token=token, now_ms=now_ms, **rules)
    else:
        clock = FakeClock()
        impl = LocalHostSlots(clock=clock)

        async def acquire(token: str, now_ms: int) -> Slot | None:
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

    seen = asyncio.run(scenario())
    assert [None if slot is None else slot.wait_s for slot in seen] == [
        *(0.0, 0.2, None, 0.35, None, 0.0, 0.0)
    ]
    # the reserved starts, on the schedule's clock: the wait counted from each call's now
    starts = [None if slot is None else round(slot.starts_at, 3) for slot in seen]
    assert starts == [1.0, 1.2, None, 1.4, None, 2.3, 2.5]


def test_redis_slots_use_the_redis_clock(redis_available):
    impl = RedisHostSlots(REDIS_URL)
    host = f"test-{uuid.uuid4().hex}"

    async def scenario() -> list:
        rules = dict(limit=3, delay_s=0.5, lease_s=5.0)
        waits = [await impl.acquire(host, token=t, **rules) for t in ("a", "b", "c")]
        await impl.close()
        return waits

    before = time.time()
    first, second, third = asyncio.run(scenario())
    after = time.time()
    assert first.wait_s == 0.0
    assert 0.4 <= second.wait_s <= 0.5
    assert 0.9 <= third.wait_s <= 1.0
    # Redis's TIME is this machine's clock; the starts are exactly the delay apart
    assert before - MS <= first.starts_at <= after + MS
    assert [second.starts_at - first.starts_at, third.starts_at - first.starts_at] == [
        pytest.approx(0.5),
        pytest.approx(1.0),
    ]
