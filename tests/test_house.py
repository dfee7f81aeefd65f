"""The house's rules, read from the code's own imports.

Dependencies run one way: ``proposals`` uses ``practices``, never the reverse, not even
inside a function. No two modules import each other, directly or around a loop. The
benches do not import the tests. Every task named by string (for the outbox, in the beat
schedule) is a registered task, so a moved task that lost its name fails here, not in
production.

The graph is built by parsing every module with ``ast``: imports anywhere in a file count
(module level, inside functions, under ``TYPE_CHECKING``), and so do
``importlib.import_module("…")`` and ``__import__("…")`` with a constant.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("practices", "proposals", "teamlead", "bench")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.source} → {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _resolve(base: str, level: int, is_package: bool) -> str:
    """The absolute module a relative ``from`` names."""
    parts = base.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = _resolve(module, node.level, is_package)
            base = f"{anchor}.{base}" if base else anchor
        # ``from X import n`` imports the module X.n when there is one, else a name of X.
        return [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        constant = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if name in {"import_module", "__import__"} and constant:
            return [first.value]
    return []


def _owner(target: str, known: set[str]) -> str | None:
    """The module of the tree that ``target`` is, or is inside of (None: outside)."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


def import_edges() -> list[Edge]:
    modules = _modules()
    known = set(modules)
    edges = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for target in _imported(node, module, is_package, known):
                # Edges to the outside (django, celery) and tests' modules are kept by name.
                owner = _owner(target, known) or target
                if owner != module:
                    edges.append(Edge(module, owner, str(path.relative_to(ROOT)), node.lineno))
    return edges


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_practices_never_imports_proposals():
    backwards = [
        str(edge)
        for edge in import_edges()
        if edge.source.split(".")[0] == "practices" and edge.target.split(".")[0] == "proposals"
    ]
    assert backwards == [], "practices must not import proposals:\n" + "\n".join(backwards)


def test_no_import_circle():
    edges = import_edges()
    described = []
    for component in _cycles(edges):
        members = set(component)
        lines = [str(e) for e in edges if e.source in members and e.target in members]
        described.append(" ↔ ".join(component) + "\n  " + "\n  ".join(lines))
    assert described == [], "import circles:\n" + "\n".join(described)


def test_benches_do_not_import_the_tests():
    into_tests = [
        str(edge)
        for edge in import_edges()
        if edge.source.startswith("bench") and edge.target.split(".")[0] == "tests"
    ]
    assert into_tests == [], "benches import the tests:\n" + "\n".join(into_tests)


def _registered_tasks() -> set[str]:
    from teamlead.celery import app

    app.loader.import_default_modules()
    return set(app.tasks)


def _outbox_task_names() -> list[tuple[str, str]]:
    """(place, name) for every task named by a string constant given to outbox_enqueue."""
    named = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name != "outbox_enqueue":
                continue
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "task" and isinstance(value, ast.Constant):
                    named.append((f"{module}:{node.lineno}", value.value))
    return named


def test_every_task_named_for_the_outbox_exists():
    registered = _registered_tasks()
    unknown = [f"{place} {name}" for place, name in _outbox_task_names() if name not in registered]
    assert unknown == [], "outbox_enqueue names unknown tasks:\n" + "\n".join(unknown)


def test_the_beat_schedule_names_registered_tasks():
    registered = _registered_tasks()
    unknown = [
        f"{key}: {entry['task']}"
        for key, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    ]
    assert unknown == [], "the beat schedule names unknown tasks:\n" + "\n".join(unknown)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from proposals.models import Vote\n", ["proposals.models"]),
        ("def later():\n    import proposals.tasks\n", ["proposals.tasks"]),
        ("import importlib\nimportlib.import_module('proposals.views')\n", ["proposals.views"]),
        ("from . import tasks\n", ["practices.jira.tasks"]),
    ],
)
def test_the_import_reader_sees_every_kind_of_import(source, expected):
    known = {"practices.jira.services", "practices.jira.tasks", "proposals.tasks"}
    found = []
    for node in ast.walk(ast.parse(source)):
        found += [
            target
            for target in _imported(node, "practices.jira.services", False, known)
            if target != "importlib"
        ]
    assert found == expected


def test_the_circle_finder_finds_a_loop_of_three():
    edges = [Edge("a", "b", "a.py", 1), Edge("b", "c", "b.py", 1), Edge("c", "a", "c.py", 1)]
    edges.append(Edge("c", "d", "c.py", 2))
    assert _cycles(edges) == [["a", "b", "c"]]
