"""Stage 1: turn the paths on the command line into the files to check.

Folders are walked recursively for ``*.py`` (and ``*.ipynb``) files, skipping
version-control folders, virtual environments (any folder holding a
``pyvenv.cfg``), build output and caches, plus the user's ``exclude`` globs.
Explicitly named files are always checked unless ``force_exclude`` is set (as
in ruff, so a pre-commit hook can still honour the excludes).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import Iterator

from .parse.load import STDIN

SKIPPED_FOLDERS = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints", "node_modules", ".eggs",
})
SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Discovered:
    paths: list[str]
    missing: list[str]  # named on the command line but not there


def is_excluded(path: str, patterns: tuple[str, ...]) -> bool:
    """A glob matches the path (relative, with / separators), a suffix of it, or its name."""
    normal = os.path.normpath(path).replace(os.sep, "/")
    parts = normal.split("/")
    candidates = ["/".join(parts[i:]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if any(fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, pattern + "/*") for c in candidates):
            return True
    return False


def discover(paths: list[str], exclude: tuple[str, ...] = (), force_exclude: bool = False) -> Discovered:
    found: list[str] = []
    missing: list[str] = []
    for path in paths:
        if path == STDIN:
            found.append(path)
        elif os.path.isdir(path):
            found.extend(_walk(path, exclude))
        elif os.path.exists(path) or os.path.islink(path):
            if not (force_exclude and is_excluded(path, exclude)):
                found.append(path)
        else:
            missing.append(path)
    return Discovered(list(dict.fromkeys(found)), missing)


def _walk(root: str, exclude: tuple[str, ...]) -> Iterator[str]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            d for d in subfolders
            if d not in SKIPPED_FOLDERS
            and not d.endswith(".egg-info")
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
            and not is_excluded(os.path.join(folder, d), exclude)
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(SUFFIXES) and not is_excluded(path, exclude):
                yield path
