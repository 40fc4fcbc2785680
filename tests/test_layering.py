"""The import layering, checked on the source (AST): each unit imports only its own
layer's unit or lower layers, so the core can be tested, cached and reused alone.

    findings, exit codes, atomic, deep  <-  isolation  <-  parse, discover  <-  ir  <-  analysis  <-  rules  <-  fixes, report
        <-  config, engine, cache, the fix loop, api, guard  <-  cli, lsp, verify, --add-noqa

Within a layer, units do not import each other (``lsp`` never imports ``cli``),
except where ALLOWED says so.  ``tflint_grad`` itself (``__version__`` and the
lazy API facade) may be imported from anywhere.
"""

from __future__ import annotations

import ast

from conftest import ROOT

PACKAGE = ROOT / "tflint_grad"
LAYERS: tuple[tuple[str, ...], ...] = (
    ("findings", "exit_codes", "atomic", "deep"),
    ("isolation",),
    ("parse", "discover"),
    ("ir",),
    ("analysis",),
    ("rules",),
    ("fixes", "report"),
    ("config", "engine", "demand", "cache", "context", "baseline", "fixes.fixer", "api", "guard"),
    ("cli", "lsp", "verify", "fixes.noqa", "__main__"),
)
ALLOWED = {  # imports within one layer
    ("discover", "parse"), ("engine", "cache"), ("engine", "demand"), ("baseline", "config"), ("cli", "fixes.noqa"), ("report", "fixes"),
    ("fixes.fixer", "engine"), ("fixes.fixer", "config"), ("engine", "config"), ("api", "engine"), ("api", "config"),
    ("api", "fixes.fixer"), ("verify", "engine"), ("__main__", "cli"),
}
UNITS = sorted((unit for layer in LAYERS for unit in layer), key=len, reverse=True)
LAYER_OF = {unit: number for number, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str | None:
    """The layer unit of a dotted module name inside the package ("analysis.calls" -> "analysis")."""
    for unit in UNITS:
        if module == unit or module.startswith(unit + "."):
            return unit
    return None


def imports_of(path) -> list[str]:
    """Modules (relative to the package) that a file imports, anywhere in it."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    package = [p for p in package if p != "__init__"]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name[len("tflint_grad."):] for a in node.names if a.name.startswith("tflint_grad.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.startswith("tflint_grad"):
                module = node.module[len("tflint_grad."):] if node.module != "tflint_grad" else ""
            else:
                continue
            if node.module is None:
                found += [f"{module}.{a.name}" if module else a.name for a in node.names]
            else:
                found.append(module)
    return found


def violations() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        own = unit_of(module)
        for imported in imports_of(path):
            other = unit_of(imported)
            if own is None or other is None or other == own or (own, other) in ALLOWED:
                continue
            if LAYER_OF[other] >= LAYER_OF[own]:
                out.append(f"{module} imports {imported} ({own} may not depend on {other})")
    return out


def test_every_module_belongs_to_a_layer():
    modules = [".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py")]
    assert [m for m in modules if unit_of(m) is None] == ["__init__"]


def test_imports_follow_the_layers():
    assert violations() == []


def test_the_ir_imports_nothing_from_the_analysis():
    for path in (PACKAGE / "ir").rglob("*.py"):
        assert not [m for m in imports_of(path) if unit_of(m) not in ("ir", "parse", "findings")], path
