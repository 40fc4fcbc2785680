"""Fixes for the tape's contract (TFG2xx), keyed by code in ``site_fixes.SITE_FIXES``."""

from __future__ import annotations

import libcst as cst

from ..findings import Fix, Span, TextEdit
from ..ir.located import Located
from ..rules import Site


def watch_at_top_of_block(site: Site, located: Located) -> Fix | None:
    """``tape.watch(x)`` as the first statement of the tape's block.

    Safe: the rule offers it only when every definition of ``x`` precedes the
    block, so the watch reads the same value the block reads, and watching
    changes no value the code computes, only what the tape records.
    """
    words = dict(site.words)
    if not words.get("fixable"):
        return None
    block = located.ir.scopes[site.scope].blocks[site.block]
    body = located.nodes[block.statement].body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    start = located.span(body.body[0]).start
    watch = f"{words['tape']}.watch({words['source']})"
    edit = TextEdit(Span(start, start), f"{watch}\n{' ' * start.column}")
    return Fix(f"Insert `{watch}` at the top of the with block", (edit,), safe=True)


IN_PLACE = {cst.Subtract: "assign_sub", cst.Add: "assign_add", cst.SubtractAssign: "assign_sub", cst.AddAssign: "assign_add"}


def assign_in_place(site: Site, located: Located) -> Fix | None:
    """``w = w - d`` (or ``w -= d``) -> ``w.assign_sub(d)``, likewise for ``+``.

    Unsafe: the name then keeps the Variable, so every later read sees the
    updated Variable instead of a tensor (that is the point, but code after it
    may rely on the tensor, e.g. one kept per step).
    """
    name = dict(site.words)["name"]
    statement = located.nodes[dict(site.quotes)["rebinding"]]
    if isinstance(statement, cst.Assign):
        if len(statement.targets) != 1 or not _is_name(statement.targets[0].target, name):
            return None
        value = statement.value
        if not isinstance(value, cst.BinaryOperation) or not _is_name(value.left, name):
            return None
        method, delta = IN_PLACE.get(type(value.operator)), value.right
    elif isinstance(statement, cst.AugAssign) and _is_name(statement.target, name):
        method, delta = IN_PLACE.get(type(statement.operator)), statement.value
    else:
        return None
    if method is None:
        return None
    replacement = f"{name}.{method}({located.module.code_for_node(delta)})"
    return Fix(f"Update the Variable in place: `{replacement}`", (TextEdit(located.span(statement), replacement),), safe=False)


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name
