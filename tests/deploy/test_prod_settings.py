"""backend.settings.prod with the environment compose gives it: secure, JSON logs, clear errors."""

from __future__ import annotations

import json

import pytest

from tests.helpers import clean_env, run_manage, run_python

STRONG_KEY = "k3y-" + "0123456789abcdef" * 4


def prod_env(tmp_path, **extra: str) -> dict[str, str]:
    values = {
        "DJANGO_SETTINGS_MODULE": "backend.settings.prod",
        "SECRET_KEY": STRONG_KEY,
        "CHATBOT_HOST": "chat.example.org",
        "LOTSE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lotse.sqlite3'}",
    }
    values.update(extra)
    return clean_env(**values)


def test_check_deploy_is_clean(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=prod_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SHOW_SECURITY = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
    "'csrf_origins': s.CSRF_TRUSTED_ORIGINS, 'proxy': s.SECURE_PROXY_SSL_HEADER, 'forwarded': s.FORWARDED_ALLOW_IPS, "
    "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
    "'hsts': s.SECURE_HSTS_SECONDS, 'redirect': s.SECURE_SSL_REDIRECT, "
    "'middleware': s.MIDDLEWARE[0]}))"
)


def test_security_settings_follow_chatbot_host(tmp_path):
    env = prod_env(tmp_path, DEBUG="true", ALLOWED_HOSTS="backend")
    result = run_python(SHOW_SECURITY, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["debug"] is False  # DEBUG=true in .env never reaches production
    assert shown["hosts"][:2] == ["chat.example.org", "backend"]
    assert shown["csrf_origins"] == ["https://chat.example.org"]
    # X-Forwarded-Proto counts only from FORWARDED_ALLOW_IPS: uvicorn applies it, not Django
    assert shown["proxy"] is None
    assert shown["forwarded"] == ["127.0.0.1", "::1"]
    assert shown["session_secure"] and shown["csrf_secure"] and shown["redirect"]
    assert shown["hsts"] == 31536000
    assert shown["middleware"] == "backend.ops.metrics.RequestMetricsMiddleware"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "CHATBOT_HOST must be set in production"),
        ("https://chat.example.org", "CHATBOT_HOST must be a bare host name"),
    ],
)
def test_wrong_chatbot_host_is_one_line(tmp_path, value, expected):
    result = run_manage("check", env=prod_env(tmp_path, CHATBOT_HOST=value))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lotse: configuration error: ") and expected in lines[0]


def test_wrong_log_format_is_one_line(tmp_path):
    result = run_manage("check", env=prod_env(tmp_path, LOG_FORMAT="xml"))
    assert result.returncode == 2
    assert "LOG_FORMAT='xml' must be line or json" in result.stderr


LOG_SOMETHING = (
    "import django, logging; django.setup(); "
    "log = logging.getLogger('lotse.test'); "
    "log.warning('crawl %s stopped', 7, extra={'source_id': 3}); "
    "logging.getLogger('uvicorn.access').info('%s - \"%s %s HTTP/%s\" %d', "
    "'1.2.3.4:5', 'GET', '/healthz', '1.1', 200)"
)


def test_production_logs_are_json_lines_on_stdout(tmp_path):
    result = run_python(LOG_SOMETHING, env=prod_env(tmp_path))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    crawl = next(r for r in records if r["logger"] == "lotse.test")
    assert crawl["level"] == "WARNING"
    assert crawl["message"] == "crawl 7 stopped"
    assert crawl["source_id"] == 3
    assert crawl["time"].endswith("+00:00")
    access = next(r for r in records if r["logger"] == "uvicorn.access")
    assert access["message"] == '1.2.3.4:5 - "GET /healthz HTTP/1.1" 200'


def test_line_format_stays_available(tmp_path):
    result = run_python(LOG_SOMETHING, env=prod_env(tmp_path, LOG_FORMAT="line"))
    assert result.returncode == 0, result.stderr
    assert "WARNING lotse.test crawl 7 stopped" in result.stdout
