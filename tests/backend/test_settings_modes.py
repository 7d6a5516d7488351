"""The environment picks the adapters, once; a wrong environment ends in one clear line."""

import json
import os
import stat

import pytest

from tests.helpers import clean_env, run_manage, run_python

SHOW_MODE = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.settings.dev'); "
    "import django, json; django.setup(); from django.conf import settings; "
    "from backend.wiring import page_store_config, vector_store_config; "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], "
    "'db_name': settings.DATABASES['default']['NAME'], "
    "'tasks_embedded': settings.TASKS_EMBEDDED, "
    "'page_store_embedded': page_store_config().embedded, "
    "'vectors_local': vector_store_config().local, "
    "'var': str(settings.VAR_DIR)}))"
)


def test_no_environment_means_embedded_default(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    result = run_python(SHOW_MODE, env=env)
    assert result.returncode == 0, result.stderr
    mode = json.loads(result.stdout)
    assert mode["db"] == "django.db.backends.sqlite3"
    assert mode["db_name"] == str(tmp_path / "var" / "lotse.sqlite3")
    assert mode["tasks_embedded"] and mode["page_store_embedded"] and mode["vectors_local"]


def test_server_urls_switch_every_adapter(tmp_path):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL="mysql://lotse:secret@db:3306/lotse",
        MONGODB_URL="mongodb://mongodb:27017",
        QDRANT_URL="http://qdrant:6333",
        CELERY_BROKER_URL="amqp://guest:guest@rabbitmq:5672//",
        REDIS_URL="redis://redis:6379/0",
    )
    result = run_python(SHOW_MODE, env=env)
    assert result.returncode == 0, result.stderr
    mode = json.loads(result.stdout)
    assert mode["db"] == "django.db.backends.mysql"
    assert not (mode["tasks_embedded"] or mode["page_store_embedded"] or mode["vectors_local"])


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "postgres://x@y/z", "DATABASE_URL must start with mysql://"),
        ("CELERY_BROKER_URL", "rabbitmq:5672", "CELERY_BROKER_URL must start with amqp://"),
        ("LOTSE_HEALTH_TIMEOUT", "soon", "LOTSE_HEALTH_TIMEOUT='soon' is not a number"),
        ("FORWARDED_ALLOW_IPS", "*", "FORWARDED_ALLOW_IPS: '*' is not an IP address"),
        ("CRAWLER_ALLOWED_NETWORKS", "10.0.0.5:8080", "CRAWLER_ALLOWED_NETWORKS: '10.0.0.5:8080'"),
        ("FORWARDED_ALLOW_IPS", "traefik", "FORWARDED_ALLOW_IPS: 'traefik' is not an IP address"),
    ],
)
def test_bad_variable_is_one_line(tmp_path, variable, value, expected):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"), **{variable: value})
    result = run_manage("check", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lotse: configuration error: ")
    assert expected in lines[0]


SHOW_DEBUG = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.settings.dev'); "
    "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
)


def test_the_embedded_default_runs_without_debug_pages(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    assert run_python(SHOW_DEBUG, env=env).stdout.strip() == "False"
    # a developer asks for them
    env["DEBUG"] = "true"
    assert run_python(SHOW_DEBUG, env=env).stdout.strip() == "True"


def test_unreachable_database_is_one_line(tmp_path):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"), DATABASE_URL="mysql://root@127.0.0.1:9/lotse"
    )
    result = run_manage("migrate", "--noinput", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot use the database" in lines[0] and "DATABASE_URL" in lines[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_var_is_one_line_as_user(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    var.chmod(stat.S_IRUSR | stat.S_IXUSR)
    result = run_manage("check", env=clean_env(LOTSE_VAR_DIR=str(var)))
    assert result.returncode == 2
    assert "LOTSE_VAR_DIR" in result.stderr and "not writable" in result.stderr


def test_var_that_is_a_file_is_one_line(tmp_path):
    # Works as root too: a path whose parent is a file can never be created.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = run_manage("check", env=clean_env(LOTSE_VAR_DIR=str(blocker / "var")))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "LOTSE_VAR_DIR" in lines[0] and "not writable" in lines[0]


def test_prod_refuses_to_start_without_secret_key(tmp_path):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="backend.settings.prod"
    )
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


def test_unreachable_broker_is_one_line(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    env["CELERY_BROKER_URL"] = "amqp://guest:guest@127.0.0.1:9//"
    result = run_manage("probe_queues", "--timeout", "3", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach the task broker" in lines[0] and "CELERY_BROKER_URL" in lines[0]
