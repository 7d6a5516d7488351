"""Lotse in production mode behind a TLS-terminating reverse proxy, end to end.

nginx with a self-signed certificate stands in for Traefik: it terminates TLS and forwards
plain HTTP with ``X-Forwarded-Proto``, as Traefik does. ``manage.py serve`` runs with
``backend.settings.prod``. A browser's admin login must work through it: HTTPS redirects,
secure cookies, HSTS, and the CSRF check that compares the request's origin with the scheme
Django believes it was served on.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.deploy.tools import require_tool
from tests.helpers import REPO, clean_env, run_manage

ADMIN_PASSWORD = "correct horse battery staple"
METRICS_TOKEN = "metrics-token-for-the-test"

NGINX_CONF = """
daemon off;
pid {tmp}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # Worker processes may not be allowed to write temp files in tmp_path: buffer in memory.
    proxy_max_temp_file_size 0;

    server {{
        listen 127.0.0.1:{https_port} ssl;
        server_name localhost;
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{backend_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
    server {{
        listen 127.0.0.1:{http_port};
        server_name localhost;
        location / {{
            proxy_pass http://127.0.0.1:{backend_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto http;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{name} did not listen on port {port} within {timeout}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def self_signed_certificate(openssl: str, folder: Path) -> Path:
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder / "cert.pem"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx (TLS) -> manage.py serve (prod settings); yields the URLs and the server log."""
    nginx = require_tool("nginx")
    openssl = require_tool("openssl")
    tmp = tmp_path_factory.mktemp("tls")
    certificate = self_signed_certificate(openssl, tmp)

    env = clean_env(
        DJANGO_SETTINGS_MODULE="backend.settings.prod",
        SECRET_KEY="e2e-" + "fedcba9876543210" * 4,
        CHATBOT_HOST="localhost",
        LOTSE_VAR_DIR=str(tmp / "var"),
        DATABASE_URL=f"sqlite:///{tmp / 'lotse.sqlite3'}",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    migrate = run_manage("migrate", "--noinput", env=env, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    admin_env = dict(
        env,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_EMAIL="admin@example.org",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    created = run_manage("createsuperuser", "--noinput", env=admin_env)
    assert created.returncode == 0, created.stderr

    backend_port, https_port, http_port = free_port(), free_port(), free_port()
    log_path = tmp / "backend.log"
    with log_path.open("w") as log:
        backend = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "serve", "--host", "127.0.0.1",
             "--port", str(backend_port), "--workers", "1"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=tmp, https_port=https_port, http_port=http_port, backend_port=backend_port
        )
    )
    proxy = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-e", "stderr"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(backend_port, backend, "manage.py serve")
        wait_for_port(https_port, proxy, "nginx")
        wait_for_port(http_port, proxy, "nginx")
        yield {
            "https": f"https://localhost:{https_port}",
            "http": f"http://localhost:{http_port}",
            "certificate": certificate,
            "log": log_path,
            "backend": f"http://127.0.0.1:{backend_port}",
        }
    finally:
        stop(proxy)
        stop(backend)


@pytest.fixture
def browser(site):
    context = ssl.create_default_context(cafile=str(site["certificate"]))
    with httpx.Client(base_url=site["https"], verify=context, timeout=30) as client:
        yield client


def test_plain_http_is_redirected_to_https(site):
    response = httpx.get(f"{site['http']}/admin/login/", timeout=30)
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://localhost")
    assert response.headers["location"].endswith("/admin/login/")


def test_the_container_healthcheck_reaches_healthz_over_plain_http(site):
    # What the image's HEALTHCHECK asks, from inside the container: no redirect to https.
    assert httpx.get(f"{site['backend']}/healthz", timeout=30).status_code == 200
    # Everything else insists on https, even when reached around the proxy.
    assert httpx.get(f"{site['backend']}/admin/", timeout=30).status_code == 301


def test_https_responses_carry_hsts(browser):
    response = browser.get("/admin/login/")
    assert response.status_code == 200
    hsts = response.headers["strict-transport-security"]
    assert hsts == "max-age=31536000; includeSubDomains"


def test_admin_login_over_https(site, browser):
    # An anonymous visit to the admin goes to the login page, on the same https origin.
    response = browser.get("/admin/")
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/login/?next=/admin/"

    page = browser.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    csrf_cookie = page.headers["set-cookie"]
    assert "csrftoken=" in csrf_cookie and "Secure" in csrf_cookie
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    # As a browser sends it: Origin and Referer name the https site.
    login = browser.post(
        "/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token,
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        },
        headers={"Origin": site["https"], "Referer": f"{site['https']}/admin/login/"},
    )
    assert login.status_code == 302, login.text[:500]
    assert login.headers["location"] == "/admin/"
    session_cookie = next(
        value for value in login.headers.get_list("set-cookie") if value.startswith("sessionid=")
    )
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie

    home = browser.get("/admin/")
    assert home.status_code == 200
    assert "logout" in home.text.lower()


def test_a_post_without_the_csrf_token_is_refused(site, browser):
    browser.get("/admin/login/")
    response = browser.post(
        "/admin/login/",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"Origin": site["https"], "Referer": f"{site['https']}/admin/login/"},
    )
    assert response.status_code == 403


def test_metrics_need_the_token(browser):
    assert browser.get("/metrics").status_code == 403
    browser.get("/healthz")
    response = browser.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert 'lotse_http_request_duration_seconds_count{method="GET",route="healthz"' in (
        response.text
    )


def test_server_logs_are_json_lines(site, browser):
    browser.get("/healthz")
    time.sleep(0.5)  # the access line is written after the response
    records = []
    for line in site["log"].read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert any("/healthz" in r["message"] for r in access), records[-5:]
