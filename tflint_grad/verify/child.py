"""The child process: run the user's script once, recording; then check gradients.

Started by :mod:`tflint_grad.verify.runner` as
``python -m tflint_grad.verify.child SPEC RESULT`` in a temporary directory of
its own.  The only place where the user's code runs, and where TensorFlow is
imported.  It

1. imports TensorFlow (if that fails it writes ``{"status": "no-tensorflow"}``
   and exits 3), fixes the random seeds of ``random``, numpy and TensorFlow,
   and (unless the spec says ``graph``) makes ``tf.function`` run eagerly
   (``tf.config.run_functions_eagerly``), so code only a ``tf.function``
   traces (a Keras ``train_step`` inside ``fit``) runs as Python and can be
   checked;
2. compiles the script (the runner's copy of the text to run) and the project
   files it imports (:class:`.instrument.ProjectModules`) with recorders on
   the flagged functions, wraps ``tf.GradientTape.__enter__``/``gradient`` to
   log what every ``tape.gradient`` call in those files returned, and runs
   the script as ``__main__`` (``__file__`` and ``sys.path[0]`` are the
   script's own, so its imports and data paths work; the working directory is
   the temporary one), under the guard in ``warn`` mode, which collects every
   conversion of a recorded tensor in the project's files;
3. if the script finished, checks each recorded call (:mod:`.gradcheck`),
   replays each tape for the finite-difference reference (:mod:`.reference`)
   and writes the record as JSON.  If it raised, the traceback goes to stderr
   and the exit status is 1: the parent shows it.

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

from .instrument import RECORD, ProjectModules, instrument

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
    sys.meta_path.insert(0, ProjectModules(spec["modules"], recorder))
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
    from ..guard import WARN, guard
    from .gradcheck import check
    from .recording import ProgressFile, Recorder, TapeLog, summary
    from .reference import numeric_gradients

    random.seed(spec["seed"])
    np.random.seed(spec["seed"])
    tf.random.set_seed(spec["seed"])
    tf.config.run_functions_eagerly(not spec["graph"])
    with open(spec["copy"], encoding="utf-8") as handle:
        text = handle.read()
    progress = ProgressFile(spec.get("progress"))
    files = {spec["copy"]: (spec["path"], ast.parse(text, spec["copy"]))}
    files.update({path: (path, ast.parse(entry["text"], path)) for path, entry in spec["modules"].items()})
    recorder, log = Recorder(progress), TapeLog(files, progress)
    cuts: list = []
    try:
        with guard(WARN, on_cut=cuts.append):
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
    for key, replay in log.replays.items():
        log.sites[key]["reference"] = numeric_gradients(replay, spec["seed"])
    variables, seen = {}, set()
    for name, value in namespace.items():  # each variable once, by its first name (not a loop's alias)
        if isinstance(value, tf.Variable) and not name.startswith("_") and id(value) not in seen:
            seen.add(id(value))
            variables[name] = summary(value)
    sites = sorted(log.sites.values(), key=lambda site: (site["file"] != spec["path"], site["file"], site["line"]))
    _write(argv[1], {
        "status": "ok", "functions": functions, "gradients": sites, "variables": variables,
        "cuts": _project_cuts(cuts, files, spec["root"]),
    })
    return 0


def _project_cuts(cuts: list, files: dict[str, tuple[str, ast.Module]], root: str) -> list[dict]:
    """The guard's cut sites in the user's own files (the script, its project), under the user's paths."""
    found = []
    for cut in cuts:
        path = files.get(cut.filename, (cut.filename,))[0]
        inside = os.path.realpath(path).startswith(os.path.realpath(root) + os.sep) and "site-packages" not in path
        if inside:
            found.append({"file": path, "line": cut.line, "operation": cut.operation, "rule": cut.rule,
                          "function": cut.function, "instead": cut.instead})
    return found


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
