"""The functions .ci/run is made of, each driven on its own without touching the machine's
shared servers: a Redis of the test's own on a spare port, fake apt tools, a throwaway login."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid

import pytest

from tests.conftest import require
from tests.deploy.tools import require_tool
from tests.helpers import REPO


def bash(script: str, *, env: dict[str, str] | None = None, timeout: float = 90):
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source .ci/lib.sh; {script}"],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_command(port: int, command: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(command.encode() + b"\r\n")
        return sock.recv(100).decode()


@pytest.fixture
def own_redis_port(tmp_path):
    """A spare port; whatever the test started there is shut down afterwards."""
    require_tool("redis-server")
    port = spare_port()
    yield port
    try:
        redis_command(port, "SHUTDOWN NOSAVE")
    except OSError:
        pass  # not running (any more)


def test_a_server_that_does_not_answer_is_started_and_one_that_answers_is_left(
    own_redis_port, tmp_path
):
    port = own_redis_port
    start = f"ensure_running Redis {port} start_redis {port} {tmp_path}"

    first = bash(start)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Redis does not answer on port {port}: starting it" in first.stdout
    assert redis_command(port, "PING") == "+PONG\r\n"
    pid = (tmp_path / f"redis-{port}.pid").read_text().strip()

    second = bash(start)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.strip() == f"Redis answers on port {port}"
    # the same server: nothing was started the second time
    assert (tmp_path / f"redis-{port}.pid").read_text().strip() == pid


def test_a_server_that_never_answers_fails_the_stage_with_its_name():
    port = spare_port()
    result = bash(f"ensure_running Nothing {port} true", env={"CI_SERVER_WAIT_S": "1"})
    assert result.returncode == 1
    assert f"Nothing still does not answer on port {port} after 1s" in result.stdout


@pytest.fixture
def fake_apt(tmp_path):
    """dpkg-query that knows two installed packages, apt-get that notes its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\n"
        'for p; do last="$p"; done\n'
        'case "$last" in make|git) echo "install ok installed";; *) exit 1;; esac\n'
    )
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, log


def test_only_missing_packages_are_installed(fake_apt):
    env, log = fake_apt
    result = bash("install_missing make nginx git gettext", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "installing nginx gettext"
    update, install = log.read_text().splitlines()
    assert update == "update -qq"
    assert install.split()[-2:] == ["nginx", "gettext"]


def test_nothing_missing_means_no_apt_at_all(fake_apt):
    env, log = fake_apt
    result = bash("install_missing make git", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "all 2 packages are installed"
    assert not log.exists()


def test_every_stage_is_timed_and_a_failed_one_is_marked():
    result = bash(
        "trap 'print_timings $?' EXIT; begin first; sleep 0.2; begin second; false",
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["== first", "== second"]
    assert lines[2] == "== timings"
    first, second, total = (line.split() for line in lines[3:])
    assert first[0] == "first" and float(first[1].rstrip("s")) >= 0.2
    assert second[0] == "second" and second[2] == "(failed)"
    assert total[0] == "total"
    assert float(total[1].rstrip("s")) == pytest.approx(
        float(first[1].rstrip("s")) + float(second[1].rstrip("s")), abs=0.11
    )


def test_the_test_login_reaches_only_the_tests_databases():
    """As root through MariaDB's unix socket, as .ci/run does; the login is dropped after."""
    require(shutil.which("mariadb") and os.geteuid() == 0, "root with the mariadb client")
    import MySQLdb

    user = f"lotse_t{uuid.uuid4().hex[:8]}"
    result = bash(f'create_test_login {user}; echo "URL=$LOTSE_TEST_MARIADB_URL"')
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        url = result.stdout.strip().splitlines()[-1].removeprefix("URL=")
        password = url.split(":")[2].split("@")[0]
        assert url == f"mysql://{user}:{password}@127.0.0.1:3306/{user}"
        connection = MySQLdb.connect(host="127.0.0.1", user=user, password=password)
        cursor = connection.cursor()
        cursor.execute(f"CREATE DATABASE test_lotse_{user}")
        cursor.execute(f"DROP DATABASE test_lotse_{user}")
        with pytest.raises(MySQLdb.OperationalError, match="denied"):
            cursor.execute("CREATE DATABASE lotse_production")
        connection.close()
        # again: the same login, a new password
        again = bash(f'create_test_login {user}; echo "URL=$LOTSE_TEST_MARIADB_URL"')
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.strip().splitlines()[-1] != result.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(
            ["mariadb", "--protocol=socket", "-u", "root"],
            input=(
                f"DROP USER IF EXISTS '{user}'@'localhost', '{user}'@'127.0.0.1';"
                f"DROP DATABASE IF EXISTS `{user}`;"
            ),
            text=True,
            check=True,
        )
