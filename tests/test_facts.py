"""The analysis's facts, queried as the rules query them: tapes, what records a call,
what a call does, why a function is differentiated.  In-process, on small programs."""

from __future__ import annotations

import textwrap

from tflint_grad.analysis.tables.effects import Effect, Tag
from tflint_grad.api import check_source
from tflint_grad.config import Config
from tflint_grad.engine import Session
from tflint_grad.ir.model import NO_CONSTANT
from tflint_grad.parse.source import SourceFile


def facts_of(text: str):
    session = Session([SourceFile("m.py", textwrap.dedent(text))], Config(), jobs=1)
    session.run()
    return session.facts


def calls_named(facts, callee: str):
    module = facts.modules["m.py"]
    return [(scope, call) for scope in module.scopes.values() for call in scope.calls if call.callee == callee]


def test_a_tape_created_before_its_with_with_constants_watches_and_ordered_gradients():
    facts = facts_of("""
        import tensorflow as tf
        w = tf.Variable(1.0)
        x = tf.constant(2.0)
        tape = tf.GradientTape(persistent=True, watch_accessed_variables=False)
        with tape:
            tape.watch(w)
            loss = w * x
            inner = tape.gradient(loss, w)
        for _ in range(2):
            g = tape.gradient(loss, [w], output_gradients=x)
        j = tape.jacobian(loss, w)
    """)
    (tape,) = facts.tapes
    assert (tape.name, tape.created_before_with, tape.persistent, tape.watch_accessed_variables) == (
        "tape", True, True, False)
    assert [(w.inside_block, len(w.watched)) for w in tape.watches] == [(True, 1)]
    assert [(g.method, g.order, g.loop_depth, g.inside_block, g.output_gradients is not None)
            for g in tape.gradients] == [
        ("gradient", 0, 0, True, False), ("gradient", 1, 1, False, True), ("jacobian", 2, 0, False, False)]
    assert all(g.targets and g.sources for g in tape.gradients)


def test_computed_settings_are_not_guessed_and_reused_names_are_distinct_tapes():
    facts = facts_of("""
        import tensorflow as tf
        keep = len([1]) > 0
        w = tf.Variable(1.0)
        with tf.GradientTape(persistent=keep) as tape:
            a = w * 2.0
        da = tape.gradient(a, w)
        with tf.GradientTape() as tape:
            b = w * 3.0
        db = tape.gradient(b, w)
    """)
    first, second = sorted(facts.tapes, key=lambda t: t.identity)
    assert first.persistent is NO_CONSTANT and second.persistent is False
    assert [len(t.gradients) for t in (first, second)] == [1, 1]
    assert first.gradients[0].call != second.gradients[0].call


def test_stop_recording_pauses_only_its_own_tape():
    facts = facts_of("""
        import numpy as np
        import tensorflow as tf
        w = tf.Variable(1.0)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = w * w
                with inner.stop_recording():
                    np.exp(w)
        outer.gradient(y, w)
    """)
    ((scope, call),) = calls_named(facts, "np.exp")
    (recorder,) = facts.recording("m.py", scope, call)
    assert recorder.name == "outer"
    assert check_source(textwrap.dedent("""
        import numpy as np
        import tensorflow as tf
        w = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            y = w * w
            with tape.stop_recording():
                print(np.exp(w))
        tape.gradient(y, w)
    """)).findings == ()


def test_calls_the_data_flow_treats_alike_keep_their_tags():
    facts = facts_of("""
        import tensorflow as tf
        w = tf.Variable([1.0, 2.0])
        with tf.GradientTape() as tape:
            i = tf.argmax(w)
            h = tf.py_function(lambda v: v, [w], tf.float32)
            s = tf.stop_gradient(w)
            n = tf.random.normal([2])
            w.assign_add(n)
            loss = tf.reduce_sum(tf.where(w > 0, w, 0.0))
    """)
    def effect(callee):
        ((scope, call),) = calls_named(facts, callee)
        return facts.effect("m.py", scope, call)
    assert {callee: (effect(callee).effect, effect(callee).tags) for callee in (
        "tf.argmax", "tf.py_function", "tf.stop_gradient", "tf.random.normal", "w.assign_add", "tf.reduce_sum")} == {
        "tf.argmax": (Effect.BLOCKS, {Tag.NONDIFFERENTIABLE}),
        "tf.py_function": (Effect.BLOCKS, {Tag.HOST_CALLBACK}),
        "tf.stop_gradient": (Effect.BLOCKS, {Tag.STOP_GRADIENT}),
        "tf.random.normal": (Effect.BLOCKS, {Tag.SAMPLING}),
        "w.assign_add": (Effect.BLOCKS, {Tag.STATE_MUTATION}),
        "tf.reduce_sum": (Effect.FLOWS, set()),
    }
    ((scope, where),) = calls_named(facts, "tf.where")
    (compare,) = [c for c in scope.calls if c.operator == "compare"]
    assert where.args[0].deps[0].index == compare.index and compare.args[0].deps  # tf.where reads w through it
    assert (facts.effect("m.py", scope, compare).effect, facts.effect("m.py", scope, compare).tags) == (
        Effect.BLOCKS, {Tag.NONDIFFERENTIABLE})


def test_the_reason_chain_of_a_helper():
    facts = facts_of("""
        import tensorflow_probability as tfp
        def inner(x):
            return x
        def outer(x):
            return inner(x)
        loss = tfp.vi.monte_carlo_variational_loss(outer, None)
    """)
    reason = facts.reason("m.py", "inner")
    assert (reason.kind, reason.function, reason.slot, reason.via) == ("entry", "outer", "target_log_prob_fn", ("outer",))
    assert facts.reason("m.py", "<module>") is None


def test_resolution_that_needs_itself_has_an_answer():
    """``d = d.copy()`` where only the loop brings ``d`` back, ``t = t.numpy()`` on a parameter."""
    report = check_source(textwrap.dedent("""
        import tensorflow as tf
        w = tf.Variable(1.0)
        def to_host(t):
            t = t.numpy()
            return t
        def batches(ds):
            for _ in range(2):
                ds = ds.batch(2)
                d = d.copy()
            return ds
        with tf.GradientTape() as tape:
            loss = to_host(w * 2.0) + batches(w)
        tape.gradient(loss, w)
    """))
    assert [(f.span.start.line, f.code) for f in report.findings] == [(5, "TFG002")]


def test_unrecorded_paths_name_the_op_outside_the_block_and_when():
    facts = facts_of("""
        import tensorflow as tf
        w = tf.Variable(1.0)
        pred = w * 2.0
        with tf.GradientTape() as before:
            loss = tf.reduce_sum(pred)
        g1 = before.gradient(loss, w)
        with tf.GradientTape() as after:
            loss = tf.reduce_sum(w * w)
        g2 = after.gradient(tf.reduce_mean(loss), [w])
        with tf.GradientTape() as inside:
            loss = -tf.reduce_sum(w * pred)
        g3 = inside.gradient(loss, w)
    """)
    cuts = {tape.name: facts.unrecorded_paths(tape, tape.gradients[0]) for tape in facts.tapes}
    (cut,) = cuts["before"]
    assert (cut.is_call, cut.before, cut.other_gradient) == (False, True, False)
    (cut,) = cuts["after"]
    assert (cut.is_call, cut.before) == (True, False)
    assert calls_named(facts, "tf.reduce_mean")[0][1].index == cut.locator
    assert cuts["inside"] == ()


def test_source_watches_know_plain_tensors_variables_and_late_watches():
    facts = facts_of("""
        import tensorflow as tf
        x = tf.constant(3.0)
        w = tf.Variable(1.0)
        def param(p):
            with tf.GradientTape() as tape:
                y = p * p
            return tape.gradient(y, p)
        with tf.GradientTape() as tape:
            y = x * w
            tape.watch(x)
        g = tape.gradient(y, [x, w])
    """)
    by_name = {t.scope: t for t in facts.tapes}
    assert facts.source_watches(by_name["param"], by_name["param"].gradients[0]) == ()
    tape = by_name["<module>"]
    x, w = facts.source_watches(tape, tape.gradients[0])
    assert (x.name, x.kind.value, x.defined_before, x.watch is not None, x.used_before_watch is not None) == (
        "x", "tensor", True, True, True)
    assert (w.name, w.kind.value, w.watch) == ("w", "variable", None)
