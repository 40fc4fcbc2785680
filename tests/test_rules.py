"""The rule registry and each rule's own valid/invalid examples (Fixit style),
run through the real analyser."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import ROOT
from tflint_grad.config import Config
from tflint_grad.engine import Session, check
from tflint_grad.fixing import fix
from tflint_grad.parse.source import SourceFile
from tflint_grad.rules import RULES, RULES_BY_CODE, Site, is_selected

EXPECT = re.compile(r"#\s*expect:\s*(TFG\d{3})")


def test_codes_and_names_are_unique_and_well_formed():
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"TFG\d{3}", code) for code in codes)
    assert set(RULES_BY_CODE) == set(codes)


def test_the_tape_contract_family_has_every_planned_code_once_in_order():
    family = [rule.code for rule in RULES if rule.code.startswith("TFG2")]
    assert family == [f"TFG2{number:02d}" for number in range(1, 12)]
    assert [rule.code for rule in RULES] == sorted(rule.code for rule in RULES)
    assert all("https://www.tensorflow.org/guide/autodiff" in rule.why for rule in RULES
               if rule.code in family and rule.code != "TFG205")


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
        expected = [(n, m.group(1)) for n, line in enumerate(example.code.splitlines(), 1) if (m := EXPECT.search(line))]
        found = findings(example.code)
        assert [(f.span.start.line, f.code) for f in found] == expected
        assert all(code == rule.code for _, code in expected)
        assert all(example.message in f.message for f in found), [f.message for f in found]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_invalid_examples_fix_to_the_stated_text(rule):
    for example in rule.invalid:
        result = fix([SourceFile("example.py", example.code)], Config(), unsafe=True)
        assert result.sources["example.py"].text == (example.fixed or example.code)


def test_no_event_is_claimed_by_two_rules():
    sources = [SourceFile(str(p), p.read_text()) for p in sorted((ROOT / "fixtures" / "lint").rglob("*.py"))]
    session = Session(sources, Config())
    session.run()
    facts = session.facts
    claims = Counter(event for rule in RULES for event in rule.check(facts) if not isinstance(event, Site))
    assert len(claims) == len(facts.round_trips) > 50
    assert set(claims.values()) == {1}
    sites = [(rule.code, event) for rule in RULES for event in rule.check(facts) if isinstance(event, Site)]
    assert sites and len(set(sites)) == len(sites)


def test_prefix_selection_semantics():
    assert is_selected("TFG001", ("TFG",), ())
    assert not is_selected("TFG101", ("TFG",), ("TFG1",))
    assert is_selected("TFG001", ("TFG0",), ("TFG",))
    assert not is_selected("TFG001", ("TFG1",), ())
