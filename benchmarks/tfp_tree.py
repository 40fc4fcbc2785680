"""Time tflint-grad on the installed TensorFlow Probability tree, against a bare
``libcst.parse_module`` pass over the same files and against a baseline
revision of tflint-grad itself, all measured in the same run.

    python benchmarks/tfp_tree.py [PATH] [--baseline REV]   # default: installed TFP, REV = main

The baseline is exported from this repository (``git archive REV``) into a
temporary folder and timed in a child process on the same files, one
process, so the new core's time is printed beside the old one's.  Prints
files and lines, the time of each pass, the ratios, and what the analysis
found there (differentiated functions, tape blocks, findings).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst

from tflint_grad.analysis.dataflow import Dataflow
from tflint_grad.config import Config
from tflint_grad.discover import discover
from tflint_grad.engine import Session
from tflint_grad.parse.load import load


def default_tree() -> str:
    import importlib.util

    spec = importlib.util.find_spec("tensorflow_probability")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("tensorflow_probability is not installed: pip install '.[test]' or pass a PATH")
    return spec.submodule_search_locations[0]


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<46} {elapsed:8.2f} s")
    return result, elapsed


REPOSITORY = Path(__file__).resolve().parents[1]
# Run inside the baseline's folder: time one single-process check of the given files.
BASELINE_CHILD = """
import json, sys, time
from tflint_grad.config import Config
from tflint_grad.engine import Session
from tflint_grad.parse.load import load
sources = [load(p) for p in json.load(sys.stdin)]
start = time.perf_counter()
report = Session(sources, Config(), jobs=1).run()
print(json.dumps({"seconds": time.perf_counter() - start, "findings": len(report.findings)}))
"""


def baseline_time(revision: str, paths: list[str]) -> dict | None:
    """Seconds and findings of ``revision``'s single-process check of ``paths`` (None: not available)."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", revision], capture_output=True)
        if archive.returncode != 0:
            print(f"baseline {revision}: {archive.stderr.decode().strip()}")
            return None
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        child = subprocess.run(
            [sys.executable, "-c", BASELINE_CHILD], input=json.dumps(paths), capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": folder}, cwd=folder,
        )
        if child.returncode != 0:
            print(f"baseline {revision} failed: {child.stderr.strip()[-500:]}")
            return None
        return json.loads(child.stdout)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("tree", nargs="?", help="the tree to analyse (default: the installed tensorflow_probability)")
    cli.add_argument("--baseline", default="main", help="the revision to time beside this one (default: main)")
    args = cli.parse_args()
    tree = args.tree or default_tree()
    paths = [p for p in discover([tree]).paths if p.endswith(".py")]
    sources = [load(p) for p in paths]
    lines = sum(s.text.count("\n") for s in sources)
    print(f"tree: {tree}\nfiles: {len(sources)}, lines: {lines}, cores: {os.cpu_count()}")

    def bare_parse() -> None:  # each module dropped after parsing, as the analysis does
        for source in sources:
            libcst.parse_module(source.text)

    _, bare = timed("bare libcst.parse_module, sequential", bare_parse)
    report, sequential = timed("tflint-grad check, 1 process", lambda: Session(sources, Config(), jobs=1).run())
    _, parallel = timed(f"tflint-grad check, {os.cpu_count()} processes", lambda: Session(sources, Config()).run())
    print(f"ratio check(1 process) / bare parse: {sequential / bare:.2f}")
    baseline = baseline_time(args.baseline, paths)
    if baseline is not None:
        print(f"{'baseline ' + args.baseline + ' check, 1 process':<46} {baseline['seconds']:8.2f} s "
              f"({baseline['findings']} findings)")
        print(f"ratio check(1 process) / baseline {args.baseline}: {sequential / baseline['seconds']:.2f}")
    print(f"ratio check({os.cpu_count()} processes) / bare parse: {parallel / bare:.2f}")

    session = Session(sources, Config())
    dataflow = Dataflow(session.project())
    events = dataflow.run()  # parses the modules it asks for
    regions = sum(len(tapes.tape_blocks) for tapes in dataflow.tapes.values())
    print(f"parsed (the roots, then by demand): {len(session.parsed)} of {len(sources)} files")
    print(f"scopes evaluated: {len(dataflow.evaluated)}, differentiated functions: {len(dataflow.reached)}, "
          f"tape blocks: {regions}, round-trips: {len(events)}, findings: {len(report.findings)}, "
          f"file errors: {len(report.errors)}")
    for finding in report.findings:
        print(f"  {Path(finding.path).relative_to(tree)}:{finding.span.start.line}: {finding.code} {finding.message}")


if __name__ == "__main__":
    main()
