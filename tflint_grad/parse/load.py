"""Read the discovered paths into SourceFiles; a bad file becomes a FileError.

One loader per file kind, chosen by suffix (notebooks have their own).  A
failure to read or decode one file never stops the others.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Callable

from ..findings import FileError, Finding
from .source import NOTEBOOK_KIND, WRITTEN_KIND, SourceFile, read_python

STDIN = "-"


def read_notebook(path: str, raw: bytes) -> SourceFile:
    """The notebook reader, imported with its JSON machinery only when a notebook is read."""
    from .notebook import read_notebook as read

    return read(path, raw)


LOADERS: dict[str, Callable[[str, bytes], SourceFile]] = {".ipynb": read_notebook}


def register(suffix: str, loader: Callable[[str, bytes], SourceFile]) -> None:
    LOADERS[suffix] = loader


def load(path: str, stdin_filename: str | None = None) -> SourceFile | FileError:
    shown = stdin_filename or path
    try:
        raw = sys.stdin.buffer.read() if path == STDIN else _read(path)
    except OSError as error:
        return FileError(shown, f"cannot read: {error.strerror or error}")
    loader = next((fn for suffix, fn in LOADERS.items() if shown.endswith(suffix)), read_python)
    try:
        return loader(shown, raw)
    except (UnicodeDecodeError, SyntaxError, LookupError) as error:
        return FileError(shown, f"cannot decode: {error}")
    except ValueError as error:  # a loader's own complaint (e.g. not a notebook)
        return FileError(shown, str(error))


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def with_written_modules(sources: list[SourceFile], others: list[SourceFile] = ()) -> list[SourceFile]:
    """``sources`` and the modules their notebooks' ``%%writefile`` cells write (a real file, named or among
    ``others``, wins)."""
    named = {source.path for source in [*sources, *others]}
    notebooks = [source for source in sources if source.kind == NOTEBOOK_KIND]
    if not notebooks:
        return sources
    from .notebook import written_modules

    written = [module for source in notebooks for module in written_modules(source)]
    return sources + [module for module in written if module.path not in named]


def without_written_fixes(findings, sources: list[SourceFile]) -> list[Finding]:
    """The findings, those in ``%%writefile`` modules without a fix: ``--fix`` rewrites cells it analysed as cells."""
    written = {source.path for source in sources if source.kind == WRITTEN_KIND}
    return [replace(finding, fix=None) if finding.path in written else finding for finding in findings]
