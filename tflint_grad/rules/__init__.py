"""The rule registry: every code the tool can emit, in one table, one file per rule.

Codes are stable: a code is never reused for another meaning.  The code space
is planned by family, so a prefix selects a family (``--select TFG0``,
``--ignore TFG1``, as in ruff):

* ``TFG0xx`` gradient cuts: a host round-trip whose result reaches the
  differentiated output (TFG001 numpy call, TFG002 conversion);
* ``TFG1xx`` host round-trips off the gradient path: the gradient is intact,
  the device syncs and ``tf.function`` breaks (TFG101);
* ``TFG2xx`` the tape's contract: what is recorded, watched, kept and asked
  for (targets computed outside the recording, unwatched sources, tape
  lifetime, ``gradient`` API misuse);
* ``TFG3xx`` operations with no gradient on the gradient path (discrete
  operations, state changes, host callbacks, NaN from guarded branches).

Severity is an attribute of each rule.  Each rule's ``check(facts)`` picks its
own events from the analysis's facts; rules of one family may claim the same
kind of event only under disjoint conditions (``tests/test_rules.py`` checks
that no event is claimed twice).
"""

from __future__ import annotations

from .base import Invalid, Occurrence, RoundTrip, Rule, Site
from .callable_ignores_parameters import CallableIgnoresParameters
from .discrete_operation_on_gradient_path import DiscreteOperationOnGradientPath
from .gradient_inside_persistent_recording import GradientInsidePersistentRecording
from .gradient_wrt_integer_source import GradientWrtIntegerSource
from .gradients_of_all_variables import GradientsOfAllVariables
from .gradients_zipped_with_other_variables import GradientsZippedWithOtherVariables
from .host_callback_on_gradient_path import HostCallbackOnGradientPath
from .host_conversion import HostConversionOfTensor
from .host_round_trip import HostRoundTripOffGradientPath
from .inner_gradient_outside_outer_tape import InnerGradientOutsideOuterTape
from .non_persistent_tape_reused import NonPersistentTapeReused
from .norm_of_zero import NormOfZero
from .numpy_call_on_tensor import NumpyCallOnTensor
from .positional_output_gradients import PositionalOutputGradients
from .source_not_in_target import SourceNotInTarget
from .source_not_watched import SourceNotWatched
from .state_change_on_gradient_path import StateChangeOnGradientPath
from .target_outside_recording import TargetOutsideRecording
from .unguarded_branch_of_where import UnguardedBranchOfWhere
from .variable_created_in_differentiated_code import VariableCreatedInDifferentiatedCode
from .variable_replaced_by_tensor import VariableReplacedByTensor

RULES: tuple[Rule, ...] = (
    NumpyCallOnTensor(),
    HostConversionOfTensor(),
    HostRoundTripOffGradientPath(),
    TargetOutsideRecording(),
    SourceNotWatched(),
    SourceNotInTarget(),
    NonPersistentTapeReused(),
    GradientInsidePersistentRecording(),
    InnerGradientOutsideOuterTape(),
    VariableReplacedByTensor(),
    PositionalOutputGradients(),
    GradientsOfAllVariables(),
    GradientsZippedWithOtherVariables(),
    CallableIgnoresParameters(),
    DiscreteOperationOnGradientPath(),
    GradientWrtIntegerSource(),
    StateChangeOnGradientPath(),
    VariableCreatedInDifferentiatedCode(),
    HostCallbackOnGradientPath(),
    UnguardedBranchOfWhere(),
    NormOfZero(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


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


__all__ = ["RULES", "RULES_BY_CODE", "Invalid", "Occurrence", "RoundTrip", "Rule", "Site", "is_selected", "selector_error"]
