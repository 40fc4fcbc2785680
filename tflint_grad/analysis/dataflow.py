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

from ..ir.model import Call, ModuleIR, Scope
from ..isolation import debugging, inject
from .calls import Resolver
from .evaluate import Evaluation
from .handovers import Handovers, moved_to_handover
from .project import Project
from .reach import Reach, Reason, display_name, tape_reason
from .round_trip import RawRoundTrip, value_name
from .slice import OutputSlice
from .tables.apis import ROUND_TRIPS, Kind
from .tables.entry_points import CALLABLE_APIS, CallableApi
from .tapes import NO_TAPES, ModuleTapes, TapeFinder

Key = tuple  # (path, scope id)


class Dataflow(Reach, Evaluation, OutputSlice, Handovers):
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
        self.handed_to_apis: list = []  # numpy functions passed to callable APIs (handovers.py)
        self.attribute_outputs: dict[Key, set] = defaultdict(set)  # self.X assignments that reach an output (slice.py)
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
        entry_keywords = {slot.keyword for api in self.resolver.apis if api.is_namespace for slot in api.slots}
        for module in project.summaries:
            for scope in module.scopes.values():
                key = (module.path, scope.id)
                if scope.parent is not None:
                    self.children[(module.path, scope.parent)].append(key)
                if key in self.tape_scopes or any(
                        _last_name(c) in entry_names or any(a.keyword in entry_keywords for a in c.args)
                        for c in scope.calls):
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

    # -- the result ----------------------------------------------------------------
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
                if kind is None:
                    continue
                is_method = target.qualified.startswith("tensor.")
                inputs = call.receiver if is_method else [a for arg in call.args for a in arg.deps]
                value = next((a for a in inputs if self.is_tainted(key, origin(a))), None)
                if value is None:
                    continue
                on_path = call.index in self.flows.get(key, ()) and target.kind != Kind.HOST_PREDICATE
                reason = tape_reason(key, scope, recording) if recording else self.reached[key]
                raw = RawRoundTrip(
                    key[0], call.index, kind, target.qualified, call.callee, value_name(scope, value), on_path, reason,
                    display_name(scope), scope.id, bool(recording), recording[-1] if recording else -1,
                )
                yield moved_to_handover(raw, target) if target.handover is not None else raw


def _last_name(call: Call) -> str | None:
    return call.callee.rsplit(".", 1)[-1] if call.callee else call.attr
