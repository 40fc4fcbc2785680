"""Whether a differentiated output keeps any gradient once some calls are taken as cuts.

A discrete operation (``argmax``, ``round``, a comparison) between a trainable
value and the loss is often harmless: ``tf.where(x > 0, x, 0.0)`` and
``tf.cast(x > 0, x.dtype) * x`` still differentiate through ``x``.  It is a bug
when *every* path from the output back to a trainable value goes through such
an operation: then the gradient is None (or zero) for every source.

Both questions are backward walks within one scope: from the outputs, does
some path reach a trainable value without meeting a cut?  If not, which cuts
have an input that reaches one without meeting another cut (the cuts nearest
the trainable values, the ones to report)?  Trainable values are the leaves
the data flow marks as carrying a gradient: a parameter it taints, a
``tf.Variable`` or Keras model, a closure or ``self`` attribute.  A call of a
project function is followed through the parameters that reach its return
(its body is not walked again: a cut inside it is not seen).
"""

from __future__ import annotations

from typing import Callable

from ..ir.model import PARAM, Call, Free, Local, Result
from .calls import map_arguments
from .evaluate import EMPTY, NO_FLOW
from .tables.apis import Kind

Key = tuple  # (path, scope id)


class _Walk:
    def __init__(self, dataflow, key: Key, is_cut: Callable[[Call], bool]) -> None:
        self.dataflow, self.key, self.is_cut = dataflow, key, is_cut
        self.module, self.scope = dataflow.scope_of(key)
        self.origin = dataflow.origins[key]

    def trainable(self, atom) -> bool:
        return self.dataflow.is_tainted(self.key, self.origin(atom))

    def reaches_trainable(self, start) -> tuple[bool, list[Call]]:
        """Whether ``start`` reaches a trainable value without a cut, and the cuts met on the way."""
        cuts: list[Call] = []
        seen: set = set()
        stack = list(start)
        while stack:
            atom = stack.pop()
            if atom in seen:
                continue
            seen.add(atom)
            kind = type(atom)
            if kind is Local:
                definition = self.scope.definitions[atom.index]
                if definition.kind == PARAM:
                    if self.trainable(atom):
                        return True, cuts
                else:
                    stack.extend(definition.deps)
            elif kind is Free and atom.name in self.scope.names:
                stack.extend(self.scope.all_definitions(atom.name))
            elif kind is Result:
                call = self.dataflow.resolver.call_at(self.module, self.scope, atom.index)
                if call is None:
                    continue
                if self.is_cut(call):
                    cuts.append(call)
                    continue
                inputs = self._inputs(call)
                if inputs is None:
                    return True, cuts
                stack.extend(inputs)
            elif self.trainable(atom):  # a closure, self.attr
                return True, cuts
        return False, cuts

    def _inputs(self, call: Call) -> list | None:
        """What a call's result is differentiably computed from; None when it is a trainable source."""
        dataflow = self.dataflow
        target = dataflow.resolver.call(self.module, self.scope, call)
        definition = target.definition
        if definition is not None and not definition.is_class:
            params, source = dataflow.returns.get((definition.module.path, definition.id), (EMPTY, False))
            if source:
                return None
            return [a for name, deps in map_arguments(definition.scope, call.args, target.skip) if name in params for a in deps]
        if target.kind is Kind.SOURCE or (definition is not None and dataflow.family((definition.module.path, definition.id))):
            return None
        if target.kind in NO_FLOW:
            return []
        return dataflow._call_inputs(call)


def cuts_of_every_path(dataflow, key: Key, outputs: tuple, is_cut: Callable[[Call], bool]) -> tuple[int, ...]:
    """The cuts nearest the trainable values, when every path from ``outputs`` to one passes a cut; else ()."""
    if key not in dataflow.origins:
        return ()
    walk = _Walk(dataflow, key, is_cut)
    differentiable, pending = walk.reaches_trainable(outputs)
    if differentiable:
        return ()
    nearest: set[int] = set()
    seen: set[int] = set()
    while pending:
        cut = pending.pop()
        if cut.index in seen:
            continue
        seen.add(cut.index)
        direct, further = walk.reaches_trainable(dataflow._call_inputs(cut))
        if direct:
            nearest.add(cut.index)
        pending.extend(further)
    return tuple(sorted(nearest))
