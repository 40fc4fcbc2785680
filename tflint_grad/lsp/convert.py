"""Positions, diagnostics and edits in the protocol's terms.

The analysis counts lines from 1 and columns in code points; LSP counts lines
from 0 and columns in the code units of the negotiated position encoding
(UTF-16 unless the client offers another), so a character outside the Basic
Multilingual Plane before a finding shifts its LSP column.  Lines are split
only on ``\\r\\n``, ``\\r`` and ``\\n``, as both libcst and LSP do
(``str.splitlines`` would also split on form feeds and U+2028).
"""

from __future__ import annotations

import bisect
import re
from typing import Callable

from lsprotocol import types

from ..findings import FileError, Finding, Position, Severity, Span, TextEdit

SOURCE = "tflint-grad"
SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning}
LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Maps the analysis' positions in one text onto LSP positions."""

    def __init__(self, text: str, units: Callable[[str], int]) -> None:
        self.text = text
        self.units = units  # code units of a string in the negotiated encoding
        self.starts = [0] + [match.end() for match in LINE_BREAK.finditer(text)]

    def position(self, position: Position) -> types.Position:
        line = position.line - 1
        start = self.starts[line] if line < len(self.starts) else len(self.text)  # past the end: column 0
        return types.Position(line, self.units(self.text[start : start + position.column]))

    def range(self, span: Span) -> types.Range:
        return types.Range(self.position(span.start), self.position(span.end))

    def at_offset(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line + 1, offset - self.starts[line])


def diagnostics(
    errors: tuple[FileError, ...], findings: tuple[Finding, ...], uri: str, index: LineIndex
) -> list[types.Diagnostic]:
    """What is published for one document: why it could not be analysed, then its findings."""
    return [error_diagnostic(error, index) for error in errors] + [diagnostic(f, uri, index) for f in findings]


def diagnostic(finding: Finding, uri: str, index: LineIndex) -> types.Diagnostic:
    """A finding as the editor shows it; the entry point that makes it matter is related information.

    The server analyses one document at a time, so related locations are in ``uri`` too.
    """
    return types.Diagnostic(
        range=index.range(finding.span),
        message=finding.message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(types.Location(uri, index.range(related.span)), related.message)
            for related in finding.related
        ] or None,
    )


def error_diagnostic(error: FileError, index: LineIndex) -> types.Diagnostic:
    """Why the document could not be analysed (syntax error, bad configuration), at its position or at the top."""
    at = index.position(error.position or Position(1, 0))
    return types.Diagnostic(
        range=types.Range(at, at), message=error.message, severity=types.DiagnosticSeverity.Error, source=SOURCE
    )


def text_edits(edits: tuple[TextEdit, ...], index: LineIndex) -> list[types.TextEdit]:
    return [types.TextEdit(index.range(edit.span), edit.replacement) for edit in edits]


def replace_changed(before: str, after: str, index: LineIndex) -> types.TextEdit:
    """One edit turning ``before`` into ``after`` that spans only what changed.

    Replacing the whole document instead would move the cursor and fold state in
    most editors.
    """
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    span = Span(index.at_offset(prefix), index.at_offset(len(before) - suffix))
    return types.TextEdit(index.range(span), after[prefix : len(after) - suffix])
