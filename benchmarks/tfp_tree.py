"""Time tflint-grad on the installed TensorFlow Probability tree, against a bare
``libcst.parse_module`` pass over the same files, measured in the same run.

    python benchmarks/tfp_tree.py [PATH]   # default: the installed tensorflow_probability

Prints files and lines, the time of each pass, the ratios, and what the
analysis found there (differentiated functions, tape blocks, findings).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import libcst

from tflint_grad.analysis.dataflow import Dataflow
from tflint_grad.analysis.project import Project
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


def main() -> None:
    tree = sys.argv[1] if len(sys.argv) > 1 else default_tree()
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
    print(f"ratio check({os.cpu_count()} processes) / bare parse: {parallel / bare:.2f}")

    session = Session(sources, Config())
    summaries = session.summaries()
    dataflow = Dataflow(Project(summaries))
    events = dataflow.run()
    regions = sum(len(tapes.tape_blocks) for tapes in dataflow.tapes.values())
    print(f"parsed (prefilter + imports): {len(summaries)} of {len(sources)} files")
    print(f"scopes evaluated: {len(dataflow.evaluated)}, differentiated functions: {len(dataflow.reached)}, "
          f"tape blocks: {regions}, round-trips: {len(events)}, findings: {len(report.findings)}, "
          f"file errors: {len(report.errors)}")
    for finding in report.findings:
        print(f"  {Path(finding.path).relative_to(tree)}:{finding.span.start.line}: {finding.code} {finding.message}")


if __name__ == "__main__":
    main()
