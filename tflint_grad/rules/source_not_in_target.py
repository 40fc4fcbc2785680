from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.tables.effects import Tag
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls, tape_name, value_name

ZEROS_ON_PURPOSE = "unconnected_gradients"


class SourceNotInTarget(Rule):
    code = "TFG203"
    name = "source-not-in-target"
    severity = Severity.WARNING
    summary = "gradient() with respect to a source the target does not depend on (its gradient is None)"
    why = (
        "A source the target is not computed from has no gradient: `tape.gradient`\n"
        "returns None for it, and `apply_gradients` then warns \"Gradients do not exist\n"
        "for variables\" or fails on None. Usually the loss forgot a term, or the wrong\n"
        "variable is listed. The\n"
        f"{GUIDE},\nlists it under \"Cases where gradient returns None\" (the source is not connected to the target)."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(w * x)\n"
        "grad_w, grad_b = tape.gradient(loss, [w, b])  # grad_b is None"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    loss = tf.reduce_sum(w * x + b)\n"
        "grad_w, grad_b = tape.gradient(loss, [w, b])"
    )
    false_positives = (
        "Reported only for a source made in the same function by `tf.Variable` or a\n"
        "tensor constructor and a target computed only by TensorFlow or builtin calls and\n"
        "operators (a helper or a model could read the source unseen, so any other call\n"
        "keeps it silent). A gradient call that passes `unconnected_gradients` asks for\n"
        "the case on purpose and is silent. A tape block that assigns a Variable is left\n"
        "to TFG303, which names the assignment that loses the dependence."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\nb = tf.Variable(0.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = w * 3.0 + b\n"
        "grads = tape.gradient(loss, [w, b])\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\nb = tf.Variable(0.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    loss = w * 3.0\n"
            "grads = tape.gradient(loss, [w, b])  # expect: TFG203\n",
            "tape.gradient(loss, [w, b]): the target does not depend on source 'b' (a tf.Variable), so its gradient "
            "is None; add the missing term to the target, drop the source, or pass "
            "unconnected_gradients=tf.UnconnectedGradients.ZERO if zeros are meant",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            call = facts.call(tape.path, gradient.scope, gradient.call)
            if call is None or any(arg.keyword == ZEROS_ON_PURPOSE for arg in call.args) or _assigns_state(facts, tape):
                continue
            for source in facts.unreached_sources(tape, gradient):
                kind = facts.source_kind(tape.path, gradient.scope, source)
                if kind is None:
                    continue
                yield Site(
                    tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call),),
                    words=(("tape", tape_name(tape)), ("source", value_name(facts, tape, gradient, source)),
                           ("kind", "a tf.Variable" if kind.value == "variable" else "a plain tensor")),
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        return (f"{parts['call']}: the target does not depend on source '{parts['source']}' ({parts['kind']}), so its "
                "gradient is None; add the missing term to the target, drop the source, or pass "
                "unconnected_gradients=tf.UnconnectedGradients.ZERO if zeros are meant")


def _assigns_state(facts: Facts, tape) -> bool:
    """Whether the tape records an ``assign``/``scatter_*`` (a dependence through state: TFG303's finding)."""
    for scope_id, _ in tape.blocks:
        scope = facts.modules[tape.path].scopes[scope_id]
        for call in scope.calls:
            if tape in facts.recording(tape.path, scope, call) and \
                    Tag.STATE_MUTATION in facts.effect(tape.path, scope, call).tags:
                return True
    return False
