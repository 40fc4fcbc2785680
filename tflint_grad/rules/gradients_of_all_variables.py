from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, collection, mismatched


class GradientsOfAllVariables(Rule):
    code = "TFG209"
    name = "gradients-of-all-variables"
    severity = Severity.WARNING
    summary = "gradients with respect to model.variables or model.weights (non-trainable state too) handed to apply_gradients"
    why = (
        "`model.variables` and `model.weights` include the non-trainable state: batch\n"
        "normalisation's moving mean and variance, counters, frozen layers. Their gradient\n"
        "is None, so `apply_gradients` warns \"Gradients do not exist for variables\" (or\n"
        "fails on None in Keras 3), and a frozen layer is trained anyway wherever a\n"
        "gradient exists. The optimiser is meant to see `trainable_variables`. See the\n"
        f"{GUIDE},\nand the Keras guide \"Transfer learning and fine-tuning\" on trainable weights."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    loss = loss_fn(y, model(x, training=True))\n"
        "grads = tape.gradient(loss, model.variables)\n"
        "optimizer.apply_gradients(zip(grads, model.variables))"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    loss = loss_fn(y, model(x, training=True))\n"
        "grads = tape.gradient(loss, model.trainable_variables)\n"
        "optimizer.apply_gradients(zip(grads, model.trainable_variables))"
    )
    false_positives = (
        "A model whose variables are all trainable gets the same result either way: the\n"
        "warning is then about intent, and `trainable_variables` says it. Reported only\n"
        "for `<object>.variables` or `<object>.weights` written in the gradient call (or,\n"
        "when the gradients' origin is unknown, in the `zip`)."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\n"
        "def step(model, optimizer, x):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_sum(model(x))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\n"
            "def step(model, optimizer, x):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = tf.reduce_sum(model(x))\n"
            "    grads = tape.gradient(loss, model.variables)\n"
            "    optimizer.apply_gradients(zip(grads, model.variables))  # expect: TFG209\n",
            "optimizer.apply_gradients(zip(grads, ...: the gradients are taken with respect to 'model.variables', "
            "which includes non-trainable state (their gradient is None); use model.trainable_variables",
        ),
    )

    def check(self, facts: Facts):
        for applied in facts.applied_gradients:
            named = applied.sources_named if applied.gradient is not None else applied.variables_named
            held = collection(named)
            if held is None or held[1] != "all" or mismatched(applied.sources_named, applied.variables_named):
                continue
            yield Site(
                applied.path, applied.scope, applied.call, quotes=(("call", applied.call),),
                words=(("collection", named), ("owner", named.rsplit(".", 1)[0]),
                       ("how", "taken with respect to" if applied.gradient is not None else "applied to")),
            )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        return (f"{parts['call']}: the gradients are {parts['how']} '{parts['collection']}', which includes "
                f"non-trainable state (their gradient is None); use {parts['owner']}.trainable_variables")
