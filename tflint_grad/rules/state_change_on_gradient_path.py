from __future__ import annotations

from ..analysis.calls import slot_argument
from ..analysis.facts import Facts
from ..analysis.tables.effects import Tag
from ..findings import Severity
from ..ir.model import Free, Local
from .base import Invalid, Occurrence, Rule, Site
from .outputs import name_of


# Where each state change takes the value it writes.
WRITTEN_VALUE: dict[str, tuple[int, str]] = {
    "assign": (0, "value"), "assign_add": (0, "delta"), "assign_sub": (0, "delta"),
    "scatter_update": (0, "sparse_delta"), "scatter_add": (0, "sparse_delta"), "scatter_sub": (0, "sparse_delta"),
    "scatter_nd_update": (1, "updates"),
}


class StateChangeOnGradientPath(Rule):
    code = "TFG303"
    name = "state-change-on-gradient-path"
    severity = Severity.ERROR
    summary = "a Variable assigned from a source inside the tape, then read by the target: the gradient w.r.t. the source is None"
    why = (
        "assign, assign_add, assign_sub and scatter_* change a variable's state; they have\n"
        "no gradient with respect to the value written. A target that reads the variable\n"
        "afterwards depends on the source only through that state change, so the gradient\n"
        "with respect to the source is None. See the TensorFlow guide \"Introduction to\n"
        "gradients and automatic differentiation\", section \"Cases where gradient returns\n"
        "None\" (https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    state.assign(x * 2.0)\n"
        "    y = state ** 2\n"
        "grad = tape.gradient(y, x)"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    doubled = x * 2.0\n"
        "    y = doubled ** 2\n"
        "grad = tape.gradient(y, x)\n"
        "state.assign(doubled)"
    )
    false_positives = (
        "Only a state change written in the tape block before the gradient call, whose\n"
        "written value is computed from one of that call's sources, and whose variable the\n"
        "target reads, is reported; an update after the gradient (an optimizer step, a\n"
        "moving average) is silent. A target that also reads the source directly still gets\n"
        "part of its gradient and is reported all the same."
    )
    fixes = ()
    valid = (
        # the update comes after the gradient
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n    loss = (w - 3.0) ** 2\n"
        "grad = tape.gradient(loss, w)\nw.assign_sub(0.1 * grad)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nx = tf.Variable(3.0)\nstate = tf.Variable(0.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    state.assign(x * 2.0)  # expect: TFG303\n"
            "    y = state ** 2\n"
            "grad = tape.gradient(y, x)\n",
            "state.assign writes a value computed from 'x' into 'state', which the target 'y' of tape.gradient "
            "(line 7) reads: assign has no gradient, so the gradient with respect to 'x' is None; use the value "
            "itself in the loss and assign after the gradient",
        ),
    )

    def check(self, facts: Facts):
        for tape in facts.tapes:
            identities = {tape.identity}
            for gradient in tape.gradients:
                scope = facts.modules[tape.path].scopes[gradient.scope]
                for call in scope.calls:
                    if call.index >= gradient.call or not _is_state_change(facts, tape.path, scope, call):
                        continue
                    if not {t.identity for t in facts.recording(tape.path, scope, call)} & identities:
                        continue
                    value = slot_argument(call, *WRITTEN_VALUE.get(call.attr, (0, "value")))
                    if value is None or not facts.holds_gradient(tape.path, scope.id, value.deps):
                        continue
                    sources = [s for s in gradient.sources if type(s) in (Local, Free)
                               and facts.reads(tape.path, scope.id, value.deps, frozenset({s}))]
                    if sources and facts.reads(tape.path, scope.id, gradient.targets, frozenset(call.receiver)):
                        yield Site(
                            tape.path, scope.id, call.index,
                            words=(("method", f"{call.callee or call.attr}"), ("source", name_of(scope, sources[:1])),
                                   ("variable", name_of(scope, call.receiver)), ("target", _target(scope, gradient)),
                                   ("gradient", f"{tape.name or 'tape'}.{gradient.method}")),
                            related=((tape.path, gradient.call, "the gradient is asked here"),),
                        )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        line = event.related[0].span.start.line
        return (f"{parts['method']} writes a value computed from '{parts['source']}' into '{parts['variable']}', which "
                f"{parts['target']} of {parts['gradient']} (line {line}) reads: {parts['method'].rsplit('.', 1)[-1]} "
                f"has no gradient, so the gradient with respect to '{parts['source']}' is None; use the value itself "
                f"in the loss and assign after the gradient")


def _is_state_change(facts: Facts, path: str, scope, call) -> bool:
    return (len(call.receiver) == 1 and type(call.receiver[0]) in (Local, Free)
            and Tag.STATE_MUTATION in facts.effect(path, scope, call).tags)


def _target(scope, gradient) -> str:
    named = name_of(scope, gradient.targets)
    return f"the target '{named}'" if named else "the target"
