"""The general reference: the loss's derivative by finite differences (in the child; imports TensorFlow).

For the first eager ``tape.gradient(loss, sources)`` of every tape block in
the project, the block is kept as a :class:`Replay`: its body compiled on
its own, the names it saw when it was entered, the expression the script
differentiates, and the trainable variables among the sources with their
values at that call.  After the script has finished (so its own random
stream is untouched) each replay evaluates the body again, in float64
arithmetic on the results, with **common random numbers**: every evaluation
starts from the same seeds, so a Monte Carlo loss sees the same draws and is a
smooth function of the parameters.  For each variable ``v`` (direction ``d``:
1 for a scalar, a seeded random direction otherwise):

* numeric: ``(L(v + h d) - L(v - h d)) / 2h``, ``h = eps^(1/3) max(1, rms(v))``;
* tape: ``<dL/dv, d>`` from a fresh ``GradientTape`` around the same body,
  at the same seeds.

As written, the tape misses what a round-trip cut; fixed, both agree.  The
tolerance is the gradient check's (:mod:`.gradcheck`).  The replay runs the
body's code again: its side effects (printing is silenced) happen once more,
on copies of the names, after the run.  A body that cannot run on its own
(a ``return`` inside it, a name bound only later) is reported unchecked.
"""

from __future__ import annotations

import ast
import contextlib
import io
import random
from dataclasses import dataclass
from types import CodeType

import numpy as np
import tensorflow as tf

from ..guard.patches import quiet
from .gradcheck import EPS, RTOL


@dataclass
class Replay:
    code: CodeType  # the with-body alone
    namespace: dict  # what the body saw when the tape was entered (a shallow copy)
    target: str  # the expression ``tape.gradient`` differentiates, as written
    variables: list[tuple[int, tf.Variable, np.ndarray]]  # (source position, variable, value at the call)


def body_code(tree: ast.Module, filename: str, with_line: int) -> CodeType | None:
    """The body of the ``with`` statement on ``with_line``, compiled as code of its own (lines kept)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and with_line in (node.lineno, *(i.context_expr.lineno for i in node.items)):
            try:
                return compile(ast.Module(body=node.body, type_ignores=[]), filename, "exec", dont_inherit=True)
            except SyntaxError:  # ``return`` or ``yield`` in the body
                return None
    return None


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


class _Evaluation:
    def __init__(self, replay: Replay, seed: int) -> None:
        self.replay = replay
        self.seed = seed

    def loss(self, values: list[np.ndarray], tape: tf.GradientTape | None = None):
        for (_, variable, _), value in zip(self.replay.variables, values):
            variable.assign(tf.cast(value, variable.dtype))
        _seed(self.seed)
        namespace = dict(self.replay.namespace)
        with contextlib.redirect_stdout(io.StringIO()), quiet:
            with tape if tape is not None else contextlib.nullcontext():
                exec(self.replay.code, namespace)
                return eval(self.replay.target, namespace)

    def value(self, values: list[np.ndarray]) -> float:
        return float(np.sum(np.asarray(tf.convert_to_tensor(self.loss(values)), np.float64)))


def numeric_gradients(replay: Replay, seed: int) -> list[dict]:
    """For each variable source: {"source", "tape", "numeric", "tolerance", "agree", "direction"}."""
    evaluation = _Evaluation(replay, seed)
    start = [value for _, _, value in replay.variables]
    now = [variable.numpy() for _, variable, _ in replay.variables]  # put back afterwards
    rng = np.random.default_rng(seed)
    try:
        tape = tf.GradientTape()
        target = evaluation.loss(start, tape)
        gradients = tape.gradient(target, [variable for _, variable, _ in replay.variables])
        results = []
        for i, ((position, variable, value), gradient) in enumerate(zip(replay.variables, gradients)):
            direction = np.ones_like(value, np.float64) if value.size == 1 else rng.standard_normal(value.shape)
            eps = EPS.get(variable.dtype.name, EPS["float64"])
            h = eps ** (1 / 3) * max(1.0, float(np.sqrt(np.mean(np.square(value, dtype=np.float64)))))
            moved = lambda sign: [v + sign * h * direction if j == i else v for j, v in enumerate(start)]  # noqa: E731
            high, low = evaluation.value(moved(1)), evaluation.value(moved(-1))
            numeric = (high - low) / (2 * h)
            taped = None if gradient is None else float(np.sum(np.asarray(tf.convert_to_tensor(gradient), np.float64) * direction))
            tolerance = RTOL.get(variable.dtype.name, RTOL["float64"]) * max(abs(numeric), abs(taped or 0.0)) \
                + eps * max(abs(high), abs(low), 1.0) / h
            results.append({
                "source": position, "tape": taped, "numeric": numeric, "tolerance": tolerance,
                "agree": abs((taped or 0.0) - numeric) <= tolerance, "direction": "unit" if value.size == 1 else "random",
            })
        return results
    except Exception as error:  # the body does not run on its own: say so, judge nothing
        return [{"source": position, "unchecked": f"{type(error).__name__}: {error}"[:200]} for position, _, _ in replay.variables]
    finally:
        for (_, variable, _), value in zip(replay.variables, now):
            variable.assign(value)
