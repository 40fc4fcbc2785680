"""The IR on small snippets: exact snapshots of definitions, calls and what each use reads.

``t#2`` is definition 2 of its scope; a use names the definitions that reach
it, so these snapshots show the flow-sensitivity directly (see
``tests/ir_render.py`` for the format).
"""

from __future__ import annotations

import pickle
import textwrap

import libcst as cst
import pytest

from ir_render import render_source
from tflint_grad.ir.build import build_ir
from tflint_grad.ir.model import IR_VERSION

SNAPSHOTS = {
    "reassignment reads the latest definition": (
        """
        def f(w):
            y = w.numpy()
            print(y)
            y = w * 2.0
            loss = y
            return loss
        """,
        """
        f:
          w#0 param <- -
          y#1 assign <- c2
          y#2 assign <- w#0
          loss#3 assign <- y#2
          c2 w.numpy() on w#0
          c3 print(y#1) on free print
          return loss#3
        """,
    ),
    "a branch that returns adds nothing after the if": (
        """
        def f(x, debug):
            if debug:
                x = np.asarray(x)
                return x
            return tf.reduce_sum(x)
        """,
        """
        f:
          x#0 param <- -
          debug#1 param <- -
          x#2 assign <- c2
          c2 np.asarray(x#0) on free np
          c3 tf.reduce_sum(x#0) on free tf
          return x#2, c3
        """,
    ),
    "a loop head joins the definitions from before and from the body": (
        """
        def f(w):
            h = w
            for _ in range(3):
                loss = tf.reduce_sum(h)
                h = np.tanh(h)
            return loss
        """,
        """
        f:
          w#0 param <- -
          h#1 assign <- w#0
          h#2 join <- h#1, h#6
          loss#3 join <- loss#5
          _#4 iteration <- c2
          loss#5 assign <- c4
          h#6 assign <- c6
          c2 range(-) on free range
          c4 tf.reduce_sum(h#2) on free tf loop1
          c6 np.tanh(h#2) on free np loop1
          return loss#3
        """,
    ),
    "an except handler may follow any definition of the body": (
        """
        def f(x):
            try:
                y = np.log(x)
                y = y + 1
            except ValueError:
                y = tf.math.log(x)
            return y
        """,
        """
        f:
          x#0 param <- -
          y#1 assign <- c2
          y#2 assign <- y#1
          y#3 assign <- c5
          c2 np.log(x#0) on free np
          c5 tf.math.log(x#0) on free tf
          return y#2, y#3
        """,
    ),
    "a call on a module alias never rebinds it; a list method does": (
        """
        import numpy as np
        def f(xs):
            out = np.append(xs, 1.0)
            terms = []
            terms.append(np.exp(out))
            return np.sum(terms)
        """,
        """
        f:
          xs#0 param <- -
          out#1 assign <- c2
          terms#2 assign <- -
          terms#3 mutation <- terms#2, c5
          c2 np.append(xs#0; -) on free np
          c5 np.exp(out#1) on free np
          c4 terms.append(c5) on terms#2
          c6 np.sum(terms#3) on free np
          return c6
        """,
    ),
    "with items are blocks around the calls in their body": (
        """
        def f(w):
            tape = tf.GradientTape(persistent=True)
            with tape:
                loss = w * w
                with tape.stop_recording():
                    np.mean(loss)
            return tape.gradient(loss, w)
        """,
        """
        f:
          w#0 param <- -
          tape#1 assign <- c2
          loss#2 assign <- w#0
          c2 tf.GradientTape(-) on free tf
          c6 tape.stop_recording() on tape#1 block0
          c7 np.mean(loss#2) on free np block0 block1
          c8 tape.gradient(loss#2; w#0) on tape#1
          return c8
        """,
    ),
    "a self-rebinding method call reads the previous definition": (
        """
        def to_host(t):
            t = t.numpy()
            return t
        """,
        """
        to_host:
          t#0 param <- -
          t#1 assign <- c2
          c2 t.numpy() on t#0
          return t#1
        """,
    ),
    "a name bound inside an expression in a loop still reaches the exit": (
        """
        def f(xs):
            for x in xs:
                if (y := g(x)):
                    pass
            return y
        """,
        """
        f:
          xs#0 param <- -
          x#1 iteration <- xs#0
          y#2 assign <- c1
          c1 g(x#1) on free g loop1
          return y#2
        """,
    ),
    "a yielded value is what the generator returns; the value sent in is nothing": (
        """
        def g(v):
            got = yield np.exp(v)
            yield from h(got)
        """,
        """
        g:
          v#0 param <- -
          got#1 assign <- -
          c2 np.exp(v#0) on free np
          c3 h(got#1) on free h
          return c2, c3
        """,
    ),
    "a comparison keeps its operands": (
        """
        def f(x):
            return tf.where(x > 0, tf.sqrt(x), 0.0)
        """,
        """
        f:
          x#0 param <- -
          c2 <compare>(x#0; -) on -
          c3 tf.sqrt(x#0) on free tf
          c1 tf.where(c2; c3; -) on free tf
          return c1
        """,
    ),
}


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_ir_snapshot(name):
    source, expected = SNAPSHOTS[name]
    assert render_source(textwrap.dedent(source).lstrip()) == textwrap.dedent(expected).lstrip()


def test_tape_constructor_constants_are_kept():
    ir, _ = build_ir(cst.parse_module("t = tf.GradientTape(persistent=True, watch_accessed_variables=False)\n"), "m.py")
    (call,) = ir.scopes["<module>"].calls
    assert [(a.keyword, a.constant) for a in call.args] == [("persistent", True), ("watch_accessed_variables", False)]


def test_module_ir_survives_a_pickle_round_trip():
    source = textwrap.dedent(SNAPSHOTS["with items are blocks around the calls in their body"][0])
    ir, _ = build_ir(cst.parse_module(source), "m.py")
    again = pickle.loads(pickle.dumps(ir))
    assert again == ir and again.version == IR_VERSION
    assert again.scopes["f"].definitions == ir.scopes["f"].definitions


def _module(source: str):
    return build_ir(cst.parse_module(textwrap.dedent(source).lstrip()), "pkg/m.py")[0]


def test_star_imports_are_kept_in_order_relative_ones_with_their_dots():
    ir = _module("""
        from .helpers import *
        from numpy import *
        from os import path
        """)
    assert ir.star_imports == (".helpers", "numpy")
    assert ir.imports == {"path": "os.path"}


def test_bindings_keep_the_callables_their_dependencies_lose():
    ir = _module("""
        act = np.tanh
        table = {"a": np.exp, "b": lambda z: z, "n": 3}
        chosen = table["a"] if flag else tf.tanh
        plain = helper
        made = make_loss(2.0)

        class Trainer:
            def __init__(self, fn):
                self.fn = fn
                self.act = np.sinh

        def factory():
            return np.cosh
        """)
    top = ir.scopes["<module>"]
    refs = {d.name: d.ref for d in top.definitions}
    assert refs["act"].dotted == "np.tanh" and refs["act"].site == top.definitions[0].statement
    assert [r.dotted for r in refs["table"].items] == ["np.exp", None]
    assert refs["table"].items[1].scope.startswith("<lambda@")
    assert [r.dotted for r in refs["chosen"].items] == ["table", "tf.tanh"]
    assert refs["plain"] is None and refs["made"] is None  # a name and a call result are atoms already
    init = ir.scopes["Trainer.__init__"]
    assert [r.dotted for r in init.self_attr_refs["act"]] == ["np.sinh"] and "fn" not in init.self_attr_refs
    assert [r.dotted for r in ir.scopes["factory"].return_refs] == ["np.cosh"]


def test_container_and_subscript_arguments_name_their_callables():
    ir = _module("""
        model.compile(loss={"main": main_loss, "aux": aux_loss}, metrics=[acc])
        step(ACTIVATIONS[name], x)
        """)
    compile_call, step_call = (c for c in ir.scopes["<module>"].calls if c.callee in ("model.compile", "step"))
    assert [r.dotted for r in compile_call.args[0].ref.items] == ["main_loss", "aux_loss"]
    assert compile_call.args[0].ref.site == compile_call.index
    assert step_call.args[0].ref.dotted == "ACTIVATIONS"


def test_branch_arms_block_ends_and_operations_are_recorded():
    source = textwrap.dedent("""
        with tf.GradientTape() as t:
            y = -x
            if a:
                g = t.gradient(y, x)
            elif b:
                g = t.gradient(y + 1.0, x)
            else:
                for i in r:
                    g = t.gradient(y, x)
        z = y
    """)
    ir, _ = build_ir(cst.parse_module(source), "m.py")
    scope = ir.scopes["<module>"]
    gradients = [call for call in scope.calls if call.attr == "gradient"]
    if_, elif_, loop = (branch for branch, _ in gradients[-1].arms)
    assert [call.arms for call in gradients] == [((if_, 0),), ((if_, 1), (elif_, 0)), ((if_, 1), (elif_, 1), (loop, -1))]
    assert [call.args[0].operation for call in gradients] == [False, True, False]
    definitions = {d.name: d for d in scope.definitions if d.kind == "assign"}
    (block,) = scope.blocks
    assert (definitions["y"].operation, definitions["z"].operation) == (True, False)
    assert block.holds(definitions["y"].statement) and not block.holds(definitions["z"].statement)
