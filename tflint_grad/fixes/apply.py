"""Apply fixes to source text: pick non-conflicting edits and splice them in.

Fixes are chosen in source order; a fix whose edits overlap an edit already
chosen waits for the next round (the engine re-analyses and tries again, as
ruff does), except identical edits - the shared ``import tensorflow as tf`` -
which are applied once.
"""

from __future__ import annotations

import re

from ..findings import Finding, Position, TextEdit


LINE_BREAK = re.compile(r"\r\n|\r|\n")


def offsets(text: str) -> list[int]:
    """Offset of the start of each line (index 0 is line 1).

    Lines end only at \\r\\n, \\r or \\n, as libcst and LSP count them:
    ``str.splitlines`` would also break at form feeds and other separators.
    """
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


def to_offset(starts: list[int], position: Position) -> int:
    return starts[min(position.line - 1, len(starts) - 1)] + position.column


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    starts = offsets(text)
    out = text
    for edit in sorted(set(edits), key=lambda e: (e.span.start, e.span.end), reverse=True):
        begin, end = to_offset(starts, edit.span.start), to_offset(starts, edit.span.end)
        out = out[:begin] + edit.replacement + out[end:]
    return out


def _overlaps(edit: TextEdit, chosen: set[TextEdit]) -> bool:
    for other in chosen:
        if edit == other:
            continue
        if edit.span.start < other.span.end and other.span.start < edit.span.end:
            return True
        if edit.span.start == other.span.start and edit.span.start == edit.span.end == other.span.end:
            return True  # two different insertions at one point: order would be arbitrary
    return False


def choose(findings: list[Finding], unsafe: bool) -> tuple[list[Finding], list[TextEdit]]:
    """The findings whose fixes can be applied together now, and their edits."""
    chosen: set[TextEdit] = set()
    applied = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        fix = finding.fix
        if fix is None or not (fix.safe or unsafe):
            continue
        if any(_overlaps(edit, chosen) for edit in fix.edits):
            continue
        chosen.update(fix.edits)
        applied.append(finding)
    return applied, list(chosen)
