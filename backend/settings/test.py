"""Settings for pytest.

Under ``CI=true`` the tests use the real MariaDB on 127.0.0.1:3306 as Django's test database.
Elsewhere they use it when it answers, and fall back to a SQLite file otherwise (so a worker
subprocess can share the test database either way).
"""

import os
import socket
import tempfile

# Tests never touch the developer's var/ (a running `make run` owns it). Subprocesses (a
# Celery worker, manage.py) inherit the same folder through the environment.
if not os.environ.get("LOTSE_VAR_DIR"):
    os.environ["LOTSE_VAR_DIR"] = tempfile.mkdtemp(prefix="lotse-test-var-")

from backend.settings.base import *  # noqa: F403
from backend.settings.base import DATABASE_URL, envbool, envstr, parse_database_url

SECRET_KEY = "lotse-test-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CI = envbool("CI", False)
TEST_MARIADB_URL = envstr("LOTSE_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")


def _mariadb_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=0.5):
            return True
    except OSError:
        return False


if DATABASE_URL:
    pass  # set explicitly, e.g. for a worker subprocess that must share the test database
elif CI or _mariadb_answers():
    DATABASES = {"default": parse_database_url("DATABASE_URL", TEST_MARIADB_URL).as_django()}
    # One test database per pytest process, so two suites on one machine never drop each
    # other's tables; Django removes it when the run ends.
    DATABASES["default"]["TEST"]["NAME"] = f"test_lotse_{os.getpid()}"
else:
    _sqlite = os.path.join(tempfile.gettempdir(), "lotse-test.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _sqlite}
