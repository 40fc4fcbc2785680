"""Resolve a call site to what it calls: an API kind, or a project definition.

Shared by the data-flow fixpoint (``dataflow.py``) and by the fixer, which
needs the same answer to know which calls it may rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..summary.model import (
    CALL, LAMBDA, NAME, Arg, Call, CallableRef, ModuleSummary, Scope, partial_ref, positional_args, self_name,
)
from .apis import METHODS, Kind, classify, qualify
from .entry_points import CallableApi, find_callable_api, find_method_api
from .project import Definition, Project


@dataclass(frozen=True)
class Target:
    """What a call (or a callable reference) resolves to.

    Exactly one of ``kind`` (an API or value call, see ``apis.Kind``) and
    ``definition`` (a function, lambda or class in the project) is set.
    ``skip`` counts parameters already bound (``self`` of a bound method,
    ``functools.partial`` arguments).
    """

    kind: Kind | None = None
    qualified: str = ""
    definition: Definition | None = None
    skip: int = 0
    bound_keywords: tuple[str, ...] = ()
    api: CallableApi | None = None


UNKNOWN = Target(Kind.PROPAGATE)
IN_PROGRESS = Target(Kind.PROPAGATE, "<resolving>")


class Resolver:
    def __init__(self, project: Project, apis: tuple[CallableApi, ...]) -> None:
        self.project = project
        self.apis = apis
        self._calls: dict[tuple[str, int], Target] = {}

    def call(self, module: ModuleSummary, scope: Scope, call: Call) -> Target:
        """What ``call`` resolves to, computed once.

        A resolution can depend on itself: in ``t = t.numpy()`` the receiver
        ``t`` is bound to the call's own result, and finding the class ``t``
        was made from means resolving that same call.  While a call is being
        resolved it answers ``IN_PROGRESS`` (a value of unknown origin, made
        by no project class), so such a cycle settles on its least answer
        instead of recursing.
        """
        key = (module.path, call.index)
        found = self._calls.get(key)
        if found is None:
            self._calls[key] = IN_PROGRESS
            try:
                found = self._calls[key] = self._resolve_call(module, scope, call)
            except BaseException:
                del self._calls[key]
                raise
        return found

    def _resolve_call(self, module: ModuleSummary, scope: Scope, call: Call) -> Target:
        if call.callee is None:
            return self._method(call.attr) if call.attr else UNKNOWN
        head, _, rest = call.callee.partition(".")
        if head == self_name(scope):
            if not rest:
                return UNKNOWN  # self(x): a Keras model calling itself
            method = self.find_method(module, scope.class_id, rest) if "." not in rest else None
            if method is not None:
                return Target(definition=method, skip=1)
            return self._method(rest.rsplit(".", 1)[-1])
        binding = self.project.lookup(module, scope, head)
        if binding is None or binding.kind == "var":
            method = self._instance_method(module, binding, head, rest)
            if method is not None:
                return Target(definition=method, skip=1)
            if rest:
                return self._method(rest.rsplit(".", 1)[-1])
            # f = lambda x: ..., f = helper, f = functools.partial(helper, data): then f(t)
            function = self.callable_ref(module, scope, CallableRef(dotted=head)) if binding else None
            return Target(definition=function.definition, skip=function.skip) if function else UNKNOWN
        if binding.kind == "def":
            definition = binding.definition
            if not rest:
                return Target(definition=definition)
            if definition.is_class and "." not in rest and rest in definition.klass.methods:
                return Target(definition=Definition(definition.module, definition.klass.methods[rest], False))
            return UNKNOWN
        return self.qualified(qualify(binding.qualified, rest), module)

    def qualified(self, qualified: str, near: ModuleSummary | None = None) -> Target:
        api = find_callable_api(qualified, self.apis)
        classified = classify(qualified)
        if classified is not None and classified[1]:
            return Target(classified[0], qualified, api=api)
        definition = self.project.resolve(qualified, near)
        if definition is not None:
            return Target(qualified=qualified, definition=definition, api=api)
        kind = classified[0] if classified else Kind.PROPAGATE
        return Target(kind, qualified, api=api)

    def qualified_name(self, module: ModuleSummary, scope: Scope, dotted: str) -> str | None:
        """The normalised qualified name of an imported name chain ("tf.custom_gradient")."""
        head, _, rest = dotted.partition(".")
        binding = self.project.lookup(module, scope, head)
        if binding is None or binding.kind != "qualified":
            return None
        return qualify(binding.qualified, rest)

    def _method(self, name: str) -> Target:
        return Target(METHODS.get(name, Kind.PROPAGATE), f"tensor.{name}", api=find_method_api(name, self.apis))

    def find_method(self, module: ModuleSummary, class_id: str, name: str, depth: int = 0) -> Definition | None:
        """A method by name on a project class or its project bases."""
        info = module.classes.get(class_id)
        if info is None or depth > 10:
            return None
        if name in info.methods:
            return Definition(module, info.methods[name], False)
        for base in self.project.class_bases(Definition(module, class_id, True)):
            if isinstance(base, Definition):
                found = self.find_method(base.module, base.id, name, depth + 1)
                if found is not None:
                    return found
        return None

    def callable_ref(self, module: ModuleSummary, scope: Scope, ref: CallableRef, depth: int = 0) -> Target | None:
        """The project function an argument names, for entry points and partials."""
        if ref.scope is not None:
            return Target(definition=Definition(module, ref.scope, False), skip=ref.bound, bound_keywords=ref.bound_keywords)
        head, _, rest = ref.dotted.partition(".")
        target: Target | None = None
        if head == self_name(scope) and rest and "." not in rest:
            method = self.find_method(module, scope.class_id, rest)
            target = Target(definition=method, skip=1) if method else None
        else:
            binding = self.project.lookup(module, scope, head)
            if binding is not None and binding.kind == "var" and not rest and depth < 4:
                return self._through_variable(module, module.scopes[binding.scope_id], head, ref, depth)
            if (method := self._instance_method(module, binding, head, rest)) is not None:
                target = Target(definition=method, skip=1)
            elif binding is not None and binding.kind == "def" and not binding.definition.is_class and not rest:
                target = Target(definition=binding.definition)
            elif binding is not None and binding.kind == "def" and binding.definition.is_class:
                method = binding.definition.klass.methods.get(rest)
                target = Target(definition=Definition(module, method, False)) if method else None
            elif binding is not None and binding.kind == "qualified":
                found = self.project.resolve(qualify(binding.qualified, rest), module)
                target = Target(definition=found) if found is not None and not found.is_class else None
        if target is None:
            return None
        return Target(definition=target.definition, skip=target.skip + ref.bound, bound_keywords=ref.bound_keywords)

    def _instance_method(self, module: ModuleSummary, binding, name: str, method: str) -> Definition | None:
        """``d = Density(0.0)`` then ``d.log_prob``: the method of the project class ``d`` was made from."""
        if binding is None or binding.kind != "var" or not method or "." in method:
            return None
        scope = module.scopes[binding.scope_id]
        deps = scope.bindings.get(name, ())
        if len(deps) != 1 or deps[0][0] != CALL:
            return None
        call = next((c for c in scope.calls if c.index == deps[0][1]), None)
        made_by = self.call(module, scope, call).definition if call is not None else None
        if made_by is None or not made_by.is_class:
            return None
        return self.find_method(made_by.module, made_by.id, method)

    def _through_variable(self, module: ModuleSummary, scope: Scope, name: str, ref: CallableRef, depth: int) -> Target | None:
        """``target = functools.partial(f, data)`` or ``target = f``, then ``api(target)``."""
        deps = scope.bindings.get(name, ())
        if len(deps) != 1:
            return None
        kind, value = deps[0]
        if kind == NAME:
            inner = CallableRef(dotted=value)
        elif kind == LAMBDA:
            inner = CallableRef(scope=value)
        elif kind == CALL:
            call = next((c for c in scope.calls if c.index == value), None)
            inner = partial_ref(call) if call is not None else None
        else:
            inner = None
        if inner is None:
            return None
        combined = CallableRef(inner.dotted, inner.scope, inner.bound + ref.bound, inner.bound_keywords + ref.bound_keywords)
        return self.callable_ref(module, scope, combined, depth + 1)


def map_arguments(callee: Scope, args: tuple[Arg, ...], skip: int = 0) -> list[tuple[str, tuple]]:
    """Pair each argument's dependencies with the parameter it binds."""
    positional = [p for p in callee.params if p.kind == "positional"][skip:]
    by_name = {p.name for p in callee.params if p.kind in ("positional", "keyword")}
    vararg = next((p.name for p in callee.params if p.kind == "vararg"), None)
    varkw = next((p.name for p in callee.params if p.kind == "varkw"), None)
    pairs: list[tuple[str, tuple]] = []
    position = 0
    for arg in args:
        if arg.star == 1:
            pairs += [(p.name, arg.deps) for p in positional[position:]]
            if vararg:
                pairs.append((vararg, arg.deps))
        elif arg.star == 2:
            pairs += [(name, arg.deps) for name in by_name]
            if varkw:
                pairs.append((varkw, arg.deps))
        elif arg.keyword is None:
            if position < len(positional):
                pairs.append((positional[position].name, arg.deps))
            elif vararg:
                pairs.append((vararg, arg.deps))
            position += 1
        elif arg.keyword in by_name:
            pairs.append((arg.keyword, arg.deps))
        elif varkw:
            pairs.append((varkw, arg.deps))
    return pairs


def slot_argument(call: Call, position: int | None, keyword: str | None) -> Arg | None:
    """The argument a call passes in an API's slot, by keyword or by position."""
    for arg in call.args:
        if keyword is not None and arg.keyword == keyword:
            return arg
    if position is not None:
        positional = positional_args(call)
        if position < len(positional):
            return positional[position]
    return None
