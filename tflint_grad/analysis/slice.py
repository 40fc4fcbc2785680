"""The backward slice from the differentiated outputs: what reaches them.

From each differentiated output (the return of a differentiated function
whose result matters, and the targets of a tape's gradient calls) walk the
dependencies backwards; the round-trips met on the way cut the gradient, the
others only cost a host sync.  Values consumed only by ``print``, logging,
``assert`` or f-strings are never on the path: those calls pass nothing on.
A mixin of :class:`~tflint_grad.analysis.dataflow.Dataflow`.
"""

from __future__ import annotations

from ..ir.model import Call, Free, Local, ModuleIR, Result, Scope
from .calls import map_arguments
from .evaluate import EMPTY, NO_FLOW, live, returned

Key = tuple  # (path, scope id)


class OutputSlice:
    def evaluate_flow(self, key: Key) -> None:
        module, scope = self.scope_of(key)
        calls = {call.index: call for call in scope.calls}
        outputs: list = list(scope.returns) if key in self.relevant else []
        everything_in: set[int] = set()
        for position, tape in self.tapes[key[0]].blocks_in(scope):
            asked = [g for g in tape.gradients if g.scope == scope.id]
            if not asked:  # the gradient is taken elsewhere: all of the block may be the target
                everything_in.add(position)
            for gradient in asked:
                outputs += gradient.targets
        seen: set = set()
        stack = list(outputs)
        whole = key in self.reached
        while stack:
            atom = stack.pop()
            if atom in seen:
                continue
            seen.add(atom)
            kind = type(atom)
            if kind is Local:
                stack.extend(scope.definitions[atom.index].deps)
            elif kind is Free and atom.name in scope.names:
                stack.extend(scope.all_definitions(atom.name))
            elif kind is Result and atom.index in calls:
                stack.extend(self._flow_inputs(key, module, scope, calls[atom.index], whole))
        flows = {atom.index for atom in seen if type(atom) is Result}
        if everything_in:
            flows |= {c.index for c in scope.calls if set(self.recording(key, scope, c)) & everything_in}
        self.flows[key] = flows

    def _flow_inputs(self, key: Key, module: ModuleIR, scope: Scope, call: Call, whole: bool) -> list:
        target = self.resolver.call(module, scope, call)
        definition = target.definition
        if definition is not None and not definition.is_class:
            callee_key = (definition.module.path, definition.id)
            differentiated = whole or self.recording(key, scope, call)
            if differentiated and callee_key in self.reached and callee_key not in self.relevant | self.gradient_defined:
                self.relevant.add(callee_key)
                self.enqueue(callee_key)
            params = self.returns.get(callee_key, (EMPTY, EMPTY))[0]
            return [a for name, deps in map_arguments(definition.scope, call.args, target.skip)
                    if any(returned(params, name)) for a in deps]
        if target.kind in NO_FLOW:
            return []
        origin = self.origins[key]
        carried, live_only = self.carried_inputs(module, scope, target, call, origin)
        return carried + [a for a in live_only if live(origin(a))]
