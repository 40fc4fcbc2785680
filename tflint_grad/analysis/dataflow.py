"""Project-wide gradient data flow: which code is differentiated, which values
are differentiable tensors, and which host round-trips reach the output.

Two monotone fixpoints over all scopes of all modules, each job in its own
module, sharing the state kept here:

1. **Reach and values** (``reach.py``, ``evaluate.py``): entry points and
   tapes mark code as differentiated; each scope's definitions and calls get
   their origins; both are re-run on change until nothing moves.
2. **Output slice** (``slice.py``): from each differentiated output walk the
   dependencies backwards; the round-trips met on the way cut the gradient.

This module drives the two, keeps one scope's failure to that scope
(``failed``), and lists the round-trips (``round_trips``).  Rules read the
result through ``facts.py``, never from here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from ..ir.model import Call, Free, Local, ModuleIR, Result, Scope
from ..isolation import debugging, inject
from .calls import Resolver
from .evaluate import Evaluation
from .handovers import Handovers, moved_to_handover
from .project import Project
from .reach import Reach, Reason, display_name, tape_reason
from .round_trip import RawRoundTrip, value_name
from .slice import OutputSlice
from .sources import Sources
from .uses import ndarray_uses
from .tables.apis import DISCRETE_ROUND_TRIPS, ROUND_TRIPS
from .tables.entry_points import CALLABLE_APIS, CallableApi
from .tapes import NO_TAPES, ModuleTapes, TapeFinder

Key = tuple  # (path, scope id)


class Dataflow(Reach, Evaluation, Sources, OutputSlice, Handovers):
    def __init__(self, project: Project, extra_apis: tuple[CallableApi, ...] = ()) -> None:
        self.project = project
        self.resolver = Resolver(project, CALLABLE_APIS + extra_apis)
        self.modules: dict[str, ModuleIR] = {s.path: s for s in project.summaries}
        self.origins: dict[Key, Callable[[tuple], frozenset]] = {}  # per scope: atom -> its origin set
        self.tainted_params: dict[Key, set[str]] = defaultdict(set)
        self.reached: dict[Key, Reason] = {}
        self.relevant: set[Key] = set()  # differentiated functions whose return is an output
        self.returns: dict[Key, tuple[frozenset, frozenset]] = {}  # (parameters, sources) a return carries
        self.signatures: dict[Key, tuple] = {}
        self.dependents: dict[Key, set[Key]] = defaultdict(set)
        self.children: dict[Key, list[Key]] = defaultdict(list)
        self.families: dict[Key, str | None] = {}
        self.class_attributes: dict[Key, dict[str, bool]] = defaultdict(dict)
        self.output_entries: set[Key] = set()  # reached as an entry whose return is differentiated
        self.gradient_defined: set[Key] = set()  # custom-gradient bodies: their output never counts as cut
        self.handed_to_apis: list = []  # numpy functions passed to callable APIs (handovers.py)
        self.attribute_outputs: dict[Key, set] = defaultdict(set)  # self.X assignments that reach an output (slice.py)
        self.evaluated: set[Key] = set()
        self.attribute_readers: set[tuple] = set()  # (reader, class path, class id) whose methods it requires
        self.flows: dict[Key, set[int]] = {}  # per scope: the calls whose result reaches a differentiated output
        self.method_names: frozenset[str] | None = None  # every method name a project class defines
        self.tape_objects: dict[tuple, tuple[frozenset, frozenset]] = {}  # (key, block) -> (named, called)
        self.failed: dict[Key, Exception] = {}  # scopes whose analysis raised: dropped, reported per file
        self.queue: list[Key] = []
        self.queued: set[Key] = set()
        self.tapes: dict[str, ModuleTapes] = {path: NO_TAPES for path in self.modules}
        self.tape_scopes: set[Key] = set()
        # Scopes that can start differentiation; "inherit" APIs (tf.cond, map_fn ...)
        # only matter inside code that is already differentiated, seeded anyway.
        self.entry_names = {api.qualified.rsplit(".", 1)[-1] for api in self.resolver.apis
                            if not api.inherit and not api.is_namespace}
        self.entry_keywords = {slot.keyword for api in self.resolver.apis if api.is_namespace for slot in api.slots}
        project.added.append(self._add_module)  # a module parsed on demand, while the analysis runs
        for module in list(project.summaries):
            self._add_module(module)

    def _add_module(self, module: ModuleIR) -> None:
        """Its tapes, its scopes' nesting, and the scopes that can start differentiation."""
        path = module.path
        self.modules[path] = module
        self.tapes.setdefault(path, NO_TAPES)
        self._isolated((path, "<tapes>"), lambda: self.tapes.update({path: TapeFinder(self.resolver, module).find()}))
        self.tape_scopes.update((path, scope_id) for scope_id, _ in self.tapes[path].tape_blocks)
        for scope in module.scopes.values():
            key = (path, scope.id)
            if scope.parent is not None:
                self.children[(path, scope.parent)].append(key)
            if key in self.tape_scopes or any(
                    _last_name(c) in self.entry_names or any(a.keyword in self.entry_keywords for a in c.args)
                    for c in scope.calls):
                self.enqueue(key)

    # -- driving -------------------------------------------------------------
    def run(self) -> list[RawRoundTrip]:
        self._seed_classes_and_decorators()
        self._drain(self.evaluate)
        self.relevant = set(self.output_entries)
        for key in self.differentiated_keys():
            self.enqueue(key)
        self._drain(self.evaluate_flow)
        found: list[RawRoundTrip] = []
        for key in self.differentiated_keys():
            if key not in self.failed:
                self._isolated(key, lambda: found.extend(list(self.round_trips(key))))
        self._isolated(("<handovers>", "<api>"), lambda: found.extend(list(self.api_handover_round_trips())))
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

    def _project_method(self, qualified: str) -> bool:
        """Whether a project class defines the method a call names: ``model.predict(x)`` on a
        receiver not known to be a Keras object may be that method, not Keras's host-returning one."""
        if not qualified.startswith("tensor.") or qualified == "tensor.numpy":
            return False
        if self.method_names is None:
            self.method_names = frozenset(
                name for module in self.modules.values() for klass in module.classes.values() for name in klass.methods)
        return qualified[len("tensor."):] in self.method_names

    # -- the result ----------------------------------------------------------------
    def depends_on(self, key: Key, deps: tuple, call_index: int) -> bool:
        """Whether values with dependencies ``deps`` are computed from a call's result."""
        return self.reads(key, deps, frozenset({Result(call_index)}))

    def reads(self, key: Key, deps: tuple, atoms: frozenset) -> bool:
        """Whether values with dependencies ``deps`` are computed from one of ``atoms`` (atoms of that scope):
        a backward walk within the scope, through definitions and every input of the calls met."""
        module, scope = self.scope_of(key)
        seen: set = set()
        stack = list(deps)
        while stack:
            atom = stack.pop()
            if atom in atoms:
                return True
            if atom in seen:
                continue
            seen.add(atom)
            kind = type(atom)
            if kind is Local:
                stack.extend(scope.definitions[atom.index].deps)
            elif kind is Free and atom.name in scope.names:
                stack.extend(scope.all_definitions(atom.name))
            elif kind is Result:
                call = self.resolver.call_at(module, scope, atom.index)
                stack.extend(self._call_inputs(call) if call is not None else ())
        return False

    def carries_gradient(self, key: Key, call_index: int) -> bool:
        origin = self.origins.get(key)
        if origin is None:
            return False
        module, scope = self.scope_of(key)
        call = self.resolver.call_at(module, scope, call_index)
        return call is not None and any(self.is_tainted(key, origin(a)) for a in self._call_inputs(call))

    def round_trips(self, key: Key):
        module, scope = self.scope_of(key)
        whole = key in self.reached
        origin = self.origins[key]
        for call in scope.calls:
            recording = self.recording(key, scope, call)
            if not (whole or recording):
                continue
            for target in self.resolver.call(module, scope, call).alternatives():  # act(h): any act may be
                kind = ROUND_TRIPS.get(target.kind) if target.definition is None else None
                if kind is None or (self._project_method(target.qualified)
                                    and not self.is_tainted(key, self._union(origin, call.receiver))):
                    continue
                is_method = target.qualified.startswith("tensor.")
                inputs = call.receiver if is_method else [a for arg in call.args for a in arg.deps]
                value = next((a for a in inputs
                              if self.is_tainted(key, origin(a)) or self.watched(key, scope, call, (a,))), None)
                if value is None:
                    continue
                on_path = call.index in self.flows.get(key, ()) and target.kind not in DISCRETE_ROUND_TRIPS
                reason = tape_reason(key, scope, recording) if recording else self.reached[key]
                raw = RawRoundTrip(
                    key[0], call.index, kind, target.qualified, call.callee, value_name(scope, value), on_path, reason,
                    display_name(scope), scope.id, bool(recording), recording[-1] if recording else -1,
                    ndarray_uses=ndarray_uses(self.resolver, module, scope, call.index),
                )
                yield moved_to_handover(raw, target) if target.handover is not None else raw


def _last_name(call: Call) -> str | None:
    return call.callee.rsplit(".", 1)[-1] if call.callee else call.attr
