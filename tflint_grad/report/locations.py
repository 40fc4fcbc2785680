"""How a position is shown to people: ``path:line:col`` with a 1-based column,
or ``notebook.ipynb:cell N:line:col`` inside a notebook (and inside the module a
notebook's ``%%writefile`` cell writes: it is shown in that cell)."""

from __future__ import annotations

from ..findings import Position


def shown_path(path: str, sources) -> str:
    """The file a path's findings are shown in: the notebook, for a module one of its cells writes."""
    source = sources.get(path) if sources else None
    return source.cell_of.notebook or path if source is not None and source.cell_of is not None else path


def display(path: str, position: Position, sources) -> str:
    source = sources.get(path) if sources else None
    if source is not None and source.cell_of is not None:
        cell, inner = source.cell_of(position)
        return f"{shown_path(path, sources)}:{cell}:{inner.line}:{inner.column + 1}"
    return f"{path}:{position.line}:{position.column + 1}"
