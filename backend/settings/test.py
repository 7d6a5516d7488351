"""Settings for pytest.

Under CI (``CI=true``, see ``running_in_ci``) the tests use the real MariaDB as Django's test
database, at ``LOTSE_TEST_MARIADB_URL`` (``.ci/run`` creates that login). Elsewhere they use it
when it answers on 127.0.0.1:3306 and the mysql extra is installed, and fall back to a SQLite
file otherwise (so a worker subprocess can share the test database either way).
"""

import os
import socket
import tempfile
from urllib.parse import urlsplit

# Tests never touch the developer's var/ (a running `make run` owns it). Subprocesses (a
# Celery worker, manage.py) inherit the same folder through the environment.
if not os.environ.get("LOTSE_VAR_DIR"):
    os.environ["LOTSE_VAR_DIR"] = tempfile.mkdtemp(prefix="lotse-test-var-")

from backend.settings.base import *  # noqa: F403
from backend.settings.base import DATABASE_URL, envstr, parse_database_url
from backend.settings.env import mysql_driver_installed, running_in_ci

SECRET_KEY = "lotse-test-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CI = running_in_ci()
TEST_MARIADB_URL = envstr("LOTSE_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")


def _mariadb_answers() -> bool:
    parts = urlsplit(TEST_MARIADB_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 3306), timeout=0.5):
            return True
    except OSError:
        return False


if DATABASE_URL:
    pass  # set explicitly, e.g. for a worker subprocess that must share the test database
elif CI or (_mariadb_answers() and mysql_driver_installed()):
    _mariadb = parse_database_url("LOTSE_TEST_MARIADB_URL", TEST_MARIADB_URL)
    DATABASES = {"default": _mariadb.as_django()}
    # One test database per pytest process, so two suites on one machine never drop each
    # other's tables; Django removes it when the run ends.
    DATABASES["default"]["TEST"]["NAME"] = f"test_lotse_{os.getpid()}"
else:
    _sqlite = os.path.join(tempfile.gettempdir(), "lotse-test.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _sqlite}
