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

from typing import Callable

from ..ir.model import NO_CONSTANT, Arg, Call, ModuleIR, Result, Scope, positional_args
from .applied import Applied, applications
from .calls import slot_argument
from .cuts import cuts_of_every_path
from .dataflow import Dataflow, RawRoundTrip
from .entry_returns import closed_over_tensors, ignores_parameters
from .reach import Reason
from .tables.entry_points import CallableApi
from .project import Project
from .recorded import Cut, RecordedWalk
from .tables.effects import CASTS, DISCRETE_DTYPES, EFFECT_OF_KIND, MADE_WITH_DTYPE, Effect, Tag, tags_of
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

    def is_discrete(self, path: str, scope: Scope, call: Call) -> bool:
        """Whether a call's result has no gradient by nature: a nondifferentiable operation
        (``argmax``, ``round``, a comparison), or a cast to an integer or boolean dtype."""
        effect = self.effect(path, scope, call)
        if Tag.NONDIFFERENTIABLE in effect.tags:
            return True
        slot = CASTS.get(effect.qualified)
        return slot is not None and self.is_discrete_dtype(path, scope, slot_argument(call, *slot))

    def is_discrete_dtype(self, path: str, scope: Scope, arg: Arg | None) -> bool:
        """Whether an argument names an integer or boolean dtype (``tf.int32``, ``"int64"``, ``bool``)."""
        if arg is None:
            return False
        if arg.constant != NO_CONSTANT:  # compared by value: the IR may come from a worker process
            return arg.constant in DISCRETE_DTYPES
        if arg.ref is None or arg.ref.dotted is None:
            return False
        qualified = self._dataflow.resolver.qualified_name(self._dataflow.modules[path], scope, arg.ref.dotted)
        return qualified in DISCRETE_DTYPES

    def makes_discrete_dtype(self, path: str, scope: Scope, call: Call) -> bool:
        """Whether a call makes an integer or boolean tensor: ``tf.Variable(3)``,
        ``tf.constant(x, tf.int32)`` (a literal's type counts only when no dtype is given)."""
        slot = MADE_WITH_DTYPE.get(self.effect(path, scope, call).qualified)
        if slot is None:
            return False
        dtype = slot_argument(call, *slot)
        if dtype is not None:
            return self.is_discrete_dtype(path, scope, dtype)
        value = positional_args(call)[:1]
        return bool(value) and type(value[0].constant) in (int, bool)

    def made_by(self, path: str, scope: Scope, atom) -> tuple[Scope, Call] | None:
        """The call whose result a variable holds (``w = tf.Variable(3)``), when every definition of it is that call."""
        module = self._dataflow.modules[path]
        found = self._dataflow.resolver.single_source(module, scope, (atom,))
        if found is None or type(found[1]) is not Result:
            return None
        call = self._dataflow.resolver.call_at(module, found[0], found[1].index)
        return (found[0], call) if call is not None else None

    def cuts_of_every_path(self, path: str, scope_id: str, outputs: tuple, is_cut: Callable[[Call], bool]) -> tuple[int, ...]:
        """The calls ``is_cut`` accepts that every gradient path from ``outputs`` (dependencies
        written in that scope) back to a trainable value passes; empty when one path avoids them
        (see ``cuts.py``)."""
        return cuts_of_every_path(self._dataflow, (path, scope_id), outputs, is_cut)

    def reads(self, path: str, scope_id: str, deps: tuple, atoms: frozenset) -> bool:
        """Whether values with dependencies ``deps`` (written in that scope) are computed from one of
        ``atoms`` (the atoms of variables as that scope reads them)."""
        return self._dataflow.reads((path, scope_id), deps, atoms)

    def holds_gradient(self, path: str, scope_id: str, deps: tuple) -> bool:
        """Whether a value with these dependencies carries a gradient (False where the scope was never evaluated)."""
        origin = self._dataflow.origins.get((path, scope_id))
        return origin is not None and any(self._dataflow.is_tainted((path, scope_id), origin(a)) for a in deps)

    def is_output_entry(self, path: str, scope_id: str) -> bool:
        """Whether a function's return is itself differentiated (a Keras loss, a target_log_prob_fn, a layer's call)."""
        return (path, scope_id) in self._dataflow.output_entries

    def class_family(self, path: str, class_id: str) -> str | None:
        """"layer" (Keras Layer, Model, tf.Module), "loss" (Keras Loss) or None, for a project class."""
        return self._dataflow.family((path, class_id))

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
