"""Build a module's :class:`ModuleIR` from a libcst module in one pass.

The walk is explicit (statement and expression tables below) rather than a
``CSTVisitor``: every expression returns the dependencies of its value, which a
visitor cannot do, and statements move the reaching definitions
(:mod:`tflint_grad.ir.flow`) as control flow does.  Every node that a finding
may later need to point at (calls, definitions, ``with`` statements,
assignments) gets an index in visiting order; re-running the builder with
``keep_nodes=True`` maps indices back to nodes, so positions are only computed
for the few files that have findings.  Nothing here knows an API: which call
is numpy and which ``with`` is a tape is decided by the analysis.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field, replace
from typing import Callable

import libcst as cst

from .conventions import MUTATING_METHODS, STATIC_ATTRIBUTES
from .flow import Flow, join, rebound_names
from .model import (
    ASSIGN, CONTEXT, GLOBAL, ITERATION, LOOP_BODY, MUTATION, NO_CONSTANT, PARAM, Arg, Block, Call, CallableRef,
    ClassInfo, Definition, Deps, Free, LambdaRef, ModuleIR, Param, Result, Scope, SelfAttr, merge, partial_ref,
)

MODULE_SCOPE = "<module>"


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def import_target(node: cst.Attribute | cst.Name) -> str:
    return cst.Module([]).code_for_node(node)


@dataclass
class Draft:
    """A scope while it is being walked; frozen into a :class:`Scope` at the end."""

    id: str
    kind: str
    name: str
    index: int
    parent: str | None
    class_id: str | None = None
    params: tuple[Param, ...] = ()
    decorators: tuple[str, ...] = ()
    flow: Flow = field(default_factory=Flow)
    calls: list[Call] = field(default_factory=list)
    returns: Deps = ()
    blocks: list[Block] = field(default_factory=list)
    defs: dict[str, str] = field(default_factory=dict)
    self_attrs: dict[str, Deps] = field(default_factory=dict)
    self_attr_refs: dict[str, tuple[CallableRef, ...]] = field(default_factory=dict)
    return_refs: tuple[CallableRef, ...] = ()

    def freeze(self) -> Scope:
        names: dict[str, tuple[int, ...]] = {}
        for index, definition in enumerate(self.flow.definitions):
            names[definition.name] = names.get(definition.name, ()) + (index,)
        return Scope(
            self.id, self.kind, self.name, self.index, self.parent, self.class_id, self.params,
            self.decorators, tuple(self.flow.definitions), names, tuple(self.calls), self.returns,
            tuple(self.blocks), self.defs, self.self_attrs, self.self_attr_refs, self.return_refs,
        )


@dataclass
class Walk:
    """Where the builder is inside the current scope."""

    self_name: str | None = None
    globals: set[str] = field(default_factory=set)
    blocks: tuple[int, ...] = ()
    loop_depth: int = 0
    arms: tuple[tuple[int, int], ...] = ()  # the branch arms around the current point (see model.LOOP_BODY)


class IRBuilder:
    def __init__(self, path: str, keep_nodes: bool = False) -> None:
        self.path = path
        self.keep_nodes = keep_nodes
        self.nodes: list[cst.CSTNode] = []
        self.count = 0
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.lambda_ids: dict[int, str] = {}  # id() of a lambda node -> its scope id, for references to it
        self.scopes: dict[str, Draft] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.scope = self._new_scope(Draft(MODULE_SCOPE, "module", MODULE_SCOPE, -1, None))
        self.klass: ClassInfo | None = None  # set while in a class body
        self.walk = Walk()
        self.branch_ids = itertools.count()

    # -- bookkeeping -------------------------------------------------------
    def locate(self, node: cst.CSTNode) -> int:
        index = self.count
        self.count += 1
        if self.keep_nodes:
            self.nodes.append(node)
        return index

    def _new_scope(self, scope: Draft) -> Draft:
        if scope.id in self.scopes:
            scope.id = f"{scope.id}@{scope.index}"
        self.scopes[scope.id] = scope
        return scope

    def _child_id(self, name: str) -> str:
        if self.klass is not None and self.scope.kind == "class":
            return f"{self.klass.id}.{name}"
        if self.scope.kind == "module":
            return name
        return f"{self.scope.id}.<locals>.{name}"

    def build(self, module: cst.Module) -> ModuleIR:
        self.statements(module.body)
        scopes = {key: draft.freeze() for key, draft in self.scopes.items()}
        return ModuleIR(self.path, self.imports, scopes, self.classes, self.path.endswith("__init__.py"),
                        star_imports=tuple(self.star_imports))

    @property
    def flow(self) -> Flow:
        return self.scope.flow

    # -- statements --------------------------------------------------------
    def statements(self, body) -> None:
        for statement in body:
            handler = STATEMENTS.get(type(statement))
            if handler is not None:
                handler(self, statement)

    def arm(self, branch: int, arm: int, node) -> None:
        """A block (or an ``elif``) that is one arm of a branch, or a loop body."""
        saved = self.walk.arms
        self.walk.arms = saved + ((branch, arm),)
        self.if_(node) if isinstance(node, cst.If) else self.block(node)
        self.walk.arms = saved

    def block(self, node) -> None:
        """An indented block, a one-line suite, or an else/finally clause."""
        if node is None:
            return
        body = node.body
        if isinstance(body, cst.BaseSuite) or hasattr(body, "body"):
            return self.block(body)
        self.statements(body)

    def simple_line(self, node: cst.SimpleStatementLine) -> None:
        self.statements(node.body)

    def expression_statement(self, node: cst.Expr) -> None:
        self.expr(node.value)

    def assign(self, node: cst.Assign) -> None:
        statement = self.locate(node)
        value = node.value
        if isinstance(value, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in value.elements):
            parts = [self.expr(e.value) for e in value.elements]  # a, b = x, 2.0: element by element
            for target in node.targets:
                self.bind_parts(target.target, parts, statement)
            return
        deps = self.expr(value)
        ref = self.kept_ref(value, statement)
        for target in node.targets:
            self.bind(target.target, deps, statement, ref=ref, operation=is_operation(value))

    def ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            statement = self.locate(node)
            self.bind(node.target, self.expr(node.value), statement, ref=self.kept_ref(node.value, statement),
                      operation=is_operation(node.value))

    def aug_assign(self, node: cst.AugAssign) -> None:
        statement = self.locate(node)
        self.bind(node.target, merge(self.expr(node.target), self.expr(node.value)), statement, operation=True)

    def return_(self, node: cst.Return) -> None:
        if node.value is not None:
            self.returned(node.value)
        self.flow.terminate()

    def returned(self, value: cst.BaseExpression) -> None:
        """What ``return value`` (or ``yield value``: the caller's loop sees it) hands back."""
        self.scope.returns = merge(self.scope.returns, self.expr(value))
        ref = self.kept_ref(value, self.scope.index)
        if ref is not None:
            self.scope.return_refs += (ref,)

    def yield_(self, node: cst.Yield) -> Deps:
        value = node.value.item if isinstance(node.value, cst.From) else node.value
        if value is not None:
            self.returned(value)
        return ()  # the value sent in, never a tensor the analysis knows

    def assert_(self, node: cst.Assert) -> None:
        self.expr(node.test)
        if node.msg is not None:
            self.expr(node.msg)

    def raise_(self, node: cst.Raise) -> None:
        if node.exc is not None:
            self.expr(node.exc)
        self.flow.terminate()

    def break_(self, node: cst.Break) -> None:
        self.flow.jump(to_exit=True)

    def continue_(self, node: cst.Continue) -> None:
        self.flow.jump(to_exit=False)

    def global_(self, node: cst.Global) -> None:
        self.walk.globals.update(item.name.value for item in node.names)

    def import_(self, node: cst.Import) -> None:
        for alias in node.names:
            full = import_target(alias.name)
            if alias.asname is not None:
                self.imports[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.imports.setdefault(head, head)

    def import_from(self, node: cst.ImportFrom) -> None:
        module = "." * len(node.relative) + (import_target(node.module) if node.module else "")
        if isinstance(node.names, cst.ImportStar):
            self.star_imports.append(module)
            return
        for alias in node.names:
            name = import_target(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            sep = "" if module.endswith(".") else "."
            self.imports[local] = f"{module}{sep}{name}"

    def if_(self, node: cst.If) -> None:
        self.expr(node.test)
        branch = next(self.branch_ids)
        entry = self.flow.snapshot()
        self.arm(branch, 0, node.body)
        taken = self.flow.snapshot()
        self.flow.restore(entry)
        self.arm(branch, 1, node.orelse)
        self.flow.restore(join(taken, self.flow.snapshot()))

    def for_(self, node: cst.For) -> None:
        iteration = self.expr(node.iter)
        self._loop(node, lambda: self.bind_iteration(node.target, node.iter, iteration))

    def while_(self, node: cst.While) -> None:
        self._loop(node, lambda: self.expr(node.test))

    def _loop(self, node, head: Callable[[], object]) -> None:
        """The body runs zero or more times: its rebinds reach the head and the exit."""
        loop = self.flow.enter_loop(rebound_names(node.body, MUTATING_METHODS))
        head()
        self.walk.loop_depth += 1
        self.arm(next(self.branch_ids), LOOP_BODY, node.body)
        self.walk.loop_depth -= 1
        at_head = self.flow.leave_body(loop)
        self.flow.restore(at_head)
        self.block(node.orelse)
        self.flow.restore(join(self.flow.snapshot(), *loop.breaks))

    def try_(self, node) -> None:
        start = len(self.flow.definitions)
        entry = self.flow.snapshot()
        branch = next(self.branch_ids)
        self.arm(branch, 0, node.body)
        handler_entry = self.flow.defined_since(start, join(entry, self.flow.snapshot()))
        ends = []
        self.block(node.orelse)
        ends.append(self.flow.snapshot())
        for number, handler in enumerate(node.handlers, 1):
            self.flow.restore(handler_entry)
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name is not None:
                self.bind(handler.name.name, (), -1)
            self.arm(branch, number, handler.body)
            ends.append(self.flow.snapshot())
        self.flow.restore(join(*ends))
        self.block(node.finalbody)

    def match_(self, node: cst.Match) -> None:
        self.expr(node.subject)
        entry = self.flow.snapshot()
        ends = [entry]
        branch = next(self.branch_ids)
        for number, case in enumerate(node.cases):
            self.flow.restore(entry)
            self.arm(branch, number, case.body)
            ends.append(self.flow.snapshot())
        self.flow.restore(join(*ends))

    def with_(self, node: cst.With) -> None:
        statement = self.locate(node)
        opened: tuple[int, ...] = ()
        for item in node.items:
            deps = self.expr(item.item)
            target = item.asname.name if item.asname is not None else None
            if target is not None:
                self.bind(target, deps, statement, CONTEXT)
            name = target.value if isinstance(target, cst.Name) else None
            self.scope.blocks.append(Block(statement, deps, name))
            opened += (len(self.scope.blocks) - 1,)
        saved = self.walk.blocks
        self.walk.blocks = saved + opened
        self.block(node.body)
        self.walk.blocks = saved
        for position in opened:
            self.scope.blocks[position] = replace(self.scope.blocks[position], end=self.count)

    def function_def(self, node: cst.FunctionDef) -> None:
        index = self.locate(node)
        decorators = tuple(self._decorator(d) for d in node.decorators)
        self._defaults(node.params)
        name = node.name.value
        in_class = self.scope.kind == "class" and self.klass is not None
        scope = self._new_scope(Draft(
            self._child_id(name), "function", name, index, self._function_parent(),
            class_id=self.klass.id if in_class else None,
            params=self._params(node.params), decorators=tuple(d for d in decorators if d),
        ))
        if in_class:
            self.klass.methods[name] = scope.id
        else:
            self.scope.defs[name] = scope.id
        first = scope.params[0].name if scope.params else None
        method_self = first if in_class and not {"staticmethod", "classmethod"} & set(scope.decorators) else None
        self._enter(scope, lambda: self.block(node.body), method_self)

    def class_def(self, node: cst.ClassDef) -> None:
        index = self.locate(node)
        for decorator in node.decorators:
            self.expr(decorator.decorator)
        bases = []
        for base in node.bases:
            self.expr(base.value)
            if base.keyword is None and (name := dotted_name(base.value)):
                bases.append(name)
        name = node.name.value
        info = ClassInfo(self._child_id(name), name, index, self._function_parent(), tuple(bases), {})
        self.classes[info.id] = info
        self.scope.defs[name] = info.id
        body_scope = self._new_scope(Draft(info.id + ".<body>", "class", name, index, self._function_parent()))
        saved_class = self.klass
        self.klass = info
        self._enter(body_scope, lambda: self.block(node.body), None)
        self.klass = saved_class

    def _function_parent(self) -> str:
        """Python's name resolution skips class bodies."""
        return self.scope.parent if self.scope.kind == "class" else self.scope.id

    def _enter(self, scope: Draft, walk: Callable[[], object], self_name: str | None) -> object:
        saved = (self.scope, self.walk)
        self.scope, self.walk = scope, Walk(self_name)
        for param in scope.params:
            self.flow.define(param.name, PARAM, ())
        try:
            return walk()
        finally:
            self.scope, self.walk = saved

    def _decorator(self, decorator: cst.Decorator) -> str | None:
        self.expr(decorator.decorator)
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        return dotted_name(target)

    def _defaults(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.expr(param.default)

    @staticmethod
    def _params(params: cst.Parameters) -> tuple[Param, ...]:
        out = [Param(p.name.value, "positional") for p in (*params.posonly_params, *params.params)]
        if isinstance(params.star_arg, cst.Param):
            out.append(Param(params.star_arg.name.value, "vararg"))
        out.extend(Param(p.name.value, "keyword") for p in params.kwonly_params)
        if params.star_kwarg is not None:
            out.append(Param(params.star_kwarg.name.value, "varkw"))
        return tuple(out)

    # -- binding -----------------------------------------------------------
    def bind_parts(self, target: cst.BaseExpression, parts: list[Deps], statement: int) -> None:
        """Unpack element by element when the shapes agree, else bind the union."""
        elements = target.elements if isinstance(target, (cst.Tuple, cst.List)) else None
        if elements is not None and len(elements) == len(parts) and not any(
                isinstance(e, cst.StarredElement) for e in elements):
            for element, deps in zip(elements, parts):
                self.bind(element.value, deps, statement)
        else:
            self.bind(target, merge(*parts) if parts else (), statement)

    def bind_iteration(self, target: cst.BaseExpression, iterable: cst.BaseExpression, deps: Deps) -> None:
        """``for v, c in zip(vs, cs)`` and ``for i, v in enumerate(vs)`` unpack per position."""
        callee = dotted_name(iterable.func) if isinstance(iterable, cst.Call) else None
        if callee in ITERATION_SPLITTERS and deps:
            call = next(c for c in reversed(self.scope.calls) if c.index == deps[0].index)
            if not any(arg.star or arg.keyword for arg in call.args):
                self.bind_parts(target, ITERATION_SPLITTERS[callee]([arg.deps for arg in call.args]), -1)
                return
        self.bind(target, deps, -1, ITERATION)

    def bind(self, target: cst.BaseExpression, deps: Deps, statement: int, kind: str = ASSIGN,
             ref: CallableRef | None = None, operation: bool = False) -> None:
        if isinstance(target, cst.Name):
            self.define(target.value, kind, deps, statement, ref, operation)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, deps, statement, kind)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, deps, statement, kind)
        elif isinstance(target, cst.Attribute):
            if isinstance(target.value, cst.Name) and target.value.value == self.walk.self_name:
                old = self.scope.self_attrs.get(target.attr.value, ())
                self.scope.self_attrs[target.attr.value] = merge(old, deps)
                if ref is not None:
                    attr = target.attr.value
                    self.scope.self_attr_refs[attr] = self.scope.self_attr_refs.get(attr, ()) + (ref,)
            else:
                self.expr(target.value)
        elif isinstance(target, cst.Subscript):
            self._slices(target)
            if isinstance(target.value, cst.Name):  # x[i] = v mutates x
                name = target.value.value
                self.define(name, MUTATION, merge(self.flow.read(name), deps), statement)

    def define(self, name: str, kind: str, deps: Deps, statement: int, ref: CallableRef | None = None,
               operation: bool = False) -> None:
        if name in self.walk.globals and self.scope.kind != "module":
            # ``global x; x = ...``: a module-level binding whose value the module cannot see
            self.scopes[MODULE_SCOPE].flow.definitions.append(Definition(name, GLOBAL, (), statement))
            return
        self.flow.define(name, kind, deps, statement, ref, operation)

    # -- references to callables -------------------------------------------------
    def value_ref(self, node: cst.BaseExpression, site: int) -> CallableRef | None:
        """What a value names that may be called later: a name chain, a lambda, or
        the callables in a container, a subscript of one, or either arm of an ``if``."""
        if isinstance(node, cst.Lambda):
            scope = self.lambda_ids.get(id(node))
            return CallableRef(scope=scope, site=site) if scope else None
        name = dotted_name(node)
        if name is not None:
            return CallableRef(dotted=name, site=site)
        if isinstance(node, cst.Subscript):
            return self.value_ref(node.value, site)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            items = [e.value for e in node.elements]
        elif isinstance(node, cst.Dict):
            items = [e.value for e in node.elements if isinstance(e, cst.DictElement)]
        elif isinstance(node, cst.IfExp):
            items = [node.body, node.orelse]
        else:
            return None
        refs = tuple(ref for ref in (self.value_ref(item, site) for item in items) if ref is not None)
        return CallableRef(items=refs, site=site) if refs else None

    def kept_ref(self, node: cst.BaseExpression, site: int) -> CallableRef | None:
        """The reference a binding keeps: only where its dependencies lose it (a plain
        name, a lambda and a call result are already atoms the analysis follows)."""
        if isinstance(node, (cst.Name, cst.Lambda, cst.Call)):
            return None
        return self.value_ref(node, site)

    # -- expressions ---------------------------------------------------------
    def expr(self, node: cst.BaseExpression) -> Deps:
        handler = EXPRESSIONS.get(type(node))
        if handler is not None:
            return handler(self, node)
        return self.children(node)

    def children(self, node: cst.CSTNode) -> Deps:
        """Fallback: the union of what the child expressions depend on."""
        found = [self.expr(c) for c in node.children if isinstance(c, cst.BaseExpression)]
        found += [self.children(c) for c in node.children if not isinstance(c, cst.BaseExpression)]
        return merge(*found) if found else ()

    def walk_only(self, node: cst.CSTNode) -> Deps:
        """Visit for the calls inside, but the value itself carries no gradient."""
        self.children(node)
        return ()

    def name(self, node: cst.Name) -> Deps:
        if node.value in ("True", "False", "None"):
            return ()
        if node.value in self.walk.globals and self.scope.kind != "module":
            return (Free(node.value),)  # ``global x``: the module's x, read by the analysis
        return self.flow.read(node.value)

    def attribute(self, node: cst.Attribute) -> Deps:
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value == self.walk.self_name and self.walk.self_name:
            return () if attr in STATIC_ATTRIBUTES else (SelfAttr(attr),)
        deps = self.expr(node.value)
        return () if attr in STATIC_ATTRIBUTES else deps

    def subscript(self, node: cst.Subscript) -> Deps:
        deps = self.expr(node.value)
        self._slices(node)
        return deps

    def _slices(self, node: cst.Subscript) -> None:
        for element in node.slice:
            self.children(element)

    def binary(self, node) -> Deps:
        return merge(self.expr(node.left), self.expr(node.right))

    def unary(self, node: cst.UnaryOperation) -> Deps:
        deps = self.expr(node.expression)
        return () if isinstance(node.operator, cst.Not) else deps

    def if_exp(self, node: cst.IfExp) -> Deps:
        self.expr(node.test)
        return merge(self.expr(node.body), self.expr(node.orelse))

    def sequence(self, node) -> Deps:
        return merge(*(self.expr(e.value) for e in node.elements)) if node.elements else ()

    def dict_(self, node: cst.Dict) -> Deps:
        found = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self.expr(element.key)
            found.append(self.expr(element.value))
        return merge(*found) if found else ()

    def comprehension(self, node) -> Deps:
        clause = node.for_in
        while clause is not None:
            self.bind_iteration(clause.target, clause.iter, self.expr(clause.iter))
            for condition in clause.ifs:
                self.expr(condition.test)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self.expr(node.key)
            return self.expr(node.value)
        return self.expr(node.elt)

    def comparison(self, node: cst.Comparison) -> Deps:
        """``a < b < c``: an operation whose operands are kept (``tf.where(x > 0, ...)`` reads ``x``
        through it); the analysis decides that its value carries no gradient."""
        index = self.locate(node)
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        args = tuple(Arg(None, self.expr(operand)) for operand in operands)
        self.scope.calls.append(
            Call(index, None, (), args, self.walk.blocks, None, self.walk.loop_depth, "compare", self.walk.arms))
        return (Result(index),)

    def named_expr(self, node: cst.NamedExpr) -> Deps:
        deps = self.expr(node.value)
        self.bind(node.target, deps, -1)
        return deps

    def lambda_(self, node: cst.Lambda) -> str:
        index = self.locate(node)
        self._defaults(node.params)
        scope = self._new_scope(Draft(
            f"<lambda@{index}>", "lambda", "<lambda>", index, self._function_parent(),
            params=self._params(node.params),
        ))

        def body() -> None:
            scope.returns = self.expr(node.body)

        self._enter(scope, body, self.walk.self_name)  # ``self`` is still the method's inside a lambda
        self.lambda_ids[id(node)] = scope.id
        return scope.id

    def call(self, node: cst.Call) -> Deps:
        index = self.locate(node)
        func = node.func
        callee = dotted_name(func)
        attr = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = self.expr(func.value if isinstance(func, cst.Attribute) else func)
        args = tuple(self._argument(a, index) for a in node.args)
        self.scope.calls.append(
            Call(index, callee, receiver, args, self.walk.blocks, attr, self.walk.loop_depth, arms=self.walk.arms))
        if attr in MUTATING_METHODS and isinstance(func.value, cst.Name):  # terms.append(x) changes terms
            name = func.value.value
            if name not in self.imports or self.flow.is_live(name):  # np.append(...) never rebinds np
                self.define(name, MUTATION, merge(receiver, *(a.deps for a in args)), -1)
        return (Result(index),)

    def _argument(self, arg: cst.Arg, site: int) -> Arg:
        keyword = arg.keyword.value if arg.keyword is not None else None
        value = arg.value
        if isinstance(value, cst.Lambda):
            return Arg(keyword, (), CallableRef(scope=self.lambda_(value), site=site), len(arg.star))
        deps = self.expr(value)
        if isinstance(value, cst.Call):  # the call just summarised: functools.partial(f, ...)?
            ref = partial_ref(self.scope.calls[-1])
        else:
            ref = self.value_ref(value, site)
        return Arg(keyword, deps, ref, len(arg.star), constant_value(value), is_operation(value))


def is_operation(node: cst.BaseExpression) -> bool:
    """An arithmetic operator expression (``a - b``, ``-x``, ``a @ b``): in TensorFlow, an op on a tensor."""
    if isinstance(node, cst.UnaryOperation):
        return not isinstance(node.operator, cst.Not)
    return isinstance(node, cst.BinaryOperation)


def constant_value(node: cst.BaseExpression) -> object:
    """The value of a literal argument (``persistent=True``, ``0.5``), else ``NO_CONSTANT``."""
    if isinstance(node, cst.Name):
        return {"True": True, "False": False, "None": None}.get(node.value, NO_CONSTANT)
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        try:
            return ast.literal_eval(node.value)
        except (ValueError, SyntaxError):
            return NO_CONSTANT
    return NO_CONSTANT


# Builtins whose items pair up with the loop target's elements.
ITERATION_SPLITTERS: dict[str, Callable[[list[Deps]], list[Deps]]] = {
    "zip": lambda parts: parts,
    "enumerate": lambda parts: [(), parts[0]] if len(parts) == 1 else [merge(*parts)],
}

STATEMENTS: dict[type, Callable] = {
    cst.SimpleStatementLine: IRBuilder.simple_line,
    cst.Expr: IRBuilder.expression_statement,
    cst.Assign: IRBuilder.assign,
    cst.AnnAssign: IRBuilder.ann_assign,
    cst.AugAssign: IRBuilder.aug_assign,
    cst.Return: IRBuilder.return_,
    cst.Assert: IRBuilder.assert_,
    cst.Raise: IRBuilder.raise_,
    cst.Break: IRBuilder.break_,
    cst.Continue: IRBuilder.continue_,
    cst.Global: IRBuilder.global_,
    cst.Import: IRBuilder.import_,
    cst.ImportFrom: IRBuilder.import_from,
    cst.If: IRBuilder.if_,
    cst.For: IRBuilder.for_,
    cst.While: IRBuilder.while_,
    cst.Try: IRBuilder.try_,
    cst.TryStar: IRBuilder.try_,
    cst.Match: IRBuilder.match_,
    cst.With: IRBuilder.with_,
    cst.FunctionDef: IRBuilder.function_def,
    cst.ClassDef: IRBuilder.class_def,
}

EXPRESSIONS: dict[type, Callable] = {
    cst.Name: IRBuilder.name,
    cst.Attribute: IRBuilder.attribute,
    cst.Subscript: IRBuilder.subscript,
    cst.Call: IRBuilder.call,
    cst.BinaryOperation: IRBuilder.binary,
    cst.BooleanOperation: IRBuilder.binary,
    cst.UnaryOperation: IRBuilder.unary,
    cst.Comparison: IRBuilder.comparison,
    cst.IfExp: IRBuilder.if_exp,
    cst.Tuple: IRBuilder.sequence,
    cst.List: IRBuilder.sequence,
    cst.Set: IRBuilder.sequence,
    cst.Dict: IRBuilder.dict_,
    cst.ListComp: IRBuilder.comprehension,
    cst.SetComp: IRBuilder.comprehension,
    cst.GeneratorExp: IRBuilder.comprehension,
    cst.DictComp: IRBuilder.comprehension,
    cst.NamedExpr: IRBuilder.named_expr,
    cst.Yield: IRBuilder.yield_,
    cst.Lambda: lambda builder, node: (LambdaRef(builder.lambda_(node)),),
    cst.FormattedString: IRBuilder.walk_only,
    cst.SimpleString: lambda builder, node: (),
    cst.ConcatenatedString: lambda builder, node: (),
    cst.Integer: lambda builder, node: (),
    cst.Float: lambda builder, node: (),
    cst.Imaginary: lambda builder, node: (),
    cst.Ellipsis: lambda builder, node: (),
}


def build_ir(module: cst.Module, path: str, keep_nodes: bool = False) -> tuple[ModuleIR, list[cst.CSTNode]]:
    builder = IRBuilder(path, keep_nodes)
    return builder.build(module), builder.nodes
