"""The one table of host -> TensorFlow replacements used by the autofix.

A numpy/math/scipy call on a tensor inside differentiated code cuts the
gradient; the fix renames the called function to its TensorFlow twin (and
renames keyword arguments), nothing more.  So an entry exists only where the
first ``max_positional`` positional arguments mean the same thing in both APIs
and every keyword in ``keywords`` has a TensorFlow spelling.

``safe`` means the rename cannot change what the program computes: for every
argument the code can pass (tensors of any dtype, Python literals, NumPy
values) the TensorFlow op gives the same values, dtype and shape, or raises.
Not counted: TensorFlow's CPU kernels flush subnormal numbers to zero;
``math.*`` returns a Python float (computed in double), which is weakly typed
and takes the dtype of the tensor it meets; and ``math.*`` on a complex tensor
already drops the imaginary part with a ComplexWarning.

Every entry with two or more array operands is unsafe for at least the reason
in ``MIXED``: TensorFlow silently casts a NumPy operand to the tensor's dtype.
Where the analyser knows the other operands are tensors or Python literals, a
numpy entry whose note is exactly ``MIXED`` renames without changing numbers.

Every claim here is checked against real TensorFlow by
``tests/test_replacements.py``, which also keeps a counterexample for every
unsafe entry.  The linter core never imports TensorFlow, so this module
imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Replacement:
    """How one host function becomes a TensorFlow op by renaming the call."""

    source: str  # qualified host API, e.g. "numpy.exp"
    target: str  # qualified TF API, e.g. "tensorflow.exp"
    safe: bool  # values, dtype and shape match for every input, or TF raises
    max_positional: int  # the rename is valid only up to this many positional args
    keywords: Mapping[str, str] = field(hash=False)  # host keyword -> TF keyword the rename accepts
    note: str = ""  # one line: why unsafe / caveats

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", MappingProxyType(dict(self.keywords)))


TNP = "tensorflow.experimental.numpy"
AXIS = {"axis": "axis"}
REDUCE = {"axis": "axis", "keepdims": "keepdims"}
MIXED = (
    "TF casts a NumPy operand to the tensor's dtype, numpy promotes "
    "(float32 tensor with float64 array: float32; int32 tensor with np.float64(2.5): 2.5 becomes 2)"
)
HALF = "scipy computes float16/bfloat16 in float64, TF keeps the tensor's dtype"
ERF_INF = "tf.math.erf(+-inf) is nan in float64 (+-1 on the host)"
DIGAMMA_POLES = "at the poles 0 and -0 scipy gives -inf/+inf, TF nan; " + HALF
SCIPY_LITERAL = "scipy turns float32 with a Python float into float64, TF keeps float32; " + HALF + "; " + MIXED
WIDENS = "numpy accumulates int32 in int64, TF keeps int32 (and rejects bool, which numpy counts)"


def _unary(source: str, target: str, note: str = "") -> Replacement:
    """One positional argument, no keywords; unsafe exactly when a note says why."""
    return Replacement(source, target, not note, 1, {}, note)


def _binary(source: str, target: str) -> Replacement:
    return Replacement(source, target, False, 2, {}, MIXED)


_ENTRIES = (
    # numpy, elementwise
    _unary("numpy.exp", "tensorflow.exp"),
    _unary("numpy.exp2", f"{TNP}.exp2"),
    _unary("numpy.expm1", "tensorflow.math.expm1"),
    _unary("numpy.log", "tensorflow.math.log"),
    _unary("numpy.log1p", "tensorflow.math.log1p"),
    _unary("numpy.log2", f"{TNP}.log2"),
    _unary("numpy.log10", f"{TNP}.log10"),
    _unary("numpy.sqrt", "tensorflow.sqrt"),
    _unary("numpy.square", "tensorflow.square"),
    _unary("numpy.abs", "tensorflow.abs"),
    _unary("numpy.absolute", "tensorflow.abs"),
    _unary("numpy.negative", "tensorflow.negative"),
    _unary("numpy.sign", "tensorflow.sign"),
    _unary("numpy.reciprocal", "tensorflow.math.reciprocal"),
    _unary("numpy.sin", "tensorflow.sin"),
    _unary("numpy.cos", "tensorflow.cos"),
    _unary("numpy.tan", "tensorflow.tan"),
    _unary("numpy.arcsin", "tensorflow.asin"),
    _unary("numpy.asin", "tensorflow.asin"),
    _unary("numpy.arccos", "tensorflow.acos"),
    _unary("numpy.acos", "tensorflow.acos"),
    _unary("numpy.arctan", "tensorflow.atan"),
    _unary("numpy.atan", "tensorflow.atan"),
    _unary("numpy.sinh", "tensorflow.sinh"),
    _unary("numpy.cosh", "tensorflow.cosh"),
    _unary("numpy.tanh", "tensorflow.tanh"),
    _unary("numpy.arcsinh", "tensorflow.asinh"),
    _unary("numpy.asinh", "tensorflow.asinh"),
    _unary("numpy.arccosh", "tensorflow.acosh"),
    _unary("numpy.acosh", "tensorflow.acosh"),
    _unary("numpy.arctanh", "tensorflow.atanh"),
    _unary("numpy.atanh", "tensorflow.atanh"),
    _binary("numpy.add", "tensorflow.add"),
    _binary("numpy.subtract", "tensorflow.subtract"),
    _binary("numpy.multiply", "tensorflow.multiply"),
    _binary("numpy.divide", "tensorflow.math.divide"),
    _binary("numpy.true_divide", "tensorflow.math.divide"),
    _binary("numpy.power", "tensorflow.pow"),
    _binary("numpy.pow", "tensorflow.pow"),
    _binary("numpy.maximum", "tensorflow.maximum"),
    _binary("numpy.minimum", "tensorflow.minimum"),
    _binary("numpy.arctan2", "tensorflow.math.atan2"),
    _binary("numpy.atan2", "tensorflow.math.atan2"),
    Replacement("numpy.logaddexp", f"{TNP}.logaddexp", True, 2, {}),
    Replacement(
        "numpy.where", "tensorflow.where", False, 3, {},
        "two Python-scalar branches give float64/int64 in numpy but float32/int32 in TF; " + MIXED,
    ),
    Replacement(
        "numpy.clip", "tensorflow.clip_by_value", False, 3,
        {"a_min": "clip_value_min", "a_max": "clip_value_max",
         "min": "clip_value_min", "max": "clip_value_max"},
        "with lower > upper numpy returns upper, TF returns lower; " + MIXED,
    ),
    # numpy, reductions and scans
    Replacement("numpy.sum", "tensorflow.reduce_sum", False, 2, REDUCE, WIDENS),
    Replacement("numpy.prod", "tensorflow.reduce_prod", False, 2, REDUCE, WIDENS),
    Replacement(
        "numpy.mean", "tensorflow.reduce_mean", False, 2, REDUCE,
        "numpy returns the float64 mean of integers, tf.reduce_mean truncates to an integer",
    ),
    Replacement("numpy.max", "tensorflow.reduce_max", True, 2, REDUCE),
    Replacement("numpy.amax", "tensorflow.reduce_max", True, 2, REDUCE),
    Replacement("numpy.min", "tensorflow.reduce_min", True, 2, REDUCE),
    Replacement("numpy.amin", "tensorflow.reduce_min", True, 2, REDUCE),
    Replacement("numpy.std", "tensorflow.math.reduce_std", True, 2, REDUCE),
    Replacement("numpy.var", "tensorflow.math.reduce_variance", True, 2, REDUCE),
    Replacement("numpy.cumsum", f"{TNP}.cumsum", True, 2, AXIS),
    Replacement("numpy.cumprod", f"{TNP}.cumprod", True, 2, AXIS),
    Replacement(
        "numpy.sort", "tensorflow.sort", False, 2, AXIS,
        "numpy sorts nan last, tf.sort (top_k underneath) can put it first",
    ),
    # numpy, shapes and joins
    Replacement("numpy.concatenate", f"{TNP}.concatenate", True, 2, AXIS),
    Replacement("numpy.concat", f"{TNP}.concatenate", True, 2, AXIS),
    Replacement("numpy.stack", "tensorflow.stack", False, 2, AXIS, MIXED),
    Replacement("numpy.transpose", "tensorflow.transpose", True, 2, {"axes": "perm"}),
    Replacement("numpy.reshape", "tensorflow.reshape", True, 2, {"shape": "shape"}),
    Replacement("numpy.squeeze", "tensorflow.squeeze", True, 2, AXIS),
    Replacement("numpy.expand_dims", "tensorflow.expand_dims", True, 2, AXIS),
    Replacement("numpy.tile", "tensorflow.tile", True, 2, {"reps": "multiples"}),
    # numpy, linear algebra
    _binary("numpy.matmul", "tensorflow.linalg.matmul"),
    Replacement("numpy.einsum", "tensorflow.einsum", False, 3, {}, MIXED),
    _binary("numpy.linalg.solve", "tensorflow.linalg.solve"),
    _unary("numpy.linalg.inv", "tensorflow.linalg.inv"),
    _unary("numpy.linalg.det", "tensorflow.linalg.det"),
    Replacement(
        "numpy.linalg.norm", "tensorflow.norm", False, 1, REDUCE,
        "tf.norm of a complex tensor is complex (numpy: real); numpy returns float64 for bfloat16",
    ),
    _unary(
        "numpy.trace", "tensorflow.linalg.trace",
        "numpy traces axes 0 and 1, TF the last two: same only for matrices",
    ),
    # math (0-d tensors only: float() of a larger tensor raises)
    _unary("math.exp", "tensorflow.exp"),
    _unary("math.exp2", f"{TNP}.exp2"),
    _unary("math.expm1", "tensorflow.math.expm1"),
    _unary("math.log", "tensorflow.math.log"),
    _unary("math.log1p", "tensorflow.math.log1p"),
    _unary("math.log2", f"{TNP}.log2"),
    _unary("math.log10", f"{TNP}.log10"),
    _unary("math.sqrt", "tensorflow.sqrt"),
    _unary("math.sin", "tensorflow.sin"),
    _unary("math.cos", "tensorflow.cos"),
    _unary("math.tan", "tensorflow.tan"),
    _unary("math.asin", "tensorflow.asin"),
    _unary("math.acos", "tensorflow.acos"),
    _unary("math.atan", "tensorflow.atan"),
    _unary("math.sinh", "tensorflow.sinh"),
    _unary("math.cosh", "tensorflow.cosh"),
    _unary("math.tanh", "tensorflow.tanh"),
    _unary("math.asinh", "tensorflow.asinh"),
    _unary("math.acosh", "tensorflow.acosh"),
    _unary("math.atanh", "tensorflow.atanh"),
    _unary("math.erf", "tensorflow.math.erf", ERF_INF),
    _unary("math.erfc", "tensorflow.math.erfc"),
    _unary("math.lgamma", "tensorflow.math.lgamma"),
    Replacement("math.atan2", "tensorflow.math.atan2", True, 2, {}),
    _unary("math.fabs", "tensorflow.abs", "math.fabs of an integer is a float, tf.abs keeps the integer dtype"),
    Replacement(
        "math.pow", "tensorflow.pow", False, 2, {},
        "math.pow of integers is a float, tf.pow keeps the integer dtype",
    ),
    # scipy.special
    _unary("scipy.special.erf", "tensorflow.math.erf", ERF_INF + "; " + HALF),
    _unary("scipy.special.erfc", "tensorflow.math.erfc", HALF),
    _unary("scipy.special.erfinv", "tensorflow.math.erfinv"),
    _unary("scipy.special.erfcinv", "tensorflow.math.erfcinv"),
    _unary("scipy.special.ndtri", "tensorflow.math.ndtri"),
    _unary("scipy.special.expit", "tensorflow.math.sigmoid", HALF),
    _unary("scipy.special.log_expit", "tensorflow.math.log_sigmoid", HALF),
    _unary("scipy.special.softplus", "tensorflow.math.softplus"),
    _unary("scipy.special.expm1", "tensorflow.math.expm1", HALF),
    _unary("scipy.special.log1p", "tensorflow.math.log1p", HALF),
    _unary("scipy.special.gammaln", "tensorflow.math.lgamma", "gammaln(-inf) is -inf in scipy, +inf in TF; " + HALF),
    _unary("scipy.special.digamma", "tensorflow.math.digamma", DIGAMMA_POLES),
    _unary("scipy.special.psi", "tensorflow.math.digamma", DIGAMMA_POLES),
    _unary("scipy.special.i0", "tensorflow.math.bessel_i0", HALF),
    _unary("scipy.special.i0e", "tensorflow.math.bessel_i0e", HALF),
    _unary("scipy.special.i1", "tensorflow.math.bessel_i1", HALF),
    _unary("scipy.special.i1e", "tensorflow.math.bessel_i1e", HALF),
    Replacement("scipy.special.xlogy", "tensorflow.math.xlogy", False, 2, {}, SCIPY_LITERAL),
    Replacement("scipy.special.xlog1py", "tensorflow.math.xlog1py", False, 2, {}, SCIPY_LITERAL),
    Replacement("scipy.special.gammainc", "tensorflow.math.igamma", False, 2, {}, SCIPY_LITERAL),
    Replacement("scipy.special.gammaincc", "tensorflow.math.igammac", False, 2, {}, SCIPY_LITERAL),
    Replacement(
        "scipy.special.logsumexp", "tensorflow.reduce_logsumexp", False, 2, REDUCE,
        "scipy before 1.17 computes bfloat16 in float64 (1.17 refuses it), TF keeps bfloat16",
    ),
    Replacement(
        "scipy.special.softmax", "tensorflow.nn.softmax", False, 2, AXIS,
        "without axis scipy normalises over all elements, TF over the last axis",
    ),
    Replacement(
        "scipy.special.log_softmax", "tensorflow.nn.log_softmax", False, 2, AXIS,
        "without axis scipy normalises over all elements, TF over the last axis",
    ),
)

REPLACEMENTS: Mapping[str, Replacement] = MappingProxyType({r.source: r for r in _ENTRIES})
assert len(REPLACEMENTS) == len(_ENTRIES), "duplicate source in the replacement table"


def replacement_for(qualified: str) -> Replacement | None:
    """The TensorFlow replacement for a qualified host API, if there is one."""
    return REPLACEMENTS.get(qualified)
