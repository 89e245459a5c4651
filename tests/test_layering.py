"""The layers import downwards only (docs/architecture.md): cli, bench, the bot's rooms from
`app` down to `settings`, then the engine's rooms from `beat` down to `music`. The engine
never imports the Discord layer, and no module imports another process's entry point."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("import_graph", REPO / "scripts/import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)
ENTRY_POINTS = {"bot.jobs.worker": "cli.worker"}
"""A process's entry point, and the one module that may import it (the command that runs it)."""
PACKAGES = ("cli", "bench", "bot", "engine")
ENGINE_BASE = {"engine", "engine.errors"}
ALLOWED = {
    "engine.music": ENGINE_BASE,
    "engine.data": ENGINE_BASE | {"engine.music"},
    "engine.sound": ENGINE_BASE | {"engine.music"},
    "engine.model": ENGINE_BASE | {"engine.music"},
    "engine.training": ENGINE_BASE | {"engine.music", "engine.data", "engine.model"},
    "engine.beat": ENGINE_BASE | {"engine.music", "engine.model", "engine.sound"},
}
"""Which parts of ours each engine room may import (besides itself)."""
NEVER_IN_ENGINE = ("discord", "aiosqlite", "asyncpg", "redis", "arq", "simcord", "bot", "cli",
                   "bench")
NEVER_IN_BOT = ("cli", "bench")


def _part(module: str) -> str:
    """`engine.music.drums` -> `engine.music`; `bot.exts.beat` -> `bot`."""
    names = module.split(".")
    return ".".join(names[:2]) if names[0] == "engine" and len(names) > 1 else names[0]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules(package: str) -> list[tuple[str, set[str]]]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        found.append((module, _imports(path)))
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_each_engine_room_imports_only_the_rooms_below(room):
    ours = ("engine",) + NEVER_IN_ENGINE
    wrong = {module: sorted(bad) for module, names in _modules(room.replace(".", "/"))
             if (bad := {_part(n) for n in names if n.split(".")[0] in ours}
                 - ALLOWED[room] - {room})}
    assert wrong == {}


def test_the_engine_never_imports_the_bot_or_its_servers():
    wrong = {module: sorted(bad) for module, names in _modules("engine")
             if (bad := {n.split(".")[0] for n in names} & set(NEVER_IN_ENGINE))}
    assert wrong == {}


def test_the_bot_never_imports_the_command_line_or_benchmarks():
    wrong = {module: sorted(bad) for module, names in _modules("bot")
             if (bad := {n.split(".")[0] for n in names} & set(NEVER_IN_BOT))}
    assert wrong == {}


@pytest.mark.parametrize("room", import_graph.ROOMS)
def test_each_room_imports_only_rooms_below_it(room):
    graph = import_graph.room_graph()
    below = import_graph.ROOMS[import_graph.ROOMS.index(room) + 1 :]
    assert graph[room] - set(below) == set()


def test_no_module_imports_another_process_entry_point():
    wrong = [(module, entry) for module, names in import_graph.modules().items()
             for entry, runner in ENTRY_POINTS.items()
             if entry in names and module not in (entry, runner)]
    assert wrong == []


def test_the_architecture_doc_holds_the_graph_the_code_has():
    made = import_graph.table(import_graph.room_graph())
    assert import_graph.docs_table() == made, "run scripts/import_graph.py --write"
