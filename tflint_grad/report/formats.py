"""The machine-readable outputs behind ``--output-format json|sarif|github``.

Each format is its own small module with one ``render(findings, errors,
sources) -> str``; this table is the only place the CLI looks them up, so a
new format is one module and one line.
"""

from __future__ import annotations

from . import github, json_format, sarif

RENDERERS = {
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}


def render(output_format: str, findings, errors, sources) -> str:
    return RENDERERS[output_format](findings, errors, sources)
