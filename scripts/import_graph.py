"""The import graph of our rooms (bot's and the engine's, the command line, the benchmarks),
as a table for docs/architecture.md. Imports under `if TYPE_CHECKING:` are left out: they
are for the type checker and never run.

    .venv/bin/python scripts/import_graph.py            # print the table
    .venv/bin/python scripts/import_graph.py --write    # put it in docs/architecture.md

tests/test_layering.py checks that the docs hold the table this prints.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "bench", "bot", "engine")
ROOMS = ("cli", "bench", "bot.app", "bot.exts", "bot.help", "bot.answers", "bot.jobs",
         "bot.requestlog", "bot.metrics", "bot.errors", "bot.text", "bot.settings", "engine.beat",
         "engine.training", "engine.sound", "engine.model", "engine.data", "engine.music",
         "engine.errors")
"""Our rooms, top down: each module belongs to the longest room its name starts with."""
DOCS = REPO / "docs" / "architecture.md"
START, END = "<!-- import-graph:start -->", "<!-- import-graph:end -->"


def room_of(module: str) -> str | None:
    """`bot.jobs.worker` -> `bot.jobs`; None for a module that is not ours."""
    found = [room for room in ROOMS if module == room or module.startswith(room + ".")]
    return max(found, key=len) if found else None


def runtime_imports(path: Path) -> set[str]:
    """The modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for branch in ast.walk(tree) if _type_checking(branch)
               for child in branch.body for node in ast.walk(child)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def modules() -> dict[str, set[str]]:
    """Each of our modules with what it imports at run time."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found[module.removesuffix(".__init__")] = runtime_imports(path)
    return found


def room_graph() -> dict[str, set[str]]:
    """Each room with the other rooms it imports."""
    graph: dict[str, set[str]] = {room: set() for room in ROOMS}
    for module, names in modules().items():
        here = room_of(module)
        if here is None:  # the empty `bot` and `engine` package files
            continue
        graph[here] |= {room for name in names if (room := room_of(name)) not in (None, here)}
    return graph


def table(graph: dict[str, set[str]]) -> str:
    """The graph as a Markdown table, rooms top down."""
    rows = ["| Room | Imports (at run time) |", "| --- | --- |"]
    for room in ROOMS:
        below = ", ".join(f"`{name}`" for name in ROOMS if name in graph[room]) or "(none)"
        rows.append(f"| `{room}` | {below} |")
    return "\n".join(rows)


def docs_table() -> str:
    """The table docs/architecture.md holds now."""
    text = DOCS.read_text(encoding="utf-8")
    return text[text.index(START) + len(START) : text.index(END)].strip()


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into the docs between the markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/architecture.md")
    args = parser.parse_args(argv)
    made = table(room_graph())
    if not args.write:
        print(made)
        return 0
    text = DOCS.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOCS.write_text(f"{head}{START}\n{made}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
