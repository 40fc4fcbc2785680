"""Words shared by the rules of the tape's contract (TFG2xx): how a tape and a value are named."""

from __future__ import annotations

from typing import Iterator

from ..analysis.facts import Facts
from ..analysis.tapes import GradientCall, Tape
from ..analysis.reach import Reason
from ..ir.model import Free, Local, Scope, SelfAttr

GUIDE = ("TensorFlow guide, Introduction to gradients and automatic differentiation "
         "(https://www.tensorflow.org/guide/autodiff)")


def gradient_calls(facts: Facts) -> Iterator[tuple[Tape, GradientCall]]:
    """Every gradient call of every tape, with its tape."""
    for tape in facts.tapes:
        for gradient in tape.gradients:
            yield tape, gradient


def differentiated_entries(facts: Facts) -> Iterator[tuple[str, Scope, Reason]]:
    """Every callable handed directly to an API that differentiates it, with why."""
    for path, scope_id in facts.differentiated_scopes():
        reason = facts.reason(path, scope_id)
        if reason is not None and reason.kind == "entry" and not reason.via:
            yield path, facts.modules[path].scopes[scope_id], reason


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


# A Keras layer's or model's variable collections, by what they hold.
COLLECTIONS = {
    "trainable_variables": "trainable", "trainable_weights": "trainable",
    "variables": "all", "weights": "all",
    "non_trainable_variables": "non-trainable", "non_trainable_weights": "non-trainable",
}


def collection(dotted: str | None) -> tuple[str, str] | None:
    """(the object's name, what the collection holds) for ``generator.trainable_variables``, else None."""
    if dotted is None or "." not in dotted:
        return None
    owner, attr = dotted.rsplit(".", 1)
    return (owner.rsplit(".", 1)[-1], COLLECTIONS[attr]) if attr in COLLECTIONS else None


def mismatched(sources: str | None, variables: str | None) -> bool:
    """The collection differentiated is not the one updated (another object, or other variables of it)."""
    differentiated, updated = collection(sources), collection(variables)
    return differentiated is not None and updated is not None and differentiated != updated
