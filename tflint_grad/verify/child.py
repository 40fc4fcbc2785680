"""The child process: run the user's script once, recording; then check gradients.

Started by :mod:`tflint_grad.verify.runner` as
``python -m tflint_grad.verify.child SPEC RESULT`` in a temporary directory of
its own.  The only place where the user's code runs, and where TensorFlow is
imported.  It

1. imports TensorFlow (if that fails it writes ``{"status": "no-tensorflow"}``
   and exits 3), fixes the random seeds of ``random``, numpy and TensorFlow;
2. compiles the script (the runner's copy of the text to run) with recorders on the flagged functions
   (:mod:`.instrument`), wraps ``tf.GradientTape.__enter__``/``gradient`` to
   log what every ``tape.gradient`` call in the script returned, and runs the
   script as ``__main__`` (``__file__`` and ``sys.path[0]`` are the script's
   own, so its imports and data paths work; the working directory is the
   temporary one);
3. if the script finished, checks each recorded call (:mod:`.gradcheck`) and
   writes the record as JSON.  If it raised, the traceback goes to stderr and
   the exit status is 1: the parent shows it.

Exit statuses: 0 record written, 1 the script failed, 3 no TensorFlow.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import random
import sys
import traceback
import types

from .instrument import RECORD, instrument

EXIT_SCRIPT_FAILED, EXIT_NO_TENSORFLOW = 1, 3


def execute(spec: dict, text: str, recorder, log) -> dict:
    """Run the script (its copy, under the user's ``__file__``) as ``__main__``; its globals afterwards."""
    path, copy = spec["path"], spec["copy"]
    code = instrument(ast.parse(text, copy), text, copy, spec["functions"])
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins
    setattr(module, RECORD, recorder)
    sys.modules["__main__"] = module
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path)
    log.install()
    exec(code, module.__dict__)
    return module.__dict__


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as handle:
        spec = json.load(handle)
    try:
        import tensorflow as tf
        import numpy as np  # after TensorFlow, which brings it: a missing TensorFlow is the news
    except ImportError as error:
        _write(argv[1], {"status": "no-tensorflow", "detail": str(error)})
        return EXIT_NO_TENSORFLOW
    from .gradcheck import check
    from .recording import Recorder, TapeLog, summary

    random.seed(spec["seed"])
    np.random.seed(spec["seed"])
    tf.random.set_seed(spec["seed"])
    with open(spec["copy"], encoding="utf-8") as handle:
        text = handle.read()
    recorder, log = Recorder(), TapeLog(spec["copy"], ast.parse(text, spec["copy"]))
    try:
        namespace = execute(spec, text, recorder, log)
    except SystemExit as stop:
        if stop.code not in (None, 0):
            print(f"the script exited with status {stop.code}", file=sys.stderr)
            return EXIT_SCRIPT_FAILED
        namespace = sys.modules["__main__"].__dict__
    except BaseException as error:  # the script's own failure: its traceback, without this frame
        traceback.print_exception(type(error), error, _from_script(error.__traceback__, spec["copy"]))
        return EXIT_SCRIPT_FAILED
    recorder.active = log.active = False
    functions = {
        key: {"calls": recorder.counts[key], "checks": [check(call, spec["seed"]) for call in calls]}
        for key, calls in recorder.calls.items()
    }
    variables = {
        name: summary(value) for name, value in namespace.items()
        if isinstance(value, tf.Variable) and not name.startswith("_")
    }
    sites = sorted(log.sites.values(), key=lambda site: site["line"])
    _write(argv[1], {"status": "ok", "functions": functions, "gradients": sites, "variables": variables})
    return 0


def _from_script(frames, path: str):
    """The traceback from the script's first frame on (this module's frames are noise)."""
    start = frames
    while start is not None and start.tb_frame.f_code.co_filename != path:
        start = start.tb_next
    return start or frames


def _write(path: str, record: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
