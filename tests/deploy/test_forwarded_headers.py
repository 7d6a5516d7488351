"""X-Forwarded-For and X-Forwarded-Proto count only when a configured proxy sends them.

A real ``manage.py serve`` (as in production: uvicorn with ``proxy_headers``) is asked with
forged headers. Rate limits count by the address uvicorn derived: forged per request from an
untrusted peer, the limit still holds. The server's clock cannot be frozen, so the checks hold
wherever a minute boundary falls: 2 x LIMIT + 2 requests from one visitor see a 429 in either
window, and distinct visitors never do.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.deploy.test_tls_proxy import free_port, wait_for_port
from tests.helpers import REPO, clean_env, run_manage, stop_process

LIMIT = 3


BURST = 2 * LIMIT + 2


def serve(var_dir, forwarded_allow_ips: str):
    """The embedded default with its own var/ (one process may open it)."""
    env = clean_env(
        LOTSE_VAR_DIR=str(var_dir),
        CHAT_RATE_LIMIT_PER_IP=str(LIMIT),
        FORWARDED_ALLOW_IPS=forwarded_allow_ips,
        LOG_LEVEL="WARNING",
    )
    migrated = run_manage("migrate", "--noinput", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, "manage.py serve", timeout=90)
    return process, f"http://127.0.0.1:{port}"


def vote(base: str, headers: dict[str, str]) -> int:
    """A feedback request (rate-limited like a question; 404: not limited, no such answer)."""
    response = httpx.post(
        f"{base}/api/v1/chat/messages/1/feedback/",
        json={"conversation_id": str(uuid.uuid4()), "rating": "up"},
        headers=headers,
        timeout=30,
    )
    return response.status_code


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory):
    """The test client (127.0.0.1) is not the proxy: its forwarded headers are ignored."""
    process, base = serve(tmp_path_factory.mktemp("untrusted"), "10.99.0.1")
    yield base
    stop_process(process)


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """The test client plays the proxy on loopback (the default FORWARDED_ALLOW_IPS)."""
    process, base = serve(tmp_path_factory.mktemp("proxied"), "127.0.0.1,::1")
    yield base
    stop_process(process)


def test_forged_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_limit(untrusted):
    statuses = [vote(untrusted, {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(BURST)]
    assert 429 in statuses and statuses.count(404) <= 2 * LIMIT, statuses


def test_forged_forwarded_proto_from_an_untrusted_peer_is_ignored(untrusted):
    # Lotse's own https origin would be allowed, if the request were https
    port = re.search(r":(\d+)$", untrusted).group(1)
    headers = {"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{port}"}
    assert vote(untrusted, headers) == 403  # origin_not_allowed: the scheme stayed http


def test_the_trusted_proxy_tells_visitors_apart(behind_proxy):
    # one visitor per forwarded address, each within the limit
    for n in range(BURST):
        assert vote(behind_proxy, {"X-Forwarded-For": f"203.0.113.{n}"}) == 404
    # and one visitor is limited, whatever it adds in front of the proxy's entry
    statuses = [
        vote(behind_proxy, {"X-Forwarded-For": f"192.0.2.{n}, 198.51.100.77"}) for n in range(BURST)
    ]
    assert 429 in statuses and statuses.count(404) <= 2 * LIMIT, statuses


def test_the_trusted_proxys_https_counts(behind_proxy):
    port = re.search(r":(\d+)$", behind_proxy).group(1)
    headers = {
        "X-Forwarded-Proto": "https",
        "Origin": f"https://127.0.0.1:{port}",
        "X-Forwarded-For": "203.0.113.200",
    }
    assert vote(behind_proxy, headers) == 404


def test_no_lotse_code_reads_forwarded_headers_itself():
    """Only uvicorn applies them (for FORWARDED_ALLOW_IPS); code that read them itself would
    let any visitor choose the address it is counted by."""
    readers = re.compile(
        r"HTTP_X_FORWARDED|HTTP_X_REAL_IP|headers\.get\(\s*[\"']x-(forwarded|real)", re.I
    )
    found = [
        str(path.relative_to(REPO))
        for folder in ("backend", "workers", "crawler", "rag")
        for path in (REPO / folder).rglob("*.py")
        if readers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
