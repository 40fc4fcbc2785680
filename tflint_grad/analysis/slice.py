"""The backward slice from the differentiated outputs: what reaches them.

From each differentiated output (the return of a differentiated function
whose result matters, and the targets of a tape's gradient calls) walk the
dependencies backwards; the round-trips met on the way cut the gradient, the
others only cost a host sync.  Values consumed only by ``print``, logging,
``assert`` or f-strings are never on the path: those calls pass nothing on.
A mixin of :class:`~tflint_grad.analysis.dataflow.Dataflow`.
"""

from __future__ import annotations

from ..ir.model import Call, Free, Local, ModuleIR, Result, Scope, SelfAttr
from .calls import map_arguments
from .evaluate import EMPTY, NO_FLOW, live, returned
from .project import Definition

Key = tuple  # (path, scope id)


class OutputSlice:
    def evaluate_flow(self, key: Key) -> None:
        module, scope = self.scope_of(key)
        calls = {call.index: call for call in scope.calls}
        outputs: list = list(scope.returns) if key in self.relevant else []
        outputs += self.attribute_outputs.get(key, ())
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
        self._attribute_outputs(module, scope, seen)
        if everything_in:
            flows |= {c.index for c in scope.calls if set(self.recording(key, scope, c)) & everything_in}
        self.flows[key] = flows

    def _flow_inputs(self, key: Key, module: ModuleIR, scope: Scope, call: Call, whole: bool) -> list:
        target = self.resolver.call(module, scope, call)
        if target.also:  # a callable value that may be any of several (callees.py)
            return [a for each in target.alternatives() for a in self._target_inputs(key, module, scope, call, each, whole)]
        return self._target_inputs(key, module, scope, call, target, whole)

    def _target_inputs(self, key: Key, module: ModuleIR, scope: Scope, call: Call, target, whole: bool) -> list:
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

    def _attribute_outputs(self, module: ModuleIR, scope: Scope, seen: set) -> None:
        """``self.cache = np.exp(...)`` in one method, ``self.cache`` on the path in another (or
        later in the same one): what every method of the class assigns it reaches the output."""
        if scope.class_id is None:
            return
        attrs = {atom.attr for atom in seen if type(atom) is SelfAttr}
        for klass in self.project.class_chain(Definition(module, scope.class_id, True)) if attrs else ():
            for method_id in klass.klass.methods.values():
                method = klass.module.scopes[method_id]
                assigned = [a for attr in attrs & method.self_attrs.keys() for a in method.self_attrs[attr]]
                outputs = self.attribute_outputs[(klass.module.path, method_id)]
                if assigned and not outputs.issuperset(assigned):
                    outputs.update(assigned)
                    self.enqueue((klass.module.path, method_id))
