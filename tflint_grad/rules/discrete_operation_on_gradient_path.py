from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.tables.effects import Effect
from ..findings import Severity
from .base import Invalid, Occurrence, Rule
from .outputs import differentiated_outputs

_INDEX = "differentiate the scores themselves (e.g. their tf.nn.softmax), not their index"
_STEP = "use a straight-through estimator (x + tf.stop_gradient(tf.round(x) - x)) or a smooth surrogate"
_TEST = "use a smooth surrogate such as tf.sigmoid((a - b) / temperature)"
# What to do instead, by the operation's last name ("<compare>" for ``a < b``).
ADVICE: dict[str, str] = {
    **dict.fromkeys("argmax argmin argsort sort_indices unique searchsorted".split(), _INDEX),
    **dict.fromkeys("round floor ceil sign floordiv truncatediv".split(), _STEP),
    **dict.fromkeys(
        "<compare> equal not_equal greater less greater_equal less_equal logical_and logical_or logical_not "
        "is_finite is_nan is_inf".split(), _TEST),
    "one_hot": "use the probabilities (tf.nn.softmax) instead of a one-hot of a computed index",
    "cast": "keep a floating dtype on the gradient path",
}
DEFAULT_ADVICE = "keep a differentiable operation on the gradient path"


class DiscreteOperationOnGradientPath(Rule):
    code = "TFG301"
    name = "discrete-operation-on-gradient-path"
    severity = Severity.ERROR
    summary = "every gradient path to the loss goes through a discrete operation (argmax, round, a comparison, an integer cast)"
    why = (
        "argmax, round, floor, sign, comparisons and casts to an integer or boolean dtype have\n"
        "no gradient (TensorFlow registers none, or a zero one). When every path from the\n"
        "trainable values to the differentiated output passes one of them, tape.gradient\n"
        "returns None, Keras says \"No gradients provided for any variable\", or the update is\n"
        "silently zero. See the TensorFlow guide \"Introduction to gradients and automatic\n"
        "differentiation\", section \"Cases where gradient returns None\"\n"
        "(https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    predicted = tf.argmax(model(x), axis=-1)\n"
        "    loss = tf.reduce_mean(tf.cast(tf.not_equal(predicted, y), tf.float32))\n"
        "grads = tape.gradient(loss, model.trainable_variables)"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    logits = model(x)\n"
        "    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))\n"
        "grads = tape.gradient(loss, model.trainable_variables)"
    )
    false_positives = (
        "Only an output that keeps no differentiable path at all is reported: a mask\n"
        "(tf.cast(x > 0, x.dtype) * x), tf.where(x > 0, x, 0.0), an index into trainable\n"
        "values (tf.gather(params, tf.argmax(q))) and a straight-through estimator are silent,\n"
        "and so is a loss with another differentiable term. Discrete operations on labels,\n"
        "metrics and sampled actions are not on the path. In a Keras layer's call only\n"
        "values made from the layer's weights count (its inputs may be data). A discrete\n"
        "operation inside a helper function, top_k indices and the // operator are not seen."
    )
    fixes = ()
    valid = (
        # a mask: the gradient flows through x
        "import tensorflow as tf\nw = tf.Variable([1.0, -2.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(tf.cast(w > 0, tf.float32) * w)\n"
        "grad = tape.gradient(loss, w)\n",
        # the index selects trainable values: gather is differentiable in its params
        "import tensorflow as tf\nq = tf.Variable([1.0, 3.0, 2.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    best = tf.gather(q, tf.argmax(q))\n"
        "grad = tape.gradient(best, q)\n",
        # argmax on the labels
        "import tensorflow as tf\nw = tf.Variable([[1.0, 0.0]])\ny = tf.constant([[0.0, 1.0]])\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(tf.gather(w, tf.argmax(y, axis=-1), axis=1))\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable([0.2, 0.7])\n"
            "with tf.GradientTape() as tape:\n"
            "    hard = tf.round(w)  # expect: TFG301\n"
            "    loss = tf.reduce_sum((hard - 1.0) ** 2)\n"
            "grad = tape.gradient(loss, w)\n",
            "tf.round(w) has no gradient, and every path from the trainable values to the target 'loss' of "
            "tape.gradient (line 6) goes through it: the gradient is None; use a straight-through",
        ),
        Invalid(
            "import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
            "def rounded_mse(y_true, y_pred):\n"
            "    return K.mean(K.square(y_true - K.round(y_pred)))  # expect: TFG301\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "model.compile(optimizer='adam', loss=rounded_mse)\n",
            "K.round(y_pred) has no gradient, and the return of 'rounded_mse' depends on the differentiated "
            "values only through it: its gradient is None; rounded_mse is passed as loss to model.compile (line 6)",
        ),
    )

    def check(self, facts: Facts):
        for path, scope_id in facts.differentiated_scopes():
            scope = facts.modules[path].scopes[scope_id]
            def is_cut(call, scope=scope, path=path) -> bool:  # numpy's argmax is the round-trip rules' finding
                return facts.is_discrete(path, scope, call) and facts.effect(path, scope, call).effect is not Effect.HOST

            if not any(is_cut(call) for call in scope.calls):
                continue
            reported: set[int] = set()
            for output in differentiated_outputs(facts, path, scope):
                cuts = facts.cuts_of_every_path(path, scope_id, output.deps, is_cut)
                for index in cuts:
                    if index in reported:
                        continue
                    reported.add(index)
                    call = next(c for c in scope.calls if c.index == index)
                    yield output.site(path, scope, index, words=(("advice", _advice(facts, path, scope, call)),))

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        if "gradient" in parts:
            line = event.related[0].span.start.line
            return (f"{parts['operation']} has no gradient, and every path from the trainable values to "
                    f"{parts['target']} of {parts['gradient']} (line {line}) goes through it: the gradient is None; {parts['advice']}")
        return (f"{parts['operation']} has no gradient, and the return of '{parts['function']}' depends on the "
                f"differentiated values only through it: its gradient is None; {event.context}; {parts['advice']}")


def _advice(facts: Facts, path: str, scope, call) -> str:
    qualified = facts.effect(path, scope, call).qualified
    return ADVICE.get(qualified.rsplit(".", 1)[-1], DEFAULT_ADVICE)
