"""Typed readers for environment variables.

Every setting Lotse reads comes through these helpers, so a bad value fails at start-up with
an ``ImproperlyConfigured`` that names the variable, and ``.env.dist`` can be checked against
the code (``tests/backend/test_env_dist.py`` looks for calls of these helpers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    """The variable's value, or None when unset or empty (an empty line in .env means unset)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def envstr(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def envbool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def running_in_ci() -> bool:
    """Whether this runs in CI (``CI`` set to a true value: true, 1, yes or on).

    The one reader of ``CI``, for the test settings and the test fixtures alike: under CI the
    tests use MariaDB and fail, instead of skipping, when a server or the shared data is
    missing. A value that is not a boolean is an error, never quietly "not CI".
    """
    return envbool("CI", False)


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: the minimum is {minimum}.")
    return number


def envfloat(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: the minimum is {minimum}.")
    return number


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def envurl(name: str, *, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme is one of ``schemes``, or "" when unset."""
    value = _raw(name)
    if value is None:
        return ""
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}, "
            f"got {scheme + '://' if scheme else 'no scheme'}."
        )
    return value


@dataclass(frozen=True)
class DatabaseURL:
    """The parts of ``DATABASE_URL`` that Django needs."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: dict[str, str] | None = None

    def as_django(self) -> dict:
        config: dict = {
            "ENGINE": self.engine,
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
            # No persistent connections: under ASGI every request runs its database work in a
            # thread of its own, so a kept connection is never reused but stays open, and 50
            # streaming chats per process exhausted MySQL's 151 connections (Django's docs:
            # "When using ASGI, persistent connections should be disabled"). Celery's Django
            # fixup then closes a worker's connection after each task.
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
        }
        if self.engine == "django.db.backends.mysql":
            config["OPTIONS"] = {
                "charset": "utf8mb4",
                "connect_timeout": 5,
                "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
                **(self.options or {}),
            }
            config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        return config


def mysql_driver_installed() -> bool:
    """Whether mysqlclient (the ``mysql`` extra) is importable."""
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        return False
    return True


def parse_database_url(name: str, value: str) -> DatabaseURL:
    """``mysql://user:password@host:3306/dbname`` or ``sqlite:////absolute/path.sqlite3``."""
    parts = urlsplit(value)
    if parts.scheme in ("mysql", "mariadb"):
        if not mysql_driver_installed():
            # mysqlclient compiles, so the default install (SQLite) leaves it out
            raise ImproperlyConfigured(
                f"{name} is a {parts.scheme}:// URL, but the MySQL driver (mysqlclient) is not "
                "installed: install Lotse's mysql extra with make install EXTRAS=mysql or "
                "pip install -e '.[mysql]'."
            )
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise ImproperlyConfigured(
                f"{name} must look like mysql://USER:PASSWORD@HOST:3306/DATABASE, "
                "with a host and a database name."
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number.") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return DatabaseURL(
            engine="django.db.backends.mysql",
            name=dbname,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname,
            port=str(port or 3306),
            options=options,
        )
    if parts.scheme == "sqlite":
        # sqlite:////abs/path -> "/abs/path" (the first slash only separates the empty host)
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfigured(f"{name} must look like sqlite:////absolute/path.sqlite3.")
        return DatabaseURL(engine="django.db.backends.sqlite3", name=path)
    raise ImproperlyConfigured(
        f"{name} must start with mysql:// (or sqlite:// for a file), "
        f"got {parts.scheme + '://' if parts.scheme else 'no scheme'}."
    )
