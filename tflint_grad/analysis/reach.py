"""Which code is differentiated, and why: the reason chain used in messages.

Entry points (callable APIs, Keras class methods, ``tf.custom_gradient``)
mark scopes as differentiated ("reached") and say which parameters receive
tensors; calls made in differentiated code (or recorded by a tape) pass reach
and tensor-ness on to project functions, across files.  A mixin of
:class:`~tflint_grad.analysis.dataflow.Dataflow`, whose state it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..ir.model import Call, ModuleIR, Scope
from .calls import map_arguments, slot_argument
from .project import Definition
from .sources import is_discrete_layer
from .tables.apis import NON_TENSOR_PARAMS
from .tables.entry_points import CLASS_METHODS, GRADIENT_DEFINING, CallableApi, class_family

Key = tuple  # (path, scope id)


@dataclass(frozen=True)
class Reason:
    """Why a scope (or a tape block) is differentiated, for messages."""

    kind: str  # "entry" | "tape" | "class" | "decorator"
    path: str
    index: int  # locator of the explaining node: the API call, the with, the class, the def
    function: str = ""  # the differentiated entry function
    api: str = ""  # the API as written ("tfp.vi.monte_carlo_variational_loss") or the class name
    slot: str = ""  # "target_log_prob_fn"
    via: tuple[str, ...] = ()  # callers between the entry function and this one
    handed: tuple = ()  # (called as, path, locator): a function reached as a value, where it was handed over


class Reach:
    def _seed_classes_and_decorators(self) -> None:
        for module in self.project.summaries:
            self._isolated((module.path, "<seeding>"), lambda: self._seed_module(module))

    def _seed_module(self, module: ModuleIR) -> None:
        for info in module.classes.values():
            family = self.family((module.path, info.id))
            if family and is_discrete_layer(self.project, Definition(module, info.id, True)):
                continue
            for entry in CLASS_METHODS:
                method = info.methods.get(entry.method)
                if family == entry.family and method is not None:
                    scope = module.scopes[method]
                    params = self._tensor_params(scope, 1, entry.tensor_params) - NON_TENSOR_PARAMS
                    reason = Reason("class", module.path, info.index, f"{info.name}.{entry.method}", info.name)
                    self.reach((module.path, method), reason, params, entry.output)
        for scope in module.scopes.values():
            for decorator in scope.decorators:
                if self.resolver.qualified_name(module, scope, decorator) in GRADIENT_DEFINING:
                    self._seed_gradient_defining(module, scope, Reason("decorator", module.path, scope.index, scope.name, decorator))

    def _seed_gradient_defining(self, module: ModuleIR, scope: Scope, reason: Reason) -> None:
        """A tf.custom_gradient body and the functions inside it (its grad fn) are
        differentiated, but their results never count as cut: the user defines the gradient."""
        key = (module.path, scope.id)
        self.gradient_defined.add(key)
        self.reach(key, reason, self._tensor_params(scope, 0, None))
        for child in self.children[key]:
            self._seed_gradient_defining(module, module.scopes[child[1]], reason)

    def family(self, key: Key) -> str | None:
        """"layer", "loss" or None for a project class, through its bases."""
        if key in self.families:
            return self.families[key]
        self.families[key] = None  # cycle guard
        module = self.modules[key[0]]
        found = None
        for base in self.project.class_bases(Definition(module, key[1], True)):
            found = class_family(base) if isinstance(base, str) else self.family((base.module.path, base.id))
            if found:
                break
        self.families[key] = found
        return found

    def reach(self, key: Key, reason: Reason, params: set[str], output: bool | None = None) -> None:
        changed = key not in self.reached
        self.reached.setdefault(key, reason)
        if output:
            self.output_entries.add(key)
        new = params - self.tainted_params[key]
        if new:
            self.tainted_params[key] |= new
            changed = True
        if changed:
            self.enqueue(key)

    @staticmethod
    def _tensor_params(scope: Scope, skip: int, positions: tuple[int, ...] | None, bound: tuple[str, ...] = ()) -> set[str]:
        params = [p for p in scope.params if p.name not in bound]
        positional = [p for p in params if p.kind == "positional"][skip:]
        if positions is None:
            return {p.name for p in positional} | {p.name for p in params if p.kind != "positional"}
        return {positional[i].name for i in positions if i < len(positional)}

    def _propagate_reach(self, key: Key, module: ModuleIR, scope: Scope, origin) -> None:
        whole = key in self.reached
        for call in scope.calls:
            target = self.resolver.call(module, scope, call)
            differentiated = whole or bool(self.recording(key, scope, call))
            if target.api is not None and (differentiated or not target.api.inherit):
                self._reach_callables(key, module, scope, call, target.api)
            if not differentiated:
                continue
            for each in target.alternatives():  # loss_fn(y, p): every function loss_fn may hold
                definition = each.definition
                if definition is not None and not definition.is_class:
                    params = {
                        name for name, deps in map_arguments(definition.scope, call.args, each.skip)
                        if any(self.is_tainted(key, origin(a)) for a in deps)
                    }
                    reason = self._via(key, scope, call)
                    if each.handover is not None and call.callee:  # loss_fn(y, p): say where loss_fn came from
                        reason = replace(reason, handed=(call.callee, each.handover.path, each.handover.site))
                    self.reach((definition.module.path, definition.id), reason, params)

    def _via(self, key: Key, scope: Scope, call: Call) -> Reason:
        recording = self.recording(key, scope, call)
        if recording and key not in self.reached:
            return tape_reason(key, scope, recording)
        reason = self.reached[key]
        name = display_name(scope)
        return Reason(reason.kind, reason.path, reason.index, reason.function, reason.api, reason.slot, reason.via + (name,))

    def _reach_callables(self, key: Key, module: ModuleIR, scope: Scope, call: Call, api: CallableApi) -> None:
        """The callables an API call takes in its slots (by name, lambda, partial, container,
        variable, parameter ...) are differentiated; a numpy function there is a handover."""
        for slot in api.slots:
            arg = slot_argument(call, slot.position, slot.keyword)
            if arg is None:
                continue
            for target in self.resolver.callees(module, scope, arg.ref, arg.deps):
                if target.definition is None:
                    if target.is_host_value:
                        self.hand_to_api(key, call, api, target, self._api_reason(key, scope, call, api, slot,
                                                                                  target.handover.text or "a numpy function"))
                    continue
                callee = target.definition.scope
                reason = self._api_reason(key, scope, call, api, slot, display_name(callee))
                params = self._tensor_params(callee, target.skip, api.tensor_params, target.bound_keywords)
                self.reach((target.definition.module.path, target.definition.id), reason, params, api.output)

    def _api_reason(self, key: Key, scope: Scope, call: Call, api: CallableApi, slot, name: str) -> Reason:
        if api.inherit:
            return self._via(key, scope, call)
        return Reason("entry", key[0], call.index, name, call.callee or f".{call.attr}", slot.keyword or "")


def display_name(scope: Scope) -> str:
    return scope.name if scope.kind != "lambda" else "a lambda"


def tape_reason(key: Key, scope: Scope, recording: tuple[int, ...]) -> Reason:
    """The innermost tf.GradientTape block around a call."""
    return Reason("tape", key[0], scope.blocks[recording[-1]].statement)
