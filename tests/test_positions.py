"""Where a file's problems are reported, through the real CLI: Python's own line and column.

libcst reports many syntax errors a line late and every tokenizer error
(and a NUL byte) at 1:1; it drops a form feed that opens an indented line,
which shifted every later column on that line (and the fix edits with it);
and 1,500 nested brackets crash its native parser.  Each case is one file
of a run whose other file is still checked.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

GOOD_PY = "import numpy as np\nimport tensorflow as tf\nx = tf.Variable(2.0)\nwith tf.GradientTape() as tape:\n    y = np.log(x)\n"
GOOD_FIRST_LINE = "good.py:5:9: TFG001 [*] np.log on tensor 'x' cuts the gradient"


@pytest.mark.parametrize(("code", "where", "message"), [
    ("x = 1\ny = (\n", "2:5", "'(' was never closed"),
    ("x = 1\ndef f(:\n    pass\n", "2:7", "invalid syntax"),
    ("x = 1\ny = )\nz = 2\n", "2:5", "unmatched ')'"),
    ("x = 1\nname = 'abc\n", "2:8", "unterminated string literal (detected at line 2)"),
    ("x = 1\nif x:\n\tpass\n        pass\n", "4:1", "inconsistent use of tabs and spaces in indentation"),
    ("x = 1\ny = 'é' + )\n", "2:11", "unmatched ')'"),
    ("x = 1\ny = 1\0\n", "2:6", "source code cannot contain null bytes"),
])
def test_a_syntax_error_is_reported_at_pythons_own_line_and_column(tmp_path, code, where, message):
    (tmp_path / "bad.py").write_text(code.replace("x = 1", "import tensorflow as tf", 1), encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD_PY, encoding="utf-8")
    result = run_cli("bad.py", "good.py", cwd=tmp_path)
    assert result.stderr == f"error: bad.py:{where}: syntax error: {message}\n"
    assert (result.returncode, result.stdout.splitlines()[0][:len(GOOD_FIRST_LINE)]) == (1, GOOD_FIRST_LINE)


def test_brackets_nested_deeper_than_python_allows_are_a_per_file_error_not_a_crash(tmp_path):
    (tmp_path / "deep.py").write_text("import tensorflow as tf\nx = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    (tmp_path / "good.py").write_text(GOOD_PY, encoding="utf-8")
    result = run_cli("deep.py", "good.py", cwd=tmp_path)
    assert result.stderr == "error: deep.py: cannot parse: too deeply nested (more than 200 open brackets)\n"
    assert (result.returncode, result.stdout.splitlines()[0][:len(GOOD_FIRST_LINE)]) == (1, GOOD_FIRST_LINE)


def test_brackets_in_strings_do_not_count_as_nesting(tmp_path):
    (tmp_path / "smiles.py").write_text(GOOD_PY + "faces = '" + "(" * 300 + "'\n")
    result = run_cli("smiles.py", "--select", "TFG001", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("smiles.py:5:9: TFG001")


def test_a_form_feed_opening_an_indented_line_does_not_shift_the_columns_or_the_fix(tmp_path):
    code = GOOD_PY.replace("    y = np.log(x)\n", "    z = 1\n\f    y = np.log(x)\n")
    (tmp_path / "ff.py").write_text(code)
    result = run_cli("ff.py", "--output-format", "json", cwd=tmp_path)
    (entry,) = json.loads(result.stdout)
    assert (entry["location"], entry["end_location"]) == ({"row": 6, "column": 10}, {"row": 6, "column": 19})
    assert entry["fix"]["edits"] == [{
        "content": "tf.math.log", "location": {"row": 6, "column": 10}, "end_location": {"row": 6, "column": 16},
    }]
    run_cli("--fix", "ff.py", cwd=tmp_path)
    assert (tmp_path / "ff.py").read_text() == code.replace("np.log", "tf.math.log")
