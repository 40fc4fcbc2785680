"""What a called API does to the gradient: the classification tables.

Every call in differentiated code is resolved to a qualified name
("numpy.exp", "tensorflow.shape", "builtins.float") and looked up here.  The
tables are data so they are easy to read, test and extend; the analysis has no
name-specific ``if``s.
"""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    HOST_NUMERIC = "host-numeric"  # numpy/math/scipy math: a round-trip, result depends on the args
    HOST_PREDICATE = "host-predicate"  # numpy/math test or sample: a round-trip, result carries no gradient
    HOST_DISCRETE = "host-discrete"  # int(), bool(), np.int32(): a conversion whose result is discrete
    CONVERSION = "conversion"  # np.asarray, float(), .numpy(): a round-trip, result depends on the arg
    STATIC = "static"  # shapes, dtypes, len(): never a tensor, not a round-trip
    OPAQUE = "opaque"  # a tensor op whose result carries no gradient (random, zeros, argmax, print)
    SOURCE = "source"  # a differentiable tensor source (tf.Variable, Keras layers and models)
    PROPAGATE = "propagate"  # result depends on the arguments (TensorFlow ops, unknown code)


# Operations the IR records like calls (``Call.operator``): comparisons give booleans, never a gradient.
OPERATORS = {"compare": Kind.OPAQUE}

ROUND_TRIPS = {
    Kind.HOST_NUMERIC: "numpy-call", Kind.HOST_PREDICATE: "numpy-call",
    Kind.CONVERSION: "conversion", Kind.HOST_DISCRETE: "conversion",
}
# Round-trips whose result carries no gradient, wherever it goes: never a cut.
DISCRETE_ROUND_TRIPS = (Kind.HOST_PREDICATE, Kind.HOST_DISCRETE)

# Methods called on a value, by name.
METHODS = {
    "numpy": Kind.CONVERSION,
    "__array__": Kind.CONVERSION,
    "get_shape": Kind.STATIC,
    "batch_shape_tensor": Kind.STATIC,
    "event_shape_tensor": Kind.STATIC,
    "as_list": Kind.STATIC,
    "assign": Kind.OPAQUE,
    "assign_add": Kind.OPAQUE,
    "assign_sub": Kind.OPAQUE,
    "sample": Kind.PROPAGATE,
    # Keras methods that return host data (an ndarray or a Python number).
    "predict": Kind.CONVERSION,
    "predict_on_batch": Kind.CONVERSION,
    "add_weight": Kind.SOURCE,
    "add_variable": Kind.SOURCE,
}

# Sources made with ``trainable=False`` carry no gradient (``tf.Variable(0, trainable=False)``).
TRAINABLE_KEYWORD = "trainable"

_HOST_PREDICATES = (
    "isfinite isnan isinf isneginf isposinf isreal iscomplex all any argmax argmin argsort "
    "nanargmax nanargmin sign floor ceil round around rint trunc fix equal not_equal greater "
    "greater_equal less less_equal logical_and logical_or logical_not logical_xor nonzero "
    "count_nonzero unique searchsorted allclose isclose array_equal array_equiv signbit heaviside "
    "zeros_like ones_like empty_like full_like"
).split()
_NUMPY_STATIC = "shape ndim size finfo iinfo dtype result_type issubdtype promote_types can_cast isscalar".split()
_CONVERSIONS = (
    "numpy.array numpy.asarray numpy.asanyarray numpy.ascontiguousarray numpy.asfarray "
    "numpy.float16 numpy.float32 numpy.float64 numpy.float128 numpy.complex64 numpy.complex128 numpy.copy "
    "builtins.float builtins.complex "
    "keras.ops.convert_to_numpy keras.backend.convert_to_numpy keras.backend.get_value keras.backend.eval"
).split()
_DISCRETE_CONVERSIONS = (
    "numpy.int8 numpy.int16 numpy.int32 numpy.int64 numpy.uint8 numpy.uint16 numpy.uint32 numpy.uint64 "
    "numpy.intp numpy.bool_ numpy.bool builtins.int builtins.bool"
).split()
# dtypes whose values carry no gradient: ``tf.cast(x, tf.int32)`` is discrete.
DISCRETE_DTYPES = frozenset(
    "int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool string".split()
    + ["int", "bool", "str"]
)
# Integer casts: their ``dtype`` argument (by keyword or position) decides.
CASTS = {"tensorflow.cast": 1, "keras.ops.cast": 1, "tensorflow.saturate_cast": 1, "tensor.astype": 0}
_BUILTIN_STATIC = (
    "len isinstance issubclass type hasattr callable id print repr str format hash range "
    "vars dir getattr setattr open iter next super object"
).split()
_TF_STATIC = (
    "shape shape_n rank size get_static_value executing_eagerly is_tensor TensorShape "
    "DType as_dtype constant_initializer"
).split()
_TF_OPAQUE = (
    "zeros ones zeros_like ones_like fill range eye one_hot argmax argmin "
    "stop_gradient print timestamp where_v1 unique searchsorted sort_indices argsort "
    "is_finite is_nan is_inf equal not_equal greater less greater_equal "
    "less_equal logical_and logical_or logical_not Assert group no_op control_dependencies "
    "name_scope device py_function numpy_function"
).split()

VARIABLE = "tensorflow.Variable"
EXACT: dict[str, Kind] = {
    **{f"numpy.{name}": Kind.HOST_PREDICATE for name in _HOST_PREDICATES},
    **{f"math.{name}": Kind.HOST_PREDICATE for name in "isfinite isnan isinf floor ceil trunc isclose copysign".split()},
    **{f"numpy.{name}": Kind.STATIC for name in _NUMPY_STATIC},
    **{name: Kind.CONVERSION for name in _CONVERSIONS},
    **{name: Kind.HOST_DISCRETE for name in _DISCRETE_CONVERSIONS},
    **{f"builtins.{name}": Kind.STATIC for name in _BUILTIN_STATIC},
    **{f"tensorflow.{name}": Kind.STATIC for name in _TF_STATIC},
    **{f"tensorflow.{name}": Kind.OPAQUE for name in _TF_OPAQUE},
    VARIABLE: Kind.SOURCE,
    "tensorflow_probability.util.TransformedVariable": Kind.SOURCE,
    "tensorflow_probability.util.DeferredTensor": Kind.SOURCE,
    "keras.backend.epsilon": Kind.STATIC,
    "keras.backend.floatx": Kind.STATIC,
    "keras.backend.int_shape": Kind.STATIC,
    "keras.ops.shape": Kind.STATIC,
    "keras.ops.ndim": Kind.STATIC,
    "keras.backend.standardize_dtype": Kind.STATIC,
    "keras.backend.is_tensor": Kind.STATIC,
    "tensorflow.saved_model.load": Kind.SOURCE,
    "tensorflow_hub.KerasLayer": Kind.SOURCE,
    "tensorflow_hub.load": Kind.SOURCE,
}

# (prefix, kind, authoritative): the first matching prefix decides.  An
# authoritative prefix wins over a same-named definition in the analysed
# project; a non-authoritative one only applies to code outside the project
# (so analysing TensorFlow Probability itself descends into its functions).
PREFIXES: tuple[tuple[str, Kind, bool], ...] = (
    ("numpy.random.", Kind.HOST_PREDICATE, True),  # a sample carries no gradient
    ("numpy.char.", Kind.HOST_PREDICATE, True),  # strings carry no gradient
    ("numpy.strings.", Kind.HOST_PREDICATE, True),
    ("numpy.", Kind.HOST_NUMERIC, True),
    ("math.", Kind.HOST_NUMERIC, True),
    ("random.", Kind.HOST_PREDICATE, True),
    ("scipy.", Kind.HOST_NUMERIC, True),
    ("builtins.", Kind.PROPAGATE, True),
    ("tensorflow.random.", Kind.OPAQUE, True),
    ("tensorflow.strings.", Kind.OPAQUE, True),
    ("tensorflow.debugging.", Kind.OPAQUE, True),
    ("tensorflow.summary.", Kind.OPAQUE, True),
    ("tensorflow.io.", Kind.OPAQUE, True),
    ("tensorflow.data.", Kind.OPAQUE, True),
    ("tensorflow.config.", Kind.OPAQUE, True),
    ("tensorflow.dtypes.", Kind.STATIC, True),
    ("tensorflow.", Kind.PROPAGATE, True),
    ("keras.layers.", Kind.SOURCE, True),
    ("keras.models.", Kind.SOURCE, True),
    ("keras.Model", Kind.SOURCE, True),
    ("keras.Sequential", Kind.SOURCE, True),
    ("keras.Input", Kind.SOURCE, True),
    ("keras.random.", Kind.OPAQUE, True),
    ("sonnet.optimizers.", Kind.OPAQUE, True),
    ("sonnet.", Kind.SOURCE, True),  # Sonnet modules hold their variables
    ("keras.applications.", Kind.SOURCE, True),
    ("keras.optimizers.", Kind.OPAQUE, True),
    ("keras.metrics.", Kind.OPAQUE, True),
    ("keras.initializers.", Kind.OPAQUE, True),
    ("keras.regularizers.", Kind.OPAQUE, True),
    ("keras.callbacks.", Kind.OPAQUE, True),
    ("keras.utils.", Kind.OPAQUE, True),
    ("keras.", Kind.PROPAGATE, True),
    ("tensorflow_probability.internal.prefer_static.", Kind.STATIC, True),
    ("tensorflow_probability.internal.tensorshape_util.", Kind.STATIC, True),
    ("tensorflow_probability.internal.dtype_util.", Kind.STATIC, True),
    ("tensorflow_probability.internal.samplers.", Kind.OPAQUE, True),
    ("tensorflow_probability.internal.assert_util.", Kind.OPAQUE, True),
    ("tensorflow_probability.", Kind.PROPAGATE, False),
)

# Spellings of the same API: rewritten before any lookup.
ALIASES: tuple[tuple[str, str], ...] = (
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("tensorflow.math.", "tensorflow."),
    ("tensorflow_probability.python.", "tensorflow_probability."),
)

# Calls whose result carries a host value computed from a tensor (CUT) on: what
# TensorFlow would differentiate once fixed.  Unknown code given host values
# (``env.step(action)``) returns host data.
CUT_CARRIERS = ("tensorflow.", "keras.", "tensorflow_probability.", "builtins.")

# Uses that need an ndarray (a fix that makes the value a tensor breaks them, see uses.py):
# calls that take it, and the methods a tensor also has (any other method is ndarray-only).
NDARRAY_CONSUMERS = ("numpy.random.", "random.", "json.", "matplotlib.", "pandas.", "seaborn.", "pickle.")
TENSOR_METHODS = frozenset(
    "numpy shape dtype get_shape set_shape eval ref consumers device __array__ __len__ __getitem__".split()
)

# Parameters Keras fills with flags and masks: never a differentiable tensor.
NON_TENSOR_PARAMS = frozenset({"training", "mask"})
# Keras layers that take strings or integer ids: their ``call`` is not differentiated.
DISCRETE_LAYERS = frozenset({
    "StringLookup", "IntegerLookup", "IndexLookup", "TextVectorization", "Hashing", "HashedCrossing",
    "CategoryEncoding", "Discretization",
})

# Code generated for other backends is not TensorFlow (TFP's numpy/JAX substrates).
NOT_TENSORFLOW = ("tensorflow_probability.substrates.", "tensorflow_probability.internal.backend.")


def normalize(qualified: str) -> str:
    for old, new in ALIASES:
        if qualified.startswith(old):
            qualified = new + qualified[len(old):]
        elif qualified + "." == old:
            qualified = new[:-1]
    return qualified


def qualify(qualified: str, rest: str) -> str:
    """``tf`` + ``exp`` -> ``tensorflow.exp``: an imported name plus the attributes after it, normalised."""
    return normalize(f"{qualified}.{rest}" if rest else qualified)


def classify(qualified: str) -> tuple[Kind, bool] | None:
    """(kind, authoritative) of a normalised qualified name, or None if unknown."""
    kind = EXACT.get(qualified)
    if kind is not None:
        return kind, True
    if qualified.startswith(NOT_TENSORFLOW):
        return Kind.PROPAGATE, False
    for prefix, kind, authoritative in PREFIXES:
        if qualified.startswith(prefix):
            return kind, authoritative
    return None
