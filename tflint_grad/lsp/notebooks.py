"""Notebooks opened through LSP 3.17 ``notebookDocument`` synchronisation.

The client sends a notebook as its cells, each a text document of its own.
The server turns them back into the nbformat 4 document the CLI would read
from disk (code cells in Python, markdown and other cells in their place, so
``cell N`` counts every cell as in the CLI's reports) and analyses it with
the CLI's own notebook reader (``parse/notebook.py``); positions are then
mapped to the cell documents (``convert.Locations``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lsprotocol import types

from ..parse.notebook import read_notebook
from ..parse.source import SourceFile


@dataclass(frozen=True)
class Cell:
    uri: str
    text: str
    kind: str  # the nbformat cell type: "code", "markdown" or "raw"


def cell_documents(notebook: types.NotebookDocument, workspace) -> list[Cell]:
    cells = []
    for cell in notebook.cells:
        document = workspace.get_text_document(cell.document)
        if cell.kind == types.NotebookCellKind.Markup:
            kind = "markdown"
        else:  # a code cell in another language (a %%bash cell has language "shellscript") is not analysed
            kind = "code" if document.language_id in (None, "python") else "raw"
        cells.append(Cell(cell.document, document.source, kind))
    return cells


def notebook_source(path: str, cells: list[Cell]) -> SourceFile:
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"language_info": {"name": "python"}},
        "cells": [{"cell_type": cell.kind, "metadata": {}, "source": cell.text} for cell in cells],
    }
    return read_notebook(path, json.dumps(document).encode("utf-8"))
