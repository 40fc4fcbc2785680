from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls, tape_name, tape_related, value_name


class TargetOutsideRecording(Rule):
    code = "TFG201"
    name = "target-computed-outside-recording"
    severity = Severity.ERROR
    summary = "the target of tape.gradient() reaches a source only through ops computed outside the tape's block"
    why = (
        "A tape records the operations run inside its `with` block, and only those.\n"
        "An op computed before the block began (the forward pass `pred = model(x)`\n"
        "written above the `with`) or after it ended (`neg = -loss`,\n"
        "`tape.gradient(-loss, w)`, `tape.gradient(tf.reduce_mean(loss), w)`) is a\n"
        "constant to the tape: when every path from a source to the target passes\n"
        "through such an op the gradient is None (Keras: \"No gradients provided for\n"
        "any variable\"), and when some do, those terms are silently lost. The\n"
        f"{GUIDE},\nlists it under \"Cases where gradient returns None\"."
    )
    example = (
        "pred = model(x)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = loss_fn(y, pred)\n"
        "grads = tape.gradient(-loss, model.trainable_variables)"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    pred = model(x)\n"
        "    loss = -loss_fn(y, pred)\n"
        "grads = tape.gradient(loss, model.trainable_variables)"
    )
    false_positives = (
        "Reported only when the source is named in the same function as the tape's\n"
        "block and the cut is an operation: a TensorFlow call, `sum`, an operator\n"
        "expression, or a call that reads the source or a differentiable tensor.\n"
        "Helpers and containers are walked through, and a source also reached\n"
        "through a recorded op is never reported, so a value the helper reads from a\n"
        "closure may hide a finding but never makes one. Data prepared before the\n"
        "tape on purpose (a GAN's generated batch fed to the discriminator's tape) is\n"
        "silent: the discriminator's variables are read inside the block."
    )
    fixes = ()
    valid = (
        # the forward pass inside the block
        "import tensorflow as tf\nw = tf.Variable(1.0)\nx = tf.constant(2.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = -tf.reduce_sum(w * x)\n"
        "grad = tape.gradient(loss, w)\n",
        # data prepared before the tape: the source is read inside
        "import tensorflow as tf\nw = tf.Variable(1.0)\nx = tf.constant(2.0) * 3.0\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(w * x)\n"
        "grad = tape.gradient(loss, w)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "pred = w * 2.0\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = tf.reduce_sum(pred)\n"
            "grad = tape.gradient(loss, w)  # expect: TFG201\n",
            "tape.gradient(loss, w): the target reaches source 'w' only through 'pred = w * 2.0' (line 3), computed "
            "before tape 'tape' (line 4) began recording: the gradient is None; compute it inside the with block",
        ),
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = tf.reduce_sum(w * w)\n"
            "grad = tape.gradient(-loss, w)  # expect: TFG201\n",
            "tape.gradient(-loss, w): the target is an operation computed outside the block of tape 'tape' "
            "(line 3), which does not record it: the gradient is None; compute it inside the with block",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            cuts = facts.unrecorded_paths(tape, gradient)
            if not cuts or any(cut.other_gradient for cut in cuts):
                continue  # none, or a higher-order derivative taken outside the outer tape: TFG206
            cut = cuts[0]  # one finding per gradient call
            source = value_name(facts, tape, gradient, cut.source)
            quotes = (("call", gradient.call),) + ((("cut", cut.locator),) if cut.locator != gradient.call else ())
            yield Site(
                tape.path, gradient.scope, gradient.call, quotes=quotes,
                words=(("tape", tape_name(tape)), ("source", source), ("when", "before" if cut.before else "after")),
                related=((tape.path, cut.locator, "computed outside the recording here"), tape_related(tape)),
            )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        tape = f"tape '{parts['tape']}' (line {event.related[1].span.start.line})"
        fix = "the gradient is None; compute it inside the with block"
        if "cut" not in parts:
            return f"{parts['call']}: the target is an operation computed outside the block of {tape}, which does not record it: {fix}"
        timing = f"before {tape} began recording" if parts["when"] == "before" else f"after the block of {tape} ended"
        source = f"source '{parts['source']}'" if parts["source"] else "the source"
        return (f"{parts['call']}: the target reaches {source} only through '{parts['cut']}' "
                f"(line {event.related[0].span.start.line}), computed {timing}: {fix}")
