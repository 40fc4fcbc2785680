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
from ..rules import RULES, Rule
from .json_format import cell
from .rule_docs import rule_markdown, rule_text

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
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


def physical(path: str, span: Span | None) -> dict:
    where = {"artifactLocation": artifact(path)}
    if span is not None:
        where["region"] = region(span)
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


def _fix(path: str, fix: Fix) -> dict:
    return {
        "description": {"text": fix.description},
        "artifactChanges": [{
            "artifactLocation": artifact(path),
            "replacements": [
                {"deletedRegion": region(edit.span), "insertedContent": {"text": edit.replacement}}
                for edit in fix.edits
            ],
        }],
        "properties": {"applicability": "safe" if fix.safe else "unsafe"},
    }


def result(finding: Finding, sources) -> dict:
    entry = {
        "ruleId": finding.code,
        "ruleIndex": RULE_INDEX[finding.code],
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [physical(finding.path, finding.span)],
        "relatedLocations": [
            {"id": number, **physical(related.path, related.span), "message": {"text": related.message}}
            for number, related in enumerate(finding.related, start=1)
        ],
    }
    if finding.fix is not None:
        entry["fixes"] = [_fix(finding.path, finding.fix)]
    notebook_cell = cell(finding.path, finding.span.start, sources)
    if notebook_cell is not None:
        entry["properties"] = {"cell": notebook_cell}
    return entry


def notification(error: FileError) -> dict:
    span = Span(error.position, error.position) if error.position else None
    return {"level": "error", "message": {"text": error.message}, "locations": [physical(error.path, span)]}


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
    run = {
        "tool": {"driver": driver(homepage())},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [notification(error) for error in errors],
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result(finding, sources) for finding in findings],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"
