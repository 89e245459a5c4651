"""The engine never imports the Discord layer (STYLE.md: the Discord layer is thin)."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

FORBIDDEN = ("discord", "aiosqlite", "bot", "simcord")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_engine_does_not_import_the_bot():
    root = Path(engine.__file__).parent
    offenders = {str(path.relative_to(root)): sorted(_imports(path) & set(FORBIDDEN))
                 for path in root.rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}
