"""``tflint-grad verify FILE``: the static pass, two child runs, verdicts.

The runs (as written, and with the fixes applied in memory) go in parallel
child processes; the file on disk is written only with ``--fix``, and then
only when the run confirmed every finding.  Exit statuses: 0 confirmed, 1 not
confirmed, 2 errors (unreadable file, a run crashed or timed out, TensorFlow
missing).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

from ..config import ConfigError, find_pyproject, load_config
from ..findings import FileError
from ..fixes.write import ChangedOnDisk, write_atomic
from ..parse.load import load
from . import report, runner
from .targets import FUNCTION, Plan, plan

INSTALL = "pip install 'tflint-grad[verify]'"
DEFAULT_TIMEOUT = 300.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tflint-grad verify",
        description="Run FILE as written and with the fixes applied, and check the flagged gradients "
                    "against finite differences. Runs your code (in child processes).",
    )
    p.add_argument("file", help="the Python script to run")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help=f"seconds per run (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--seed", type=int, default=0, help="random seed for Python, numpy and TensorFlow (default 0)")
    p.add_argument("--format", "--output-format", dest="format", choices=("text", "json"), default="text")
    p.add_argument("--fix", action="store_true", help="write the fixes to FILE when the run confirms them")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes in the fixed run")
    p.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml instead of the nearest one")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    source = load(args.file)
    if isinstance(source, FileError) or source.kind != "python":
        return _error(source.message if isinstance(source, FileError) else "verify runs Python scripts, not notebooks")
    try:
        config = load_config(args.config or find_pyproject(args.file))
    except ConfigError as error:
        return _error(str(error))
    checked = plan(source, config, args.unsafe_fixes)
    if checked.errors:
        return _error("; ".join(e.message for e in checked.errors))
    if not checked.targets:
        print(f"{args.file}: no findings, nothing to verify")
        return report.EXIT_CONFIRMED
    before, after = _run_both(checked, args.seed, args.timeout)
    missing = next((r for r in (before, after) if r.status == runner.NO_TENSORFLOW), None)
    if missing is not None:
        return _error(f"TensorFlow cannot be imported ({missing.record['detail']}); install it with: {INSTALL}")
    verification = report.verify(checked, before, after)
    if args.format == "json":
        print(json.dumps(report.to_json(verification, args.timeout, args.seed), indent=2))
    else:
        sys.stdout.write(report.render_text(verification, args.timeout, args.seed))
    if args.fix:
        return _write_fix(checked, verification)
    return verification.exit_code


def _run_both(checked: Plan, seed: int, timeout: float) -> tuple[runner.Run, runner.Run]:
    def functions(side: str) -> dict[str, tuple[int, int]]:
        positions = {t.key: getattr(t, side) for t in checked.targets if t.kind == FUNCTION}
        return {key: (p.line, p.column) for key, p in positions.items() if p is not None}

    path = checked.source.path
    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(runner.run, path, checked.source.text, functions("before"), seed, timeout)
        after = pool.submit(runner.run, path, checked.fixed.text, functions("after"), seed, timeout)
        return before.result(), after.result()


def _write_fix(checked: Plan, verification: report.Verification) -> int:
    code = verification.exit_code
    if code != report.EXIT_CONFIRMED:
        print(f"{checked.source.path}: not written, the fix is not confirmed", file=sys.stderr)
        return code
    try:
        write_atomic(checked.source.path, checked.fixed)
    except (ChangedOnDisk, OSError) as error:
        return _error(str(error))
    print(f"{checked.source.path}: fixed ({checked.fixed_count} findings)", file=sys.stderr)
    return code


def _error(message: str) -> int:
    print(f"tflint-grad verify: {message}", file=sys.stderr)
    return report.EXIT_ERROR
