"""Real code never takes the run down (issue 8): fuzzed, mutated and deeply nested input.

Seeded and bounded (hypothesis with ``derandomize``, a few dozen examples per
test) so it runs in CI; ``benchmarks/fuzz.py`` runs the same generators for as
long as you like.  The property is in ``fuzzing.problems``: no exception, no
internal error, every fixed file parses, a second fix changes nothing.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import fuzzing
from conftest import FIXTURES, ROOT, run_cli
from tflint_grad.config import Config
from tflint_grad.deep import RECURSION_LIMIT, run_with_deep_stack
from tflint_grad.engine import check
from tflint_grad.parse.source import SourceFile

try:
    import hypothesmith
except ImportError:  # pip install hypothesmith (a test dependency)
    hypothesmith = None

FUZZ = settings(
    derandomize=True, database=None, deadline=None, max_examples=40, report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)


def assert_survives(name: str, text: str) -> None:
    note(f"{name}:\n{text}")
    assert fuzzing.problems([SourceFile(name, text)]) == []


# -- generated and mutated modules ---------------------------------------------------------
@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_tf_flavoured_programs(rng):
    assert_survives("program.py", fuzzing.tf_program(rng))


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_token_mutations_of_the_fixtures(rng):
    assert_survives(*fuzzing.mutated_fixture(rng))


needs_hypothesmith = pytest.mark.skipif(hypothesmith is None, reason="pip install hypothesmith")


@needs_hypothesmith
@FUZZ
@given(code=hypothesmith.from_grammar() if hypothesmith else st.nothing(), wrapped=st.booleans())
def test_grammar_generated_modules(code, wrapped):
    assert_survives("generated.py", fuzzing.in_tape(code) if wrapped else code)


@needs_hypothesmith
@settings(FUZZ, max_examples=5)  # about 2 s an example
@given(code=hypothesmith.from_node() if hypothesmith else st.nothing(), wrapped=st.booleans())
def test_cst_generated_modules(code, wrapped):
    assert_survives("generated.py", fuzzing.in_tape(code) if wrapped else code)


def test_fix_through_the_cli_on_a_folder_of_fuzzed_files(tmp_path):
    """Enough files (and a notebook) for the analysis to use its worker processes."""
    for seed in range(50):
        (tmp_path / f"program_{seed}.py").write_text(fuzzing.tf_program(random.Random(seed)))
        name, text = fuzzing.mutated_fixture(random.Random(seed))
        (tmp_path / f"mutant_{seed}_{name}").write_text(text)
    (tmp_path / "notebook.ipynb").write_bytes((FIXTURES / "notebooks" / "vi_two_bumps.ipynb").read_bytes())
    parsable = [path for path in tmp_path.glob("*.py") if _parses(path.read_text())]
    assert len(parsable) > 50  # most mutants still parse: the fixes have work to do
    first = run_cli("--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert first.returncode in (0, 1) and "internal error" not in first.stderr, first.stderr[-2000:]
    assert [path for path in parsable if not _parses(path.read_text())] == []
    before = {path: path.read_bytes() for path in tmp_path.iterdir()}
    second = run_cli("--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "Fixed 0 findings" in second.stderr, second.stderr[-2000:]
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == before


def _parses(text: str) -> bool:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return False
    return True


# -- reproducers of bugs fuzzing found ----------------------------------------------------------------------------
@pytest.mark.parametrize("rebinding", ["t = t.numpy()", "t = t.astype(np.float32)", "t = t.batch(2)"])
def test_a_name_rebound_through_a_method_on_itself(rebinding):
    text = textwrap.dedent(f"""\
        import numpy as np
        import tensorflow as tf

        def helper(t):
            {rebinding}
            return t

        w = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            loss = np.exp(w) + helper(w)
    """)
    report = check([SourceFile("rebind.py", text)], Config(), jobs=1)
    assert ("TFG001", 10) in [(f.code, f.span.start.line) for f in report.findings]
    assert report.errors == ()


def test_numpy_removed_from_a_parenthesized_receiver(tmp_path):
    (tmp_path / "paren.py").write_text(fuzzing.in_tape("loss = (w * 2.0).numpy()\n"))
    result = run_cli("--fix", "--unsafe-fixes", "paren.py", cwd=tmp_path)
    assert "internal error" not in result.stderr
    assert (tmp_path / "paren.py").read_text().endswith("    loss = (w * 2.0)\n")


def test_a_fifo_in_a_folder_does_not_block_the_run(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "plain.py").write_text(deep_module("np.log(w)"))
    result = subprocess.run([sys.executable, "-m", "tflint_grad", "."], cwd=tmp_path, capture_output=True,
                            text=True, timeout=10, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "plain.py:6:12: TFG001" in result.stdout


# -- deep but legal nesting ------------------------------------------------------------------------
DEEP_EXPRESSIONS = {  # name: (the expression assigned in a tape block, TFG001 findings expected)
    "sum of 400 terms": (" + ".join(["np.exp(w)"] * 400), 400),
    "150 nested calls": "tf.identity(" * 150 + "np.exp(w)" + ")" * 150,
    "199 nested lists": "[" * 199 + "np.exp(w)" + "]" * 199,  # CPython refuses 200 levels of brackets
    "1,000-long attribute chain": "np.exp(w" + ".T" * 1000 + ")",
    "3,000-long attribute chain": "np.exp(w" + ".T" * 2980 + ")",  # about as deep as CPython compiles
}


def deep_module(expression: str) -> str:
    return fuzzing.in_tape(f"loss = {expression}\n")


def expected_count(case) -> tuple[str, int]:
    return (case, 1) if isinstance(case, str) else case


@pytest.mark.parametrize("name", DEEP_EXPRESSIONS)
def test_deep_expressions_are_analysed_on_a_deep_stack(name):
    expression, count = expected_count(DEEP_EXPRESSIONS[name])
    report = run_with_deep_stack(check, [SourceFile("deep.py", deep_module(expression))], Config(), 1)
    assert [f.code for f in report.findings] == ["TFG001"] * count
    assert report.errors == ()


@pytest.mark.parametrize("name", DEEP_EXPRESSIONS)
def test_deep_expressions_through_the_cli(tmp_path, name):
    """A child process: a crash in the parser must not take the test run down."""
    expression, count = expected_count(DEEP_EXPRESSIONS[name])
    (tmp_path / "deep.py").write_text(deep_module(expression))
    (tmp_path / "plain.py").write_text(deep_module("np.log(w)"))
    result = run_cli(".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.count("deep.py:6:") == count
    assert "plain.py:6:12: TFG001" in result.stdout


def test_parentheses_deeper_than_cpython_allows_are_a_file_error(tmp_path):
    """1,500 of them crashed libcst's parser (a segfault); CPython stops at 200."""
    (tmp_path / "deep.py").write_text(deep_module("(" * 1500 + "np.exp(w)" + ")" * 1500))
    (tmp_path / "plain.py").write_text(deep_module("np.log(w)"))
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: ./deep.py: cannot parse: too deeply nested (more than 200 open brackets)" in result.stderr
    assert "plain.py:6:12: TFG001" in result.stdout


# -- run_with_deep_stack ---------------------------------------------------------------------------
def test_deep_stack_returns_raises_and_restores_the_recursion_limit():
    limit = sys.getrecursionlimit()
    assert run_with_deep_stack(sys.getrecursionlimit) == max(limit, RECURSION_LIMIT)
    assert run_with_deep_stack(run_with_deep_stack, sys.getrecursionlimit) == max(limit, RECURSION_LIMIT)
    with pytest.raises(KeyError, match="missing"):
        run_with_deep_stack({}.__getitem__, "missing")
    assert sys.getrecursionlimit() == limit


def test_deep_stack_holds_recursion_far_past_the_default_limit():
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    with pytest.raises(RecursionError):
        depth(5 * sys.getrecursionlimit())
    assert run_with_deep_stack(depth, RECURSION_LIMIT - 100) == RECURSION_LIMIT - 100


def test_deep_stack_gives_the_native_parser_room():
    """1,500 nested parentheses overflow the main thread's 8 MiB C stack in libcst's parser (a crash)."""
    code = ("import libcst; from tflint_grad.deep import run_with_deep_stack; "
            "module = run_with_deep_stack(libcst.parse_module, '(' * 1500 + '1' + ')' * 1500 + '\\n'); "
            "print(type(module.body[0].body[0].value).__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (result.returncode, result.stdout) == (0, "Integer\n"), result.stderr[-500:]
