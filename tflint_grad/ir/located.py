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
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Position, Span
from ..parse.source import SourceFile
from .build import build_ir


class Located:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.module = cst.parse_module(source.text)
        self.ir, self.nodes = build_ir(self.module, source.path, keep_nodes=True)
        self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)

    @cached_property
    def module_level_imports(self) -> frozenset[str]:
        """Names bound by imports outside any function or class body: the ones every function sees."""
        names: set[str] = set()

        class Imports(cst.CSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                return False

            def visit_ClassDef(self, node: cst.ClassDef) -> bool:
                return False

            def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
                bound = node.asname.name if node.asname is not None else node.name
                names.add(cst.helpers.get_full_name_for_node(bound).split(".")[0])

        self.module.visit(Imports())
        return frozenset(names)

    def span(self, node: cst.CSTNode) -> Span:
        code_range = self._positions[node]
        return Span(
            Position(code_range.start.line, code_range.start.column),
            Position(code_range.end.line, code_range.end.column),
        )

    def span_of(self, index: int) -> Span:
        return self.span(self.nodes[index])

    def code(self, node: cst.CSTNode, limit: int = 40) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."
