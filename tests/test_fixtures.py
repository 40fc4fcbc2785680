"""The fixture corpus, through the real CLI, with exact expectations.

Every line of a fixture that must produce findings carries a trailing
``# expect: CODE [CODE ...]``; every other line is a claim of silence.  The
whole ``fixtures/`` tree is analysed in one run (cross-file reachability
included) and the findings must match the markers exactly: none missing,
none extra.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

from conftest import FIXTURES, ROOT, run_cli
from tflint_grad.api import check_paths, check_source
from tflint_grad.config import Config
from tflint_grad.rules import RULES, RULES_BY_CODE

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>(?:TFG\d{3}\s*)+)")
FINDING = re.compile(r"^(?P<path>[^:\n]+\.py):(?P<line>\d+):(?P<col>\d+): (?P<code>TFG\d{3}) ", re.M)


def expected_findings() -> Counter:
    expected: Counter = Counter()
    for path in sorted(FIXTURES.rglob("*.py")):
        if FIXTURES / "fix" in path.parents:  # golden fix inputs: tests/test_fix.py
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match.group("codes").split():
                    expected[(path.relative_to(ROOT).as_posix(), number, code)] += 1
    return expected


def reported_findings(output: str) -> Counter:
    return Counter((m["path"], int(m["line"]), m["code"]) for m in FINDING.finditer(output))


def test_fixture_corpus_has_expectations():
    expected = expected_findings()
    assert sum(expected.values()) >= 60
    assert {code for _, _, code in expected} == set(RULES_BY_CODE)  # every rule is exercised


def test_cli_reports_exactly_the_expected_findings():
    result = run_cli("fixtures", "--exclude", "fixtures/fix")
    assert result.returncode == 1, result.stderr
    reported = reported_findings(result.stdout)
    expected = expected_findings()
    missing = expected - reported
    extra = reported - expected
    assert not missing and not extra, f"missing: {sorted(missing)}\nextra: {sorted(extra)}"


def test_seed_fixture_findings_and_silence_on_constants():
    result = run_cli("fixtures/seed/vi_two_bumps.py")
    lines = [line for line in result.stdout.splitlines() if ": TFG" in line]
    assert [line.split(": ")[1].split()[0] for line in lines] == ["TFG001", "TFG001", "TFG001", "TFG101"]
    assert lines[0].startswith("fixtures/seed/vi_two_bumps.py:16:36: TFG001 [*] np.exp on tensor 'x' cuts the gradient: "
                               "pdist is reached from logpdist, passed as target_log_prob_fn to "
                               "tfp.vi.monte_carlo_variational_loss (line 28); use tf.exp")
    assert "np.log on tensor 'pdist(x)'" in lines[2]
    assert "np.isfinite of tensor 'logp' is a host round-trip" in lines[3]
    assert "np.sqrt" not in result.stdout


def test_hand_fixed_twin_has_no_gradient_cut():
    result = run_cli("fixtures/seed/vi_two_bumps_fixed.py")
    assert result.returncode == 0
    assert result.stdout == "All checks passed!\n"


# -- in-process: exact findings per fixture, and each rule alone -------------------------

SNAPSHOTS = ROOT / "tests" / "snapshots"
UPDATE = os.environ.get("TFLINT_GRAD_UPDATE_SNAPSHOTS") == "1"  # regenerate instead of comparing


def corpus_paths() -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in sorted(FIXTURES.rglob("*"))
            if p.suffix in (".py", ".ipynb") and FIXTURES / "fix" not in p.parents]


def snapshot_text(findings) -> str:
    return "".join(f"{f.span.start.line}:{f.span.start.column + 1} {f.code} {f.message}\n" for f in findings)


def test_every_fixture_matches_its_snapshot_of_exact_findings(monkeypatch):
    """``line:col CODE message`` per fixture in tests/snapshots/; TFLINT_GRAD_UPDATE_SNAPSHOTS=1 rewrites them."""
    monkeypatch.chdir(ROOT)  # messages name other files relative to the working directory
    paths = corpus_paths()
    report = check_paths(paths)
    assert not report.errors
    by_path: dict[str, list] = {path: [] for path in paths}
    for finding in report.findings:
        by_path[finding.path].append(finding)
    expected_files = {SNAPSHOTS / f"{path}.txt" for path in paths}
    stale = set(SNAPSHOTS.rglob("*.txt")) - expected_files
    mismatched = []
    for path, findings in by_path.items():
        snapshot = SNAPSHOTS / f"{path}.txt"
        text = snapshot_text(findings)
        if UPDATE:
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            snapshot.write_text(text)
        elif not snapshot.is_file() or snapshot.read_text() != text:
            mismatched.append(path)
    if UPDATE:
        for path in stale:
            path.unlink()
        return
    assert not stale, f"snapshots of fixtures that no longer exist: {sorted(map(str, stale))}"
    assert not mismatched, f"findings differ from tests/snapshots/ for {mismatched} (TFLINT_GRAD_UPDATE_SNAPSHOTS=1 rewrites)"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_each_rule_alone_on_its_own_fixture(rule):
    """fixtures/lint/rules/<code>.py with only that rule selected: exactly its markers."""
    path = FIXTURES / "lint" / "rules" / f"{rule.code.lower()}.py"
    report = check_source(path.read_text(), "fixture.py", Config(select=(rule.code,)))
    expected = sorted(
        (number, code)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if (match := EXPECT.search(line)) for code in match.group("codes").split() if code == rule.code
    )
    assert len(expected) >= 3
    assert sorted((f.span.start.line, f.code) for f in report.findings) == expected
