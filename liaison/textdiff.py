"""A readable diff of two texts: by lines, and by characters within a changed line (Japanese has no
word boundaries, so characters are the unit). Plain text pieces; the templates escape them."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed", "changed", "skipped"
    old: list[tuple[str, str]] = field(default_factory=list)  # (op, text): op is "same" or "removed"
    new: list[tuple[str, str]] = field(default_factory=list)  # op is "same" or "added"
    skipped: int = 0


@dataclass
class FieldDiff:
    name: str
    label: str
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.kind not in ("same", "skipped") for line in self.lines)


def char_diff(old: str, new: str) -> tuple[list, list]:
    """Character-level diff: Japanese has no word boundaries, so characters are the unit."""
    old_parts, new_parts = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            old_parts.append(("same", old[i1:i2]))
            new_parts.append(("same", new[j1:j2]))
            continue
        if i2 > i1:
            old_parts.append(("removed", old[i1:i2]))
        if j2 > j1:
            new_parts.append(("added", new[j1:j2]))
    return old_parts, new_parts


def line_diff(old_text: str, new_text: str, context: int = 2) -> list[DiffLine]:
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if op == "equal":
            run = old_lines[i1:i2]
            if len(run) > 2 * context + 1:
                head = run[:context] if lines else []
                tail = run[-context:] if i2 < len(old_lines) else []
                lines += [DiffLine("same", [("same", t)], [("same", t)]) for t in head]
                lines.append(DiffLine("skipped", skipped=len(run) - len(head) - len(tail)))
                lines += [DiffLine("same", [("same", t)], [("same", t)]) for t in tail]
            else:
                lines += [DiffLine("same", [("same", t)], [("same", t)]) for t in run]
        elif op == "replace":
            olds, news = old_lines[i1:i2], new_lines[j1:j2]
            for k in range(max(len(olds), len(news))):
                if k < len(olds) and k < len(news):
                    lines.append(DiffLine("changed", *char_diff(olds[k], news[k])))
                elif k < len(olds):
                    lines.append(DiffLine("removed", old=[("removed", olds[k])]))
                else:
                    lines.append(DiffLine("added", new=[("added", news[k])]))
        elif op == "delete":
            lines += [DiffLine("removed", old=[("removed", t)]) for t in old_lines[i1:i2]]
        else:
            lines += [DiffLine("added", new=[("added", t)]) for t in new_lines[j1:j2]]
    return lines

