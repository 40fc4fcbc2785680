"""``--baseline FILE``: adopt the tool on a codebase without fixing everything first.

The first run records every current finding in FILE; later runs report only
the findings that are not recorded, so a new cut fails CI while the old ones
wait for their turn.  A finding is recorded by its path (relative to FILE's
folder, so the baseline works from any working folder), its code and the text
of its line with the indentation stripped, not by line number: findings on
lines that moved keep matching, and an edited line becomes new.  The
recording is a multiset: a second identical cut on a recorded line's twin is
new.  Delete FILE to record again.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter

from .atomic import replace_atomically
from .config import ConfigError
from .findings import Finding
from .fixes.apply import LINE_BREAK

VERSION = 1


def apply_baseline(path: str, findings: list[Finding], sources) -> list[Finding]:
    """The findings that ``path`` does not record; records them all if ``path`` does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    lines = {p: LINE_BREAK.split(sources[p].text) if p in sources else [] for p in {f.path for f in findings}}
    keys = [_key(finding, lines[finding.path], folder) for finding in findings]
    if not os.path.exists(path):
        _record(path, keys)
        sys.stderr.write(f"Recorded {len(keys)} finding{'s' * (len(keys) != 1)} in the baseline {path}.\n")
        return []
    recorded = _read(path)
    new = []
    for finding, key in zip(findings, keys):
        if recorded[key] > 0:
            recorded[key] -= 1
        else:
            new.append(finding)
    return new


def _key(finding: Finding, lines: list[str], folder: str) -> tuple[str, str, str]:
    """(path relative to the baseline's folder, code, the finding's line without indentation)."""
    line = lines[finding.span.start.line - 1].strip() if finding.span.start.line <= len(lines) else ""
    return os.path.relpath(os.path.abspath(finding.path), folder).replace(os.sep, "/"), finding.code, line


def _record(path: str, keys: list[tuple[str, str, str]]) -> None:
    entries = [{"path": p, "code": c, "line": line} for p, c, line in sorted(keys)]
    data = json.dumps({"version": VERSION, "findings": entries}, indent=2) + "\n"
    try:
        replace_atomically(path, data.encode("utf-8"))
    except OSError as error:
        raise ConfigError(f"--baseline {path}: cannot write it: {error.strerror or error}") from error


def _read(path: str) -> Counter:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
        return Counter((e["path"], e["code"], e["line"]) for e in data["findings"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"--baseline {path}: not a tflint-grad baseline: {error}") from error
