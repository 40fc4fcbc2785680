"""``--output-format json``: one JSON list, ruff-like, stable for scripts.

The output is a single list (as ruff's), so a consumer that iterates ruff's
JSON reads ours.  Findings come first (in report order), then the files that
could not be analysed.  Every entry has the same keys:

``kind``
    ``"finding"`` or ``"error"`` (a file that could not be read or parsed).
``code``, ``name``
    The rule (``"TFG001"``, ``"numpy-call-on-tensor"``); ``null`` for errors.
``severity``
    ``"error"`` or ``"warning"``; always ``"error"`` for file errors.
``message``
    One line of text.
``filename``
    The path as it was given on the command line (not made absolute).
``location``, ``end_location``
    ``{"row": int, "column": int}``, both 1-based; the end is exclusive, as in
    ruff.  For a file error with no position both are ``null``.
``cell``
    For a notebook: ``{"label": "cell 3", "location": {...}}``, the cell and
    the 1-based position inside it; ``location`` itself stays a position in the
    notebook's analysed Python text.  ``null`` for other files.
``fix``
    ``null``, or ``{"applicability": "safe"|"unsafe", "message": str,
    "edits": [{"content": str, "location": {...}, "end_location": {...}}]}``;
    edits apply to ``filename``.  Unsafe fixes are applied only with
    ``--unsafe-fixes``.
``related``
    ``[{"filename", "location", "end_location", "message"}]``: where the code
    is differentiated (the tape, the ``tfp.vi`` call ...).  Empty for errors.
``internal``
    ``true`` for an error that is a bug in tflint-grad (the file's analysis
    raised; the run exits 2), ``false`` for everything else.
"""

from __future__ import annotations

import json

from ..findings import FileError, Finding, Fix, Position, Span
from ..rules import RULES_BY_CODE
from .locations import shown_path


def location(position: Position) -> dict:
    return {"row": position.line, "column": position.column + 1}


def cell(path: str, position: Position, sources) -> dict | None:
    """The notebook cell holding ``position`` (shared with SARIF), or None for a plain file."""
    source = sources.get(path)
    if source is None or source.cell_of is None:
        return None
    label, inner = source.cell_of(position)
    return {"label": label, "location": location(inner)}


def _span(span: Span) -> dict:
    return {"location": location(span.start), "end_location": location(span.end)}


def _fix(fix: Fix | None) -> dict | None:
    if fix is None:
        return None
    return {
        "applicability": "safe" if fix.safe else "unsafe",
        "message": fix.description,
        "edits": [{"content": edit.replacement, **_span(edit.span)} for edit in fix.edits],
    }


def finding_entry(finding: Finding, sources) -> dict:
    return {
        "kind": "finding",
        "code": finding.code,
        "name": RULES_BY_CODE[finding.code].name,
        "severity": finding.severity.value,
        "message": finding.message,
        "filename": shown_path(finding.path, sources),
        **_span(finding.span),
        "cell": cell(finding.path, finding.span.start, sources),
        "fix": _fix(finding.fix),
        "related": [
            {"filename": shown_path(related.path, sources), **_span(related.span), "message": related.message}
            for related in finding.related
        ],
        "internal": False,
    }


def error_entry(error: FileError, sources) -> dict:
    where = location(error.position) if error.position else None
    return {
        "kind": "error",
        "code": None,
        "name": None,
        "severity": "error",
        "message": error.message,
        "filename": error.path,
        "location": where,
        "end_location": where,
        "cell": cell(error.path, error.position, sources) if error.position else None,
        "fix": None,
        "related": [],
        "internal": error.internal,
    }


def render(findings: list[Finding], errors: list[FileError], sources) -> str:
    entries = [finding_entry(f, sources) for f in findings] + [error_entry(e, sources) for e in errors]
    return json.dumps(entries, indent=2) + "\n"
