"""Words shared by the rules of the tape's contract (TFG2xx): how a tape and a value are named."""

from __future__ import annotations

from typing import Iterator

from ..analysis.facts import Facts
from ..analysis.tapes import GradientCall, Tape
from ..ir.model import Free, Local, SelfAttr

GUIDE = ("TensorFlow guide, Introduction to gradients and automatic differentiation "
         "(https://www.tensorflow.org/guide/autodiff)")


def gradient_calls(facts: Facts) -> Iterator[tuple[Tape, GradientCall]]:
    """Every gradient call of every tape, with its tape."""
    for tape in facts.tapes:
        for gradient in tape.gradients:
            yield tape, gradient


def tape_name(tape: Tape) -> str:
    return tape.name or "the tape"


def value_name(facts: Facts, tape: Tape, gradient: GradientCall, atom) -> str:
    """A source or target atom as the user wrote it (``w``, ``self.kernel``), or "" when it has no name."""
    if type(atom) is Local:
        return facts.modules[tape.path].scopes[gradient.scope].definitions[atom.index].name
    if type(atom) is Free:
        return atom.name
    if type(atom) is SelfAttr:
        return f"self.{atom.attr}"
    return ""


def tape_related(tape: Tape, what: str = "the tape is made here") -> tuple[str, int, str]:
    return (tape.path, tape.identity, what)
