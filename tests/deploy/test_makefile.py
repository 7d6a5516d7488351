"""`make install` on a machine whose Python cannot do: one line that says what to do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require
from tests.helpers import REPO, clean_env

TOO_OLD = '#!/bin/sh\ncase "$1" in --version) echo "Python 3.9.2";; esac\nexit 1\n'
# Debian's python3 without python3-venv: the interpreter works, `-m venv` does not
NO_VENV = (
    '#!/bin/sh\nif [ "$1" = "-m" ]; then\n'
    '  echo "ensurepip is not available" >&2; exit 1\nfi\nexec python3 "$@"\n'
)


def make_install(python: str, venv: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "install", f"PYTHON={python}", f"VENV={venv}"],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_python(tmp_path: Path, script: str) -> str:
    path = tmp_path / "python3"
    path.write_text(script)
    path.chmod(0o755)
    return str(path)


@pytest.fixture(autouse=True)
def make_available() -> None:
    require(shutil.which("make"), "make")


@pytest.mark.parametrize(
    ("script", "says"),
    [
        (TOO_OLD, "Lotse needs Python 3.11 or newer, but {python} is Python 3.9.2: install"),
        (None, "Lotse needs Python 3.11 or newer, but {python} is not installed: install"),
        (NO_VENV, "{python} cannot create a virtualenv (its venv module is missing): on Debian"),
    ],
    ids=["too-old", "missing", "no-venv"],
)
def test_a_python_that_cannot_do_gets_one_line_saying_what_to_do(tmp_path, script, says):
    python = fake_python(tmp_path, script) if script else str(tmp_path / "no-python3")
    venv = tmp_path / "venv"

    result = make_install(python, venv)

    assert result.returncode != 0
    (line,) = result.stdout.splitlines()
    assert line.startswith(says.format(python=python))
    assert not venv.exists()  # nothing half-made is left behind
