"""``tflint-grad verify FILE``: the static pass, two child runs, verdicts.

The script is analysed with the Python files of its folder; the runs (as
written, and with the fixes applied in memory to the script and the project
files it imports) go in parallel child processes, with live progress on
stderr.  When nothing can be fixed without ``--unsafe-fixes`` only the
as-written run is made.  The files on disk are written only with ``--fix``,
and then only when the run confirmed every finding.  Exit statuses: 0
confirmed, 1 not confirmed (or a cut the static pass missed), 2 errors
(unreadable file, a run crashed or timed out, TensorFlow missing).
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
from .progress import Progress
from .targets import FUNCTION, Plan, plan, project_files

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
    p.add_argument("--fix", action="store_true", help="write the fixes when the run confirms them")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes in the fixed run")
    p.add_argument("--graph", action="store_true",
                   help="keep tf.function compiled (faster; code only tf.function traces is then not checked)")
    p.add_argument("--plot", metavar="PNG", help="draw parameters, loss and gradients, as written beside fixed")
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
    project = [s for s in map(load, project_files(args.file)) if not isinstance(s, FileError)]
    checked = plan(source, config, args.unsafe_fixes, project)
    if checked.errors:
        return _error("; ".join(e.message for e in checked.errors))
    before, after = _run_both(checked, args.seed, args.timeout, args.graph)
    missing = next((r for r in (before, after) if r.status == runner.NO_TENSORFLOW), None)
    if missing is not None:
        return _error(f"TensorFlow cannot be imported ({missing.record['detail']}); install it with: {INSTALL}")
    verification = report.verify(checked, before, after)
    if args.format == "json":
        print(json.dumps(report.to_json(verification, args.timeout, args.seed), indent=2))
    else:
        sys.stdout.write(report.render_text(verification, args.timeout, args.seed))
    if args.plot:
        from .plot import plot

        problem = plot(verification, args.plot)
        print(f"tflint-grad verify: {problem}" if problem else f"plot written to {args.plot}", file=sys.stderr)
    if args.fix:
        return _write_fix(checked, verification)
    return verification.exit_code


def _program(checked: Plan, fixed: bool, graph: bool) -> runner.Program:
    functions: dict[str, dict[str, tuple[int, int]]] = {}
    for t in checked.targets:
        position = t.after if fixed else t.before
        if t.kind == FUNCTION and position is not None:
            functions.setdefault(t.path, {})[t.key] = (position.line, position.column)
    return runner.Program(checked.source.path, checked.texts(fixed), functions, graph)


def _run_both(checked: Plan, seed: int, timeout: float, graph: bool) -> tuple[runner.Run, runner.Run]:
    """As written and fixed, in parallel; the fixed run only when a fix was applied."""
    progress = Progress()
    skipped = runner.Run(runner.SKIPPED, 0.0, "", "")
    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(runner.run, _program(checked, False, graph), seed, timeout, progress.reporter("as written"))
        after = pool.submit(runner.run, _program(checked, True, graph), seed, timeout, progress.reporter("fixed")) \
            if checked.fixed_count else None
        runs = before.result(), after.result() if after is not None else skipped
    progress.done()
    return runs


def _write_fix(checked: Plan, verification: report.Verification) -> int:
    code = verification.exit_code
    if code != report.EXIT_CONFIRMED:
        print(f"{checked.source.path}: not written, the fix is not confirmed", file=sys.stderr)
        return code
    changed = [p for p in checked.files if checked.fixed_sources[p].text != checked.written[p].text]
    for path in changed:
        try:
            write_atomic(path, checked.fixed_sources[path])
        except (ChangedOnDisk, OSError) as error:
            return _error(str(error))
    print(f"{', '.join(changed)}: fixed ({checked.fixed_count} findings)", file=sys.stderr)
    return code


def _error(message: str) -> int:
    print(f"tflint-grad verify: {message}", file=sys.stderr)
    return report.EXIT_ERROR
