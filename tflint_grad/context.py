"""Project context for the files named: the project they belong to, and its other files.

A numpy call in ``mylib/losses.py`` is a gradient cut only because
``train.py`` hands that loss to ``model.fit``.  Checking either file alone
would miss it, so, as mypy and pyright do, the files named are analysed
together with every other file of their project: calls are followed both
ways, findings are reported for the files named only (with the entry point in
the other file as related information), and a cut that a named file's entry
point suffers in a file not named is summarised in one line, never dropped
silently.  The summary cache keeps this cheap: unchanged files are not parsed
again.

The project root is the nearest folder above the first file named that holds
one of :data:`ROOT_MARKERS` (``--project-root`` overrides it).  Without one,
or for installed code (below ``site-packages`` or a virtualenv), the files
named are all there is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .discover import STDIN, discover

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
INSTALLED = frozenset({"site-packages", "dist-packages"})
MAX_CONTEXT_FILES = 10_000  # a root this large is a home folder or a monorepo: name the files instead


@dataclass(frozen=True)
class Context:
    """The projects of the files named, and their other files."""

    roots: tuple[str, ...]  # the projects of the files named, first named first
    paths: tuple[str, ...]  # their other files, shown relative to the working folder when below it
    note: str = ""  # why no context was used, when that is worth saying


def on_disk(paths: list[str], stdin_filename: str | None = None) -> list[str]:
    """The paths named, as places on disk: stdin stands for its --stdin-filename, or the working folder."""
    return [stdin_filename or "." if p == STDIN else p for p in paths] or ["."]


def project_roots(paths: list[str], stdin_filename: str | None = None) -> list[str]:
    """The project of each file named, once each (a monorepo's files can belong to several)."""
    return list(dict.fromkeys(root for path in on_disk(paths, stdin_filename) if (root := project_root(path)) is not None))


def project_root(path: str) -> str | None:
    folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
            return folder
        if os.path.basename(folder) in INSTALLED or os.path.exists(os.path.join(folder, "pyvenv.cfg")):
            return None  # installed code: the virtualenv's own project is not its project
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_context(roots: list[str], named: list[str], exclude: tuple[str, ...], anchor: str | None) -> Context:
    """The files of the projects under ``roots`` that were not named."""
    seen = {os.path.realpath(p) for p in named if p != STDIN}
    others: list[str] = []
    for root in roots:
        found = discover([root], exclude, anchor=anchor, limit=MAX_CONTEXT_FILES + 1).paths
        if len(found) > MAX_CONTEXT_FILES:
            return Context((), (), f"project context skipped: more than {MAX_CONTEXT_FILES} files under {root} "
                                   "(name a smaller --project-root)")
        others += [p for p in found if os.path.realpath(p) not in seen]
    return Context(tuple(roots), tuple(dict.fromkeys(_shown(p) for p in others)))


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir + os.sep) else relative
