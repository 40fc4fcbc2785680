"""Backward walks over one scope's IR: what a value is computed from.

The tape rules ask which values a target or a watch is made of, through the
definitions that reach each use and the inputs of the calls met; each walk
is :func:`closure` with its own step.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..ir.model import Free, Local, ModuleIR, Result, Scope
from .calls import Resolver
from .tapes import call_inputs


def closure(start: Iterable, step: Callable[[object], Iterable]) -> set:
    """Every atom reached from ``start`` by ``step`` (an atom -> the atoms it is made of)."""
    seen: set = set()
    stack = list(start)
    while stack:
        atom = stack.pop()
        if atom not in seen:
            seen.add(atom)
            stack.extend(step(atom))
    return seen


class ScopeWalk:
    def __init__(self, resolver: Resolver, module: ModuleIR, scope: Scope) -> None:
        self.resolver = resolver
        self.module = module
        self.scope = scope

    def definitions_of(self, atom) -> tuple:
        """What a name is bound to where it is read (a closure reads every binding of the name)."""
        if type(atom) is Local:
            return self.scope.definitions[atom.index].deps
        if type(atom) is Free and atom.name in self.scope.names:
            return self.scope.all_definitions(atom.name)
        return ()

    def made_of(self, atom) -> Iterable:
        """One step back through a definition or a call's inputs."""
        if type(atom) is Result:
            call = self.resolver.call_at(self.module, self.scope, atom.index)
            return call_inputs(call) if call is not None else ()
        return self.definitions_of(atom)

    def everything(self, start: Iterable) -> set:
        """Every atom the values depend on, through every definition and call input."""
        return closure(start, self.made_of)

    def names(self, start: Iterable) -> set:
        """The values and the values they are bound to, not through calls."""
        return closure(start, self.definitions_of)
