"""The image recipe, read as text: no Docker engine is needed (or available) to check it."""

from __future__ import annotations

import re

from tests.helpers import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def instructions(keyword: str) -> list[str]:
    # Joined continuation lines, comments dropped, as docker reads them.
    text = re.sub(r"^\s*#.*\n", "", DOCKERFILE, flags=re.MULTILINE).replace("\\\n", " ")
    return [line for line in text.splitlines() if line.split(" ", 1)[0] == keyword]


def test_multi_stage_and_slim():
    stages = instructions("FROM")
    assert len(stages) >= 2
    assert "PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE
    assert any("COPY --from=build /opt/venv" in line for line in instructions("COPY"))


def test_runs_as_a_non_root_user():
    users = instructions("USER")
    assert users and users[-1].split()[1] not in {"root", "0"}


def test_has_a_healthcheck_on_healthz():
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "/healthz" in healthcheck


def test_installs_the_project_with_its_constraints_the_mysql_driver_and_local_embeddings():
    # mysqlclient is the mysql extra (it compiles; the embedded default does without it); the
    # local-embeddings extra: a mounted model folder (numpy BERT or onnxruntime) works without
    # a rebuild; the bundled model is a core dependency
    assert any(
        "pip install -c constraints.txt '.[mysql,local-embeddings,render]'" in line
        for line in instructions("RUN")
    )
    extra = (REPO / "pyproject.toml").read_text(encoding="utf-8").split("local-embeddings = [")[1]
    assert "onnxruntime" in extra.split("]")[0]


PARSING_PACKAGES = (
    "tesseract-ocr",
    "tesseract-ocr-deu",
    "tesseract-ocr-eng",
    "poppler-utils",
    "libmagic1",
)


def test_parsing_needs_are_in_the_image_and_in_ci_alike():
    runs = " ".join(instructions("RUN")).split()
    # .ci/run installs the CI_PACKAGES of .ci/lib.sh
    ci_run = (REPO / ".ci" / "lib.sh").read_text(encoding="utf-8").split()
    for package in PARSING_PACKAGES:
        assert package in runs, f"the image lacks {package}"
        assert package in ci_run, f".ci/run lacks {package}"
    assert "libmariadb3" in runs


def test_the_image_can_render_pages_with_debians_chromium():
    # crawler.render drives /usr/bin/chromium (CRAWLER_BROWSER) through Playwright (the render
    # extra); the build runs the browser once, so an image whose Chromium cannot start fails
    runs = " ".join(instructions("RUN"))
    assert "chromium" in runs.split() and "fonts-dejavu-core" in runs.split()
    assert "chromium --headless --no-sandbox --disable-gpu --version" in runs
    ci_run = (REPO / ".ci" / "lib.sh").read_text(encoding="utf-8").split()
    assert "chromium" in ci_run
    extra = (REPO / "pyproject.toml").read_text(encoding="utf-8").split("\nrender = [")[1]
    assert "playwright" in extra.split("]")[0]
    settings = (REPO / "backend" / "settings" / "crawler.py").read_text(encoding="utf-8")
    assert '"CRAWLER_BROWSER", "/usr/bin/chromium"' in settings


def test_models_are_never_fetched_at_run_time():
    env = " ".join(instructions("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "DO_NOT_TRACK=true" in env


def test_secrets_and_local_state_stay_out_of_the_build_context():
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored
    assert "!.env.dist" in ignored
