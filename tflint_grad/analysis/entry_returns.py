"""What a differentiated callable's result is computed from.

An API that differentiates a callable (``target_log_prob_fn``, a loss given
to ``minimize``) differentiates its result with respect to what it fills in or
what the result reads while the call runs.  A result computed from none of
the parameters is a constant to the API (its gradient is zero, or None), and a
loss callable that only returns a tensor computed before it was handed over
(``optimizer.minimize(lambda: loss, ...)``) returns the same constant on every
step.  Both are reported only for a callable with no nested function or
lambda (which could read a parameter unseen), and the first only when the
parameters are never read at all.
"""

from __future__ import annotations

from ..ir.model import ASSIGN, PARAM, Free, Local, ModuleIR, Result, Scope
from .calls import Resolver
from .tables.apis import Kind
from .tapes import call_inputs

TENSOR_APIS = ("tensorflow.", "tensorflow_probability.")


def ignores_parameters(module: ModuleIR, scope: Scope, params: frozenset[str]) -> bool:
    """The scope returns something and never reads those parameters at all (a parameter read only by a
    loop's test or a check is a choice, not this mistake); no nested function or lambda could read them."""
    if not scope.returns or any(other.parent == scope.id for other in module.scopes.values()):
        return False
    read = {atom for definition in scope.definitions for atom in definition.deps}
    read.update(atom for call in scope.calls for atom in call_inputs(call))
    read.update(scope.returns)
    return not any(type(atom) is Local and scope.definitions[atom.index].kind == PARAM
                   and scope.definitions[atom.index].name in params for atom in read)


def closed_over_tensors(resolver: Resolver, module: ModuleIR, scope: Scope) -> list[tuple[str, int]]:
    """(name, statement) of each name a callable without parameters or calls of its own returns and its
    enclosing function binds to a tensor computed there (by a TensorFlow op or an operator; a Variable
    it reads is recorded when the callable runs, so any Variable keeps it silent)."""
    if scope.params or scope.calls or scope.parent is None or not scope.returns:
        return []
    parent = module.scopes[scope.parent]
    found = []
    for atom in scope.returns:
        if type(atom) is not Free or atom.name not in parent.names:
            return []
        definitions = [parent.definitions[i] for i in parent.names[atom.name]]
        if not all(_is_tensor(resolver, module, parent, d) for d in definitions):
            return []
        found.append((atom.name, definitions[-1].statement))
    return found


def _is_tensor(resolver: Resolver, module: ModuleIR, scope: Scope, definition) -> bool:
    if definition.kind != ASSIGN:
        return False
    if definition.operation:
        return True
    if len(definition.deps) != 1 or type(definition.deps[0]) is not Result:
        return False
    call = resolver.call_at(module, scope, definition.deps[0].index)
    target = resolver.call(module, scope, call) if call is not None else None
    return (target is not None and target.definition is None and target.kind is not Kind.SOURCE
            and target.qualified.startswith(TENSOR_APIS))
