"""Positions for the few nodes a finding points at.

Computing libcst positions for a whole module costs about as much as parsing
it, so the analysis works without them.  Only files that end up with a
finding (or hold the entry point a finding names) are located: re-parsed,
built again with ``keep_nodes=True`` (the same walk gives the same node
indices) and run through ``PositionProvider`` once.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst
import libcst.helpers
from libcst.metadata import CodePosition, MetadataWrapper, PositionProvider

from ..findings import Position, Span
from ..parse.comments import Comments, scan
from ..parse.source import LINE_BREAK, SourceFile
from .build import build_ir


# Fields through which a statement holds statements (a block, a branch, handlers, cases);
# an expression never holds an import.
STATEMENT_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


class Located:
    """``tree``: the module, its IR and nodes as ``build_ir(..., keep_nodes=True)`` made them,
    when the run kept them (a small run summarises in-process); else the file is parsed again."""

    def __init__(self, source: SourceFile, tree: tuple | None = None) -> None:
        self.source = source
        if tree is None:
            module = cst.parse_module(source.text)
            tree = (module, *build_ir(module, source.path, keep_nodes=True))
        self.module, self.ir, self.nodes = tree
        self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        # only a form feed makes libcst's code differ from the text (generating it costs a walk of the tree)
        self._dropped = _dropped_columns(source.text, self.module.code) if "\f" in source.text else {}

    @cached_property
    def comments(self) -> Comments:
        """The comments by line that may suppress a finding: none in a file that never says
        ``noqa`` (tokenizing a file costs more than analysing it)."""
        if "noqa" not in self.source.text.lower():
            return Comments({}, frozenset())
        return scan(self.source.text)

    @cached_property
    def module_level_imports(self) -> frozenset[str]:
        """Names bound by imports outside any function or class body: the ones every function sees.

        Only statements are walked, through the fields that hold nested ones (a libcst visitor
        would walk every expression too: as long as locating the file)."""
        names: set[str] = set()
        pending: list[object] = [self.module]
        while pending:
            node = pending.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    names.add(cst.helpers.get_full_name_for_node(bound).split(".")[0])
            for field in STATEMENT_FIELDS:
                value = getattr(node, field, None)
                if isinstance(value, cst.CSTNode):
                    pending.append(value)
                elif isinstance(value, (list, tuple)):
                    pending.extend(value)
        return frozenset(names)

    def span(self, node: cst.CSTNode) -> Span:
        code_range = self._positions[node]
        return Span(self._position(code_range.start), self._position(code_range.end))

    def _position(self, where: CodePosition) -> Position:
        """libcst's position, moved right past the form feeds libcst dropped from the line's indentation."""
        indent, dropped = self._dropped.get(where.line, (0, 0))
        return Position(where.line, where.column + dropped if where.column >= indent else where.column)

    def span_of(self, index: int) -> Span:
        return self.span(self.nodes[index])

    def code(self, node: cst.CSTNode, limit: int = 40) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _dropped_columns(text: str, code: str) -> dict[int, tuple[int, int]]:
    """{line: (indentation width in libcst's code, characters libcst dropped from it)}.

    libcst drops a form feed that opens an indented line inside a block (the
    line is regenerated with the block's indentation), so its columns on that
    line are short of the file's.  Only lines that differ are listed: none,
    almost always.
    """
    if text == code:
        return {}
    ours, theirs = LINE_BREAK.split(text), LINE_BREAK.split(code)
    if len(ours) != len(theirs):
        return {}
    return {
        number: (len(regenerated) - len(regenerated.lstrip()), len(line) - len(regenerated))
        for number, (line, regenerated) in enumerate(zip(ours, theirs), start=1)
        if line != regenerated and line.lstrip(" \t\f") == regenerated.lstrip(" \t\f")
    }
