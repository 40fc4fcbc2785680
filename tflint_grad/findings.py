"""The data that flows out of the analysis: findings, their fixes, and text edits.

Everything here is a frozen dataclass so results can be cached, compared in
tests, sent across processes and rendered by any reporter (text, JSON, SARIF,
LSP) without the reporter knowing how the analysis works.

Coordinates follow libcst and LSP: ``line`` counts from 1, ``column`` counts
code points from 0.  Reporters that print ruff-style ``line:col`` add 1 to the
column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is; maps onto SARIF levels and LSP severities."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    line: int  # from 1
    column: int  # from 0, in code points


@dataclass(frozen=True, order=True)
class Span:
    start: Position
    end: Position


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace the text inside ``span`` (half-open) by ``replacement``."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A repair for one finding: a few small, non-overlapping text edits.

    ``safe`` fixes are applied by ``--fix``; unsafe ones need
    ``--unsafe-fixes`` because they may change numbers (dtype, semantics).
    """

    description: str
    edits: tuple[TextEdit, ...]
    safe: bool


@dataclass(frozen=True)
class Related:
    """A second location that explains a finding (the differentiated entry point)."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True)
class Origin:
    """Where in the analysis a finding comes from, for tools that go back to it (the verifier).

    ``call`` is the call's index in its module's IR, ``scope`` the id of the scope
    it is written in, ``block`` the innermost tape block recording it (its position
    in that scope's blocks; -1 when the whole function is differentiated).
    """

    path: str
    scope: str
    call: int
    block: int = -1


@dataclass(frozen=True)
class Finding:
    path: str
    span: Span
    code: str
    message: str
    severity: Severity
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    origin: Origin | None = field(default=None, compare=False)  # not part of what the finding says

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.span.start, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed (unreadable, unparsable, bad notebook).

    Reported beside the findings; never stops the other files.
    """

    path: str
    message: str
    position: Position | None = None
    internal: bool = False  # a bug in tflint-grad, not in the file: the run exits 2
    usage: bool = False  # a wrong directive in the file (an unknown ``# noqa`` code): the run exits 2
