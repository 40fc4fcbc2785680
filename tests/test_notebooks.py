"""Jupyter notebooks through the real CLI: findings by cell, magics, fixes that keep the file.

The fixture ``fixtures/notebooks/vi_two_bumps.ipynb`` is the seed as it was
first written: a notebook with ``%matplotlib inline`` in the imports cell, the
numpy density in one cell, the training loop (with its saved output) in the
next.  Every expectation is written out: the report lines, the fixed cell
sources, the bytes of the file after ``--fix``.  Notebooks made by the tests
are serialised the way Jupyter, Colab and other writers do, to show that a fix
changes the ``source`` of the fixed cells and not one other byte.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

from tflint_grad.findings import Position
from tflint_grad.parse.load import load

SEED = FIXTURES / "notebooks" / "vi_two_bumps.ipynb"
CONTEXT = "passed as target_log_prob_fn to tfp.vi.monte_carlo_variational_loss (cell 4, line 7)"
SEED_REPORT = f"""\
{{path}}:cell 3:2:36: TFG001 [*] np.exp on tensor 'x' cuts the gradient: pdist is reached from logpdist, {CONTEXT}; use tf.exp
{{path}}:cell 3:2:84: TFG001 [*] np.exp on tensor 'x' cuts the gradient: pdist is reached from logpdist, {CONTEXT}; use tf.exp
{{path}}:cell 3:4:12: TFG001 [*] np.log on tensor 'pdist(x)' cuts the gradient: logpdist is {CONTEXT}; use tf.math.log
"""
SEED_WARNING = (
    "{path}:cell 3:5:19: TFG101 np.isfinite of tensor 'logp' is a host round-trip (logpdist is "
    f"{CONTEXT}); the gradient is intact but it syncs the device and breaks under tf.function; "
    "use a TensorFlow op (tf.debugging.* for checks)\n"
)
SEED_FIXED_CELL = [
    "def pdist(x):\n",
    "    return (.5/np.sqrt(2*np.pi)) * tf.exp((-(x+3)**2)/2) + (.5/np.sqrt(2*np.pi)) * tf.exp((-(x-3)**2)/2)\n",
    "def logpdist(x):\n",
    "    logp = tf.math.log(1e-30+pdist(x))\n",
    "    assert np.all(np.isfinite(logp))\n",
    "    return logp",
]
TAPE_CELL = "x = tf.Variable(2.0)\nwith tf.GradientTape() as tape:\n    y = np.log(x)"


def notebook(*cells: tuple[str, str]) -> dict:
    """An nbformat 4.5 notebook of ("code" | "markdown", source) cells, sources as lists of lines."""
    made = []
    for number, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=number, outputs=[])
        made.append(cell)
    return {"cells": made, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def jupyter(document: dict) -> str:
    """What Jupyter (nbformat) writes."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, document: dict) -> Path:
    path.write_text(jupyter(document), encoding="utf-8")
    return path


def sources(path: Path) -> list:
    return [cell["source"] for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]


# --- the seed notebook -------------------------------------------------------------


def test_seed_notebook_reports_the_three_cuts_and_the_warning_by_cell():
    result = run_cli("fixtures/notebooks/vi_two_bumps.ipynb")
    path = "fixtures/notebooks/vi_two_bumps.ipynb"
    assert result.stdout == (SEED_REPORT + SEED_WARNING).format(path=path) + (
        "Found 4 findings (3 gradient cuts, 1 warning).\n[*] 3 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (1, "")


def test_fix_rewrites_only_the_source_of_the_functions_cell(tmp_path):
    copy = tmp_path / "vi_two_bumps.ipynb"
    shutil.copy(SEED, copy)
    result = run_cli("--fix", "vi_two_bumps.ipynb", cwd=tmp_path)
    assert result.stdout == SEED_WARNING.format(path="vi_two_bumps.ipynb") + "Found 1 finding (0 gradient cuts, 1 warning).\n"
    assert (result.returncode, result.stderr) == (1, "Fixed 3 findings, 1 remaining.\n")

    before, after = json.loads(SEED.read_text(encoding="utf-8")), json.loads(copy.read_text(encoding="utf-8"))
    assert after["cells"][2]["source"] == SEED_FIXED_CELL
    before["cells"][2]["source"] = SEED_FIXED_CELL
    assert after == before  # outputs, metadata, ids, execution counts: all as they were
    assert [cell["outputs"][0]["text"][0] for cell in after["cells"][3:]] == ["1.100 -1.000 2.697\n"]
    assert copy.read_text(encoding="utf-8") == jupyter(before)  # the file's formatting too


def test_second_fix_changes_nothing(tmp_path):
    copy = tmp_path / "vi_two_bumps.ipynb"
    shutil.copy(SEED, copy)
    run_cli("--fix", "vi_two_bumps.ipynb", cwd=tmp_path)
    once = copy.read_bytes()
    result = run_cli("--fix", "vi_two_bumps.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "Fixed 0 findings, 1 remaining.\n")
    assert copy.read_bytes() == once


def test_diff_shows_each_changed_cell_and_writes_nothing(tmp_path):
    copy = tmp_path / "vi_two_bumps.ipynb"
    shutil.copy(SEED, copy)
    result = run_cli("--diff", "vi_two_bumps.ipynb", cwd=tmp_path)
    assert result.stdout == """\
--- a/vi_two_bumps.ipynb:cell 3
+++ b/vi_two_bumps.ipynb:cell 3
@@ -1,6 +1,6 @@
 def pdist(x):
-    return (.5/np.sqrt(2*np.pi)) * np.exp((-(x+3)**2)/2) + (.5/np.sqrt(2*np.pi)) * np.exp((-(x-3)**2)/2)
+    return (.5/np.sqrt(2*np.pi)) * tf.exp((-(x+3)**2)/2) + (.5/np.sqrt(2*np.pi)) * tf.exp((-(x-3)**2)/2)
 def logpdist(x):
-    logp = np.log(1e-30+pdist(x))
+    logp = tf.math.log(1e-30+pdist(x))
     assert np.all(np.isfinite(logp))
     return logp
"""
    assert (result.returncode, result.stderr) == (1, "Would fix 3 findings.\n")
    assert copy.read_bytes() == SEED.read_bytes()


# --- IPython magics ----------------------------------------------------------------

MAGICS = notebook(
    ("code", "%matplotlib inline\n!pip install tensorflow\nimport numpy as np\nimport tensorflow as tf\n"
             "np.exp?\n?np.exp\nnp.log??\nfiles = !ls"),
    ("markdown", "Timing cells keep their Python:"),
    ("code", "%%time\n" + TAPE_CELL + "\n    %time z = np.exp(x)\nif True:\n    %env DEBUG=1"),
    ("code", "%%bash\nif [ -n \"$HOME\" ]; then\n  echo $HOME\nfi"),
    ("code", "t = %timeit -o np.sqrt(2.0)\n" + TAPE_CELL),
)


def test_magics_are_masked_line_for_line_and_shell_cells_left_out(tmp_path):
    loaded = load(str(write(tmp_path / "magics.ipynb", MAGICS)))
    assert loaded.text == """\
pass  # %matplotlib inline
pass  # !pip install tensorflow
import numpy as np
import tensorflow as tf
pass  # np.exp?
pass  # ?np.exp
pass  # np.log??
pass  # files = !ls
pass  # %%time
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = np.log(x)
    pass  # %time z = np.exp(x)
if True:
    pass  # %env DEBUG=1
pass  # t = %timeit -o np.sqrt(2.0)
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = np.log(x)
"""


def test_findings_after_magics_point_into_the_right_cells(tmp_path):
    write(tmp_path / "magics.ipynb", MAGICS)
    result = run_cli("magics.ipynb", "--select", "TFG001", cwd=tmp_path)
    cut = "TFG001 [*] np.log on tensor 'x' cuts the gradient: inside the tf.GradientTape block ({}); use tf.math.log"
    assert result.stdout == (
        f"magics.ipynb:cell 3:4:9: {cut.format('cell 3, line 3')}\n"
        f"magics.ipynb:cell 5:4:9: {cut.format('cell 5, line 3')}\n"
        "Found 2 findings (2 gradient cuts, 0 warnings).\n[*] 2 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (1, "")


def test_fix_keeps_every_magic(tmp_path):
    path = write(tmp_path / "magics.ipynb", MAGICS)
    result = run_cli("--fix", "magics.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 2 findings, 0 remaining.\n")
    fixed = TAPE_CELL.replace("np.log", "tf.math.log")
    expected = [cell["source"] for cell in MAGICS["cells"]]
    expected[2] = ("%%time\n" + fixed + "\n    %time z = np.exp(x)\nif True:\n    %env DEBUG=1").splitlines(keepends=True)
    expected[4] = ("t = %timeit -o np.sqrt(2.0)\n" + fixed).splitlines(keepends=True)
    assert sources(path) == expected


def test_unsafe_fix_that_joins_lines_stays_in_its_cell_and_keeps_the_magic_after_it(tmp_path):
    path = write(tmp_path / "joined.ipynb", notebook(
        ("code", "import numpy as np\nimport tensorflow as tf\n%matplotlib inline"),
        ("code", "x = tf.Variable(2.0)\nwith tf.GradientTape() as tape:\n    y = tf.reduce_sum(np.asarray(\n        x\n    ))\n"
                 "%time g = tape.gradient(y, x)"),
        ("code", "print(y)"),
    ))
    result = run_cli("--fix", "--unsafe-fixes", "joined.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 1 finding, 0 remaining.\n")
    assert sources(path) == [
        ["import numpy as np\n", "import tensorflow as tf\n", "%matplotlib inline"],
        ["x = tf.Variable(2.0)\n", "with tf.GradientTape() as tape:\n", "    y = tf.reduce_sum(x)\n", "%time g = tape.gradient(y, x)"],
        ["print(y)"],
    ]


def test_a_syntax_error_is_reported_at_its_cell_line_and_column_and_the_other_cells_are_checked(tmp_path):
    write(tmp_path / "broken.ipynb", notebook(
        ("markdown", "# Title"), ("code", "import numpy as np\nimport tensorflow as tf"), ("code", "x = 1\ny = ("),
        ("code", TAPE_CELL),
    ))
    result = run_cli("broken.ipynb", cwd=tmp_path)
    assert result.stdout == (
        "broken.ipynb:cell 4:3:9: TFG001 [*] np.log on tensor 'x' cuts the gradient: inside the tf.GradientTape block "
        "(cell 4, line 2); use tf.math.log\nFound 1 finding (1 gradient cut, 0 warnings).\n"
        "1 error (see stderr).\n[*] 1 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (
        1, "error: broken.ipynb:cell 3:2:5: syntax error: '(' was never closed (cell not checked)\n")


def test_notebooks_of_another_language_have_no_python(tmp_path):
    document = notebook(("code", "library(ggplot2)\nx <- c(1, 2)"))
    document["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}}
    write(tmp_path / "plots.ipynb", document)
    result = run_cli("plots.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


# --- where an inserted import goes ---------------------------------------------------


# The fixer inserts the import after the last import of the joined text (the end
# of cell 3): on a line of its own, or next to a line it also fixes (the one-liner).
@pytest.mark.parametrize("tape", ["with GradientTape() as tape:\n    y = np.exp(x)", "with GradientTape() as tape: y = np.exp(x)"])
def test_inserted_import_lands_in_the_first_cell_with_imports(tmp_path, tape):
    path = write(tmp_path / "imports.ipynb", notebook(
        ("markdown", "Setup"),
        ("code", "import numpy as np\nfrom tensorflow import GradientTape, Variable\nx = Variable(1.0)"),
        ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt"),
        ("code", tape),
    ))
    result = run_cli("--fix", "imports.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 1 finding, 0 remaining.\n")
    assert sources(path)[1:] == [
        ["import numpy as np\n", "from tensorflow import GradientTape, Variable\n", "import tensorflow as tf\n", "x = Variable(1.0)"],
        ["%matplotlib inline\n", "import matplotlib.pyplot as plt"],
        tape.replace("np.exp", "tf.exp").splitlines(keepends=True),
    ]


def test_inserted_import_goes_atop_the_first_code_cell_when_no_cell_imports(tmp_path):
    path = write(tmp_path / "local.ipynb", notebook(
        ("markdown", "Everything is imported inside the function."),
        ("code", "def grad():\n    from tensorflow import GradientTape, Variable\n    import numpy as np\n"
                 "    x = Variable(1.0)\n    with GradientTape() as tape:\n        y = np.exp(x)\n    return tape.gradient(y, x)"),
        ("code", "grad()"),
    ))
    result = run_cli("--fix", "local.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 1 finding, 0 remaining.\n")
    assert "".join(sources(path)[1]) == (
        "import tensorflow as tf\ndef grad():\n    from tensorflow import GradientTape, Variable\n    import numpy as np\n"
        "    x = Variable(1.0)\n    with GradientTape() as tape:\n        y = tf.exp(x)\n    return tape.gradient(y, x)"
    )
    assert sources(path)[2] == ["grad()"]


# --- the file's own JSON style is kept ---------------------------------------------


def _styled(document: dict, style: str) -> str:
    """``document`` as a given writer serialises it."""
    if style == "jupyter":
        return jupyter(document)
    if style == "colab":  # 2 spaces, nbformat keys first, ASCII escapes, sources as strings, no final newline
        colab = {key: document[key] for key in ("nbformat", "nbformat_minor", "metadata", "cells")}
        colab["cells"] = [{**cell, "source": "".join(cell["source"])} for cell in document["cells"]]
        return json.dumps(colab, indent=2)
    if style == "compact":
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    assert style == "windows"
    return jupyter(document).replace("\n", "\r\n")


@pytest.mark.parametrize("style", ["jupyter", "colab", "compact", "windows"])
def test_fix_keeps_the_json_style_of_the_file(tmp_path, style):
    document = notebook(
        ("markdown", "为什么梯度与实际的 elbo_loss 无关？\nSee the output below."),
        ("code", "import numpy as np\nimport tensorflow as tf"),
        ("code", TAPE_CELL + "\nprint(y)"),
    )
    document["cells"][2]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["0.6931472\n"]}]
    document["cells"][2]["metadata"] = {"tags": ["grad"], "collapsed": False}
    path = tmp_path / "styled.ipynb"
    path.write_bytes(_styled(document, style).encode("utf-8"))

    result = run_cli("--fix", "styled.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 1 finding, 0 remaining.\n")
    document["cells"][2]["source"] = (TAPE_CELL.replace("np.log", "tf.math.log") + "\nprint(y)").splitlines(keepends=True)
    assert path.read_bytes() == _styled(document, style).encode("utf-8")


def test_notebook_without_changes_is_left_byte_identical(tmp_path):
    text = json.dumps(notebook(("code", "import tensorflow as tf\nx = tf.constant(1.0)")), indent=3) + "\n\n"
    path = tmp_path / "clean.ipynb"
    path.write_text(text, encoding="utf-8")
    result = run_cli("--fix", "clean.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert path.read_text(encoding="utf-8") == text


# --- bad notebooks, discovery ---------------------------------------------------------

GOOD_PY = "import numpy as np\nimport tensorflow as tf\n" + TAPE_CELL + "\n"
GOOD_FINDING = (
    "good.py:5:9: TFG001 [*] np.log on tensor 'x' cuts the gradient: inside the tf.GradientTape block (line 4); "
    "use tf.math.log\nFound 1 finding (1 gradient cut, 0 warnings).\n[*] 1 fixable with the `--fix` option.\n"
)


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ("[]", "the JSON is not an object"),
    ('{"nbformat": 3, "worksheets": []}', "expected nbformat 4, found 3"),
    ('{"nbformat": 4, "metadata": {}}', "no 'cells' list"),
    ('{"nbformat": 4, "cells": [{"source": []}]}', "cell 1 has no 'cell_type'"),
    ('{"nbformat": 4, "cells": [{"cell_type": "markdown", "source": []}, {"cell_type": "code"}]}',
     "cell 2 has no 'source' string or list of strings"),
])
def test_a_file_that_is_not_a_notebook_is_an_error_and_others_are_still_checked(tmp_path, content, message):
    (tmp_path / "bad.ipynb").write_text(content, encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD_PY, encoding="utf-8")
    result = run_cli("bad.ipynb", "good.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, GOOD_FINDING.replace(
        "warnings).\n", "warnings).\n1 error (see stderr).\n"))
    assert result.stderr == f"error: bad.ipynb: not a notebook: {message}\n"


def test_notebooks_in_folders_are_discovered(tmp_path):
    folder = tmp_path / "project" / "analysis"
    folder.mkdir(parents=True)
    write(folder / "tape.ipynb", notebook(("markdown", "# Tape"), ("code", "import numpy as np\nimport tensorflow as tf\n" + TAPE_CELL)))
    result = run_cli("project", cwd=tmp_path)
    assert result.stdout == (
        "project/analysis/tape.ipynb:cell 2:5:9: TFG001 [*] np.log on tensor 'x' cuts the gradient: "
        "inside the tf.GradientTape block (cell 2, line 4); use tf.math.log\n"
        "Found 1 finding (1 gradient cut, 0 warnings).\n[*] 1 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (1, "")


# --- notebooks through worker processes ------------------------------------------------


def test_a_loaded_notebook_is_plain_data_that_survives_a_pickle_round_trip():
    loaded = load(str(SEED))
    copy = pickle.loads(pickle.dumps(loaded))
    assert copy == loaded
    assert copy.cell_of(Position(9, 4)) == loaded.cell_of(Position(9, 4)) == ("cell 3", Position(2, 4))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the process pool needs two cores")
def test_a_project_big_enough_for_the_process_pool_with_notebooks_among_its_files(tmp_path):
    """103 files that mention TensorFlow: parsed in two worker processes, notebooks included."""
    for number in range(100):
        (tmp_path / f"m{number:03}.py").write_text(f"import tensorflow as tf\n\nW{number} = tf.Variable(1.0)\n")
    (tmp_path / "m000.py").write_text(GOOD_PY)
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.ipynb", notebook(("markdown", "# Tape"), ("code", "import numpy as np\nimport tensorflow as tf"),
                                                   ("code", TAPE_CELL)))
    result = run_cli(".", cwd=tmp_path)
    cut = ("TFG001 [*] np.log on tensor 'x' cuts the gradient: inside the tf.GradientTape block ({}); use tf.math.log")
    assert result.stdout == "".join(f"./{name}.ipynb:cell 3:3:9: {cut.format('cell 3, line 2')}\n" for name in "abc") + (
        f"./m000.py:5:9: {cut.format('line 4')}\n"
        "Found 4 findings (4 gradient cuts, 0 warnings).\n[*] 4 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (1, "")


# --- notebooks as people write them ---------------------------------------------------------

FORMS = notebook(
    ("code", "!pip install -q \\\n    tensorflow \\\n    tensorflow-probability\n%pip install \\\n  numpy\n"
             "import numpy as np\nimport tensorflow as tf"),
    ("code", "    x = tf.Variable(2.0)\n    with tf.GradientTape() as tape:\n        y = np.log(x)\n\n    print(y)"),
    ("code", "%%tensorboard_magic --logdir logs\nnot python at all"),
    ("code", "ls ./data/train/"),
    ("code", "with tf.GradientTape() as tape:\n    z = np.exp(x)"),
)


def test_continued_shell_lines_are_masked_and_a_pasted_indented_cell_is_dedented(tmp_path):
    loaded = load(str(write(tmp_path / "forms.ipynb", FORMS)))
    assert loaded.text.splitlines()[:12] == [
        "pass  # !pip install -q \\",
        "    # tensorflow \\",
        "    # tensorflow-probability",
        "pass  # %pip install \\",
        "  # numpy",
        "import numpy as np",
        "import tensorflow as tf",
        "x = tf.Variable(2.0)",
        "with tf.GradientTape() as tape:",
        "    y = np.log(x)",
        "",
        "print(y)",
    ]


def test_cells_that_are_not_python_are_errors_at_their_place_and_the_other_cells_are_checked(tmp_path):
    write(tmp_path / "forms.ipynb", FORMS)
    result = run_cli("forms.ipynb", cwd=tmp_path)
    cut = "TFG001 [*] np.{} on tensor 'x' cuts the gradient: inside the tf.GradientTape block ({}); use tf.{}"
    assert result.stdout == (
        f"forms.ipynb:cell 2:3:13: {cut.format('log', 'cell 2, line 2', 'math.log')}\n"
        f"forms.ipynb:cell 5:2:9: {cut.format('exp', 'cell 5, line 1', 'exp')}\n"
        "Found 2 findings (2 gradient cuts, 0 warnings).\n2 errors (see stderr).\n"
        "[*] 2 fixable with the `--fix` option.\n"
    )
    assert (result.returncode, result.stderr) == (1, (
        "error: forms.ipynb:cell 3:1:1: cell not checked: unknown cell magic %%tensorboard_magic\n"
        "error: forms.ipynb:cell 4:1:5: syntax error: invalid syntax (cell not checked)\n"
    ))


def test_fix_of_a_dedented_cell_keeps_its_indentation_and_every_other_cell(tmp_path):
    path = write(tmp_path / "forms.ipynb", FORMS)
    result = run_cli("--fix", "forms.ipynb", cwd=tmp_path)
    assert result.stderr.endswith("Fixed 2 findings, 0 remaining.\n")
    expected = [cell["source"] for cell in FORMS["cells"]]
    expected[1] = [line.replace("np.log", "tf.math.log") for line in expected[1]]
    expected[4] = [line.replace("np.exp", "tf.exp") for line in expected[4]]
    assert sources(path) == expected


@pytest.mark.parametrize("metadata", [
    {"kernelspec": {"display_name": "Swift", "name": "swift"}},
    {"kernelspec": {"display_name": "Julia 1.9", "name": "julia-1.9"}},
    {"kernelspec": {"name": "python3"}, "language_info": {"name": "swift"}},
])
def test_notebooks_of_a_kernel_in_another_language_are_skipped_by_their_metadata(tmp_path, metadata):
    document = notebook(("code", "// github.com/tensorflow/swift\nimport TensorFlow\nlet x = Tensor<Float>([1, 2])\nprint(x)"))
    document["metadata"] = metadata
    write(tmp_path / "swift.ipynb", document)
    result = run_cli("swift.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_a_notebook_whose_metadata_nests_too_deeply_is_its_own_error(tmp_path):
    (tmp_path / "deep.ipynb").write_text(
        # 100,000 levels: deeper than any Python's json reads (3.13 reads 1,000, 3.11 does not)
        '{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}")
    (tmp_path / "good.py").write_text(GOOD_PY, encoding="utf-8")
    result = run_cli("deep.ipynb", "good.py", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "error: deep.ipynb: not a notebook: the JSON nests too deeply to read\n")
    assert result.stdout.startswith(GOOD_FINDING.splitlines()[0])


# --- %%writefile cells: modules of the project ---------------------------------------------

WRITEFILE = notebook(
    ("markdown", "Write the model's module, then import it."),
    ("code", "%%writefile model.py\nimport numpy as np\nimport tensorflow as tf\n\ndef loss_fn(x):\n    return np.log(x)\n"),
    ("code", "%%writefile -a model.py\n\ndef scale(x):\n    return np.square(x)\n"),
    ("code", "%%writefile notes.txt\nnot python"),
    ("code", "import tensorflow as tf\nimport model\nx = tf.Variable(2.0)\nwith tf.GradientTape() as tape:\n"
             "    y = model.loss_fn(x) + model.scale(x)\ng = tape.gradient(y, x)"),
)


def test_a_module_written_by_writefile_cells_is_analysed_and_its_cuts_shown_in_their_cells(tmp_path):
    write(tmp_path / "train.ipynb", WRITEFILE)
    result = run_cli("train.ipynb", cwd=tmp_path)
    via = "is reached from the tf.GradientTape block (train.ipynb, cell 5, line 4)"
    assert result.stdout == (
        f"train.ipynb:cell 2:6:12: TFG001 np.log on tensor 'x' cuts the gradient: loss_fn {via}; use tf.math.log\n"
        f"train.ipynb:cell 3:4:12: TFG001 np.square on tensor 'x' cuts the gradient: scale {via}; use tf.square\n"
        "Found 2 findings (2 gradient cuts, 0 warnings).\n"
    )
    assert (result.returncode, result.stderr) == (1, "")
    sarif = json.loads(run_cli("train.ipynb", "--output-format", "sarif", cwd=tmp_path).stdout)
    (location,) = sarif["runs"][0]["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "train.ipynb"
    line = (tmp_path / "train.ipynb").read_text(encoding="utf-8").splitlines()[location["physicalLocation"]["region"]["startLine"] - 1]
    assert line.strip() == '"    return np.log(x)\\n"'


def test_fix_leaves_writefile_cells_and_any_real_file_of_that_name_alone(tmp_path):
    path = write(tmp_path / "train.ipynb", WRITEFILE)
    (tmp_path / "model.py").write_text("import tensorflow as tf\n\ndef loss_fn(x):\n    return x\n\ndef scale(x):\n    return x\n")
    result = run_cli("train.ipynb", "model.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")  # the file on disk is the module
    result = run_cli("--fix", "train.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Fixed 0 findings, 0 remaining.\n")
    assert sources(path) == [cell["source"] for cell in WRITEFILE["cells"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "train.ipynb"]
