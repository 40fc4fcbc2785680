from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from ..ir.model import Free, Local
from .base import Invalid, Occurrence, Rule, Site
from .outputs import name_of


class GradientWrtIntegerSource(Rule):
    code = "TFG302"
    name = "gradient-wrt-integer-source"
    severity = Severity.ERROR
    summary = "a gradient asked with respect to an integer or boolean Variable or tensor"
    why = (
        "Integer and boolean tensors have no gradient: a gradient asked with respect to\n"
        "tf.Variable(3) or a watched tf.constant(1) is None, and TensorFlow only logs a\n"
        "warning (\"The dtype of the source tensor must be floating\"). The literal's type\n"
        "decides the dtype when none is given, so tf.Variable(0) is an int32 variable.\n"
        "See the TensorFlow guide \"Introduction to gradients and automatic\n"
        "differentiation\", section \"Cases where gradient returns None\"\n"
        "(https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "bias = tf.Variable(0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum((x + tf.cast(bias, tf.float32) - 1.0) ** 2)\n"
        "grad = tape.gradient(loss, bias)"
    )
    use_instead = (
        "bias = tf.Variable(0.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum((x + bias - 1.0) ** 2)\n"
        "grad = tape.gradient(loss, bias)"
    )
    false_positives = (
        "Only a source the analysis sees made, with an integer or boolean dtype given or an\n"
        "int/bool literal and no dtype, is reported; a dtype computed at run time, a list\n"
        "literal (tf.Variable([1, 2])) and a source made in another function are not seen."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nbias = tf.Variable(0.0)\n"
        "with tf.GradientTape() as tape:\n    loss = (bias - 1.0) ** 2\n"
        "grad = tape.gradient(loss, bias)\n",
        # an integer literal with a float dtype
        "import tensorflow as tf\nx = tf.constant(3, dtype=tf.float32)\n"
        "with tf.GradientTape() as tape:\n    tape.watch(x)\n    y = x * x\n"
        "grad = tape.gradient(y, x)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nx = tf.constant(3)\n"
            "with tf.GradientTape() as tape:\n    tape.watch(x)\n    y = tf.cast(x, tf.float32) ** 2\n"
            "grad = tape.gradient(y, x)  # expect: TFG302\n",
            "tape.gradient asks for the gradient with respect to 'x', an integer or boolean tensor made by "
            "tf.constant (line 2): it is None (TensorFlow only logs a warning); make it floating",
        ),
    )

    def check(self, facts: Facts):
        for tape in facts.tapes:
            for gradient in tape.gradients:
                scope = facts.modules[tape.path].scopes[gradient.scope]
                for atom in gradient.sources:
                    if type(atom) not in (Local, Free):
                        continue
                    made = facts.made_by(tape.path, scope, atom)
                    if made is None or not facts.makes_discrete_dtype(tape.path, made[0], made[1]):
                        continue
                    name = name_of(scope, (atom,))
                    yield Site(
                        tape.path, gradient.scope, gradient.call,
                        words=(("gradient", f"{tape.name or 'tape'}.{gradient.method}"), ("source", name),
                               ("maker", made[1].callee or "a call")),
                        related=((tape.path, made[1].index, f"'{name}' is made here"),),
                    )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        line = event.related[0].span.start.line
        return (f"{parts['gradient']} asks for the gradient with respect to '{parts['source']}', an integer or boolean "
                f"tensor made by {parts['maker']} (line {line}): it is None (TensorFlow only logs a warning); "
                f"make it floating (a float literal such as 0.0, or dtype=tf.float32)")
