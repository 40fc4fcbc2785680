"""Stage 1: turn the paths on the command line into the files to check.

Folders are walked recursively for ``*.py`` (and ``*.ipynb``) files, skipping
version-control folders, virtual environments (any folder holding a
``pyvenv.cfg``), build output and caches, plus the user's ``exclude`` globs.
Explicitly named files are always checked unless ``force_exclude`` is set (as
in ruff, so a pre-commit hook can still honour the excludes).

Each file is checked once however often it is reached (``a.py ./a.py``, a
symlink beside its target): files are told apart by their real path and keep
the first name they were given.  A path that cannot be checked - missing, a
folder that cannot be read (named or met while walking), a dangling symlink, a
symlink loop - becomes a :class:`FileError` and the walk goes on.  Symlinks to
folders are not followed while walking, so a loop of folders cannot trap it.
"""

from __future__ import annotations

import errno
import fnmatch
import itertools
import os
import stat
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

from .findings import FileError

from .parse.load import STDIN

SKIPPED_FOLDERS = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints", "node_modules", ".eggs",
})
SUFFIXES = (".py", ".pyi", ".ipynb")
T = TypeVar("T")

# Why a path cannot be checked, by the errno of stat()ing it.
UNUSABLE = {
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "no such file or folder",
    errno.ELOOP: "symlink loop",
    errno.EACCES: "cannot read: Permission denied",
}


@dataclass(frozen=True)
class Discovered:
    """The files a walk found, and the paths it could not read."""

    paths: list[str]  # each file once, under the first name it was reached by
    errors: list[FileError]  # paths that cannot be checked, with the reason


def is_excluded(path: str, patterns: tuple[str, ...], anchor: str | None = None) -> bool:
    """A glob matches the path (relative, with / separators), a suffix of it, or its name.

    Paths below ``anchor`` (the configuration's folder) are matched relative to
    it, so a glob never matches a folder above the project (``legacy/*`` must
    not exclude a whole project that happens to live in ``~/legacy/``).
    """
    if anchor is not None:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(anchor))
        path = path if relative.split(os.sep)[0] == os.pardir else relative
    normal = os.path.normpath(path).replace(os.sep, "/")
    parts = normal.split("/")
    candidates = ["/".join(parts[i:]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if any(fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, pattern + "/*") for c in candidates):
            return True
    return False


def discover(paths: list[str], exclude: tuple[str, ...] = (), force_exclude: bool = False,
             anchor: str | None = None, limit: int | None = None) -> Discovered:
    """The files to check; ``anchor`` is the folder excludes are relative to, and
    the walk stops after ``limit`` files (the caller decides what too many means)."""
    found: list[str] = []
    errors: list[FileError] = []
    for path in paths:
        problem = None if path == STDIN else unusable(path)
        if problem:
            errors.append(FileError(path, problem))
        elif path != STDIN and os.path.isdir(path):
            found.extend(itertools.islice(_walk(path, exclude, errors, anchor), limit))
        elif not (force_exclude and is_excluded(path, exclude, anchor)):
            found.append(path)
    return Discovered(_first_of_each(found, lambda p: p), _first_of_each(errors, lambda e: e.path))


def _first_of_each(items: list[T], path_of: Callable[[T], str]) -> list[T]:
    """The items in order, dropping any whose path is the same file as an earlier one's."""
    kept: dict[str, T] = {}
    for item in items:
        path = path_of(item)
        kept.setdefault(path if path == STDIN else os.path.realpath(path), item)
    return list(kept.values())


def unusable(path: str) -> str | None:
    """Why the path cannot be checked (it cannot be stat()ed), or None."""
    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno == errno.ENOENT and os.path.islink(path):
            return f"dangling symlink (to {os.readlink(path)!r}, which does not exist)"
        return UNUSABLE.get(error.errno, f"cannot read: {error.strerror or error}")
    if not (stat.S_ISREG(status.st_mode) or stat.S_ISDIR(status.st_mode)):
        return "not a regular file (a FIFO, socket or device): reading it could wait forever"
    return None


def _walk(root: str, exclude: tuple[str, ...], errors: list[FileError], anchor: str | None) -> Iterator[str]:
    def unreadable(error: OSError) -> None:
        errors.append(FileError(error.filename or root, f"cannot read folder: {error.strerror or error}"))

    for folder, subfolders, files in os.walk(root, onerror=unreadable):
        subfolders[:] = sorted(
            d for d in subfolders
            if d not in SKIPPED_FOLDERS
            and not d.endswith(".egg-info")
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
            and not is_excluded(os.path.join(folder, d), exclude, anchor)
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if not name.endswith(SUFFIXES) or is_excluded(path, exclude, anchor):
                continue
            problem = unusable(path)
            if problem:
                errors.append(FileError(path, problem))
            else:
                yield path
