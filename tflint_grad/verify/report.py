"""Verdicts, the before/after table, and the same content as JSON.

A target's verdict in one run:

* function: the worst of its gradient checks (cut > wrong > ok); ``unchecked``
  when no check could be made, ``not run`` when it was never called eagerly;
* tape block: ``cut`` when a ``tape.gradient`` on that tape returned None for
  some source (the sources are named), else ``ok``; ``not run`` without one.

A finding is *confirmed* when the run agrees with it: a target the findings
call cut is cut or wrong as written and ok after the fix; a target with
warnings only (TFG101: the gradient is intact) is ok in both runs.  Exit
status: 0 every target confirmed, 1 any not, 2 a run crashed or timed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, NamedTuple

from ..report.text import summary as findings_summary
from .runner import OK, TIMEOUT, Run
from .targets import CUT, TAPE, Plan, Target

VERDICT_ORDER = ("cut", "wrong", "ok")  # worst first
BROKEN = ("cut", "wrong")
EXIT_CONFIRMED, EXIT_UNCONFIRMED, EXIT_ERROR = 0, 1, 2
STDERR_LINES = 30

if TYPE_CHECKING:  # numpy, which ``reference`` needs, is imported only once the runs succeeded
    from . import reference as references


@dataclass(frozen=True)
class Judgement:
    verdict: str  # cut | wrong | ok | unchecked | not run
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


@dataclass(frozen=True)
class Row:
    label: str
    before: dict | None  # {"value": x} | {"norm": x} | {"none": True}; None: not produced
    after: dict | None
    reference: float | None = None


@dataclass(frozen=True)
class Verification:
    plan: Plan
    before: Run
    after: Run
    outcomes: tuple[Outcome, ...]
    rows: tuple[Row, ...]
    reference: tuple[references.Reference, str] | None  # and the function that matched it

    @property
    def exit_code(self) -> int:
        if self.before.status != OK or self.after.status != OK:
            return EXIT_ERROR
        return EXIT_CONFIRMED if all(o.confirmed for o in self.outcomes) else EXIT_UNCONFIRMED


def verify(plan: Plan, before: Run, after: Run) -> Verification:
    outcomes = tuple(
        Outcome(t, judge(t, before, t.before.line), judge(t, after, t.after.line if t.after else None))
        for t in plan.targets
    )
    reference = None
    if before.status == OK and after.status == OK:  # TensorFlow ran here, so numpy is installed
        from . import reference as references

        samples = {
            name: check["samples"]
            for run in (before, after) for name, entry in _named_functions(plan, run).items()
            for check in entry["checks"] if check.get("samples")
        }
        reference = references.find(samples)
    return Verification(plan, before, after, outcomes, tuple(evidence(before, after, reference)), reference)


def _named_functions(plan: Plan, run: Run) -> dict[str, dict]:
    names = {t.key: t.name for t in plan.targets}
    return {names[key]: entry for key, entry in run.record.get("functions", {}).items()}


def judge(target: Target, run: Run, line: int | None) -> Judgement:
    if run.status != OK:
        return Judgement(run.status, "")
    if target.kind == TAPE:
        return _judge_tape(run, line)
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


def _judge_tape(run: Run, line: int | None) -> Judgement:
    sites = [s for s in run.record["gradients"] if line is not None and s["with_line"] == line]
    if not sites:
        return Judgement("not run", "no tape.gradient call on this tape")
    missing = [f"{label} ({count}/{site['calls']} calls)" for site in sites
               for label, count in zip(site["sources"], site["none"]) if count]
    if missing:
        return Judgement("cut", "None for " + ", ".join(missing))
    calls = sum(s["calls"] for s in sites)
    return Judgement("ok", f"no None in {calls} call{'s' * (calls != 1)}")


class Produced(NamedTuple):
    label: str
    kind: str  # "gradient" (first tape.gradient of a source) | "final" (a variable at the end)
    name: str  # the source / variable as the script names it
    at: float | None  # the source's value when that gradient was taken
    value: dict


def produced(run: Run) -> Iterator[Produced]:
    for site in run.record.get("gradients", []):
        for source, first in zip(site["sources"], site["first"] or []):
            at = first["at"].get("value")
            shown = f" ({source} = {number(at)})" if at is not None else ""
            label = f"d {site['target']}/d {source}, first call{shown}"
            yield Produced(label, "gradient", source, at, first["gradient"] or {"none": True})
    for name, value in run.record.get("variables", {}).items():
        yield Produced(f"{name}, final", "final", name, None, value)


def evidence(before: Run, after: Run, reference: tuple[references.Reference, str] | None) -> list[Row]:
    """What the runs produced, side by side, with the reference's truth where it has one."""
    found: dict[str, tuple[Produced, list]] = {}
    for side, run in enumerate((before, after)):
        for item in produced(run):
            found.setdefault(item.label, (item, [None, None]))[1][side] = item.value
    return [Row(label, cells[0], cells[1], _truth(reference, item)) for label, (item, cells) in found.items()]


def _truth(reference: tuple[references.Reference, str] | None, item: Produced) -> float | None:
    if reference is None or item.name != reference[0].parameter:
        return None
    if item.kind == "final":
        return reference[0].optimum()
    return None if item.at is None else reference[0].gradient(item.at)


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


def render_text(v: Verification, timeout: float, seed: int) -> str:
    plan = v.plan
    found = findings_summary(list(plan.findings), unsafe_fixes=True).splitlines()[0]
    out = [
        f"tflint-grad verify {plan.source.path}",
        f"static pass: {found[0].lower()}{found[1:-1]}; {plan.fixed_count} fixed in memory for the second run",
        f"runs (seed {seed}, timeout {timeout:g} s): as written {_status(v.before)}, fixed {_status(v.after)}",
        "",
        "gradient check: tape gradient vs central finite difference (float64 arithmetic) at recorded inputs",
    ]
    header = ["target", "line", "findings", "claim", "as written", "fixed", "confirmed"]
    body = [
        [o.target.name, str(o.target.before.line), " ".join(o.target.codes), o.target.claim,
         _verdict(o.before), _verdict(o.after), "yes" if o.confirmed else "no"]
        for o in v.outcomes
    ]
    out += _table([header, *body])
    if v.rows:
        out += ["", "what the runs produced:"]
        table = [["", "as written", "fixed", "reference"]]
        table += [[r.label, cell(r.before), cell(r.after), number(r.reference) if r.reference is not None else ""] for r in v.rows]
        out += _table(table)
    if v.before.status == OK and v.after.status == OK:
        out += ["", f"last line printed: {_last_line(v.before)!r} as written, {_last_line(v.after)!r} fixed"]
    if v.reference is not None:
        out.append(f"reference: {v.reference[0].name}; applies because {v.reference[1]} computes its log density")
    for name, run in (("as written", v.before), ("fixed", v.after)):
        if run.status != OK:
            out += ["", f"{name}: the script {_failure(run)}; its stderr:"]
            out += ["  | " + line for line in stderr_tail(run)]
    out += ["", _conclusion(v)]
    return "\n".join(out) + "\n"


def stderr_tail(run: Run) -> list[str]:
    """The script's traceback when there is one (TensorFlow's start-up chatter comes before it),
    else the last ``STDERR_LINES`` lines."""
    lines = run.stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    return lines[starts[-1]:] if starts else lines[-STDERR_LINES:]


def _status(run: Run) -> str:
    return f"{run.seconds:.1f} s" if run.status == OK else _failure(run)


def _failure(run: Run) -> str:
    return "timed out" if run.status == TIMEOUT else run.status


def _verdict(judgement: Judgement) -> str:
    return f"{judgement.verdict}: {judgement.detail}" if judgement.detail else judgement.verdict


def _conclusion(v: Verification) -> str:
    code = v.exit_code
    if code == EXIT_ERROR:
        return "not verified: a run did not finish (exit 2)"
    if code == EXIT_CONFIRMED:
        return "fix confirmed: every flagged gradient is broken as written and correct after the fix (exit 0)"
    failed = ", ".join(o.target.name for o in v.outcomes if not o.confirmed)
    return f"not confirmed: {failed} (exit 1)"


def _checks(run: Run, target: Target) -> list[dict]:
    return run.record.get("functions", {}).get(target.key, {}).get("checks", [])


def to_json(v: Verification, timeout: float, seed: int) -> dict:
    def run(r: Run) -> dict:
        data = {"status": r.status, "seconds": round(r.seconds, 2), "last_line": _last_line(r)}
        return data if r.status == OK else {**data, "stderr": "\n".join(stderr_tail(r))}

    def judgement(j: Judgement) -> dict:
        return {"verdict": j.verdict, "detail": j.detail}

    return {
        "file": v.plan.source.path,
        "seed": seed,
        "timeout": timeout,
        "static": {
            "findings": [
                {"line": f.span.start.line, "column": f.span.start.column + 1, "code": f.code, "message": f.message}
                for f in v.plan.findings
            ],
            "fixed": v.plan.fixed_count,
        },
        "runs": {"before": run(v.before), "after": run(v.after)},
        "targets": [
            {
                "name": o.target.name, "kind": o.target.kind, "line": o.target.before.line, "codes": list(o.target.codes),
                "claim": o.target.claim, "before": judgement(o.before), "after": judgement(o.after), "confirmed": o.confirmed,
                "checks": {
                    side: [{k: x for k, x in c.items() if k != "samples"} for c in _checks(r, o.target)]
                    for side, r in (("before", v.before), ("after", v.after))
                },
            }
            for o in v.outcomes
        ],
        "evidence": [{"label": r.label, "before": r.before, "after": r.after, "reference": r.reference} for r in v.rows],
        "reference": None if v.reference is None else {"name": v.reference[0].name, "matched": v.reference[1]},
        "exit_code": v.exit_code,
    }
