"""The static half of ``verify``: the findings, the fixed text, and what to check.

A *target* is one piece of differentiated code the static pass flagged: a
function (or lambda) holding round-trips, whose gradient can be checked at
the inputs it really receives; or a ``tf.GradientTape`` block holding
round-trips directly, judged by which sources ``tape.gradient`` returns None
for.  Targets are keyed by the analysis' scope ids, which a fix does not
change (a fix renames calls and may add an import line), so the same target
is found again in the fixed text even when its line moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..engine import Session
from ..findings import FileError, Finding, Origin, Position, Severity
from ..fixes.fixer import fix
from ..parse.source import SourceFile
from ..ir.located import Located

FUNCTION, TAPE = "function", "tape"
CUT, INTACT = "cut", "intact"  # what the findings claim about the target's gradient


@dataclass(frozen=True)
class Target:
    key: str  # "function:<scope id>" or "tape:<scope id>:<region>", the same in both texts
    kind: str  # FUNCTION | TAPE
    name: str  # as shown: "pdist", "Model.call", "lambda", "tape block"
    codes: tuple[str, ...]  # the findings' codes, in file order
    claim: str  # CUT when a finding says the gradient is cut; INTACT for warnings only
    before: Position  # the def / lambda / with, in the file as written
    after: Position | None  # the same node in the fixed text (None: the fix removed it)


@dataclass(frozen=True)
class Plan:
    source: SourceFile
    findings: tuple[Finding, ...]
    fixed: SourceFile  # the text with the fixes applied (in memory)
    fixed_count: int
    targets: tuple[Target, ...]
    errors: tuple[FileError, ...]


def plan(source: SourceFile, config: Config, unsafe: bool) -> Plan:
    session = Session([source], config)
    report = session.run()
    if report.errors or not report.findings:
        return Plan(source, report.findings, source, 0, (), report.errors)
    located = session.locate(source.path)
    grouped: dict[tuple, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(_unit(finding.origin), []).append(finding)
    result = fix([source], config, unsafe)
    fixed = result.sources[source.path]
    fixed_located = Located(fixed) if fixed.text != source.text else located
    targets = tuple(
        _target(unit, findings, located, fixed_located)
        for unit, findings in sorted(grouped.items(), key=lambda item: item[1][0].sort_key)
    )
    return Plan(source, report.findings, fixed, result.fixed, targets, result.errors)


def _unit(origin: Origin) -> tuple[str, str, int]:
    """(kind, scope id, tape block) of the code that holds the round-trip, from the finding's origin."""
    if origin.block >= 0:
        return TAPE, origin.scope, origin.block
    return FUNCTION, origin.scope, -1


def _position(unit: tuple[str, str, int], located: Located) -> Position | None:
    kind, scope_id, region = unit
    scope = located.ir.scopes.get(scope_id)
    if scope is None or (kind == TAPE and region >= len(scope.blocks)):
        return None
    return located.span_of(scope.blocks[region].statement if kind == TAPE else scope.index).start


def _target(unit: tuple[str, str, int], findings: list[Finding], located: Located, fixed: Located) -> Target:
    kind, scope_id, region = unit
    scope = located.ir.scopes[scope_id]
    if kind == TAPE:
        key, name = f"{TAPE}:{scope_id}:{region}", "tape block"
    else:
        key, name = f"{FUNCTION}:{scope_id}", scope_id if scope.kind != "lambda" else "lambda"
    claim = CUT if any(f.severity is Severity.ERROR for f in findings) else INTACT
    codes = tuple(f.code for f in findings)
    return Target(key, kind, name, codes, claim, _position(unit, located), _position(unit, fixed))
