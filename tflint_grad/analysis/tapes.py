"""Facts about every ``tf.GradientTape``: where it records, how it was made, what is asked of it.

A tape's identity is the ``GradientTape(...)`` call that made it, so a tape
created before its ``with`` (``tape = tf.GradientTape(); with tape:``) is the
same tape in every block that opens it.  Methods are matched to a tape through
the definitions that reach their receiver, not by name: two blocks that both
say ``as tape`` are two tapes.  ``with tape.stop_recording():`` pauses the
tape for its body.  The gradient calls are listed in evaluation order, with
their loop depth and whether they sit inside the tape's own block.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.model import Call, Deps, ModuleIR, Result, Scope
from .calls import Resolver, slot_argument

TAPE_CLASS = "tensorflow.GradientTape"
GRADIENT_METHODS = ("gradient", "jacobian", "batch_jacobian")  # their first argument is differentiated
CONSTRUCTOR_DEFAULTS = (("persistent", 0, False), ("watch_accessed_variables", 1, True))


@dataclass(frozen=True)
class GradientCall:
    call: int  # the call's index in its module
    scope: str  # the scope it is written in
    method: str  # "gradient" | "jacobian" | "batch_jacobian"
    order: int  # 0 for the tape's first gradient call, in evaluation order
    loop_depth: int
    inside_block: bool  # written inside one of the tape's recording blocks
    targets: Deps
    sources: Deps
    output_gradients: Deps | None  # None when not given
    arms: tuple[tuple[int, int], ...] = ()  # the branch arms and loops around it (``ir.model.Call.arms``)


@dataclass(frozen=True)
class Watch:
    call: int
    scope: str
    watched: Deps
    inside_block: bool


@dataclass(frozen=True)
class Tape:
    path: str
    identity: int  # index of the GradientTape(...) call that made it
    scope: str  # where it was made
    name: str | None  # the name it is bound to, if any
    created_before_with: bool
    persistent: object  # the constant given (default False), or ir.model.NO_CONSTANT when computed
    watch_accessed_variables: object  # likewise (default True)
    blocks: tuple[tuple[str, int], ...]  # (scope id, position in Scope.blocks) of every block that opens it
    watches: tuple[Watch, ...]
    gradients: tuple[GradientCall, ...]
    arms: tuple[tuple[int, int], ...] = ()  # the branch arms and loops around the GradientTape(...) call


@dataclass(frozen=True)
class ModuleTapes:
    tapes: dict[int, Tape]  # by identity
    tape_blocks: dict[tuple[str, int], int]  # (scope id, block position) -> tape identity
    stop_blocks: dict[tuple[str, int], int]  # ``with tape.stop_recording():`` -> the tape it pauses

    def recording(self, scope: Scope, call: Call) -> tuple[int, ...]:
        """Positions of the tape blocks recording a call written in ``scope``, innermost last."""
        found: list[int] = []
        for position in call.blocks:
            key = (scope.id, position)
            if key in self.tape_blocks:
                found.append(position)
            elif key in self.stop_blocks:
                paused = self.stop_blocks[key]
                found = [p for p in found if self.tape_blocks[(scope.id, p)] != paused]
        return tuple(found)

    def records(self, scope: Scope, call: Call, identity: int) -> bool:
        """Whether the tape with that identity records a call written in ``scope``."""
        return any(self.tape_blocks[(scope.id, p)] == identity for p in self.recording(scope, call))

    def blocks_in(self, scope: Scope) -> list[tuple[int, Tape]]:
        """The tape blocks written in a scope, with their tape."""
        return [(p, self.tapes[self.tape_blocks[(scope.id, p)]]) for p in range(len(scope.blocks))
                if (scope.id, p) in self.tape_blocks]


def call_inputs(call: Call) -> list:
    """What a call reads: its receiver and every argument."""
    return [*call.receiver, *(atom for arg in call.args for atom in arg.deps)]


NO_TAPES = ModuleTapes({}, {}, {})  # a module whose tapes could not be found (its scopes are dropped)


class TapeFinder:
    """Builds :class:`ModuleTapes` for one module, resolving names with the project's resolver."""

    def __init__(self, resolver: Resolver, module: ModuleIR) -> None:
        self.resolver = resolver
        self.module = module

    def tape_of(self, scope: Scope, atoms: Deps, seen: frozenset = frozenset()) -> tuple[int, Scope, str | None] | None:
        """(identity, scope it was made in, the variable it was reached through) of the tape a value holds."""
        if len(atoms) == 1 and isinstance(atoms[0], Result):
            call = self.resolver.call_at(self.module, scope, atoms[0].index)
            if call is not None and self.resolver.call(self.module, scope, call).qualified == TAPE_CLASS:
                return call.index, scope, None
            return None
        definitions = self.resolver.definitions(self.module, scope, atoms)
        if not definitions:
            return None
        found = set()
        for made_in, definition in definitions:
            key = (made_in.id, id(definition))
            if key in seen:
                return None
            tape = self.tape_of(made_in, definition.deps, seen | {key})
            if tape is None:
                return None
            found.add((tape[0], tape[1].id))
        if len(found) != 1:
            return None
        identity, scope_id = found.pop()
        return identity, self.module.scopes[scope_id], definitions[0][1].name

    def find(self) -> ModuleTapes:
        made: dict[int, dict] = {}
        tape_blocks: dict[tuple[str, int], int] = {}
        stop_blocks: dict[tuple[str, int], int] = {}
        for scope in self.module.scopes.values():
            for position, block in enumerate(scope.blocks):
                tape = self.tape_of(scope, block.context)
                if tape is not None:
                    identity, made_in, variable = tape
                    tape_blocks[(scope.id, position)] = identity
                    entry = made.setdefault(identity, {"scope": made_in, "blocks": [], "before": variable is not None,
                                                       "name": block.target or variable})
                    entry["blocks"].append((scope.id, position))
                    entry["name"] = entry["name"] or block.target
                elif (paused := self._stopped(scope, block.context)) is not None:
                    stop_blocks[(scope.id, position)] = paused
        methods = self._methods(made)
        tapes = {identity: self._tape(identity, entry, methods.get(identity, ([], []))) for identity, entry in made.items()}
        return ModuleTapes(tapes, tape_blocks, stop_blocks)

    def _stopped(self, scope: Scope, context: Deps) -> int | None:
        if len(context) != 1 or not isinstance(context[0], Result):
            return None
        call = self.resolver.call_at(self.module, scope, context[0].index)
        if call is None or call.attr != "stop_recording":
            return None
        tape = self.tape_of(scope, call.receiver)
        return tape[0] if tape is not None else None

    def _methods(self, made: dict[int, dict]) -> dict[int, tuple[list, list]]:
        """Every watch and gradient call on a known tape, in evaluation order."""
        found: dict[int, tuple[list, list]] = {}
        if not made:
            return found
        for scope in self.module.scopes.values():
            for call in scope.calls:
                if call.attr not in GRADIENT_METHODS and call.attr != "watch":
                    continue
                tape = self.tape_of(scope, call.receiver)
                if tape is None or tape[0] not in made:
                    continue
                inside = any((scope.id, p) in made[tape[0]]["blocks"] for p in call.blocks)
                watches, gradients = found.setdefault(tape[0], ([], []))
                if call.attr == "watch":
                    arg = slot_argument(call, 0, "tensor")
                    watches.append(Watch(call.index, scope.id, arg.deps if arg else (), inside))
                else:
                    gradients.append(self._gradient(scope, call, len(gradients), inside))
        return found

    @staticmethod
    def _gradient(scope: Scope, call: Call, order: int, inside: bool) -> GradientCall:
        target = slot_argument(call, 0, "target")
        sources = slot_argument(call, 1, "sources")
        output_gradients = slot_argument(call, 2, "output_gradients")
        return GradientCall(
            call.index, scope.id, call.attr, order, call.loop_depth, inside,
            target.deps if target else (), sources.deps if sources else (),
            output_gradients.deps if output_gradients else None, call.arms,
        )

    def _tape(self, identity: int, entry: dict, methods: tuple[list, list]) -> Tape:
        made_in: Scope = entry["scope"]
        constructor = self.resolver.call_at(self.module, made_in, identity)
        settings = []
        for keyword, position, default in CONSTRUCTOR_DEFAULTS:
            arg = slot_argument(constructor, position, keyword)
            settings.append(default if arg is None else arg.constant)
        watches, gradients = methods
        return Tape(
            self.module.path, identity, made_in.id, entry["name"], entry["before"], *settings,
            tuple(entry["blocks"]), tuple(watches), tuple(gradients), constructor.arms,
        )

