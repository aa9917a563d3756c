"""The import graph of liaison/ keeps the arrows of docs/architecture.md: no cycle between files, no arrow
across a forbidden direction, no request-bound Flask in the layers below the web.

Imports are read with `ast`, function-local ones included; those under `if TYPE_CHECKING:` are left out
(they never run: the models' mutual type hints).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "liaison"

# The parts, lowest first: a module belongs to the first part whose prefix matches its name.
PARTS = {
    "base": ("liaison.config", "liaison.extensions", "liaison.dates", "liaison.i18n", "liaison.events",
             "liaison.markdown", "liaison.textsearch", "liaison.textdiff", "liaison.models", "liaison.labels",
             "liaison.urls", "liaison.hot_commit"),
    "domain": ("liaison.domain",),
    "calendar": ("liaison.calendar",),
    "notify": ("liaison.notify",),
    "web": ("liaison.web", "liaison.blueprints", "liaison.forms", "liaison.exports", "liaison.pagination", "liaison.request_memo",
            "liaison.security", "liaison.input_guard", "liaison.archive", "liaison.api", "liaison.fanout", "liaison.live_edge", "liaison.pages",
            "liaison.admission"),
    "app": ("liaison.cli", "liaison.seed", "liaison"),
}

# Which parts a part may import (itself always).
ALLOWED = {
    "base": set(),
    "domain": {"base"},
    "calendar": {"domain", "base"},
    "notify": {"calendar", "domain", "base"},
    "web": {"notify", "calendar", "domain", "base"},
    "app": {"web", "notify", "calendar", "domain", "base"},
}

# Names bound to a request: only the web part (and the app) may import them.
REQUEST_BOUND = {
    f"flask.{name}" for name in ("request", "session", "g", "abort", "redirect", "flash", "send_file", "make_response",
                                 "has_request_context", "render_template")
} | {"flask_login.current_user", "flask_login.login_user", "flask_login.logout_user"}

# Arrows that remain on purpose for now, each with the branch or item that removes it.
KNOWN_REQUEST_BOUND: set[tuple[str, str]] = set()


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def read_imports(name: str, path: Path, modules: set[str]) -> tuple[set[str], set[str]]:
    """(the liaison modules this module imports, the external names as 'module.name' or 'module')."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    inside, outside = set(), set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                (inside if alias.name.split(".")[0] == "liaison" else outside).add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "liaison":
                outside.update(f"{target}.{alias.name}" for alias in node.names)
                outside.add(target)
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                inside.add(candidate if candidate in modules else target)
    return {m for m in inside if m in modules and m != name}, outside


def import_graph(package: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    paths = {module_name(path, package.parent): path for path in package.rglob("*.py")}
    graph, external = {}, {}
    for name, path in paths.items():
        graph[name], external[name] = read_imports(name, path, set(paths))
    return graph, external


def part_of(module: str) -> str | None:
    for part, prefixes in PARTS.items():
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return part
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one file (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def forbidden_arrows(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            a, b = part_of(source), part_of(target)
            if a != b and b not in ALLOWED[a]:
                wrong.append(f"{source} ({a}) -> {target} ({b})")
    return wrong


GRAPH, EXTERNAL = import_graph()


def test_every_module_belongs_to_a_declared_part():
    assert [name for name in GRAPH if part_of(name) is None] == []


def test_no_cycle_between_files():
    assert cycles(GRAPH) == []


def test_only_the_declared_arrows():
    assert forbidden_arrows(GRAPH) == []


def test_no_request_bound_flask_below_the_web():
    found = set()
    for module, names in EXTERNAL.items():
        if part_of(module) in ("web", "app"):
            continue
        found.update((module, name) for name in names & REQUEST_BOUND)
    assert found - KNOWN_REQUEST_BOUND == set()


def test_flask_sqlalchemy_only_through_its_public_top_level():
    """Pagination uses db.paginate / Pagination, not the internals under flask_sqlalchemy.pagination."""
    found = {(module, name) for module, names in EXTERNAL.items() for name in names
             if name.startswith("flask_sqlalchemy.") and name.count(".") > 1}
    found |= {(module, name) for module, names in EXTERNAL.items() for name in names
              if name.startswith("flask_sqlalchemy.") and not name.split(".")[1][:1].isupper()}
    assert found == set()


def test_no_per_request_store_below_the_web():
    """The domain's kept values (domain/memo.py) are stored by the web layer; nothing below it imports the store."""
    assert [module for module, targets in GRAPH.items()
            if "liaison.request_memo" in targets and part_of(module) not in ("web", "app")] == []


def test_the_checks_see_a_cycle_and_an_upward_arrow():
    """The checks can fail: a made-up graph with a cycle and a domain module importing a blueprint."""
    graph = {
        "liaison.domain.votes": {"liaison.domain.proposals", "liaison.blueprints.votes"},
        "liaison.domain.proposals": {"liaison.domain.votes"},
        "liaison.blueprints.votes": {"liaison.domain.votes"},
    }
    assert cycles(graph) == [["liaison.blueprints.votes", "liaison.domain.proposals", "liaison.domain.votes"]]
    assert forbidden_arrows(graph) == ["liaison.domain.votes (domain) -> liaison.blueprints.votes (web)"]


def test_function_local_imports_count_and_type_hints_do_not(tmp_path):
    package = tmp_path / "liaison"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "web.py").write_text("")
    (package / "domain" / "__init__.py").write_text("")
    (package / "domain" / "a.py").write_text("def f():\n    from . import b\n")
    (package / "domain" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import a\nif TYPE_CHECKING:\n    from .. import web\n")
    graph, _external = import_graph(package)
    assert graph["liaison.domain.a"] == {"liaison.domain.b"}
    assert graph["liaison.domain.b"] == {"liaison.domain.a"}
    assert cycles(graph) == [["liaison.domain.a", "liaison.domain.b"]]


def test_event_names_are_the_enum():
    """Every emit and listen in liaison/ names an Event member, never a bare string."""
    bare = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("emit", "listen")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "events"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_listeners_are_registered_by_init_app_not_by_an_import():
    code = (
        "import liaison.notify.producers, liaison.domain.notifications\n"
        "from liaison import events\n"
        "print(len(events.listeners(events.Event.MEETING_CONVENED)))\n"
        "from liaison import notify\n"
        "notify.init_app(None)\n"
        "print(len(events.listeners(events.Event.MEETING_CONVENED)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.stdout.split() == ["0", "1"]


# Item 8 of issue 14: no application file over ~400 lines (docs/architecture.md, "Files of one concern").
MAX_LINES = 420


def test_files_hold_one_concern_and_stay_small():
    long = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
            for path in PACKAGE.rglob("*.py")}
    assert {path: lines for path, lines in long.items() if lines > MAX_LINES} == {}
