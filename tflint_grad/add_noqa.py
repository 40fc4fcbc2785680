"""``--add-noqa``: suppress every current finding on its own line, as ruff does.

For adopting the tool on a codebase with many findings: each finding's line
gets ``# noqa: CODE`` (codes added to a ``# noqa:`` already there, other
tools' codes kept), so the next run is clean and new cuts stand out.  A line
that ends inside a multi-line string or with a backslash cannot take a
comment: its findings are left and counted.  The file is written only if it
still parses, with the same guarantees as ``--fix``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace

from .config import Config
from .exit_codes import exit_code
from .findings import FileError
from .parse.comments import scan
from .fixes.apply import LINE_BREAK
from .fixing import breaks

NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)


def add_noqa(inputs, config: Config) -> int:
    from .engine import check
    from .report.text import render_errors
    from .fixes.write import try_write

    report = check(inputs.sources, config, **inputs.analysis)
    inputs.analysed()
    errors = inputs.errors + list(report.errors)
    by_path: dict[str, dict[int, list[str]]] = {}
    for finding in report.findings:
        codes = by_path.setdefault(finding.path, {}).setdefault(finding.span.start.line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    sources = {s.path: s for s in inputs.sources}
    added = skipped = 0
    for path, lines in sorted(by_path.items()):
        if path in inputs.from_stdin:
            continue
        text, done = with_noqa(sources[path].text, lines)
        problem = breaks(sources[path].text, text)
        if problem:
            errors.append(FileError(path, f"internal error: adding # noqa would leave invalid code ({problem}); file left unchanged", internal=True))
            continue
        reason = try_write(path, replace(sources[path], text=text))
        if reason:
            errors.append(FileError(path, f"not changed: {reason}"))
            continue
        added += done
        skipped += len(lines) - done
    sys.stderr.write(render_errors(errors, sources))
    note = f" ({skipped} line{'s' * (skipped != 1)} cannot take a comment: inside a string or after a backslash)" if skipped else ""
    sys.stdout.write(f"Added {added} noqa directive{'s' * (added != 1)}{note}.\n")
    return exit_code((), errors)


def with_noqa(text: str, lines: dict[int, list[str]]) -> tuple[str, int]:
    """``text`` with the codes added to each numbered line, and how many lines took them."""
    parts = LINE_BREAK.split(text)
    breaks_ = LINE_BREAK.findall(text)
    found = scan(text)
    comments, closed = found.by_line, found.open_lines
    done = 0
    for number, codes in lines.items():
        line = parts[number - 1]
        if number in closed or line.rstrip().endswith("\\"):
            continue
        column, comment = comments.get(number, (0, ""))
        existing = NOQA_CODES.search(comment)  # a "# noqa:" in a string is text, not a directive
        if existing:
            at = column + existing.end()
            parts[number - 1] = line[:at] + "".join(f", {c}" for c in codes) + line[at:]
        else:
            parts[number - 1] = f"{line.rstrip()}  # noqa: {', '.join(codes)}"
        done += 1
    return "".join(p + b for p, b in zip(parts, [*breaks_, ""])), done
