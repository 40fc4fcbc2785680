"""Build the fix for one finding: small text edits, never a rewrite of the file.

A numpy call becomes its TensorFlow twin by renaming the called function (and
renaming keywords) in place, so nested calls (``np.log(np.exp(x))``) and
several fixes on one line never overlap, and everything else on the line -
comments, spacing, constants such as ``np.sqrt(2*np.pi)`` - stays as written.
When the module has no usable TensorFlow import, the fix also inserts
``import tensorflow as tf`` after the last top-level import; identical
insertions from several fixes are merged when applied.
"""

from __future__ import annotations

import libcst as cst

from ..analysis.dataflow import RawRoundTrip
from ..findings import Fix, Position, Span, TextEdit
from ..ir.located import Located
from .replacements import Replacement, replacement_for

TENSORFLOW = "tensorflow"
# Modules that expose the whole TensorFlow 2 API under another name.
SAME_AS_TENSORFLOW = {"tensorflow.compat.v2": TENSORFLOW}


def tensorflow_spelling(target: str, located: Located) -> tuple[str, TextEdit | None]:
    """How ``target`` ("tensorflow.math.log") is written in this module, and the import it needs.

    An existing alias is reused, the longest matching one first
    (``from tensorflow import math as tfm`` gives ``tfm.log``).
    """
    imports = located.ir.imports
    visible = located.module_level_imports
    best = None
    for alias, qualified in imports.items():
        if alias not in visible:
            continue  # imported inside a function or class: not bound where the fix is
        qualified = SAME_AS_TENSORFLOW.get(qualified, qualified)
        if (target == qualified or target.startswith(qualified + ".")) and qualified.startswith(TENSORFLOW):
            if qualified.split(".")[0] == TENSORFLOW and (best is None or len(qualified) > len(best[1])):
                best = (alias, qualified)
    if best is not None:
        alias, qualified = best
        return alias + target[len(qualified):], None
    # A name imported only locally as tensorflow itself may be bound to it at module level too.
    taken = set(located.ir.scopes["<module>"].names) | {a for a, q in imports.items() if q != TENSORFLOW}
    alias = "tf" if "tf" not in taken else TENSORFLOW
    statement = "import tensorflow as tf" if alias == "tf" else "import tensorflow"
    return alias + target[len(TENSORFLOW):], TextEdit(_import_span(located), statement + _newline(located))


def _newline(located: Located) -> str:
    return located.module.default_newline


def _import_span(located: Located) -> Span:
    """An empty span at the start of the line after the docstring and imports that open the module.

    So the import comes before every other statement (module-level code may
    run before a later import), and with no such opening it goes just before
    the first statement: after a shebang, coding cookie or header comment.
    """
    body = located.module.body
    line = located.span(body[0]).start.line if body else 1
    for index, statement in enumerate(body):
        if (isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
        )) or (index == 0 and _is_docstring(statement)):
            line = located.span(statement).end.line + 1
        else:
            break
    position = Position(line, 0)
    return Span(position, position)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def suggestion(raw: RawRoundTrip, located: Located) -> str | None:
    """The TensorFlow spelling to name in the message, if there is one."""
    replacement = replacement_for(raw.qualified)
    if replacement is None:
        return None
    return tensorflow_spelling(replacement.target, located)[0]


def fix_for(raw: RawRoundTrip, node: cst.Call, located: Located) -> Fix | None:
    """The fix of a finding; unsafe, saying why, where a use of the result needs the ndarray."""
    fix = _fix_for(raw, node, located)
    if fix is None or not raw.ndarray_uses:
        return fix
    why = ", ".join(raw.ndarray_uses)
    return Fix(f"{fix.description} (unsafe: the result is used as an ndarray: {why})", fix.edits, safe=False)


def _fix_for(raw: RawRoundTrip, node: cst.Call, located: Located) -> Fix | None:
    if raw.kind == "numpy-call":
        replacement = replacement_for(raw.qualified)
        if replacement is not None and _arguments_fit(node, replacement):
            return _rename(node, replacement, located)
        return None
    if raw.qualified == "tensor.numpy" and isinstance(node.func, cst.Attribute) and not node.args:
        return _unwrap_method(node, located)
    if (raw.qualified in UNWRAPPABLE and len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star
            and not isinstance(node.args[0].value, CONTAINERS)):
        return _unwrap_call(node, located, raw.callee or "the conversion")
    return None


# Conversions whose removal keeps a tensor where the code had an ndarray: the
# value is the same, but it is now a tf.Tensor, so code that relies on ndarray
# behaviour (in-place writes, numpy-only methods) can break: always unsafe.
UNWRAPPABLE = frozenset({"numpy.array", "numpy.asarray", "numpy.asanyarray"})
# np.array([a, b]) is an array; without the call it is a Python list (``* 2`` repeats it): no fix.
CONTAINERS = (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _arguments_fit(node: cst.Call, replacement: Replacement) -> bool:
    positional = [a for a in node.args if a.keyword is None]
    if any(a.star for a in node.args) or len(positional) > replacement.max_positional:
        return False
    return all(a.keyword.value in replacement.keywords for a in node.args if a.keyword is not None)


def _rename(node: cst.Call, replacement: Replacement, located: Located) -> Fix:
    spelling, import_edit = tensorflow_spelling(replacement.target, located)
    edits = [TextEdit(located.span(node.func), spelling)]
    for arg in node.args:
        if arg.keyword is not None and replacement.keywords[arg.keyword.value] != arg.keyword.value:
            edits.append(TextEdit(located.span(arg.keyword), replacement.keywords[arg.keyword.value]))
    if import_edit is not None:
        edits.append(import_edit)
    written = located.code(node.func)
    return Fix(f"Replace `{written}` with `{spelling}`", tuple(edits), replacement.safe)


def _unwrap_method(node: cst.Call, located: Located) -> Fix:
    """``t.numpy()`` -> ``t``: delete from the dot to the end of the call (the receiver's
    parentheses, which its own span leaves out, stay: ``(w * 2).numpy()`` -> ``(w * 2)``)."""
    dot = located.span(node.func.dot).start
    return Fix("Remove `.numpy()`", (TextEdit(Span(dot, located.span(node).end), ""),), safe=False)


# Arguments that bind as tightly as the call they leave: ``np.asarray(t)[0]`` -> ``t[0]``.
# Anything else keeps the call's parentheses: ``np.asarray(a + b) * 2`` -> ``(a + b) * 2``.
ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _unwrap_call(node: cst.Call, located: Located, written: str) -> Fix:
    """``np.asarray(t)`` -> ``t``: delete the call's head and its closing parenthesis (or only its name)."""
    argument = node.args[0]
    if isinstance(argument.value, ATOMIC) and not argument.value.lpar:
        call, value = located.span(node), located.span(argument.value)
        edits = (TextEdit(Span(call.start, value.start), ""), TextEdit(Span(value.end, call.end), ""))
    else:
        edits = (TextEdit(located.span(node.func), ""),)
        if isinstance(argument.comma, cst.Comma):  # (a + b,) would be a tuple
            edits += (TextEdit(located.span(argument.comma), ""),)
    return Fix(f"Remove `{written}(...)`", edits, safe=False)
