"""Which of the project's files an analysis of the open documents needs.

The whole-program check costs time in proportion to the code it analyses, and
most of a project cannot touch the open documents: differentiated code can
only reach another file through an import.  So an analysis takes, besides the
open documents, the files they import (transitively: the helpers their
differentiated code may call), the files that import them (transitively: the
differentiated code elsewhere that may reach their functions or subclass
their layers) and what those import in turn.  Imports are found by the
engine's own regex prefilter, without parsing, and remembered per text.
"""

from __future__ import annotations

from ..analysis.project import module_name
from ..engine import imported_names, imported_paths
from ..parse.source import SourceFile


class ImportGraph:
    """The project-internal imports of each file, remembered by (path, text)."""

    def __init__(self) -> None:
        self._imports: dict[str, tuple[str, frozenset[str]]] = {}  # path -> (text, module names it imports)
        self._modules: dict[str, str] = {}  # path -> dotted module name

    def needed(self, named: list[SourceFile], others: list[SourceFile]) -> list[SourceFile]:
        """The files of ``others`` that an analysis of ``named`` must include."""
        files = {s.path: s for s in [*others, *named]}
        by_module: dict[str, list[str]] = {}
        for path in files:
            by_module.setdefault(self._module(path), []).append(path)
        imports = {path: {found for name in self._imported(source) for found in imported_paths(name, by_module)}
                   for path, source in files.items()}
        importers: dict[str, set[str]] = {}
        for path, imported in imports.items():
            for found in imported:
                importers.setdefault(found, set()).add(path)
        start = {s.path for s in named}
        upstream = _closure(start, lambda p: importers.get(p, ()))
        wanted = _closure(upstream, lambda p: imports[p])
        return [s for s in others if s.path in wanted and s.path not in start]

    def _module(self, path: str) -> str:
        if path not in self._modules:
            self._modules[path] = module_name(path)
        return self._modules[path]

    def _imported(self, source: SourceFile) -> frozenset[str]:
        known = self._imports.get(source.path)
        if known is None or known[0] is not source.text and known[0] != source.text:
            names = imported_names(source.text, self._module(source.path), source.path.endswith("__init__.py"))
            known = self._imports[source.path] = (source.text, frozenset(names))
        return known[1]


def _closure(start: set[str], step) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for found in step(todo.pop()):
            if found not in seen:
                seen.add(found)
                todo.append(found)
    return seen
