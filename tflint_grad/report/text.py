"""The default, ruff-style output: ``path:line:col: CODE [*] message``."""

from __future__ import annotations

from ..findings import FileError, Finding, Severity
from .locations import display


def render(findings: list[Finding], sources, unsafe_fixes: bool) -> str:
    lines = []
    for finding in findings:
        marker = " [*]" if finding.fix and (finding.fix.safe or unsafe_fixes) else ""
        lines.append(f"{display(finding.path, finding.span.start, sources)}: {finding.code}{marker} {finding.message}")
    lines.append(summary(findings, unsafe_fixes))
    return "\n".join(lines) + "\n"


def render_errors(errors: list[FileError], sources) -> str:
    out = []
    for error in errors:
        where = display(error.path, error.position, sources) if error.position else error.path
        out.append(f"error: {where}: {error.message}")
    return "".join(line + "\n" for line in out)


def summary(findings: list[Finding], unsafe_fixes: bool) -> str:
    if not findings:
        return "All checks passed!"
    cuts = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - cuts
    text = f"Found {len(findings)} finding{'s' * (len(findings) != 1)} ({cuts} gradient cut{'s' * (cuts != 1)}, {warnings} warning{'s' * (warnings != 1)})."
    fixable = sum(1 for f in findings if f.fix and (f.fix.safe or unsafe_fixes))
    hidden = sum(1 for f in findings if f.fix and not f.fix.safe and not unsafe_fixes)
    if fixable:
        text += f"\n[*] {fixable} fixable with the `--fix` option."
    if hidden:
        text += f"\n{hidden} more fixable with `--fix --unsafe-fixes` (unsafe: review the result)."
    return text
