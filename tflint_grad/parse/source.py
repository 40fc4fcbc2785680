"""Reading and parsing one file.

A :class:`SourceFile` is the unit every later stage works on: the Python text
that is analysed plus what is needed to write it back (encoding, line
endings) and to map positions back to the user's file.  Notebooks produce a
SourceFile too (see ``parse/notebook.py``); the analysis never knows the
difference.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass, field
from typing import Callable

import libcst as cst

from ..findings import FileError, Position


@dataclass(frozen=True)
class SourceFile:
    path: str  # as the user named it (shown in reports)
    text: str  # the Python source that is analysed
    raw: bytes = b""  # the file's bytes as read (to detect changes before writing)
    encoding: str = "utf-8"
    kind: str = "python"  # "python" | "notebook"
    # For notebooks: maps a position in ``text`` to a (cell label, position in the cell).
    cell_of: Callable[[Position], tuple[str, Position]] | None = field(default=None, compare=False)


def decode(raw: bytes) -> tuple[str, str]:
    """Decode Python source bytes honouring a PEP 263 coding cookie; keep newlines as they are."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    if encoding == "utf-8-sig":  # decoding drops the mark; encoding writes it back
        encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    return raw.decode(encoding), encoding


def read_python(path: str, raw: bytes) -> SourceFile:
    text, encoding = decode(raw)
    return SourceFile(path, text, raw, encoding)


def parse(source: SourceFile) -> cst.Module | FileError:
    """libcst's module, or a FileError with the position of the syntax error."""
    try:
        return cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        position = Position(error.raw_line, error.raw_column)
        return FileError(source.path, f"syntax error: {error.message}", position)
    except (RecursionError, ValueError) as error:  # pathological nesting, NUL bytes
        return FileError(source.path, f"cannot parse: {error}")
