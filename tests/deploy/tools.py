"""Finding the system tools the deployment tests drive (docker-compose, nginx, openssl)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import CI


def require_tool(name: str) -> str:
    """The tool's path; skipped when missing, a failure under CI=true (CI installs it)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        message = f"{name} is not installed"
        if CI:
            pytest.fail(f"{message}; CI=true requires it (.ci/run installs it)")
        pytest.skip(message)
    return path
