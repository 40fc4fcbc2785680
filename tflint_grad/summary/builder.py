"""Build a :class:`ModuleSummary` from a libcst module in one pass.

The walk is explicit (statement and expression tables below) rather than a
``CSTVisitor``: every expression returns the dependencies of its value, which a
visitor cannot do.  Every node that a finding may later need to point at (calls,
definitions, ``with`` statements) gets an index in visiting order; re-running
the builder with ``keep_nodes=True`` maps indices back to nodes, so positions
are only computed for the few files that have findings.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

from ..analysis.apis import MUTATING_METHODS, STATIC_ATTRIBUTES, normalize
from .model import (
    CALL, LAMBDA, NAME, SELF_ATTR, Arg, CallableRef, Call, ClassInfo, Deps, ModuleSummary,
    Param, Scope, TapeRegion, merge, partial_ref, self_name,
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


class SummaryBuilder:
    def __init__(self, path: str, keep_nodes: bool = False) -> None:
        self.path = path
        self.keep_nodes = keep_nodes
        self.nodes: list[cst.CSTNode] = []
        self.count = 0
        self.imports: dict[str, str] = {}
        self.scopes: dict[str, Scope] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.scope = self._new_scope(Scope(MODULE_SCOPE, "module", MODULE_SCOPE, -1, None))
        self.klass: ClassInfo | None = None  # set while in a class body
        self.self_name: str | None = None  # first parameter of the current method
        self.globals: set[str] = set()
        self.regions: tuple[int, ...] = ()

    # -- bookkeeping -------------------------------------------------------
    def locate(self, node: cst.CSTNode) -> int:
        index = self.count
        self.count += 1
        if self.keep_nodes:
            self.nodes.append(node)
        return index

    def _new_scope(self, scope: Scope) -> Scope:
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

    def build(self, module: cst.Module) -> ModuleSummary:
        self.statements(module.body)
        return ModuleSummary(self.path, self.imports, self.scopes, self.classes)

    # -- statements --------------------------------------------------------
    def statements(self, body) -> None:
        for statement in body:
            handler = STATEMENTS.get(type(statement))
            if handler is not None:
                handler(self, statement)

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
        value = node.value
        if isinstance(value, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in value.elements):
            parts = [self.expr(e.value) for e in value.elements]  # a, b = x, 2.0: element by element
            for target in node.targets:
                self.bind_parts(target.target, parts)
            return
        deps = self.expr(value)
        for target in node.targets:
            self.bind(target.target, deps)

    def ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value))

    def aug_assign(self, node: cst.AugAssign) -> None:
        self.bind(node.target, merge(self.expr(node.target), self.expr(node.value)))

    def return_(self, node: cst.Return) -> None:
        if node.value is not None:
            self.scope.returns = merge(self.scope.returns, self.expr(node.value))

    def assert_(self, node: cst.Assert) -> None:
        self.expr(node.test)
        if node.msg is not None:
            self.expr(node.msg)

    def raise_(self, node: cst.Raise) -> None:
        if node.exc is not None:
            self.expr(node.exc)

    def global_(self, node: cst.Global) -> None:
        self.globals.update(item.name.value for item in node.names)

    def import_(self, node: cst.Import) -> None:
        for alias in node.names:
            full = import_target(alias.name)
            if alias.asname is not None:
                self.imports[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.imports.setdefault(head, head)

    def import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = "." * len(node.relative) + (import_target(node.module) if node.module else "")
        for alias in node.names:
            name = import_target(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            sep = "" if module.endswith(".") else "."
            self.imports[local] = f"{module}{sep}{name}"

    def if_(self, node: cst.If) -> None:
        self.expr(node.test)
        self.block(node.body)
        if isinstance(node.orelse, cst.If):
            self.if_(node.orelse)
        else:
            self.block(node.orelse)

    def for_(self, node: cst.For) -> None:
        self.bind_iteration(node.target, node.iter)
        self.block(node.body)
        self.block(node.orelse)

    def while_(self, node: cst.While) -> None:
        self.expr(node.test)
        self.block(node.body)
        self.block(node.orelse)

    def try_(self, node) -> None:
        self.block(node.body)
        for handler in node.handlers:
            if handler.type is not None:
                self.expr(handler.type)
            self.block(handler.body)
        self.block(node.orelse)
        self.block(node.finalbody)

    def match_(self, node: cst.Match) -> None:
        self.expr(node.subject)
        for case in node.cases:
            self.block(case.body)

    def with_(self, node: cst.With) -> None:
        index = self.locate(node)
        opened: tuple[int, ...] = ()
        for item in node.items:
            value = item.item
            deps = self.expr(value)
            if item.asname is not None:
                self.bind(item.asname.name, deps)
            if self._is_tape(value):
                tape = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
                self.scope.regions.append(TapeRegion(index, tape))
                opened += (len(self.scope.regions) - 1,)
        saved = self.regions
        self.regions = saved + opened
        self.block(node.body)
        self.regions = saved

    def _is_tape(self, value: cst.BaseExpression) -> bool:
        """TensorFlow's ``GradientTape(...)`` under any import alias (resolved with the
        imports seen so far), not a same-named class of another backend."""
        callee = dotted_name(value.func) if isinstance(value, cst.Call) else None
        if callee is None:
            return False
        head, _, rest = callee.partition(".")
        if head not in self.imports:
            return False
        return normalize(".".join(filter(None, (self.imports[head], rest)))) == "tensorflow.GradientTape"

    def function_def(self, node: cst.FunctionDef) -> None:
        index = self.locate(node)
        decorators = tuple(self._decorator(d) for d in node.decorators)
        self._defaults(node.params)
        name = node.name.value
        scope = self._new_scope(Scope(
            self._child_id(name), "function", name, index, self._function_parent(),
            class_id=self.klass.id if self.scope.kind == "class" and self.klass else None,
            params=self._params(node.params), decorators=tuple(d for d in decorators if d),
        ))
        if scope.class_id is not None:
            self.klass.methods[name] = scope.id
        else:
            self.scope.defs[name] = scope.id
        self._enter(scope, node.body, self_name(scope))

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
        info = ClassInfo(self._child_id(name), name, index, self._function_parent(), tuple(bases))
        self.classes[info.id] = info
        self.scope.defs[name] = info.id
        body_scope = self._new_scope(Scope(info.id + ".<body>", "class", name, index, self._function_parent()))
        saved_class = self.klass
        self.klass = info
        self._enter(body_scope, node.body, None)
        self.klass = saved_class

    def _function_parent(self) -> str:
        """Python's name resolution skips class bodies."""
        return self.scope.parent if self.scope.kind == "class" else self.scope.id

    def _enter(self, scope: Scope, body, self_name: str | None) -> None:
        saved = (self.scope, self.self_name, self.globals, self.regions)
        self.scope, self.self_name, self.globals, self.regions = scope, self_name, set(), ()
        self.block(body)
        self.scope, self.self_name, self.globals, self.regions = saved

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
    def bind_parts(self, target: cst.BaseExpression, parts: list[Deps]) -> None:
        """Unpack element by element when the shapes agree, else bind the union."""
        elements = target.elements if isinstance(target, (cst.Tuple, cst.List)) else None
        if elements is not None and len(elements) == len(parts) and not any(
                isinstance(e, cst.StarredElement) for e in elements):
            for element, deps in zip(elements, parts):
                self.bind(element.value, deps)
        else:
            self.bind(target, merge(*parts) if parts else ())

    def bind_iteration(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        """``for v, c in zip(vs, cs)`` and ``for i, v in enumerate(vs)`` unpack per position."""
        deps = self.expr(iterable)
        callee = dotted_name(iterable.func) if isinstance(iterable, cst.Call) else None
        if callee in ITERATION_SPLITTERS and deps:
            call = next(c for c in reversed(self.scope.calls) if c.index == deps[0][1])
            if not any(arg.star or arg.keyword for arg in call.args):
                self.bind_parts(target, ITERATION_SPLITTERS[callee]([arg.deps for arg in call.args]))
                return
        self.bind(target, deps)

    def bind(self, target: cst.BaseExpression, deps: Deps) -> None:
        if isinstance(target, cst.Name):
            scope = self.scopes[MODULE_SCOPE] if target.value in self.globals else self.scope
            scope.bind(target.value, deps)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, deps)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, deps)
        elif isinstance(target, cst.Attribute):
            if isinstance(target.value, cst.Name) and target.value.value == self.self_name:
                old = self.scope.self_attrs.get(target.attr.value, ())
                self.scope.self_attrs[target.attr.value] = merge(old, deps)
            else:
                self.expr(target.value)
        elif isinstance(target, cst.Subscript):
            self._slices(target)
            if isinstance(target.value, cst.Name):  # x[i] = v mutates x
                self.bind(target.value, deps)

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
        return ((NAME, node.value),)

    def attribute(self, node: cst.Attribute) -> Deps:
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value == self.self_name and self.self_name:
            return () if attr in STATIC_ATTRIBUTES else ((SELF_ATTR, attr),)
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
            self.bind_iteration(clause.target, clause.iter)
            for condition in clause.ifs:
                self.expr(condition.test)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self.expr(node.key)
            return self.expr(node.value)
        return self.expr(node.elt)

    def named_expr(self, node: cst.NamedExpr) -> Deps:
        deps = self.expr(node.value)
        self.bind(node.target, deps)
        return deps

    def lambda_(self, node: cst.Lambda) -> str:
        index = self.locate(node)
        self._defaults(node.params)
        scope = self._new_scope(Scope(
            f"<lambda@{index}>", "lambda", "<lambda>", index, self._function_parent(),
            params=self._params(node.params),
        ))
        saved = (self.scope, self.self_name, self.globals, self.regions)
        self.scope, self.globals, self.regions = scope, set(), ()
        scope.returns = self.expr(node.body)
        self.scope, self.self_name, self.globals, self.regions = saved
        return scope.id

    def call(self, node: cst.Call) -> Deps:
        index = self.locate(node)
        func = node.func
        callee = dotted_name(func)
        attr = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = self.expr(func.value if isinstance(func, cst.Attribute) else func)
        args = tuple(self._argument(a) for a in node.args)
        self.scope.calls.append(Call(index, callee, receiver, args, self.regions, attr))
        if attr in MUTATING_METHODS and isinstance(func.value, cst.Name) and func.value.value not in self.imports:
            # terms.append(x) changes terms; np.append(...) is a function of the module np, not a mutation
            self.bind(func.value, merge(*(a.deps for a in args)) if args else ())
        return ((CALL, index),)

    def _argument(self, arg: cst.Arg) -> Arg:
        keyword = arg.keyword.value if arg.keyword is not None else None
        value = arg.value
        if isinstance(value, cst.Lambda):
            return Arg(keyword, (), CallableRef(scope=self.lambda_(value)), len(arg.star))
        deps = self.expr(value)
        name = dotted_name(value)
        if name is not None:
            ref = CallableRef(dotted=name)
        elif isinstance(value, cst.Call):  # the call just summarised: functools.partial(f, ...)?
            ref = partial_ref(self.scope.calls[-1])
        else:
            ref = None
        return Arg(keyword, deps, ref, len(arg.star))


# Builtins whose items pair up with the loop target's elements.
ITERATION_SPLITTERS: dict[str, Callable[[list[Deps]], list[Deps]]] = {
    "zip": lambda parts: parts,
    "enumerate": lambda parts: [(), parts[0]] if len(parts) == 1 else [merge(*parts)],
}

STATEMENTS: dict[type, Callable] = {
    cst.SimpleStatementLine: SummaryBuilder.simple_line,
    cst.Expr: SummaryBuilder.expression_statement,
    cst.Assign: SummaryBuilder.assign,
    cst.AnnAssign: SummaryBuilder.ann_assign,
    cst.AugAssign: SummaryBuilder.aug_assign,
    cst.Return: SummaryBuilder.return_,
    cst.Assert: SummaryBuilder.assert_,
    cst.Raise: SummaryBuilder.raise_,
    cst.Global: SummaryBuilder.global_,
    cst.Import: SummaryBuilder.import_,
    cst.ImportFrom: SummaryBuilder.import_from,
    cst.If: SummaryBuilder.if_,
    cst.For: SummaryBuilder.for_,
    cst.While: SummaryBuilder.while_,
    cst.Try: SummaryBuilder.try_,
    cst.TryStar: SummaryBuilder.try_,
    cst.Match: SummaryBuilder.match_,
    cst.With: SummaryBuilder.with_,
    cst.FunctionDef: SummaryBuilder.function_def,
    cst.ClassDef: SummaryBuilder.class_def,
}

EXPRESSIONS: dict[type, Callable] = {
    cst.Name: SummaryBuilder.name,
    cst.Attribute: SummaryBuilder.attribute,
    cst.Subscript: SummaryBuilder.subscript,
    cst.Call: SummaryBuilder.call,
    cst.BinaryOperation: SummaryBuilder.binary,
    cst.BooleanOperation: SummaryBuilder.binary,
    cst.UnaryOperation: SummaryBuilder.unary,
    cst.Comparison: SummaryBuilder.walk_only,
    cst.IfExp: SummaryBuilder.if_exp,
    cst.Tuple: SummaryBuilder.sequence,
    cst.List: SummaryBuilder.sequence,
    cst.Set: SummaryBuilder.sequence,
    cst.Dict: SummaryBuilder.dict_,
    cst.ListComp: SummaryBuilder.comprehension,
    cst.SetComp: SummaryBuilder.comprehension,
    cst.GeneratorExp: SummaryBuilder.comprehension,
    cst.DictComp: SummaryBuilder.comprehension,
    cst.NamedExpr: SummaryBuilder.named_expr,
    cst.Lambda: lambda builder, node: ((LAMBDA, builder.lambda_(node)),),
    cst.FormattedString: SummaryBuilder.walk_only,
    cst.SimpleString: lambda builder, node: (),
    cst.ConcatenatedString: lambda builder, node: (),
    cst.Integer: lambda builder, node: (),
    cst.Float: lambda builder, node: (),
    cst.Imaginary: lambda builder, node: (),
    cst.Ellipsis: lambda builder, node: (),
}


def build_summary(module: cst.Module, path: str, keep_nodes: bool = False) -> tuple[ModuleSummary, list[cst.CSTNode]]:
    builder = SummaryBuilder(path, keep_nodes)
    summary = builder.build(module)
    summary.is_package = path.endswith("__init__.py")
    return summary, builder.nodes
