"""The differentiated outputs of a scope, for rules that reason from the output back.

An output is the target of a gradient call written in the scope, or the
return of a function whose return is itself differentiated (a Keras loss, a
``target_log_prob_fn``).  A Keras layer's or model's ``call`` is not taken as
an output: whether it is ever trained is not known (a decoder that rounds to
pixels, a model that returns class ids, may serve inference only).  Each knows how to word a site
found on its path: a gradient target names its gradient call, a return names
its function and why it is differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.facts import Facts
from ..analysis.reach import Reason
from ..analysis.tapes import GradientCall
from ..ir.model import Free, Local, Scope
from .base import Site


@dataclass(frozen=True)
class Output:
    deps: tuple
    gradient: GradientCall | None = None  # the gradient call whose target it is
    tape: str = ""  # ... and the name of its tape
    reason: Reason | None = None  # for a differentiated return: why

    def site(self, path: str, scope: Scope, node: int, words: tuple[tuple[str, str], ...] = ()) -> Site:
        """A site at ``node`` on this output's path: quotes ``operation``; words ``target`` (the target
        named, "the target" else) and ``gradient`` ("tape.gradient") or ``function``."""
        if self.gradient is not None:
            named = name_of(scope, self.gradient.targets)
            target = f"the target '{named}'" if named else "the target"
            return Site(path, scope.id, node, quotes=(("operation", node),),
                        words=(("target", target), ("gradient", f"{self.tape}.{self.gradient.method}"), *words),
                        related=((path, self.gradient.call, "the gradient is asked here"),))
        function = scope.name if scope.kind != "lambda" else "a lambda"
        return Site(path, scope.id, node, quotes=(("operation", node),), words=(("function", function), *words),
                    reason=self.reason, function=function)


def differentiated_outputs(facts: Facts, path: str, scope: Scope) -> list[Output]:
    outputs = [Output(gradient.targets, gradient, tape.name or "tape") for tape in facts.tapes if tape.path == path
               for gradient in tape.gradients if gradient.scope == scope.id]
    is_layer_call = scope.class_id is not None and scope.name == "call" and facts.class_family(path, scope.class_id) == "layer"
    if facts.is_output_entry(path, scope.id) and not is_layer_call:
        outputs.append(Output(scope.returns, reason=facts.reason(path, scope.id)))
    return outputs


def name_of(scope: Scope, deps: tuple) -> str | None:
    """The variable a value is, when it is just one."""
    if len(deps) != 1:
        return None
    atom = deps[0]
    if type(atom) is Local:
        return scope.definitions[atom.index].name
    return atom.name if type(atom) is Free else None
