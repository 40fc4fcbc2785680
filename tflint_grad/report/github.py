"""``--output-format github``: GitHub Actions workflow commands, one per line.

Printed in a workflow step, each line becomes an annotation on the pull
request's diff::

    ::error file=a.py,line=16,col=36,endLine=16,endColumn=57,title=TFG001 (numpy-call-on-tensor)::np.exp on ...

Columns are 1-based and ``endColumn`` is exclusive, as in ruff's github
output.  GitHub supports columns only on one line, so a finding spanning
several lines gets ``line``/``endLine`` only.  A notebook finding is
annotated on the whole file (the analysed text's lines are not the lines of
the ``.ipynb`` JSON), with the cell position at the head of the message.
Values are escaped as ``@actions/core`` does: ``%``, CR and LF everywhere,
and ``,`` and ``:`` too in properties.
"""

from __future__ import annotations

from ..findings import FileError, Finding, Span
from ..rules import RULES_BY_CODE
from .locations import display, shown_path

DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
PROPERTY_ESCAPES = DATA_ESCAPES + ((":", "%3A"), (",", "%2C"))


def escape(value: str, escapes: tuple[tuple[str, str], ...] = DATA_ESCAPES) -> str:
    for char, code in escapes:  # "%" first, so the codes added later stay intact
        value = value.replace(char, code)
    return value


def command(level: str, path: str, span: Span | None, title: str, message: str, sources) -> str:
    properties = {"file": shown_path(path, sources)}
    source = sources.get(path)
    if span is not None and source is not None and source.cell_of is not None:
        message = f"{display(path, span.start, sources)}: {message}"
    elif span is not None:
        start, end = span.start, span.end
        properties.update(line=start.line, col=start.column + 1, endLine=end.line, endColumn=end.column + 1)
        if start.line != end.line:
            del properties["col"], properties["endColumn"]
    properties["title"] = title
    fields = ",".join(f"{key}={escape(str(value), PROPERTY_ESCAPES)}" for key, value in properties.items())
    return f"::{level} {fields}::{escape(message)}\n"


def render(findings: list[Finding], errors: list[FileError], sources) -> str:
    lines = [
        command(f.severity.value, f.path, f.span, f"{f.code} ({RULES_BY_CODE[f.code].name})", f.message, sources)
        for f in findings
    ]
    for error in errors:
        where = Span(error.position, error.position) if error.position else None
        lines.append(command("error", error.path, where, "tflint-grad (file not checked)", error.message, sources))
    return "".join(lines)
