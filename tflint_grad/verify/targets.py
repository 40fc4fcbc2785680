"""The static half of ``verify``: the findings, the fixed texts, and what to check.

The script is analysed together with the other Python files of its folder
(its project), and everything that follows is limited to the script and the
project files it imports, directly or not: those are the files the run
executes, so the files whose flagged functions get recorders.

A *target* is one piece of differentiated code the static pass flagged: a
function (or lambda) holding round-trips, whose gradient can be checked at
the inputs it really receives; or a ``tf.GradientTape`` block holding
round-trips directly, judged by which sources ``tape.gradient`` returns None
for.  Targets are keyed by file and the analysis' scope ids, which a fix does
not change (a fix renames calls and may add an import line), so the same
target is found again in the fixed text even when its line moved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..analysis.project import absolute_import, module_name
from ..config import Config
from ..engine import Session
from ..findings import FileError, Finding, Origin, Position, Severity
from ..fixing import fix
from ..ir.located import Located
from ..parse.source import SourceFile

FUNCTION, TAPE = "function", "tape"
CUT, INTACT = "cut", "intact"  # what the findings claim about the target's gradient


@dataclass(frozen=True)
class Target:
    key: str  # "function:<file>:<scope id>" or "tape:<file>:<scope id>:<region>", the same in both texts
    kind: str  # FUNCTION | TAPE
    path: str  # the file that holds it
    name: str  # as shown: "pdist", "Model.call", "lambda", "tape block"
    codes: tuple[str, ...]  # the findings' codes, in file order
    claim: str  # CUT when a finding says the gradient is cut; INTACT for warnings only
    before: Position  # the def / lambda / with, in the file as written
    after: Position | None  # the same node in the fixed text (None: the fix removed it)


@dataclass(frozen=True)
class Plan:
    files: tuple[str, ...]  # the script, then the project files it imports: the code the run executes
    written: dict[str, SourceFile]  # those files as written
    fixed_sources: dict[str, SourceFile]  # and with the fixes applied (in memory)
    findings: tuple[Finding, ...]  # in those files
    fixed_count: int
    unsafe_left: int  # findings only an unsafe fix repairs, when unsafe fixes are off
    targets: tuple[Target, ...]
    errors: tuple[FileError, ...]

    @property
    def source(self) -> SourceFile:
        return self.written[self.files[0]]

    @property
    def fixed(self) -> SourceFile:
        return self.fixed_sources[self.files[0]]

    def texts(self, fixed: bool) -> dict[str, str]:
        return {path: (self.fixed_sources if fixed else self.written)[path].text for path in self.files}


def plan(source: SourceFile, config: Config, unsafe: bool, project: list[SourceFile] = ()) -> Plan:
    """Analyse ``source`` with the ``project`` files beside it; check what the run can execute."""
    script = os.path.abspath(source.path)
    everything = [source, *(s for s in project if os.path.abspath(s.path) != script)]
    session = Session(everything, config, parse_all=True)  # _executed follows the imports of every file
    report = session.run()
    files = _executed(source.path, session)
    written = {path: session.sources[path] for path in files}
    findings = tuple(f for f in report.findings if f.path in written)
    errors = tuple(e for e in report.errors if e.path in written)
    if errors or not findings:
        return Plan(files, written, written, findings, 0, 0, (), errors)
    grouped: dict[tuple, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(_unit(finding.origin), []).append(finding)
    result = fix(list(written.values()), config, unsafe)
    fixed = {path: result.sources[path] for path in files}
    targets = tuple(
        _target(unit, found, session.locate(unit[0]), _located(fixed[unit[0]], session.locate(unit[0])))
        for unit, found in sorted(grouped.items(), key=lambda item: item[1][0].sort_key)
    )
    unsafe_left = sum(1 for f in result.report.findings if f.path in written and f.fix is not None and not f.fix.safe)
    refused = tuple(e for e in result.errors if e.path in written)
    return Plan(files, written, fixed, findings, result.fixed, unsafe_left, targets, refused)


def _located(fixed: SourceFile, original: Located) -> Located:
    return Located(fixed) if fixed.text != original.source.text else original


def _executed(script: str, session: Session) -> tuple[str, ...]:
    """The script and the analysed project files it imports, transitively (the script first)."""
    by_module: dict[str, list[str]] = {}
    for path in session.sources:
        by_module.setdefault(module_name(path), []).append(path)
    order, queue = [script], [script]
    while queue:
        path = queue.pop()
        if path not in session.parsed or path in (e.path for e in session.errors):
            continue
        ir = session.locate(path).ir
        for imported in (*ir.imports.values(), *ir.star_imports):
            name = absolute_import(module_name(path), ir.is_package, imported).split(".")
            for found in (p for i in range(1, len(name) + 1) for p in by_module.get(".".join(name[:i]), ())):
                if found not in order:
                    order.append(found)
                    queue.append(found)
    return tuple(order)


def _unit(origin: Origin) -> tuple[str, str, str, int]:
    """(file, kind, scope id, tape block) of the code that holds the round-trip, from the finding's origin."""
    if origin.block >= 0:
        return origin.path, TAPE, origin.scope, origin.block
    return origin.path, FUNCTION, origin.scope, -1


def _position(unit: tuple[str, str, str, int], located: Located) -> Position | None:
    _, kind, scope_id, region = unit
    scope = located.ir.scopes.get(scope_id)
    if scope is None or (kind == TAPE and region >= len(scope.blocks)):
        return None
    return located.span_of(scope.blocks[region].statement if kind == TAPE else scope.index).start


def _target(unit: tuple[str, str, str, int], findings: list[Finding], located: Located, fixed: Located) -> Target:
    path, kind, scope_id, region = unit
    scope = located.ir.scopes[scope_id]
    if kind == TAPE:
        key, name = f"{TAPE}:{path}:{scope_id}:{region}", "tape block"
    else:
        key, name = f"{FUNCTION}:{path}:{scope_id}", scope_id if scope.kind != "lambda" else "lambda"
    claim = CUT if any(f.severity is Severity.ERROR for f in findings) else INTACT
    codes = tuple(f.code for f in findings)
    return Target(key, kind, path, name, codes, claim, _position(unit, located), _position(unit, fixed))


def project_files(script: str) -> list[str]:
    """The Python files of the script's folder, its project (found as the linter finds files)."""
    from ..discover import discover

    return [p for p in discover([os.path.dirname(script) or "."]).paths if p.endswith(".py")]
