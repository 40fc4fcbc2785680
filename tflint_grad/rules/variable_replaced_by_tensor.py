from __future__ import annotations

from ..analysis.facts import Facts
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls


class VariableReplacedByTensor(Rule):
    code = "TFG207"
    name = "variable-replaced-by-tensor"
    severity = Severity.ERROR
    summary = "a name that held a tf.Variable, rebound to a tensor (w = w - lr * g), then differentiated or applied"
    why = (
        "`w = w - lr * g` does not update the Variable: it makes a new tensor and binds\n"
        "the name to it. From then on the tape does not watch `w` (a plain tensor), so its\n"
        "gradient is None, and `apply_gradients` gets a tensor it cannot assign to. In a\n"
        "loop the first step works and every later one silently does nothing (or fails\n"
        "with \"No gradients provided for any variable\"). The\n"
        f"{GUIDE},\nlists it under \"Cases where gradient returns None\" (replaced a variable with a tensor)."
    )
    example = (
        "w = tf.Variable(1.0)\n"
        "for _ in range(10):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = (w - 3.0) ** 2\n"
        "    grad = tape.gradient(loss, w)\n"
        "    w = w - 0.1 * grad"
    )
    use_instead = (
        "w = tf.Variable(1.0)\n"
        "for _ in range(10):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = (w - 3.0) ** 2\n"
        "    grad = tape.gradient(loss, w)\n"
        "    w.assign_sub(0.1 * grad)"
    )
    false_positives = (
        "Reported only when the Variable is made by `tf.Variable(...)` in the same\n"
        "function and the rebinding is an operator expression on the name itself\n"
        "(`w = w - d`, `w -= d`); a rebinding to another Variable (`w = tf.Variable(w - d)`)\n"
        "or through a helper is silent. For `apply_gradients` only the variables of a\n"
        "`zip(grads, variables)` argument are checked. `w -= d` and `w += d` on a Variable\n"
        "raise RuntimeError before any gradient is taken; they are reported too."
    )
    fixes = ("TFG207",)
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "for _ in range(3):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = (w - 3.0) ** 2\n"
        "    grad = tape.gradient(loss, w)\n"
        "    w.assign_sub(0.1 * grad)\n",
        # a rebinding after the last gradient does not reach it
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    loss = (w - 3.0) ** 2\n"
        "grad = tape.gradient(loss, w)\n"
        "w = w - 0.1 * grad\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "for _ in range(3):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = (w - 3.0) ** 2\n"
            "    grad = tape.gradient(loss, w)  # expect: TFG207\n"
            "    w = w - 0.1 * grad\n",
            "tape.gradient(loss, w): 'w' held a tf.Variable (line 2) but 'w = w - 0.1 * grad' (line 7) rebinds it "
            "to a tensor, which the tape does not watch: the gradient is None from then on; "
            "update the Variable in place with w.assign_sub(...) or .assign_add(...)",
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "for _ in range(3):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = (w - 3.0) ** 2\n"
            "    grad = tape.gradient(loss, w)  # expect: TFG207\n"
            "    w.assign_sub(0.1 * grad)\n",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            for found in facts.replaced_variables(tape.path, gradient.scope, gradient.sources):
                yield self._site(facts, tape.path, gradient.scope, gradient.call, found, "tape")
        for applied in facts.applied_gradients:
            for found in facts.replaced_variables(applied.path, applied.scope, applied.variables):
                yield self._site(facts, applied.path, applied.scope, applied.call, found, "apply")

    @staticmethod
    def _site(facts: Facts, path: str, scope_id: str, call: int, found: tuple, used_by: str) -> Site:
        atom, rebinding, variable = found
        name = facts.modules[path].scopes[scope_id].definitions[atom.index].name
        return Site(
            path, scope_id, call, quotes=(("call", call), ("rebinding", rebinding)),
            words=(("name", name), ("used_by", used_by)),
            related=((path, variable, "the Variable is made here"), (path, rebinding, "rebound to a tensor here")),
        )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        variable_line, rebinding_line = (related.span.start.line for related in event.related)
        effect = ("which the tape does not watch: the gradient is None from then on" if parts["used_by"] == "tape"
                  else "which apply_gradients cannot update")
        return (f"{parts['call']}: '{parts['name']}' held a tf.Variable (line {variable_line}) but "
                f"'{parts['rebinding']}' (line {rebinding_line}) rebinds it to a tensor, {effect}; "
                f"update the Variable in place with {parts['name']}.assign_sub(...) or .assign_add(...)")

