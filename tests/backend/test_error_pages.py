"""What an anonymous visitor sees when something goes wrong: never Django's debug pages.

``make run`` is ``manage.py serve`` with no environment (the embedded default); it is started
here as a user starts it, and provoked with an unknown URL, a forged form post and hostile
chat bodies.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.helpers import REPO, clean_env, run_manage, stop_process

DEBUG_MARKERS = (
    "help section of this page",
    "Using the URLconf",
    "Traceback",
    "settings.py",
    "INSTALLED_APPS",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path_factory.mktemp("var")), LOG_LEVEL="WARNING")
    migrated = run_manage("migrate", "--noinput", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, "manage.py serve exited"
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    yield base
    stop_process(server)


def assert_no_debug_page(response: httpx.Response) -> None:
    for marker in DEBUG_MARKERS:
        assert marker not in response.text, (marker, response.text[:300])


def test_unknown_url_is_a_plain_404(embedded_server):
    response = httpx.get(f"{embedded_server}/no/such/page", timeout=30)
    assert response.status_code == 404
    assert_no_debug_page(response)


def test_forged_admin_post_is_a_plain_403(embedded_server):
    response = httpx.post(
        f"{embedded_server}/admin/login/", data={"username": "x", "password": "y"}, timeout=30
    )
    assert response.status_code == 403
    assert_no_debug_page(response)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"message": ' + b"1" * 5000 + b"}", b"\xff\xfe", b"[]", b'{"message": 1}'],
)
def test_hostile_chat_bodies_get_json_400(embedded_server, body):
    response = httpx.post(
        f"{embedded_server}/api/v1/chat/",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] in ("invalid_json", "invalid_message")
    assert_no_debug_page(response)
