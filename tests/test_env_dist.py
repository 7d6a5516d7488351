"""Every environment variable the code reads is listed (and commented) in .env.dist."""

from __future__ import annotations

import re

from tests.helpers import REPO

READERS = re.compile(
    r"""(?:env(?:str|bool|int|float|list|url)|os\.environ\.get|os\.getenv|os\.environ\.setdefault)"""
    r"""\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Read only by the test settings and test helpers, never by a deployment.
TEST_ONLY = {"CI", "LOTSE_TEST_MARIADB_URL"}
CODE_DIRS = ("backend", "workers", "crawler", "rag")


def variables_read() -> dict[str, str]:
    found = {}
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            if path.name == "test.py" and path.parent.name == "settings":
                continue
            for name in READERS.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(REPO)))
    for name in READERS.findall((REPO / "manage.py").read_text(encoding="utf-8")):
        found.setdefault(name, "manage.py")
    return found


def listed() -> set[str]:
    text = (REPO / ".env.dist").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_variable_read_is_listed():
    missing = {name: where for name, where in variables_read().items() if name not in listed()}
    missing = {name: where for name, where in missing.items() if name not in TEST_ONLY}
    assert missing == {}


def test_finder_sees_the_known_readers():
    read = variables_read()
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        assert name in read


# Read by docker compose (or the image), not by the Python code.
COMPOSE_ONLY: set[str] = {
    "APP_IMAGE",
    "MYSQL_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "MONGODB_PASSWORD",
    "RABBITMQ_PASSWORD",
    "REDIS_PASSWORD",
    "TRAEFIK_NETWORK",
}


def test_no_stale_entries():
    stale = listed() - set(variables_read()) - COMPOSE_ONLY
    assert stale == set()
