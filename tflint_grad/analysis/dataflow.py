"""Project-wide gradient data flow: which code is differentiated, which values
are differentiable tensors, and which host round-trips reach the output.

Two monotone fixpoints over all scopes of all modules:

1. **Taint and reach.**  Each scope is evaluated against its summary: every
   local value gets an *origin* set (the parameters it depends on, and/or
   ``SOURCE`` for an intrinsic tensor source).  A function's return summary
   (which parameters reach the return) makes calls context-sensitive one level
   deep.  Entry points mark callables as differentiated ("reached") and say
   which of their parameters receive tensors; calls in differentiated code
   pass reach and tensor-ness on to project functions, across files.
2. **Output flow.**  From each differentiated output (the return of a
   differentiated function whose result matters, and ``tape.gradient``
   targets) walk the dependencies backwards; the round-trips met on the way
   cut the gradient, the others only cost a host sync.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from ..ir.model import PARAM, Call, Free, LambdaRef, Local, ModuleIR, Result, Scope, self_name
from ..isolation import debugging, inject
from .tables.apis import ROUND_TRIPS, Kind
from .calls import Resolver, map_arguments, slot_argument
from .tables.entry_points import (
    CALLABLE_APIS, CLASS_METHODS, GRADIENT_DEFINING, KERAS_TENSOR_ATTRIBUTES, CallableApi, class_family,
)
from .project import Definition, Project
from .tapes import NO_TAPES, ModuleTapes, TapeFinder

SOURCE = "<source>"
EMPTY: frozenset = frozenset()
NO_FLOW = (Kind.STATIC, Kind.OPAQUE, Kind.HOST_PREDICATE, Kind.SOURCE)

Key = tuple  # (path, scope id)


@dataclass(frozen=True)
class Reason:
    """Why a scope (or a tape block) is differentiated, for messages."""

    kind: str  # "entry" | "tape" | "class" | "decorator"
    path: str
    index: int  # locator of the explaining node: the API call, the with, the class, the def
    function: str = ""  # the differentiated entry function
    api: str = ""  # the API as written ("tfp.vi.monte_carlo_variational_loss") or the class name
    slot: str = ""  # "target_log_prob_fn"
    via: tuple[str, ...] = ()  # callers between the entry function and this one


@dataclass(frozen=True)
class RawRoundTrip:
    """A round-trip as the data flow sees it; positions are added later."""

    path: str
    call_index: int
    kind: str
    qualified: str
    callee: str | None
    value: tuple  # the tensor it is applied to: ("name", x), ("call", index) or ("self", attr)
    on_output_path: bool
    reason: Reason
    function: str  # the scope it is in, as named in messages
    scope: str  # ... and its id
    in_tape: bool  # written directly inside a tf.GradientTape block
    block: int = -1  # then: the innermost recording block (position in Scope.blocks)


class Dataflow:
    def __init__(self, project: Project, extra_apis: tuple[CallableApi, ...] = ()) -> None:
        self.project = project
        self.resolver = Resolver(project, CALLABLE_APIS + extra_apis)
        self.modules: dict[str, ModuleIR] = {s.path: s for s in project.summaries}
        self.origins: dict[Key, Callable[[tuple], frozenset]] = {}  # per scope: atom -> its origin set
        self.tainted_params: dict[Key, set[str]] = defaultdict(set)
        self.reached: dict[Key, Reason] = {}
        self.relevant: set[Key] = set()  # differentiated functions whose return is an output
        self.returns: dict[Key, tuple[frozenset, bool]] = {}
        self.signatures: dict[Key, tuple] = {}
        self.dependents: dict[Key, set[Key]] = defaultdict(set)
        self.children: dict[Key, list[Key]] = defaultdict(list)
        self.families: dict[Key, str | None] = {}
        self.class_attributes: dict[Key, dict[str, bool]] = defaultdict(dict)
        self.output_entries: set[Key] = set()  # reached as an entry whose return is differentiated
        self.gradient_defined: set[Key] = set()  # custom-gradient bodies: their output never counts as cut
        self.evaluated: set[Key] = set()
        self.failed: dict[Key, Exception] = {}  # scopes whose analysis raised: dropped, reported per file
        self.queue: list[Key] = []
        self.queued: set[Key] = set()
        self.tapes: dict[str, ModuleTapes] = {path: NO_TAPES for path in self.modules}
        for path, module in self.modules.items():
            self._isolated((path, "<tapes>"), lambda: self.tapes.update({path: TapeFinder(self.resolver, module).find()}))
        self.tape_scopes: set[Key] = {
            (path, scope_id) for path, tapes in self.tapes.items() for scope_id, _ in tapes.tape_blocks
        }
        # Scopes that can start differentiation; "inherit" APIs (tf.cond, map_fn ...)
        # only matter inside code that is already differentiated, seeded anyway.
        entry_names = {api.qualified.rsplit(".", 1)[-1] for api in self.resolver.apis if not api.inherit}
        for module in project.summaries:
            for scope in module.scopes.values():
                key = (module.path, scope.id)
                if scope.parent is not None:
                    self.children[(module.path, scope.parent)].append(key)
                if key in self.tape_scopes or any(_last_name(c) in entry_names for c in scope.calls):
                    self.enqueue(key)

    # -- driving -------------------------------------------------------------
    def run(self) -> list[RawRoundTrip]:
        self._seed_classes_and_decorators()
        self._drain(self.evaluate)
        self.relevant = set(self.output_entries)
        self.flows: dict[Key, set[int]] = {}
        for key in self.differentiated_keys():
            self.enqueue(key)
        self._drain(self.evaluate_flow)
        found: list[RawRoundTrip] = []
        for key in self.differentiated_keys():
            if key not in self.failed:
                self._isolated(key, lambda: found.extend(list(self.round_trips(key))))
        return found

    def _isolated(self, key: Key, work: Callable[[], object]) -> None:
        """Run one scope's step; if it raises, drop the scope (see ``failed``), keep the run."""
        try:
            inject("analyse", key[0])
            work()
        except Exception as error:  # noqa: BLE001 - one scope's bug must not take the run down
            if debugging():
                raise
            self.failed[key] = error

    def require(self, key: Key, reader: Key) -> None:
        """``reader`` reads what evaluating ``key`` yields: evaluate it on demand, re-read on change."""
        self.dependents[key].add(reader)
        if key not in self.evaluated:
            self.enqueue(key)

    def enqueue(self, key: Key) -> None:
        if key not in self.queued and key not in self.failed:
            self.queued.add(key)
            self.queue.append(key)

    def _drain(self, step) -> None:
        while self.queue:
            key = self.queue.pop()
            self.queued.discard(key)
            self._isolated(key, lambda: step(key))

    def differentiated_keys(self) -> list[Key]:
        return sorted(set(self.reached) | self.tape_scopes)

    def scope_of(self, key: Key) -> tuple[ModuleIR, Scope]:
        module = self.modules[key[0]]
        return module, module.scopes[key[1]]

    def recording(self, key: Key, scope: Scope, call: Call) -> tuple[int, ...]:
        """The tape blocks of its scope that record a call (innermost last)."""
        return self.tapes[key[0]].recording(scope, call) if call.blocks else ()

    # -- entry points that are not calls ---------------------------------------
    def _seed_classes_and_decorators(self) -> None:
        for module in self.project.summaries:
            self._isolated((module.path, "<seeding>"), lambda: self._seed_module(module))

    def _seed_module(self, module: ModuleIR) -> None:
        for info in module.classes.values():
            family = self.family((module.path, info.id))
            for entry in CLASS_METHODS:
                method = info.methods.get(entry.method)
                if family == entry.family and method is not None:
                    scope = module.scopes[method]
                    params = self._tensor_params(scope, 1, entry.tensor_params)
                    reason = Reason("class", module.path, info.index, f"{info.name}.{entry.method}", info.name)
                    self.reach((module.path, method), reason, params, entry.output)
        for scope in module.scopes.values():
            for decorator in scope.decorators:
                if self.resolver.qualified_name(module, scope, decorator) in GRADIENT_DEFINING:
                    self._seed_gradient_defining(module, scope, Reason("decorator", module.path, scope.index, scope.name, decorator))

    def _seed_gradient_defining(self, module: ModuleIR, scope: Scope, reason: Reason) -> None:
        """A tf.custom_gradient body and the functions inside it (its grad fn) are
        differentiated, but their results never count as cut: the user defines the gradient."""
        key = (module.path, scope.id)
        self.gradient_defined.add(key)
        self.reach(key, reason, self._tensor_params(scope, 0, None))
        for child in self.children[key]:
            self._seed_gradient_defining(module, module.scopes[child[1]], reason)

    def family(self, key: Key) -> str | None:
        """"layer", "loss" or None for a project class, through its bases."""
        if key in self.families:
            return self.families[key]
        self.families[key] = None  # cycle guard
        module = self.modules[key[0]]
        found = None
        for base in self.project.class_bases(Definition(module, key[1], True)):
            found = class_family(base) if isinstance(base, str) else self.family((base.module.path, base.id))
            if found:
                break
        self.families[key] = found
        return found

    # -- phase 1: taint and reach --------------------------------------------------
    def reach(self, key: Key, reason: Reason, params: set[str], output: bool | None = None) -> None:
        changed = key not in self.reached
        self.reached.setdefault(key, reason)
        if output:
            self.output_entries.add(key)
        new = params - self.tainted_params[key]
        if new:
            self.tainted_params[key] |= new
            changed = True
        if changed:
            self.enqueue(key)

    @staticmethod
    def _tensor_params(scope: Scope, skip: int, positions: tuple[int, ...] | None, bound: tuple[str, ...] = ()) -> set[str]:
        params = [p for p in scope.params if p.name not in bound]
        positional = [p for p in params if p.kind == "positional"][skip:]
        if positions is None:
            return {p.name for p in positional} | {p.name for p in params if p.kind != "positional"}
        return {positional[i].name for i in positions if i < len(positional)}

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

    def _propagate_reach(self, key: Key, module: ModuleIR, scope: Scope, origin) -> None:
        whole = key in self.reached
        for call in scope.calls:
            target = self.resolver.call(module, scope, call)
            differentiated = whole or bool(self.recording(key, scope, call))
            if target.api is not None and (differentiated or not target.api.inherit):
                self._reach_callables(key, module, scope, call, target.api, differentiated)
            definition = target.definition
            if differentiated and definition is not None and not definition.is_class:
                callee = definition.scope
                params = {
                    name for name, deps in map_arguments(callee, call.args, target.skip)
                    if any(self.is_tainted(key, origin(a)) for a in deps)
                }
                self.reach((definition.module.path, definition.id), self._via(key, scope, call), params)

    def _via(self, key: Key, scope: Scope, call: Call) -> Reason:
        recording = self.recording(key, scope, call)
        if recording and key not in self.reached:
            return tape_reason(key, scope, recording)
        reason = self.reached[key]
        name = display_name(scope)
        return Reason(reason.kind, reason.path, reason.index, reason.function, reason.api, reason.slot, reason.via + (name,))

    def _reach_callables(self, key: Key, module: ModuleIR, scope: Scope, call: Call, api: CallableApi, differentiated: bool) -> None:
        for slot in api.slots:
            arg = slot_argument(call, slot.position, slot.keyword)
            if arg is None or arg.ref is None:
                continue
            target = self.resolver.callable_ref(module, scope, arg.ref)
            if target is None or target.definition is None:
                continue
            callee = target.definition.scope
            name = display_name(callee)
            if api.inherit:
                reason = self._via(key, scope, call)
            else:
                reason = Reason("entry", module.path, call.index, name, call.callee or f".{call.attr}", slot.keyword or "")
            params = self._tensor_params(callee, target.skip, api.tensor_params, target.bound_keywords)
            self.reach((target.definition.module.path, target.definition.id), reason, params, api.output)

    # -- phase 2: what reaches the differentiated output -----------------------------
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
            params = self.returns.get(callee_key, (EMPTY, False))[0]
            return [a for name, deps in map_arguments(definition.scope, call.args, target.skip) if name in params for a in deps]
        if target.kind in NO_FLOW:
            return []
        return self._call_inputs(call)

    # -- the result ----------------------------------------------------------------
    def round_trips(self, key: Key):
        module, scope = self.scope_of(key)
        whole = key in self.reached
        origin = self.origins[key]
        for call in scope.calls:
            recording = self.recording(key, scope, call)
            if not (whole or recording):
                continue
            target = self.resolver.call(module, scope, call)
            kind = ROUND_TRIPS.get(target.kind) if target.definition is None else None
            if kind is None:
                continue
            is_method = target.qualified.startswith("tensor.")
            inputs = call.receiver if is_method else [a for arg in call.args for a in arg.deps]
            value = next((a for a in inputs if self.is_tainted(key, origin(a))), None)
            if value is None:
                continue
            on_path = call.index in self.flows.get(key, ()) and target.kind != Kind.HOST_PREDICATE
            reason = tape_reason(key, scope, recording) if recording else self.reached[key]
            yield RawRoundTrip(
                key[0], call.index, kind, target.qualified, call.callee, value_name(scope, value), on_path, reason,
                display_name(scope), scope.id, bool(recording), recording[-1] if recording else -1,
            )


def _last_name(call: Call) -> str | None:
    return call.callee.rsplit(".", 1)[-1] if call.callee else call.attr


def display_name(scope: Scope) -> str:
    return scope.name if scope.kind != "lambda" else "a lambda"


def value_name(scope: Scope, atom) -> tuple[str, object]:
    """The tensor a round-trip is applied to: ("name", x), ("call", index) or ("self", attr)."""
    if type(atom) is Local:
        return ("name", scope.definitions[atom.index].name)
    if type(atom) is Free:
        return ("name", atom.name)
    if type(atom) is Result:
        return ("call", atom.index)
    return ("self", atom.attr)


def tape_reason(key: Key, scope: Scope, recording: tuple[int, ...]) -> Reason:
    """The innermost tf.GradientTape block around a call."""
    return Reason("tape", key[0], scope.blocks[recording[-1]].statement)
