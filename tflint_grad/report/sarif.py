"""``--output-format sarif``: a SARIF 2.1.0 log, for GitHub code scanning and IDEs.

One run.  ``tool.driver.rules`` lists every rule (not only those found), with
the same documentation as ``tflint-grad rule`` as its help, and each result
points at its rule by ``ruleId`` and ``ruleIndex``.  Positions are 1-based
with an exclusive end column, counted in code points (``columnKind`` says
so; SARIF's default would be UTF-16 units).  Relative paths stay relative,
against ``%SRCROOT%`` = the working directory, which is what code scanning
expects; absolute paths become ``file://`` URIs.  A finding's fix becomes a
SARIF fix (its edits as replacements, ``properties.applicability`` telling
safe from unsafe); the differentiated entry point is a related location.
A notebook's regions and fix edits are in the ``.ipynb`` file's own text,
on the characters of the cell's JSON source string where the code sits
(``properties.cell`` still names the cell); a fix that cannot be an exact
edit of that text is left out, ``properties.fixLeftOut`` saying why.
Files that could not be analysed are ``toolExecutionNotifications`` of the
invocation, not results: they are not findings about the code.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path, PurePath
from urllib.parse import quote

from .. import __version__
from ..findings import FileError, Finding, Fix, Span
from ..parse.notebook import KIND, WRITTEN_KIND, FileText
from ..rules import RULES, Rule
from .json_format import cell
from .locations import shown_path
from .rule_docs import rule_markdown, rule_text

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
NOTEBOOK_KINDS = (KIND, WRITTEN_KIND)  # analysed text that sits in a notebook's cells
RULE_INDEX = {rule.code: index for index, rule in enumerate(RULES)}


def artifact(path: str) -> dict:
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(pure.as_posix()), "uriBaseId": SRCROOT}


def region(span: Span) -> dict:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column + 1,
        "endLine": span.end.line,
        "endColumn": span.end.column + 1,
    }


def physical(path: str, span: Span | None, files: FileTexts) -> dict:
    where = {"artifactLocation": artifact(shown_path(path, files.sources))}
    if span is not None:
        where["region"] = region(files.span(path, span))
    return {"physicalLocation": where}


def descriptor(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": rule_text(rule), "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": rule.severity.value},
    }


class FileTexts:
    """Regions and edits as SARIF wants them: in the file's own text.

    A plain file is analysed as it is; a notebook is analysed as its joined
    code cells, so its positions are moved to the ``.ipynb`` text where the
    code sits (read once per notebook).
    """

    def __init__(self, sources) -> None:
        self.sources = sources or {}
        self._notebooks: dict[str, FileText] = {}

    def notebook(self, path: str) -> FileText | None:
        source = self.sources.get(path)
        if source is None or source.kind not in NOTEBOOK_KINDS or source.cell_of is None:
            return None
        if path not in self._notebooks:
            self._notebooks[path] = FileText(source)
        return self._notebooks[path]

    def span(self, path: str, span: Span) -> Span:
        text = self.notebook(path)
        return span if text is None else Span(text.position(span.start), text.position(span.end, end=True))

    def edits(self, path: str, fix: Fix) -> list[tuple[Span, str]] | str:
        """The fix's edits of the file's text, or why it has none that are exact."""
        text = self.notebook(path)
        if text is None:
            return [(edit.span, edit.replacement) for edit in fix.edits]
        edits = [text.edit(edit.span, edit.replacement) for edit in fix.edits]
        reason = next((edit for edit in edits if isinstance(edit, str)), None)
        return reason if reason is not None else edits


def _fix(path: str, fix: Fix, edits: list[tuple[Span, str]], files: FileTexts) -> dict:
    return {
        "description": {"text": fix.description},
        "artifactChanges": [{
            "artifactLocation": artifact(shown_path(path, files.sources)),
            "replacements": [
                {"deletedRegion": region(span), "insertedContent": {"text": replacement}} for span, replacement in edits
            ],
        }],
        "properties": {"applicability": "safe" if fix.safe else "unsafe"},
    }


def result(finding: Finding, sources, files: FileTexts) -> dict:
    entry = {
        "ruleId": finding.code,
        "ruleIndex": RULE_INDEX[finding.code],
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [physical(finding.path, finding.span, files)],
        "relatedLocations": [
            {"id": number, **physical(related.path, related.span, files), "message": {"text": related.message}}
            for number, related in enumerate(finding.related, start=1)
        ],
    }
    properties = {}
    notebook_cell = cell(finding.path, finding.span.start, sources)
    if notebook_cell is not None:
        properties["cell"] = notebook_cell
    if finding.fix is not None:
        edits = files.edits(finding.path, finding.fix)
        if isinstance(edits, str):
            properties["fixLeftOut"] = f"{finding.fix.description}: not given as a SARIF fix because {edits}"
        else:
            entry["fixes"] = [_fix(finding.path, finding.fix, edits, files)]
    if properties:
        entry["properties"] = properties
    return entry


def notification(error: FileError, files: FileTexts) -> dict:
    span = Span(error.position, error.position) if error.position else None
    return {"level": "error", "message": {"text": error.message}, "locations": [physical(error.path, span, files)]}


def homepage() -> str | None:
    """The project's home page from the installed package's metadata (``[project.urls]``), if any."""
    try:
        urls = metadata.metadata("tflint-grad").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return None
    return next((url for label, _, url in (u.partition(", ") for u in urls) if label.lower() == "homepage"), None)


def driver(information_uri: str | None) -> dict:
    about = {"name": "tflint-grad", "version": __version__, "semanticVersion": __version__}
    if information_uri:
        about["informationUri"] = information_uri
    return {**about, "rules": [descriptor(rule) for rule in RULES]}


def render(findings: list[Finding], errors: list[FileError], sources) -> str:
    files = FileTexts(sources)
    run = {
        "tool": {"driver": driver(homepage())},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [notification(error, files) for error in errors],
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result(finding, sources, files) for finding in findings],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"
