"""Guessing passwords and tokens is throttled; weak passwords are refused.

The counters' clock is frozen (``backend.ops.counters.now``): no test waits for a real window.
"""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.ops import counters
from tests.helpers import clean_env, run_python

pytestmark = pytest.mark.django_db

PASSWORD = "lange genug und selten 42"
T0 = 1_800_000_000.0  # divisible by 900: the start of a lockout window


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    counters.local_counters.clear()
    clock = {"now": T0 + 5}
    monkeypatch.setattr(counters, "now", lambda: clock["now"])
    yield clock
    counters.local_counters.clear()


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("chefin", "chefin@verein.example", PASSWORD)


def sign_in(client, username: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


@override_settings(LOGIN_FAILURES_PER_USER=3, LOGIN_FAILURES_PER_CLIENT=100)
def test_a_user_name_is_locked_after_failures_even_for_the_right_password(
    client, admin_user, frozen_clock
):
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):  # several addresses
        assert sign_in(client, "chefin", "falsch", address).status_code == 200
    refused = sign_in(client, "chefin", PASSWORD, "198.51.100.4")
    assert refused.status_code == 200
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    frozen_clock["now"] = T0 + 900  # the next window
    assert signed_in(sign_in(client, "chefin", PASSWORD))


@override_settings(LOGIN_FAILURES_PER_USER=3, LOGIN_FAILURES_PER_CLIENT=100)
def test_a_successful_sign_in_clears_the_user_names_failures(client, admin_user):
    for _ in range(2):
        sign_in(client, "chefin", "falsch")
    assert signed_in(sign_in(client, "chefin", PASSWORD))
    client.logout()
    for _ in range(2):
        sign_in(client, "chefin", "falsch")
    assert signed_in(sign_in(client, "chefin", PASSWORD))


@override_settings(LOGIN_FAILURES_PER_USER=100, LOGIN_FAILURES_PER_CLIENT=4)
def test_an_address_is_locked_after_failures_for_any_user_names(client, admin_user):
    for name in ("a", "b", "c", "d"):
        sign_in(client, name, "falsch", "203.0.113.9")
    refused = sign_in(client, "chefin", PASSWORD, "203.0.113.9")
    assert "Too many failed sign-ins" in refused.content.decode()
    # another address is not affected
    assert signed_in(sign_in(client, "chefin", PASSWORD, "203.0.113.10"))


@override_settings(LOGIN_FAILURES_PER_USER=100, LOGIN_FAILURES_PER_CLIENT=2)
def test_one_ipv6_customer_is_one_address(client, admin_user):
    sign_in(client, "x", "falsch", "2001:db8:1:2::1")
    sign_in(client, "y", "falsch", "2001:db8:1:2:ffff::7")  # the same /64
    refused = sign_in(client, "chefin", PASSWORD, "2001:db8:1:2::99")
    assert "Too many failed sign-ins" in refused.content.decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_admin_sign_in_fails_closed_without_the_counter_store(client, admin_user):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        refused = sign_in(client, "chefin", PASSWORD)
    assert refused.status_code == 200
    assert "not possible right now" in refused.content.decode()
    assert signed_in(sign_in(client, "chefin", PASSWORD))


@override_settings(API_TOKEN_FAILURES_PER_CLIENT=3)
def test_invalid_tokens_are_throttled_per_address(admin_user, frozen_clock):
    key = Token.objects.create(user=admin_user).key
    guesser, other = APIClient(REMOTE_ADDR="192.0.2.7"), APIClient(REMOTE_ADDR="192.0.2.8")
    for _ in range(3):
        response = guesser.get("/api/v1/sources/", HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert response.status_code == 401
    blocked = guesser.get("/api/v1/sources/", HTTP_AUTHORIZATION=f"Token {key}")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) == 895
    assert other.get("/api/v1/sources/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    frozen_clock["now"] = T0 + 900
    assert guesser.get("/api/v1/sources/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@override_settings(API_TOKEN_FAILURES_PER_CLIENT=1)
def test_valid_tokens_work_without_the_counter_store(admin_user):
    key = Token.objects.create(user=admin_user).key
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = APIClient().get("/api/v1/sources/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


@pytest.mark.services
@override_settings(LOGIN_FAILURES_PER_USER=2, LOGIN_FAILURES_PER_CLIENT=100)
def test_lockout_counts_in_redis(client, admin_user, redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    before = set(server.keys(f"{counters.KEY_PREFIX}login:*"))
    try:
        with override_settings(REDIS_URL=redis_url):
            sign_in(client, "chefin", "falsch")
            sign_in(client, "chefin", "falsch")
            refused = sign_in(client, "chefin", PASSWORD)
            assert "Too many failed sign-ins" in refused.content.decode()
        assert set(server.keys(f"{counters.KEY_PREFIX}login:*")) - before
    finally:
        for key in set(server.keys(f"{counters.KEY_PREFIX}login:*")) - before:
            server.delete(key)


def test_createsuperuser_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "1234")
    with pytest.raises(CommandError, match="too short"):
        call_command("createsuperuser", "--noinput", username="root", email="r@verein.example")
    assert not User.objects.filter(username="root").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", username="root", email="r@verein.example")
    assert User.objects.get(username="root").check_password(PASSWORD)


SHOW_VALIDATORS = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.contrib.auth.password_validation import validate_password; "
    "from django.core.exceptions import ValidationError\n"
    "try:\n    validate_password('1234')\nexcept ValidationError as e:\n"
    "    print(len(settings.AUTH_PASSWORD_VALIDATORS), len(e.messages))"
)


@pytest.mark.parametrize("module", ["dev", "prod", "test"])
def test_every_settings_module_has_the_password_rules(tmp_path, module):
    env = clean_env(
        DJANGO_SETTINGS_MODULE=f"backend.settings.{module}",
        SECRET_KEY="s" * 60,
        CHATBOT_HOST="chat.example.org",
        LOTSE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = run_python(SHOW_VALIDATORS, env=env)
    assert result.returncode == 0, result.stderr
    validators, errors = map(int, result.stdout.split())
    assert validators == 4 and errors == 3  # too short, too common, entirely numeric
