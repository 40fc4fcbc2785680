from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.tables.effects import Tag
from ..findings import Severity
from .base import Invalid, Occurrence, Rule
from .outputs import differentiated_outputs

# Host callbacks TensorFlow registers no gradient for.  ``tf.py_function`` is
# not one: its Python function is differentiated code (the entry-point table).
NO_GRADIENT_CALLBACKS = frozenset({"tensorflow.numpy_function", "tensorflow.py_func"})


class HostCallbackOnGradientPath(Rule):
    code = "TFG305"
    name = "host-callback-on-gradient-path"
    severity = Severity.ERROR
    summary = "tf.numpy_function or tf.py_func between a trainable value and the differentiated output"
    why = (
        "tf.numpy_function and tf.py_func run Python on numpy arrays and have no gradient:\n"
        "whatever flows through them reaches the output as a constant, so tape.gradient\n"
        "returns None for the sources behind them (or Keras reports \"No gradients provided\n"
        "for any variable\"). tf.py_function differentiates through the TensorFlow\n"
        "operations its function runs, so its numpy calls are checked as gradient cuts\n"
        "(TFG001/TFG002) instead. See the TensorFlow guide \"Introduction to gradients and\n"
        "automatic differentiation\", section \"Cases where gradient returns None\"\n"
        "(https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "def penalty(v):\n"
        "    return np.sum(np.abs(v)).astype(np.float32)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.numpy_function(penalty, [w], tf.float32)\n"
        "grad = tape.gradient(loss, w)"
    )
    use_instead = (
        "def penalty(v):\n"
        "    return tf.reduce_sum(tf.abs(v))\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = penalty(w)\n"
        "grad = tape.gradient(loss, w)"
    )
    false_positives = (
        "Only a callback whose input carries a gradient and whose result reaches the\n"
        "differentiated output is reported: one that logs, or computes a metric or data,\n"
        "is silent. A callback wrapped in a tf.custom_gradient body defines its own\n"
        "gradient and is not reported. A Keras layer's or model's call is not taken as\n"
        "the output (it may serve inference only)."
    )
    fixes = ()
    valid = (
        # a metric computed on the host, beside the loss
        "import numpy as np\nimport tensorflow as tf\nw = tf.Variable([1.0, -2.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(w ** 2)\n"
        "    norm = tf.numpy_function(lambda v: np.linalg.norm(v).astype(np.float32), [w], tf.float32)\n"
        "grad = tape.gradient(loss, w)\n",
        # tf.py_function over TensorFlow operations is differentiable
        "import tensorflow as tf\nw = tf.Variable([1.0, -2.0])\n"
        "def penalty(v):\n    return tf.reduce_sum(tf.abs(v))\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.py_function(penalty, [w], tf.float32)\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable([1.0, -2.0])\n"
            "def penalty(v):\n    return np.sum(np.abs(v)).astype(np.float32)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = tf.numpy_function(penalty, [w], tf.float32)  # expect: TFG305\n"
            "grad = tape.gradient(loss, w)\n",
            "tf.numpy_function(penalty, ...) has no gradient, and the target 'loss' of tape.gradient "
            "(line 8) depends on it: the gradient through it is None; compute it with TensorFlow operations",
        ),
    )

    def check(self, facts: Facts):
        for path, scope_id in facts.differentiated_scopes():
            scope = facts.modules[path].scopes[scope_id]
            callbacks = [call for call in scope.calls if Tag.HOST_CALLBACK in facts.effect(path, scope, call).tags
                         and facts.effect(path, scope, call).qualified in NO_GRADIENT_CALLBACKS
                         and facts.carries_gradient(path, scope_id, call.index)
                         and facts.on_output_path(path, scope_id, call.index)]
            if not callbacks:
                continue
            outputs = differentiated_outputs(facts, path, scope)
            for call in callbacks:
                output = next((o for o in outputs if facts.depends_on(path, scope_id, o.deps, call.index)), None)
                if output is not None:
                    yield output.site(path, scope, call.index, words=(("callback", _written(call)),))

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        advice = "compute it with TensorFlow operations (tf.py_function differentiates through them)"
        if "gradient" in parts:
            line = event.related[0].span.start.line
            return (f"{parts['callback']} has no gradient, and {parts['target']} of {parts['gradient']} (line {line}) "
                    f"depends on it: the gradient through it is None; {advice}")
        return (f"{parts['callback']} has no gradient, and the return of '{parts['function']}' depends on it: "
                f"the gradient through it is None; {event.context}; {advice}")


def _written(call) -> str:
    """``tf.numpy_function(penalty, ...)``: the callback as written, with the function it runs."""
    function = call.args[0].ref.dotted if call.args and call.args[0].ref and call.args[0].ref.dotted else None
    return f"{call.callee or 'the callback'}({function}, ...)" if function else (call.callee or "the callback")
