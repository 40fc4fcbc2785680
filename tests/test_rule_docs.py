"""``tflint-grad rule``, docs/rules.md and the README's rule table.

The command is run as a user runs it.  Its layout is checked against the
rule classes' own texts, laid out here independently; the fix paragraphs,
which rule_docs writes itself, are checked word for word.  docs/rules.md and
the README block must be exactly what the rule classes generate today, so
editing a rule without regenerating (``python -m tflint_grad.report.rule_docs
--write``) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from tflint_grad.report import rule_docs
from tflint_grad.rules import RULES_BY_CODE

NUMPY_FIX = (
    "Numpy calls: the call is renamed to its TensorFlow twin (`np.exp` -> `tf.exp`),\n"
    "adding `import tensorflow as tf` when the module has none. Safe where the twin gives\n"
    "the same values, dtype and shape for every input; unsafe (applied only with\n"
    "`--unsafe-fixes`) where dtype promotion or axis defaults differ. No fix for\n"
    "functions without a twin or arguments the twin does not take."
)
CONVERSION_FIX = (
    "Conversions: `t.numpy()` and `numpy.array(t)`, `numpy.asanyarray(t)`,\n"
    "`numpy.asarray(t)` are unwrapped to `t`, so the tensor flows on; unsafe (applied\n"
    "only with `--unsafe-fixes`) because the code after it may rely on ndarray behaviour.\n"
    "No fix for `float()`, `int()` or `bool()`."
)
WATCH_FIX = (
    "Inserts `tape.watch(x)` as the first statement of the tape's block. Safe: offered\n"
    "only for a source that is never watched and whose every definition precedes the\n"
    "block, so the watch reads the value the block reads, and watching changes what the\n"
    "tape records, never a value. No fix for a watch that comes too late or a one-line\n"
    "block."
)
IN_PLACE_FIX = (
    "Rewrites `w = w - d` (or `w -= d`) as `w.assign_sub(d)`, and `+` as\n"
    "`w.assign_add(d)`, so the name keeps the Variable. Unsafe (applied only with\n"
    "`--unsafe-fixes`): every later read of the name then sees the updated Variable\n"
    "instead of a tensor. No fix for other operators."
)
FIX_TEXT = {"TFG001": NUMPY_FIX, "TFG002": CONVERSION_FIX, "TFG101": f"{NUMPY_FIX}\n\n{CONVERSION_FIX}",
            "TFG202": WATCH_FIX, "TFG207": IN_PLACE_FIX}
NO_FIX = "No automatic fix."  # the Fix section of a rule without one
FIX_CELL = {
    "TFG001": "numpy calls: safe or unsafe, by function",
    "TFG002": "conversions: unsafe",
    "TFG101": "numpy calls: safe or unsafe, by function; conversions: unsafe",
    "TFG202": "tape.watch: safe",
    "TFG207": "assign_sub/assign_add: unsafe",
}


def indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def test_rule_prints_every_section_of_the_rule(cli):
    for code, rule in RULES_BY_CODE.items():
        result = cli("rule", code.lower())
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == (
            f"{code} {rule.name} ({rule.severity.value})\n\n"
            f"What it finds:\n{indented(rule.summary)}\n\n"
            f"Why it is wrong:\n{indented(rule.why)}\n\n"
            f"Example:\n{indented(rule.example)}\n\n"
            f"Use instead:\n{indented(rule.use_instead)}\n\n"
            f"Fix:\n{indented(FIX_TEXT.get(code, NO_FIX))}\n\n"
            f"When it may be a false positive:\n{indented(rule.false_positives)}\n"
        )


def test_rule_all_lists_code_name_severity_and_summary(cli):
    result = cli("rule", "--all")
    assert result.returncode == 0
    summary = {code: rule.summary for code, rule in RULES_BY_CODE.items()}
    name_width = max(len("Name"), *(len(rule.name) for rule in RULES_BY_CODE.values()))
    assert result.stdout.splitlines() == [
        f"Code    {'Name'.ljust(name_width)}  Severity  What it finds",
        *(f"{code}  {rule.name.ljust(name_width)}  {rule.severity.value.ljust(8)}  {summary[code]}"
          for code, rule in RULES_BY_CODE.items()),
    ]
    assert "TFG001  numpy-call-on-tensor " in result.stdout


def test_unknown_code_is_a_usage_error(cli):
    result = cli("rule", "TFG999")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"tflint-grad rule: unknown rule code 'TFG999' (known codes: {', '.join(RULES_BY_CODE)})\n"
    missing = cli("rule")
    assert missing.returncode == 2
    assert "one of the arguments code --all is required" in missing.stderr


def test_rule_as_json(cli):
    rule = RULES_BY_CODE["TFG101"]
    result = cli("rule", "TFG101", "--output-format", "json")
    assert json.loads(result.stdout) == {
        "code": "TFG101", "name": "host-round-trip-off-gradient-path", "severity": "warning",
        "summary": rule.summary, "why": rule.why, "example": rule.example, "use_instead": rule.use_instead,
        "fix": FIX_TEXT["TFG101"],
        "false_positives": rule.false_positives, "fix_summary": FIX_CELL["TFG101"],
    }
    listed = json.loads(cli("rule", "--all", "--output-format", "json").stdout)
    assert [(r["code"], r["fix_summary"]) for r in listed] == [(code, FIX_CELL.get(code, "none")) for code in RULES_BY_CODE]


def test_rule_markdown_has_a_heading_the_severity_and_fenced_examples():
    rule = RULES_BY_CODE["TFG002"]
    assert rule_docs.rule_markdown(rule) == (
        f"## TFG002: host-conversion-of-tensor\n\nSeverity: error.\n\n"
        f"### What it finds\n\n{rule.summary}\n\n"
        f"### Why it is wrong\n\n{rule.why}\n\n"
        f"### Example\n\n```python\n{rule.example}\n```\n\n"
        f"### Use instead\n\n```python\n{rule.use_instead}\n```\n\n"
        f"### Fix\n\n{CONVERSION_FIX}\n\n"
        f"### When it may be a false positive\n\n{rule.false_positives}\n"
    )


def test_rules_table_has_one_row_per_rule_with_its_fix_safety():
    rows = rule_docs.rules_table().splitlines()
    assert rows[:2] == ["| Code | Name | Severity | What it finds | Fix |", "| --- | --- | --- | --- | --- |"]
    assert rows[2:] == [
        f"| {code} | `{rule.name}` | {rule.severity.value} | {rule.summary} | {FIX_CELL.get(code, 'none')} |"
        for code, rule in RULES_BY_CODE.items()
    ]


def test_docs_rules_md_is_generated_from_the_rules():
    document = (ROOT / "docs" / "rules.md").read_text()
    assert document == rule_docs.rules_document(), "regenerate: python -m tflint_grad.report.rule_docs --write"
    assert rule_docs.rules_table() in document
    for rule in RULES_BY_CODE.values():
        assert rule_docs.rule_markdown(rule) in document


def test_readme_holds_the_generated_rule_table_between_the_markers():
    readme = (ROOT / "README.md").read_text() if (ROOT / "README.md").is_file() else ""
    assert rule_docs.readme_block() in readme, "regenerate: python -m tflint_grad.report.rule_docs --write"


def test_write_regenerates_the_docs_and_only_the_marked_readme_block(tmp_path):
    (tmp_path / "README.md").write_text(
        f"# Title\n\n{rule_docs.TABLE_START}\n| stale |\n{rule_docs.TABLE_END}\n\nMore text.\n"
    )
    assert rule_docs.write(tmp_path) == []
    assert (tmp_path / "docs" / "rules.md").read_text() == rule_docs.rules_document()
    assert (tmp_path / "README.md").read_text() == f"# Title\n\n{rule_docs.readme_block()}\n\nMore text.\n"


def test_write_without_readme_markers_writes_the_docs_and_says_what_to_paste(tmp_path):
    (tmp_path / "README.md").write_text("# Title\n")
    (problem,) = rule_docs.write(tmp_path)
    assert problem.endswith(f"paste this:\n{rule_docs.readme_block()}")
    assert (tmp_path / "README.md").read_text() == "# Title\n"
    assert (tmp_path / "docs" / "rules.md").read_text() == rule_docs.rules_document()


def test_module_entry_point_previews_the_document():
    result = subprocess.run(
        [sys.executable, "-m", "tflint_grad.report.rule_docs"], cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert result.stdout == rule_docs.rules_document()
