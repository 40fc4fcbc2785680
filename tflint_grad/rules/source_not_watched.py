from __future__ import annotations

from ..analysis.facts import Facts
from ..analysis.watching import SourceKind
from ..findings import Severity
from .base import Invalid, Occurrence, Rule, Site
from .tape_terms import GUIDE, gradient_calls, tape_name, tape_related


class SourceNotWatched(Rule):
    code = "TFG202"
    name = "source-not-watched"
    severity = Severity.ERROR
    summary = "gradient() with respect to a plain tensor the tape never watches, or watches only after using it"
    why = (
        "A tape watches the trainable Variables its block reads, and nothing else. A plain\n"
        "tensor (`tf.constant`, `tf.convert_to_tensor`, `tf.zeros` ...) is a constant to\n"
        "the tape unless `tape.watch(x)` runs before the ops that use it: its gradient is\n"
        "None, with no error. The same holds for a Variable on a tape made with\n"
        "`watch_accessed_variables=False`. A watch after the use comes too late: the ops\n"
        "already run were recorded without it. The\n"
        f"{GUIDE},\nlists both under \"Cases where gradient returns None\"."
    )
    example = (
        "x = tf.constant(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    y = x * x\n"
        "dy_dx = tape.gradient(y, x)  # None"
    )
    use_instead = (
        "x = tf.constant(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    tape.watch(x)\n"
        "    y = x * x\n"
        "dy_dx = tape.gradient(y, x)  # 6.0"
    )
    false_positives = (
        "Reported only for a source made in the same function by `tf.constant`,\n"
        "`tf.convert_to_tensor`, `tf.zeros`, `tf.ones`, `tf.fill`, `tf.linspace`,\n"
        "`tf.range`, `tf.eye` or `tf.random.*` (or a `tf.Variable` when the tape does\n"
        "not watch accessed variables), through plain names and joins; a parameter or a\n"
        "helper's result may hold a Variable and is never reported. A tape watched in\n"
        "another function is assumed to watch the source."
    )
    fixes = ("TFG202",)
    valid = (
        "import tensorflow as tf\nx = tf.constant(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    tape.watch(x)\n"
        "    y = x * x\n"
        "grad = tape.gradient(y, x)\n",
        "import tensorflow as tf\nw = tf.Variable(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    y = w * w\n"
        "grad = tape.gradient(y, w)\n",
    )
    invalid = (
        Invalid(
            "import tensorflow as tf\nx = tf.constant(3.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    y = x * x\n"
            "grad = tape.gradient(y, x)  # expect: TFG202\n",
            "tape.gradient(y, x): source 'x' is a plain tensor (line 2) that tape 'tape' (line 3) never watches: "
            "the gradient is None; call tape.watch(x) at the top of the with block",
            "import tensorflow as tf\nx = tf.constant(3.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    tape.watch(x)\n"
            "    y = x * x\n"
            "grad = tape.gradient(y, x)  # expect: TFG202\n",
        ),
        Invalid(
            "import tensorflow as tf\nx = tf.constant(3.0)\n"
            "with tf.GradientTape() as tape:\n"
            "    y = x * x\n"
            "    tape.watch(x)\n"
            "grad = tape.gradient(y, x)  # expect: TFG202\n",
            "tape.gradient(y, x): source 'x' is watched by tape 'tape' (line 3) only at line 5, after its use at "
            "line 4: the ops before the watch are not recorded; move tape.watch(x) to the top of the with block",
        ),
    )

    def check(self, facts: Facts):
        for tape, gradient in gradient_calls(facts):
            unreached = facts.unreached_sources(tape, gradient)  # watching would not help: TFG203
            for source in facts.source_watches(tape, gradient):
                if source.atom in unreached:
                    continue
                if source.kind is SourceKind.VARIABLE and tape.watch_accessed_variables is not False:
                    continue
                if source.watch is not None and source.used_before_watch is None:
                    continue
                fixable = source.watch is None and source.defined_before and tape.name is not None
                late = source.watch is not None
                if late:
                    related = ((tape.path, source.used_before_watch, "used here"),
                               (tape.path, source.watch, "watched only here"))
                else:
                    statement = facts.modules[tape.path].scopes[gradient.scope].definitions[source.atom.index].statement
                    related = ((tape.path, statement, "the source is made here"),) if statement >= 0 else ()
                yield Site(
                    tape.path, gradient.scope, gradient.call, quotes=(("call", gradient.call),),
                    words=(("tape", tape_name(tape)), ("source", source.name), ("kind", source.kind.value),
                           ("late", "yes" if late else ""), ("fixable", "yes" if fixable else "")),
                    related=(tape_related(tape), *related), block=tape.blocks[0][1],
                )

    def message(self, event: Occurrence) -> str:
        parts = event.parts
        lines = [related.span.start.line for related in event.related]
        tape = f"tape '{parts['tape']}' (line {lines[0]})"
        watch = f"{parts['tape']}.watch({parts['source']})"
        head = f"{parts['call']}: source '{parts['source']}'"
        if parts["late"]:
            return (f"{head} is watched by {tape} only at line {lines[2]}, after its use at line {lines[1]}: "
                    f"the ops before the watch are not recorded; move {watch} to the top of the with block")
        made = f" (line {lines[1]})" if len(lines) > 1 else ""
        if parts["kind"] == SourceKind.TENSOR.value:
            what = f"a plain tensor{made} that {tape} never watches"
        else:
            what = f"a tf.Variable{made} that {tape}, made with watch_accessed_variables=False, never watches"
        return f"{head} is {what}: the gradient is None; call {watch} at the top of the with block"
