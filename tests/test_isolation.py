"""Real code never takes the run down: one file's failure is that file's error.

The failures are real exceptions raised inside the real pipeline, by the
documented test-only switch ``TFLINT_GRAD_TEST_FAULT=STAGE:NAME``
(``tflint_grad/isolation.py``), in the CLI as a user runs it.  The language
server's and the pre-commit hook's runs are in test_lsp.py and
test_precommit.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BUGGY = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf

    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = np.exp(w)
    grad = tape.gradient(loss, w)
""")
FINDING = "good.py:6:12: TFG001 [*] np.exp on tensor 'w' cuts the gradient"


def run_with_fault(fault: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TFLINT_GRAD_TEST_FAULT": fault}
    return subprocess.run([sys.executable, "-m", "tflint_grad", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BUGGY)
    (tmp_path / "good.py").write_text(BUGGY)
    return tmp_path


@pytest.mark.parametrize("stage, wording", [
    ("load", "reading"),
    ("summarise", "summarising"),
    ("analyse", "analysing"),
    ("locate", "locating findings in"),
])
def test_a_fault_in_one_file_is_its_error_and_the_others_are_reported(two_files, stage, wording):
    result = run_with_fault(f"{stage}:bad.py", "bad.py", "good.py", cwd=two_files)
    assert result.returncode == 2  # an internal error happened, and says so
    assert result.stdout.startswith(FINDING)
    assert "bad.py:" not in result.stdout
    assert "1 error (see stderr), 1 from a bug in tflint-grad." in result.stdout
    assert result.stderr.startswith(f"error: bad.py: internal error while {wording} this file")
    assert "InjectedFault: TFLINT_GRAD_TEST_FAULT=" in result.stderr
    assert "this is a bug in tflint-grad, please report it" in result.stderr


def test_a_fault_in_the_analysis_of_a_helper_keeps_the_other_files(tmp_path):
    """The whole-program phase drops the failing file's scopes, not the run."""
    (tmp_path / "helpers.py").write_text("import numpy as np\n\ndef squash(v):\n    return np.tanh(v)\n")
    (tmp_path / "train.py").write_text(BUGGY.replace("np.exp(w)", "np.exp(w) + squash(w)").replace(
        "import tensorflow as tf\n", "import tensorflow as tf\nfrom helpers import squash\n"))
    clean = run_cli("train.py", "helpers.py", cwd=tmp_path)
    assert [line.split(":")[0] for line in clean.stdout.splitlines() if ": TFG" in line] == ["helpers.py", "train.py"]
    faulty = run_with_fault("analyse:helpers.py", "train.py", "helpers.py", cwd=tmp_path)
    assert faulty.returncode == 2
    assert [line.split(":")[0] for line in faulty.stdout.splitlines() if ": TFG" in line] == ["train.py"]
    assert faulty.stderr.startswith("error: helpers.py: internal error while analysing this file (dropped: ")


def test_debug_re_raises_with_the_traceback(two_files):
    result = run_with_fault("summarise:bad.py", "--debug", "bad.py", "good.py", cwd=two_files)
    assert result.returncode == 1  # Python's own exit status for an uncaught exception
    assert "Traceback (most recent call last)" in result.stderr
    assert "tflint_grad.isolation.InjectedFault: TFLINT_GRAD_TEST_FAULT=summarise:bad.py" in result.stderr


@pytest.mark.parametrize("stage, wording, remaining", [
    ("summarise", "summarising", 0),  # bad.py could not be analysed: nothing of it to report
    ("fix", "fixing", 1),  # bad.py was analysed, its fix failed: its finding stays reported
])
def test_a_fault_in_one_file_under_fix_leaves_it_and_fixes_the_others(two_files, stage, wording, remaining):
    result = run_with_fault(f"{stage}:bad.py", "--fix", "bad.py", "good.py", cwd=two_files)
    assert result.returncode == 2
    assert (two_files / "good.py").read_text() == BUGGY.replace("np.exp(w)", "tf.exp(w)")
    assert (two_files / "bad.py").read_text() == BUGGY
    assert result.stdout.startswith("bad.py:6:12: TFG001 [*] np.exp on tensor 'w' cuts the gradient") == bool(remaining)
    assert f"error: bad.py: internal error while {wording} this file: InjectedFault" in result.stderr
    assert result.stderr.endswith(f"Fixed 1 finding, {remaining} remaining.\n")


def test_the_tool_runs_on_its_own_repository_without_an_internal_error():
    """This repository has `got = got.numpy()` in a test helper: the call-resolution cycle that used to recurse forever."""
    result = run_cli(".", "--exclude", "fixtures")
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1)
