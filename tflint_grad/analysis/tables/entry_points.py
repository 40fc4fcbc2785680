"""What makes code differentiated: the entry-point table.

Three kinds of entry, all data:

* ``CALLABLE_APIS``: functions and classes that take a callable and
  differentiate it (``tfp.vi.monte_carlo_variational_loss(target_log_prob_fn,
  ...)``).  ``inherit`` entries (``tf.map_fn``, ``tf.cond`` ...) only pass
  differentiation on when the call itself sits in differentiated code.
* ``CLASS_METHODS``: methods of Keras Layer/Model/Loss subclasses.
* ``GRADIENT_DEFINING``: decorators such as ``@tf.custom_gradient``.

``tf.GradientTape`` blocks are found by ``tapes.py``.  Users add their
own callable APIs in ``[tool.tflint-grad] entry-points`` (see ``tflint_grad/config.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = None  # every parameter of the callable receives tensors


@dataclass(frozen=True)
class Slot:
    """Where the API takes the callable: by position, by keyword, or both."""

    position: int | None
    keyword: str | None


@dataclass(frozen=True)
class CallableApi:
    qualified: str  # normalised (see apis.normalize); for methods, just ".name"
    slots: tuple[Slot, ...]
    tensor_params: tuple[int, ...] | None = ALL  # positions that get differentiable tensors
    output: bool = True  # is the callable's return value the differentiated output?
    inherit: bool = False  # differentiated only when called from differentiated code

    @property
    def is_method(self) -> bool:
        return self.qualified.startswith(".")

    @property
    def is_namespace(self) -> bool:
        """``keras.layers.``: every API of the namespace, by keyword slots only."""
        return self.qualified.endswith(".")


def _target(qualified: str, extra: tuple[Slot, ...] = (), **kw) -> CallableApi:
    return CallableApi(qualified, (Slot(0, "target_log_prob_fn"), *extra), **kw)


CALLABLE_APIS: tuple[CallableApi, ...] = (
    _target("tensorflow_probability.vi.monte_carlo_variational_loss", (Slot(None, "discrepancy_fn"),)),
    _target("tensorflow_probability.vi.fit_surrogate_posterior", (Slot(None, "discrepancy_fn"),)),
    _target("tensorflow_probability.vi.fit_surrogate_posterior_stateless", (Slot(1, "build_surrogate_posterior_fn"),)),
    CallableApi("tensorflow_probability.vi.csiszar_vimco", (Slot(0, "f"), Slot(1, "p_log_prob"))),
    CallableApi("tensorflow_probability.math.minimize", (Slot(0, "loss_fn"),)),
    CallableApi("tensorflow_probability.math.minimize_stateless", (Slot(0, "loss_fn"),)),
    CallableApi("tensorflow_probability.math.value_and_gradient", (Slot(0, "f"),)),
    CallableApi("tensorflow_probability.math.value_and_gradient_with_auto_expansion", (Slot(0, "f"),)),
    _target("tensorflow_probability.mcmc.HamiltonianMonteCarlo"),
    _target("tensorflow_probability.mcmc.UncalibratedHamiltonianMonteCarlo"),
    _target("tensorflow_probability.mcmc.NoUTurnSampler"),
    _target("tensorflow_probability.mcmc.MetropolisAdjustedLangevinAlgorithm"),
    _target("tensorflow_probability.mcmc.UncalibratedLangevin"),
    CallableApi("keras.layers.Lambda", (Slot(0, "function"),)),
    CallableApi(".minimize", (Slot(0, "loss"),)),  # Keras optimizer.minimize(loss_fn, var_list)
    CallableApi(".compile", (Slot(1, "loss"),), tensor_params=(1,)),  # model.compile(loss=fn): y_pred only
    # What Keras layers apply to their tensors: activations, and regularizers (added to the loss).
    CallableApi("keras.layers.", tuple(Slot(None, keyword) for keyword in (
        "activation", "recurrent_activation", "kernel_regularizer", "bias_regularizer",
        "recurrent_regularizer", "activity_regularizer", "depthwise_regularizer", "pointwise_regularizer",
    ))),
    CallableApi("builtins.map", (Slot(0, None),), inherit=True),
    CallableApi("builtins.filter", (Slot(0, None),), output=False, inherit=True),  # a predicate: its result selects
    CallableApi("tensorflow.map_fn", (Slot(0, "fn"),), inherit=True),
    CallableApi("tensorflow.vectorized_map", (Slot(0, "fn"),), inherit=True),
    CallableApi("tensorflow.scan", (Slot(0, "fn"),), inherit=True),
    CallableApi("tensorflow.foldl", (Slot(0, "fn"),), inherit=True),
    CallableApi("tensorflow.foldr", (Slot(0, "fn"),), inherit=True),
    CallableApi("tensorflow.while_loop", (Slot(1, "body"),), inherit=True),
    CallableApi("tensorflow.cond", (Slot(1, "true_fn"), Slot(2, "false_fn")), inherit=True),
    CallableApi("tensorflow.recompute_grad", (Slot(0, "f"),), inherit=True),
    CallableApi("tensorflow.py_function", (Slot(0, "func"),), inherit=True),  # differentiated through its TF ops only
)


@dataclass(frozen=True)
class ClassMethod:
    family: str  # "layer" (Layer, Model, Module) or "loss" (keras.losses.Loss)
    method: str
    tensor_params: tuple[int, ...] | None = ALL  # positions after ``self``
    output: bool = True


# Base classes (normalised names, "." at the end = the whole namespace) and
# the family their subclasses belong to; the first match wins.
CLASS_FAMILIES: tuple[tuple[str, str], ...] = (
    ("keras.losses.", "loss"),
    ("keras.Loss", "loss"),
    ("keras.layers.", "layer"),
    ("keras.models.", "layer"),
    ("keras.applications.", "layer"),
    ("keras.engine.", "layer"),
    ("keras.Layer", "layer"),
    ("keras.Model", "layer"),
    ("keras.Sequential", "layer"),
    ("tensorflow.Module", "layer"),
)


def class_family(qualified: str) -> str | None:
    """"layer" or "loss" for a TensorFlow/Keras base class, else None."""
    for name, family in CLASS_FAMILIES:
        if qualified == name or (name.endswith(".") and qualified.startswith(name)):
            return family
    return None


CLASS_METHODS: tuple[ClassMethod, ...] = (
    ClassMethod("layer", "call"),
    ClassMethod("layer", "compute_loss", tensor_params=(1, 2)),  # (x, y, y_pred): y_pred
    ClassMethod("layer", "train_step", output=False),  # its tape decides what is differentiated
    ClassMethod("loss", "call", tensor_params=(1,)),  # (y_true, y_pred): y_pred
)

# Attributes Keras objects have without the subclass assigning them.
KERAS_TENSOR_ATTRIBUTES = frozenset({
    "trainable_variables", "trainable_weights", "weights", "variables", "kernel", "bias",
    "embeddings", "losses",
})

# Decorators whose function (and the grad fn nested in it) is differentiated
# but defines its own gradient, so a round-trip there never cuts it.
GRADIENT_DEFINING = frozenset({"tensorflow.custom_gradient"})


def find_callable_api(qualified: str, table: tuple[CallableApi, ...]) -> CallableApi | None:
    """Match a normalised qualified name against the table.

    TFP is matched on its top package and the final name, so the public
    ``tfp.vi.x`` and the internal ``tensorflow_probability.python.vi.module.x``
    are the same entry.
    """
    for api in table:
        if api.is_method:
            continue
        if qualified == api.qualified or (api.is_namespace and qualified.startswith(api.qualified)):
            return api
        root, _, rest = api.qualified.partition(".")
        package = rest.split(".")[0]
        if (root == "tensorflow_probability" and qualified.startswith(f"{root}.{package}.")
                and qualified.rsplit(".", 1)[-1] == api.qualified.rsplit(".", 1)[-1]):
            return api
    return None


def find_method_api(method: str, table: tuple[CallableApi, ...]) -> CallableApi | None:
    return next((api for api in table if api.is_method and api.qualified == "." + method), None)
