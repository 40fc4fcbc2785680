"""How a round-trip's result is used: the uses that need an ndarray, not a tensor.

A fix that turns the ndarray a numpy call returns into a tensor is safe only
where every use of the result accepts a tensor (TensorFlow ops, arithmetic, a
return into the differentiated output).  ``.tolist()``, ``.astype``, item
assignment, ``np.random.*(p=...)``, ``json`` or plotting need the ndarray:
the fix is then unsafe, and says why.  Plain aliases (``r = np.std(x)``) are
followed; anything else is taken as accepting a tensor.
"""

from __future__ import annotations

from ..ir.model import ASSIGN, MUTATION, Local, ModuleIR, Result, Scope
from .calls import Resolver
from .tables.apis import NDARRAY_CONSUMERS, TENSOR_METHODS

MAX_ALIASES = 16


def ndarray_uses(resolver: Resolver, module: ModuleIR, scope: Scope, call_index: int) -> tuple[str, ...]:
    """What needs the result of call ``call_index`` to stay an ndarray ("`.tolist()`", "item assignment")."""
    values = {Result(call_index)}
    for index, definition in enumerate(scope.definitions):  # r = np.std(x): r is the result too
        if len(values) < MAX_ALIASES and definition.kind == ASSIGN and definition.deps and set(definition.deps) <= values:
            values.add(Local(index))
    found: list[str] = []
    for definition in scope.definitions:
        if definition.kind == MUTATION and definition.statement >= 0 and values & set(definition.deps[:1]):
            found.append("item assignment")
    for call in scope.calls:
        if call.attr and call.receiver and set(call.receiver) <= values:
            if call.attr not in TENSOR_METHODS:
                found.append(f"`.{call.attr}()`")
            continue
        if any(values & set(arg.deps) for arg in call.args):
            qualified = resolver.call(module, scope, call).qualified
            if qualified.startswith(NDARRAY_CONSUMERS):
                found.append(f"`{call.callee or qualified}`")
    return tuple(dict.fromkeys(found))
