from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls, tape_name, tape_related


class InnerGradientOutsideOuterTape(Rule):
    code = "TFG206"
    name = "inner-gradient-outside-outer-tape"
    severity = Severity.ERROR
    summary = "a higher-order gradient whose inner gradient is computed outside the outer tape's block"
    why = (
        "For a second derivative the outer tape must record the inner tape's gradient\n"
        "computation: `inner.gradient` has to run inside the outer `with` block. Called\n"
        "after the outer block ended, the first derivative is a constant to the outer\n"
        "tape and `outer.gradient(dy, x)` is None. See the\n"
        f"{GUIDE},\nand the Advanced automatic differentiation guide, section \"Higher-order gradients\"."
    )
    example = (
        "with tf.GradientTape() as outer:\n"
        "    with tf.GradientTape() as inner:\n"
        "        y = x ** 3\n"
        "dy_dx = inner.gradient(y, x)\n"
        "d2y_dx2 = outer.gradient(dy_dx, x)  # None"
    )
    use_instead = (
        "with tf.GradientTape() as outer:\n"
        "    with tf.GradientTape() as inner:\n"
        "        y = x ** 3\n"
        "    dy_dx = inner.gradient(y, x)\n"
        "d2y_dx2 = outer.gradient(dy_dx, x)  # 6 * x"
    )
    false_positives = (
        "Reported only when the inner gradient is the outer gradient's only path from its\n"
        "source, both in the same function (see TFG201 for the walk)."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nx = tf.Variable(2.0)\n"
        "with tf.GradientTape() as outer:\n"
        "    with tf.GradientTape() as inner:\n"
        "        y = x ** 3\n"
        "    dy = inner.gradient(y, x)\n"
        "d2y = outer.gradient(dy, x)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nx = tf.Variable(2.0)\n"
            "with tf.GradientTape() as outer:\n"
            "    with tf.GradientTape() as inner:\n"
            "        y = x ** 3\n"
            "dy = inner.gradient(y, x)\n"
            "d2y = outer.gradient(dy, x)  # expect: TFG206\n",
            "outer.gradient(dy, x): its target comes from inner.gradient(y, x) (line 6), computed after the block of tape "
            "'outer' (line 3) ended: the second derivative is None; call inner.gradient inside the outer with block",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            cut = next((c for c in facts.unrecorded_paths(tape, gradient) if c.other_gradient), None)
            if cut is not None:
                yield Site(
                    tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call), ("inner", cut.locator)),
                    words=(("tape", tape_name(tape)), ("when", "before" if cut.before else "after")),
                    related=((tape.path, cut.locator, "the inner gradient"), tape_related(tape)),
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        inner_line, tape_line = (related.span.start.line for related in event.related)
        timing = "began" if parts["when"] == "before" else "ended"
        when = "before" if parts["when"] == "before" else "after"
        inner = parts["inner"].split("(", 1)[0]
        return (f"{parts['call']}: its target comes from {parts['inner']} (line {inner_line}), computed {when} the block of "
                f"tape '{parts['tape']}' (line {tape_line}) {timing}: the second derivative is None; "
                f"call {inner} inside the outer with block")
