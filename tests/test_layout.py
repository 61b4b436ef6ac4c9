"""The layout holds: no import circles, arrows one way down, and libraries only in their rooms."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "campaigns")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(name: str) -> set[str]:
    """Every module `name` imports, at the top or inside a function, resolved to a full name."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def project_imports(name: str) -> set[str]:
    return {m for m in imports(name) if m in MODULES and m != name and not name.startswith(m + ".")}


def test_no_import_circle():
    graph = {name: project_imports(name) for name in MODULES}
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_campaigns_has_only_rooms_at_its_top():
    top = sorted(p.name for p in (ROOT / "campaigns").iterdir() if p.name != "__pycache__")
    loose = [n for n in top if n.endswith(".py") and n not in ("__init__.py", "settings.py", "phones.py")]
    assert loose == []


# Which rooms each room may import (beside itself and the standard library).
ALLOWED = {
    "campaigns.records": {"campaigns.settings", "campaigns.phones"},
    "campaigns.household_lists": {"campaigns.records", "campaigns.settings", "campaigns.phones"},
    "campaigns.carriers": {"campaigns.records", "campaigns.settings", "campaigns.phones"},
    "campaigns.outreach": {"campaigns.records", "campaigns.household_lists", "campaigns.carriers",
                           "campaigns.settings", "campaigns.phones"},
    "bot": {"campaigns.records", "campaigns.settings", "campaigns.phones"},
}


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_rooms_import_only_the_rooms_below_them(room):
    wrong = {}
    for name in MODULES:
        if name == room or name.startswith(room + "."):
            outside = {m for m in project_imports(name)
                       if not (m == room or m.startswith(room + "."))
                       and not any(m == a or m.startswith(a + ".") for a in ALLOWED[room])
                       and m not in ("campaigns", "bot")}
            if outside:
                wrong[name] = sorted(outside)
    assert wrong == {}


@pytest.mark.parametrize("library, rooms", [
    ("rasa", ("bot",)),
    ("twilio", ("campaigns.carriers", "bot.channels")),
    ("apscheduler", ("campaigns.outreach.scheduler",)),
    ("alembic", ("campaigns.records.migrations", "campaigns.cli.db")),
], ids=["rasa", "twilio", "apscheduler", "alembic"])
def test_libraries_are_imported_only_in_their_rooms(library, rooms):
    wrong = sorted(name for name in MODULES if not name.startswith(rooms)
                   and any(m == library or m.startswith(library + ".") for m in imports(name)))
    assert wrong == []


def test_every_module_opens_with_what_it_holds():
    silent = sorted(name for name, path in MODULES.items()
                    if path.read_text().strip() and ast.get_docstring(ast.parse(path.read_text())) is None)
    assert silent == []
