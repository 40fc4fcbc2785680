"""What a value may be when it is called: the functions a variable, a parameter, an
attribute or a container holds.

Callables reach differentiated code as values: ``act = np.tanh``, a loss stored
on ``self``, the ``loss_fn`` parameter of a ``train_step`` helper, a factory's
closure, ``compile(loss={...})``, ``functools.partial(np.clip, ...)``,
``getattr(np, name)``, an instance whose class defines ``__call__``.
:meth:`Callees.callees` follows a value back through the IR (definitions,
parameters to the calls that fill them, ``self`` attributes to every method
that assigns them, factory calls to what they return) to every project
function and API function it may be, within a bounded number of hops.  It is
name resolution, not data flow (no fixpoint): a mixin of
:class:`~tflint_grad.analysis.calls.Resolver`, whose ``call`` it uses.
"""

from __future__ import annotations

from dataclasses import replace
from ..ir.model import (
    GLOBAL, JOIN, PARAM, Call, CallableRef, Deps, Free, LambdaRef, Local, ModuleIR, Result, Scope, SelfAttr,
    bound_arguments, partial_ref, positional_args, self_name,
)
from .project import Definition as ProjectDefinition
from .tables.apis import Kind, qualify
from .targets import Handover, Target, bound_skip

MAX_REFERENCE_HOPS = 6  # target = f; g = target; api(g): values followed, then given up
MODULE_SCOPE = "<module>"


def class_name(scope: Scope) -> str | None:
    """The name a classmethod calls its class (``cls``), or None."""
    if scope.class_id is None or not scope.params or "classmethod" not in scope.decorators:
        return None
    return scope.params[0].name


class Callees:
    def callees(self, module: ModuleIR, scope: Scope, ref: CallableRef | None, atoms: Deps = (),
                hops: int = 0) -> tuple[Target, ...]:
        """Everything a value may be when it is called: ``ref`` names it as written (None:
        only its dependencies ``atoms`` are known).  Project functions and lambdas, API
        functions reached as values (with where they were handed over); API values that
        only pass their inputs on are left out (calling them is like calling nothing known)."""
        if hops > MAX_REFERENCE_HOPS:
            return ()
        if ref is None:
            found = self._held(module, scope, atoms, hops)
        elif ref.items:
            found = [t for item in ref.items for t in self.callees(module, scope, item, (), hops + 1)]
        elif ref.scope is not None:
            found = [self._function(module, ref.scope)]
        else:
            found = self._named(module, scope, ref.dotted, atoms, hops)
        unique: dict = {}
        for target in found:
            if target.definition is not None or target.kind is not Kind.PROPAGATE:
                target = self._bound(target, ref, module)
                definition = target.definition
                where = (definition.module.path, definition.id) if definition is not None else None
                unique.setdefault((where, target.qualified, target.skip, target.handover), target)
        return tuple(unique.values())

    @staticmethod
    def _function(module: ModuleIR, scope_id: str) -> Target:
        return Target(definition=ProjectDefinition(module, scope_id, False))

    @staticmethod
    def _bound(target: Target, ref: CallableRef | None, module: ModuleIR) -> Target:
        """A target as ``ref`` hands it over: its partial arguments bound, and marked with
        the place it is named as a value, unless it was named earlier."""
        if ref is None:
            return target
        if ref.bound or ref.bound_keywords:
            target = replace(target, skip=target.skip + ref.bound, bound_keywords=target.bound_keywords + ref.bound_keywords)
        if target.handover is None and ref.dotted is not None and ref.site >= 0:
            target = replace(target, handover=Handover(module.path, ref.site, ref.dotted))
        return target

    def _named(self, module: ModuleIR, scope: Scope, dotted: str, atoms: Deps, hops: int) -> list[Target]:
        """A name chain as written (``atoms``: what its head holds there)."""
        head, _, rest = dotted.partition(".")
        if head == self_name(scope) and rest and "." not in rest:
            method = self.find_method(module, scope.class_id, rest)
            if method is not None:
                return [Target(definition=method, skip=bound_skip(method, True))]
            return self.attribute_callees(module, scope.class_id, rest, hops + 1)
        binding = self.project.lookup(module, scope, head)
        if binding is None:
            return []
        if binding.kind == "var":
            if not rest:
                return self._held(module, scope, atoms or (Free(dotted),), hops + 1)
            method = self._instance_method(module, scope, atoms, rest)
            return [Target(definition=method, skip=bound_skip(method, True))] if method is not None else []
        if binding.kind == "def":
            definition = binding.definition
            if not rest:
                return [] if definition.is_class else [Target(definition=definition)]
            if definition.is_class and "." not in rest and rest in definition.klass.methods:
                method = ProjectDefinition(definition.module, definition.klass.methods[rest], False)
                return [Target(definition=method, skip=bound_skip(method, False))]
            return []
        target = self.qualified(qualify(binding.qualified, rest), module)
        if target.definition is not None:
            return [] if target.definition.is_class else [target]
        exporter = self.project.variable(target.qualified, module)
        if exporter is not None:  # from config import ACTIVATIONS: a variable of another project module
            top = exporter.scopes[MODULE_SCOPE]
            return self._held(exporter, top, top.all_definitions(target.qualified.rsplit(".", 1)[-1]), hops + 1)
        return [target]

    def _held(self, module: ModuleIR, scope: Scope, atoms: Deps, hops: int) -> list[Target]:
        """What a value made of ``atoms`` may be when called, through its definitions."""
        if hops > MAX_REFERENCE_HOPS:
            return []
        found: list[Target] = []
        seen: set[tuple[str, int]] = set()
        stack = [(scope, atom) for atom in atoms]
        while stack:
            current, atom = stack.pop()
            kind = type(atom)
            if kind is Local:
                if (current.id, atom.index) in seen:
                    continue
                seen.add((current.id, atom.index))
                definition = current.definitions[atom.index]
                if definition.kind == JOIN:
                    stack += [(current, a) for a in definition.deps]
                elif definition.kind == PARAM:
                    found += self.parameter_callees(module, current, definition.name, hops + 1)
                elif definition.ref is not None:
                    found += self.callees(module, current, definition.ref, definition.deps, hops + 1)
                elif definition.kind != GLOBAL:
                    stack += [(current, a) for a in definition.deps]
            elif kind is Free:
                binding = self.project.lookup(module, current, atom.name)
                if binding is not None and binding.kind == "var":
                    outer = module.scopes[binding.scope_id]
                    stack += [(outer, a) for a in outer.all_definitions(atom.name)]
                else:
                    found += self._named(module, current, atom.name, (), hops + 1)
            elif kind is LambdaRef:
                found.append(self._function(module, atom.scope))
            elif kind is Result:
                call = self.call_at(module, current, atom.index)
                if call is not None:
                    found += self._made_by(module, current, call, hops + 1)
            elif kind is SelfAttr:
                found += self.attribute_callees(module, current.class_id, atom.attr, hops + 1)
        return found

    def _made_by(self, module: ModuleIR, scope: Scope, call: Call, hops: int) -> list[Target]:
        """What a call's result may be when called: a partial's function, ``getattr(module,
        name)``, a factory's returned function, an instance's ``__call__``."""
        partial = partial_ref(call)
        if partial is not None:
            return list(self.callees(module, scope, partial, positional_args(call)[0].deps, hops))
        target = self.call(module, scope, call)
        if target.qualified == "builtins.getattr":
            return self._getattr(module, scope, call)
        definition = target.definition
        if definition is None:
            return []
        if definition.is_class:
            method = self.find_method(definition.module, definition.id, "__call__")
            return [Target(definition=method, skip=1)] if method is not None else []
        return self.returned_callees(definition, hops)

    def returned_callees(self, definition: ProjectDefinition, hops: int) -> list[Target]:
        """The callables a function returns (or yields): a factory's closure, ``return np.tanh``."""
        module, scope = definition.module, definition.scope
        found = [t for ref in scope.return_refs for t in self.callees(module, scope, ref, (), hops)]
        return found + self._held(module, scope, scope.returns, hops)

    def _getattr(self, module: ModuleIR, scope: Scope, call: Call) -> list[Target]:
        """``getattr(np, "exp")`` is ``np.exp``; ``getattr(np, name)`` some numpy function."""
        positional = positional_args(call)
        if len(positional) < 2 or positional[0].ref is None or positional[0].ref.dotted is None:
            return []
        binding, rest = self.project.lookup_dotted(module, scope, positional[0].ref.dotted)
        if binding is None or binding.kind != "qualified":
            return []
        name = positional[1].constant if isinstance(positional[1].constant, str) else "<getattr>"
        target = self.qualified(f"{qualify(binding.qualified, rest)}.{name}", module)
        if target.definition is not None:
            return []
        return [replace(target, handover=Handover(module.path, call.index, ""))]

    def attribute_callees(self, module: ModuleIR, class_id: str | None, attr: str, hops: int = 0) -> list[Target]:
        """``self.loss_fn``: what every method of the class (and its project bases) assigns it."""
        if class_id not in module.classes or hops > MAX_REFERENCE_HOPS:
            return []
        found: list[Target] = []
        for klass in self.project.class_chain(ProjectDefinition(module, class_id, True)):
            for method_id in klass.klass.methods.values():
                method = klass.module.scopes[method_id]
                if attr in method.self_attrs:
                    for ref in method.self_attr_refs.get(attr, ()):
                        found += self.callees(klass.module, method, ref, (), hops)
                    found += self._held(klass.module, method, method.self_attrs[attr], hops)
        return found

    def parameter_callees(self, module: ModuleIR, scope: Scope, name: str, hops: int) -> list[Target]:
        """A parameter holds what the calls of its function pass in it (``train_step(model,
        my_loss, x, y)``, ``Trainer(model, loss_fn=my_loss)`` for ``__init__``)."""
        if scope.kind != "function" or name in (self_name(scope), class_name(scope)) or hops > MAX_REFERENCE_HOPS:
            return []
        found: list[Target] = []
        for caller_module, caller_scope, call, skip in self.call_sites(module, scope):
            for param, arg in bound_arguments(scope, call.args, skip):
                if param == name:
                    found += self.callees(caller_module, caller_scope, arg.ref, arg.deps, hops)
        return found

    def call_sites(self, module: ModuleIR, scope: Scope):
        """The calls in the project that call the function of ``scope`` (its class, for an
        ``__init__``), with the parameters they leave to Python (``self``)."""
        if self._sites is None:
            self._sites = {}
            for each in self.project.summaries:
                for caller in each.scopes.values():
                    for call in caller.calls:
                        name = call.callee.rsplit(".", 1)[-1] if call.callee else call.attr
                        if name:
                            self._sites.setdefault(name, []).append((each, caller, call))
        constructor = scope.name == "__init__" and scope.class_id in module.classes
        name = module.classes[scope.class_id].name if constructor else scope.name
        for caller_module, caller, call in self._sites.get(name, ()):
            for target in self.call(caller_module, caller, call).alternatives():
                definition = target.definition
                if definition is None:
                    continue
                if constructor and definition.is_class:
                    init = self.find_method(definition.module, definition.id, "__init__")
                    if init is not None and (init.module.path, init.id) == (module.path, scope.id):
                        yield caller_module, caller, call, 1
                elif (definition.module.path, definition.id) == (module.path, scope.id):
                    yield caller_module, caller, call, target.skip
