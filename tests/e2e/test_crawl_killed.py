"""Crawls whose worker or server is killed -9, with real processes: the crawl runs again and
counts once, or the watchdog / the restarted server ends it within a bounded wait, and the
source can be crawled again."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from backend.documents.models import Document
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from tests.crawler.sites import Site, html
from tests.helpers import REPO, clean_env, run_manage, stop_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
    pytest.mark.timeout(600),
]

PAGES = 30
# Short watchdog settings, so a dead crawl is noticed within seconds here.
QUICK_WATCHDOG = {
    "CRAWLER_HEARTBEAT_INTERVAL": "0.5",
    "CRAWLER_WATCHDOG_INTERVAL": "1",
    "CRAWLER_WATCHDOG_TIMEOUT": "4",
}


def slow_site(*, silent_page_s: float = 0.0) -> Site:
    """PAGES pages of 0.3 s each, one at a time: a crawl of ~10 s. ``silent_page_s``: the first
    page linked takes that long, and nothing else is asked meanwhile (no events flow)."""
    paths = [f"/seite-{number}/" for number in range(PAGES)]
    routes = {"/": html("Start", *paths)}
    for path in paths:
        routes[path] = html(path)
        routes[path].delay_s = 0.3
    if silent_page_s:
        routes[paths[0]].delay_s = silent_page_s
    return Site(routes)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def queue_crawl(source: Source, env: dict) -> int:
    queued = run_manage("crawl", str(source.pk), "--json", env=env)
    assert queued.returncode == 0, queued.stderr
    return json.loads(queued.stdout)["run"]


def run_of(run_id: int) -> CrawlRun:
    return CrawlRun.objects.get(pk=run_id)


def test_a_crawl_redelivered_after_its_worker_was_killed_counts_once(
    rabbitmq_url, start_worker, tmp_path
):
    with slow_site() as site:
        env = {
            "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LOTSE_VAR_DIR": str(tmp_path / "worker-var"),
        }
        first = start_worker(rabbitmq_url, queues="crawler,rag", extra_env=env)
        source = Source.objects.create(
            name="Langsam", start_urls=site.base + "/", download_delay=0, concurrency_per_host=1
        )
        run_id = queue_crawl(source, first.env)
        wait_for(lambda: run_of(run_id).fetched >= 5, 180, "the crawl to be under way")
        first.process.kill()  # SIGKILL mid-crawl: the message is not acknowledged
        first.process.wait()
        killed_at = run_of(run_id).fetched
        assert killed_at < PAGES + 1

        second = start_worker(rabbitmq_url, queues="crawler,rag", extra_env=env, purge=False)
        run = wait_for(
            lambda: (
                (r := run_of(run_id)).status != CrawlRun.Status.RUNNING
                and r.status != CrawlRun.Status.QUEUED
                and r
            ),
            300,
            "the redelivered crawl to end",
        )
        assert "lotse.crawler.crawl_source" in second.log()  # it ran again, there
    assert (run.status, run.complete) == (CrawlRun.Status.FINISHED, True), run.error
    urls = [site.base + "/"] + [f"{site.base}/seite-{n}/" for n in range(PAGES)]
    logged = Counter(CrawlLogEntry.objects.filter(run=run).values_list("url", flat=True))
    assert logged == Counter(urls)  # one line per URL: the lost attempt's lines are gone
    # Counters of the run as if it had run once: what the lost attempt fetched is unchanged.
    assert run.fetched == run.new + run.changed + run.unchanged == PAGES + 1
    assert run.discovered == PAGES + 1 and run.failed == run.gone == 0
    assert run.unchanged >= killed_at - 1
    assert sorted(Document.objects.filter(source=source).values_list("url", flat=True)) == sorted(
        urls
    )
    wait_for(
        lambda: not Document.objects.filter(source=source, status="pending").exists(),
        300,
        "indexing",
    )
    assert set(Document.objects.filter(source=source).values_list("status", flat=True)) == {
        Document.Status.INDEXED
    }


def test_the_watchdog_ends_a_crawl_whose_worker_was_killed(rabbitmq_url, start_worker, tmp_path):
    with slow_site(silent_page_s=6.0) as site:
        env = {
            "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LOTSE_VAR_DIR": str(tmp_path / "worker-var"),
            **QUICK_WATCHDOG,
        }
        crawler = start_worker(rabbitmq_url, queues="crawler", extra_env=env)
        start_worker(
            rabbitmq_url,
            queues="main",
            extra_env=env,
            purge=False,
            extra_args=("--beat", "--schedule", str(tmp_path / "beat-schedule")),
        )
        source = Source.objects.create(
            name="Langsam", start_urls=site.base + "/", download_delay=0, concurrency_per_host=1
        )
        run_id = queue_crawl(source, crawler.env)
        silent = site.base + "/seite-0/"
        # A live crawl outlasts the watchdog's 4 s, also through a 6 s page with no events.
        wait_for(
            lambda: (
                CrawlLogEntry.objects.filter(run_id=run_id, url=silent).exists()
                and run_of(run_id).fetched >= 8
            ),
            180,
            "the crawl to get past its silent page",
        )
        assert run_of(run_id).status == CrawlRun.Status.RUNNING

        crawler.process.kill()
        crawler.process.wait()
        run = wait_for(
            lambda: (r := run_of(run_id)).status == CrawlRun.Status.FAILED and r,
            120,
            "the watchdog to end the run",
        )
        assert run.finish_reason == "abandoned" and "heartbeat" in run.error
        again = run_manage("crawl", str(source.pk), "--json", env=crawler.env)
        assert again.returncode == 0, again.stderr  # accepted: no "already running"
        assert json.loads(again.stdout)["status"] == "queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`manage.py serve` in the embedded default, with its own var/ folder."""

    def __init__(self, env: dict, log_path):
        self.env, self.port, self.log_path = env, free_port(), log_path
        self.process: subprocess.Popen | None = None
        self.token = ""

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, 120, "serve to answer /healthz")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited: {self.log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                return True
        except OSError:
            return False

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


MAKE_TOKEN = (
    "from django.contrib.auth import get_user_model; "
    "from rest_framework.authtoken.models import Token; "
    "user = get_user_model().objects.create_superuser('ops', 'ops@example.org', 'x-long-pw-1'); "
    "print(Token.objects.create(user=user).key)"
)
COUNT_PENDING = (
    "from backend.documents.models import Document; "
    "print(Document.objects.filter(status='pending').count(), Document.objects.count())"
)


def test_kill_9_of_serve_during_a_crawl_is_recovered_at_restart(tmp_path):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
        **QUICK_WATCHDOG,
    )
    assert run_manage("migrate", "--noinput", env=env, timeout=180).returncode == 0
    made = run_manage("shell", "-c", MAKE_TOKEN, env=env)
    assert made.returncode == 0, made.stderr
    server = Server(env, tmp_path / "serve.log")
    server.token = made.stdout.strip().splitlines()[-1]  # after Django's shell banner
    with slow_site() as site:
        server.start()
        try:
            status, created = server.api(
                "POST",
                "sources/",
                {"name": "Langsam", "start_urls": site.base + "/", "download_delay": 0,
                 "concurrency_per_host": 1},
            )  # fmt: skip
            assert status == 201, created
            status, run = server.api("POST", f"sources/{created['id']}/crawl/")
            assert status == 202, run
            wait_for(
                lambda: server.api("GET", f"runs/{run['id']}/")[1]["fetched"] >= 5,
                180,
                "the crawl to be under way",
            )
            server.process.kill()  # kill -9: no shutdown, no clean-up
            server.process.wait()
            # Its crawl child dies with it: the site stops being asked.
            wait_for(lambda: _quiet_for(site, 1.0), 30, "the orphaned crawl child to stop")

            server.start()  # the restart takes up what the dead process left, at once
            status, ended = server.api("GET", f"runs/{run['id']}/")
            assert (ended["status"], ended["finish_reason"]) == ("failed", "interrupted"), ended
            status, again = server.api("POST", f"sources/{created['id']}/crawl/")
            assert status == 202, again  # no 409
            wait_for(
                lambda: server.api("GET", f"runs/{again['id']}/")[1]["status"] == "finished",
                180,
                "the new crawl to finish",
            )
            counted = wait_for(
                lambda: (
                    (out := _shell_last_line(COUNT_PENDING, env).split()) and out[0] == "0" and out
                ),
                180,
                "indexing of what was pending",
            )
            assert counted == ["0", str(PAGES + 1)]
        finally:
            stop_process(server.process)


def _shell_last_line(code: str, env: dict) -> str:
    done = run_manage("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _quiet_for(site: Site, seconds: float) -> bool:
    before = len(site.requests)
    time.sleep(seconds)
    return len(site.requests) == before
