from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site


class GradientInsidePersistentRecording(Rule):
    code = "TFG205"
    name = "gradient-inside-persistent-recording"
    severity = Severity.WARNING
    summary = "gradient() of a persistent tape called inside that tape's own recording block"
    why = (
        "A persistent tape keeps recording until its `with` block ends, so a gradient\n"
        "asked inside the block is itself recorded: every op of the backward pass is kept\n"
        "on the tape, costing memory and time on every step. TensorFlow only logs a\n"
        "warning, once. A non-persistent tape stops recording at its gradient call\n"
        "instead, so this rule is about persistent tapes only."
    )
    example = (
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    loss_a = f(w)\n"
        "    loss_b = g(w)\n"
        "    grad_a = tape.gradient(loss_a, w)\n"
        "    grad_b = tape.gradient(loss_b, w)"
    )
    use_instead = (
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    loss_a = f(w)\n"
        "    loss_b = g(w)\n"
        "grad_a = tape.gradient(loss_a, w)\n"
        "grad_b = tape.gradient(loss_b, w)\n"
        "del tape"
    )
    false_positives = (
        "Recording the gradient is what a higher-order derivative taken with the same\n"
        "tape needs, so a gradient whose result a later gradient of the same tape\n"
        "differentiates is not reported (nesting two tapes makes that intent clearer).\n"
        "A gradient asked in a helper the block calls is not seen."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    loss = w * w\n"
        "grad = tape.gradient(loss, w)\n",
        # a non-persistent tape stops recording at its gradient call
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = w * w\n"
        "    grad = tape.gradient(loss, w)\n",
        # the same tape differentiates its own gradient: a higher-order derivative
        "import tensorflow as tf\nx = tf.Variable(2.0)\n"
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    y = x ** 3\n"
        "    dy = tape.gradient(y, x)\n"
        "d2y = tape.gradient(dy, x)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape(persistent=True) as tape:\n"
            "    loss_a = w * w\n"
            "    loss_b = 3.0 * w\n"
            "    grad_a = tape.gradient(loss_a, w)  # expect: TFG205\n"
            "    grad_b = tape.gradient(loss_b, w)  # expect: TFG205\n",
            "is called inside the recording block of persistent tape 'tape' (line 3): "
            "the backward pass is recorded too; call it after the block",
        ),
    )

    def check(self, facts: Facts):
        for tape in facts.tapes:
            if tape.persistent is not True:
                continue
            for gradient in tape.gradients:
                if gradient.inside_block and not any(
                    facts.depends_on(tape.path, later.scope, later.targets, gradient.call)
                    for later in tape.gradients if later.scope == gradient.scope and later.order > gradient.order
                ):
                    yield Site(
                        tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call),),
                        words=(("tape", tape.name or "the tape"),),
                        related=((tape.path, tape.identity, "the persistent tape is made here"),),
                    )

    def message(self, event: Occurrence) -> str:
        tape_line = event.related[0].span.start.line
        return (
            f"{event.parts['call']} is called inside the recording block of persistent tape "
            f"'{event.parts['tape']}' (line {tape_line}): the backward pass is recorded too; call it after the block"
        )
