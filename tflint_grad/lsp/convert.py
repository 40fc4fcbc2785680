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
import functools
import os
import re
from pathlib import Path
from typing import Callable

from lsprotocol import types

from ..findings import FileError, Finding, Position, Severity, Span, TextEdit
from ..parse.source import SourceFile
from ..report.sarif import homepage
from ..rules import RULES_BY_CODE

SOURCE = "tflint-grad"
SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning}
LINE_BREAK = re.compile(r"\r\n|\r|\n")
CHECKOUT_DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


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


class Locations:
    """Where the analysis' positions are in the protocol: which document, and where in it.

    A Python file is one document.  A notebook opened through
    ``notebookDocument`` synchronisation is one document per cell: the
    analysis' positions in the joined code cells are mapped to ``cell N`` and
    the line inside it (see ``parse/notebook.py``), then to that cell's
    document.  A file that is not open (the project's other files) is shown at
    its own URI, from its text on disk; a notebook that is not open, at its top.
    """

    def __init__(self, units: Callable[[str], int], on_disk: Callable[[str], SourceFile | None]) -> None:
        self.units = units  # code units of a string in the negotiated encoding
        self.on_disk = on_disk
        self._files: dict[str, tuple[SourceFile | None, list[tuple[str, LineIndex]]]] = {}

    def add(self, source: SourceFile, documents: list[tuple[str, str]]) -> None:
        """An open file: its one document (uri, text), or a notebook's cell documents in order."""
        self._files[source.path] = (source, [(uri, LineIndex(text, self.units)) for uri, text in documents])

    def index(self, path: str) -> LineIndex:
        return self._file(path)[1][0][1]

    def location(self, path: str, span: Span) -> types.Location:
        source, documents = self._file(path)
        if source is None or source.cell_of is None:
            uri, index = documents[0]
            return types.Location(uri, index.range(span))
        (number, start), (_, end) = source.cell_of.locate(span.start), source.cell_of.locate(span.end)
        if number >= len(documents):  # a notebook that is not open: its top
            return types.Location(documents[0][0], types.Range(types.Position(0, 0), types.Position(0, 0)))
        uri, index = documents[number]
        return types.Location(uri, index.range(Span(start, end)))

    def _file(self, path: str) -> tuple[SourceFile | None, list[tuple[str, LineIndex]]]:
        if path not in self._files:
            source = self.on_disk(path)
            text = source.text if source is not None and source.cell_of is None else ""
            self._files[path] = (source, [(Path(os.path.abspath(path)).as_uri(), LineIndex(text, self.units))])
        return self._files[path]


def diagnostics(analysis, locations: Locations) -> dict[str, list[types.Diagnostic]]:
    """What is published for one open file, by document: why it could not be analysed, its findings,
    and the entry points in it whose differentiated code is cut in other files."""
    published: dict[str, list[types.Diagnostic]] = {}
    shown = [
        *(error_diagnostic(error, locations) for error in analysis.errors),
        *(diagnostic(finding, locations) for finding in analysis.findings),
        *(hint_diagnostic(hint, locations) for hint in analysis.hints),
    ]
    for uri, item in shown:
        published.setdefault(uri, []).append(item)
    return published


def diagnostic(finding: Finding, locations: Locations) -> tuple[str, types.Diagnostic]:
    """A finding as the editor shows it (and the document it is in); the entry point that makes it
    matter is related information, in whichever file it is."""
    at = locations.location(finding.path, finding.span)
    return at.uri, types.Diagnostic(
        range=at.range,
        message=finding.message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        code_description=rule_documentation(finding.code),
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(locations.location(related.path, related.span), related.message)
            for related in finding.related
        ] or None,
    )


def hint_diagnostic(hint, locations: Locations) -> tuple[str, types.Diagnostic]:
    """An entry point cut in other files: one diagnostic (information) listing each cut as related information."""
    at = locations.location(hint.entry.path, hint.entry.span)
    files = sorted({os.path.basename(f.path) for f in hint.findings})
    count = len(hint.findings)
    message = (f"the code differentiated here is cut in {', '.join(files)}: "
               f"{count} finding{'s' * (count != 1)} ({', '.join(sorted({f.code for f in hint.findings}))})")
    return at.uri, types.Diagnostic(
        range=at.range,
        message=message,
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(locations.location(f.path, f.span), f.message) for f in hint.findings
        ],
    )


def error_diagnostic(error: FileError, locations: Locations) -> tuple[str, types.Diagnostic]:
    """Why the file could not be analysed (syntax error, bad configuration), at its position or at the top."""
    where = error.position or Position(1, 0)
    at = locations.location(error.path, Span(where, where))
    return at.uri, types.Diagnostic(
        range=at.range, message=error.message, severity=types.DiagnosticSeverity.Error, source=SOURCE
    )


@functools.lru_cache(maxsize=None)
def rule_documentation(code: str) -> types.CodeDescription | None:
    """The rule's section of docs/rules.md: on the project's home page when the installed package
    names one (``[project.urls] Homepage``), else in the source checkout the server runs from."""
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return None
    anchor = f"{rule.code.lower()}-{rule.name}"  # the heading "TFG001: numpy-call-on-tensor", as GitHub links it
    site = homepage()
    if site:
        return types.CodeDescription(f"{site.rstrip('/')}/blob/main/docs/rules.md#{anchor}")
    if CHECKOUT_DOCS.is_file():
        return types.CodeDescription(f"{CHECKOUT_DOCS.as_uri()}#{anchor}")
    return None


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
