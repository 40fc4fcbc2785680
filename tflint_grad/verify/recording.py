"""What the child records while the script runs (imports TensorFlow).

* :class:`Recorder` is the ``__tflint_record__(key)`` decorator the
  instrumented script applies to its flagged functions: it keeps the first
  ``CALLS`` eager calls (arguments, and the trainable variables the call read
  with their values at that moment), enough for a few gradient checks while
  the run stays as fast as the script.  Calls made while a ``tf.function`` is
  traced carry symbolic tensors and are not recorded.
* :class:`TapeLog` wraps ``tf.GradientTape.__enter__`` and ``gradient``: for
  every ``tape.gradient`` call site in the script it keeps the number of
  calls, how often each source's gradient was None (known even while a
  ``tf.function`` is traced), and the sources' values and gradients at the
  first eager call; tapes entered in the script remember the
  line of their ``with``, which links a call to a flagged tape block.  The
  wrappers call the originals and only look at what they return.  Code that
  autograph rewrote runs from autograph's own file and is not attributed to
  the script: a tape block inside an autograph ``tf.function`` is "not run".
"""

from __future__ import annotations

import ast
import functools
import sys
from collections import Counter, defaultdict

import numpy as np
import tensorflow as tf

from .gradcheck import Recorded
from .instrument import gradient_labels

CALLS = 3
WITH_LINE = "_tflint_with_line"  # set on a tape entered in the script: the line of its ``with``


def summary(value) -> dict:
    """A tensor as one number: its value if it has one element, else its L2 norm."""
    array = np.asarray(tf.convert_to_tensor(value), dtype=np.float64)
    return {"value": float(array.ravel()[0])} if array.size == 1 else {"norm": float(np.linalg.norm(array))}


def _snapshot(structure):
    """The arguments as they were at the call: variables read, arrays copied."""
    def frozen(value):
        if isinstance(value, tf.Variable):
            return tf.convert_to_tensor(value)
        return value.copy() if isinstance(value, np.ndarray) else value

    return tf.nest.map_structure(frozen, structure)


class Recorder:
    """``__tflint_record__(key)``: the decorator the instrumented script applies."""

    def __init__(self) -> None:
        self.calls: dict[str, list] = defaultdict(list)
        self.counts: Counter = Counter()
        self.active = True

    def __call__(self, key: str):
        def wrap(function):
            @functools.wraps(function)
            def recorded(*args, **kwargs):
                if not (self.active and tf.executing_eagerly()):
                    return function(*args, **kwargs)
                self.counts[key] += 1
                if len(self.calls[key]) >= CALLS:
                    return function(*args, **kwargs)
                with tf.GradientTape() as probe:  # only to learn which variables the call reads
                    result = function(*args, **kwargs)
                variables = [(v, v.numpy()) for v in probe.watched_variables() if v.trainable]
                self.calls[key].append(Recorded(function, _snapshot(args), _snapshot(kwargs), variables))
                return result

            return recorded

        return wrap


class TapeLog:
    """What each ``tape.gradient`` call site of the script returned."""

    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.sites: dict[int, dict] = {}
        self.active = True

    def install(self) -> None:
        enter, gradient = tf.GradientTape.__enter__, tf.GradientTape.gradient
        log = self

        def logged_enter(tape):
            caller = sys._getframe(1)
            if caller.f_code.co_filename == log.path:
                setattr(tape, WITH_LINE, caller.f_lineno)
            return enter(tape)

        def logged_gradient(tape, target, sources, *args, **kwargs):
            result = gradient(tape, target, sources, *args, **kwargs)
            caller = sys._getframe(1)
            if log.active and caller.f_code.co_filename == log.path:
                log.record(caller.f_lineno, getattr(tape, WITH_LINE, None), sources, result)
            return result

        tf.GradientTape.__enter__ = logged_enter
        tf.GradientTape.gradient = logged_gradient

    def record(self, line: int, with_line: int | None, sources, result) -> None:
        flat_sources, flat_gradients = tf.nest.flatten(sources), tf.nest.flatten(result)
        site = self.sites.get(line)
        if site is None:
            target, labels = gradient_labels(self.tree, line)
            if len(labels) != len(flat_sources):
                base = labels[0] if len(labels) == 1 else "sources"
                labels = [f"{base}[{i}]" for i in range(len(flat_sources))]
            site = self.sites[line] = {
                "line": line, "with_line": with_line, "target": target, "sources": labels,
                "calls": 0, "none": [0] * len(labels), "first": None,
            }
        site["calls"] += 1
        for i, gradient in enumerate(flat_gradients[: len(site["none"])]):
            site["none"][i] += gradient is None
        if site["first"] is None and tf.executing_eagerly():  # values exist only outside tf.function tracing
            site["first"] = [
                {"at": summary(s), "gradient": None if g is None else summary(g)}
                for s, g in zip(flat_sources, flat_gradients)
            ]
