from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.watching import SourceKind
from ..findings import Severity
from ..ir.model import positional_args
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls

MEANT_AS_OPTION = "UnconnectedGradients"  # tf.UnconnectedGradients.ZERO: the fourth parameter, given third


class PositionalOutputGradients(Rule):
    code = "TFG208"
    name = "positional-output-gradients"
    severity = Severity.ERROR
    summary = "a Variable or an UnconnectedGradients option as the third positional argument of gradient() (output_gradients)"
    why = (
        "The third parameter of `tape.gradient(target, sources, output_gradients, \n"
        "unconnected_gradients)` is `output_gradients`: the upstream gradient the result\n"
        "is multiplied by. A Variable given there (`tape.gradient(loss, w, b)`, meant as a\n"
        "second source) silently scales the gradient of `w` by the value of `b` and\n"
        "returns no gradient for `b`; `tf.UnconnectedGradients.ZERO` given there fails or\n"
        "scales by its enum value. See the\n"
        f"{GUIDE},\nsection \"Gradients of non-scalar targets\", and the `GradientTape.gradient` reference."
    )
    example = "grad_w, grad_b = tape.gradient(loss, w, b)"
    use_instead = "grad_w, grad_b = tape.gradient(loss, [w, b])"
    false_positives = (
        "Reported only when the third positional argument is a `tf.Variable` made in the\n"
        "same function, or names `UnconnectedGradients`; an upstream gradient passed\n"
        "there on purpose (`tf.ones_like(y)`, a vector for a vector-Jacobian product) is\n"
        "silent, though `output_gradients=` says so more clearly."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nw = tf.Variable([1.0, 2.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    y = w * w\n"
        "vjp = tape.gradient(y, w, tf.ones_like(y))\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\nb = tf.Variable(0.5)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = w * 3.0 + b\n"
            "grads = tape.gradient(loss, w, b)  # expect: TFG208\n",
            "tape.gradient(loss, w, b): the third positional argument 'b' is output_gradients, which multiplies "
            "the gradient; a tf.Variable there is meant as a source: pass the sources as one list",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            call = facts.call(tape.path, gradient.scope, gradient.call)
            positional = positional_args(call) if call is not None else []
            if len(positional) < 3:
                continue
            third = positional[2]
            name = third.ref.dotted if third.ref is not None else None
            if name is not None and MEANT_AS_OPTION in name:
                meant = "it is an unconnected_gradients option: pass it by keyword, unconnected_gradients=..."
            elif len(third.deps) == 1 and facts.source_kind(tape.path, gradient.scope, third.deps[0]) is SourceKind.VARIABLE:
                meant = "a tf.Variable there is meant as a source: pass the sources as one list"
            else:
                continue
            yield Site(tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call),),
                       words=(("argument", name or "the third argument"), ("meant", meant)))

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        return (f"{parts['call']}: the third positional argument '{parts['argument']}' is output_gradients, "
                f"which multiplies the gradient; {parts['meant']}")
