from __future__ import annotations

from ..findings import Severity
from ..analysis.facts import Facts
from .base import CONVERSION, Invalid, Rule, RoundTrip, advice, tensor


class HostConversionOfTensor(Rule):
    code = "TFG002"
    name = "host-conversion-of-tensor"
    severity = Severity.ERROR
    summary = ".numpy(), np.asarray() or float()/int()/bool() of a tensor in differentiated code cuts the gradient"
    why = (
        "`.numpy()`, `np.array`/`np.asarray` and the Python scalar conversions copy the\n"
        "tensor's value to the host. The copy has no history on the GradientTape, so any\n"
        "gradient computed through it is None or silently missing that path. Under\n"
        "tf.function the same line raises, so the code also cannot be compiled."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    pred = model(x)\n"
        "    loss = tf.reduce_mean((y - pred.numpy()) ** 2)\n"
        "grads = tape.gradient(loss, model.trainable_variables)"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    pred = model(x)\n"
        "    loss = tf.reduce_mean((y - pred) ** 2)"
    )
    false_positives = (
        "Only values that reach the differentiated output are reported here; a\n"
        "conversion used for logging or an assertion is TFG101. A conversion of an\n"
        "integer tensor used as a Python count is reported when it feeds the output;\n"
        "use tf.get_static_value or the static shape for such counts."
    )
    fixes = (CONVERSION,)
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = w * w\n"
        "grad = tape.gradient(loss, w)\n"
        "print(grad.numpy(), float(loss))\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = w.numpy() * w  # expect: TFG002\n"
            "grad = tape.gradient(loss, w)\n",
            ".numpy() of tensor 'w' cuts the gradient: inside the tf.GradientTape block (line 3); "
            "keep the tensor (tf.cast if a dtype change is needed)",
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = w * w  # expect: TFG002\n"
            "grad = tape.gradient(loss, w)\n",
        ),
        Invalid(  # a helper that rebinds its parameter, reached from the tape
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "def to_host(t):\n"
            "    t = t.numpy()  # expect: TFG002\n"
            "    return t\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = to_host(w * 2.0)\n"
            "grad = tape.gradient(loss, w)\n",
            ".numpy() of tensor 't' cuts the gradient: to_host is reached from the tf.GradientTape block (line 6)",
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "def to_host(t):\n"
            "    t = t  # expect: TFG002\n"
            "    return t\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = to_host(w * 2.0)\n"
            "grad = tape.gradient(loss, w)\n",
        ),
    )

    def check(self, facts: Facts):
        return [rt for rt in facts.round_trips if rt.kind == CONVERSION and rt.on_output_path]

    def message(self, event: RoundTrip) -> str:
        return (
            f"{event.api} of {tensor(event)} cuts the gradient: {event.context}; "
            f"{advice(event, 'keep the tensor (tf.cast if a dtype change is needed)')}"
        )
