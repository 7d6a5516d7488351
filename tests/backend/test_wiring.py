"""Settings become config in one module: only backend/wiring.py calls the config classes of
``rag`` and ``crawler`` (a derived copy through ``dataclasses.replace`` is not a new config)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIRING = ROOT / "backend" / "wiring.py"


def config_classes() -> set[str]:
    """Every dataclass named ``...Config`` in ``rag/`` and ``crawler/``: a new one is covered
    without touching this test."""
    names = set()
    for path in [*(ROOT / "rag").rglob("*.py"), *(ROOT / "crawler").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.ClassDef)
                and node.name.endswith("Config")
                and any("dataclass" in ast.unparse(d) for d in node.decorator_list)
            ):
                names.add(node.name)
    return names


def constructions(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, class) of each call of a config class or of one of its class methods."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            func = func.value if func.value.id in classes else func  # CrawlConfig.from_dict(...)
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in classes:
            found.append((node.lineno, name))
    return found


def test_the_config_classes_are_found():
    assert {"CrawlConfig", "PageStoreConfig", "RagConfig", "AnswerConfig", "LLMConfig"} <= (
        config_classes()
    )


def test_only_wiring_builds_configs():
    classes = config_classes()
    offenders = [
        f"{path.relative_to(ROOT)}:{line} calls {name}"
        for folder in ("backend", "workers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != WIRING
        for line, name in constructions(path.read_text(), classes)
    ]
    assert offenders == [], "build configs in backend/wiring.py:\n" + "\n".join(offenders)
    assert constructions(WIRING.read_text(), classes), "wiring.py builds no config at all?"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from rag.config import DenseConfig\nDenseConfig(model='x')", [(2, "DenseConfig")]),
        (
            "import rag.config\nrag.config.VectorStoreConfig(url='', path='')",
            [(2, "VectorStoreConfig")],
        ),
        ("CrawlConfig.from_dict({})", [(1, "CrawlConfig")]),
        ("replace(config, top_k=3)", []),
        ("config.dense.model", []),
    ],
)
def test_constructions_are_recognised(source, expected):
    assert constructions(source, config_classes()) == expected
