"""The numpy knowledge lives in two tables (what a call does to the gradient in
analysis/tables/apis.py, how to rename it in fixes/replacements.py): they must agree."""

from __future__ import annotations

from tflint_grad.analysis.tables.apis import ROUND_TRIPS, classify
from tflint_grad.fixes.replacements import REPLACEMENTS


def test_every_replaced_function_is_a_round_trip_and_its_target_is_tensorflow():
    for source, replacement in REPLACEMENTS.items():
        classified = classify(source)
        assert classified is not None and classified[0] in ROUND_TRIPS, source
        target = classify(replacement.target)
        assert target is not None and target[0] not in ROUND_TRIPS, (source, replacement.target)
        assert replacement.target.startswith("tensorflow."), replacement.target
