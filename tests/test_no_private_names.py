"""No module of Lotse imports montydb or reaches into a third-party library's private names.

A private name (``_storage``, ``_get_nlp``, a module ``lib._internal``) can change in any
release without notice; Lotse uses libraries through what they publish. Checked on the source:
imports (``from lib import _x``, ``import lib._mod``), attribute access on a name bound by an
import of a third-party module (``mod._x``, also through ``getattr(mod, "_x")``), in every
module of backend/, crawler/, rag/ and workers/; and no module assigns to an attribute of a
library's module (a monkeypatch, whatever the name). Dunder names (``__version__``) are public.
Not seen: a private attribute of an object a library returned (``client._x``); review that.
"""

from __future__ import annotations

import ast
import sys

from tests.helpers import REPO

PACKAGES = ("backend", "crawler", "rag", "workers")
OURS = frozenset(PACKAGES) | {"tests"}
BANNED_MODULES = frozenset({"montydb"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in OURS and top not in sys.stdlib_module_names and top != "__future__"


def violations_in(source: str, filename: str = "<module>") -> list[str]:
    tree = ast.parse(source, filename=filename)
    found: list[str] = []
    bound: dict[str, str] = {}  # local name -> third-party module (or object) it stands for
    imported: set[str] = set()  # expressions that name an imported library module or class

    def check_path(module: str, line: int) -> None:
        if module.split(".")[0] in BANNED_MODULES:
            found.append(f"{filename}:{line}: imports {module}")
        elif _third_party(module) and any(_private(part) for part in module.split(".")):
            found.append(f"{filename}:{line}: imports the private module {module}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_path(alias.name, node.lineno)
                if _third_party(alias.name):
                    local = alias.asname or alias.name.split(".")[0]
                    bound[local] = alias.name if alias.asname else local
                    parts = alias.name.split(".")
                    imported.update(
                        {alias.asname}
                        if alias.asname
                        else {".".join(parts[: i + 1]) for i in range(len(parts))}
                    )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            check_path(node.module, node.lineno)
            if not _third_party(node.module):
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{filename}:{node.lineno}: imports {node.module}.{alias.name}")
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                imported.add(alias.asname or alias.name)

    for node in ast.walk(tree):
        # assigning to an attribute of a library's module or class patches the library, public
        # name or not (an attribute of an object it made, ``admin.site.site_header``, is fine)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Attribute) and ast.unparse(target.value) in imported:
                    found.append(f"{filename}:{node.lineno}: patches {ast.unparse(target)}")

    for node in ast.walk(tree):
        target, attribute = None, None
        if isinstance(node, ast.Attribute):
            target, attribute = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            target, attribute = node.args[0], node.args[1].value
        if target is None or not _private(attribute):
            continue
        root = target
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in bound:
            found.append(f"{filename}:{node.lineno}: uses {ast.unparse(target)}.{attribute}")
    return found


def project_violations() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            found += violations_in(path.read_text(encoding="utf-8"), relative)
    return found


def test_no_module_imports_montydb_or_a_private_name_of_a_library():
    assert project_violations() == []
