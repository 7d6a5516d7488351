"""In the embedded default, `manage.py evaluate` while `serve` holds the stores: one sentence."""

import json
import subprocess
import sys

from tests.backend.test_embedded_lock import HOLD_LOCK
from tests.helpers import REPO, clean_env, run_manage


def test_evaluate_says_in_one_sentence_that_the_server_holds_the_stores(tmp_path):
    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "Wann ist Training?", "expected_url": "https://v.example/"}) + "\n"
    )
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_manage("evaluate", "--file", str(questions), env=env)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "in use by another Lotse process" in lines[0] and f"pid {holder.pid}" in lines[0]
    finally:
        holder.kill()
        holder.wait()
