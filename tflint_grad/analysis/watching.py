"""What a gradient's source is, and whether its tape watches it in time.

A tape watches the trainable Variables its block reads (unless made with
``watch_accessed_variables=False``) and nothing else: a plain tensor
(``tf.constant``, ``tf.convert_to_tensor``, ``tf.zeros`` ...) must be given to
``tape.watch`` before the ops that use it run, else its gradient is None.  A
source's kind is known only when every definition reaching it (through plain
names and lists) is one such call in the same scope; a parameter, an
attribute or a helper's result has no kind, and no rule guesses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..ir.model import ASSIGN, JOIN, Call, Free, Local, Result
from .backward import ScopeWalk
from .tapes import GradientCall, Tape, call_inputs

PLAIN_TENSOR_MAKERS = frozenset(f"tensorflow.{name}" for name in (
    "constant convert_to_tensor zeros ones zeros_like ones_like fill eye linspace range "
    "random.normal random.uniform random.truncated_normal"
).split())
VARIABLE_MAKERS = frozenset({"tensorflow.Variable"})
MAX_ALIAS_DEPTH = 8


class SourceKind(str, Enum):
    TENSOR = "tensor"  # a plain tensor: watched only by tape.watch
    VARIABLE = "variable"  # a tf.Variable: watched when read, unless watch_accessed_variables=False


@dataclass(frozen=True)
class SourceWatch:
    """A source of a gradient call whose kind is known, and how its tape watches it."""

    atom: object  # the source's atom (as in ``GradientCall.sources``)
    name: str
    kind: SourceKind
    defined_before: bool  # every definition of it precedes the tape's first block
    watch: int | None  # the first tape.watch of it (call index), None when never watched
    used_before_watch: int | None  # a recorded op reading it before that watch (call index)


class SourceKinds(ScopeWalk):
    """What the values of one scope were made by, through plain names and joins."""

    def kind(self, atom) -> SourceKind | None:
        makers = self._makers(atom, 0) if type(atom) is Local else None
        return _kind(makers) if makers else None

    def aliases(self, atom) -> set:
        """The value's atom and the definitions it names through plain names and joins."""
        return {a for a in self.names((atom,)) if type(a) is Local}

    def replaced_variable(self, atom) -> tuple[int, int] | None:
        """(the rebinding statement, the Variable's statement) when the value ``atom`` reads was a
        ``tf.Variable`` rebound to a tensor by an operation on itself (``w = w - lr * g``)."""
        if type(atom) is not Local:
            return None
        name = self.scope.definitions[atom.index].name
        for alias in self.aliases(atom):
            rebinding = self.scope.definitions[alias.index]
            if rebinding.name != name or not rebinding.operation:
                continue
            for old in rebinding.deps:
                if type(old) is Local and self.scope.definitions[old.index].name == name:
                    made = next((a for a in self.aliases(old) if self._made_by(a) in VARIABLE_MAKERS), None)
                    if made is not None:
                        return rebinding.statement, self.scope.definitions[made.index].statement
        return None

    def _made_by(self, atom) -> str | None:
        """The API whose call is bound to the name there (``x = tf.constant(3.0)``), if it is one."""
        definition = self.scope.definitions[atom.index]
        if definition.kind != ASSIGN or definition.operation or len(definition.deps) != 1:
            return None
        if type(definition.deps[0]) is not Result:
            return None
        call = self.resolver.call_at(self.module, self.scope, definition.deps[0].index)
        target = self.resolver.call(self.module, self.scope, call) if call is not None else None
        return target.qualified if target is not None and target.definition is None else None

    def _makers(self, atom, depth: int) -> set[str] | None:
        """The APIs whose calls make the value (None: not only such calls)."""
        made = self._made_by(atom)
        if made is not None:
            return {made}
        definition = self.scope.definitions[atom.index]
        if depth > MAX_ALIAS_DEPTH or not definition.deps or definition.operation:
            return None
        if definition.kind not in (ASSIGN, JOIN) or not all(type(a) is Local for a in definition.deps):
            return None
        found: set[str] = set()
        for inner in definition.deps:
            more = self._makers(inner, depth + 1)
            if more is None:
                return None
            found |= more
        return found


class WatchFinder:
    def __init__(self, kinds: SourceKinds, tape: Tape, records) -> None:
        self.kinds = kinds
        self.resolver = kinds.resolver
        self.module = kinds.module
        self.scope = kinds.scope
        self.tape = tape
        self.records = records  # call -> whether the tape records it

    def sources(self, gradient: GradientCall) -> list[SourceWatch]:
        found = []
        for atom in gradient.sources:
            kind = self.kinds.kind(atom)
            if kind is None:
                continue
            aliases = self.kinds.aliases(atom)
            watch = self._first_watch(aliases)
            used = self._first_use(aliases, watch)
            start = min(self.scope.blocks[p].statement for _, p in self.tape.blocks)
            before = all(self.scope.definitions[a.index].statement < start for a in aliases)
            found.append(SourceWatch(atom, self.scope.definitions[atom.index].name, kind, before, watch, used))
        return found

    def _first_watch(self, aliases: set) -> int | None:
        """The first watch whose argument names the source (through names, lists and calls)."""
        names = {self.scope.definitions[a.index].name for a in aliases}
        for watch in self.tape.watches:
            if watch.scope != self.scope.id:
                return -1  # watched from elsewhere: assume it is the source
            watched = self.kinds.everything(watch.watched)
            if watched & aliases or any(type(a) is Free and a.name in names for a in watched):
                return watch.call
        return None

    def _first_use(self, aliases: set, watch: int | None) -> int | None:
        """The locator of an op the tape records that reads the source before its first watch: a
        TensorFlow call, or an operator expression bound in the block."""
        if watch is None or watch < 0:
            return None
        calls = (call.index for call in self.scope.calls if call.index < watch and self.records(call)
                 and aliases.intersection(call_inputs(call)) and self._is_tensorflow(call))
        blocks = [self.scope.blocks[p] for _, p in self.tape.blocks]
        operations = (d.statement for d in self.scope.definitions if d.operation and d.statement < watch
                      and any(b.holds(d.statement) for b in blocks) and aliases.intersection(d.deps))
        return min((*calls, *operations), default=None)

    def _is_tensorflow(self, call: Call) -> bool:
        target = self.resolver.call(self.module, self.scope, call)
        return target.definition is None and target.qualified.startswith("tensorflow.")


def _kind(makers: set[str]) -> SourceKind | None:
    if makers <= PLAIN_TENSOR_MAKERS:
        return SourceKind.TENSOR
    if makers <= VARIABLE_MAKERS:
        return SourceKind.VARIABLE
    return None
