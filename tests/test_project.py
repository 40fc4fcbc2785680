"""The whole program everywhere: project context for named files, the cache,
and the adoption flags (--statistics, --add-noqa, --baseline), through the
real CLI on a two-file package (``train.py`` fits with a loss from
``mylib/losses.py``, which uses numpy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tflint_grad.cache
from conftest import ROOT, run_cli
from tflint_grad.cache import Cache
from tflint_grad.config import Config
from tflint_grad.engine import Report, Session
from tflint_grad.parse.load import load

LOSSES = textwrap.dedent("""\
    import numpy as np


    def loss(y_true, y_pred):
        return np.mean((y_true - y_pred) ** 2) + np.log(np.exp(y_pred).sum())
""")
TRAIN = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf

    from mylib.losses import loss

    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss=loss)
    model.fit(np.ones((4, 2)), np.ones((4, 1)))
""")
CUTS = [  # (line:col, code) in mylib/losses.py
    ("5:12", "TFG001"), ("5:46", "TFG001"), ("5:53", "TFG001"),
]
VIA = "loss is passed as loss to model.compile (train.py:7)"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "example"\n')
    (tmp_path / "mylib").mkdir()
    (tmp_path / "mylib" / "__init__.py").write_text("")
    (tmp_path / "mylib" / "losses.py").write_text(LOSSES)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def findings(output: str, path: str = "mylib/losses.py") -> list[tuple[str, str]]:
    return [(line.split(":", 3)[1] + ":" + line.split(":", 3)[2], line.split(" ")[1])
            for line in output.splitlines() if line.startswith(path + ":")]


# --- project context ------------------------------------------------------------------


def test_naming_only_the_helper_reports_its_cuts_with_the_entry_point_in_the_other_file(package):
    result = run_cli("mylib/losses.py", "--no-cache", cwd=package)
    assert result.returncode == 1
    assert findings(result.stdout) == CUTS
    assert f"cuts the gradient: {VIA}" in result.stdout.splitlines()[0]
    related = json.loads(run_cli("mylib/losses.py", "--no-cache", "--output-format", "json", cwd=package).stdout)
    assert {(r["filename"], r["location"]["row"]) for entry in related for r in entry["related"]} == {("train.py", 7)}


def test_naming_only_the_entry_file_says_where_its_cuts_are(package):
    result = run_cli("train.py", "--no-cache", cwd=package)
    assert result.returncode == 1
    assert result.stdout == ("Also 3 findings in 1 file not named, in code that the files named differentiate: "
                             "mylib/losses.py (3); name it to see them.\n")


def test_without_a_project_marker_the_files_named_are_all_there_is(package):
    (package / "pyproject.toml").unlink()
    result = run_cli("mylib/losses.py", "--no-cache", cwd=package)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    pinned = run_cli("mylib/losses.py", "--no-cache", "--project-root", ".", cwd=package)
    assert findings(pinned.stdout) == CUTS


def test_a_fix_in_project_context_writes_only_the_files_named(package):
    result = run_cli("--fix", "mylib/losses.py", "--no-cache", cwd=package)
    # np.mean's fix is unsafe, and so is np.exp's: tf.exp(y_pred).sum() would fail (a tensor has no .sum())
    assert result.returncode == 1
    assert (package / "mylib" / "losses.py").read_text() == LOSSES.replace("np.log(np.exp(", "tf.math.log(np.exp(").replace(
        "import numpy as np\n", "import numpy as np\nimport tensorflow as tf\n")
    assert (package / "train.py").read_text() == TRAIN


def test_a_star_imported_helper_is_analysed_with_the_file_that_imports_it(package):
    (package / "train.py").write_text(TRAIN.replace("from mylib.losses import loss", "from mylib.losses import *"))
    result = run_cli("train.py", "--no-cache", cwd=package)
    assert result.stdout == ("Also 3 findings in 1 file not named, in code that the files named differentiate: "
                             "mylib/losses.py (3); name it to see them.\n")
    assert findings(run_cli("mylib/losses.py", "--no-cache", cwd=package).stdout) == CUTS


def test_numpy_re_exported_by_a_project_module_is_numpy(package):
    (package / "mylib" / "numerics.py").write_text("import numpy as np\nfrom numpy import exp as grow\n")
    (package / "fit.py").write_text(textwrap.dedent("""\
        import tensorflow as tf
        from mylib.numerics import np, grow
        from mylib import numerics

        w = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            loss = np.tanh(w) + grow(w) + numerics.np.sinh(w) + np.sqrt(2.0)
        tape.gradient(loss, w)
        """))
    result = run_cli("fit.py", "--no-cache", cwd=package)
    assert findings(result.stdout, "fit.py") == [("7:12", "TFG001"), ("7:25", "TFG001"), ("7:35", "TFG001")]
    assert "grow on tensor 'w' cuts the gradient: inside the tf.GradientTape block (line 6); use tf.exp" in result.stdout


def test_a_module_in_a_namespace_package_is_found_under_the_importers_root(tmp_path):
    """``sub/detection/models/net.py`` with no ``__init__.py`` anywhere, imported from ``sub/train.py``."""
    (tmp_path / "pyproject.toml").write_text("")
    models = tmp_path / "sub" / "detection" / "models"
    models.mkdir(parents=True)
    (models / "net.py").write_text("import numpy as np\nimport tensorflow as tf\n\n\ndef squash(x):\n    return np.tanh(x)\n")
    (tmp_path / "sub" / "train.py").write_text(textwrap.dedent("""\
        import tensorflow as tf
        from detection.models.net import squash

        w = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            out = squash(w)
        tape.gradient(out, w)
        """))
    result = run_cli("sub", "--no-cache", cwd=tmp_path)
    assert findings(result.stdout, "sub/detection/models/net.py") == [("6:12", "TFG001")]
    assert "squash is reached from the tf.GradientTape block (sub/train.py:5)" in result.stdout


# --- the cache --------------------------------------------------------------------------


def test_the_cache_folder_is_tagged_and_ignored(package):
    run_cli("mylib/losses.py", cwd=package)
    cache = package / ".tflint_grad_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    assert (cache / ".gitignore").read_text() == "*\n"
    (version,) = [p for p in cache.iterdir() if p.is_dir()]
    assert version.name == f"{tflint_grad.__version__}-{tflint_grad.cache.code_digest()}"
    assert {p.name for p in version.iterdir()} == {"modules", "runs"}


def test_concurrent_runs_share_the_cache_safely(package):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run_cli("mylib/losses.py", cwd=package), range(4)))
    for result in [*results, run_cli("mylib/losses.py", cwd=package)]:
        assert (result.returncode, findings(result.stdout)) == (1, CUTS), result.stderr
        assert result.stderr == ""


def test_corrupt_truncated_and_foreign_entries_are_ignored_and_rewritten(package, tmp_path_factory):
    run_cli("mylib/losses.py", cwd=package)
    entries = [p for p in (package / ".tflint_grad_cache").rglob("*") if p.is_file() and p.parent.parent.name in ("modules", "runs")]
    assert len(entries) >= 3
    for number, entry in enumerate(entries):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2] if number % 2 else bytes(b ^ 0xFF for b in data))
    again = run_cli("mylib/losses.py", cwd=package)
    assert (again.returncode, findings(again.stdout), again.stderr) == (1, CUTS, "")
    assert all(Cache(package / ".tflint_grad_cache")._sign(e.read_bytes()[32:]) == e.read_bytes()[:32] for e in entries)
    # Entries signed by another user's key are never unpickled.
    stranger = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("stranger"))}
    other = subprocess.run([sys.executable, "-m", "tflint_grad", "mylib/losses.py"], cwd=package, env=stranger,
                           capture_output=True, text=True, timeout=300)
    assert (other.returncode, findings(other.stdout), other.stderr) == (1, CUTS, "")


def session(package: Path, cache: Cache, config: Config = Config()) -> Session:
    named = [load(str(package / "mylib" / "losses.py"))]
    return Session(named, config, jobs=1, context=[load(str(package / "train.py"))], cache=cache)


def test_planted_symlinks_are_never_followed(package, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    cache = package / ".tflint_grad_cache"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").symlink_to(outside / "created-through-the-link")
    (cache / f"{tflint_grad.__version__}-{tflint_grad.cache.code_digest()}").symlink_to(outside, target_is_directory=True)
    result = run_cli("mylib/losses.py", cwd=package)
    assert (result.returncode, findings(result.stdout)) == (1, CUTS)
    assert list(outside.iterdir()) == []


def test_a_change_to_the_tools_own_code_is_a_new_cache(monkeypatch, package):
    before = Cache(package / "c").folder
    tflint_grad.cache.code_digest.cache_clear()
    monkeypatch.setattr(tflint_grad.cache, "__file__", str(ROOT / "tests" / "conftest.py"))  # another source tree
    try:
        assert Cache(package / "c").folder != before
    finally:
        tflint_grad.cache.code_digest.cache_clear()


def test_entries_of_another_tool_or_summary_version_are_never_read(package, monkeypatch):
    """A signed entry is trusted: prove it is read for its own version and only for it."""
    cache = Cache(package / "cache")
    poison = Report(findings=(), errors=(), checked=99)
    cache.put("runs", session(package, cache)._run_key(), poison)
    assert session(package, cache).run() is not None and session(package, cache).run().checked == 99  # read back
    monkeypatch.setattr(tflint_grad.cache, "__version__", "0.0.0-other")
    assert [f.span.start.line for f in session(package, Cache(package / "cache")).run().findings] == [5, 5, 5]
    monkeypatch.undo()
    monkeypatch.setattr("tflint_grad.engine.IR_VERSION", 999)
    assert [f.span.start.line for f in session(package, cache).run().findings] == [5, 5, 5]


def test_a_configuration_change_is_seen_by_the_next_run(package):
    (package / "train.py").write_text(TRAIN.replace('model.compile(optimizer="adam", loss=loss)\nmodel.fit(np.ones((4, 2)), np.ones((4, 1)))\n',
                                                    "import mytrainer\nmytrainer.fit(loss)\n"))
    first = run_cli("mylib/losses.py", cwd=package)
    assert (first.returncode, first.stdout) == (0, "All checks passed!\n")
    with open(package / "pyproject.toml", "a") as config:
        config.write('[tool.tflint-grad]\nentry-points = [{ function = "mytrainer.fit", position = 0 }]\n')
    second = run_cli("mylib/losses.py", cwd=package)
    assert (second.returncode, findings(second.stdout)) == (1, CUTS)


# --- adoption flags ---------------------------------------------------------------------------


def test_statistics_counts_per_code(package):
    (package / "train.py").write_text(TRAIN + "with tf.GradientTape() as tape:\n    y = model(np.ones((1, 2)))\n"
                                      "    z = float(y) + np.exp(y)\n")
    result = run_cli("--statistics", ".", "--no-cache", cwd=package)
    assert (result.returncode, result.stdout) == (1, "4\tTFG001\t[*] numpy-call-on-tensor\n1\tTFG002\t    host-conversion-of-tensor\n")


def test_add_noqa_silences_every_current_finding_and_keeps_other_tools_codes(package):
    (package / "mylib" / "losses.py").write_text(LOSSES.replace(".sum())\n", ".sum())  # noqa: E501\n"))
    result = run_cli("--add-noqa", ".", "--no-cache", cwd=package)
    assert (result.returncode, result.stdout) == (0, "Added 1 noqa directive.\n")
    assert (package / "mylib" / "losses.py").read_text() == LOSSES.replace(".sum())\n", ".sum())  # noqa: E501, TFG001\n")
    assert run_cli(".", "--no-cache", cwd=package).stdout == "All checks passed!\n"


def test_add_noqa_leaves_a_line_that_ends_inside_a_string(tmp_path):
    text = 'import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\nwith tf.GradientTape() as t:\n    y = (np.exp(w), """\n    doc""")\n'
    (tmp_path / "a.py").write_text(text)
    result = run_cli("--add-noqa", "a.py", "--no-cache", cwd=tmp_path)
    assert result.stdout == "Added 0 noqa directives (1 line cannot take a comment: inside a string or after a backslash).\n"
    assert (tmp_path / "a.py").read_text() == text


def test_baseline_records_then_reports_only_new_findings_even_after_lines_move(package):
    recorded = run_cli("--baseline", "tflint-baseline.json", ".", "--no-cache", cwd=package)
    assert (recorded.returncode, recorded.stdout) == (0, "All checks passed!\n")
    assert recorded.stderr == "Recorded 3 findings in the baseline tflint-baseline.json.\n"
    baseline = json.loads((package / "tflint-baseline.json").read_text())
    assert baseline["findings"][0] == {"path": "mylib/losses.py", "code": "TFG001",
                                       "line": "return np.mean((y_true - y_pred) ** 2) + np.log(np.exp(y_pred).sum())"}
    (package / "mylib" / "losses.py").write_text("# moved down\n\n" + LOSSES + "\n\ndef more(y):\n    return np.sin(y)\n")
    (package / "train.py").write_text(TRAIN.replace("loss=loss", "loss=lambda a, b: loss(a, b) + more(b)").replace(
        "import loss", "import loss, more"))
    later = run_cli("--baseline", "tflint-baseline.json", ".", "--no-cache", cwd=package)
    assert later.returncode == 1
    assert findings(later.stdout, "./mylib/losses.py") == [("11:12", "TFG001")]  # only np.sin is new; the moved line still matches


# --- the progress line ------------------------------------------------------------------------


def run_on_a_terminal(*args: str, cwd: Path, after: str) -> tuple[int, str]:
    """The CLI with stderr on a real pseudo-terminal; what the terminal received."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TFLINT_GRAD_PROGRESS_AFTER": after}
    process = subprocess.Popen([sys.executable, "-m", "tflint_grad", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return process.wait(timeout=300), received.decode()


def test_progress_is_drawn_on_a_terminal_and_erased(package):
    returncode, terminal = run_on_a_terminal("mylib/losses.py", "--no-cache", cwd=package, after="0")
    assert returncode == 1
    assert "\rtflint-grad: parsed 1 of 3 files" in terminal
    assert terminal.endswith("\r" + " " * len("tflint-grad: parsed 3 of 3 files") + "\r")


def test_no_progress_on_a_short_run_or_off_a_terminal(package):
    assert run_on_a_terminal("mylib/losses.py", "--no-cache", cwd=package, after="60") == (1, "")
    assert run_cli("mylib/losses.py", "--no-cache", cwd=package).stderr == ""


def test_installed_code_has_no_project_context(package):
    installed = package / ".venv" / "lib" / "python3.11" / "site-packages" / "lib_a"
    installed.mkdir(parents=True)
    (package / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (installed / "mod.py").write_text(LOSSES)
    # The package's own pyproject.toml is above, but an installed library is not part of that project:
    # no project, so no context to analyse and no cache folder made for it.
    result = run_cli(str(installed / "mod.py"), cwd=package)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert not (package / ".tflint_grad_cache").exists()
    assert run_cli("mylib/losses.py", cwd=package).returncode == 1 and (package / ".tflint_grad_cache").is_dir()


def test_add_noqa_never_edits_a_string_that_looks_like_a_directive(tmp_path):
    text = ('import numpy as np\nimport tensorflow as tf\nw = tf.Variable(1.0)\nwith tf.GradientTape() as t:\n'
            '    y = np.exp(w); s = "# noqa: E501"\n')
    (tmp_path / "a.py").write_text(text)
    assert run_cli("--add-noqa", "a.py", "--no-cache", cwd=tmp_path).stdout == "Added 1 noqa directive.\n"
    assert (tmp_path / "a.py").read_text() == text.replace('"# noqa: E501"\n', '"# noqa: E501"  # noqa: TFG001\n')


def test_findings_only_elsewhere_count_in_every_mode(package):
    statistics = run_cli("train.py", "--statistics", "--no-cache", cwd=package)
    assert (statistics.returncode, statistics.stdout) == (1, "Also 3 findings in 1 file not named, in code that the "
                                                            "files named differentiate: mylib/losses.py (3); name it to see them.\n")
    fixed = run_cli("train.py", "--fix", "--no-cache", cwd=package)
    assert fixed.returncode == 1 and fixed.stdout.startswith("Also 3 findings in 1 file not named")
    recorded = run_cli("train.py", "--baseline", "b.json", "--no-cache", cwd=package)
    assert recorded.stderr == "Recorded 3 findings in the baseline b.json.\n"
    assert run_cli("train.py", "--baseline", "b.json", "--no-cache", cwd=package).returncode == 0


def test_each_file_named_gets_its_own_project(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name / "mylib").mkdir(parents=True)
        (tmp_path / name / "pyproject.toml").write_text("")
        (tmp_path / name / "mylib" / "__init__.py").write_text("")
        (tmp_path / name / "mylib" / "losses.py").write_text(LOSSES)
        (tmp_path / name / "train.py").write_text(TRAIN)
    result = run_cli("a/mylib/losses.py", "b/mylib/losses.py", "--no-cache", cwd=tmp_path)
    assert findings(result.stdout, "a/mylib/losses.py") == CUTS and findings(result.stdout, "b/mylib/losses.py") == CUTS


def test_an_exclude_glob_never_matches_a_folder_above_the_project(tmp_path):
    project = tmp_path / "legacy" / "proj"
    (project / "mylib").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.tflint-grad]\nexclude = ["legacy/*"]\n')
    (project / "mylib" / "__init__.py").write_text("")
    (project / "mylib" / "losses.py").write_text(LOSSES)
    (project / "train.py").write_text(TRAIN)
    assert findings(run_cli("mylib/losses.py", "--no-cache", cwd=project).stdout) == CUTS


def test_errors_in_files_not_named_are_noted(package):
    (package / "mylib" / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    result = run_cli("mylib/losses.py", "--no-cache", cwd=package)
    assert findings(result.stdout) == CUTS
    assert result.stderr == ("note: 1 error in files of the project that were not named (mylib/broken.py): "
                             "cuts that go through them may be missed\n")


@pytest.mark.parametrize("flags, message", [
    (["--select="], "--select needs at least one rule code or prefix"),
    (["--baseline", "b.json", "--fix"], "--baseline cannot be combined with --fix"),
    (["--add-noqa", "--diff"], "--add-noqa cannot be combined with --diff"),
    (["--project-root", ""], "--project-root: not a folder: ''"),
    (["--baseline", "/nonexistent/b.json"], "--baseline /nonexistent/b.json: cannot write it: No such file or directory"),
])
def test_contradictory_or_impossible_flags_are_usage_errors(package, flags, message):
    result = run_cli("mylib/losses.py", "--no-cache", *flags, cwd=package)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"tflint-grad: error: {message}")


def test_stdin_takes_its_configuration_from_the_name_it_is_given(package):
    (package / "pyproject.toml").write_text('[tool.tflint-grad]\nselect = ["TFG101"]\n')
    result = run_cli("-", "--stdin-filename", "mylib/losses.py", "--no-cache", cwd=package.parent, stdin=LOSSES)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_files_may_follow_options_and_an_empty_folder_is_noted(package):
    assert findings(run_cli("--no-cache", "mylib/losses.py", "--statistics", "mylib/losses.py", cwd=package).stdout) == []
    (package / "empty").mkdir()
    result = run_cli("empty", "--no-cache", cwd=package)
    assert (result.returncode, result.stderr) == (0, "note: no Python files found under empty\n")
