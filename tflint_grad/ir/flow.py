"""Reaching definitions while the builder walks a scope, without a control-flow graph.

The walk keeps the *live* definitions of every name (name -> definition
indices).  At a branch the state is snapshot, each arm runs from the
snapshot, and the arms' ends are merged; an arm that returns, raises, breaks
or continues ends dead and adds nothing to the merge.  A loop body is
pre-scanned for the names it rebinds: each gets a *join* definition at the
loop head, filled in when the body is done with the definitions that reach
the head from before the loop, from the end of the body and from every
``continue`` (the approach of ty's semantic index builder).  A ``try``
handler starts from everything the body may have defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from .model import JOIN, Definition, Deps, Free, Local

State = dict  # name -> tuple of definition indices; None when the code is unreachable


def join(*states: State | None) -> State | None:
    """The definitions that may reach a point where the given paths meet."""
    alive = [state for state in states if state is not None]
    if not alive:
        return None
    merged: State = dict(alive[0])
    for state in alive[1:]:
        for name, indices in state.items():
            old = merged.get(name)
            merged[name] = indices if old is None or old == indices else tuple(dict.fromkeys(old + indices))
    return merged


@dataclass
class Loop:
    """What a loop body collects for its head and its exit."""

    joins: dict[str, int]  # rebound name -> its join definition at the head
    entry: State | None
    continues: list = field(default_factory=list)
    breaks: list = field(default_factory=list)


class Flow:
    """The definitions of one scope and the ones live at the current point of the walk."""

    def __init__(self) -> None:
        self.definitions: list[Definition] = []
        self.live: State | None = {}
        self.loops: list[Loop] = []

    def define(self, name: str, kind: str, deps: Deps, statement: int = -1) -> int:
        index = len(self.definitions)
        self.definitions.append(Definition(name, kind, deps, statement))
        if self.live is not None:
            self.live[name] = (index,)
        return index

    def read(self, name: str) -> Deps:
        indices = self.live.get(name) if self.live is not None else None
        if not indices:
            return (Free(name),)
        return tuple(Local(i) for i in indices)

    def is_live(self, name: str) -> bool:
        return self.live is not None and name in self.live

    # -- branches ------------------------------------------------------------
    def snapshot(self) -> State | None:
        return None if self.live is None else dict(self.live)

    def restore(self, state: State | None) -> None:
        self.live = None if state is None else dict(state)

    def terminate(self) -> None:
        """``return`` / ``raise``: nothing after it in this block runs."""
        self.live = None

    def defined_since(self, start: int, state: State | None) -> State | None:
        """``state`` plus every definition made since ``start`` (an ``except`` may start anywhere)."""
        if state is None:
            return None
        widened = dict(state)
        for index in range(start, len(self.definitions)):
            name = self.definitions[index].name
            widened[name] = tuple(dict.fromkeys(widened.get(name, ()) + (index,)))
        return widened

    # -- loops -----------------------------------------------------------------
    def enter_loop(self, rebound: set[str]) -> Loop:
        entry = self.snapshot()
        joins = {name: self.define(name, JOIN, ()) for name in sorted(rebound)} if self.live is not None else {}
        loop = Loop(joins, entry)
        self.loops.append(loop)
        return loop

    def jump(self, to_exit: bool) -> None:
        """``break`` (to_exit) or ``continue``."""
        if self.loops and self.live is not None:
            loop = self.loops[-1]
            (loop.breaks if to_exit else loop.continues).append(dict(self.live))
        self.live = None

    def leave_body(self, loop: Loop) -> State | None:
        """Fill the head's joins; return the state at the head (the loop may stop there)."""
        self.loops.pop()
        back = join(self.live, *loop.continues)
        for name, index in loop.joins.items():
            reaching = (loop.entry or {}).get(name, ()) + ((back or {}).get(name, ()))
            deps = tuple(Local(i) for i in dict.fromkeys(reaching) if i != index)
            self.definitions[index] = Definition(name, JOIN, deps)
        head = dict(loop.entry) if loop.entry is not None else None
        if head is not None:
            head.update({name: (index,) for name, index in loop.joins.items()})
        return head


class _Rebinds(cst.CSTVisitor):
    """Names a statement list may bind (nested functions and classes excluded)."""

    def __init__(self, mutating: frozenset[str]) -> None:
        super().__init__()
        self.mutating = mutating
        self.names: set[str] = set()

    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False

    def _target(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            self.names.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self._target(element.value)
        elif isinstance(node, cst.StarredElement):
            self._target(node.value)
        elif isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name):
            self.names.add(node.value.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._target(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.mutating and isinstance(func.value, cst.Name):
            self.names.add(func.value.value)


def rebound_names(nodes, mutating: frozenset[str]) -> set[str]:
    """What a loop's body (and its test or target) may rebind: pre-scanned before the walk."""
    visitor = _Rebinds(mutating)
    for node in nodes:
        if node is not None:
            node.visit(visitor)
    return visitor.names
