"""One reader of CI for the settings and the tests; a mysql:// URL without its driver."""

from __future__ import annotations

import json
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import parse_database_url, running_in_ci
from tests.helpers import clean_env, run_python


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("yes", True), ("false", False), ("0", False), ("", False)],
)
def test_ci_is_any_true_value(monkeypatch, raw, expected):
    monkeypatch.setenv("CI", raw)
    assert running_in_ci() is expected


def test_a_ci_value_that_is_no_boolean_is_an_error(monkeypatch):
    monkeypatch.setenv("CI", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CI='maybe' is not a boolean"):
        running_in_ci()


SHOW_CI = """
import json, django
django.setup()
from django.conf import settings
import tests.conftest
print(json.dumps([settings.CI, tests.conftest.CI, settings.DATABASES["default"]["ENGINE"]]))
"""


@pytest.mark.parametrize("raw", ["1", "true"])
def test_settings_and_test_guards_agree_on_ci(raw, tmp_path):
    # CI=1 used to make the settings pick MariaDB while every test guard skipped
    env = clean_env(CI=raw, DJANGO_SETTINGS_MODULE="backend.settings.test")
    env["LOTSE_VAR_DIR"] = str(tmp_path / "var")
    result = run_python(SHOW_CI, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [True, True, "django.db.backends.mysql"]


def test_a_mysql_url_without_the_driver_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "MySQLdb", None)  # import MySQLdb now fails
    with pytest.raises(ImproperlyConfigured) as error:
        parse_database_url("DATABASE_URL", "mysql://lotse:pw@db:3306/lotse")
    message = str(error.value)
    assert message.startswith("DATABASE_URL is a mysql:// URL, but the MySQL driver")
    assert "mysql extra" in message and "make install EXTRAS=mysql" in message
    assert message.count(". ") == 0  # one sentence


def test_sqlite_needs_no_mysql_driver(monkeypatch):
    monkeypatch.setitem(sys.modules, "MySQLdb", None)
    assert parse_database_url("DATABASE_URL", "sqlite:////tmp/x.sqlite3").name == "/tmp/x.sqlite3"
