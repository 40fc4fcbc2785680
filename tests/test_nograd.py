"""The facts the TFG3xx rules (operations with no gradient on the path) stand on:
which calls are discrete, and whether every gradient path passes one.  In-process,
on small programs, through the real analyser."""

from __future__ import annotations

import textwrap

import pytest

from tflint_grad.cache import Cache
from tflint_grad.config import Config
from tflint_grad.engine import Session
from tflint_grad.ir.model import Local
from tflint_grad.parse.source import SourceFile


def facts_of(text: str, cache: Cache | None = None, other: str = ""):
    sources = [SourceFile("m.py", textwrap.dedent(text)), SourceFile("other.py", other)]
    session = Session(sources, Config(), jobs=1, cache=cache, parse_all=True)  # m.py has no entry point
    session.run()
    return session.facts


CASTS = """
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras import backend as K
    w = tf.Variable([1.5])
    a = tf.cast(w, tf.int32)
    b = tf.cast(w, dtype="int64")
    c = tf.dtypes.cast(w, tf.bool)
    d = K.cast(w, np.uint8)
    e = tf.cast(w, tf.float32)
    f = tf.cast(w, w.dtype)
    g = K.argmax(w)
    h = tf.math.floordiv(w, 2.0)
    i = tf.reduce_sum(w)
"""


@pytest.mark.parametrize("unpickled", [False, True])
def test_casts_to_integer_or_boolean_dtypes_and_keras_spellings_are_discrete(unpickled, tmp_path):
    if unpickled:  # an IR read back from the cache (or made in a worker) holds its own copy of NO_CONSTANT
        facts_of(CASTS, Cache(str(tmp_path)))
        facts = facts_of(CASTS, Cache(str(tmp_path)), other="x = 1\n")
    else:
        facts = facts_of(CASTS)
    scope = facts.modules["m.py"].scopes["<module>"]
    by_name = {d.name: d.deps[0].index for d in scope.definitions}
    calls = {c.index: c for c in scope.calls}
    discrete = {name for name, index in by_name.items() if name in "abcdefghi"
                and facts.is_discrete("m.py", scope, calls[index])}
    assert discrete == {"a", "b", "c", "d", "g", "h"}


def test_every_path_through_a_cut_names_the_cut_nearest_the_trainable_value():
    facts = facts_of("""
        import tensorflow as tf
        w = tf.Variable([0.2, 0.7])
        with tf.GradientTape() as tape:
            index = tf.argmax(w)
            loss = tf.cast(tf.equal(index, 1), tf.float32)
        grad = tape.gradient(loss, w)
        with tf.GradientTape() as tape2:
            kept = tf.cast(w > 0.5, tf.float32) * w
        grad2 = tape2.gradient(kept, w)
    """)
    scope = facts.modules["m.py"].scopes["<module>"]
    first, second = (g for tape in facts.tapes for g in tape.gradients)
    calls = {c.index: c for c in scope.calls}

    def is_cut(call):
        return facts.is_discrete("m.py", scope, call)

    (nearest,) = facts.cuts_of_every_path("m.py", "<module>", first.targets, is_cut)
    assert calls[nearest].callee == "tf.argmax"  # not tf.equal, which only sees the index
    assert facts.cuts_of_every_path("m.py", "<module>", second.targets, is_cut) == ()  # the mask keeps w's gradient


def test_integer_and_boolean_tensors_are_told_by_dtype_or_by_literal_when_no_dtype_is_given():
    facts = facts_of("""
        import tensorflow as tf
        a = tf.Variable(0)
        b = tf.Variable(True)
        c = tf.constant(3, tf.int64)
        d = tf.Variable(0.0)
        e = tf.constant(3, dtype=tf.float32)
        f = tf.Variable([1, 2])
        g = tf.convert_to_tensor(1)
    """)
    scope = facts.modules["m.py"].scopes["<module>"]
    made = {name: facts.made_by("m.py", scope, Local(indices[-1])) for name, indices in scope.names.items()}
    assert {name for name, (where, call) in made.items() if facts.makes_discrete_dtype("m.py", where, call)} == {
        "a", "b", "c", "g"}


def test_reads_follows_definitions_and_calls_back_to_a_variable():
    facts = facts_of("""
        import tensorflow as tf
        x = tf.Variable(1.0)
        s = tf.Variable(0.0)
        doubled = x * 2.0
        y = tf.reduce_sum(tf.square(doubled))
        z = tf.reduce_sum(s)
    """)
    scope = facts.modules["m.py"].scopes["<module>"]
    local = {name: Local(indices[-1]) for name, indices in scope.names.items()}
    assert facts.reads("m.py", "<module>", (local["y"],), frozenset({local["x"]}))
    assert not facts.reads("m.py", "<module>", (local["z"],), frozenset({local["x"]}))
    assert facts.holds_gradient("m.py", "<module>", (local["y"],)) is False  # module code nothing differentiates
