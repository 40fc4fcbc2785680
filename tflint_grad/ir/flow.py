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

from .model import JOIN, CallableRef, Definition, Deps, Free, Local

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

    def define(self, name: str, kind: str, deps: Deps, statement: int = -1, ref: CallableRef | None = None,
               operation: bool = False) -> int:
        index = len(self.definitions)
        self.definitions.append(Definition(name, kind, deps, statement, ref, operation))
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
        # a name the pre-scan did not see (bound inside an expression) still reaches the exit
        unseen = {name: indices for name, indices in (back or {}).items() if name not in loop.joins}
        return join(head, unseen) if head is not None and unseen else head


def _bound(target: cst.CSTNode, names: set[str]) -> None:
    if isinstance(target, cst.Name):
        names.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bound(element.value, names)
    elif isinstance(target, cst.StarredElement):
        _bound(target.value, names)
    elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
        names.add(target.value.value)


def _statement_binds(node: cst.CSTNode, mutating: frozenset[str], names: set[str]) -> None:
    """What one small statement binds: assignment targets, ``x.append(...)``."""
    if isinstance(node, cst.Assign):
        for target in node.targets:
            _bound(target.target, names)
    elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        _bound(node.target, names)
    elif isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        func = node.value.func
        if isinstance(func, cst.Attribute) and func.attr.value in mutating and isinstance(func.value, cst.Name):
            names.add(func.value.value)


def rebound_names(body: cst.CSTNode, mutating: frozenset[str]) -> set[str]:
    """What a loop's body may rebind at statement level, pre-scanned before the walk
    (statements only, so the scan stays cheap; a name bound inside an expression is
    still seen after the loop, see ``Flow.leave_body``).  Nested functions and
    classes bind in their own scopes and are skipped."""
    names: set[str] = set()
    stack: list = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) or node is None:
            continue
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                _statement_binds(small, mutating, names)
            continue
        if isinstance(node, cst.For):
            _bound(node.target, names)
        elif isinstance(node, cst.With):
            names.update(item.asname.name.value for item in node.items
                         if item.asname is not None and isinstance(item.asname.name, cst.Name))
        elif isinstance(node, (cst.SimpleStatementSuite,)):
            for small in node.body:
                _statement_binds(small, mutating, names)
            continue
        for name in ("body", "orelse", "handlers", "finalbody", "cases"):
            child = getattr(node, name, None)
            if isinstance(child, (tuple, list)):
                stack.extend(child)
            elif isinstance(child, cst.CSTNode):
                stack.append(child)
    return names
