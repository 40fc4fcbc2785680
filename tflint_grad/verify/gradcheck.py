"""The gradient check of one flagged function at one recorded call (in the child).

The function is a map from its floating-point inputs (the floating arguments
it received, plus the trainable variables the call read) to its floating
outputs.  Comparing full Jacobians would cost one evaluation per input
element (the seed's ``logpdist`` gets 10000 samples), so both sides are
reduced to one number with a random direction ``v`` (over the inputs) and
random weights ``w`` (over the outputs), the classic directional check:

* tape:    <grad_x <w, f(x)>, v>, from ``tf.GradientTape`` with the inputs
  watched as tensors;
* numeric: (<w, f(x + h v)> - <w, f(x - h v)>) / 2h, from two plain forward
  evaluations (each input keeps the type and dtype it was recorded with), the
  arithmetic in float64.

A cut (``None`` from the tape, or an exactly zero directional derivative
where the numeric one is not) or a wrong gradient shows up for almost every
direction.  The step is ``h = eps^(1/3) * max(1, rms(x))`` for the least
precise dtype involved; the tolerance is ``RTOL[dtype] * max(|tape|,
|numeric|)`` plus the rounding error of the difference quotient,
``eps * sum|w f(x)| / h``.  Every evaluation starts from the same global
seeds, so a function that samples internally sees the same draws each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import tensorflow as tf

# Relative tolerance of the comparison, by the least precise dtype involved.
RTOL = {"float64": 1e-6, "float32": 1e-2, "float16": 1e-1, "bfloat16": 1e-1}
EPS = {"float64": 2.2e-16, "float32": 1.2e-7, "float16": 9.8e-4, "bfloat16": 7.8e-3}


@dataclass
class Recorded:
    """One eager call of a flagged function, as it happened."""

    function: Callable
    args: tuple
    kwargs: dict
    variables: list[tuple[tf.Variable, np.ndarray]]  # trainable variables it read, and their values then


def floating(value: Any) -> bool:
    if isinstance(value, tf.Tensor):
        return value.dtype.is_floating
    return isinstance(value, (np.ndarray, np.floating)) and np.issubdtype(value.dtype, np.floating)


def _dtype(value: Any) -> str:
    return value.dtype.name if hasattr(value, "dtype") else "float64"  # Python floats are doubles


def _like(original: Any, value: np.ndarray) -> Any:
    """``value`` with the type and dtype ``original`` was recorded with."""
    if isinstance(original, tf.Tensor):
        return tf.constant(value, dtype=original.dtype)
    if isinstance(original, np.ndarray):
        return value.astype(original.dtype)
    return original.dtype.type(value)


def _watched(tape: tf.GradientTape, original: Any, value: np.ndarray) -> tf.Tensor:
    """The input as a tensor of its recorded dtype, watched by ``tape``."""
    tensor = tf.constant(value, dtype=original.dtype)
    tape.watch(tensor)
    return tensor


class Check:
    def __init__(self, call: Recorded, seed: int) -> None:
        self.call = call
        self.seed = seed
        self.flat = tf.nest.flatten((call.args, call.kwargs))
        self.positions = [i for i, value in enumerate(self.flat) if floating(value)]
        self.x = [np.asarray(self.flat[i], dtype=np.float64) for i in self.positions]
        self.x += [value.astype(np.float64) for _, value in call.variables]
        self.rng = np.random.default_rng(seed)

    def _call(self, x: list[np.ndarray], convert: Callable[[Any, np.ndarray], Any]) -> tuple[list, list]:
        """Call the function with the inputs set to ``x``: (the inputs passed, the floating outputs)."""
        flat = list(self.flat)
        for i, value in zip(self.positions, x):
            flat[i] = convert(self.flat[i], value)
        for (variable, _), value in zip(self.call.variables, x[len(self.positions):]):
            variable.assign(tf.cast(value, variable.dtype))
        args, kwargs = tf.nest.pack_sequence_as((self.call.args, self.call.kwargs), flat)
        tf.random.set_seed(self.seed)
        np.random.seed(self.seed)
        out = self.call.function(*args, **kwargs)
        return [flat[i] for i in self.positions], [o for o in tf.nest.flatten(out) if floating(o) or isinstance(o, float)]

    def run(self) -> dict:
        if not self.x:
            return {"verdict": "unchecked", "note": "no floating-point inputs"}
        finals = [variable.numpy() for variable, _ in self.call.variables]
        try:
            return self._compare()
        except Exception as error:  # the user's function refused the input: say so, judge nothing
            return {"verdict": "unchecked", "note": f"{type(error).__name__}: {error}"[:200]}
        finally:
            for (variable, _), value in zip(self.call.variables, finals):
                variable.assign(value)

    def _compare(self) -> dict:
        with tf.GradientTape() as tape:
            inputs, outputs = self._call(self.x, lambda original, value: _watched(tape, original, value))
            if not outputs:
                return {"verdict": "unchecked", "note": "no floating-point output"}
            weights = [self.rng.standard_normal(np.shape(o)) for o in outputs]
            total = tf.add_n([
                tf.reduce_sum(tf.constant(w) * tf.cast(tf.convert_to_tensor(o), tf.float64))
                for w, o in zip(weights, outputs)
            ])
        watched = inputs + [variable for variable, _ in self.call.variables]
        gradients = tape.gradient(total, watched)
        directions = [self.rng.standard_normal(x.shape) for x in self.x]
        found = [(g, v) for g, v in zip(gradients, directions) if g is not None]
        tape_value = float(sum(np.sum(np.asarray(tf.convert_to_tensor(g), np.float64) * v) for g, v in found)) if found else None

        dtype = max((_dtype(v) for v in watched + outputs), key=lambda d: EPS.get(d, 0.0))
        eps = EPS.get(dtype, EPS["float64"])
        h = eps ** (1 / 3) * max(1.0, float(np.sqrt(np.mean(np.concatenate([x.ravel() for x in self.x]) ** 2))))
        plus = self._weighted([x + h * v for x, v in zip(self.x, directions)], weights)
        minus = self._weighted([x - h * v for x, v in zip(self.x, directions)], weights)
        numeric = (plus - minus) / (2 * h)
        magnitude = sum(float(np.sum(np.abs(w * np.asarray(o, np.float64)))) for w, o in zip(weights, outputs))
        tolerance = RTOL.get(dtype, RTOL["float64"]) * max(abs(numeric), abs(tape_value or 0.0)) + eps * magnitude / h
        result = {"tape": tape_value, "numeric": numeric, "tolerance": tolerance, "dtype": dtype}
        if not np.isfinite([numeric, tape_value or 0.0]).all():
            return {**result, "verdict": "unchecked", "note": "non-finite value"}
        if not tape_value:  # None, or exactly zero: the tape saw no dependence
            verdict = "cut" if abs(numeric) > tolerance else "ok"
        else:
            verdict = "wrong" if abs(tape_value - numeric) > tolerance else "ok"
        return {**result, "verdict": verdict}

    def _weighted(self, x: list[np.ndarray], weights: list[np.ndarray]) -> float:
        _, outputs = self._call(x, _like)
        return sum(float(np.sum(w * np.asarray(o, np.float64))) for w, o in zip(weights, outputs))


def check(call: Recorded, seed: int) -> dict:
    return Check(call, seed).run()
