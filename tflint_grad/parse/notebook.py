"""Jupyter notebooks: analysed as the Python of their code cells, written back cell by cell.

The analysis understands one Python module per file, and a notebook's code
cells run in order in one namespace, so the code cells joined in order *are*
that module (a function defined in one cell is seen by the next).  Everything
notebook-specific lives here, so the analysis never knows the difference:

* Reading.  The file is parsed with :mod:`json` (the linter depends on libcst
  only) and checked against the minimal nbformat 4 shape; anything else is a
  ``ValueError("not a notebook: ...")``, which the loader reports for this
  file alone (JSON nested too deeply to read included).  Notebooks of another
  language (R, Julia, Swift...: ``language_info``, ``kernelspec.language`` or
  the kernel's name say so) have no Python.
* Magics.  IPython syntax is not Python, so each magic line - ``%matplotlib
  inline``, ``%time x = f()``, ``!pip install x``, ``files = !ls``,
  ``np.exp?``, ``?np.exp`` - is analysed as ``pass  # <the line>`` at its own
  indentation, and the lines that continue it with a backslash as comments:
  the same line count, and still a statement where a block needs one.  A
  cell opening with a cell magic is left out (its body is bash, HTML, SQL, or
  runs in another process) unless the magic only wraps Python run in this
  kernel (``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``, ``%%debug``):
  then only that first line is masked.  Magics are recognised line by line,
  without a tokenizer: a magic-looking line inside a triple-quoted string is
  masked harmlessly (only the analysed copy changes).  A cell whose first
  line is indented (pasted from a function body) is dedented as IPython does.
* Cells that are not Python.  Each cell is compiled on its own, as Jupyter
  runs it; one that does not compile (a continuation line in brackets that
  starts with ``%``, automagic ``ls`` without ``!``, R code), or that opens
  with an unknown cell magic, stays in the text as comments (its lines keep
  their numbers) and is a problem of the file at its cell, line and column:
  the other cells are still analysed.
* Written modules.  A ``%%writefile name.py`` cell writes a module other
  cells import: :func:`written_modules` gives it as a SourceFile of its own,
  beside the notebook, whose lines are the cell's, so it is shown there.
* Positions.  ``cell N`` counts every cell from 1, markdown and raw cells
  included, as ruff does, so N is the cell's place in the notebook; lines
  and columns are those inside the cell (a :class:`CellMap`, plain data).
  :class:`FileText` finds them in the ``.ipynb`` text itself, for SARIF.
* Writing.  The fixed text is mapped back to the cells by a line diff against
  the analysed text; masked lines get their magic back; an inserted import
  goes after the last import of the first code cell that has one (or to the
  top of the first code cell), since the cells run from the top.  Only the
  ``source`` values of the cells that changed are replaced in the original
  JSON text, in its own style (indent, separators, newlines, string or list
  of lines, ASCII escapes): outputs, metadata, ids, key order and every other
  byte stay as they were.
"""

from __future__ import annotations

import difflib
import os
import json
import re
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Iterator

import libcst as cst

from ..findings import FileError, Position, Span
from .source import NOTEBOOK_KIND as KIND
from .source import WRITTEN_KIND, CellMap, SourceFile, python_syntax_error


# Cell magics that run their body as Python in this kernel: only the magic line is masked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Cell magics whose body is another language, data, or Python run in another process:
# the cell is left out without a word.  Any other cell magic is left out with a note.
OTHER_CELL_MAGICS = frozenset({
    "bash", "sh", "shell", "script", "system", "sx", "html", "javascript", "js", "latex", "markdown",
    "svg", "perl", "ruby", "python", "python2", "python3", "pypy", "file", "writefile", "bigquery", "sql",
})
# Kernels named in ``kernelspec`` alone (no language field): the language their name starts with.
KERNEL_LANGUAGES = (
    ("swift", "swift"), ("ir", "r"), ("julia", "julia"), ("scala", "scala"), ("java", "java"),
    ("kotlin", "kotlin"), ("bash", "bash"), ("javascript", "javascript"), ("typescript", "typescript"),
    ("deno", "typescript"), ("ruby", "ruby"), ("rust", "rust"), ("evcxr", "rust"), ("gophernotes", "go"),
    ("xcpp", "c++"), ("sas", "sas"), ("octave", "octave"), ("matlab", "matlab"), ("wolfram", "wolfram"),
)

# An IPython-only line, after its indentation: a line or cell magic (%name,
# %%name), a shell escape (!cmd, !!cmd, not !=), help (?obj, ??obj, obj?,
# obj??) or an assignment from a magic or shell escape (t = %time f(), x = !ls).
MAGIC_LINE = re.compile(
    r"%%?[A-Za-z_]"
    r"|!!?(?!=)"
    r"|\?\??[%\w.*\[\]]*\s*$"
    r"|[%\w.*\[\]]+\?\??\s*$"
    r"|[\w.\[\], ]+=\s*[%!]"
)
COMMENT = "# "  # how a cell left out is kept in the joined text
CELL_MAGIC = re.compile(r"%%(\w*)")
WRITEFILE = re.compile(r"%%writefile(?P<append>\s+(?:-a|--append))?\s+(?P<target>[^\s'\"]+\.py)\s*$")
NEWLINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line as libcst counts them
SPACE = re.compile(r"[ \t\r\n]*")
INDENT = re.compile(r"[ \t]*")
DECODER = json.JSONDecoder()


def read_notebook(path: str, raw: bytes) -> SourceFile:
    notebook = Notebook(raw)
    problems = tuple(FileError(path, message, position) for position, message in notebook.problems)
    return SourceFile(path, notebook.text, raw, "utf-8", KIND, notebook.cell_map(), problems)


def written_modules(source: SourceFile) -> list[SourceFile]:
    """The modules the notebook's ``%%writefile name.py`` cells write (other cells import them).

    Each is analysed as the file it becomes, named as it would be beside the
    notebook; its lines are the cell's (the magic line a comment), so its
    findings are shown in the notebook's cell.  ``-a`` cells add to the module.
    """
    folder = os.path.dirname(source.path)
    modules: dict[str, _Written] = {}
    for cell, target, append, lines in Notebook(source.raw).written:
        path = os.path.normpath(os.path.join(folder, target))
        if not append or path not in modules:
            modules[path] = _Written([], [], [])
        modules[path].add(cell, lines)
    return [
        SourceFile(path, "".join(module.lines), source.raw, "utf-8", WRITTEN_KIND,
                   CellMap(tuple(module.starts), tuple(module.cells), notebook=source.path))
        for path, module in modules.items()
    ]


@dataclass(frozen=True)
class _Written:
    """A module being put together from ``%%writefile`` cells."""

    starts: list[int]
    cells: list[int]
    lines: list[str]

    def add(self, cell: int, lines: list[str]) -> None:
        self.starts.append(len(self.lines) + 1)
        self.cells.append(cell)
        self.lines.extend(lines)


def render_notebook(source: SourceFile) -> bytes:
    """The notebook's bytes with the fixed text put back into its code cells."""
    return Notebook(source.raw).render(source.text)


def code_cells(source: SourceFile) -> list[tuple[str, str]]:
    """(``cell N``, source) of every analysed code cell, as ``source.text`` would write them."""
    notebook = Notebook(source.raw)
    return [(f"cell {cell.index + 1}", text) for cell, text in zip(notebook.cells, notebook.sources(source.text))]


@dataclass(frozen=True)
class Cell:
    index: int  # place among all cells, from 0
    source: str  # as in the notebook
    indent: str = ""  # the first line's indentation, removed from the lines that have it


@dataclass(frozen=True)
class Line:
    analysed: str  # as in the joined text, with its newline
    original: str  # as in the cell
    cell: int  # index into Notebook.cells
    indent: str = ""  # removed from the start of ``original`` (the cell is dedented)
    commented: bool = False  # the cell is left out as comments (it does not parse, or its magic is unknown)

    @property
    def masked(self) -> bool:
        return self.analysed != self.original[len(self.indent):]

    def written(self, now: str) -> str:
        """The cell's line for ``now`` (this line as fixed): magics and indentation put back."""
        if now == self.analysed or self.masked:
            return self.original
        return self.indent + now if now.strip() else now


class Notebook:
    def __init__(self, raw: bytes) -> None:
        self.json = raw.decode("utf-8")
        document = _load(self.json)
        python = _language(document) == "python"
        self.cells: list[Cell] = []
        self.lines: list[Line] = []
        self.problems: list[tuple[Position, str]] = []  # (where in ``text``, what): cells left out
        self.written: list[tuple[int, str, bool, list[str]]] = []  # %%writefile cells: (index, target, -a, lines)
        for index, cell in enumerate(document["cells"]):
            if python and cell["cell_type"] == "code":
                self._add(index, _joined(cell["source"]))
        self.text = "".join(line.analysed for line in self.lines)

    def _add(self, index: int, source: str) -> None:
        lines = _split_lines(source + "\n")  # the newline that ends the cell in the joined text
        magic = _cell_magic(lines)
        first = next((n for n, line in enumerate(lines) if line.strip()), 0)
        written = WRITEFILE.match(lines[first].strip()) if magic == "writefile" else None
        if written:  # as the module's own text: the lines up to the magic are comments
            module = [COMMENT + line for line in lines[:first + 1]] + lines[first + 1:]
            self.written.append((index, written["target"], bool(written["append"]), module))
        if magic in OTHER_CELL_MAGICS:
            return
        if magic is None or magic in PYTHON_CELL_MAGICS:
            indent, analysed = _python_lines(lines)
            problem = _syntax_problem(analysed)
        else:
            indent, analysed = "", []
            problem = (Position(1, 0), f"cell not checked: unknown cell magic %%{magic}")
        commented = problem is not None
        if commented:  # the cell stays, as comments: its lines keep their numbers
            indent, analysed = "", [(COMMENT + line, "") for line in lines]
            at, message = problem
            self.problems.append((Position(len(self.lines) + at.line, at.column + len(COMMENT)), message))
        self.lines += [
            Line(text, line, len(self.cells), removed, commented) for line, (text, removed) in zip(lines, analysed)
        ]
        self.cells.append(Cell(index, source, indent))

    def cell_map(self) -> CellMap:
        """Where each analysed line is in the notebook (plain data: it goes to worker processes)."""
        starts = tuple(n + 1 for n, line in enumerate(self.lines) if n == 0 or line.cell != self.lines[n - 1].cell)
        shifts = tuple(len(line.indent) - len(COMMENT) * line.commented for line in self.lines)
        return CellMap(starts, tuple(cell.index for cell in self.cells), shifts if any(shifts) else ())

    def sources(self, text: str) -> list[str]:
        """Each analysed cell's source once ``text`` (the fixed joined text) is split back.

        Lines pair up with the analysed lines they replace; new lines that
        are a whole import statement are collected for :func:`_place`; any
        other change stays in the cell where it starts.
        """
        new = _split_lines(text)
        cells: list[list[tuple[str, str]]] = [[] for _ in self.cells]  # (analysed, written) lines
        imports: list[str] = []
        matcher = difflib.SequenceMatcher(None, [line.analysed for line in self.lines], new)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            old, added = self.lines[i1:i2], new[j1:j2]
            if tag != "equal":
                kept = {line.analysed for line in old}
                inserted = [line for line in added if line not in kept and _is_import_line(line)]
                imports += inserted
                added = [line for line in added if line not in inserted]
            if len(old) == len(added):
                for line, now in zip(old, added):
                    cells[line.cell].append((now, line.written(now)))
            else:
                at = self.lines[min(i1, len(self.lines) - 1)].cell
                indent = self.cells[at].indent
                cells[at] += [(now, indent + now if now.strip() else now) for now in added]
        _place(imports, cells)
        return [_strip_separator("".join(written for _, written in lines)) for lines in cells]

    def render(self, text: str) -> bytes:
        changed = {cell.index: new for cell, new in zip(self.cells, self.sources(text)) if new != cell.source}
        style = _Style.of(self.json)
        pieces, done = [], 0
        for index, (start, end) in enumerate(_source_spans(self.json)):
            if index in changed:
                was_list = self.json[start] == "["
                value = changed[index].splitlines(keepends=True) if was_list else changed[index]
                pieces += [self.json[done:start], style.dump(value, _indentation(self.json, start))]
                done = end
        return "".join(pieces + [self.json[done:]]).encode("utf-8")


def _split_lines(text: str) -> list[str]:
    return NEWLINES.findall(text)


def _load(text: str) -> dict:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not a notebook: invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise ValueError("not a notebook: the JSON nests too deeply to read") from None
    if not isinstance(document, dict):
        raise ValueError("not a notebook: the JSON is not an object")
    if document.get("nbformat") != 4:
        raise ValueError(f"not a notebook: expected nbformat 4, found {document.get('nbformat')!r}")
    if not isinstance(document.get("cells"), list):
        raise ValueError("not a notebook: no 'cells' list")
    for number, cell in enumerate(document["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise ValueError(f"not a notebook: cell {number} has no 'cell_type'")
        source = cell.get("source")
        if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise ValueError(f"not a notebook: cell {number} has no 'source' string or list of strings")
    return document


def _language(document: dict) -> str:
    """The notebook's language: its ``language_info`` or ``kernelspec`` says, else its kernel's name does."""
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(field), str):
            return value[field].lower()
    kernel = metadata.get("kernelspec")
    name = kernel.get("name") if isinstance(kernel, dict) else None
    name = name.lower() if isinstance(name, str) else ""
    return next((language for prefix, language in KERNEL_LANGUAGES if name.startswith(prefix)), "python")


def _joined(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _cell_magic(lines: list[str]) -> str | None:
    """The name of the cell magic the cell opens with (``time`` for ``%%time``), or None."""
    first = next((line.strip() for line in lines if line.strip()), "")
    magic = CELL_MAGIC.match(first)
    return magic.group(1) if magic else None


def _python_lines(lines: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """(the indentation removed, [(analysed line, indentation it lost)]) of a Python cell.

    As IPython does, the first line's indentation is removed from every line
    that has it (a cell pasted from inside a function); then magics are masked.
    """
    indent = INDENT.match(next((line for line in lines if line.strip()), "")).group()
    analysed, continued = [], False
    for line in lines:
        removed = indent if line.startswith(indent) else ""
        text, continued = _mask(line[len(removed):], continued)
        analysed.append((text, removed))
    return indent, analysed


def _syntax_problem(analysed: list[tuple[str, str]]) -> tuple[Position, str] | None:
    """Where and why the cell is not Python (compiled alone, as IPython runs it), in the cell's own columns."""
    error = python_syntax_error("".join(text for text, _ in analysed))
    if error is None:
        return None
    position, message = error
    removed = len(analysed[position.line - 1][1]) if position.line <= len(analysed) else 0
    return Position(position.line, position.column + removed), f"syntax error: {message} (cell not checked)"


def _mask(line: str, continued: bool) -> tuple[str, bool]:
    """(``line`` as analysed, whether the next line continues it).

    A magic line becomes ``pass  # <the line>``; the lines that continue it
    with a backslash become comments, so the line count stays the same.
    """
    content = line.rstrip("\r\n")
    code = content.lstrip()
    if not continued and not MAGIC_LINE.match(code):
        return line, False
    indent, newline = content[: len(content) - len(code)], line[len(content):]
    return f"{indent}{'#' if continued else 'pass  #'} {code}{newline}", content.endswith("\\")


def _strip_separator(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def _is_import_statement(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _parse(code: str) -> cst.Module | None:
    try:
        return cst.parse_module(code)
    except cst.ParserSyntaxError:
        return None


def _is_import_line(line: str) -> bool:
    module = _parse(line)
    return module is not None and bool(module.body) and all(_is_import_statement(s) for s in module.body)


def _after_imports(code: str) -> int | None:
    """How many lines of ``code`` run up to its last top-level import; None without one."""
    module = _parse(code)
    if module is None:
        return None
    line, last = len(module.header), None
    for statement in module.body:
        line += len(_split_lines(module.code_for_node(statement)))
        last = line if _is_import_statement(statement) else last
    return last


def _place(imports: list[str], cells: list[list[tuple[str, str]]]) -> None:
    """Put inserted imports after the last import of the first cell that has one, else atop the first cell."""
    if not imports:
        return
    for lines in cells:
        at = _after_imports("".join(analysed for analysed, _ in lines))
        if at is not None:
            lines[at:at] = [(line, line) for line in imports]
            return
    cells[0][0:0] = [(line, line) for line in imports]


def _entries(text: str, at: int) -> Iterator[tuple[str | None, int, int]]:
    """(key, start, end) of each member of the JSON object at ``at`` (key None in an array)."""
    close = "}" if text[at] == "{" else "]"
    at = SPACE.match(text, at + 1).end()
    while text[at] != close:
        key = None
        if close == "}":
            key, at = scanstring(text, at + 1)
            at = SPACE.match(text, SPACE.match(text, at).end() + 1).end()  # past the ':'
        _, end = DECODER.raw_decode(text, at)
        yield key, at, end
        at = SPACE.match(text, end).end()
        at = SPACE.match(text, at + 1).end() if text[at] == "," else at


def _source_spans(text: str) -> list[tuple[int, int]]:
    """Where each cell's ``source`` value is in the notebook's JSON text, in cell order."""
    top = {key: start for key, start, _ in _entries(text, SPACE.match(text).end())}
    spans = []
    for _, start, _ in _entries(text, top["cells"]):
        members = {key: (begin, end) for key, begin, end in _entries(text, start)}
        spans.append(members["source"])
    return spans


def _indentation(text: str, at: int) -> str:
    """The leading whitespace of the line holding offset ``at``."""
    return INDENT.match(text, text.rfind("\n", 0, at) + 1).group()


@dataclass(frozen=True)
class _Style:
    """How the notebook's JSON was written, read off its first member."""

    indent: str | None
    separators: tuple[str, str]
    newline: str
    ascii: bool

    @classmethod
    def of(cls, text: str) -> _Style:
        lead = re.match(r'\s*\{(\s*)"(?:[^"\\]|\\.)*"(\s*):', text)
        space, before_colon = lead.group(1), lead.group(2)
        after_colon = " " if text[lead.end():lead.end() + 1] == " " else ""
        indent = space.rsplit("\n", 1)[1] if "\n" in space else None
        return cls(
            indent=indent,
            separators=("," if indent is not None or not after_colon else ", ", before_colon + ":" + after_colon),
            newline="\r\n" if "\r\n" in space else "\n",
            ascii=text.isascii(),
        )

    def dump(self, value: str | list[str], indentation: str) -> str:
        """``value`` as JSON in this style, continued lines indented from ``indentation``."""
        text = json.dumps(value, indent=self.indent, separators=self.separators, ensure_ascii=self.ascii)
        return text.replace("\n", self.newline + indentation)


class FileText:
    """Positions and edits in a notebook's own ``.ipynb`` text for positions in its analysed text.

    For reports that point into the file itself (SARIF: code scanning
    annotates the file's lines, and a consumer applies fixes to its bytes).
    A cell's source is found in the JSON text string by string, escapes
    counted, so a position lands on the very character of the code.
    """

    def __init__(self, source: SourceFile) -> None:
        self.json = source.raw.decode("utf-8")
        self.cell_map = source.cell_of
        self.ascii = _Style.of(self.json).ascii
        self.cells = [_strings(self.json, start) for start, _ in _source_spans(self.json)]

    def offset(self, position: Position, end: bool = False) -> tuple[int, int, int]:
        """(cell, string number in its ``source``, offset in the JSON text) of an analysed position."""
        cell, inner = self.cell_map.locate(position)
        strings = self.cells[cell]
        lines = _split_lines("".join(decoded for decoded, _ in strings))
        wanted = sum(len(line) for line in lines[: inner.line - 1])
        if inner.line <= len(lines):
            wanted += min(inner.column, len(lines[inner.line - 1].rstrip("\r\n")))
        consumed = 0
        for number, (decoded, at) in enumerate(strings):
            room = consumed + len(decoded)
            if wanted < room or wanted == room and (end or number == len(strings) - 1):
                return cell, number, _skip_decoded(self.json, at, wanted - consumed)
            consumed = room
        return cell, 0, _source_spans(self.json)[cell][0] + 1  # an empty source: inside its brackets or quotes

    def position(self, position: Position, end: bool = False) -> Position:
        """The line (from 1) and column (from 0, code points) in the file of an analysed position."""
        return self._file_position(self.offset(position, end)[2])

    def _file_position(self, offset: int) -> Position:
        line_start = self.json.rfind("\n", 0, offset) + 1
        return Position(self.json.count("\n", 0, offset) + 1, offset - line_start)

    def edit(self, span: Span, replacement: str) -> tuple[Span, str] | str:
        """The edit of the file's text (span in the file, JSON-escaped text) or why there is none.

        Ends that fall in two strings of a source list merge them into one,
        which still reads as the same cell source.
        """
        start_cell, _, start = self.offset(span.start)
        end_cell, _, end = self.offset(span.end, end=True)
        if start_cell != end_cell:
            return "the edit spans more than one cell"
        text = json.dumps(replacement, ensure_ascii=self.ascii)[1:-1]
        return Span(self._file_position(start), self._file_position(end)), text


def _strings(text: str, at: int) -> list[tuple[str, int]]:
    """(decoded text, offset of its first character in ``text``) of each string of the ``source`` at ``at``."""
    if text[at] == '"':
        return [(scanstring(text, at + 1)[0], at + 1)]
    return [(scanstring(text, start + 1)[0], start + 1) for _, start, _ in _entries(text, at)]


def _skip_decoded(text: str, at: int, count: int) -> int:
    """The offset in ``text`` after ``count`` decoded characters of the JSON string content starting at ``at``."""
    for _ in range(count):
        if text[at] != "\\":
            at += 1
        elif text[at + 1] != "u":
            at += 2
        elif 0xD800 <= int(text[at + 2:at + 6], 16) < 0xDC00 and text[at + 6:at + 8] == "\\u":
            at += 12  # a surrogate pair: one code point
        else:
            at += 6
    return at
