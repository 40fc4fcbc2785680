"""What a rule is: a stable code, a name, a severity, its documentation and
the round-trip events it claims.

The analysis (``tflint_grad.analysis``) finds every host round-trip of a
tensor in differentiated code and describes it as a :class:`RoundTrip`.  A rule
is a small class that decides whether an event is its own and words the
message.  Each rule carries valid and invalid examples beside it (as Fixit
does); ``tests/test_rules.py`` runs them through the real analyser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..findings import Severity, Span, Related


@dataclass(frozen=True)
class RoundTrip:
    """One place where a differentiable tensor leaves TensorFlow.

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


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    use_instead: ClassVar[str]
    false_positives: ClassVar[str]
    # Snippets that must produce no finding of this rule / exactly the lines
    # marked ``# expect: CODE``.
    valid: ClassVar[tuple[str, ...]]
    invalid: ClassVar[tuple[str, ...]]

    def applies(self, event: RoundTrip) -> bool:
        raise NotImplementedError

    def message(self, event: RoundTrip) -> str:
        raise NotImplementedError


def advice(event: RoundTrip, fallback: str) -> str:
    return f"use {event.replacement}" if event.replacement else fallback
