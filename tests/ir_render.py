"""A compact text form of a module's IR, for snapshot tests (``t#2`` is definition 2 of the scope)."""

from __future__ import annotations

import libcst as cst

from tflint_grad.ir.build import build_ir
from tflint_grad.ir.model import Free, LambdaRef, Local, ModuleIR, Result, Scope, SelfAttr


def atom_text(scope: Scope, atom) -> str:
    if isinstance(atom, Local):
        return f"{scope.definitions[atom.index].name}#{atom.index}"
    if isinstance(atom, Free):
        return f"free {atom.name}"
    if isinstance(atom, Result):
        return f"c{atom.index}"
    if isinstance(atom, SelfAttr):
        return f"self.{atom.attr}"
    assert isinstance(atom, LambdaRef)
    return f"lambda {atom.scope}"


def deps_text(scope: Scope, deps) -> str:
    return ", ".join(atom_text(scope, a) for a in deps) or "-"


def render(ir: ModuleIR) -> str:
    lines = []
    for scope in ir.scopes.values():
        if not (scope.definitions or scope.calls or scope.returns):
            continue
        lines.append(f"{scope.id}:")
        for index, definition in enumerate(scope.definitions):
            lines.append(f"  {definition.name}#{index} {definition.kind} <- {deps_text(scope, definition.deps)}")
        for call in scope.calls:
            args = "; ".join(deps_text(scope, a.deps) for a in call.args)
            where = "".join(f" block{b}" for b in call.blocks) + (f" loop{call.loop_depth}" if call.loop_depth else "")
            name = call.callee or (f"<{call.operator}>" if call.operator else f".{call.attr}")
            lines.append(f"  c{call.index} {name}({args}) on {deps_text(scope, call.receiver)}{where}")
        if scope.returns:
            lines.append(f"  return {deps_text(scope, scope.returns)}")
    return "\n".join(lines) + "\n"


def render_source(text: str) -> str:
    return render(build_ir(cst.parse_module(text), "snippet.py")[0])
