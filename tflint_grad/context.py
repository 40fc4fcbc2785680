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
    root: str | None
    paths: tuple[str, ...]  # the project's other files, shown relative to the working folder when below it
    note: str = ""  # why no context was used, when that is worth saying


def project_root(paths: list[str], stdin_filename: str | None = None) -> str | None:
    named = [stdin_filename if p == STDIN else p for p in paths]
    start = next((p for p in named if p), ".")
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
            return folder
        if os.path.basename(folder) in INSTALLED or os.path.exists(os.path.join(folder, "pyvenv.cfg")):
            return None  # installed code: the virtualenv's own project is not its project
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_context(root: str | None, named: list[str], exclude: tuple[str, ...]) -> Context:
    """The files of the project under ``root`` that were not named."""
    if root is None:
        return Context(None, ())
    seen = {os.path.realpath(p) for p in named if p != STDIN}
    others = [p for p in discover([root], exclude).paths if os.path.realpath(p) not in seen]
    if len(others) > MAX_CONTEXT_FILES:
        return Context(root, (), f"project context skipped: more than {MAX_CONTEXT_FILES} files under {root} "
                                 "(name a smaller --project-root)")
    return Context(root, tuple(_shown(p) for p in others))


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir + os.sep) else relative
