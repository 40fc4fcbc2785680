"""``--statistics``: how many findings of each code, most frequent first (as ruff prints them)."""

from __future__ import annotations

from collections import Counter

from ..findings import FileError, Finding
from ..rules import RULES_BY_CODE
from .text import elsewhere as elsewhere_line
from .text import summary


def render(findings: list[Finding], unsafe_fixes: bool, errors: list[FileError] = (), elsewhere: list[Finding] = ()) -> str:
    counts = Counter(f.code for f in findings)
    fixable = {f.code for f in findings if f.fix and (f.fix.safe or unsafe_fixes)}
    width = max((len(str(n)) for n in counts.values()), default=1)
    lines = [
        f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '   '} {RULES_BY_CODE[code].name}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    if not lines and (errors or not elsewhere):
        lines.append(summary([], unsafe_fixes, errors))
    if elsewhere:
        lines.append(elsewhere_line(elsewhere))
    return "".join(line + "\n" for line in lines)
