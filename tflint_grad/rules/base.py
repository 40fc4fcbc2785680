"""What a rule is: a stable code, a name, a severity, its documentation, its
examples, and a ``check`` that queries the analysis's facts.

The analysis (``tflint_grad.analysis``) describes what it knows as
:class:`~tflint_grad.analysis.facts.Facts`.  A rule's ``check(facts)``
selects the events that are its own; ``message`` words one of them once it is
located.  The host round-trip family claims the analysis's round trips
(located as a :class:`RoundTrip`); the other families report a
:class:`Site`: one node, the named parts of its message, and where to look
(located as an :class:`Occurrence`).  Each rule carries valid and invalid examples
beside it (as Fixit does); ``tests/test_rules.py`` runs them through the real
analyser and checks the message and the fixed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable

from ..analysis.dataflow import RawRoundTrip
from ..analysis.facts import Facts
from ..analysis.reach import Reason
from ..findings import Related, Severity, Span

# Round-trip kinds, as the analysis reports them.
NUMPY_CALL, CONVERSION = "numpy-call", "conversion"


@dataclass(frozen=True)
class RoundTrip:
    """One place where a differentiable tensor leaves TensorFlow, located and named for a message.

    ``kind`` is ``"numpy-call"`` (numpy/math/scipy function applied to it) or
    ``"conversion"`` (``.numpy()``, ``np.asarray``, ``float()`` ...).
    ``on_output_path`` says whether the result reaches the differentiated
    output (the return of a differentiated function, or a ``tape.gradient``
    target): only then is the gradient actually cut.
    """

    path: str
    span: Span
    kind: str
    api: str  # as written: "np.exp", ".numpy()", "float"
    qualified: str  # resolved: "numpy.exp", "tensor.numpy", "builtins.float"
    value: str  # the tensor it is applied to, as written: "x", "pdist(x)"
    on_output_path: bool
    context: str  # why this code is differentiated, in words
    related: tuple[Related, ...]
    replacement: str | None  # the TensorFlow spelling to suggest, if any


@dataclass(frozen=True)
class Site:
    """An event of a family other than round trips, before it is located.

    ``node`` is the locator of what the finding spans (a call's index, or a
    statement's locator); ``quotes`` name parts of the message taken from the
    source as written (part name, locator); ``words`` name parts the analysis
    knows (part name, text); ``related`` are (path, locator, message) of the
    places that explain it.  ``reason`` says why the code is differentiated,
    when that matters to the message (``in_tape``: written directly in the
    tape block; ``function``: the scope as named in messages).
    """

    path: str
    scope: str
    node: int
    quotes: tuple[tuple[str, int], ...] = ()
    words: tuple[tuple[str, str], ...] = ()
    related: tuple[tuple[str, int, str], ...] = ()
    reason: Reason | None = None
    function: str = ""
    in_tape: bool = False
    block: int = -1


@dataclass(frozen=True)
class Occurrence:
    """A :class:`Site` located and quoted: ``parts`` holds its quotes (as written) and its words."""

    path: str
    span: Span
    parts: dict[str, str]
    context: str  # why the code is differentiated, in words ("" when the site has no reason)
    related: tuple[Related, ...]


@dataclass(frozen=True)
class Invalid:
    """An example the rule must flag: the lines marked ``# expect: CODE``, a fragment of
    the message, and the text after ``--fix --unsafe-fixes`` (None: no fix)."""

    code: str
    message: str
    fixed: str | None = None


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    use_instead: ClassVar[str]
    false_positives: ClassVar[str]
    fixes: ClassVar[tuple[str, ...]]  # the round-trip kinds whose fix its findings carry (for the docs)
    valid: ClassVar[tuple[str, ...]]  # snippets that must produce no finding of this rule
    invalid: ClassVar[tuple[Invalid, ...]]

    def check(self, facts: Facts) -> Iterable[RawRoundTrip | Site]:
        raise NotImplementedError

    def message(self, event: RoundTrip | Occurrence) -> str:
        raise NotImplementedError


def tensor(event: RoundTrip) -> str:
    """The tensor as a message names it; none is written where an API applies a numpy function it was given."""
    return f"tensor '{event.value}'" if event.value else "the tensors it is given"


def advice(event: RoundTrip, fallback: str) -> str:
    return f"use {event.replacement}" if event.replacement else fallback
