from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.tapes import GradientCall, Tape
from ..findings import Severity
from ..ir.model import LOOP_BODY, Result
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, tape_name, tape_related


class NonPersistentTapeReused(Rule):
    code = "TFG204"
    name = "non-persistent-tape-reused"
    severity = Severity.ERROR
    summary = "a second gradient()/jacobian() on a non-persistent tape, in sequence or once per loop iteration"
    why = (
        "A tape made without `persistent=True` releases what it recorded at its first\n"
        "`gradient` (or `jacobian`) call; a second call raises RuntimeError (\"A\n"
        "non-persistent GradientTape can only be used to compute one set of gradients\").\n"
        "In a loop over a tape made outside it the first iteration works and the second\n"
        "fails, often far from where the tape was made. See the\n"
        f"{GUIDE},\nsection \"Gradients of non-scalar targets\" and persistent tapes."
    )
    example = (
        "with tf.GradientTape() as tape:\n"
        "    loss_a = f(w)\n"
        "    loss_b = g(w)\n"
        "grad_a = tape.gradient(loss_a, w)\n"
        "grad_b = tape.gradient(loss_b, w)  # RuntimeError"
    )
    use_instead = (
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    loss_a = f(w)\n"
        "    loss_b = g(w)\n"
        "grad_a = tape.gradient(loss_a, w)\n"
        "grad_b = tape.gradient(loss_b, w)\n"
        "del tape"
    )
    false_positives = (
        "Only tapes made with `persistent` absent or `False`, and calls in the function\n"
        "the tape is used in. A call under an `if`, `try` or `match` arm the other does\n"
        "not share is never paired with it (the arms may be exclusive), and the loop\n"
        "case needs the call directly in the loop body, not under a condition; a loop\n"
        "left by `break` or `return` right after its one gradient is reported anyway.\n"
        "Entering the tape's block again between the calls starts a new recording and\n"
        "is silent; the loop case is left out for a tape made before its `with`."
    )
    fixes = ()
    valid = (
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    a = w * w\n"
        "    b = w * 3.0\n"
        "ga = tape.gradient(a, w)\n"
        "gb = tape.gradient(b, w)\n",
        # exclusive arms
        "import tensorflow as tf\nw = tf.Variable(1.0)\nflag = True\n"
        "with tf.GradientTape() as tape:\n"
        "    a = w * w\n"
        "if flag:\n"
        "    g = tape.gradient(a, w)\n"
        "else:\n"
        "    g = tape.gradient(a, [w])\n",
        # a new tape per iteration
        "import tensorflow as tf\nw = tf.Variable(1.0)\n"
        "for _ in range(3):\n"
        "    with tf.GradientTape() as tape:\n"
        "        a = w * w\n"
        "    w.assign_sub(0.1 * tape.gradient(a, w))\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    a = w * w\n"
            "    b = w * 3.0\n"
            "ga = tape.gradient(a, w)\n"
            "gb = tape.gradient(b, w)  # expect: TFG204\n",
            "tape.gradient(b, w) is a second call on non-persistent tape 'tape' (line 3), after tape.gradient(a, w) "
            "(line 6): it raises RuntimeError; make the tape persistent=True (and del it after), or use one tape per gradient",
        ),
        Invalid(
            "import tensorflow as tf\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    a = w * w\n"
            "for _ in range(3):\n"
            "    g = tape.gradient(a, w)  # expect: TFG204\n",
            "tape.gradient(a, w) runs once per loop iteration on non-persistent tape 'tape' (line 3), made outside "
            "the loop: the second iteration raises RuntimeError; make the tape inside the loop",
        ),
    )

    def check(self, facts: Facts):
        for tape in facts.tapes:
            if tape.persistent is not False:
                continue
            for gradient in tape.gradients:
                earlier = next((g for g in tape.gradients if _runs_before(facts, tape, g, gradient)), None)
                if earlier is not None:
                    yield Site(
                        tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call), ("first", earlier.call)),
                        words=(("tape", tape_name(tape)), ("loop", "")),
                        related=(tape_related(tape), (tape.path, earlier.call, "the first gradient call")),
                    )
                elif _once_per_iteration(facts, tape, gradient):
                    yield Site(
                        tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call),),
                        words=(("tape", tape_name(tape)), ("loop", "yes")), related=(tape_related(tape),),
                    )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        tape = f"non-persistent tape '{parts['tape']}' (line {event.related[0].span.start.line})"
        if parts["loop"]:
            return (f"{parts['call']} runs once per loop iteration on {tape}, made outside the loop: "
                    "the second iteration raises RuntimeError; make the tape inside the loop")
        return (f"{parts['call']} is a second call on {tape}, after {parts['first']} "
                f"(line {event.related[1].span.start.line}): it raises RuntimeError; "
                "make the tape persistent=True (and del it after), or use one tape per gradient")


def _runs_before(facts: Facts, tape: Tape, first: GradientCall, second: GradientCall) -> bool:
    """``first`` runs, on the same recording, whenever ``second`` does and before it."""
    if first.scope != second.scope or first.order >= second.order or second.arms[:len(first.arms)] != first.arms:
        return False
    scope = facts.modules[tape.path].scopes[second.scope]
    return not any(block_scope == second.scope and first.call < scope.blocks[p].statement < second.call
                   for block_scope, p in tape.blocks)


def _once_per_iteration(facts: Facts, tape: Tape, gradient: GradientCall) -> bool:
    """The call sits directly in a loop body (no condition inside the loop) that the tape was made outside of."""
    if tape.created_before_with or gradient.scope != tape.scope or gradient.arms[:len(tape.arms)] != tape.arms:
        return False
    inner = [arm for _, arm in gradient.arms[len(tape.arms):]]
    if LOOP_BODY not in inner or any(arm != LOOP_BODY for arm in inner[inner.index(LOOP_BODY):]):
        return False
    return Result(gradient.call) not in facts.modules[tape.path].scopes[gradient.scope].returns
