"""Per-scope values: which definitions and calls hold differentiable tensors.

Each scope is evaluated against its IR: every definition and call gets an
*origin* set (the parameters it depends on, and/or ``SOURCE`` for an
intrinsic tensor source), by a local worklist over the reaching definitions.
A function's return (which parameters reach it) makes calls
context-sensitive one level deep.  A mixin of
:class:`~tflint_grad.analysis.dataflow.Dataflow`, whose state it shares.
"""

from __future__ import annotations

from collections import defaultdict

from ..ir.model import PARAM, Call, Free, LambdaRef, Local, ModuleIR, Result, Scope, self_name
from .calls import map_arguments
from .project import Definition
from .tables.apis import Kind
from .tables.entry_points import KERAS_TENSOR_ATTRIBUTES

SOURCE = "<source>"
EMPTY: frozenset = frozenset()
NO_FLOW = (Kind.STATIC, Kind.OPAQUE, Kind.HOST_PREDICATE, Kind.SOURCE)

Key = tuple  # (path, scope id)


class Evaluation:
    def evaluate(self, key: Key) -> None:
        self.evaluated.add(key)
        module, scope = self.scope_of(key)
        origins, origin = self._local_origins(key, module, scope)
        self.origins[key] = origin
        returns = self._union(origin, scope.returns)
        self.returns[key] = (frozenset(o for o in returns if o != SOURCE), SOURCE in returns)
        tainted_names = frozenset(
            scope.definitions[a.index].name for a, o in origins.items()
            if type(a) is Local and self.is_tainted(key, o))
        self._update_class_attributes(key, module, scope, origin)
        signature = (self.returns[key], tainted_names, tuple(sorted(self.class_attributes.get((key[0], scope.class_id), {}).items())))
        if self.signatures.get(key) != signature:
            self.signatures[key] = signature
            for other in self.dependents[key] | set(self.children[key]):
                self.enqueue(other)
        self._propagate_reach(key, module, scope, origin)

    def is_tainted(self, key: Key, origin: frozenset) -> bool:
        return SOURCE in origin or bool(origin & self.tainted_params[key])

    def _local_origins(self, key: Key, module: ModuleIR, scope: Scope):
        """Origins of every definition and call of a scope, by a local worklist."""
        keras_self = self_name(scope) if scope.class_id and self.family((key[0], scope.class_id)) else None
        definitions = scope.definitions
        items: dict[object, tuple] = {Local(i): d.deps for i, d in enumerate(definitions)}
        calls = {Result(call.index): call for call in scope.calls}
        readers: dict[object, list] = defaultdict(list)
        for item, deps in items.items():
            for atom in self._expand(scope, deps):
                readers[atom].append(item)
        for item, call in calls.items():
            for atom in self._expand(scope, self._call_inputs(call)):
                readers[atom].append(item)
        origins: dict[object, frozenset] = {}

        def origin(atom) -> frozenset:
            kind = type(atom)
            if kind is Local:
                definition = definitions[atom.index]
                if definition.kind == PARAM:
                    return frozenset({definition.name}) | ({SOURCE} if definition.name == keras_self else EMPTY)
                return origins.get(atom, EMPTY)
            if kind is Result:
                return origins.get(atom, EMPTY)
            if kind is Free:
                if atom.name in scope.names:  # read where the walk could not order it: any definition
                    return self._union(origin, scope.all_definitions(atom.name))
                return self._outer_origin(key, module, scope, atom.name)
            if kind is LambdaRef:
                return EMPTY
            return self._self_attribute_origin(key, module, scope, atom.attr)

        work = list(items) + list(calls)
        pending = set(work)
        while work:
            item = work.pop()
            pending.discard(item)
            if type(item) is Local:
                new = self._union(origin, items[item])
            else:
                new = self._call_origin(key, module, scope, calls[item], origin)
            if new != origins.get(item, EMPTY):
                origins[item] = new
                for reader in readers.get(item, ()):
                    if reader not in pending:
                        pending.add(reader)
                        work.append(reader)
        for index, definition in enumerate(definitions):
            if definition.kind == PARAM:
                origins[Local(index)] = origin(Local(index))
        return origins, origin

    @staticmethod
    def _expand(scope: Scope, deps) -> list:
        """Atoms as the worklist tracks them: a free read of a local name is all its definitions."""
        out = []
        for atom in deps:
            if type(atom) is Free and atom.name in scope.names:
                out.extend(scope.all_definitions(atom.name))
            else:
                out.append(atom)
        return out

    @staticmethod
    def _call_inputs(call: Call) -> list[tuple]:
        return [*call.receiver, *(atom for arg in call.args for atom in arg.deps)]

    def _call_origin(self, key: Key, module: ModuleIR, scope: Scope, call: Call, origin) -> frozenset:
        target = self.resolver.call(module, scope, call)
        if target.by_value:  # a callable value (callees.py): what any callee returns, in differentiated code
            if not (key in self.reached or self.recording(key, scope, call)):
                return self._union(origin, self._call_inputs(call))  # elsewhere its inputs, as for unknown code
            return frozenset().union(*(self._target_origin(key, module, scope, call, each, origin)
                                       for each in target.alternatives()))
        return self._target_origin(key, module, scope, call, target, origin)

    def _target_origin(self, key: Key, module: ModuleIR, scope: Scope, call: Call, target, origin) -> frozenset:
        if target.definition is not None:
            definition = target.definition
            callee_key = (definition.module.path, definition.id)
            if definition.is_class:
                if self.family(callee_key):
                    return frozenset({SOURCE})
                return self._union(origin, self._call_inputs(call))
            self.require(callee_key, key)
            params, source = self.returns.get(callee_key, (EMPTY, False))
            found = {SOURCE} if source else set()
            for name, deps in map_arguments(definition.scope, call.args, target.skip):
                if name in params:
                    found |= self._union(origin, deps)
            return frozenset(found)
        if target.kind == Kind.SOURCE:
            return frozenset({SOURCE})
        if target.kind in NO_FLOW:
            return EMPTY
        if target.kind in (Kind.HOST_NUMERIC, Kind.CONVERSION) and not (key in self.reached or self.recording(key, scope, call)):
            return EMPTY  # data made on the host outside differentiated code is just data
        return self._union(origin, self._call_inputs(call))

    @staticmethod
    def _union(origin, deps) -> frozenset:
        return frozenset().union(*(origin(a) for a in deps)) if deps else EMPTY

    def _outer_origin(self, key: Key, module: ModuleIR, scope: Scope, name: str) -> frozenset:
        """A free variable: tainted if the enclosing scope that binds it says so."""
        if scope.parent is None:
            return EMPTY
        binding = self.project.lookup(module, module.scopes[scope.parent], name)
        if binding is None or binding.kind != "var":
            return EMPTY
        outer = (module.path, binding.scope_id)
        self.require(outer, key)
        origin = self.origins.get(outer)
        return frozenset({SOURCE}) if origin and self.is_tainted(outer, origin(Free(name))) else EMPTY

    def _self_attribute_origin(self, key: Key, module: ModuleIR, scope: Scope, attr: str) -> frozenset:
        if scope.class_id is None:
            return EMPTY
        class_key = (module.path, scope.class_id)
        for klass in self.project.class_chain(Definition(module, scope.class_id, True)):
            for method in klass.klass.methods.values():
                self.require((klass.module.path, method), key)
            assigned = self.class_attributes.get((klass.module.path, klass.id), {})
            if attr in assigned:  # the nearest class that assigns self.attr decides
                return frozenset({SOURCE}) if assigned[attr] else EMPTY
        if self.family(class_key) and attr in KERAS_TENSOR_ATTRIBUTES:
            return frozenset({SOURCE})
        return EMPTY

    def _update_class_attributes(self, key: Key, module: ModuleIR, scope: Scope, origin) -> None:
        if scope.class_id is None or not scope.self_attrs:
            return
        table = self.class_attributes[(module.path, scope.class_id)]
        for attr, deps in scope.self_attrs.items():
            tainted = any(self.is_tainted(key, origin(a)) for a in deps)
            table[attr] = table.get(attr, False) or tainted
