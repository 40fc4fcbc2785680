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
from dataclasses import dataclass
from typing import Callable

from ..ir.model import Call, Free, Local, ModuleIR, Result, Scope
from ..isolation import debugging, inject
from .calls import Resolver
from .evaluate import Evaluation
from .project import Project
from .reach import Reach, Reason, display_name, tape_reason
from .slice import OutputSlice
from .sources import Sources
from .uses import ndarray_uses
from .tables.apis import DISCRETE_ROUND_TRIPS, ROUND_TRIPS
from .tables.entry_points import CALLABLE_APIS, CallableApi
from .tapes import NO_TAPES, ModuleTapes, TapeFinder

Key = tuple  # (path, scope id)



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
    ndarray_uses: tuple[str, ...] = ()  # uses of the result that need an ndarray (a fix to a tensor breaks them)


class Dataflow(Reach, Evaluation, Sources, OutputSlice):
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
        self.evaluated: set[Key] = set()
        self.method_names: frozenset[str] | None = None  # every method name a project class defines
        self.tape_objects: dict[tuple, tuple[frozenset, frozenset]] = {}  # (key, block) -> (named, called)
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
            if kind is None or (self._project_method(target.qualified)
                                and not self.is_tainted(key, self._union(origin, call.receiver))):
                continue
            is_method = target.qualified.startswith("tensor.")
            inputs = call.receiver if is_method else [a for arg in call.args for a in arg.deps]
            value = next((a for a in inputs if self.is_tainted(key, origin(a)) or self.watched(key, scope, call, (a,))), None)
            if value is None:
                continue
            on_path = call.index in self.flows.get(key, ()) and target.kind not in DISCRETE_ROUND_TRIPS
            reason = tape_reason(key, scope, recording) if recording else self.reached[key]
            yield RawRoundTrip(
                key[0], call.index, kind, target.qualified, call.callee, value_name(scope, value), on_path, reason,
                display_name(scope), scope.id, bool(recording), recording[-1] if recording else -1,
                ndarray_uses(self.resolver, module, scope, call.index),
            )


def _last_name(call: Call) -> str | None:
    return call.callee.rsplit(".", 1)[-1] if call.callee else call.attr


def value_name(scope: Scope, atom) -> tuple[str, object]:
    """The tensor a round-trip is applied to: ("name", x), ("call", index) or ("self", attr)."""
    if type(atom) is Local:
        return ("name", scope.definitions[atom.index].name)
    if type(atom) is Free:
        return ("name", atom.name)
    if type(atom) is Result:
        return ("call", atom.index)
    return ("self", atom.attr)
