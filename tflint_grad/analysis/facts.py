"""The read-only query API the rules use: what the analysis knows about a project.

``analyse`` runs the whole-program analysis once; :class:`Facts` answers
questions about its result without exposing how it was computed:

* every host round-trip of a differentiable tensor in differentiated code,
  with whether it reaches the differentiated output (``round_trips``);
* every ``tf.GradientTape`` (``tapes``): identity, settings, blocks, watches
  and gradient calls (see ``tapes.py``);
* for a scope, why it is differentiated (``reason``); for a call, the tapes
  that record it (``recording``) and what it does (``effect``: an effect and
  tags, see ``tables/effects.py``).

Rules never see the data-flow machinery, so it can change behind this API.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from functools import cached_property

from ..ir.model import Call, ModuleIR, Scope
from .applied import Applied, applications
from .dataflow import Dataflow, RawRoundTrip
from .entry_returns import closed_over_tensors, ignores_parameters
from .reach import Reason
from .tables.entry_points import CallableApi
from .project import Project
from .recorded import Cut, RecordedWalk
from .tables.effects import EFFECT_OF_KIND, Effect, Tag, tags_of
from .tapes import GradientCall, Tape
from .watching import SourceKind, SourceKinds, SourceWatch, WatchFinder


@dataclass(frozen=True)
class CallEffect:
    """What a call does: its effect, its tags, and the API it resolved to ("" for a project function)."""

    effect: Effect
    tags: frozenset[Tag]
    qualified: str


@dataclass(frozen=True)
class Facts:
    round_trips: tuple[RawRoundTrip, ...]
    tapes: tuple[Tape, ...]
    _dataflow: Dataflow = field(repr=False, compare=False)

    @property
    def failed(self) -> dict[tuple[str, str], Exception]:
        """Scopes whose analysis raised: dropped from the facts, reported as their file's internal error."""
        return self._dataflow.failed

    @property
    def modules(self) -> dict[str, ModuleIR]:
        """The IR of every analysed module, by path (read only)."""
        return self._dataflow.modules

    def reason(self, path: str, scope_id: str) -> Reason | None:
        """Why a function is differentiated as a whole (None: at most its tape blocks are)."""
        return self._dataflow.reached.get((path, scope_id))

    def recording(self, path: str, scope: Scope, call: Call) -> tuple[Tape, ...]:
        """The tapes whose blocks record a call written in ``scope`` (innermost last)."""
        tapes = self._dataflow.tapes[path]
        return tuple(tapes.tapes[tapes.tape_blocks[(scope.id, p)]] for p in tapes.recording(scope, call))

    def effect(self, path: str, scope: Scope, call: Call) -> CallEffect:
        """What a call does; a call of a project function flows (its body is analysed instead)."""
        module = self._dataflow.modules[path]
        target = self._dataflow.resolver.call(module, scope, call)
        if target.definition is not None:
            return CallEffect(Effect.FLOWS, frozenset(), "")
        return CallEffect(EFFECT_OF_KIND[target.kind], tags_of(target.kind, target.qualified), target.qualified)

    def carries_gradient(self, path: str, scope_id: str, call_index: int) -> bool:
        """Whether some input of a call (its receiver or an argument) holds a differentiable tensor.

        False for a call in a scope the analysis never evaluated (code nothing differentiates).
        """
        return self._dataflow.carries_gradient((path, scope_id), call_index)

    def on_output_path(self, path: str, scope_id: str, call_index: int) -> bool:
        """Whether a call's result reaches a differentiated output (a gradient target, a differentiated return)."""
        return call_index in self._dataflow.flows.get((path, scope_id), ())

    def depends_on(self, path: str, scope_id: str, deps: tuple, call_index: int) -> bool:
        """Whether values with dependencies ``deps`` (written in that scope) are computed from a call's result."""
        return self._dataflow.depends_on((path, scope_id), deps, call_index)

    def unrecorded_paths(self, tape: Tape, gradient: GradientCall) -> tuple[Cut, ...]:
        """The sources of a gradient call that reach its target only through ops the tape did not record
        (see ``recorded.py``); none when the tape also records in another scope than the call's."""
        walk = self._recorded_walk(tape, gradient)
        return tuple(walk.cuts(gradient)) if walk is not None else ()

    def unreached_sources(self, tape: Tape, gradient: GradientCall) -> tuple:
        """The source atoms of a gradient call that its target certainly does not depend on."""
        walk = self._recorded_walk(tape, gradient)
        return tuple(walk.unreached(gradient)) if walk is not None else ()

    def _recorded_walk(self, tape: Tape, gradient: GradientCall) -> RecordedWalk | None:
        if not self._records_only_in(tape, gradient.scope):
            return None
        module = self._dataflow.modules[tape.path]
        return RecordedWalk(
            self._dataflow.resolver, module, module.scopes[gradient.scope], self._dataflow.tapes[tape.path], tape,
            lambda call: self.carries_gradient(tape.path, gradient.scope, call),
        )

    def source_watches(self, tape: Tape, gradient: GradientCall) -> tuple[SourceWatch, ...]:
        """The sources of a gradient call made in its scope as plain tensors or Variables, and how the
        tape watches each (see ``watching.py``); none when the tape also records in another scope."""
        if not self._records_only_in(tape, gradient.scope):
            return ()
        module = self._dataflow.modules[tape.path]
        scope = module.scopes[gradient.scope]
        tapes = self._dataflow.tapes[tape.path]
        finder = WatchFinder(SourceKinds(self._dataflow.resolver, module, scope), tape,
                             lambda call: tapes.records(scope, call, tape.identity))
        return tuple(finder.sources(gradient))

    @cached_property
    def applied_gradients(self) -> tuple[Applied, ...]:
        """Every ``apply_gradients(zip(grads, variables))``, with the gradient call that made ``grads``
        when it is known (see ``applied.py``)."""
        return tuple(applications(self._dataflow.resolver, self.modules, self.tapes))

    def source_kind(self, path: str, scope_id: str, atom) -> SourceKind | None:
        """Whether a value of that scope is a plain tensor or a ``tf.Variable`` made there (see ``watching.py``)."""
        module = self._dataflow.modules[path]
        return SourceKinds(self._dataflow.resolver, module, module.scopes[scope_id]).kind(atom)

    def call(self, path: str, scope_id: str, index: int) -> Call | None:
        """The IR of the call with that index, written in that scope."""
        module = self._dataflow.modules[path]
        return self._dataflow.resolver.call_at(module, module.scopes[scope_id], index)

    def replaced_variables(self, path: str, scope_id: str, deps: tuple) -> tuple[tuple[object, int, int], ...]:
        """(atom, rebinding statement, Variable statement) of each value in ``deps`` that held a
        ``tf.Variable`` until an operation on itself rebound it to a tensor (``w = w - lr * g``)."""
        module = self._dataflow.modules[path]
        kinds = SourceKinds(self._dataflow.resolver, module, module.scopes[scope_id])
        return tuple((atom, *found) for atom in deps if (found := kinds.replaced_variable(atom)) is not None)

    @staticmethod
    def _records_only_in(tape: Tape, scope_id: str) -> bool:
        return bool(tape.blocks) and all(block_scope == scope_id for block_scope, _ in tape.blocks)

    def differentiated_parameters(self, path: str, scope_id: str) -> frozenset[str]:
        """The parameters an API fills with tensors, for a callable whose result it differentiates."""
        key = (path, scope_id)
        return frozenset(self._dataflow.tainted_params.get(key, ())) if key in self._dataflow.output_entries else frozenset()

    def ignores_parameters(self, path: str, scope_id: str, params: frozenset[str]) -> bool:
        """Whether a callable returns a value and never reads ``params`` (see ``entry_returns.py``)."""
        module = self._dataflow.modules[path]
        return ignores_parameters(module, module.scopes[scope_id], params)

    def closed_over_tensors(self, path: str, scope_id: str) -> tuple[tuple[str, int], ...]:
        """(name, statement) of the tensors computed outside that a parameterless callable returns."""
        module = self._dataflow.modules[path]
        return tuple(closed_over_tensors(self._dataflow.resolver, module, module.scopes[scope_id]))

    def differentiated_scopes(self) -> list[tuple[str, str]]:
        """(path, scope id) of every scope with differentiated code (whole, or a tape block)."""
        return self._dataflow.differentiated_keys()


def analyse(project: Project, extra_apis: tuple[CallableApi, ...] = ()) -> Facts:
    # Every module's IR is built and never changes: keep the cyclic collector from
    # rescanning it (and the parsed tables) on each of its passes during the fixpoint.
    gc.freeze()
    try:
        dataflow = Dataflow(project, extra_apis)
        round_trips = tuple(dataflow.run())
    finally:
        gc.unfreeze()
    tapes = tuple(tape for module in dataflow.tapes.values() for tape in module.tapes.values())
    return Facts(round_trips, tapes, dataflow)
