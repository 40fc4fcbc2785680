"""Read the discovered paths into SourceFiles; a bad file becomes a FileError.

One loader per file kind, chosen by suffix (notebooks have their own).  A
failure to read or decode one file never stops the others.
"""

from __future__ import annotations

import sys
from typing import Callable

from ..findings import FileError
from .notebook import read_notebook
from .source import SourceFile, read_python

STDIN = "-"

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
