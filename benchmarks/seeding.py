"""Seed a gradient cut into each ``with tf.GradientTape`` block of a Python source.

The measure of recall on real code (issue 10): in each tape block, the first
assignment of the forward pass (the first statement after any leading
``tape.watch(...)`` calls, when it assigns the value of a call) is turned into
a cut, in one of two forms:

``tanh``
    ``pred = model(x)`` becomes ``pred = np.tanh(model(x))``;
``numpy``
    ``pred = model(x)`` becomes ``pred = model(x).numpy()``.

A block whose first forward statement is anything else (a loop, an ``if``, an
assignment of a literal or of arithmetic) is skipped.  ``import numpy as np``
is added after the docstring and ``__future__`` imports when the module does
not bind ``np`` to numpy.  Stdlib only (``ast``): the harness never imports
tflint-grad or the code it seeds.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

FORMS = ("tanh", "numpy")
NUMPY_IMPORT = "import numpy as np"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Seed:
    """One seeded cut: the whole seeded text and where the cut sits in it (1-based lines)."""

    form: str
    block_line: int  # the ``with`` statement's line in the original text
    line: int  # first line of the seeded expression in ``text``
    end_line: int
    text: str
    seeded_line: str  # ``text``'s line ``line``, stripped


def _lines(source: str) -> list[str]:
    """The lines of ``source`` with their endings, split where ``ast`` counts lines."""
    return _LINE.findall(source)


def _is_tape(item: ast.withitem) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "GradientTape"


def _is_watch(statement: ast.stmt) -> bool:
    """``tape.watch(x)``: not part of the forward pass, so seeding looks past it."""
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == "watch")


def tape_blocks(tree: ast.AST) -> list[ast.With]:
    """Every ``with`` statement of ``tree`` that opens a ``GradientTape``, in source order."""
    blocks = [node for node in ast.walk(tree)
              if isinstance(node, (ast.With, ast.AsyncWith)) and any(map(_is_tape, node.items))]
    return sorted(blocks, key=lambda node: (node.lineno, node.col_offset))


def forward_value(block: ast.With) -> ast.Call | None:
    """The call assigned by the block's first forward statement, or None when that statement is no such assignment."""
    statement = next((s for s in block.body if not _is_watch(s)), None)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and isinstance(statement.value, ast.Call):
        return statement.value
    return None


def _binds_numpy_as_np(tree: ast.Module) -> bool:
    return any(isinstance(s, ast.Import) and any(a.name == "numpy" and a.asname == "np" for a in s.names)
               for s in tree.body)


def _import_line(tree: ast.Module) -> int:
    """How many lines precede the added numpy import: the module docstring and ``__future__`` imports."""
    after = 0
    for statement in tree.body:
        docstring = (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                     and isinstance(statement.value.value, str) and after == 0)
        future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
        if not (docstring or future):
            break
        after = statement.end_lineno
    return after


def _column(line: str, byte_offset: int) -> int:
    """``ast`` columns count UTF-8 bytes; text edits count characters."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _insert(lines: list[str], line: int, byte_offset: int, text: str) -> None:
    row = lines[line - 1]
    column = _column(row, byte_offset)
    lines[line - 1] = row[:column] + text + row[column:]


def _seeded(source: str, tree: ast.Module, block: ast.With, value: ast.Call, form: str) -> Seed:
    lines = _lines(source)
    # The end first, so the start's column still holds when both are on one line.
    _insert(lines, value.end_lineno, value.end_col_offset, ")" if form == "tanh" else ".numpy()")
    if form == "tanh":
        _insert(lines, value.lineno, value.col_offset, "np.tanh(")
    shift = 0
    if not _binds_numpy_as_np(tree):
        at = _import_line(tree)
        ending = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        if at and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += ending
        lines.insert(at, NUMPY_IMPORT + ending)
        shift = 1
    line = value.lineno + shift
    return Seed(form=form, block_line=block.lineno, line=line, end_line=value.end_lineno + shift,
                text="".join(lines), seeded_line=lines[line - 1].strip())


def seeds(source: str, form: str) -> list[Seed]:
    """One seed per tape block of ``source`` whose forward pass starts with an assignment of a call.

    Each seed is a separate variant of the whole text (one cut at a time).
    A source that does not parse has no seeds.
    """
    if form not in FORMS:
        raise ValueError(f"unknown seed form {form!r}; expected one of {FORMS}")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for block in tape_blocks(tree):
        value = forward_value(block)
        if value is not None:
            found.append(_seeded(source, tree, block, value, form))
    return found


def tape_block_count(source: str) -> int:
    """How many tape blocks ``source`` has, seedable or not (0 if it does not parse)."""
    try:
        return len(tape_blocks(ast.parse(source)))
    except (SyntaxError, ValueError):
        return 0
