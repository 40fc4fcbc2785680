"""Run the user's script in a child process: isolated, seeded, time-limited.

Each run gets its own process (started in a new session, so a timeout kills
the script and anything it started), its own temporary working directory
(removed afterwards; the spec, the record and the progress counts travel
through it), a fixed ``PYTHONHASHSEED`` and seed, and TensorFlow's C++
logging turned down unless the user chose a level.  The parent never imports
TensorFlow and never runs user code itself: linting stays a pure static pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

import tflint_grad

OK, CRASHED, TIMEOUT, NO_TENSORFLOW, SKIPPED = "ok", "crashed", "timeout", "no-tensorflow", "skipped"
SPEC, RECORD, PROGRESS, SCRIPT = ".tflint-grad-spec.json", ".tflint-grad-record.json", ".tflint-grad-progress.json", ".tflint-grad-script"
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(tflint_grad.__file__)))
POLL = 1.0  # seconds between looks at the child's progress


@dataclass(frozen=True)
class Run:
    status: str  # OK | CRASHED | TIMEOUT | NO_TENSORFLOW | SKIPPED (not started: nothing to fix)
    seconds: float
    stdout: str
    stderr: str
    record: dict = field(default_factory=dict)  # what the child wrote (see child.py)


@dataclass(frozen=True)
class Program:
    """What one run executes: the script and its project files (text to run, flagged functions)."""

    path: str  # the script
    texts: dict[str, str]  # every executed file -> the text to run (the script's included)
    functions: dict[str, dict[str, tuple[int, int]]]  # file -> flagged function key -> (line, column)
    graph: bool = False  # keep tf.function compiled (traced code is then not checked)


def run(program: Program, seed: int, timeout: float, progress: Callable[[float, dict], None] | None = None) -> Run:
    """Run the program's script, recording the flagged functions; ``progress(seconds, counts)`` while it runs.

    The script runs from a copy in the temporary directory (TensorFlow's
    autograph re-reads a function's source from its code's file, so that file
    must hold the text that runs); ``__file__`` and ``sys.path[0]`` still
    name the user's file, and tracebacks are shown with the user's path.
    """
    path = program.path
    with tempfile.TemporaryDirectory(prefix="tflint-grad-verify-") as work:
        spec_path, record_path, progress_path = (os.path.join(work, name) for name in (SPEC, RECORD, PROGRESS))
        copy = os.path.join(work, SCRIPT, os.path.basename(path))
        os.mkdir(os.path.dirname(copy))
        with open(copy, "w", encoding="utf-8") as handle:
            handle.write(program.texts[path])
        modules = {
            os.path.abspath(p): {"text": text, "functions": program.functions.get(p, {})}
            for p, text in program.texts.items() if p != path
        }
        spec = {
            "path": os.path.abspath(path), "copy": copy, "functions": program.functions.get(path, {}),
            "modules": modules, "seed": seed, "graph": program.graph, "progress": progress_path,
            "root": os.path.dirname(os.path.abspath(path)),
        }
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "tflint_grad.verify.child", spec_path, record_path],
            cwd=work, env=_environment(seed), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        while True:
            left = started + timeout - time.monotonic()
            try:
                stdout, stderr = child.communicate(timeout=max(0.0, min(POLL, left)))
                break
            except subprocess.TimeoutExpired:
                if left <= POLL:
                    os.killpg(child.pid, signal.SIGKILL)
                    stdout, stderr = child.communicate()
                    return Run(TIMEOUT, time.monotonic() - started, stdout, stderr.replace(copy, path))
                if progress is not None:
                    progress(time.monotonic() - started, _counts(progress_path))
        seconds = time.monotonic() - started
        if not os.path.exists(record_path):
            return Run(CRASHED, seconds, stdout, stderr.replace(copy, path))
        with open(record_path, encoding="utf-8") as handle:
            record = json.load(handle)
    return Run(record["status"], seconds, stdout, stderr.replace(copy, path), record)


def _counts(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):  # not written yet
        return {}


def _environment(seed: int) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env
