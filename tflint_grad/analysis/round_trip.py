"""A host round-trip as the data flow finds it, before it is located and worded."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.model import Free, Local, Result, Scope
from .reach import Reason


@dataclass(frozen=True)
class HandoverNote:
    """A numpy function handed over as a value: the round-trip's ``call_index`` is then
    the node it is named in, ``text`` its spelling there ("" for the whole node), and
    it is applied at ``applied_call`` in ``applied_path`` (-1: by the API ``api``)."""

    text: str
    applied_path: str = ""
    applied_call: int = -1
    api: str = ""


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
    handover: HandoverNote | None = None  # a numpy function used as a value: reported where it was handed over
    ndarray_uses: tuple[str, ...] = ()  # uses of the result that need an ndarray (a fix to a tensor breaks them)


def value_name(scope: Scope, atom) -> tuple[str, object]:
    """The tensor a round-trip is applied to: ("name", x), ("call", index) or ("self", attr)."""
    if type(atom) is Local:
        return ("name", scope.definitions[atom.index].name)
    if type(atom) is Free:
        return ("name", atom.name)
    if type(atom) is Result:
        return ("call", atom.index)
    return ("self", atom.attr)
