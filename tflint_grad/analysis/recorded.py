"""What a tape recorded on the way from a gradient's sources to its target.

A tape differentiates only the operations it recorded: an op computed before
its ``with`` began or after the block ended (``neg = -loss`` after the block,
the forward pass ``pred = model(x)`` before it) is a constant to the tape, so
a source whose every path to the target passes through such an op gets
``None`` (or loses that part).  :class:`RecordedWalk` walks back from a
gradient's target within its scope, through the definitions and the inputs of
the calls the tape records, and stops at the ops it does not record (the
*cuts*).  A source is cut off when the walk never reaches it but a walk on from
one of the cuts does.

Only operations count as cuts: a call of a TensorFlow-family API, ``sum``, a
call whose inputs hold a differentiable tensor or name a source (the forward
pass ``model(x)``), and an operator expression (``-loss``, ``a * b``).  Plain names, containers and other calls are walked
through, so an unknown helper never makes a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..ir.model import Block, Call, Free, Local, ModuleIR, Result, Scope, SelfAttr, self_name
from .backward import ScopeWalk, closure
from .calls import Resolver
from .tapes import GradientCall, ModuleTapes, Tape, call_inputs

OPERATION_PREFIXES = ("tensorflow.", "tensorflow_probability.", "keras.", "tf_keras.", "builtins.sum")
API_PREFIXES = ("tensorflow.", "builtins.", "tensor.")  # calls that read only their inputs


@dataclass(frozen=True)
class Cut:
    """A source reaching a gradient's target only through an op the tape did not record."""

    source: object  # the source's atom (as in ``GradientCall.sources``)
    locator: int  # the call, or the binding statement, computed outside the recording
    is_call: bool  # ``locator`` is a call (else a statement; the gradient call itself for an operator target)
    before: bool  # computed before the tape's recording began (else after it ended)
    other_gradient: bool  # the op is a gradient call of another tape (a higher-order derivative)


class RecordedWalk:
    """The walk for one gradient call of one tape, all of whose blocks are in the call's scope."""

    def __init__(self, resolver: Resolver, module: ModuleIR, scope: Scope, tapes: ModuleTapes, tape: Tape,
                 carries_gradient: Callable[[int], bool]) -> None:
        self.resolver = resolver
        self.module = module
        self.scope = scope
        self.walk = ScopeWalk(resolver, module, scope)
        self.tapes = tapes
        self.tape = tape
        self.blocks: list[Block] = [scope.blocks[position] for _, position in tape.blocks]
        self.carries_gradient = carries_gradient
        self.gradient_calls = {g.call for t in tapes.tapes.values() for g in t.gradients}
        self.self_prefix = f"{self_name(scope)}." if self_name(scope) else None

    def cuts(self, gradient: GradientCall) -> list[Cut]:
        call = self.resolver.call_at(self.module, self.scope, gradient.call)
        if call is None:
            return []
        named = {source: self.walk.names((source,)) for source in gradient.sources}
        if self._records(call) or not call.args or not call.args[0].operation:
            reached, cuts = self._walk(gradient.targets, set().union(*named.values()))
        else:  # tape.gradient(-loss, w) outside the block: the target itself is an unrecorded op
            reached, cuts = set(), [(Result(gradient.call), gradient.call, True)]
        found = []
        for source, roots in named.items():
            if roots & reached:
                continue
            for atom, locator, is_call in cuts:
                start = (atom,) if atom != Result(gradient.call) else gradient.targets
                if roots & self.walk.everything(start):
                    found.append(Cut(source, locator, is_call, self._before(locator),
                                     is_call and locator in self.gradient_calls and locator != gradient.call))
                    break
        return found

    def unreached(self, gradient: GradientCall) -> list:
        """The sources (their atoms) the target does not depend on at all, when that is certain: every
        call the target is computed by is a TensorFlow or builtin API, so no helper reads a source unseen."""
        computed = self.walk.everything(gradient.targets)
        for atom in computed:
            if type(atom) is Result and (call := self.resolver.call_at(self.module, self.scope, atom.index)):
                if call.operator is None and not self._is_api(call):
                    return []
            elif type(atom) is not Local and type(atom) is not Free:
                return []  # self.attr, a lambda: may hold anything
        return [source for source in gradient.sources if not self.walk.names((source,)) & computed]

    # -- the walks -------------------------------------------------------------
    def _walk(self, start: Iterable, sources: set) -> tuple[set, list[tuple[object, int, bool]]]:
        """Atoms reached through recorded ops, and the unrecorded ops met (atom, locator, is a call);
        a call that reads a source (``model(x)`` for ``model.trainable_variables``) is an op."""
        cuts: list[tuple[object, int, bool]] = []

        def step(atom) -> Iterable:
            if type(atom) is Result:
                call = self.resolver.call_at(self.module, self.scope, atom.index)
                if call is None:
                    return ()
                if not self._records(call) and (self._is_operation(call) or sources.intersection(self._reads(call))):
                    cuts.append((atom, call.index, True))
                    return ()
                return self._reads(call)
            if type(atom) is Local:
                definition = self.scope.definitions[atom.index]
                if definition.operation and not any(b.holds(definition.statement) for b in self.blocks):
                    cuts.append((atom, definition.statement, False))
                    return ()
            return self.walk.definitions_of(atom)

        return closure(start, step), cuts

    # -- what a call is ---------------------------------------------------------
    def _reads(self, call: Call) -> list:
        """A call's inputs, and the attribute ``self.encoder(x)`` calls (its receiver is ``self``)."""
        inputs = call_inputs(call)
        if self.self_prefix and call.callee and call.callee.startswith(self.self_prefix) and call.callee.count(".") == 1:
            inputs.append(SelfAttr(call.callee.split(".", 1)[1]))
        return inputs

    def _records(self, call: Call) -> bool:
        return self.tapes.records(self.scope, call, self.tape.identity)

    def _is_operation(self, call: Call) -> bool:
        if call.operator is not None:
            return False  # a comparison: no gradient either way (the TFG3xx family's business)
        target = self.resolver.call(self.module, self.scope, call)
        if target.definition is None and target.qualified.startswith(OPERATION_PREFIXES):
            return True
        return self.carries_gradient(call.index)

    def _is_api(self, call: Call) -> bool:
        target = self.resolver.call(self.module, self.scope, call)
        return target.definition is None and target.qualified.startswith(API_PREFIXES)

    def _before(self, locator: int) -> bool:
        return all(locator < block.statement for block in self.blocks)
