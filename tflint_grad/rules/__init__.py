"""The rule registry: every code the tool can emit, in one table.

Codes are stable: a code is never reused for another meaning.  Selection by
prefix works as in ruff (``--select TFG0`` picks the gradient cuts,
``--ignore TFG1`` drops the tf.function/host-sync warnings).
"""

from __future__ import annotations

from .base import RoundTrip, Rule
from .host_conversion import HostConversionOfTensor
from .host_round_trip import HostRoundTripOffGradientPath
from .numpy_call_on_tensor import NumpyCallOnTensor

RULES: tuple[Rule, ...] = (
    NumpyCallOnTensor(),
    HostConversionOfTensor(),
    HostRoundTripOffGradientPath(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def rule_for(event: RoundTrip) -> Rule:
    """The one rule that claims ``event`` (the rules partition the events)."""
    (rule,) = [rule for rule in RULES if rule.applies(event)]
    return rule


def is_selected(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """ruff's prefix semantics: the longest matching prefix wins; ties go to ignore."""
    best_select = max((len(p) for p in select if code.startswith(p)), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return best_select >= 0 and best_select > best_ignore


def selector_error(selectors: tuple[str, ...], where: str) -> str | None:
    """Why some selectors are wrong, or None: a selector must be a prefix of a
    rule code, else a typo (``TGF001``, a path swallowed as the value) would
    silently select nothing and hide every finding."""
    unknown = [s for s in selectors if not any(code.startswith(s) for code in RULES_BY_CODE)]
    if not unknown:
        return None
    return (f"unknown rule selector{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))} in {where}; "
            f"the codes are {', '.join(RULES_BY_CODE)} (a prefix such as TFG0 selects several)")


__all__ = ["RULES", "RULES_BY_CODE", "RoundTrip", "Rule", "rule_for", "is_selected", "selector_error"]
