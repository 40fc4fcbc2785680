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
