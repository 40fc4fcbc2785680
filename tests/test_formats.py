"""``--output-format json|github|sarif`` through the real CLI, with exact expectations.

The seed fixture's four findings are checked field by field in JSON and
line by line in the GitHub format.  The SARIF log is validated twice: with
the SARIF 2.1.0 JSON schema (vendored in tests/data from the
``@microsoft/sarif-multitool-linux`` npm package, MIT) and with Microsoft's
own validator, ``sarif-multitool validate``, which also checks what a schema
cannot (ruleIndex in range, region consistency ...).  Each catches what the
other misses: the multitool silently skips a log whose enum values it cannot
deserialise (a bogus ``level``), which the schema rejects.

Notebook positions are tested with a SourceFile that carries a ``cell_of``
map, the interface the notebook loader fills in, and SARIF's with real
notebooks: its regions and fixes are in the ``.ipynb`` text itself, so the
tests read the region's characters and apply the fixes to the file's bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, run_cli
from tflint_grad.findings import FileError, Finding, Fix, Position, Related, Severity, Span, TextEdit
from tflint_grad.parse.source import CellMap, SourceFile
from tflint_grad.report import github, json_format, sarif
from tflint_grad.report.rule_docs import rule_markdown, rule_text
from tflint_grad.rules import RULES

SEED = "fixtures/seed/vi_two_bumps.py"
CROSS_FILE = "fixtures/lint/cross_file"
VIA = "passed as target_log_prob_fn to tfp.vi.monte_carlo_variational_loss (line 28)"
MESSAGES = (
    f"np.exp on tensor 'x' cuts the gradient: pdist is reached from logpdist, {VIA}; use tf.exp",
    f"np.exp on tensor 'x' cuts the gradient: pdist is reached from logpdist, {VIA}; use tf.exp",
    f"np.log on tensor 'pdist(x)' cuts the gradient: logpdist is {VIA}; use tf.math.log",
    f"np.isfinite of tensor 'logp' is a host round-trip (logpdist is {VIA}); the gradient is intact but it "
    "syncs the device and breaks under tf.function; use a TensorFlow op (tf.debugging.* for checks)",
)
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
MULTITOOL_PACKAGE = "@microsoft/sarif-multitool@5.7.0"
MULTITOOL_HOME = Path(os.environ.get(
    "TFLINT_GRAD_SARIF_MULTITOOL", Path.home() / ".cache" / "tflint-grad" / "sarif-multitool-5.7.0"
))


def at(row: int, column: int) -> dict:
    return {"row": row, "column": column}


def span(line: int, column: int, end_line: int, end_column: int) -> Span:
    return Span(Position(line, column), Position(end_line, end_column))


def seed_entry(code: str, name: str, severity: str, message: str, start: dict, end: dict, fix: dict | None) -> dict:
    return {
        "kind": "finding", "code": code, "name": name, "severity": severity, "message": message,
        "filename": SEED, "location": start, "end_location": end, "cell": None, "fix": fix,
        "related": [{
            "filename": SEED, "location": at(28, 21), "end_location": at(28, 104),
            "message": f"differentiated here: {VIA}",
        }],
        "internal": False,
    }


def rename(old: str, new: str, row: int, column: int) -> dict:
    return {
        "applicability": "safe", "message": f"Replace `{old}` with `{new}`",
        "edits": [{"content": new, "location": at(row, column), "end_location": at(row, column + len(old))}],
    }


def notebook_source(path: str) -> SourceFile:
    """A notebook whose analysed text starts cell 2 at line 5 (as the notebook loader maps it)."""
    return SourceFile(path, "", kind="notebook", cell_of=CellMap(starts=(1, 5), cells=(0, 1)))


# --- JSON -----------------------------------------------------------------------------------------

def test_json_lists_every_seed_finding_with_positions_fixes_and_related_location():
    result = run_cli(SEED, "--output-format", "json")
    assert result.returncode == 1
    numpy_call = ("TFG001", "numpy-call-on-tensor", "error")
    assert json.loads(result.stdout) == [
        seed_entry(*numpy_call, MESSAGES[0], at(16, 36), at(16, 57), rename("np.exp", "tf.exp", 16, 36)),
        seed_entry(*numpy_call, MESSAGES[1], at(16, 84), at(16, 105), rename("np.exp", "tf.exp", 16, 84)),
        seed_entry(*numpy_call, MESSAGES[2], at(18, 12), at(18, 34), rename("np.log", "tf.math.log", 18, 12)),
        seed_entry("TFG101", "host-round-trip-off-gradient-path", "warning", MESSAGES[3], at(19, 19), at(19, 36), None),
    ]


def test_json_marks_unsafe_fixes_lists_every_edit_and_appends_file_errors(tmp_path):
    (tmp_path / "conv.py").write_text(
        "import numpy as np\nimport tensorflow as tf\n\nw = tf.Variable(2.0)\n"
        "with tf.GradientTape() as tape:\n    loss = w.numpy() * w + np.asarray(w)\ngrad = tape.gradient(loss, w)\n"
    )
    result = run_cli("conv.py", "missing.py", "--output-format", "json", cwd=tmp_path)
    assert result.returncode == 1
    entries = json.loads(result.stdout)
    assert [(e["kind"], e["code"], e["location"]) for e in entries] == [
        ("finding", "TFG002", at(6, 12)), ("finding", "TFG002", at(6, 28)), ("error", None, None),
    ]
    assert [e["fix"] for e in entries] == [
        {"applicability": "unsafe", "message": "Remove `.numpy()`",
         "edits": [{"content": "", "location": at(6, 13), "end_location": at(6, 21)}]},
        {"applicability": "unsafe", "message": "Remove `np.asarray(...)`",
         "edits": [{"content": "", "location": at(6, 28), "end_location": at(6, 39)},
                   {"content": "", "location": at(6, 40), "end_location": at(6, 41)}]},
        None,
    ]
    assert entries[0]["related"] == [{
        "filename": "conv.py", "location": at(5, 1), "end_location": at(6, 41),
        "message": "differentiated here: the tf.GradientTape block (line 5)",
    }]
    assert entries[2] == {
        "kind": "error", "code": None, "name": None, "severity": "error", "message": "no such file or folder",
        "filename": "missing.py", "location": None, "end_location": None, "cell": None, "fix": None, "related": [], "internal": False,
    }


def test_json_notebook_entry_keeps_the_analysed_position_and_adds_the_cell():
    finding = Finding("nb.ipynb", span(6, 4, 6, 10), "TFG001", "m", Severity.ERROR)
    error = FileError("nb.ipynb", "bad", Position(7, 0))
    sources = {"nb.ipynb": notebook_source("nb.ipynb")}
    finding_entry, error_entry = json.loads(json_format.render([finding], [error], sources))
    assert (finding_entry["location"], finding_entry["end_location"]) == (at(6, 5), at(6, 11))
    assert finding_entry["cell"] == {"label": "cell 2", "location": at(2, 5)}
    assert (error_entry["location"], error_entry["cell"]) == (at(7, 1), {"label": "cell 2", "location": at(3, 1)})


# --- GitHub workflow commands ----------------------------------------------------------------------

def test_github_annotates_every_seed_finding():
    result = run_cli(SEED, "--output-format", "github")
    assert result.returncode == 1
    title = "title=TFG001 (numpy-call-on-tensor)"
    assert result.stdout.splitlines() == [
        f"::error file={SEED},line=16,col=36,endLine=16,endColumn=57,{title}::{MESSAGES[0]}",
        f"::error file={SEED},line=16,col=84,endLine=16,endColumn=105,{title}::{MESSAGES[1]}",
        f"::error file={SEED},line=18,col=12,endLine=18,endColumn=34,{title}::{MESSAGES[2]}",
        f"::warning file={SEED},line=19,col=19,endLine=19,endColumn=36,"
        f"title=TFG101 (host-round-trip-off-gradient-path)::{MESSAGES[3]}",
    ]


def test_github_escapes_data_and_properties_as_actions_core_does():
    assert github.escape("100% sure\r\nnext: a,b") == "100%25 sure%0D%0Anext: a,b"
    assert github.escape("a,b:c%0A", github.PROPERTY_ESCAPES) == "a%2Cb%3Ac%250A"
    finding = Finding("odd,dir/a:b.py", span(3, 0, 5, 2), "TFG002", "two\nlines 50%", Severity.ERROR)
    assert github.render([finding], [], {}) == (
        "::error file=odd%2Cdir/a%3Ab.py,line=3,endLine=5,title=TFG002 (host-conversion-of-tensor)::two%0Alines 50%25\n"
    )


def test_github_reports_file_errors_and_notebook_findings_on_the_whole_file(tmp_path):
    result = run_cli("missing.py", "--output-format", "github", cwd=tmp_path)
    assert result.stdout == "::error file=missing.py,title=tflint-grad (file not checked)::no such file or folder\n"
    finding = Finding("nb.ipynb", span(6, 4, 6, 10), "TFG101", "m", Severity.WARNING)
    errors = [FileError("a.py", "syntax error", Position(2, 3))]
    assert github.render([finding], errors, {"nb.ipynb": notebook_source("nb.ipynb")}) == (
        "::warning file=nb.ipynb,title=TFG101 (host-round-trip-off-gradient-path)::nb.ipynb:cell 2:2:5: m\n"
        "::error file=a.py,line=2,col=4,endLine=2,endColumn=4,title=tflint-grad (file not checked)::syntax error\n"
    )


# --- SARIF ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_sarif(tmp_path_factory) -> tuple[Path, dict]:
    """The SARIF log of the seed, the cross-file fixture and a missing file, run from the repository root."""
    result = run_cli(SEED, CROSS_FILE, "missing.py", "--output-format", "sarif")
    assert result.returncode == 1
    path = tmp_path_factory.mktemp("sarif") / "tflint-grad.sarif"
    path.write_text(result.stdout)
    return path, json.loads(result.stdout)


@pytest.fixture(scope="session")
def sarif_multitool() -> str:
    """Microsoft's SARIF validator, installed with npm into a cache folder on first use."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("npm/node are needed for the SARIF multitool in CI")
        pytest.skip("npm/node not installed: SARIF is still validated against the schema")
    locate = ["node", "-p", "require('@microsoft/sarif-multitool')"]
    found = MULTITOOL_HOME.is_dir() and subprocess.run(locate, cwd=MULTITOOL_HOME, capture_output=True, text=True)
    if not found or found.returncode != 0:
        MULTITOOL_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(MULTITOOL_HOME), MULTITOOL_PACKAGE], check=True, timeout=600)
        found = subprocess.run(locate, cwd=MULTITOOL_HOME, capture_output=True, text=True, check=True)
    return found.stdout.strip()


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(seed_sarif):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator(schema).iter_errors(seed_sarif[1])]
    assert errors == []
    broken = json.loads(json.dumps(seed_sarif[1]))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert [e.json_path for e in validator(schema).iter_errors(broken)] == ["$.runs[0].results[0].level"]


def test_sarif_passes_microsofts_validator(seed_sarif, sarif_multitool, tmp_path):
    report = tmp_path / "validation.sarif"
    subprocess.run(
        [sarif_multitool, "validate", str(seed_sarif[0]), "--output", str(report),
         "--log", "ForceOverwrite", "--level", "Error;Warning;Note"],
        check=True, capture_output=True, timeout=300,
    )
    results = json.loads(report.read_text())["runs"][0]["results"]
    # It always has notes for us (rule names are kebab-case, not PascalCase): none means it did not look.
    assert results, "the validator reported nothing at all: it could not read the log"
    problems = [(r["ruleId"], r["message"].get("arguments")) for r in results if r.get("level") == "error"]
    assert problems == []
    # The only warning allowed: no informationUri until the package metadata has a home page.
    warnings = {r["ruleId"] for r in results if r.get("level") == "warning"}
    assert warnings <= ({"SARIF2005"} if sarif.homepage() is None else set())


def test_sarif_results_locations_fixes_and_related_locations(seed_sarif):
    (run,) = seed_sarif[1]["runs"]
    summary = [
        (r["ruleId"], r["ruleIndex"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         tuple(r["locations"][0]["physicalLocation"]["region"].values()), len(r.get("fixes", [])))
        for r in run["results"]
    ]
    assert summary == [
        ("TFG001", 0, "error", "fixtures/lint/cross_file/model/density.py", (11, 13, 11, 30), 1),
        ("TFG001", 0, "error", SEED, (16, 36, 16, 57), 1),
        ("TFG001", 0, "error", SEED, (16, 84, 16, 105), 1),
        ("TFG001", 0, "error", SEED, (18, 12, 18, 34), 1),
        ("TFG101", 2, "warning", SEED, (19, 19, 19, 36), 0),
    ]
    seed_file = {"uri": SEED, "uriBaseId": "%SRCROOT%"}
    assert run["results"][3] == {
        "ruleId": "TFG001", "ruleIndex": 0, "level": "error", "message": {"text": MESSAGES[2]},
        "locations": [{"physicalLocation": {
            "artifactLocation": seed_file,
            "region": {"startLine": 18, "startColumn": 12, "endLine": 18, "endColumn": 34},
        }}],
        "relatedLocations": [{
            "id": 1,
            "physicalLocation": {
                "artifactLocation": seed_file,
                "region": {"startLine": 28, "startColumn": 21, "endLine": 28, "endColumn": 104},
            },
            "message": {"text": f"differentiated here: {VIA}"},
        }],
        "fixes": [{
            "description": {"text": "Replace `np.log` with `tf.math.log`"},
            "artifactChanges": [{"artifactLocation": seed_file, "replacements": [{
                "deletedRegion": {"startLine": 18, "startColumn": 12, "endLine": 18, "endColumn": 18},
                "insertedContent": {"text": "tf.math.log"},
            }]}],
            "properties": {"applicability": "safe"},
        }],
    }
    cross_file = run["results"][0]["relatedLocations"][0]["physicalLocation"]
    assert cross_file == {
        "artifactLocation": {"uri": "fixtures/lint/cross_file/train.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14, "startColumn": 5, "endLine": 15, "endColumn": 65},
    }


def test_sarif_run_describes_the_tool_the_rules_and_the_files_not_checked(seed_sarif):
    (run,) = seed_sarif[1]["runs"]
    assert seed_sarif[1]["version"] == "2.1.0"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{
        "executionSuccessful": True,
        "toolExecutionNotifications": [{
            "level": "error", "message": {"text": "no such file or folder"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "missing.py", "uriBaseId": "%SRCROOT%"}}}],
        }],
    }]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("tflint-grad", "0.1.0")
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]
    assert [rule["id"] for rule in driver["rules"]][:3] == ["TFG001", "TFG002", "TFG101"]
    for descriptor, rule in zip(driver["rules"], RULES):
        assert descriptor == {
            "id": rule.code, "name": rule.name,
            "shortDescription": {"text": rule.summary}, "fullDescription": {"text": rule.why},
            "help": {"text": rule_text(rule), "markdown": rule_markdown(rule)},
            "defaultConfiguration": {"level": rule.severity.value},
        }
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "warning"}


def test_sarif_driver_names_the_home_page_when_the_package_has_one():
    assert sarif.driver("https://example.org/tflint-grad")["informationUri"] == "https://example.org/tflint-grad"
    assert "informationUri" not in sarif.driver(None)


def test_sarif_uris_are_relative_to_srcroot_or_absolute_file_uris():
    assert sarif.artifact("my dir/a#1.py") == {"uri": "my%20dir/a%231.py", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact("/abs/x y.py") == {"uri": "file:///abs/x%20y.py"}


def test_sarif_notebook_result_carries_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(NOTEBOOK, indent=1) + "\n", encoding="utf-8")
    result = run_cli("nb.ipynb", "--output-format", "sarif", cwd=tmp_path)
    first = json.loads(result.stdout)["runs"][0]["results"][0]
    assert first["properties"] == {"cell": {"label": "cell 3", "location": at(3, 30)}}


# A notebook whose code sits behind JSON escapes on its own lines: quotes, a tab, non-ASCII
# text (written as \uXXXX by some writers), a cell pasted with its indentation.
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# \"Gradients\" — über alles"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["import numpy as np\n", "import tensorflow as tf"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["x = tf.Variable(2.0)\n", "with tf.GradientTape() as tape:\n",
                    "    label = \"naïve\\t\\\"\"; y = np.log(x) + np.exp(\n", "        x)"]},
        {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [],
         "source": ["  with tf.GradientTape() as t2:\n", "      z = np.exp(x)  # 🙂 ok"]},
    ],
    "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
}
STYLES = {
    "jupyter": lambda d: json.dumps(d, indent=1, ensure_ascii=False) + "\n",
    "colab": lambda d: json.dumps({**d, "cells": [{**c, "source": "".join(c["source"])} for c in d["cells"]]}, indent=2),
    "compact": lambda d: json.dumps(d, separators=(",", ":")),
    "windows": lambda d: (json.dumps(d, indent=1, ensure_ascii=False) + "\n").replace("\n", "\r\n"),
}


def offset(text: str, line: int, column: int) -> int:
    """The offset in ``text`` of SARIF's 1-based line and column."""
    starts = [0] + [n + 1 for n, char in enumerate(text) if char == "\n"]
    return starts[line - 1] + column - 1


def region_text(text: str, region: dict) -> str:
    return text[offset(text, region["startLine"], region["startColumn"]):offset(text, region["endLine"], region["endColumn"])]


def decoded(region: str) -> str:
    """The code a region of JSON string content holds (it may run over several strings of a source list)."""
    return "".join(json.loads(f'["{region}"]'))


def apply_sarif_fixes(text: str, results: list[dict]) -> str:
    """The file's text with every fix's replacements applied, as a SARIF consumer does."""
    replacements = [
        (offset(text, r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
         offset(text, r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]), r["insertedContent"]["text"])
        for result in results for fix in result.get("fixes", ())
        for change in fix["artifactChanges"] for r in change["replacements"]
    ]
    for start, end, new in sorted(replacements, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.parametrize("style", sorted(STYLES))
def test_sarif_notebook_regions_and_fixes_are_in_the_ipynb_text_itself(tmp_path, style):
    text = STYLES[style](NOTEBOOK)
    path = tmp_path / "nb.ipynb"
    path.write_bytes(text.encode("utf-8"))
    result = run_cli("nb.ipynb", "--unsafe-fixes", "--output-format", "sarif", cwd=tmp_path)
    results = json.loads(result.stdout)["runs"][0]["results"]
    regions = [decoded(region_text(text, r["locations"][0]["physicalLocation"]["region"])) for r in results]
    assert regions == ["np.log(x)", "np.exp(\n        x)", "np.exp(x)"]
    related = [region_text(text, r["relatedLocations"][0]["physicalLocation"]["region"])[:25] for r in results]
    assert related == ["with tf.GradientTape() as", "with tf.GradientTape() as", "with tf.GradientTape() as"]

    fixed_by_sarif = json.loads(apply_sarif_fixes(text, results))
    run_cli("--fix", "nb.ipynb", cwd=tmp_path)
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert fixed["cells"][2]["source"] != NOTEBOOK["cells"][2]["source"]
    joined = ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"] for cell in fixed["cells"]]
    assert ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in fixed_by_sarif["cells"]] == joined


def test_sarif_notebook_log_passes_both_validators(tmp_path, sarif_multitool):
    (tmp_path / "nb.ipynb").write_text(STYLES["jupyter"](NOTEBOOK), encoding="utf-8")
    (tmp_path / "broken.ipynb").write_text(STYLES["jupyter"]({**NOTEBOOK, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1, "source": ["import tensorflow as tf\n", "y = ("]},
    ]}), encoding="utf-8")
    result = run_cli("nb.ipynb", "broken.ipynb", "--output-format", "sarif", cwd=tmp_path)
    log = json.loads(result.stdout)
    schema = json.loads(SCHEMA.read_text())
    assert [e.message for e in jsonschema.validators.validator_for(schema)(schema).iter_errors(log)] == []
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notification["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 10, "startColumn": 10, "endLine": 10, "endColumn": 10,  # on the "(" of "y = ("
    }
    sarif_path, report = tmp_path / "nb.sarif", tmp_path / "validation.sarif"
    sarif_path.write_text(result.stdout)
    subprocess.run(
        [sarif_multitool, "validate", str(sarif_path), "--output", str(report),
         "--log", "ForceOverwrite", "--level", "Error;Warning;Note"],
        check=True, capture_output=True, timeout=300,
    )
    results = json.loads(report.read_text())["runs"][0]["results"]
    assert results and [r["ruleId"] for r in results if r.get("level") == "error"] == []


def test_the_summary_counts_gradient_cuts_apart_from_the_other_errors():
    from tflint_grad.report.text import summary

    def found(code: str, severity: Severity) -> Finding:
        return Finding("a.py", span(1, 0, 1, 1), code, "m", severity)

    assert summary([found("TFG001", Severity.ERROR), found("TFG204", Severity.ERROR), found("TFG303", Severity.ERROR),
                    found("TFG101", Severity.WARNING)], unsafe_fixes=False) == (
        "Found 4 findings (1 gradient cut, 2 other errors, 1 warning).")
    assert summary([found("TFG002", Severity.ERROR)], unsafe_fixes=False) == "Found 1 finding (1 gradient cut, 0 warnings)."
