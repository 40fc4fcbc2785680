from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, differentiated_entries, gradient_calls, tape_name, tape_related, value_name


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
        "any variable\"), and when some do, those terms are silently lost. A loss\n"
        "callable given to `minimize` (Keras or `tfp.math.minimize`) that returns a tensor\n"
        "computed before it was handed over is the same mistake: the optimiser calls it\n"
        "under its own tape and gets the same constant every step. The\n"
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
        "silent: the discriminator's variables are read inside the block. A loss callable\n"
        "is reported only when it has no parameters and no calls and returns names its\n"
        "enclosing function binds to TensorFlow ops or operator expressions."
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
            "loss = tf.reduce_sum(w ** 2)\n"
            "opt = tf.keras.optimizers.SGD(0.1)\n"
            "opt.minimize(lambda: loss, [w])  # expect: TFG201\n",
            "lambda: loss, the loss given to opt.minimize (line 5), returns 'loss', computed outside it by "
            "'loss = tf.reduce_sum(w ** 2)' (line 3): every step differentiates the same constant and the gradient "
            "is None; compute the loss inside the callable",
        ),
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
        for path, scope, reason in differentiated_entries(facts):
            for name, statement in facts.closed_over_tensors(path, scope.id)[:1]:
                yield Site(
                    path, scope.id, scope.index, quotes=(("callable", scope.index), ("tensor", statement)),
                    words=(("api", reason.api), ("name", name)),
                    related=((path, statement, "computed here"), (path, reason.index, "handed over here")),
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        if "callable" in parts:
            computed, handed = (related.span.start.line for related in event.related)
            return (f"{parts['callable']}, the loss given to {parts['api']} (line {handed}), returns '{parts['name']}', "
                    f"computed outside it by '{parts['tensor']}' (line {computed}): every step differentiates the same "
                    "constant and the gradient is None; compute the loss inside the callable")
        tape = f"tape '{parts['tape']}' (line {event.related[1].span.start.line})"
        fix = "the gradient is None; compute it inside the with block"
        if "cut" not in parts:
            return f"{parts['call']}: the target is an operation computed outside the block of {tape}, which does not record it: {fix}"
        timing = f"before {tape} began recording" if parts["when"] == "before" else f"after the block of {tape} ended"
        source = f"source '{parts['source']}'" if parts["source"] else "the source"
        return (f"{parts['call']}: the target reaches {source} only through '{parts['cut']}' "
                f"(line {event.related[0].span.start.line}), computed {timing}: {fix}")
