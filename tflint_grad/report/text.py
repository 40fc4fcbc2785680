"""The default, ruff-style output: ``path:line:col: CODE [*] message``."""

from __future__ import annotations

from ..findings import FileError, Finding, Severity
from .locations import display


def render(findings: list[Finding], sources, unsafe_fixes: bool, errors: list[FileError] = (),
           others: list[Finding] = ()) -> str:
    lines = []
    for finding in findings:
        marker = " [*]" if finding.fix and (finding.fix.safe or unsafe_fixes) else ""
        lines.append(f"{display(finding.path, finding.span.start, sources)}: {finding.code}{marker} {finding.message}")
    if findings or errors or not others:
        lines.append(summary(findings, unsafe_fixes, errors))
    if others:
        lines.append(elsewhere(others))
    return "\n".join(lines) + "\n"


def render_errors(errors: list[FileError], sources) -> str:
    out = []
    for error in errors:
        where = display(error.path, error.position, sources) if error.position else error.path
        out.append(f"error: {where}: {error.message}")
    return "".join(line + "\n" for line in out)


GRADIENT_CUTS = "TFG0"  # the family whose errors are gradient cuts (rules/__init__.py); other errors are counted apart


def summary(findings: list[Finding], unsafe_fixes: bool, errors: list[FileError] = ()) -> str:
    """The closing lines.  "All checks passed!" only when nothing was found and
    every file was checked; each hint names the flags that really apply it."""
    failed = _failed(errors)
    if not findings:
        return f"No findings, but {failed}." if errors else "All checks passed!"
    errors_found = sum(f.severity is Severity.ERROR for f in findings)
    cuts = sum(f.severity is Severity.ERROR and f.code.startswith(GRADIENT_CUTS) for f in findings)
    warnings = len(findings) - errors_found
    others = f", {errors_found - cuts} other error{'s' * (errors_found - cuts != 1)}" if errors_found > cuts else ""
    text = (f"Found {len(findings)} finding{'s' * (len(findings) != 1)} ({cuts} gradient cut{'s' * (cuts != 1)}"
            f"{others}, {warnings} warning{'s' * (warnings != 1)}).")
    if errors:
        text += f"\n{failed[0].upper()}{failed[1:]}."
    safe = sum(1 for f in findings if f.fix and f.fix.safe)
    unsafe = sum(1 for f in findings if f.fix and not f.fix.safe)
    if safe:
        text += f"\n[*] {safe} fixable with the `--fix` option."
    if unsafe and unsafe_fixes:
        text += f"\n[*] {unsafe} fixable with `--fix --unsafe-fixes` (unsafe: review the result)."
    elif unsafe:
        text += f"\n{unsafe} more fixable with `--fix --unsafe-fixes` (unsafe: review the result)."
    return text


def _failed(errors: list[FileError]) -> str:
    internal = sum(1 for error in errors if error.internal)
    text = f"{len(errors)} error{'s' * (len(errors) != 1)} (see stderr)"
    return text + f", {internal} from a bug in tflint-grad" if internal else text


def elsewhere(findings: list[Finding]) -> str:
    """One line for the cuts that code in the files named suffers in files not named."""
    by_path: dict[str, int] = {}
    for finding in findings:
        by_path[finding.path] = by_path.get(finding.path, 0) + 1
    files = ", ".join(f"{path} ({count})" for path, count in sorted(by_path.items()))
    n, m = len(findings), len(by_path)
    return (f"Also {n} finding{'s' * (n != 1)} in {m} file{'s' * (m != 1)} not named, in code that the files named "
            f"differentiate: {files}; name {'them' if m != 1 else 'it'} to see {'them' if n != 1 else 'it'}.")

