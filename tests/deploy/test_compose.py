"""The three compose files, merged by docker-compose as an operator runs them.

docker-compose 1.29 validates and merges without a Docker engine, so these run anywhere; the
merged ``config`` output is read as YAML and checked for what production relies on.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.deploy.tools import require_tool
from tests.helpers import REPO, clean_env

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.prod.yml", "docker-compose.override.yml")
APP_SERVICES = {"backend", "worker-main", "worker-crawler", "worker-rag"}
SERVER_SERVICES = {"db", "mongodb", "qdrant", "redis", "rabbitmq"}
# What an operator fills in after copying .env.dist (the handful of values the guide names).
OPERATOR_VALUES = {
    "SECRET_KEY": "x" * 60,
    "CHATBOT_HOST": "chat.example.org",
    "MYSQL_PASSWORD": "a1",
    "MYSQL_ROOT_PASSWORD": "b2",
    "MONGODB_PASSWORD": "c3",
    "RABBITMQ_PASSWORD": "d4",
    "REDIS_PASSWORD": "e5",
    "FORWARDED_ALLOW_IPS": "172.30.0.0/16",
}


def env_file(**values: str) -> str:
    """.env.dist with ``values`` filled in, the way an operator edits the copy."""
    lines = []
    for line in (REPO / ".env.dist").read_text(encoding="utf-8").splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values[name]}" if "=" in line and name in values else line)
    return "\n".join(lines) + "\n"


def compose_config(project, env_text: str, *options: str) -> subprocess.CompletedProcess:
    """``docker-compose -f … -f … -f … config`` in a copy of the project with this .env."""
    docker_compose = require_tool("docker-compose")
    for name in COMPOSE_FILES:
        shutil.copy(REPO / name, project / name)
    (project / ".env").write_text(env_text, encoding="utf-8")
    files = [arg for name in COMPOSE_FILES for arg in ("-f", name)]
    return subprocess.run(
        [docker_compose, *files, "config", *options],
        cwd=project,
        env=clean_env(),  # the shell's variables would override .env
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> dict:
    result = compose_config(tmp_path_factory.mktemp("project"), env_file(**OPERATOR_VALUES))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_quiet_validation_passes(tmp_path):
    # What an operator (and CI) runs to check the files and .env before `up -d`.
    result = compose_config(tmp_path, env_file(**OPERATOR_VALUES), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_the_services_have_the_documented_names(merged):
    assert set(merged["services"]) == APP_SERVICES | SERVER_SERVICES


def test_every_service_has_a_healthcheck(merged):
    for name, service in merged["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


@pytest.mark.parametrize(
    ("service", "node"),
    [("worker-main", "main"), ("worker-crawler", "crawler"), ("worker-rag", "rag")],
)
def test_workers_answer_a_celery_ping_as_their_node(merged, service, node):
    worker = merged["services"][service]
    test = " ".join(worker["healthcheck"]["test"])
    # compose prints "$$" for a literal "$": the shell in the container sees $HOSTNAME.
    assert f"celery -A workers.app inspect ping -d {node}@$$HOSTNAME" in test
    command = " ".join(worker["command"])
    assert f"-Q {node}" in command and f"-n {node}@%h" in command


def test_backend_migrates_then_serves(merged):
    command = " ".join(merged["services"]["backend"]["command"])
    assert re.search(
        r"python manage\.py migrate --noinput && exec python manage\.py serve "
        r"--host 0\.0\.0\.0 --port 8000 --workers",
        command,
    )


def test_app_services_run_the_configured_image(tmp_path):
    result = compose_config(tmp_path, env_file(**OPERATOR_VALUES, APP_IMAGE="registry.test/l:7"))
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {services[name]["image"] for name in APP_SERVICES} == {"registry.test/l:7"}


def test_start_order_waits_for_healthy_dependencies(merged):
    services = merged["services"]
    backend_needs = services["backend"]["depends_on"]
    assert set(backend_needs) == SERVER_SERVICES
    for name in APP_SERVICES - {"backend"}:
        needs = services[name]["depends_on"]
        # workers start once the backend has migrated the database
        assert set(needs) == SERVER_SERVICES | {"backend"}
        assert {need["condition"] for need in needs.values()} == {"service_healthy"}


def test_app_services_reach_the_compose_servers(merged):
    env = merged["services"]["worker-rag"]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "backend.settings.prod"
    assert env["DATABASE_URL"] == "mysql://lotse:a1@db:3306/lotse"
    assert env["MONGODB_URL"].startswith("mongodb://lotse:c3@mongodb:27017/")
    assert env["QDRANT_URL"] == "http://qdrant:6333"
    assert env["CELERY_BROKER_URL"] == "amqp://lotse:d4@rabbitmq:5672//"
    assert env["REDIS_URL"] == "redis://:e5@redis:6379/0"


def volume_source(volume) -> str:
    # docker-compose 1.29 prints "name:/path:rw", newer versions a mapping
    return volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]


def test_data_lives_in_named_volumes(merged):
    assert {"database", "mongodb", "qdrant", "rag_cache", "redis", "rabbitmq"} <= set(
        merged["volumes"]
    )
    mounts = {
        name: {volume_source(volume) for volume in service.get("volumes", [])}
        for name, service in merged["services"].items()
    }
    assert "database" in mounts["db"]
    assert "mongodb" in mounts["mongodb"]
    assert "qdrant" in mounts["qdrant"]
    assert "rag_cache" in mounts["worker-rag"]


def test_traefik_routes_the_chatbot_host_to_the_backend_over_tls(merged):
    backend = merged["services"]["backend"]
    labels = backend["labels"]
    assert labels["traefik.enable"] == "true"
    assert labels["traefik.http.routers.lotse.rule"] == "Host(`chat.example.org`)"
    assert labels["traefik.http.routers.lotse.entrypoints"] == "websecure"
    assert labels["traefik.http.routers.lotse.tls"] == "true"
    assert labels["traefik.http.routers.lotse.tls.certresolver"] == "letsencrypt"
    assert labels["traefik.http.services.lotse.loadbalancer.server.port"] == "8000"
    network = labels["traefik.docker.network"]
    assert network in backend["networks"]
    assert merged["networks"][network]["external"] is True


def test_the_backend_trusts_forwarded_headers_from_traefiks_network_only(merged):
    assert merged["services"]["backend"]["environment"]["FORWARDED_ALLOW_IPS"] == "172.30.0.0/16"


def test_no_database_port_is_published(merged):
    for name in SERVER_SERVICES:
        assert not merged["services"][name].get("ports"), f"{name} publishes a port"
    # The backend's test port, if kept, listens on the server's loopback only.
    for port in merged["services"]["backend"].get("ports", []):
        host_ip = port["host_ip"] if isinstance(port, dict) else str(port).split(":", 1)[0]
        assert host_ip == "127.0.0.1"


def test_every_service_restarts_in_production(merged):
    for name, service in merged["services"].items():
        assert service.get("restart") == "unless-stopped", name


@pytest.mark.parametrize("variable", sorted(OPERATOR_VALUES))
def test_a_missing_required_value_stops_compose_naming_it(tmp_path, variable):
    values = {name: value for name, value in OPERATOR_VALUES.items() if name != variable}
    values[variable] = ""
    result = compose_config(tmp_path, env_file(**values))
    assert result.returncode != 0
    assert f"{variable} must be set in .env" in result.stderr


def test_unedited_env_dist_names_what_to_set(tmp_path):
    result = compose_config(tmp_path, (REPO / ".env.dist").read_text(encoding="utf-8"))
    assert result.returncode != 0
    assert "must be set in .env" in result.stderr


def test_backend_with_a_wrong_setting_stays_up_unhealthy_with_one_readable_line(merged, tmp_path):
    """The backend's own start script, run here as the container would run it."""
    script = merged["services"]["backend"]["command"][2].replace("$$", "$")
    env = clean_env(
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        DJANGO_SETTINGS_MODULE="backend.settings.prod",
        SECRET_KEY="x" * 60,
        CHATBOT_HOST="chat.example.org",
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        DATABASE_URL="postgres://lotse@db/lotse",
    )
    process = subprocess.Popen(
        ["sh", "-c", script], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        lines = [process.stderr.readline().strip() for _ in range(2)]
        assert lines[0].startswith("lotse: configuration error: DATABASE_URL must start with")
        assert lines[0].endswith("got postgres://.")
        assert "the backend did not start" in lines[1]
        time.sleep(1)
        # no exit, so no restart loop: the healthcheck reports it, the log says why
        assert process.poll() is None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


@pytest.mark.services
def test_worker_healthcheck_pings_the_worker_its_command_starts(merged, tmp_path, redis_url):
    """worker-rag's command and healthcheck, run here as in the container (HOSTNAME set)."""
    # A Redis database of its own: this worker must not take other tests' messages.
    broker = redis_url.rsplit("/", 1)[0] + "/14"
    service = merged["services"]["worker-rag"]
    env = clean_env(
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        HOSTNAME=socket.gethostname(),
        DJANGO_SETTINGS_MODULE="backend.settings.prod",
        SECRET_KEY="x" * 60,
        CHATBOT_HOST="chat.example.org",
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'lotse.sqlite3'}",
        CELERY_BROKER_URL=broker,
        WORKER_CONCURRENCY="1",
    )
    worker = subprocess.Popen(
        ["sh", "-c", service["command"][2].replace("$$", "$")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    kind, healthcheck = service["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    try:
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(
                ["sh", "-c", healthcheck.replace("$$", "$")],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if check.returncode == 0 or time.monotonic() > deadline:
                break
            assert worker.poll() is None, "the worker exited"
            time.sleep(1)
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"rag@{socket.gethostname()}: OK" in check.stdout
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
