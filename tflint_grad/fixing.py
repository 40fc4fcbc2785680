"""The fix loop: analyse, apply what can be applied, analyse again.

As in ruff, fixes that overlap wait for the next round; a round never leaves a
file unparsable (the fixed text is parsed before it is kept, otherwise the
file keeps its previous text and an error is reported); the loop stops when
nothing more can be applied, so a second ``--fix`` changes nothing.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, replace

import libcst as cst

from .config import Config
from .engine import Report, check
from .findings import FileError
from .parse.source import SourceFile
from .isolation import isolated
from .fixes.apply import apply_edits, choose

MAX_ROUNDS = 10


@dataclass(frozen=True)
class FixResult:
    sources: dict[str, SourceFile]  # the fixed text of every file (unchanged ones included)
    changed: tuple[str, ...]  # paths whose text changed
    fixed_in: dict[str, int]  # findings repaired, by path
    report: Report  # what remains after fixing
    errors: tuple[FileError, ...]  # fixes that were refused

    @property
    def fixed(self) -> int:
        return sum(self.fixed_in.values())


def _compiles(text: str) -> str | None:
    with warnings.catch_warnings():  # the user's own SyntaxWarnings are not ours to print
        warnings.simplefilter("ignore")
        try:
            compile(text, "<fixed>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            return str(error)
    return None


def breaks(before: str, after: str) -> str | None:
    """Why the fixed text is worse than the original, or None.

    libcst must parse it, and if the original compiled, so must the fix (the
    compiler catches what the parser lets through, such as a keyword argument
    given twice after a rename).
    """
    try:
        cst.parse_module(after)
    except cst.ParserSyntaxError as error:
        return error.message
    return _compiles(after) if _compiles(before) is None else None


class BrokenFix(Exception):
    """A fix whose result would not parse or compile: refused, the file left as it was."""


def _fixed_text(text: str, edits) -> str:
    fixed = apply_edits(text, edits)
    problem = breaks(text, fixed)
    if problem:
        raise BrokenFix(f"fixing would leave invalid code ({problem}); file left unchanged")
    return fixed


def fix(sources: list[SourceFile], config: Config, unsafe: bool, **analysis) -> FixResult:
    """``analysis``: the project context and cache, passed on to every ``check``."""
    original = {s.path: s for s in sources}
    current = dict(original)
    refused: dict[str, FileError] = {}
    fixed_in: dict[str, int] = {}
    report = check(list(current.values()), config, **analysis)
    for _ in range(MAX_ROUNDS):
        by_path: dict[str, list] = {}
        for finding in report.findings:
            if finding.path not in refused:
                by_path.setdefault(finding.path, []).append(finding)
        progress = False
        for path, findings in by_path.items():
            applied, edits = choose(findings, unsafe)
            if not applied:
                continue
            outcome = isolated("fix", path, lambda: _fixed_text(current[path].text, edits))
            if isinstance(outcome, FileError):  # our bug, or a fix that would break the code: this file only
                refused[path] = outcome
                continue
            current[path] = replace(current[path], text=outcome)
            fixed_in[path] = fixed_in.get(path, 0) + len(applied)
            progress = True
        if not progress:
            break
        report = check(list(current.values()), config, **analysis)
    changed = tuple(p for p, s in current.items() if s.text != original[p].text)
    result = FixResult(current, changed, fixed_in, report, tuple(refused.values()))
    return revert(result, refused, original, config, **analysis)


def revert(result: FixResult, paths, original: dict[str, SourceFile], config: Config, **analysis) -> FixResult:
    """The result with the fixes of ``paths`` undone (a refused fix, a failed write), and what then remains.

    The project is analysed again when a file goes back to its original text,
    so its findings are reported as they stand on disk and are not counted
    as fixed.
    """
    undone = {p for p in paths if p in result.changed}
    if not undone:
        return result
    sources = {**result.sources, **{p: original[p] for p in undone}}
    return FixResult(
        sources,
        tuple(p for p in result.changed if p not in undone),
        {p: n for p, n in result.fixed_in.items() if p not in undone},
        check(list(sources.values()), config, **analysis),
        result.errors,
    )
