from __future__ import annotations

from ..analysis.calls import slot_argument
from ..analysis.facts import Facts
from ..findings import Severity
from ..ir.model import Result
from .base import Invalid, Occurrence, Rule, Site

NORMS = frozenset({"tensorflow.norm", "tensorflow.linalg.norm", "keras.backend.sqrt", "tensorflow.sqrt"})
# Calls whose result is all zeros, and variables' constructors (their initial value decides).
ZEROS = frozenset({"tensorflow.zeros", "tensorflow.zeros_like"})
VARIABLES = frozenset({"tensorflow.Variable"})


class NormOfZero(Rule):
    code = "TFG307"
    name = "norm-of-zero"
    severity = Severity.WARNING
    summary = "tf.norm or tf.sqrt of a variable that starts at exactly zero: its gradient there is NaN or infinite"
    why = (
        "The Euclidean norm is not differentiable at 0: tf.norm(w) of an all-zero w has a\n"
        "NaN gradient and tf.sqrt(w) an infinite one, so a variable initialised with\n"
        "tf.zeros turns NaN at the very first step (and so does everything it touches).\n"
        "See the TensorFlow guide \"Introduction to gradients and automatic\n"
        "differentiation\", section \"Cases where gradient returns None\"\n"
        "(https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "w = tf.Variable(tf.zeros([3]))\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.norm(w)\n"
        "grad = tape.gradient(loss, w)"
    )
    use_instead = (
        "w = tf.Variable(tf.zeros([3]))\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.sqrt(tf.reduce_sum(tf.square(w)) + 1e-12)\n"
        "grad = tape.gradient(loss, w)"
    )
    false_positives = (
        "Only a norm or square root applied to a plain name holding a tf.Variable\n"
        "initialised with tf.zeros, tf.zeros_like or a zero literal is reported; a zero the\n"
        "analysis cannot see (distances between identical points, a difference that\n"
        "vanishes) is not."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nw = tf.Variable(tf.ones([3]))\n"
        "with tf.GradientTape() as tape:\n    loss = tf.norm(w)\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(tf.zeros([3]))\n"
            "with tf.GradientTape() as tape:\n    loss = tf.norm(w)  # expect: TFG307\n"
            "grad = tape.gradient(loss, w)\n",
            "tf.norm(w) is taken of 'w', which starts at exactly zero (line 2): its gradient there is NaN or infinite; "
            "use tf.sqrt(tf.reduce_sum(tf.square(w)) + 1e-12)",
        ),
    )

    def check(self, facts: Facts):
        for path, scope_id in facts.differentiated_scopes():
            scope = facts.modules[path].scopes[scope_id]
            for call in scope.calls:
                if facts.effect(path, scope, call).qualified not in NORMS or not call.args:
                    continue
                value = call.args[0]
                if value.ref is None or value.ref.dotted is None or len(value.deps) != 1:
                    continue
                made = facts.made_by(path, scope, value.deps[0])
                if (made is None or not _starts_at_zero(facts, path, *made)
                        or not facts.on_output_path(path, scope_id, call.index)):
                    continue
                yield Site(path, scope_id, call.index, quotes=(("operation", call.index),),
                           words=(("value", value.ref.dotted),),
                           related=((path, made[1].index, f"'{value.ref.dotted}' starts at zero here"),))

    def message(self, event: Occurrence) -> str:
        value = event.parts["value"]
        line = event.related[0].span.start.line
        return (f"{event.parts['operation']} is taken of '{value}', which starts at exactly zero (line {line}): its "
                f"gradient there is NaN or infinite; use tf.sqrt(tf.reduce_sum(tf.square({value})) + 1e-12)")


def _starts_at_zero(facts: Facts, path: str, scope, call) -> bool:
    """Whether a call makes a tf.Variable whose initial value is all zeros."""
    if facts.effect(path, scope, call).qualified not in VARIABLES:
        return False
    initial = slot_argument(call, 0, "initial_value")
    if initial is None:
        return False
    if initial.constant in (0, 0.0) and type(initial.constant) in (int, float):
        return True
    if len(initial.deps) != 1 or type(initial.deps[0]) is not Result:
        return False
    maker = next((c for c in scope.calls if c.index == initial.deps[0].index), None)
    return maker is not None and facts.effect(path, scope, maker).qualified in ZEROS
