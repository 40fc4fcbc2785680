"""The user contract of the CLI: selection, suppression, configuration,
discovery, bad input and exit codes - through the real command."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from tflint_grad.rules import RULES_BY_CODE

KNOWN_CODES = ", ".join(RULES_BY_CODE)  # as the usage errors list them

BUGGY = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf

    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = np.exp(w) + w.numpy()
        assert np.isfinite(loss)
    grad = tape.gradient(loss, w)
""")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def codes(output: str) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in output.splitlines() if ": TFG" in line]


def test_findings_exit_1_and_clean_exit_0(tmp_path):
    write(tmp_path, "bad.py", BUGGY)
    write(tmp_path, "good.py", BUGGY.replace("np.exp(w) + w.numpy()", "tf.exp(w)").replace("    assert np.isfinite(loss)\n", ""))
    bad = run_cli("bad.py", cwd=tmp_path)
    assert bad.returncode == 1
    assert codes(bad.stdout) == ["TFG001", "TFG002", "TFG101"]
    assert bad.stdout.splitlines()[0].startswith("bad.py:6:12: TFG001 [*] np.exp on tensor 'w' cuts the gradient: inside the tf.GradientTape block (line 5); use tf.exp")
    good = run_cli("good.py", cwd=tmp_path)
    assert (good.returncode, good.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize("flags, expected", [
    (["--select", "TFG0"], ["TFG001", "TFG002"]),
    (["--ignore", "TFG1"], ["TFG001", "TFG002"]),
    (["--select", "TFG002,TFG101"], ["TFG002", "TFG101"]),
    (["--select", "TFG", "--ignore", "TFG00"], ["TFG101"]),
    (["--select", "TFG0", "--ignore", "TFG"], ["TFG001", "TFG002"]),  # longer prefix wins
])
def test_select_and_ignore_by_prefix(tmp_path, flags, expected):
    write(tmp_path, "bad.py", BUGGY)
    assert codes(run_cli("bad.py", *flags, cwd=tmp_path).stdout) == expected


def test_noqa_specific_and_bare(tmp_path):
    text = BUGGY.replace("w.numpy()", "w.numpy()  # noqa: TFG002").replace(
        "assert np.isfinite(loss)", "assert np.isfinite(loss)  # noqa")
    write(tmp_path, "bad.py", text)
    assert codes(run_cli("bad.py", cwd=tmp_path).stdout) == ["TFG001"]
    other = BUGGY.replace("w.numpy()", "w.numpy()  # noqa: TFG101")
    write(tmp_path, "other.py", other)
    assert codes(run_cli("other.py", cwd=tmp_path).stdout) == ["TFG001", "TFG002", "TFG101"]


def test_pyproject_configuration(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.tflint-grad]\nignore = ["TFG101"]\nexclude = ["legacy"]\n')
    write(tmp_path, "src/bad.py", BUGGY)
    write(tmp_path, "legacy/old.py", BUGGY)
    result = run_cli(".", cwd=tmp_path)
    assert codes(result.stdout) == ["TFG001", "TFG002"]
    assert "legacy" not in result.stdout
    assert codes(run_cli("src", "--ignore", "TFG00", cwd=tmp_path / "src").stdout) == []


def test_user_entry_points_from_pyproject(tmp_path):
    write(tmp_path, "pyproject.toml", textwrap.dedent("""\
        [tool.tflint-grad]
        entry-points = [{ function = "mylib.fit", keyword = "loss_fn", position = 0 }]
    """))
    write(tmp_path, "train.py", textwrap.dedent("""\
        import numpy as np
        import mylib

        def loss(params):
            return np.sum(params ** 2)

        mylib.fit(loss, steps=10)
    """))
    result = run_cli("train.py", cwd=tmp_path)
    assert codes(result.stdout) == ["TFG001"]
    assert "loss is passed as loss_fn to mylib.fit (line 7)" in result.stdout


@pytest.mark.parametrize("config, message", [
    ('[tool.tflint-grad]\nselec = ["TFG"]\n', "unknown option(s) in [tool.tflint-grad]: selec"),
    ('[tool.tflint-grad]\nselect = "TFG"\n', "select must be a list of strings"),
    ('[tool.tflint-grad\n', "pyproject.toml"),
    ('[tool.tflint-grad]\nselect = ["TGF001"]\n', "unknown rule selector 'TGF001' in "),
    ('[tool.tflint-grad]\nignore = ["TFG9"]\n', "unknown rule selector 'TFG9' in "),
    ('[[tool.tflint-grad.entry-points]]\nfunction = "m.fit"\nposition = "zero"\n', "entry-points position must be a whole number from 0; got 'zero'"),
    ('[[tool.tflint-grad.entry-points]]\nfunction = "m.fit"\nposition = -1\n', "entry-points position must be a whole number from 0; got -1"),
    ('[[tool.tflint-grad.entry-points]]\nfunction = "m.fit"\noutput = "yes"\n', "entry-points output must be true or false"),
    ('[tool.tflint-grad]\nentry-points = {function = "m.fit"}\n', "entry-points must be a list of tables"),
    ('tool = 5\n', "'tool' must be a table, got 5"),
    ('[tool]\ntflint-grad = 5\n', "[tool.tflint-grad] must be a table, got 5"),
])
def test_bad_configuration_is_a_usage_error(tmp_path, config, message):
    write(tmp_path, "pyproject.toml", config)
    write(tmp_path, "bad.py", BUGGY)
    result = run_cli("bad.py", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""


def test_pyproject_that_is_not_utf8_is_a_usage_error(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.tflint-grad]\nselect = ["\xff"]\n')
    write(tmp_path, "bad.py", BUGGY)
    result = run_cli("bad.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("tflint-grad: error: ") and "codec can't decode" in result.stderr


@pytest.mark.parametrize("flags, shown", [
    (["--select", "XYZ"], "'XYZ' in --select"),
    (["--select", "TFG9"], "'TFG9' in --select"),
    (["--select", "TGF001"], "'TGF001' in --select"),
    (["--select", "good.py"], "'GOOD.PY' in --select"),  # a path swallowed as the value
    (["--ignore", "TFG001,TFG7"], "'TFG7' in --ignore"),
])
def test_unknown_rule_selector_is_a_usage_error(tmp_path, flags, shown):
    write(tmp_path, "bad.py", BUGGY)
    result = run_cli("bad.py", *flags, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"tflint-grad: error: unknown rule selector {shown}; the codes are {KNOWN_CODES} "
                             "(a prefix such as TFG0 selects several)\n")


def test_unknown_code_in_noqa_is_an_error_at_its_position_and_other_tools_codes_are_left_alone(tmp_path):
    write(tmp_path, "bad.py", BUGGY.replace("w.numpy()", "w.numpy()  # noqa: TFG02, E501").replace(
        "grad = tape.gradient(loss, w)", "grad = tape.gradient(loss, w)  # noqa: E501, F401"))
    result = run_cli("bad.py", cwd=tmp_path)
    assert result.returncode == 2
    assert codes(result.stdout) == ["TFG001", "TFG002", "TFG101"]  # the typo suppressed nothing
    assert result.stderr == ("error: bad.py:6:43: unknown rule selector 'TFG02' in # noqa; a # noqa takes full codes: "
                             f"{KNOWN_CODES}\n")


def test_noqa_inside_a_string_suppresses_nothing(tmp_path):
    write(tmp_path, "bad.py", BUGGY.replace("w.numpy()", 'w.numpy(); note = "# noqa"'))
    assert codes(run_cli("bad.py", cwd=tmp_path).stdout) == ["TFG001", "TFG002", "TFG101"]


def test_all_checks_passed_only_when_nothing_was_found_and_nothing_failed(tmp_path):
    result = run_cli("nope.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "No findings, but 1 error (see stderr).\n")
    assert result.stderr == "error: nope.py: no such file or folder\n"


def test_unsafe_fixes_hint_names_the_flags_that_apply_them(tmp_path):
    write(tmp_path, "bad.py", BUGGY)
    plain = run_cli("bad.py", cwd=tmp_path).stdout.splitlines()[-2:]
    assert plain == ["[*] 1 fixable with the `--fix` option.",
                     "1 more fixable with `--fix --unsafe-fixes` (unsafe: review the result)."]
    unsafe = run_cli("bad.py", "--unsafe-fixes", cwd=tmp_path).stdout.splitlines()[-2:]
    assert unsafe == ["[*] 1 fixable with the `--fix` option.",
                      "[*] 1 fixable with `--fix --unsafe-fixes` (unsafe: review the result)."]


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run_cli("--frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --frobnicate" in result.stderr


def test_unparsable_and_missing_files_do_not_stop_the_others(tmp_path):
    write(tmp_path, "a_broken.py", "import tensorflow as tf\ndef f(:\n    pass\n")
    write(tmp_path, "b_bad.py", BUGGY)
    result = run_cli("a_broken.py", "b_bad.py", "missing.py", cwd=tmp_path)
    assert result.returncode == 1
    assert codes(result.stdout) == ["TFG001", "TFG002", "TFG101"]
    assert "error: a_broken.py:" in result.stderr and "syntax error" in result.stderr
    assert "error: missing.py: no such file or folder" in result.stderr


def test_undecodable_file_is_a_clear_error(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"import tensorflow as tf\nx = '\xff'\n")
    write(tmp_path, "b_bad.py", BUGGY)
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: ./latin.py: cannot decode" in result.stderr
    assert codes(result.stdout) == ["TFG001", "TFG002", "TFG101"]


def test_discovery_skips_virtualenvs_build_and_caches(tmp_path):
    for folder in (".git", "build", "__pycache__", "myenv", "node_modules"):
        write(tmp_path, f"{folder}/x.py", BUGGY)
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "pkg/real.py", BUGGY)
    write(tmp_path, "pkg/ignored_one.py", BUGGY)
    result = run_cli(".", "--exclude", "*/ignored_*.py", cwd=tmp_path)
    paths = {line.split(":")[0] for line in result.stdout.splitlines() if ": TFG" in line}
    assert paths == {"./pkg/real.py"}
    # An excluded file named explicitly is still checked, unless --force-exclude.
    assert codes(run_cli("pkg/ignored_one.py", "--exclude", "*/ignored_*.py", cwd=tmp_path).stdout)
    forced = run_cli("pkg/ignored_one.py", "--exclude", "*/ignored_*.py", "--force-exclude", cwd=tmp_path)
    assert (forced.returncode, codes(forced.stdout)) == (0, [])


def test_stdin(tmp_path):
    result = run_cli("-", "--stdin-filename", "notebook_cell.py", cwd=tmp_path, stdin=BUGGY)
    assert result.returncode == 1
    assert result.stdout.startswith("notebook_cell.py:6:12: TFG001")


def test_cross_file_reachability(tmp_path):
    write(tmp_path, "model/__init__.py", "")
    write(tmp_path, "model/density.py", "import numpy as np\n\ndef log_density(x):\n    return np.log(x)\n")
    write(tmp_path, "train.py", textwrap.dedent("""\
        import tensorflow as tf
        from model.density import log_density

        w = tf.Variable(2.0)
        with tf.GradientTape() as tape:
            loss = log_density(w)
        grad = tape.gradient(loss, w)
    """))
    result = run_cli(".", cwd=tmp_path)
    assert result.stdout.splitlines()[0] == (
        "./model/density.py:4:12: TFG001 [*] np.log on tensor 'x' cuts the gradient: log_density is reached "
        "from the tf.GradientTape block (./train.py:5); use tf.math.log"
    )
    # Alone, the helper is not differentiated code: silence.
    assert run_cli("model/density.py", cwd=tmp_path).returncode == 0


def test_unreadable_path_is_a_clear_error(tmp_path):
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")
    write(tmp_path, "b_bad.py", BUGGY)
    result = run_cli("dangling.py", "b_bad.py", cwd=tmp_path)
    assert result.returncode == 1
    assert f"error: dangling.py: dangling symlink (to '{tmp_path / 'gone.py'}', which does not exist)" in result.stderr
    assert codes(result.stdout) == ["TFG001", "TFG002", "TFG101"]


def test_a_subclass_in_a_file_that_never_names_tensorflow_is_analysed(tmp_path):
    write(tmp_path, "models/__init__.py", "")
    write(tmp_path, "models/base.py", "import tensorflow as tf\n\nclass Block(tf.keras.layers.Layer):\n    pass\n")
    write(tmp_path, "models/blocks.py", textwrap.dedent("""\
        import numpy as np
        from .base import Block

        class SoftplusBlock(Block):
            def call(self, x):
                return np.log1p(np.exp(x))
    """))
    result = run_cli(".", cwd=tmp_path)
    assert codes(result.stdout) == ["TFG001", "TFG001"]
    assert "./models/blocks.py:6:16: TFG001" in result.stdout


def test_same_module_name_in_sibling_folders_resolves_to_the_importers_own(tmp_path):
    tape = ("import tensorflow as tf\nfrom utils import transform\nw = tf.Variable(1.0)\n"
            "with tf.GradientTape() as tape:\n    loss = transform(w)\ng = tape.gradient(loss, w)\n")
    for folder in ("exp1", "exp2"):
        write(tmp_path, f"{folder}/train.py", tape)
    write(tmp_path, "exp1/utils.py", "import numpy as np\n\ndef transform(x):\n    return np.exp(x)\n")
    write(tmp_path, "exp2/utils.py", "def transform(x):\n    return x * 2\n")
    result = run_cli(".", cwd=tmp_path)
    assert [line.split(": ")[0] for line in result.stdout.splitlines() if ": TFG" in line] == ["./exp1/utils.py:4:12"]
    assert "(./exp1/train.py:4)" in result.stdout
