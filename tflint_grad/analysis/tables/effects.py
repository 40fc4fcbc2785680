"""What each call does, as the rules see it: one effect and a set of tags.

The data flow works on ``apis.Kind``; rules ask for the coarser *effect*
(does the value flow on, stop, start, carry no tensor, or leave TensorFlow)
and for *tags* that say why a call matters beyond that: ``argmax`` and
comparisons are nondifferentiable, ``py_function`` calls back into Python,
``assign`` changes state, ``stop_gradient`` stops on purpose, ``tf.random.*``
samples.  Calls the data flow treats alike (``Kind.OPAQUE``) keep their
differences here.
"""

from __future__ import annotations

from enum import Enum

from .apis import Kind


class Effect(str, Enum):
    FLOWS = "flows"  # the result depends on the arguments, differentiably
    BLOCKS = "blocks"  # a TensorFlow op whose result carries no gradient
    SOURCE = "source"  # a differentiable source (tf.Variable, Keras layers and models)
    STATIC = "static"  # shapes, dtypes, len(): never a tensor
    HOST = "host"  # the value leaves TensorFlow (numpy/math/scipy, conversions)


class Tag(str, Enum):
    NONDIFFERENTIABLE = "nondifferentiable"
    HOST_CALLBACK = "host-callback"
    STATE_MUTATION = "state-mutation"
    STOP_GRADIENT = "stop-gradient"
    SAMPLING = "sampling"
    CREATES_VARIABLE = "creates-variable"
    SINGULAR_DERIVATIVE = "singular-derivative"  # an infinite or undefined derivative somewhere (sqrt at 0, log at 0)


EFFECT_OF_KIND = {
    Kind.HOST_NUMERIC: Effect.HOST,
    Kind.HOST_PREDICATE: Effect.HOST,
    Kind.HOST_DISCRETE: Effect.HOST,
    Kind.CONVERSION: Effect.HOST,
    Kind.STATIC: Effect.STATIC,
    Kind.OPAQUE: Effect.BLOCKS,
    Kind.SOURCE: Effect.SOURCE,
    Kind.PROPAGATE: Effect.FLOWS,
}

_TF_NONDIFFERENTIABLE = (
    "argmax argmin argsort sort_indices unique searchsorted one_hot equal not_equal greater less "
    "greater_equal less_equal logical_and logical_or logical_not is_finite is_nan is_inf round floor "
    "ceil sign floordiv truncatediv"
).split()
# Keras backend spellings of the same operations (``K.argmax``, ``K.round`` in a custom loss).
_KERAS_NONDIFFERENTIABLE = "argmax argmin round sign equal not_equal greater greater_equal less less_equal".split()
_METHOD_STATE = "assign assign_add assign_sub scatter_update scatter_add scatter_sub scatter_nd_update".split()

# Exact qualified names (methods as "tensor.name"), then prefixes; every match adds its tags.
# Operations whose derivative is infinite or undefined at some inputs, and the argument that decides it.
# Not sqrt, rsqrt, reciprocal: TensorFlow's gradients of these give 0 where the incoming gradient is 0.
SINGULAR_OPERAND: dict[str, tuple[int, str]] = {
    **{f"tensorflow.{name}": (0, "x") for name in "log acos asin atanh".split()},
    "keras.backend.log": (0, "x"),
    "tensorflow.divide": (1, "y"),
    "tensorflow.truediv": (1, "y"),
    "tensorflow.pow": (0, "x"),  # with a fractional exponent
}

EXACT_TAGS: dict[str, frozenset[Tag]] = {
    **{name: frozenset({Tag.SINGULAR_DERIVATIVE}) for name in SINGULAR_OPERAND},
    **{f"tensorflow.{name}": frozenset({Tag.NONDIFFERENTIABLE}) for name in _TF_NONDIFFERENTIABLE},
    **{f"keras.backend.{name}": frozenset({Tag.NONDIFFERENTIABLE}) for name in _KERAS_NONDIFFERENTIABLE},
    **{f"tensor.{name}": frozenset({Tag.STATE_MUTATION}) for name in _METHOD_STATE},
    "<compare>": frozenset({Tag.NONDIFFERENTIABLE}),
    "tensorflow.stop_gradient": frozenset({Tag.STOP_GRADIENT}),
    **{name: frozenset({Tag.CREATES_VARIABLE}) for name in (
        "tensorflow.Variable", "tensorflow_probability.util.TransformedVariable",
        "tensorflow_probability.util.DeferredTensor")},
    "tensorflow.py_function": frozenset({Tag.HOST_CALLBACK}),
    "tensorflow.numpy_function": frozenset({Tag.HOST_CALLBACK}),
    "tensorflow.py_func": frozenset({Tag.HOST_CALLBACK}),
}
PREFIX_TAGS: tuple[tuple[str, frozenset[Tag]], ...] = (
    ("tensorflow.random.", frozenset({Tag.SAMPLING})),
    ("tensorflow_probability.internal.samplers.", frozenset({Tag.SAMPLING})),
    ("numpy.random.", frozenset({Tag.SAMPLING})),
)


def tags_of(kind: Kind, qualified: str) -> frozenset[Tag]:
    """The tags of a resolved call; host predicates (``np.isnan``, ``np.argmax``) carry no gradient."""
    tags = set(EXACT_TAGS.get(qualified, ()))
    for prefix, more in PREFIX_TAGS:
        if qualified.startswith(prefix):
            tags |= more
    if kind in (Kind.HOST_PREDICATE, Kind.HOST_DISCRETE):
        tags.add(Tag.NONDIFFERENTIABLE)
    return frozenset(tags)


# Casts, and where they take the dtype: a cast to one of DISCRETE_DTYPES has no gradient.
CASTS: dict[str, tuple[int, str]] = {
    "tensorflow.cast": (1, "dtype"),
    "tensorflow.dtypes.cast": (1, "dtype"),
    "keras.backend.cast": (1, "dtype"),
}
_DISCRETE_DTYPE_NAMES = "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64".split()
# A dtype as a string ("int32"), or as the qualified name of a TensorFlow or numpy dtype.
DISCRETE_DTYPES = frozenset(
    [*_DISCRETE_DTYPE_NAMES, "builtins.int", "builtins.bool", "numpy.bool_",
     *(f"{package}.{name}" for package in ("tensorflow", "tensorflow.dtypes", "numpy") for name in _DISCRETE_DTYPE_NAMES)]
)
# Calls that make a tensor, and where they take its dtype: without one, an int or bool literal makes an integer tensor.
MADE_WITH_DTYPE: dict[str, tuple[int | None, str]] = {
    "tensorflow.Variable": (None, "dtype"),
    "tensorflow.constant": (1, "dtype"),
    "tensorflow.convert_to_tensor": (1, "dtype"),
}
