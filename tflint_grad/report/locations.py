"""How a position is shown to people: ``path:line:col`` with a 1-based column,
or ``notebook.ipynb:cell N:line:col`` inside a notebook."""

from __future__ import annotations

from ..findings import Position


def display(path: str, position: Position, sources) -> str:
    source = sources.get(path) if sources else None
    if source is not None and source.cell_of is not None:
        cell, inner = source.cell_of(position)
        return f"{path}:{cell}:{inner.line}:{inner.column + 1}"
    return f"{path}:{position.line}:{position.column + 1}"
