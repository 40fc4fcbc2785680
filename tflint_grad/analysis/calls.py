"""Resolve a call site to what it calls: an API kind, or a project definition.

Shared by the gradient analysis (``dataflow.py``) and the tape facts.  A name
is followed through the definitions that reach the call (``d = Density(0.0)``
then ``d.log_prob``; ``target = functools.partial(f, data)`` then
``api(target)``); a call of a value (a parameter, ``self.loss_fn``,
``table[name]``) resolves to every function it may hold (``callees.py``).
Methods bind as Python binds them (``bound_skip``).  Resolution that depends
on itself (``for ...: d = d.copy()``, where the loop brings the definition
back to its own call) gets a defined answer: while a call is being resolved
it reads as unknown.
"""

from __future__ import annotations

from ..ir.model import (
    JOIN, Arg, Call, CallableRef, Definition, Deps, Free, Local, ModuleIR, Result, Scope, bound_arguments,
    positional_args, self_name,
)
from .callees import Callees, class_name
from .targets import IN_PROGRESS, UNKNOWN, Target, any_of, bound_skip
from .tables.apis import METHODS, OPERATORS, Kind, classify, normalize, qualify
from .tables.entry_points import CallableApi, find_callable_api, find_method_api
from .project import Definition as ProjectDefinition
from .project import Project


class Resolver(Callees):
    def __init__(self, project: Project, apis: tuple[CallableApi, ...]) -> None:
        self.project = project
        self.apis = apis
        self._calls: dict[tuple[str, int], Target] = {}
        self._by_index: dict[tuple[str, str], dict[int, Call]] = {}
        self._sites: dict[str, list] | None = None

    def call(self, module: ModuleIR, scope: Scope, call: Call) -> Target:
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

    def call_at(self, module: ModuleIR, scope: Scope, index: int) -> Call | None:
        key = (module.path, scope.id)
        table = self._by_index.get(key)
        if table is None:
            table = self._by_index[key] = {c.index: c for c in scope.calls}
        return table.get(index)

    def _resolve_call(self, module: ModuleIR, scope: Scope, call: Call) -> Target:
        if call.operator is not None:
            return Target(OPERATORS[call.operator], f"<{call.operator}>")
        if call.callee is None:  # table[name](x), make_loss()(y, p), Model().method(x)
            if call.attr:
                method = self._instance_method(module, scope, call.receiver, call.attr)
                return Target(definition=method, skip=bound_skip(method, True)) if method else self._method(call.attr)
            return any_of(self.callees(module, scope, None, call.receiver)) or UNKNOWN
        binding, rest = self.project.lookup_dotted(module, scope, call.callee)
        head = call.callee.partition(".")[0]
        if head == self_name(scope):
            if not rest:
                return UNKNOWN  # self(x): a Keras model calling itself
            if "." not in rest:
                method = self.find_method(module, scope.class_id, rest)
                if method is not None:
                    return Target(definition=method, skip=bound_skip(method, True))
                held = any_of(self.attribute_callees(module, scope.class_id, rest))
                if held is not None:
                    return held
            return self._method(rest.rsplit(".", 1)[-1])
        if head == class_name(scope) and rest and "." not in rest:  # cls.helper(x) in a classmethod
            method = self.find_method(module, scope.class_id, rest)
            if method is not None:
                return Target(definition=method, skip=bound_skip(method, False))
        if binding is None or binding.kind == "var":
            method = self._instance_method(module, scope, call.receiver, rest)
            if method is not None:
                return Target(definition=method, skip=bound_skip(method, True))
            if rest:
                return self._method(rest.rsplit(".", 1)[-1])
            # f = lambda x: ..., f = helper, f = partial(helper, data), f = np.tanh, a parameter: then f(t)
            held = self.callees(module, scope, CallableRef(dotted=call.callee), call.receiver) if binding else ()
            return any_of(held) or UNKNOWN
        if binding.kind == "def":
            definition = binding.definition
            if not rest:
                return Target(definition=definition)
            if definition.is_class and "." not in rest and rest in definition.klass.methods:
                method = ProjectDefinition(definition.module, definition.klass.methods[rest], False)
                return Target(definition=method, skip=bound_skip(method, False))
            return UNKNOWN
        return self.qualified(qualify(binding.qualified, rest), module)

    def qualified(self, qualified: str, near: ModuleIR | None = None) -> Target:
        qualified = normalize(self.project.external(qualified, near))
        api = find_callable_api(qualified, self.apis)
        classified = classify(qualified)
        if classified is not None and classified[1]:
            return Target(classified[0], qualified, api=api)
        definition = self.project.resolve(qualified, near)
        if definition is not None:
            return Target(qualified=qualified, definition=definition, api=api)
        kind = classified[0] if classified else Kind.PROPAGATE
        return Target(kind, qualified, api=api)

    def qualified_name(self, module: ModuleIR, scope: Scope, dotted: str) -> str | None:
        """The normalised qualified name of an imported name chain ("tf.custom_gradient")."""
        binding, rest = self.project.lookup_dotted(module, scope, dotted)
        if binding is None or binding.kind != "qualified":
            return None
        return normalize(self.project.external(qualify(binding.qualified, rest), module))

    def _method(self, name: str) -> Target:
        return Target(METHODS.get(name, Kind.PROPAGATE), f"tensor.{name}", api=find_method_api(name, self.apis))

    def find_method(self, module: ModuleIR, class_id: str | None, name: str) -> ProjectDefinition | None:
        """A method by name on a project class or its project bases."""
        if class_id not in module.classes:
            return None
        for klass in self.project.class_chain(ProjectDefinition(module, class_id, True)):
            if name in klass.klass.methods:
                return ProjectDefinition(klass.module, klass.klass.methods[name], False)
        return None

    # -- values of variables -------------------------------------------------------
    def definitions(self, module: ModuleIR, scope: Scope, atoms: Deps) -> list[tuple[Scope, Definition]] | None:
        """The definitions a variable's value may come from (joins looked through), or
        None when part of it is not a variable of this module."""
        found: list[tuple[Scope, Definition]] = []
        seen: set[tuple[str, int]] = set()
        stack = [(scope, atom) for atom in atoms]
        while stack:
            current, atom = stack.pop()
            if isinstance(atom, Free):
                binding = self.project.lookup(module, current, atom.name)
                if binding is None or binding.kind != "var":
                    return None
                outer = module.scopes[binding.scope_id]
                stack += [(outer, a) for a in outer.all_definitions(atom.name)]
            elif isinstance(atom, Local):
                if (current.id, atom.index) in seen:
                    continue
                seen.add((current.id, atom.index))
                definition = current.definitions[atom.index]
                if definition.kind == JOIN:
                    stack += [(current, a) for a in definition.deps]
                else:
                    found.append((current, definition))
            else:
                return None
        return found

    def single_source(self, module: ModuleIR, scope: Scope, atoms: Deps) -> tuple[Scope, object] | None:
        """The one atom a variable's every definition is made of (``d = Density(0.0)``), or None."""
        definitions = self.definitions(module, scope, atoms)
        if not definitions or len(definitions) != 1 or len(definitions[0][1].deps) != 1:
            return None
        return definitions[0][0], definitions[0][1].deps[0]

    def _instance_method(self, module: ModuleIR, scope: Scope, atoms: Deps, method: str) -> ProjectDefinition | None:
        """``d = Density(0.0)`` then ``d.log_prob`` (or ``Density(0.0).log_prob``): the method of
        the project class the receiver was made from."""
        if not method or "." in method:
            return None
        made_here = len(atoms) == 1 and isinstance(atoms[0], Result)  # Model().log_prob
        source = (scope, atoms[0]) if made_here else self.single_source(module, scope, atoms)
        if source is None or not isinstance(source[1], Result):
            return None
        made_in, result = source
        call = self.call_at(module, made_in, result.index)
        made_by = self.call(module, made_in, call).definition if call is not None else None
        if made_by is None or not made_by.is_class:
            return None
        return self.find_method(made_by.module, made_by.id, method)


def map_arguments(callee: Scope, args: tuple[Arg, ...], skip: int = 0) -> list[tuple[str, tuple]]:
    """Pair each argument's dependencies with the parameter it binds."""
    return [(name, arg.deps) for name, arg in bound_arguments(callee, args, skip)]


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
