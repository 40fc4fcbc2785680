"""Run the real CLI over the installed TensorFlow, Keras, tf_keras and TFP source trees.

    python benchmarks/real_trees.py [NAME|PATH ...]   # default: the four installed packages

Real code must never take the run down (issue 8).  For each tree this prints
the files discovered, the wall time of ``tflint-grad --output-format json
TREE`` in a child process, its exit code, the file errors by cause, the
findings by code, and whether an internal error occurred (exit 2, an
"internal error" message, or a crash).  The packages are found with
``importlib.util.find_spec``, never imported.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tflint_grad.discover import discover

ROOT = Path(__file__).resolve().parent.parent
TREES = ("tensorflow", "keras", "tf_keras", "tensorflow_probability")


def locate(name: str) -> str | None:
    """A package's source folder, or ``name`` itself if it is a folder."""
    if os.path.isdir(name):
        return name
    spec = importlib.util.find_spec(name)
    return spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None


def cause(message: str) -> str:
    """The kind of a file error: its message up to the first colon ("syntax error", "cannot decode")."""
    return message.split(":", 1)[0]


def run_tree(path: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tflint_grad", "--output-format", "json", path],
                            capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    try:
        entries = json.loads(result.stdout) if result.stdout.strip() else []
    except json.JSONDecodeError:
        entries = []
    errors = [e for e in entries if e["kind"] == "error"]
    internal = (result.returncode not in (0, 1) or "internal error" in result.stderr
                or any("internal error" in e["message"] for e in errors))
    return {
        "files": len(discover([path]).paths),
        "seconds": elapsed,
        "exit": result.returncode,
        "errors": Counter(cause(e["message"]) for e in errors),
        "findings": Counter(e["code"] for e in entries if e["kind"] == "finding"),
        "internal": internal,
        "stderr": result.stderr.strip().splitlines()[-3:],
    }


def main(names: list[str]) -> int:
    broken = 0
    for name in names or TREES:
        path = locate(name)
        if path is None:
            print(f"{name}: not installed")
            continue
        row = run_tree(path)
        broken += row["internal"]
        print(f"{name} ({path})")
        print(f"  files {row['files']}, {row['seconds']:.1f} s, exit {row['exit']}")
        print(f"  file errors: {dict(row['errors']) or 'none'}")
        print(f"  findings: {dict(sorted(row['findings'].items())) or 'none'}")
        print(f"  internal error: {'YES' if row['internal'] else 'no'}")
        if row["internal"]:
            for line in row["stderr"]:
                print(f"    {line[:300]}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
