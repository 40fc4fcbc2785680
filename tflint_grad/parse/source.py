"""Reading and parsing one file.

A :class:`SourceFile` is the unit every later stage works on: the Python text
that is analysed plus what is needed to write it back (encoding, line
endings) and to map positions back to the user's file.  Notebooks produce a
SourceFile too (see ``parse/notebook.py``); the analysis never knows the
difference.  A SourceFile is plain data (it is sent to worker processes), so
the notebook's position map is a :class:`CellMap`, not a closure.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field

import libcst as cst

from ..findings import FileError, Position

# Python's own tokenizer refuses more than 200 open brackets (MAXLEVEL); libcst's
# native parser has no such guard and overflows the C stack a few levels above 1,000.
MAX_NESTING = 200
NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python and libcst count lines (not str.splitlines: no form feed)
INNERMOST_PAIR = re.compile(r"\(\)|\[\]|\{\}")


@dataclass(frozen=True)
class CellMap:
    """Where each line of a notebook's analysed text sits in the notebook.

    ``starts[k]`` is the analysed line where the k-th analysed cell begins,
    ``cells[k]`` that cell's place among all cells (from 0), and
    ``shifts[n]`` the columns removed from analysed line n + 1 (a cell pasted
    with an indented first line is dedented to parse).  Calling the map turns
    an analysed position into (``cell N``, the position inside that cell).
    """

    starts: tuple[int, ...]
    cells: tuple[int, ...]
    shifts: tuple[int, ...] = ()
    notebook: str = ""  # for a module a ``%%writefile`` cell writes: the notebook, shown instead of its path

    def locate(self, position: Position) -> tuple[int, Position]:
        """(the cell's place among all cells, the position inside the cell's source)."""
        k = max(bisect.bisect_right(self.starts, position.line) - 1, 0)
        shift = self.shifts[position.line - 1] if position.line <= len(self.shifts) else 0
        return self.cells[k], Position(position.line - self.starts[k] + 1, position.column + shift)

    def __call__(self, position: Position) -> tuple[str, Position]:
        cell, inner = self.locate(position)
        return f"cell {cell + 1}", inner


NOTEBOOK_KIND = "notebook"
WRITTEN_KIND = "notebook-module"  # the body of a ``%%writefile name.py`` cell: a module of the project


@dataclass(frozen=True)
class SourceFile:
    """One file as read: the text analysed, and what is needed to write it back."""

    path: str  # as the user named it (shown in reports)
    text: str  # the Python source that is analysed
    raw: bytes = b""  # the file's bytes as read (to detect changes before writing)
    encoding: str = "utf-8"
    kind: str = "python"  # "python" | NOTEBOOK_KIND | WRITTEN_KIND
    # For notebooks: maps a position in ``text`` to a (cell label, position in the cell).
    cell_of: CellMap | None = field(default=None, compare=False)
    # Parts of the file left out of the analysis (a notebook cell that does not parse), each its
    # own error; the rest of the file is analysed.
    problems: tuple[FileError, ...] = field(default=(), compare=False)


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
    """libcst's module, or a FileError at the position Python itself gives the problem."""
    if too_deep(source.text):
        return FileError(source.path, f"cannot parse: too deeply nested (more than {MAX_NESTING} open brackets)")
    try:
        return cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        return syntax_error(source, error)
    except (RecursionError, ValueError) as error:  # pathological nesting
        return FileError(source.path, f"cannot parse: {error}")


def python_accepts(text: str) -> bool:
    """Python's own parser takes ``text`` and libcst can nest it: about a tenth of a libcst parse."""
    return not too_deep(text) and python_syntax_error(text) is None


def too_deep(text: str) -> bool:
    """True if brackets nest deeper than Python allows: a cheap check that keeps libcst from crashing.

    Only the brackets are kept and innermost pairs removed round by round (in
    C), so the rounds count the depth.  Brackets in strings and comments may
    pair wrongly and overcount; Python's compiler has the last word then.
    """
    brackets = NOT_BRACKETS.sub("", text)
    for _ in range(MAX_NESTING + 1):
        brackets, removed = INNERMOST_PAIR.subn("", brackets)
        if not removed:
            return False
    try:
        _compile(text, "<nesting>")
    except SyntaxError as error:
        return "too many nested parentheses" in str(error.msg)
    except (RecursionError, MemoryError, ValueError):
        return True
    return False


def syntax_error(source: SourceFile, error: cst.ParserSyntaxError) -> FileError:
    """The error with Python's own message and position; libcst's position is often a line late or 1:1."""
    python = python_syntax_error(source.text)
    if python is not None:
        return FileError(source.path, f"syntax error: {python[1]}", python[0])
    return FileError(source.path, f"syntax error: {error.message}", Position(error.raw_line, error.raw_column))


def python_syntax_error(text: str) -> tuple[Position, str] | None:
    """Where and why Python's own parser rejects ``text`` (top-level ``await`` allowed, as in IPython), or None."""
    where = _nul(text)
    if where is not None:
        return where, "source code cannot contain null bytes"
    try:
        _compile(text, "<cell>")
    except SyntaxError as python:
        if python.lineno:
            return _python_position(text, python), python.msg
    except (RecursionError, MemoryError, ValueError):
        pass
    return None


def _compile(text: str, path: str) -> None:
    """Python's own verdict on ``text`` (to an AST only, warnings silenced): raises SyntaxError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(text, path, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def _nul(text: str) -> Position | None:
    at = text.find("\0")
    if at < 0:
        return None
    line_start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    return Position(len(LINE_BREAK.findall(text, 0, line_start)) + 1, at - line_start)


def _python_position(text: str, error: SyntaxError) -> Position:
    """Python's 1-based (line, character offset) as a Position, clamped to the line."""
    lines = LINE_BREAK.split(text)
    line = min(error.lineno, len(lines))
    column = max((error.offset or 1) - 1, 0)
    return Position(line, min(column, len(lines[line - 1])))
