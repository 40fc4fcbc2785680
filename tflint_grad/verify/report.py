"""Verdicts, the before/after table, and the same content as JSON.

A target's verdict in one run:

* function: the worst of its gradient checks (cut > wrong > ok); ``unchecked``
  when no check could be made, ``not run`` when it was never called eagerly;
* tape block: ``cut`` when a ``tape.gradient`` on that tape returned None for
  some source (the sources are named); else ``wrong`` when the replay's tape
  gradient disagrees with the finite-difference reference; else ``ok``;
  ``not run`` without a ``tape.gradient`` call.

A finding is *confirmed* when the run agrees with it: a target the findings
call cut is cut or wrong as written and ok after the fix; a target with
warnings only (TFG101: the gradient is intact) is ok in both runs.  Besides,
every cut the guard saw in the project's files during the as-written run at a
line where the static pass reported nothing is *missed by the static
analysis*.  When only unsafe fixes exist (and ``--unsafe-fixes`` is off) the
fixed run is skipped and the as-written verdicts are reported alone.  Exit
status: 0 every target confirmed and nothing missed, 1 otherwise, 2 a run
crashed or timed out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, NamedTuple

from ..guard.cut import short
from ..report.text import summary as findings_summary
from .runner import OK, SKIPPED, TIMEOUT, Run
from .targets import CUT, TAPE, Plan, Target

VERDICT_ORDER = ("cut", "wrong", "ok")  # worst first
BROKEN = ("cut", "wrong")
EXIT_CONFIRMED, EXIT_UNCONFIRMED, EXIT_ERROR = 0, 1, 2
STDERR_LINES = 30


@dataclass(frozen=True)
class Judgement:
    verdict: str  # cut | wrong | ok | unchecked | not run | skipped
    detail: str


@dataclass(frozen=True)
class Outcome:
    target: Target
    before: Judgement
    after: Judgement

    @property
    def confirmed(self) -> bool:
        if self.target.claim == CUT:
            return self.before.verdict in BROKEN and self.after.verdict == "ok"
        return self.before.verdict == "ok" and self.after.verdict == "ok"

    @property
    def confirmed_as_written(self) -> bool:
        return self.before.verdict in (BROKEN if self.target.claim == CUT else ("ok",))


@dataclass(frozen=True)
class Row:
    label: str
    before: dict | None  # {"value": x} | {"norm": x} | {"none": True}; None: not produced
    after: dict | None
    reference: float | None = None  # the finite-difference derivative (as written, else fixed)


@dataclass(frozen=True)
class Missed:
    """A cut the guard saw at run time where the static pass reported nothing."""

    file: str
    line: int
    operation: str
    rule: str
    instead: str


@dataclass(frozen=True)
class Verification:
    plan: Plan
    before: Run
    after: Run
    outcomes: tuple[Outcome, ...]
    rows: tuple[Row, ...]
    missed: tuple[Missed, ...]

    @property
    def exit_code(self) -> int:
        if self.before.status != OK or self.after.status not in (OK, SKIPPED):
            return EXIT_ERROR
        if self.missed or self.after.status == SKIPPED:
            return EXIT_UNCONFIRMED
        return EXIT_CONFIRMED if all(o.confirmed for o in self.outcomes) else EXIT_UNCONFIRMED


def verify(plan: Plan, before: Run, after: Run) -> Verification:
    outcomes = tuple(
        Outcome(t, judge(t, before, t.before.line), judge(t, after, t.after.line if t.after else None))
        for t in plan.targets
    )
    return Verification(plan, before, after, outcomes, tuple(evidence(before, after)), tuple(missed(plan, before)))


def shown_path(path: str) -> str:
    """A path as the user would write it: relative to the working directory when under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def missed(plan: Plan, run: Run) -> Iterator[Missed]:
    flagged = {(os.path.abspath(f.path), f.span.start.line) for f in plan.findings}
    seen = set()
    for cut in run.record.get("cuts", []):
        site = (os.path.abspath(cut["file"]), cut["line"])
        if site not in flagged and site not in seen:
            seen.add(site)
            yield Missed(shown_path(cut["file"]), cut["line"], cut["operation"], cut["rule"], cut["instead"])


def judge(target: Target, run: Run, line: int | None) -> Judgement:
    if run.status != OK:
        return Judgement(run.status, "")
    if target.kind == TAPE:
        return _judge_tape(run, target.path, line)
    entry = run.record["functions"].get(target.key)
    if entry is None:
        return Judgement("not run", "never called eagerly")
    checks = [c for c in entry["checks"] if c["verdict"] in VERDICT_ORDER]
    if not checks:
        return Judgement("unchecked", entry["checks"][0]["note"])
    worst = min(checks, key=lambda c: VERDICT_ORDER.index(c["verdict"]))
    tape, numeric = worst["tape"], worst["numeric"]
    if worst["verdict"] == "cut":
        detail = f"tape {'None' if tape is None else '0'}, numeric {number(numeric)}"
    elif worst["verdict"] == "wrong":
        detail = f"tape {number(tape)} vs numeric {number(numeric)}"
    else:
        detail = f"{len(checks)} input{'s' * (len(checks) != 1)} agree ({worst['dtype']})"
    return Judgement(worst["verdict"], detail)


def _judge_tape(run: Run, path: str, line: int | None) -> Judgement:
    sites = [s for s in run.record["gradients"]
             if line is not None and s["with_line"] == line and s["file"] == os.path.abspath(path)]
    if not sites:
        return Judgement("not run", "no tape.gradient call on this tape")
    missing = [f"{label} ({count}/{site['calls']} calls)" for site in sites
               for label, count in zip(site["sources"], site["none"]) if count]
    if missing:
        return Judgement("cut", "None for " + ", ".join(missing))
    wrong = [(site["sources"][r["source"]], r) for site in sites for r in site.get("reference", []) if r.get("agree") is False]
    if wrong:
        label, r = wrong[0]
        return Judgement("wrong", f"d/d {label}: tape {number(r['tape'])} vs numeric {number(r['numeric'])}")
    calls = sum(s["calls"] for s in sites)
    return Judgement("ok", f"no None in {calls} call{'s' * (calls != 1)}")


class Produced(NamedTuple):
    label: str
    value: dict
    numeric: float | None  # the finite-difference derivative at that call, when the source is a scalar variable


def produced(run: Run) -> Iterator[Produced]:
    for site in run.record.get("gradients", []):
        numeric = {r["source"]: r.get("numeric") for r in site.get("reference", []) if r.get("direction") == "unit"}
        for i, (source, first) in enumerate(zip(site["sources"], site["first"] or [])):
            at = first["at"].get("value")
            shown = f" ({source} = {number(at)})" if at is not None else ""
            label = f"d {site['target']}/d {source}, first call{shown}"
            yield Produced(label, first["gradient"] or {"none": True}, numeric.get(i))
    for name, value in run.record.get("variables", {}).items():
        yield Produced(f"{name}, final", value, None)


def evidence(before: Run, after: Run) -> list[Row]:
    """What the runs produced, side by side, with the finite-difference derivative beside each gradient."""
    found: dict[str, list] = {}
    for side, run in enumerate((before, after)):
        for item in produced(run):
            cells = found.setdefault(item.label, [None, None, None])
            cells[side] = item.value
            cells[2] = cells[2] if cells[2] is not None else item.numeric
    return [Row(label, *cells) for label, cells in found.items()]


def number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e6 else f"{value:.4e}"


def cell(value: dict | None) -> str:
    if value is None:
        return "-"
    if value.get("none"):
        return "None"
    return number(value["value"]) if "value" in value else f"|{number(value['norm'])}|"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in rows]


def _last_line(run: Run) -> str:
    lines = run.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _where(target: Target, plan: Plan) -> str:
    line = str(target.before.line)
    return line if target.path == plan.source.path else f"{shown_path(target.path)}:{line}"


def render_text(v: Verification, timeout: float, seed: int) -> str:
    plan = v.plan
    out = [f"tflint-grad verify {plan.source.path}", _static_line(plan), _runs_line(v, timeout, seed)]
    if v.outcomes:
        out += ["", "gradient check: tape gradient vs central finite difference (float64 arithmetic) at recorded inputs"]
        header = ["target", "line", "findings", "claim", "as written", "fixed", "confirmed"]
        body = [
            [o.target.name, _where(o.target, plan), " ".join(o.target.codes), o.target.claim,
             _verdict(o.before), _verdict(o.after), "yes" if o.confirmed else "no"]
            for o in v.outcomes
        ]
        out += _table([header, *body])
    if v.rows:
        out += ["", "what the runs produced (numeric: d loss/d parameter by central differences, common random numbers):"]
        table = [["", "as written", "fixed", "numeric"]]
        table += [[r.label, cell(r.before), cell(r.after), number(r.reference) if r.reference is not None else ""] for r in v.rows]
        out += _table(table)
    if v.missed:
        out += ["", "missed by the static analysis (the guard saw these cuts at run time):"]
        out += [f"  {m.file}:{m.line}: {short(m.operation)} ({m.rule}); {m.instead}" for m in v.missed]
    if v.before.status == OK and v.after.status == OK:
        out += ["", f"last line printed: {_last_line(v.before)!r} as written, {_last_line(v.after)!r} fixed"]
    for name, run in (("as written", v.before), ("fixed", v.after)):
        if run.status not in (OK, SKIPPED):
            out += ["", f"{name}: the script {_failure(run)}; its stderr:"]
            out += ["  | " + line for line in stderr_tail(run)]
    out += ["", _conclusion(v)]
    return "\n".join(out) + "\n"


def _static_line(plan: Plan) -> str:
    if not plan.findings:
        return "static pass: no findings; running it once to look for cuts the static pass cannot see"
    found = findings_summary(list(plan.findings), unsafe_fixes=True).splitlines()[0]
    line = f"static pass: {found[0].lower()}{found[1:-1]}; {plan.fixed_count} fixed in memory for the second run"
    if plan.unsafe_left:
        line += f" ({plan.unsafe_left} more only by unsafe fixes: --unsafe-fixes)"
    return line


def _runs_line(v: Verification, timeout: float, seed: int) -> str:
    after = _status(v.after)
    if v.after.status == SKIPPED:
        after += " (only unsafe fixes)" if v.plan.unsafe_left else " (nothing to fix)"
    return f"runs (seed {seed}, timeout {timeout:g} s): as written {_status(v.before)}, fixed {after}"


def stderr_tail(run: Run) -> list[str]:
    """The script's traceback when there is one (TensorFlow's start-up chatter comes before it),
    else the last ``STDERR_LINES`` lines."""
    lines = run.stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    return lines[starts[-1]:] if starts else lines[-STDERR_LINES:]


def _status(run: Run) -> str:
    if run.status == SKIPPED:
        return "skipped"
    return f"{run.seconds:.1f} s" if run.status == OK else _failure(run)


def _failure(run: Run) -> str:
    return "timed out" if run.status == TIMEOUT else run.status


def _verdict(judgement: Judgement) -> str:
    return f"{judgement.verdict}: {judgement.detail}" if judgement.detail else judgement.verdict


def _conclusion(v: Verification) -> str:
    code = v.exit_code
    missed = f"; {len(v.missed)} cut{'s' * (len(v.missed) != 1)} missed by the static analysis" if v.missed else ""
    if code == EXIT_ERROR:
        return "not verified: a run did not finish (exit 2)"
    if not v.outcomes:
        return f"nothing flagged{missed} (exit {code})" if missed else "no cut found at run time either (exit 0)"
    if v.after.status == SKIPPED:
        shown = ", ".join(o.target.name for o in v.outcomes if o.confirmed_as_written) or "nothing"
        return (f"as written the run confirms: {shown}; no fix verified: only unsafe fixes exist, "
                f"rerun with --unsafe-fixes to verify them{missed} (exit 1)")
    if code == EXIT_CONFIRMED:
        return "fix confirmed: every flagged gradient is broken as written and correct after the fix (exit 0)"
    failed = ", ".join(o.target.name for o in v.outcomes if not o.confirmed)
    return f"not confirmed: {failed}{missed} (exit 1)" if failed else f"every flagged gradient confirmed{missed} (exit 1)"


def _checks(run: Run, target: Target) -> list[dict]:
    return run.record.get("functions", {}).get(target.key, {}).get("checks", [])


def to_json(v: Verification, timeout: float, seed: int) -> dict:
    def run(r: Run) -> dict:
        data = {"status": r.status, "seconds": round(r.seconds, 2), "last_line": _last_line(r)}
        return data if r.status in (OK, SKIPPED) else {**data, "stderr": "\n".join(stderr_tail(r))}

    def judgement(j: Judgement) -> dict:
        return {"verdict": j.verdict, "detail": j.detail}

    return {
        "file": v.plan.source.path,
        "seed": seed,
        "timeout": timeout,
        "static": {
            "findings": [
                {"file": f.path, "line": f.span.start.line, "column": f.span.start.column + 1, "code": f.code,
                 "message": f.message}
                for f in v.plan.findings
            ],
            "fixed": v.plan.fixed_count,
            "unsafe_left": v.plan.unsafe_left,
        },
        "runs": {"before": run(v.before), "after": run(v.after)},
        "targets": [
            {
                "name": o.target.name, "kind": o.target.kind, "file": o.target.path, "line": o.target.before.line,
                "codes": list(o.target.codes), "claim": o.target.claim, "before": judgement(o.before),
                "after": judgement(o.after), "confirmed": o.confirmed,
                "checks": {
                    side: [{k: x for k, x in c.items() if k != "samples"} for c in _checks(r, o.target)]
                    for side, r in (("before", v.before), ("after", v.after))
                },
            }
            for o in v.outcomes
        ],
        "evidence": [{"label": r.label, "before": r.before, "after": r.after, "numeric": r.reference} for r in v.rows],
        "missed": [{"file": m.file, "line": m.line, "operation": m.operation, "rule": m.rule} for m in v.missed],
        "exit_code": v.exit_code,
    }
