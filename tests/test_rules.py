"""The rule registry and each rule's own valid/invalid examples (Fixit style),
run through the real analyser."""

from __future__ import annotations

import re

import pytest

from tflint_grad.config import Config
from tflint_grad.engine import check
from tflint_grad.parse.source import SourceFile
from tflint_grad.rules import RULES, RULES_BY_CODE, is_selected

EXPECT = re.compile(r"#\s*expect:\s*(TFG\d{3})")


def test_codes_and_names_are_unique_and_well_formed():
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"TFG\d{3}", code) for code in codes)
    assert set(RULES_BY_CODE) == set(codes)


def test_every_rule_is_documented():
    for rule in RULES:
        for field in ("summary", "why", "example", "use_instead", "false_positives"):
            assert getattr(rule, field).strip(), (rule.code, field)
        assert rule.valid and rule.invalid


def findings(text: str):
    return check([SourceFile("example.py", text)], Config()).findings


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_valid_examples_produce_nothing(rule):
    for example in rule.valid:
        assert [f.code for f in findings(example)] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_invalid_examples_produce_exactly_the_marked_findings(rule):
    for example in rule.invalid:
        expected = [(n, m.group(1)) for n, line in enumerate(example.splitlines(), 1) if (m := EXPECT.search(line))]
        assert [(f.span.start.line, f.code) for f in findings(example)] == expected
        assert all(code == rule.code for _, code in expected)


def test_prefix_selection_semantics():
    assert is_selected("TFG001", ("TFG",), ())
    assert not is_selected("TFG101", ("TFG",), ("TFG1",))
    assert is_selected("TFG001", ("TFG0",), ("TFG",))
    assert not is_selected("TFG001", ("TFG1",), ())
