"""Per-scope values: which definitions and calls hold differentiable tensors.

Each scope is evaluated against its IR: every definition and call gets an
*origin* set (the parameters it depends on, and/or ``SOURCE`` for an
intrinsic tensor source), by a local worklist over the reaching definitions.
A function's return (which parameters reach it) makes calls
context-sensitive one level deep.  A mixin of
:class:`~tflint_grad.analysis.dataflow.Dataflow`, whose state it shares.

Value kinds.  An origin element ``x`` is LIVE: a tensor with a recorded path
from ``x``.  ``Cut(x)`` is CUT: a host value computed from such a tensor by a
round-trip (or from a CUT value by numpy), what TensorFlow would differentiate
once the round-trip is fixed.  An empty origin is STATIC, HOST or DISCRETE
data: literals, shapes, host data, and the results of discrete operations
(argmax, comparisons, integer casts, samples), which carry no gradient.  LIVE
passes through unknown calls (a library may be TensorFlow-based); CUT stops
there (``env.step(action)`` returns host data).
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ..ir.model import NO_CONSTANT, PARAM, Call, Free, LambdaRef, Local, ModuleIR, Result, Scope, self_name
from .calls import Target, map_arguments, slot_argument
from .project import Definition
from .tables.apis import VARIABLE, CASTS, CUT_CARRIERS, DISCRETE_DTYPES, TRAINABLE_KEYWORD, Kind
from .tables.entry_points import KERAS_TENSOR_ATTRIBUTES

SOURCE = "<source>"
EMPTY: frozenset = frozenset()
NO_FLOW = (Kind.STATIC, Kind.OPAQUE, Kind.HOST_PREDICATE, Kind.HOST_DISCRETE, Kind.SOURCE)
ROUND_TRIP_KINDS = (Kind.HOST_NUMERIC, Kind.CONVERSION)


class Cut(NamedTuple):
    """A CUT origin element: a host value computed from what ``of`` names by a round-trip."""

    of: str


SOURCES = frozenset({SOURCE, Cut(SOURCE)})
LIVE_SOURCE = frozenset({SOURCE})


def cut(origin: frozenset) -> frozenset:
    """The origin of a round-trip's result: every element CUT."""
    return frozenset(e if type(e) is Cut else Cut(e) for e in origin)


def live(origin: frozenset) -> frozenset:
    """The LIVE part of an origin (what passes through unknown code)."""
    return frozenset(e for e in origin if type(e) is not Cut)


def returned(params: frozenset, name: str) -> tuple[bool, bool]:
    """Whether a function returns its parameter ``name`` LIVE, and whether CUT."""
    return name in params, Cut(name) in params

Key = tuple  # (path, scope id)


class Evaluation:
    def evaluate(self, key: Key) -> None:
        self.evaluated.add(key)
        module, scope = self.scope_of(key)
        origins, origin = self._local_origins(key, module, scope)
        self.origins[key] = origin
        returns = self._union(origin, scope.returns)
        self.returns[key] = (returns - SOURCES, returns & SOURCES)
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
        """LIVE or CUT: depends on a differentiable source."""
        if not origin:
            return False
        params = self.tainted_params[key]
        for element in origin:
            name = element.of if type(element) is Cut else element
            if name == SOURCE or name in params:
                return True
        return False

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
            params, sources = self.returns.get(callee_key, (EMPTY, EMPTY))
            found = set(sources)
            for name, deps in map_arguments(definition.scope, call.args, target.skip):
                as_live, as_cut = returned(params, name)
                if as_live:
                    found |= self._union(origin, deps)
                if as_cut:
                    found |= cut(self._union(origin, deps))
            return frozenset(found)
        if target.kind == Kind.SOURCE:
            return EMPTY if _untrainable(call) or self._made_per_call(key, scope, call, target) else LIVE_SOURCE
        if target.kind in NO_FLOW or _discrete_cast(target.qualified, call):
            return EMPTY
        watched = LIVE_SOURCE if self.watched(key, scope, call, self._call_inputs(call)) else EMPTY
        if target.kind in ROUND_TRIP_KINDS:
            if not (key in self.reached or self.recording(key, scope, call)):
                return EMPTY  # data made on the host outside differentiated code is just data
            return cut(self._union(origin, self._call_inputs(call)) | watched)
        calls_source = self.object_call_source(key, module, scope, call, target)
        if calls_source is not None:  # model(x): the object decides, not what its variable holds
            arguments = self._union(origin, [a for arg in call.args for a in arg.deps])
            return arguments | watched | (LIVE_SOURCE if calls_source else EMPTY)
        carried, live_only = self.carried_inputs(module, scope, target, call, origin)
        return self._union(origin, carried) | frozenset().union(*(live(origin(a)) for a in live_only)) | watched

    def _made_per_call(self, key: Key, scope: Scope, call: Call, target: Target) -> bool:
        """A ``tf.Variable`` made inside a differentiated function is fresh on every call, so no
        gradient its caller asks for can name it, unless the method keeps it on ``self``."""
        if target.qualified != VARIABLE or key not in self.reached:
            return False
        made = Result(call.index)
        kept = {made} | {Local(i) for i, d in enumerate(scope.definitions) if made in d.deps}
        return not any(kept & set(deps) for deps in scope.self_attrs.values())

    def carried_inputs(self, module: ModuleIR, scope: Scope, target: Target, call: Call, origin) -> tuple[list, list]:
        """A flowing call's inputs: those it carries whole, and those it carries only LIVE
        (host values handed to unknown code come back as host data).  A method of a
        tensor, layer, distribution or module alias (``tfd = tfp.distributions``), and a
        called object (a model, a loss: ``loss_fn(y, pred)``), is TensorFlow code; a host
        object's method (``env.step(action)``) is not."""
        inputs = self._call_inputs(call)
        if target.kind in ROUND_TRIP_KINDS or target.qualified.startswith(CUT_CARRIERS):
            return inputs, []
        if (self._union(origin, call.receiver) or self._module_alias(module, scope, call.receiver)
                or self.called_object(module, scope, call, target)):
            return inputs, []
        return list(call.receiver), [a for arg in call.args for a in arg.deps]

    def _module_alias(self, module: ModuleIR, scope: Scope, receiver) -> bool:
        """Whether a receiver is bound to an imported name (``tfd = tfp.distributions``)."""
        for made_in, definition in self.resolver.definitions(module, scope, receiver) or ():
            for atom in definition.deps:
                if type(atom) is Free:
                    binding = self.project.lookup(module, made_in, atom.name)
                    if binding is not None and binding.kind == "qualified":
                        return True
        return False

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
            if (key, klass.module.path, klass.id) not in self.attribute_readers:  # once: require is idempotent
                self.attribute_readers.add((key, klass.module.path, klass.id))
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


def _untrainable(call: Call) -> bool:
    """``tf.Variable(v, trainable=False)``, ``add_weight(..., trainable=False)``: no gradient source."""
    return any(arg.keyword == TRAINABLE_KEYWORD and arg.constant is False for arg in call.args)


def _discrete_cast(qualified: str, call: Call) -> bool:
    """``tf.cast(x, tf.int32)``, ``x.astype(int)``: a cast to a dtype that carries no gradient."""
    position = CASTS.get(qualified)
    if position is None:
        return False
    dtype = slot_argument(call, position, "dtype")
    if dtype is None:
        return False
    if isinstance(dtype.constant, str) and dtype.constant != NO_CONSTANT:
        name = dtype.constant
    else:
        name = dtype.ref.dotted if dtype.ref else None
    return name is not None and name.rsplit(".", 1)[-1] in DISCRETE_DTYPES
