"""Before/after figures for branch a14-views (issue 14 items 3, 4, 6), read from the code, not typed in.

Run from the worktree: python docs/notes/a14_views_measure.py [BASE_COMMIT] (default: the merge base with main).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.test_architecture import cycles, forbidden_arrows, import_graph  # noqa: E402


def tree_at(commit: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "liaison"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into / "liaison"


def calls(package: Path, attribute: str, under: str = "blueprints") -> int:
    n = 0
    for path in (package / under).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute:
                n += 1
    return n


def figures(package: Path) -> dict[str, object]:
    blueprints = list((package / "blueprints").glob("*.py"))
    text = {path: path.read_text(encoding="utf-8") for path in blueprints}
    graph, _external = import_graph(package)
    bare_events = sum(len(re.findall(r'events\.(?:emit|listen)\("', path.read_text(encoding="utf-8")))
                      for path in package.rglob("*.py"))
    return {
        "commit() calls in blueprints/": calls(package, "commit"),
        "rollback() calls in blueprints/": calls(package, "rollback"),
        "`400 if request.method == \"POST\"` copies": sum(t.count('400 if request.method == "POST"') for t in text.values()),
        "error helpers (_fail, _failed, _act, _act_with_form)": sum(
            len(re.findall(r"^def (_fail|_failed|_act|_act_with_form)\(", t, re.M)) for t in text.values()),
        "hand-written *_or_404 loaders in blueprints/": sum(len(re.findall(r"^def _\w+_or_404\(", t, re.M)) for t in text.values()),
        "lines in blueprints/": sum(t.count("\n") for t in text.values()),
        "file cycles in the import graph": len(cycles(graph)),
        "forbidden arrows between parts": len(forbidden_arrows(graph)),
        "bare-string event names at emit/listen": bare_events,
    }


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        before = figures(tree_at(base, Path(tmp)))
    after = figures(ROOT / "liaison")
    print(f"| figure | before ({base[:7]}) | after |\n| --- | --- | --- |")
    for key in before:
        print(f"| {key} | {before[key]} | {after[key]} |")


if __name__ == "__main__":
    main()
