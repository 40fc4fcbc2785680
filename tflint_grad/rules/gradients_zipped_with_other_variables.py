from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, collection, mismatched


class GradientsZippedWithOtherVariables(Rule):
    code = "TFG210"
    name = "gradients-zipped-with-other-variables"
    severity = Severity.ERROR
    summary = "apply_gradients(zip(grads, variables)) where grads were taken with respect to another collection"
    why = (
        "`zip` pairs the gradients with the variables by position and stops at the shorter\n"
        "list. Gradients taken with respect to one collection (`generator.trainable_variables`)\n"
        "and zipped with another (`discriminator.trainable_variables`) update each variable\n"
        "with some other variable's gradient, or raise a shape error, or silently leave\n"
        "variables untouched; the network being differentiated never learns. See the\n"
        f"{GUIDE},\nand the Keras guide \"Writing a training loop from scratch\"."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    loss = generator_loss(discriminator(generator(noise)))\n"
        "grads = tape.gradient(loss, generator.trainable_variables)\n"
        "optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    loss = generator_loss(discriminator(generator(noise)))\n"
        "grads = tape.gradient(loss, generator.trainable_variables)\n"
        "optimizer.apply_gradients(zip(grads, generator.trainable_variables))"
    )
    false_positives = (
        "Reported only when both sides are written as `<object>.<collection>` (the\n"
        "`trainable_variables`, `variables` or `non_trainable_variables` of a layer or\n"
        "model, or their `*_weights` names) and the objects' last names differ, or the\n"
        "collections hold different variables; a name bound to a list is never compared.\n"
        "Two names for one model (`model = self.model`) are reported: use one name."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\n"
        "def step(model, optimizer, x):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_sum(model(x))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_weights))\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\n"
            "def step(generator, discriminator, optimizer, noise):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = -tf.reduce_mean(discriminator(generator(noise)))\n"
            "    grads = tape.gradient(loss, generator.trainable_variables)\n"
            "    optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))  # expect: TFG210\n",
            "optimizer.apply_gradients(zip(grads, ...: the gradients of 'generator.trainable_variables' (line 5) are "
            "zipped with 'discriminator.trainable_variables': each variable gets another one's gradient; "
            "zip them with generator.trainable_variables",
        ),
    )

    def check(self, facts: Facts):
        for applied in facts.applied_gradients:
            if mismatched(applied.sources_named, applied.variables_named):
                yield Site(
                    applied.path, applied.scope, applied.call, quotes=(("call", applied.call),),
                    words=(("sources", applied.sources_named), ("variables", applied.variables_named),
                           ("advice", _advice(applied.sources_named))),
                    related=((applied.path, applied.gradient.call, "the gradients are taken here"),),
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        return (f"{parts['call']}: the gradients of '{parts['sources']}' (line {event.related[0].span.start.line}) "
                f"are zipped with '{parts['variables']}': each variable gets another one's gradient; "
                f"{parts['advice']}")


def _advice(sources: str) -> str:
    if collection(sources)[1] == "trainable":
        return f"zip them with {sources}"
    return f"take and apply the gradients of {sources.rsplit('.', 1)[0]}.trainable_variables"
