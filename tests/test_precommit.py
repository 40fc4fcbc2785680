"""The pre-commit hooks (.pre-commit-hooks.yaml), through the real pre-commit.

pre-commit installs a hook from a git repository at a revision, so it only
ever sees committed code.  ``pre-commit try-repo`` would add uncommitted
changes to tracked files, but not new untracked files (a new module, the
hooks file itself before its first commit).  So this test commits a snapshot
of the working tree as it is on disk (tracked and untracked files, minus
.gitignore'd ones) into a temporary repository, and a user project points its
``.pre-commit-config.yaml`` at that repository and commit, as a real user
would.  In CI (a fresh clone) the snapshot equals HEAD.

pre-commit builds the hook's virtualenv with pip from PyPI (tflint-grad and
libcst, no TensorFlow) once per test module, into an isolated PRE_COMMIT_HOME;
that install dominates the run time (about 15 s here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the repository as a git checkout")
SEED = (FIXTURES / "seed" / "vi_two_bumps.py").read_text()
FIXED = (FIXTURES / "seed" / "vi_two_bumps_fixed.py").read_text()
CROSS_FILE = FIXTURES / "lint" / "cross_file"
# Nothing outside the test's own folders: no user git config, no colours.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """The working tree, committed into a scratch repository: (its path, the commit)."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # tracked files deleted on disk are listed too
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, snapshot / name)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path, hook_repo) -> Path:
    """A user's git repository whose .pre-commit-config.yaml uses both hooks."""
    repo, rev = hook_repo
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: tflint-grad\n  - id: tflint-grad-fix\n"
    )
    git("init", "-q", cwd=tmp_path)
    git("add", ".pre-commit-config.yaml", cwd=tmp_path)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def pre_commit(project: Path, home: Path, hook: str, *files: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--files", *files],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )


def test_check_hook_fails_on_the_seed_and_passes_on_its_fixed_twin(project, pre_commit_home):
    write(project, {"experiments/vi.py": SEED, "solutions/vi_fixed.py": FIXED})
    failed = pre_commit(project, pre_commit_home, "tflint-grad", "experiments/vi.py", "solutions/vi_fixed.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    reported = [line.split(" ", 2)[:2] for line in failed.stdout.splitlines() if line.startswith("experiments/")]
    assert reported == [
        ["experiments/vi.py:16:36:", "TFG001"],
        ["experiments/vi.py:16:84:", "TFG001"],
        ["experiments/vi.py:18:12:", "TFG001"],
        ["experiments/vi.py:19:19:", "TFG101"],
    ]
    assert "Found 4 findings (3 gradient cuts, 1 warning)." in failed.stdout
    assert "solutions/" not in failed.stdout
    passed = pre_commit(project, pre_commit_home, "tflint-grad", "solutions/vi_fixed.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "tflint-grad" in passed.stdout and "Passed" in passed.stdout


def test_a_fault_in_one_file_still_reports_the_others_through_the_hook(project, pre_commit_home):
    """The documented test-only switch (tflint_grad/isolation.py) breaks one file's summary in the hook's own process."""
    write(project, {"experiments/vi.py": SEED, "experiments/broken_probe.py": SEED})
    result = pre_commit(project, pre_commit_home, "tflint-grad", "experiments/broken_probe.py", "experiments/vi.py",
                        env={"TFLINT_GRAD_TEST_FAULT": "summarise:broken_probe.py"})
    assert result.returncode == 1, result.stdout + result.stderr  # pre-commit's own status for a failed hook
    assert "- exit code: 2" in result.stdout
    assert [line.split(" ")[1] for line in result.stdout.splitlines() if line.startswith("experiments/vi.py:")] == [
        "TFG001", "TFG001", "TFG001", "TFG101"]
    assert "error: experiments/broken_probe.py: internal error while summarising this file: InjectedFault" in result.stdout


def test_fix_hook_repairs_files_in_two_folders(project, pre_commit_home):
    write(project, {"a/vi.py": SEED, "b/deeper/vi.py": SEED})
    result = pre_commit(project, pre_commit_home, "tflint-grad-fix", "a/vi.py", "b/deeper/vi.py")
    # The TFG101 warnings have no fix and remain, so tflint-grad exits 1 and the hook fails.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "- exit code: 1" in result.stdout
    repaired = SEED.replace("np.exp(", "tf.exp(").replace("np.log(", "tf.math.log(")
    assert repaired.count("tf.exp(") == 2 and repaired.count("tf.math.log(") == 1
    assert (project / "a" / "vi.py").read_text() == repaired
    assert (project / "b" / "deeper" / "vi.py").read_text() == repaired
    assert "Fixed 6 findings, 2 remaining." in result.stdout


def test_a_commit_that_stages_only_the_helper_fails_the_hook(project, pre_commit_home):
    """The cut in model/density.py is differentiated by train.py: pre-commit passes
    the changed files only, and the hook still sees the whole project.

    Twelve files run in one process (require_serial), and the cut is reported
    once; the helper alone, then the entry file alone, each fail the hook.
    """
    files = {"train.py": (CROSS_FILE / "train.py").read_text()}
    files.update({f"pkg{i}/mod.py": f"VALUE = {i}\n" for i in range(9)})
    files.update({f"model/{name}": (CROSS_FILE / "model" / name).read_text() for name in ("__init__.py", "density.py")})
    write(project, files)
    result = pre_commit(project, pre_commit_home, "tflint-grad", *files)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "model/density.py:11:13: TFG001 [*] np.exp on tensor 'log_scale' cuts the gradient" in result.stdout
    assert "Found 1 finding (1 gradient cut, 0 warnings)." in result.stdout
    alone = pre_commit(project, pre_commit_home, "tflint-grad", "model/density.py")
    assert alone.returncode == 1, alone.stdout
    assert "model/density.py:11:13: TFG001 [*] np.exp on tensor 'log_scale' cuts the gradient: " in alone.stdout
    assert "(train.py:" in alone.stdout  # the entry point, in the file that was not staged
    entry = pre_commit(project, pre_commit_home, "tflint-grad", "train.py")
    assert entry.returncode == 1, entry.stdout
    assert "Also 1 finding in 1 file not named, in code that the files named differentiate: model/density.py (1)" in entry.stdout


def test_hook_honours_the_project_excludes_and_skips_when_no_python_file_changed(project, pre_commit_home):
    write(project, {
        "pyproject.toml": '[tool.tflint-grad]\nexclude = ["legacy"]\n',
        "legacy/vi.py": SEED,
        "notes.txt": "not python\n",
    })
    excluded = pre_commit(project, pre_commit_home, "tflint-grad", "legacy/vi.py")
    assert excluded.returncode == 0, excluded.stdout + excluded.stderr
    skipped = pre_commit(project, pre_commit_home, "tflint-grad", "notes.txt")
    assert skipped.returncode == 0
    assert "(no files to check)Skipped" in skipped.stdout
