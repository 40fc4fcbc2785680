"""Run tflint-grad over every notebook under a folder, as a user would, and say what happened.

    python benchmarks/notebooks_corpus.py FOLDER [--show N]

FOLDER is, for instance, a checkout of tensorflow/docs and one of
tensorflow/probability side by side.  One real CLI run (``python -m
tflint_grad``, in a child process, worker processes and all) over all the
``.ipynb`` files with ``--output-format sarif`` (no cache), then:

* files, time, exit code, and any internal error (there should be none);
* file errors by cause (the message with its details cut off);
* findings by rule, and ``--show`` of them with the code they point at,
  read from the ``.ipynb`` text through the SARIF region, to triage by eye;
* that every SARIF region of a notebook holds the code (its text is a JSON
  string fragment) and that applying every SARIF fix to a copy of the file's
  text still gives a notebook (valid JSON with the same cells).

Nothing is written to FOLDER.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DETAILS = re.compile(r"(:| \().*$")  # "syntax error: invalid syntax (cell not checked)" -> "syntax error"


def notebooks(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.ipynb") if path.is_file())


def run(folder: Path, paths: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tflint_grad", "--no-cache", "--output-format", "sarif", *paths],
        cwd=folder, capture_output=True, text=True, env=env,
    )
    return result, time.perf_counter() - started


def offset(text: str, line: int, column: int) -> int:
    at = 0
    for _ in range(line - 1):
        at = text.index("\n", at) + 1
    return at + column - 1


def region_text(text: str, region: dict) -> str:
    start = offset(text, region["startLine"], region["startColumn"])
    return text[start:offset(text, region["endLine"], region["endColumn"])]


def code_at(text: str, region: dict) -> str:
    """The code a region of a notebook's JSON text holds (it may run over several strings of a list)."""
    return "".join(json.loads(f'["{region_text(text, region)}"]'))


def with_fixes(text: str, results: list[dict]) -> str:
    edits = sorted(
        (offset(text, r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
         offset(text, r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]), r["insertedContent"]["text"])
        for result in results for fix in result.get("fixes", ())
        for change in fix["artifactChanges"] for r in change["replacements"]
    )
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--show", type=int, default=20, help="findings to print with their code")
    args = parser.parse_args(argv)
    paths = notebooks(args.folder)
    result, seconds = run(args.folder, paths)
    print(f"{len(paths)} notebooks, {seconds:.1f} s, exit {result.returncode}")
    internal = [line for line in result.stderr.splitlines() if "internal error" in line]
    print(f"internal errors: {len(internal)}", *internal[:10], sep="\n  ")
    if not result.stdout.strip():
        print(result.stderr)
        return 1
    run_log = json.loads(result.stdout)["runs"][0]
    notifications = run_log["invocations"][0]["toolExecutionNotifications"]
    causes = collections.Counter(DETAILS.sub("", n["message"]["text"]) for n in notifications)
    failed = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notifications}
    print(f"file errors: {len(notifications)} in {len(failed)} files")
    for cause, count in causes.most_common():
        print(f"  {count:4}  {cause}")
    results = run_log["results"]
    print(f"findings: {len(results)}", dict(collections.Counter(r["ruleId"] for r in results)))

    by_file: dict[str, list[dict]] = collections.defaultdict(list)
    for entry in results:
        by_file[entry["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]].append(entry)
    wrong_regions, broken_fixes, shown = [], [], 0
    for uri, entries in sorted(by_file.items()):
        text = (args.folder / uri).read_text(encoding="utf-8")
        for entry in entries:
            region = entry["locations"][0]["physicalLocation"]["region"]
            try:
                code = code_at(text, region)
            except (json.JSONDecodeError, ValueError):
                wrong_regions.append((uri, region))
                continue
            if shown < args.show:
                cell = entry.get("properties", {}).get("cell", {})
                print(f"  {uri}:{cell.get('label')}:{cell.get('location', {}).get('row')} {entry['ruleId']} {code!r}")
                print(f"      {entry['message']['text'][:160]}")
                shown += 1
        try:
            fixed = json.loads(with_fixes(text, entries))
            if len(fixed["cells"]) != len(json.loads(text)["cells"]):
                broken_fixes.append(uri)
        except json.JSONDecodeError:
            broken_fixes.append(uri)
    print(f"regions that do not hold code: {len(wrong_regions)}", *wrong_regions[:5], sep="\n  ")
    print(f"notebooks the SARIF fixes would break: {len(broken_fixes)}", *broken_fixes[:5], sep="\n  ")
    return 1 if internal or wrong_regions or broken_fixes else 0


if __name__ == "__main__":
    sys.exit(main())
