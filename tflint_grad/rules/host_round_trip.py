from __future__ import annotations

from ..findings import Severity
from ..analysis.facts import Facts
from .base import CONVERSION, NUMPY_CALL, Invalid, Rule, RoundTrip, advice, tensor


class HostRoundTripOffGradientPath(Rule):
    code = "TFG101"
    name = "host-round-trip-off-gradient-path"
    severity = Severity.WARNING
    summary = "numpy/host round-trip of a tensor in differentiated code, off the gradient path"
    why = (
        "The result does not reach the differentiated output (an assertion, a log line,\n"
        "a boolean check), so the gradient is intact. But the line copies the tensor to\n"
        "the host on every call, forcing a device sync, and it raises as soon as the\n"
        "function is traced by tf.function (Keras compiles train_step, TFP's MCMC and VI\n"
        "drivers are usually wrapped in tf.function)."
    )
    example = (
        "def log_prob(x):\n"
        "    logp = tf.math.log(p(x))\n"
        "    assert np.all(np.isfinite(logp))\n"
        "    return logp"
    )
    use_instead = (
        "def log_prob(x):\n"
        "    logp = tf.math.log(p(x))\n"
        "    tf.debugging.assert_all_finite(logp, 'log p is not finite')\n"
        "    return logp"
    )
    false_positives = (
        "Code that only ever runs eagerly pays a device sync but is otherwise correct;\n"
        "suppress with `# noqa: TFG101` or `--ignore TFG1`. Bodies of tf.custom_gradient\n"
        "functions are reported here (not as cuts) because their gradient is the one\n"
        "the user defines."
    )
    fixes = (NUMPY_CALL, CONVERSION)
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = w * w\n"
        "    tf.debugging.assert_all_finite(loss, 'bad')\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = w * w\n"
            "    assert np.isfinite(loss)  # expect: TFG101\n"
            "grad = tape.gradient(loss, w)\n",
            "np.isfinite of tensor 'loss' is a host round-trip (inside the tf.GradientTape block (line 4)); "
            "the gradient is intact but it syncs the device and breaks under tf.function",
            None,
        ),
        Invalid(  # the converted value is overwritten before the loss reads it
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    y = w.numpy()  # expect: TFG101\n"
            "    print(y)\n"
            "    y = w * 2.0\n"
            "    loss = y\n"
            "grad = tape.gradient(loss, w)\n",
            ".numpy() of tensor 'w' is a host round-trip",
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    y = w  # expect: TFG101\n"
            "    print(y)\n"
            "    y = w * 2.0\n"
            "    loss = y\n"
            "grad = tape.gradient(loss, w)\n",
        ),
    )

    def check(self, facts: Facts):
        return [rt for rt in facts.round_trips if not rt.on_output_path]

    def message(self, event: RoundTrip) -> str:
        return (
            f"{event.api} of {tensor(event)} is a host round-trip ({event.context}); "
            f"the gradient is intact but it syncs the device and breaks under tf.function; "
            f"{advice(event, 'use a TensorFlow op (tf.debugging.* for checks)')}"
        )
