"""Run the user's script in a child process: isolated, seeded, time-limited.

Each run gets its own process (started in a new session, so a timeout kills
the script and anything it started), its own temporary working directory
(removed afterwards; the spec and the record travel through it), a fixed
``PYTHONHASHSEED`` and seed, and TensorFlow's C++ logging turned down unless
the user chose a level.  The parent never imports TensorFlow and never runs
user code itself: linting stays a pure static pass.
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

import tflint_grad

OK, CRASHED, TIMEOUT, NO_TENSORFLOW = "ok", "crashed", "timeout", "no-tensorflow"
SPEC, RECORD, SCRIPT = ".tflint-grad-spec.json", ".tflint-grad-record.json", ".tflint-grad-script"
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(tflint_grad.__file__)))


@dataclass(frozen=True)
class Run:
    status: str  # OK | CRASHED | TIMEOUT | NO_TENSORFLOW
    seconds: float
    stdout: str
    stderr: str
    record: dict = field(default_factory=dict)  # what the child wrote (see child.py)


def run(path: str, text: str, functions: dict[str, tuple[int, int]], seed: int, timeout: float) -> Run:
    """Run ``text`` as the script at ``path``, recording the flagged ``functions``.

    The text runs from a copy in the temporary directory (TensorFlow's
    autograph re-reads a function's source from its code's file, so that file
    must hold the text that runs); ``__file__`` and ``sys.path[0]`` still
    name the user's file, and tracebacks are shown with the user's path.
    """
    with tempfile.TemporaryDirectory(prefix="tflint-grad-verify-") as work:
        spec_path, record_path = os.path.join(work, SPEC), os.path.join(work, RECORD)
        copy = os.path.join(work, SCRIPT, os.path.basename(path))
        os.mkdir(os.path.dirname(copy))
        with open(copy, "w", encoding="utf-8") as handle:
            handle.write(text)
        spec = {"path": os.path.abspath(path), "copy": copy, "functions": functions, "seed": seed}
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "tflint_grad.verify.child", spec_path, record_path],
            cwd=work, env=_environment(seed), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            stdout, stderr = child.communicate()
            return Run(TIMEOUT, time.monotonic() - started, stdout, stderr.replace(copy, path))
        seconds = time.monotonic() - started
        if not os.path.exists(record_path):
            return Run(CRASHED, seconds, stdout, stderr.replace(copy, path))
        with open(record_path, encoding="utf-8") as handle:
            record = json.load(handle)
    return Run(record["status"], seconds, stdout, stderr.replace(copy, path), record)


def _environment(seed: int) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env
