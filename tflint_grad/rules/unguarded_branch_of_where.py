from __future__ import annotations

from ..analysis.calls import slot_argument
from ..analysis.facts import Facts
from ..analysis.tables.effects import SINGULAR_OPERAND, Tag
from ..findings import Severity
from ..ir.model import NO_CONSTANT, Local, Result
from .base import Invalid, Occurrence, Rule, Site

WHERE = "tensorflow.where"
# What makes an input safe for the unsafe branch: the double where, or a clamp.
SANITISERS = frozenset({"tensorflow.where", "tensorflow.maximum", "tensorflow.clip_by_value", "keras.backend.maximum"})
# Library spellings that need no guard at all, by the operation's last name.
ALTERNATIVES = {
    "divide": "; or tf.math.divide_no_nan",
    "truediv": "; or tf.math.divide_no_nan",
    "log": "; or tf.math.xlogy / tf.math.log1p where they fit",
}


class UnguardedBranchOfWhere(Rule):
    code = "TFG306"
    name = "unguarded-branch-of-where"
    severity = Severity.ERROR
    summary = "tf.where guards log/division/acos/a fractional power of a value, but the unsafe branch's gradient is still NaN"
    why = (
        "tf.where(x > 0, tf.math.log(x), 0.0) computes tf.math.log(x) everywhere and only\n"
        "then picks. Where the condition is False the branch's derivative is infinite or\n"
        "NaN (log at 0, division by 0, acos and asin outside [-1, 1], a fractional power of\n"
        "0), and the backward pass multiplies it by the zero that tf.where sends there:\n"
        "inf * 0 is NaN, so the whole gradient turns NaN although the forward value is fine.\n"
        "The fix is the double where: sanitise the input of the unsafe branch too (or\n"
        "tf.math.divide_no_nan, xlogy, log1p where they fit). tf.sqrt, tf.math.rsqrt and\n"
        "tf.math.reciprocal are not reported: TensorFlow's gradients of these are 0 where\n"
        "the incoming gradient is 0. See the TensorFlow\n"
        "guide \"Introduction to gradients and automatic differentiation\", section \"Cases\n"
        "where gradient returns None\", and the tf.where documentation's note on gradients\n"
        "(https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    y = tf.where(x > 0.0, tf.math.log(x), 0.0)\n"
        "grad = tape.gradient(y, x)"
    )
    use_instead = (
        "with tf.GradientTape() as tape:\n"
        "    safe_x = tf.where(x > 0.0, x, 1.0)\n"
        "    y = tf.where(x > 0.0, tf.math.log(safe_x), 0.0)\n"
        "grad = tape.gradient(y, x)"
    )
    false_positives = (
        "Only a branch that is the unsafe call itself, applied to a plain name that the\n"
        "condition compares, is reported: tf.math.log(x + eps), an input made by tf.where,\n"
        "tf.maximum or tf.clip_by_value, and a condition about another value are silent.\n"
        "Whether the excluded values really reach the singular point is not checked."
    )
    fixes = ()
    valid = (
        # the double where
        "import tensorflow as tf\nx = tf.Variable([4.0, 0.0, -1.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    safe_x = tf.where(x > 0.0, x, 1.0)\n"
        "    y = tf.reduce_sum(tf.where(x > 0.0, tf.math.log(safe_x), 0.0))\n"
        "grad = tape.gradient(y, x)\n",
        # an epsilon keeps the derivative finite
        "import tensorflow as tf\nx = tf.Variable([4.0, 0.0])\n"
        "with tf.GradientTape() as tape:\n"
        "    y = tf.reduce_sum(tf.where(x > 0.0, tf.math.log(x + 1e-12), 0.0))\n"
        "grad = tape.gradient(y, x)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nx = tf.Variable([4.0, 0.0, -1.0])\n"
            "with tf.GradientTape() as tape:\n"
            "    y = tf.reduce_sum(tf.where(x > 0.0, tf.math.log(x), 0.0))  # expect: TFG306\n"
            "grad = tape.gradient(y, x)\n",
            "tf.math.log(x) is computed where x > 0.0 is False too: its derivative there is infinite or undefined, and "
            "tf.where's zero times it makes the gradient NaN; sanitise its input as well: "
            "tf.where(x > 0.0, x, <a safe value>) in place of x",
        ),
    )

    def check(self, facts: Facts):
        for path, scope_id in facts.differentiated_scopes():
            scope = facts.modules[path].scopes[scope_id]
            calls = {call.index: call for call in scope.calls}
            for where in scope.calls:
                if facts.effect(path, scope, where).qualified != WHERE or not facts.on_output_path(path, scope_id, where.index):
                    continue
                condition = slot_argument(where, 0, "condition")
                if condition is None:
                    continue
                compared = _compared(scope, calls, condition.deps)
                for slot, excluded in (((1, "x"), "False"), ((2, "y"), "True")):
                    branch = slot_argument(where, *slot)
                    unsafe = _unsafe_call(facts, path, scope, calls, branch)
                    if unsafe is None or not facts.carries_gradient(path, scope_id, unsafe[0].index):
                        continue
                    call, operand = unsafe
                    if set(operand.deps) & compared and not _sanitised(facts, path, scope, operand):
                        yield Site(
                            path, scope_id, call.index, quotes=(("operation", call.index), *_condition(condition)),
                            words=(("operand", operand.ref.dotted), ("excluded", excluded), *_named(condition),
                                   ("alternative", ALTERNATIVES.get(facts.effect(path, scope, call).qualified.rsplit(".", 1)[-1], ""))),
                        )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        condition, operand = parts["condition"], parts["operand"]
        kept = (operand, "<a safe value>") if parts["excluded"] == "False" else ("<a safe value>", operand)
        return (f"{parts['operation']} is computed where {condition} is {parts['excluded']} too: its derivative there "
                f"is infinite or undefined, and tf.where's zero times it makes the gradient NaN; sanitise its input as "
                f"well: tf.where({condition}, {kept[0]}, {kept[1]}) in place of {operand}{parts['alternative']}")


def _compared(scope, calls: dict, deps: tuple) -> set:
    """The values a condition compares: the operands of the comparison it is (or its variable holds)."""
    atoms = [*deps, *(a for atom in deps if type(atom) is Local for a in scope.definitions[atom.index].deps)]
    found: set = set()
    for atom in atoms:
        call = calls.get(atom.index) if type(atom) is Result else None
        if call is not None and call.operator == "compare":
            found |= {a for arg in call.args for a in arg.deps}
    # one call deeper: tf.abs(x) < 1.0 is about x
    inner = [calls.get(a.index) for a in found if type(a) is Result]
    return found | {a for call in inner if call is not None for arg in call.args for a in arg.deps}


def _unsafe_call(facts: Facts, path: str, scope, calls: dict, branch):
    """(call, operand) when a where branch is itself a singular operation on a plain name."""
    if branch is None or len(branch.deps) != 1 or type(branch.deps[0]) is not Result:
        return None
    call = calls.get(branch.deps[0].index)
    if call is None:
        return None
    effect = facts.effect(path, scope, call)
    if Tag.SINGULAR_DERIVATIVE not in effect.tags:
        return None
    operand = slot_argument(call, *SINGULAR_OPERAND[effect.qualified])
    if operand is None or operand.ref is None or operand.ref.dotted is None:
        return None
    if effect.qualified.endswith(".pow") and not _fractional(slot_argument(call, 1, "y")):
        return None
    return call, operand


def _fractional(exponent) -> bool:
    value = exponent.constant if exponent is not None else NO_CONSTANT
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (value < 0 or value != int(value))


def _sanitised(facts: Facts, path: str, scope, operand) -> bool:
    """Whether the operand is made by a tf.where or a clamp (the double-where pattern)."""
    for atom in operand.deps:
        made = facts.made_by(path, scope, atom)
        if made is not None and facts.effect(path, made[0], made[1]).qualified in SANITISERS:
            return True
    return False


def _condition(condition) -> tuple:
    """The condition quoted, when it is written in place (``x > 0``)."""
    if len(condition.deps) == 1 and type(condition.deps[0]) is Result:
        return (("condition", condition.deps[0].index),)
    return ()


def _named(condition) -> tuple:
    """The condition as a word when it is not quoted: its variable's name, or "the condition"."""
    if _condition(condition):
        return ()
    return (("condition", condition.ref.dotted if condition.ref and condition.ref.dotted else "the condition"),)
