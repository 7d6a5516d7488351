"""Only one process may hold the embedded stores; a second one is told why, in one line."""

import subprocess
import sys
import time

from tests.helpers import REPO, clean_env, run_manage

HOLD_LOCK = (
    "import os, sys, time; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.settings.dev');"
    "import django; django.setup();"
    "from backend.ops.embedded import acquire_embedded_stores; acquire_embedded_stores();"
    "print('locked', flush=True); time.sleep(60)"
)


def test_second_process_is_told_who_holds_the_stores(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run_manage("migrate", "--noinput", env=env).returncode == 0
        started = time.monotonic()
        result = run_manage("serve", "--port", "0", env=env)
        assert time.monotonic() - started < 30
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"pid {holder.pid}" in lines[0]
        assert "in use by another Lotse process" in lines[0]
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_free_again_after_the_holder_exits(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    result = subprocess.run(
        [sys.executable, "-c", HOLD_LOCK.replace("time.sleep(60)", "pass")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "locked" in result.stdout, result.stderr
