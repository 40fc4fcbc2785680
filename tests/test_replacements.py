"""Every entry of the replacement table, checked against real TensorFlow.

The autofix rewrites numpy/math/scipy calls into TensorFlow ops on the word of
``tflint_grad.fixes.replacements`` alone, so a wrong entry would silently
change the numbers in a user's model: the very bug the linter exists to catch.
Nothing in the table is taken from documentation.  For every entry:

* the host function (on numpy arrays) and the TF target (on tensors, keywords
  renamed as the entry says) agree in value, dtype and shape for float32 and
  float64 inputs inside the function's domain, with broadcasting and
  ``axis``/``keepdims`` variants where the entry accepts them;
* the TF gradient of ``reduce_sum(target(...))`` exists and equals a central
  finite difference of the host function (float64);
* a safe entry gives identical results on int32/int64 tensors or raises
  (``INTEGERS_PASS`` documents which), likewise on float16, bfloat16 and
  complex64 tensors and when an operand is a float64 NumPy value, and agrees
  on nan, +-inf, +-0 and overflow;
* an unsafe entry keeps a counterexample (``WITNESSES``) that proves its note.

Two hypothesis properties repeat the comparison over random shapes.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from tflint_grad.fixes.replacements import HALF, REPLACEMENTS, Replacement

tf.config.set_visible_devices([], "GPU")

BFLOAT16 = tf.bfloat16.as_numpy_dtype
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12, np.dtype(np.complex64): 1e-5,
        np.dtype(np.float16): 4 * 2.0**-10, np.dtype(BFLOAT16): 4 * 2.0**-7}  # half: 4 ulps
LOUD = (TypeError, ValueError, AttributeError, tf.errors.OpError)  # TF refusing an input
STEP = 1e-6  # finite-difference step, relative to max(1, |x|)


@dataclass(frozen=True)
class Arr:
    """A random array drawn uniformly from [lo, hi); ``eye`` is added to the diagonal."""

    shape: tuple[int, ...] = (3, 4)
    lo: float = -2.0
    hi: float = 2.0
    eye: float = 0.0


@dataclass(frozen=True)
class Mask:
    """A random boolean array (the condition of ``where``)."""

    shape: tuple[int, ...] = (3, 4)


@dataclass(frozen=True)
class Call:
    """Arguments in host spelling; anything that is not Arr/Mask is passed as is."""

    args: tuple
    kwargs: dict[str, Any] = field(default_factory=dict)


def elementwise(lo, hi, shapes=((3, 4), ())):
    return tuple(Call((Arr(s, lo, hi),)) for s in shapes)


def broadcasting(first, second):
    shapes = (((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4)))
    return tuple(Call((Arr(a, *first), Arr(b, *second))) for a, b in shapes)


def with_literal(first, second):
    """Also a Python float as second operand (numpy keeps the array's dtype)."""
    literal = second[0] + 0.75 * (second[1] - second[0])
    return broadcasting(first, second) + (Call((Arr((3, 4), *first), literal)),)


def reduction(lo=-2.0, hi=2.0):
    return (
        Call((Arr((3, 4), lo, hi),)),
        Call((Arr((3, 4), lo, hi), 1)),
        Call((Arr((3, 4), lo, hi),), {"axis": 0, "keepdims": True}),
        Call((Arr((2, 3, 4), lo, hi),), {"axis": (0, 2)}),
    )


def scan(lo=-2.0, hi=2.0):
    return (
        Call((Arr((3, 4), lo, hi),)),
        Call((Arr((3, 4), lo, hi), 1)),
        Call((Arr((3, 4), lo, hi),), {"axis": 0}),
    )


ANGLE, UNIT, POSITIVE = (-3.0, 3.0), (-0.9, 0.9), (0.1, 5.0)
ELEMENTWISE = {  # source -> domain of its single argument
    **{f"numpy.{n}": (-2.0, 2.0) for n in ("exp", "exp2", "expm1", "square", "abs", "absolute",
                                            "negative", "sign", "sinh", "cosh", "tanh")},
    **{f"numpy.{n}": POSITIVE for n in ("log", "log2", "log10", "sqrt")},
    **{f"numpy.{n}": ANGLE for n in ("sin", "cos", "arctan", "atan", "arcsinh", "asinh")},
    **{f"numpy.{n}": UNIT for n in ("arcsin", "asin", "arccos", "acos", "arctanh", "atanh")},
    "numpy.log1p": (-0.9, 3.0), "numpy.reciprocal": (0.2, 3.0), "numpy.tan": (-1.2, 1.2),
    "numpy.arccosh": (1.1, 4.0), "numpy.acosh": (1.1, 4.0),
    **{f"scipy.special.{n}": (-2.0, 2.0) for n in ("erf", "erfc", "expm1")},
    **{f"scipy.special.{n}": (-4.0, 4.0) for n in ("expit", "log_expit", "softplus")},
    **{f"scipy.special.{n}": ANGLE for n in ("i0", "i0e", "i1", "i1e")},
    **{f"scipy.special.{n}": POSITIVE for n in ("gammaln", "digamma", "psi")},
    "scipy.special.log1p": (-0.9, 3.0), "scipy.special.erfinv": UNIT,
    "scipy.special.erfcinv": (0.1, 1.9), "scipy.special.ndtri": (0.05, 0.95),
}
MATH = {  # math.* takes 0-d tensors only
    **{f"math.{n}": (-2.0, 2.0) for n in ("exp", "exp2", "expm1", "sinh", "cosh", "tanh", "erf", "erfc")},
    **{f"math.{n}": POSITIVE for n in ("log", "log2", "log10", "sqrt", "lgamma")},
    **{f"math.{n}": ANGLE for n in ("sin", "cos", "atan", "asinh")},
    **{f"math.{n}": UNIT for n in ("asin", "acos", "atanh")},
    "math.log1p": (-0.9, 3.0), "math.tan": (-1.2, 1.2), "math.acosh": (1.1, 4.0), "math.fabs": (-2.0, 2.0),
}
NUMPY_BINARY = {  # source -> domains of its two arguments
    **{f"numpy.{n}": ((-2.0, 2.0), (-2.0, 2.0)) for n in ("add", "subtract", "multiply", "maximum", "minimum",
                                                          "arctan2", "atan2")},
    **{f"numpy.{n}": ((-2.0, 2.0), (0.5, 2.0)) for n in ("divide", "true_divide")},
    **{f"numpy.{n}": ((0.5, 2.0), (-2.0, 2.0)) for n in ("power", "pow")},
    "numpy.logaddexp": ((-3.0, 3.0), (-3.0, 3.0)),
}
SCIPY_BINARY = {  # scipy turns float32 with a Python float into float64: witnessed below
    "scipy.special.xlogy": ((0.1, 2.0), (0.1, 3.0)),
    "scipy.special.xlog1py": ((0.1, 2.0), (-0.5, 2.0)),
    "scipy.special.gammainc": ((0.5, 3.0), (0.1, 4.0)),
    "scipy.special.gammaincc": ((0.5, 3.0), (0.1, 4.0)),
}
MATRIX = Arr((3, 3), -1.0, 1.0, eye=3.0)
CASES: dict[str, tuple[Call, ...]] = {
    **{s: elementwise(*d) for s, d in ELEMENTWISE.items()},
    **{s: elementwise(*d, shapes=((),)) for s, d in MATH.items()},
    **{s: with_literal(*d) for s, d in NUMPY_BINARY.items()},
    **{s: broadcasting(*d) for s, d in SCIPY_BINARY.items()},
    **{f"numpy.{n}": reduction() for n in ("sum", "mean", "max", "amax", "min", "amin", "std", "var")},
    "numpy.prod": reduction(0.5, 1.5),
    "scipy.special.logsumexp": reduction(),
    "numpy.cumsum": scan(),
    "numpy.cumprod": scan(0.5, 1.5),
    "numpy.sort": scan(),
    "scipy.special.softmax": scan()[1:],
    "scipy.special.log_softmax": scan()[1:],
    **{f"numpy.{n}": (
        Call(([Arr((2, 3)), Arr((2, 3))],)),
        Call(([Arr((2, 3)), Arr((2, 2))], 1)),
        Call(([Arr((2, 3)), Arr((1, 3)), Arr((3, 3))],), {"axis": 0}),
    ) for n in ("concatenate", "concat")},
    "numpy.stack": (
        Call(([Arr((3,)), Arr((3,))],)),
        Call(([Arr((3,)), Arr((3,))], 1)),
        Call(([Arr((2, 3)), Arr((2, 3))],), {"axis": -1}),
    ),
    "numpy.transpose": (
        Call((Arr((2, 3, 4)),)), Call((Arr((2, 3, 4)), (1, 0, 2))), Call((Arr((2, 3, 4)),), {"axes": (2, 0, 1)}),
    ),
    "numpy.reshape": (
        Call((Arr((3, 4)), (4, 3))), Call((Arr((3, 4)), -1)), Call((Arr((3, 4)),), {"shape": (2, -1)}),
    ),
    "numpy.squeeze": (Call((Arr((1, 3, 1)),)), Call((Arr((1, 3, 1)), 0)), Call((Arr((1, 3, 1)),), {"axis": 2})),
    "numpy.expand_dims": (Call((Arr((3, 4)), 0)), Call((Arr((3, 4)),), {"axis": -1})),
    "numpy.tile": (Call((Arr((2, 3)), (2, 1))), Call((Arr((2, 3)),), {"reps": (1, 3)})),
    "numpy.where": (
        Call((Mask(), Arr(), Arr())),
        Call((Mask((3, 1)), Arr((4,)), Arr(()))),
        Call((Mask(), Arr(), 0.5)),
    ),
    "numpy.clip": (
        Call((Arr(), -0.5, 0.5)),
        Call((Arr(), Arr((3, 1), -1.0, -0.5), Arr((4,), 0.5, 1.0))),
        Call((Arr(),), {"a_min": -0.5, "a_max": 0.5}),
        Call((Arr(),), {"min": Arr((), -1.0, 0.0), "max": 1.0}),
    ),
    "numpy.matmul": (Call((Arr((3, 4)), Arr((4, 2)))), Call((Arr((2, 3, 4)), Arr((1, 4, 2))))),
    "numpy.einsum": (Call(("ij,jk->ik", Arr((3, 4)), Arr((4, 2)))), Call(("ij->j", Arr((3, 4))))),
    "numpy.linalg.solve": (Call((MATRIX, Arr((3, 2)))), Call((Arr((2, 3, 3), -1.0, 1.0, 3.0), Arr((2, 3, 1))))),
    "numpy.linalg.inv": (Call((MATRIX,)), Call((Arr((2, 3, 3), -1.0, 1.0, 3.0),))),
    "numpy.linalg.det": (Call((MATRIX,)), Call((Arr((2, 3, 3), -1.0, 1.0, 3.0),))),
    "numpy.linalg.norm": (
        Call((Arr(),)), Call((Arr(),), {"axis": 1, "keepdims": True}), Call((Arr(),), {"axis": (0, 1)}),
    ),
    "numpy.trace": (Call((Arr((3, 3)),)),),
    "math.atan2": (Call((Arr((), -2.0, 2.0), Arr((), -2.0, 2.0))),),
    "math.pow": (Call((Arr((), 0.5, 2.0), Arr((), -2.0, 2.0))), Call((Arr((), 0.5, 2.0), 3))),
}

# Safe entries whose TF target accepts integer tensors (and must then match
# numpy exactly); on every other safe entry the TF target must raise.
INTEGERS_PASS = {
    f"numpy.{n}" for n in ("square", "abs", "absolute", "negative", "sign", "max", "amax", "min", "amin",
                           "cumsum", "cumprod", "concatenate", "concat", "transpose", "reshape",
                           "squeeze", "expand_dims", "tile")
}

# One input per unsafe entry on which host and TF disagree without TF raising.
F64 = np.full(3, 0.5)  # a float64 NumPy operand next to a float32 tensor
MIXED_BINARY = Call((Arr((3,), 0.5, 2.0), F64))
WITNESSES: dict[str, tuple[type, Call]] = {
    **{s: (np.float32, MIXED_BINARY) for s in NUMPY_BINARY if not REPLACEMENTS[s].safe},
    **{s: (np.float32, Call((Arr((3,), 0.5, 2.0), 1.5))) for s in SCIPY_BINARY},
    "numpy.where": (np.float32, Call((Mask((3,)), 1.0, 0.0))),
    "numpy.clip": (np.float32, Call((Arr((3,), -2.0, 2.0), 1.0, 0.0))),
    "numpy.sum": (np.int32, Call((Arr((3,), 1.0, 3.0),))),
    "numpy.prod": (np.int32, Call((Arr((3,), 1.0, 3.0),))),
    "numpy.mean": (np.int32, Call((Arr((4,), 0.0, 5.0),))),
    "numpy.stack": (np.float32, Call(([Arr((3,)), F64],))),
    "numpy.matmul": (np.float32, Call((Arr((3, 3)), np.eye(3)))),
    "numpy.einsum": (np.float32, Call(("i,i->i", Arr((3,)), F64))),
    "numpy.linalg.solve": (np.float32, Call((MATRIX, np.ones((3, 1))))),
    "numpy.trace": (np.float32, Call((Arr((2, 3, 3)),))),
    "numpy.linalg.norm": (np.complex64, Call((Arr((3,)),))),
    "scipy.special.logsumexp": (BFLOAT16, Call((Arr((3,)),))),
    **{s: (np.float16, Call((Arr((3,)),))) for s in ELEMENTWISE if REPLACEMENTS[s].note == HALF},
    "math.fabs": (np.int32, Call((Arr((), -3.0, -1.0),))),
    "math.pow": (np.int32, Call((Arr((), 2.0, 3.0), 2))),
    "numpy.sort": (np.float32, Call((np.array([np.nan, 2.0, np.inf, -np.inf, 0.0]),))),
    "math.erf": (np.float64, Call((np.float64(np.inf),))),
    "scipy.special.erf": (np.float64, Call((np.array([np.inf, -np.inf]),))),
    "scipy.special.gammaln": (np.float64, Call((np.array([-np.inf]),))),
    "scipy.special.digamma": (np.float64, Call((np.array([0.0, -0.0]),))),
    "scipy.special.psi": (np.float64, Call((np.array([0.0, -0.0]),))),
    "scipy.special.softmax": (np.float32, Call((Arr((3, 4)),))),
    "scipy.special.log_softmax": (np.float32, Call((Arr((3, 4)),))),
}

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -30.0, 1e30])


def resolve(qualified: str):
    """``"tensorflow.math.log"`` -> the callable, importing submodules as needed."""
    parts = qualified.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i]))
    return obj


def draw(spec, dtype, rng):
    """Host values for a spec tree: Arr/Mask become numpy arrays, the rest stays."""
    if isinstance(spec, Arr):
        if np.issubdtype(dtype, np.integer):
            x = rng.randint(math.floor(spec.lo), math.ceil(spec.hi) + 1, size=spec.shape)
        else:
            x = rng.uniform(spec.lo, spec.hi, spec.shape)
        if np.issubdtype(dtype, np.complexfloating):
            x = x + 1j * rng.uniform(spec.lo, spec.hi, spec.shape)
        if spec.eye:
            x = x + spec.eye * np.eye(spec.shape[-1])
        return np.asarray(x, dtype=dtype)
    if isinstance(spec, Mask):
        return rng.random(spec.shape) < 0.5
    if isinstance(spec, dict):
        return {k: draw(v, dtype, rng) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return type(spec)(draw(s, dtype, rng) for s in spec)
    return spec


def leafmap(spec, value, fn):
    """Apply ``fn(spec, value)`` to the values drawn for Arr/Mask; keep the rest."""
    if isinstance(spec, (Arr, Mask)):
        return fn(spec, value)
    if isinstance(spec, dict):
        return {k: leafmap(spec[k], value[k], fn) for k in spec}
    if isinstance(spec, (list, tuple)):
        return type(spec)(leafmap(s, v, fn) for s, v in zip(spec, value))
    return value


def arrays_in(spec) -> list[Arr]:
    if isinstance(spec, Arr):
        return [spec]
    if isinstance(spec, dict):
        spec = list(spec.values())
    if isinstance(spec, (list, tuple)):
        return [a for s in spec for a in arrays_in(s)]
    return []


def host_call(entry: Replacement, args, kwargs):
    with np.errstate(all="ignore"):
        return resolve(entry.source)(*args, **kwargs)


def tf_call(entry: Replacement, args, kwargs):
    return resolve(entry.target)(*args, **{entry.keywords[k]: v for k, v in kwargs.items()})


def assert_same(got: tf.Tensor, expected, dtype, rtol: float) -> None:
    """Same shape, dtype and values.  A Python float (what math.* returns) is
    weakly typed: it takes the dtype of the float tensor it meets."""
    got = got.numpy()
    if type(expected) is float:
        want = np.dtype(np.float64) if np.issubdtype(dtype, np.integer) else np.dtype(dtype)
    else:
        want = np.asarray(expected).dtype
    assert got.dtype == want, f"dtype {got.dtype} != {want}"
    assert got.shape == np.shape(expected), f"shape {got.shape} != {np.shape(expected)}"
    tiny = np.finfo(want).tiny if np.issubdtype(want, np.floating) else 0  # TF flushes subnormals
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=max(rtol, tiny), equal_nan=True)


def as_tensors(spec, host):
    return leafmap(spec, host, lambda s, v: tf.constant(v))


def compare(entry: Replacement, spec, host, dtype, rtol=None) -> None:
    """Run host on ``host`` and TF on the same values as tensors."""
    targs, tkw = as_tensors(spec, host)
    assert_same(tf_call(entry, targs, tkw), host_call(entry, *host), dtype,
                RTOL[np.dtype(dtype)] if rtol is None else rtol)


def drawn(call: Call, dtype, seed=0):
    spec = (call.args, call.kwargs)
    return spec, draw(spec, dtype, np.random.RandomState(seed))


def cases(predicate=lambda entry, call: True):
    return [
        pytest.param(REPLACEMENTS[s], call, id=f"{s}-{i}")
        for s, calls in CASES.items() if s in REPLACEMENTS
        for i, call in enumerate(calls) if predicate(REPLACEMENTS[s], call)
    ]


def test_every_entry_is_tested():
    assert set(CASES) == set(REPLACEMENTS), "every entry needs cases, and only entries have cases"
    assert set(WITNESSES) == {s for s, e in REPLACEMENTS.items() if not e.safe}
    assert INTEGERS_PASS <= {s for s, e in REPLACEMENTS.items() if e.safe}
    for source, entry in REPLACEMENTS.items():
        calls = CASES[source]
        assert entry.source == source
        assert entry.safe or entry.note, f"{source}: an unsafe entry says why"
        assert all(len(c.args) <= entry.max_positional and set(c.kwargs) <= set(entry.keywords) for c in calls)
        assert max(len(c.args) for c in calls) == entry.max_positional, f"{source}: max_positional untested"
        assert {k for c in calls for k in c.kwargs} == set(entry.keywords), f"{source}: keyword untested"


@pytest.mark.parametrize("qualified", sorted({q for e in REPLACEMENTS.values() for q in (e.source, e.target)}))
def test_names_resolve(qualified):
    assert callable(resolve(qualified))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("entry", "call"), cases())
def test_values_and_dtype_match(entry, call, dtype):
    compare(entry, *drawn(call, dtype), dtype)


@pytest.mark.parametrize(("entry", "call"), cases())
def test_gradient_matches_finite_difference(entry, call):
    spec, host = drawn(call, np.float64)
    leaves = []

    def watched(s, v):
        t = tf.constant(v)
        if isinstance(s, Arr):
            leaves.append((v, t))
        return t

    targs, tkw = leafmap(spec, host, watched)
    with tf.GradientTape() as tape:
        tape.watch([t for _, t in leaves])
        y = tf.reduce_sum(tf_call(entry, targs, tkw))
    grads = tape.gradient(y, [t for _, t in leaves])
    for (x, _), grad in zip(leaves, grads):
        assert grad is not None, f"{entry.target} has no gradient"
        fd = np.empty_like(x)
        for i in np.ndindex(x.shape):
            x0 = x[i]
            h = STEP * max(1.0, abs(x0))
            x[i] = x0 + h
            up = np.sum(host_call(entry, *host))
            x[i] = x0 - h
            down = np.sum(host_call(entry, *host))
            x[i] = x0
            fd[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(grad.numpy(), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize(("entry", "call"), cases(lambda e, c: e.safe))
def test_safe_entry_on_integers_is_identical_or_raises(entry, call, dtype):
    spec, host = drawn(call, dtype)
    if entry.source in INTEGERS_PASS:
        compare(entry, spec, host, dtype, rtol=0)
    else:
        with pytest.raises(LOUD):
            tf_call(entry, *as_tensors(spec, host))


@pytest.mark.parametrize("dtype", [np.float16, BFLOAT16, np.complex64], ids=["float16", "bfloat16", "complex64"])
@pytest.mark.parametrize(("entry", "call"), cases(lambda e, c: e.safe))
def test_safe_entry_on_half_and_complex_is_identical_or_raises(entry, call, dtype):
    spec, host = drawn(call, dtype)
    try:
        expected = host_call(entry, *host)
    except (TypeError, ValueError):
        return  # the host rejects this dtype: no working program to preserve
    try:
        got = tf_call(entry, *as_tensors(spec, host))
    except LOUD:
        return
    assert_same(got, expected, dtype, RTOL[np.dtype(dtype)])


def test_math_on_a_complex_tensor_is_already_loud():
    """Why math.* counts as safe for complex tensors: the host call warns that it
    drops the imaginary part, and the TF op keeps it."""
    with pytest.warns(np.exceptions.ComplexWarning):
        math.exp(tf.constant(1 + 2j))


@pytest.mark.parametrize(("entry", "call"), cases(lambda e, c: e.safe and len(arrays_in((c.args, c.kwargs))) > 1))
def test_safe_entry_with_float64_numpy_operand_is_identical_or_raises(entry, call):
    """The first array is a float32 tensor, the others stay float64 NumPy arrays."""
    spec, host = drawn(call, np.float64)
    first = arrays_in(spec)[0]
    host = leafmap(spec, host, lambda s, v: v.astype(np.float32) if s is first else v)
    targs, tkw = leafmap(spec, host, lambda s, v: tf.constant(v) if s is first else v)
    try:
        got = tf_call(entry, targs, tkw)
    except LOUD:
        return  # TF refuses the mix: loud, so acceptable
    assert_same(got, host_call(entry, *host), np.float32, RTOL[np.dtype(np.float32)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("entry", "call"), cases(
    lambda e, c: e.safe and [a.eye for a in arrays_in((c.args, c.kwargs))] == [0.0]))
def test_safe_entry_agrees_on_special_values(entry, call, dtype):
    """nan, +-inf, +-0, overflow: the array argument is replaced by these values."""
    spec, host = drawn(call, dtype)
    (arr,) = arrays_in(spec)
    values = [SPECIALS.astype(dtype)] if arr.shape else SPECIALS.astype(dtype)
    for value in values:
        special = leafmap(spec, host, lambda s, v: np.resize(value, v.shape) if s is arr else v)
        try:
            expected = host_call(entry, *special)
        except (ValueError, OverflowError):
            continue  # math.* raises on a domain error: no working program to preserve
        got = tf_call(entry, *as_tensors(spec, special))
        assert_same(got, expected, dtype, RTOL[np.dtype(dtype)])


# Counterexamples that hold only for older releases of the host library: the
# library, its first release without the silent difference, and how that
# release refuses the input instead.  The entries stay unsafe for users of the
# older releases; on newer ones the test checks the refusal.
VERSION_BOUND = {"scipy.special.logsumexp": ("scipy", (1, 17), TypeError)}


def release(module: str) -> tuple[int, ...]:
    return tuple(int(part) for part in importlib.import_module(module).__version__.split(".")[:2])


@pytest.mark.parametrize("source", sorted(WITNESSES))
def test_unsafe_entry_has_a_counterexample(source):
    """The note of an unsafe entry is backed by an input where TF silently differs."""
    entry = REPLACEMENTS[source]
    dtype, call = WITNESSES[source]
    spec, host = drawn(call, dtype)
    library, fixed_in, refusal = VERSION_BOUND.get(source, (None, None, None))
    if library is not None and release(library) >= fixed_in:
        with pytest.raises(refusal):  # loud on this release: no silent difference to witness
            host_call(entry, *host)
        return
    expected = host_call(entry, *host)
    got = tf_call(entry, *as_tensors(spec, host))  # must not raise: that would be loud
    with pytest.raises(AssertionError):
        assert_same(got, expected, dtype, RTOL[np.dtype(np.float32)])


def floats(dtype, lo, hi):
    lo, hi = (float(dtype(bound)) for bound in (lo, hi))  # domain bounds, representable in dtype
    return st.floats(lo, hi, width=np.dtype(dtype).itemsize * 8, allow_subnormal=False, exclude_max=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("source", sorted({**ELEMENTWISE, **MATH}))
def test_elementwise_property_over_random_shapes(source, dtype):
    lo, hi = {**ELEMENTWISE, **MATH}[source]
    shapes = st.just(()) if source.startswith("math.") else hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)

    @settings(max_examples=10, derandomize=True, deadline=None)
    @given(hnp.arrays(dtype, shapes, elements=floats(dtype, lo, hi)))
    def prop(x):
        compare(REPLACEMENTS[source], ((Arr(),), {}), ((x,), {}), dtype)

    prop()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("source", sorted({**NUMPY_BINARY, **SCIPY_BINARY}))
def test_binary_property_over_broadcast_shapes(source, dtype):
    domains = {**NUMPY_BINARY, **SCIPY_BINARY}[source]

    @settings(max_examples=10, derandomize=True, deadline=None)
    @given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), st.data())
    def prop(shapes, data):
        x, y = (data.draw(hnp.arrays(dtype, shape, elements=floats(dtype, *domain)))
                for shape, domain in zip(shapes.input_shapes, domains))
        compare(REPLACEMENTS[source], ((Arr(), Arr()), {}), ((x, y), {}), dtype)

    prop()
