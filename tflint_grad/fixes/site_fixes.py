"""Fixes for the findings of the families that report sites (TFG2xx, TFG3xx), by rule code.

A rule knows nothing of edits (tests/test_layering.py): it says what it found
as a :class:`~tflint_grad.rules.base.Site`, and this table says how to repair
it, given the located file.  A code without an entry has no fix.  As for the
round-trip fixes, ``safe`` is claimed only where the edit provably keeps the
numbers and types the code computes.
"""

from __future__ import annotations

from typing import Callable

from ..findings import Fix
from ..ir.located import Located
from ..rules import Site
from .tape_fixes import assign_in_place, watch_at_top_of_block

SiteFixer = Callable[[Site, Located], "Fix | None"]

SITE_FIXES: dict[str, SiteFixer] = {
    "TFG202": watch_at_top_of_block,
    "TFG207": assign_in_place,
}


def site_fix(code: str, site: Site, located: Located) -> Fix | None:
    fixer = SITE_FIXES.get(code)
    return fixer(site, located) if fixer is not None else None
