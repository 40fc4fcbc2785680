"""Discovery with real files: each file once, and a clear error for every path that cannot be checked.

Unreadable files and folders are tested through the CLI in a child process
that cannot bypass permission bits: as root, the child drops
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its capability bounding set
before it starts Python, so it reads files as a user bound by their mode.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest
from conftest import run_cli

from tflint_grad.discover import Discovered, discover
from tflint_grad.findings import FileError

BUGGY = """\
import numpy as np
import tensorflow as tf

x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = np.exp(x)
"""
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def finding(path: str) -> str:
    return f"{path}:6:9: TFG001 [*] np.exp on tensor 'x' cuts the gradient: inside the tf.GradientTape block (line 5); use tf.exp\n"


def test_a_file_named_twice_or_through_a_symlink_is_found_once_under_its_first_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text(BUGGY)
    Path("link.py").symlink_to("a.py")
    assert discover(["a.py", "./a.py", "link.py", "."]).paths == ["a.py"]
    assert discover(["link.py", "a.py"]).paths == ["link.py"]
    assert discover(["."]).paths == ["./a.py"]  # link.py, walked after a.py, is the same file


def test_a_file_named_twice_is_reported_once(tmp_path):
    (tmp_path / "a.py").write_text(BUGGY)
    (tmp_path / "link.py").symlink_to("a.py")
    result = run_cli("a.py", "./a.py", "link.py", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines(keepends=True)[:-2] == [finding("a.py")]


def test_broken_symlinks_and_missing_paths_are_errors_and_the_rest_is_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ok.py").write_text(BUGGY)
    Path("dangling.py").symlink_to("gone.py")
    Path("loop.py").symlink_to("loop.py")
    Path("ring_a.py").symlink_to("ring_b.py")
    Path("ring_b.py").symlink_to("ring_a.py")
    dangling = "dangling symlink (to 'gone.py', which does not exist)"
    walked = discover(["."])
    assert walked.paths == ["./ok.py"]
    assert walked.errors == [
        FileError("./dangling.py", dangling),
        FileError("./loop.py", "symlink loop"),
        FileError("./ring_a.py", "symlink loop"),
        FileError("./ring_b.py", "symlink loop"),
    ]
    named = discover(["loop.py", "dangling.py", "missing.py", "ok.py/inside.py", "ok.py"])
    assert named.paths == ["ok.py"]
    assert named.errors == [
        FileError("loop.py", "symlink loop"),
        FileError("dangling.py", dangling),
        FileError("missing.py", "no such file or folder"),
        FileError("ok.py/inside.py", "no such file or folder"),
    ]


def test_a_loop_of_folder_symlinks_is_not_followed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pkg").mkdir()
    Path("pkg/model.py").write_text(BUGGY)
    Path("pkg/up").symlink_to("..")
    Path("self").symlink_to("self")
    assert discover(["."]) == Discovered(["./pkg/model.py"], [])
    assert discover(["pkg", "pkg/up"]) == Discovered(["pkg/model.py"], [])  # pkg/up/pkg/model.py is the same file
    assert discover(["self"]).errors == [FileError("self", "symlink loop")]


def bound_by_permissions() -> None:
    """In the child, before Python starts: give up root's power to read past permission bits."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_as_a_user(*args: str, cwd: Path):
    return run_cli(*args, cwd=cwd, preexec_fn=bound_by_permissions if os.geteuid() == 0 else None)


@pytest.fixture
def locked_tree(tmp_path):
    """ok.py (one finding) beside a file and two folders (one nested) that nobody may read."""
    (tmp_path / "ok.py").write_text(BUGGY)
    for name in ("locked/hidden.py", "deep/inner/hidden.py", "secret.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BUGGY)
    for name in ("locked", "deep/inner", "secret.py"):
        (tmp_path / name).chmod(0)
    yield tmp_path
    for name in ("locked", "deep/inner", "secret.py"):
        (tmp_path / name).chmod(0o755)


def test_unreadable_folders_and_files_are_errors_and_the_rest_is_checked(locked_tree):
    result = run_as_a_user(".", cwd=locked_tree)
    assert result.returncode == 1
    assert result.stdout.splitlines(keepends=True)[:-3] == [finding("./ok.py")]
    assert result.stdout.splitlines()[-2] == "3 errors (see stderr)."
    assert sorted(result.stderr.splitlines()) == [
        "error: ./deep/inner: cannot read folder: Permission denied",
        "error: ./locked: cannot read folder: Permission denied",
        "error: ./secret.py: cannot read: Permission denied",
    ]


def test_a_named_unreadable_folder_is_an_error_not_a_pass(locked_tree):
    result = run_as_a_user("locked", "locked/hidden.py", cwd=locked_tree)
    assert result.returncode == 1
    assert result.stderr == (
        "error: locked: cannot read folder: Permission denied\n"
        "error: locked/hidden.py: cannot read: Permission denied\n"
    )
