"""Where gradients are applied: ``optimizer.apply_gradients(zip(grads, variables))``.

Each application is paired with the gradient call whose result is zipped
(followed through plain names in the same function), and both sides are named
as written when they are name chains (``generator.trainable_variables``), so
the rules can compare the collection differentiated with the one updated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.model import Call, Deps, ModuleIR, Result, Scope, positional_args
from .backward import ScopeWalk
from .calls import Resolver, slot_argument
from .tapes import GradientCall, Tape

APPLY_METHOD = "apply_gradients"


@dataclass(frozen=True)
class Applied:
    path: str
    scope: str
    call: int  # the apply_gradients call
    variables: Deps  # the zip's second argument
    variables_named: str | None  # ... as a name chain, if it is one
    tape: Tape | None  # the gradient call whose result is zipped, and its tape, when known
    gradient: GradientCall | None
    sources_named: str | None  # that gradient call's sources as a name chain, if they are one


def applications(resolver: Resolver, modules: dict[str, ModuleIR], tapes: tuple[Tape, ...]) -> list[Applied]:
    gradients = {(tape.path, gradient.call): (tape, gradient) for tape in tapes for gradient in tape.gradients}
    found = []
    for path, module in modules.items():
        for scope in module.scopes.values():
            for call in scope.calls:
                if call.attr == APPLY_METHOD and (pair := _zipped(scope, call)) is not None:
                    found.append(_applied(resolver, module, scope, call, pair, gradients))
    return found


def _zipped(scope: Scope, call: Call):
    """The two arguments of ``apply_gradients(zip(grads, variables))``, or None."""
    arguments = positional_args(call)
    if not arguments or len(arguments[0].deps) != 1 or type(arguments[0].deps[0]) is not Result:
        return None
    inner = next((c for c in scope.calls if c.index == arguments[0].deps[0].index), None)
    if inner is None or inner.callee != "zip" or len(positional_args(inner)) != 2 or len(inner.args) != 2:
        return None
    return positional_args(inner)


def _applied(resolver: Resolver, module: ModuleIR, scope: Scope, call: Call, pair, gradients: dict) -> Applied:
    grads, variables = pair
    made_by = [a.index for a in ScopeWalk(resolver, module, scope).names(grads.deps) if type(a) is Result]
    tape, gradient = next((gradients[(module.path, i)] for i in made_by if (module.path, i) in gradients), (None, None))
    sources_named = None
    if gradient is not None and gradient.scope == scope.id:
        gradient_call = resolver.call_at(module, scope, gradient.call)
        sources = slot_argument(gradient_call, 1, "sources") if gradient_call is not None else None
        sources_named = sources.ref.dotted if sources is not None and sources.ref is not None else None
    return Applied(module.path, scope.id, call.index, variables.deps,
                   variables.ref.dotted if variables.ref is not None else None, tape, gradient, sources_named)
