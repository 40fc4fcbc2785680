from __future__ import annotations

from ..findings import Severity
from ..analysis.facts import Facts
from .base import NUMPY_CALL, Invalid, Rule, RoundTrip, advice, tensor


class NumpyCallOnTensor(Rule):
    code = "TFG001"
    name = "numpy-call-on-tensor"
    severity = Severity.ERROR
    summary = "numpy/math/scipy function applied to a tensor in differentiated code cuts the gradient"
    why = (
        "In eager mode numpy converts the tensor to an ndarray, computes on the host and\n"
        "returns an ndarray. TensorFlow sees a constant: the GradientTape records nothing\n"
        "for that path, so the gradient of everything computed from it is silently dropped\n"
        "(None, or only the terms that did not pass through numpy). No error is raised.\n"
        "In the original report the optimiser saw only the entropy term of the ELBO: the\n"
        "gradient on `scale` was exactly -1/scale and the fitted scale drifted to 6.9\n"
        "instead of settling at 2.747."
    )
    example = (
        "def log_prob(x):\n"
        "    return np.log(1e-30 + np.exp(-x**2 / 2))\n"
        "\n"
        "loss = tfp.vi.monte_carlo_variational_loss(log_prob, q, sample_size=100)"
    )
    use_instead = (
        "def log_prob(x):\n"
        "    return tf.math.log(1e-30 + tf.exp(-x**2 / 2))"
    )
    false_positives = (
        "The value is tracked by data flow from tensor sources (parameters the API fills\n"
        "with tensors, tf.Variables, Keras layers, TensorFlow calls). Constants (np.pi,\n"
        "np.sqrt(2*np.pi)), shapes, dtypes and len() are never tensors. A helper that is\n"
        "called with a tensor from one differentiated caller and with an ndarray from\n"
        "another is analysed once for both (context-insensitive), which can flag the\n"
        "ndarray use. If the function is wrapped in tf.py_function/tf.numpy_function on\n"
        "purpose, suppress with `# noqa: TFG001`."
    )
    fixes = (NUMPY_CALL,)
    valid = (
        "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.exp(w) * np.sqrt(2 * np.pi)\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = np.exp(w)  # expect: TFG001\n"
            "grad = tape.gradient(loss, w)\n",
            "np.exp on tensor 'w' cuts the gradient: inside the tf.GradientTape block (line 4); use tf.exp",
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = tf.exp(w)  # expect: TFG001\n"
            "grad = tape.gradient(loss, w)\n",
        ),
        Invalid(  # the value of the previous iteration reaches the loss
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    h, loss = w, 0.0\n"
            "    for _ in range(3):\n"
            "        loss += tf.reduce_sum(h)\n"
            "        h = np.tanh(h)  # expect: TFG001\n"
            "grad = tape.gradient(loss, w)\n",
            "np.tanh on tensor 'h' cuts the gradient",
            "import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    h, loss = w, 0.0\n"
            "    for _ in range(3):\n"
            "        loss += tf.reduce_sum(h)\n"
            "        h = tf.tanh(h)  # expect: TFG001\n"
            "grad = tape.gradient(loss, w)\n",
        ),
    )

    def check(self, facts: Facts):
        return [rt for rt in facts.round_trips if rt.kind == NUMPY_CALL and rt.on_output_path]

    def message(self, event: RoundTrip) -> str:
        return (
            f"{event.api} on {tensor(event)} cuts the gradient: {event.context}; "
            f"{advice(event, 'compute it with TensorFlow ops')}"
        )
