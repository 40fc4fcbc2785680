from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.tables.effects import Tag
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site

# Why a function runs on every step, by its reason's kind: an API's callable, a Keras method.
EVERY_STEP_REASONS = ("entry", "class")


class VariableCreatedInDifferentiatedCode(Rule):
    code = "TFG304"
    name = "variable-created-in-differentiated-code"
    severity = Severity.ERROR
    summary = "a tf.Variable (or TransformedVariable, DeferredTensor) created anew on every step of differentiated code"
    why = (
        "A variable made inside a Keras call, a loss function, a training step or a tape\n"
        "block in a loop is a new variable on every step: it starts again from its initial\n"
        "value, the optimizer updates a variable that is dropped right after, and a\n"
        "gradient asked for the variable of an earlier step is None. Under tf.function the\n"
        "same code fails (\"tf.function only supports singleton tf.Variables\"). See the\n"
        "TensorFlow guide \"Introduction to gradients and automatic differentiation\",\n"
        "section \"Cases where gradient returns None\" (https://www.tensorflow.org/guide/autodiff)."
    )
    example = (
        "class Scale(tf.keras.layers.Layer):\n"
        "    def call(self, x):\n"
        "        scale = tf.Variable(1.0)\n"
        "        return x * scale"
    )
    use_instead = (
        "class Scale(tf.keras.layers.Layer):\n"
        "    def build(self, input_shape):\n"
        "        self.scale = self.add_weight(shape=(), initializer=\"ones\")\n"
        "    def call(self, x):\n"
        "        return x * self.scale"
    )
    false_positives = (
        "A variable stored on self (the lazy-build pattern, `if self.w is None: self.w =\n"
        "tf.Variable(...)`) is not reported, nor one that never reaches the differentiated\n"
        "output (a counter, a buffer), nor one made in a tape block written once at module\n"
        "level outside a loop. Whether a function really runs more than once is not\n"
        "checked: a function handed to a gradient API or a Keras method is taken to."
    )
    fixes = ()
    valid = (
        # created once, reused by the loss function
        "import tensorflow as tf\nimport tensorflow_probability as tfp\nscale = tf.Variable(1.0)\n"
        "def loss_fn():\n    return (scale - 3.0) ** 2\n"
        "tfp.math.minimize(loss_fn, num_steps=10, optimizer=tf.keras.optimizers.Adam(0.1))\n",
        # the lazy-build pattern keeps the variable on self
        "import tensorflow as tf\n"
        "class Scale(tf.keras.layers.Layer):\n"
        "    def __init__(self):\n        super().__init__()\n        self.scale = None\n"
        "    def call(self, x):\n"
        "        if self.scale is None:\n            self.scale = tf.Variable(1.0)\n"
        "        return x * self.scale\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\n"
            "class Scale(tf.keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        scale = tf.Variable(1.0)  # expect: TFG304\n"
            "        return x * scale\n",
            "tf.Variable(...) is created anew on every call of 'call' and reaches the differentiated output: each step "
            "starts again from its initial value and its update is dropped; Scale.call is differentiated by Keras "
            "(line 2); create it once (in __init__ or build, or outside the function) and reuse it",
        ),
    )

    def check(self, facts: Facts):
        for path, scope_id in facts.differentiated_scopes():
            scope = facts.modules[path].scopes[scope_id]
            reason = facts.reason(path, scope_id)
            every_call = reason is not None and reason.kind in EVERY_STEP_REASONS
            stored = [deps for deps in scope.self_attrs.values()]
            for call in scope.calls:
                if Tag.CREATES_VARIABLE not in facts.effect(path, scope, call).tags:
                    continue
                tapes = facts.recording(path, scope, call)
                in_step_tape = bool(tapes) and (scope.kind == "function" or call.loop_depth > 0)
                if not (every_call or in_step_tape) or not facts.on_output_path(path, scope_id, call.index):
                    continue
                if any(facts.depends_on(path, scope_id, deps, call.index) for deps in stored):
                    continue
                made = (("variable", f"{call.callee or 'a variable'}(...)"),)
                if every_call:
                    yield Site(path, scope_id, call.index, words=(
                        *made, ("where", f"on every call of '{scope.name}'"), ("once", "in __init__ or build, or outside the function")),
                               reason=reason, function=scope.name)
                else:
                    block = next(p for p in call.blocks if any(p == b for b in _tape_blocks(facts, path, scope, tapes)))
                    yield Site(path, scope_id, call.index,
                               words=(*made, ("where", "on every pass of the tf.GradientTape block"),
                                      ("once", "before the loop or outside the step function")),
                               related=((path, scope.blocks[block].statement, "the tape block"),))

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        where = parts["where"]
        if not event.context:
            where += f" (line {event.related[0].span.start.line})"
        context = f"; {event.context}" if event.context else ""
        return (f"{parts['variable']} is created anew {where} and reaches the differentiated output: each step starts "
                f"again from its initial value and its update is dropped{context}; create it once ({parts['once']}) "
                f"and reuse it")


def _tape_blocks(facts: Facts, path: str, scope, tapes) -> list[int]:
    """Positions in ``scope.blocks`` of the blocks of these tapes written in the scope."""
    return [position for tape in tapes for block_scope, position in tape.blocks if block_scope == scope.id]
