"""What the child records while the script runs (imports TensorFlow).

* :class:`Recorder` is the ``__tflint_record__(key)`` decorator the
  instrumented code applies to its flagged functions: it keeps the first
  ``CALLS`` eager calls (arguments, and the trainable variables the call read
  with their values at that moment), enough for a few gradient checks while
  the run stays as fast as the script.  Calls made while a ``tf.function`` is
  traced carry symbolic tensors and are not recorded.
* :class:`TapeLog` wraps ``tf.GradientTape.__enter__`` and ``gradient``: for
  every ``tape.gradient`` call site in the project's executed files it keeps
  the number of calls, how often each source's gradient was None (known even
  while a ``tf.function`` is traced), the sources' values and gradients at the
  first eager call, the loss and the sources at every eager call (``trace``,
  for the plot), and a :class:`~.reference.Replay` of the first eager call for
  the finite-difference reference.  Tapes entered in those files remember the
  line of their ``with``, which links a call to a flagged tape block.  The
  wrappers call the originals and only look at what they return.
* :class:`ProgressFile` writes the counts to a file the parent polls.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
import time
from collections import Counter, defaultdict
from contextlib import nullcontext

import numpy as np
import tensorflow as tf
from tensorflow.python.eager import record as tape_record

from ..guard.patches import quiet
from .gradcheck import Recorded
from .instrument import gradient_labels
from .reference import Replay, body_code

CALLS = 3
TRACE_POINTS = 2000  # eager calls per site kept for the plot
WITH = "_tflint_with"  # set on a tape entered in the project: (file, line of its ``with``, names it saw)
PROGRESS_EVERY = 0.5  # seconds


def summary(value) -> dict:
    """A tensor as one number: its value if it has one element, else its L2 norm."""
    array = np.asarray(tf.convert_to_tensor(value), dtype=np.float64)
    return {"value": float(array.ravel()[0])} if array.size == 1 else {"norm": float(np.linalg.norm(array))}


def _scalar(value) -> float:
    entry = summary(value)
    return entry.get("value", entry.get("norm"))


def _snapshot(structure):
    """The arguments as they were at the call: variables read, arrays copied."""
    def frozen(value):
        if isinstance(value, tf.Variable):
            return tf.convert_to_tensor(value)
        return value.copy() if isinstance(value, np.ndarray) else value

    return tf.nest.map_structure(frozen, structure)


class ProgressFile:
    """Counts of what ran so far, written to ``path`` at most every ``PROGRESS_EVERY`` seconds."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.counts: Counter = Counter()
        self.written = 0.0

    def tick(self, what: str) -> None:
        self.counts[what] += 1
        now = time.monotonic()
        if self.path and now - self.written >= PROGRESS_EVERY:
            self.written = now
            with open(self.path + ".tmp", "w", encoding="utf-8") as handle:
                json.dump(self.counts, handle)
            os.replace(self.path + ".tmp", self.path)


class Recorder:
    """``__tflint_record__(key)``: the decorator the instrumented code applies."""

    def __init__(self, progress: ProgressFile) -> None:
        self.calls: dict[str, list] = defaultdict(list)
        self.counts: Counter = Counter()
        self.active = True
        self.progress = progress

    def __call__(self, key: str):
        def wrap(function):
            @functools.wraps(function)
            def recorded(*args, **kwargs):
                if not (self.active and tf.executing_eagerly()):
                    return function(*args, **kwargs)
                self.counts[key] += 1
                self.progress.tick("calls")
                if len(self.calls[key]) >= CALLS:
                    return function(*args, **kwargs)
                # The probe tape only learns which variables the call reads; outside the script's own
                # tapes the guard must not take the probe's recording for the script's.
                with tf.GradientTape() as probe, (nullcontext() if tape_record.could_possibly_record() else quiet):
                    result = function(*args, **kwargs)
                variables = [(v, v.numpy()) for v in probe.watched_variables() if v.trainable]
                self.calls[key].append(Recorded(function, _snapshot(args), _snapshot(kwargs), variables))
                return result

            return recorded

        return wrap


class TapeLog:
    """What each ``tape.gradient`` call site of the executed files returned."""

    def __init__(self, files: dict[str, tuple[str, ast.Module]], progress: ProgressFile) -> None:
        self.files = files  # the filename code runs under -> (the user's path, its tree)
        self.sites: dict[tuple[str, int], dict] = {}
        self.replays: dict[tuple[str, int], Replay] = {}  # by the gradient call's (file, line)
        self.replayed: set[tuple[str, int]] = set()  # the (filename, with line) of the tapes replayed
        self.active = True
        self.progress = progress

    def install(self) -> None:
        enter, gradient = tf.GradientTape.__enter__, tf.GradientTape.gradient
        log = self

        def logged_enter(tape):
            caller = sys._getframe(1)
            if caller.f_code.co_filename in log.files:
                # the names the body sees, for the replay (until it has one: a copy of the globals costs)
                wanted = tf.executing_eagerly() and (caller.f_code.co_filename, caller.f_lineno) not in log.replayed
                names = {**caller.f_globals, **caller.f_locals} if wanted else None
                setattr(tape, WITH, (caller.f_code.co_filename, caller.f_lineno, names))
            return enter(tape)

        def logged_gradient(tape, target, sources, *args, **kwargs):
            result = gradient(tape, target, sources, *args, **kwargs)
            caller = sys._getframe(1)
            if log.active and caller.f_code.co_filename in log.files:
                log.record(caller.f_code.co_filename, caller.f_lineno, getattr(tape, WITH, None), target, sources, result)
            return result

        tf.GradientTape.__enter__ = logged_enter
        tf.GradientTape.gradient = logged_gradient

    def record(self, filename: str, line: int, entered, target, sources, result) -> None:
        self.progress.tick("gradients")
        path, tree = self.files[filename]
        flat_sources, flat_gradients = tf.nest.flatten(sources), tf.nest.flatten(result)
        site = self.sites.get((path, line))
        if site is None:
            written, labels = gradient_labels(tree, line)
            if len(labels) != len(flat_sources):
                base = labels[0] if len(labels) == 1 else "sources"
                labels = [f"{base}[{i}]" for i in range(len(flat_sources))]
            site = self.sites[(path, line)] = {
                "file": path, "line": line, "with_line": entered[1] if entered else None, "target": written,
                "sources": labels, "calls": 0, "none": [0] * len(labels), "first": None,
                "trace": {"loss": [], "sources": [[] for _ in labels]},
            }
        site["calls"] += 1
        for i, gradient in enumerate(flat_gradients[: len(site["none"])]):
            site["none"][i] += gradient is None
        if not tf.executing_eagerly():  # values exist only outside tf.function tracing
            return
        if site["first"] is None:
            site["first"] = [
                {"at": summary(s), "gradient": None if g is None else summary(g)}
                for s, g in zip(flat_sources, flat_gradients)
            ]
            self._keep_replay(filename, tree, path, line, site["target"], entered, flat_sources)
        self._trace(site, target, flat_sources)

    def _keep_replay(self, filename, tree, path, line, target, entered, sources) -> None:
        if entered is None or entered[2] is None:
            return
        code = body_code(tree, filename, entered[1])
        variables = [(i, s, s.numpy()) for i, s in enumerate(sources) if isinstance(s, tf.Variable) and s.trainable]
        if code is not None and variables:
            self.replays[(path, line)] = Replay(code, entered[2], target, variables)
            self.replayed.add((filename, entered[1]))

    @staticmethod
    def _trace(site: dict, loss, sources) -> None:
        trace = site["trace"]
        if len(trace["loss"]) >= TRACE_POINTS:
            return
        try:
            trace["loss"].append(None if loss is None else _scalar(loss))
        except (TypeError, ValueError):
            trace["loss"].append(None)
        for series, source in zip(trace["sources"], sources):
            series.append(_scalar(source))
