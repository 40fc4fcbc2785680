"""The intermediate representation: what one module defines, imports, calls and binds, in order.

A module's IR is plain, frozen data (no libcst nodes), built in one pass by
:mod:`tflint_grad.ir.build`.  The project-wide analysis combines the IR of all
files; nothing in it needs the syntax tree again, except to locate the few
nodes that end up in a finding (see ``ir.located.Located``).  So an IR is
cheap to build, safe to send to worker processes and to cache: it knows no
API table (which calls are numpy, which ``with`` is a tape is decided by the
analysis).

The IR is flow-sensitive: every assignment, parameter, loop target and
``with ... as`` is a :class:`Definition`, and a use of a name refers to the
definitions that reach it at that point (``y = w.numpy(); y = w * 2.0;
loss = y`` reads only the second ``y``).  Where control flow joins (after an
``if``, at a loop head, in an ``except``) a *join* definition stands for the
definitions that may reach it.

Values are described by their dependencies, a tuple of typed atoms in the
order written, without repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Union

IR_VERSION = 5  # bump when the shape of the IR changes (caches keyed on it)


# Atoms are typed named tuples: each class carries its own tag as a second field, so
# ``Local(3) != Result(3)`` while hashing and comparing stay as cheap as for tuples
# (the analysis keeps millions of them in sets and dicts).


class Local(NamedTuple):
    """A definition of this scope (``Scope.definitions[index]``) that reaches the use."""

    index: int
    tag: str = "local"


class Free(NamedTuple):
    """A name with no definition reaching the use: enclosing, global, import or builtin
    (or, in code the flow cannot order, any definition of the name in this scope)."""

    name: str
    tag: str = "free"


class Result(NamedTuple):
    """The result of the call with that module-wide index."""

    index: int
    tag: str = "result"


class SelfAttr(NamedTuple):
    """``self.attr`` inside a method."""

    attr: str
    tag: str = "self"


class LambdaRef(NamedTuple):
    """A lambda (never a tensor; lets ``f = lambda x: ...; f(t)`` resolve)."""

    scope: str
    tag: str = "lambda"


Atom = Union[Local, Free, Result, SelfAttr, LambdaRef]
Deps = tuple  # tuple[Atom, ...]


def merge(*groups: Deps) -> Deps:
    """Union of dependency tuples, keeping first-seen order."""
    if len(groups) == 1:
        return groups[0]
    return tuple(dict.fromkeys(atom for group in groups for atom in group))


# Definition kinds.
PARAM, ASSIGN, JOIN, ITERATION, CONTEXT, MUTATION, GLOBAL = (
    "param", "assign", "join", "iteration", "context", "mutation", "global",
)


@dataclass(frozen=True, slots=True)
class CallableRef:
    """How an argument names something that may be called later.

    ``dotted`` is a name chain as written ("logpdist", "self.log_prob",
    "density.log_density"); ``scope`` the id of a lambda's scope; a
    ``functools.partial(f, a, k=b)`` is ``f``'s reference with ``bound``
    positional and ``bound_keywords`` keyword arguments already filled;
    ``items`` are the callables of a container (``[f, g]``, ``{"a": np.tanh}``,
    ``f if a else g``: any of them).  ``site`` locates the node it is written
    in (a call, a statement, a def), where a numpy function handed over as a
    value is reported.
    """

    dotted: str | None = None
    scope: str | None = None
    bound: int = 0
    bound_keywords: tuple[str, ...] = ()
    items: tuple[CallableRef, ...] = ()
    site: int = -1


@dataclass(frozen=True, slots=True)
class Definition:
    """One binding of a name: ``kind`` says how (see the constants above).

    A ``join`` stands for the definitions that may reach a point where control
    flow meets; its ``deps`` are those definitions (``Local`` atoms).  A
    ``mutation`` is ``terms.append(x)``: the old ``terms`` plus ``x``.
    ``statement`` locates the binding statement (-1 for parameters and joins).
    ``ref`` is what the value names when it may be called later and ``deps``
    lose it (``act = np.tanh``, ``losses = {"a": f, "b": g}``, ``f = table[k]``).
    ``operation`` says the value bound is computed there by an operator
    (``w - lr * g``, ``-loss``, ``x += 1``), not merely named or called.
    """

    name: str
    kind: str
    deps: Deps
    statement: int = -1
    ref: CallableRef | None = None
    operation: bool = False


NO_CONSTANT = "<not a constant>"


@dataclass(frozen=True, slots=True)
class Arg:
    keyword: str | None
    deps: Deps
    ref: CallableRef | None = None
    star: int = 0  # 1 for *args, 2 for **kwargs
    constant: object = NO_CONSTANT  # the value of a literal argument (True, 0.5, "x", None)
    operation: bool = False  # the argument is an operator expression (``-loss``, ``a + b``)


@dataclass(frozen=True, slots=True)
class Call:
    index: int  # module-wide, in the builder's visiting order (evaluation order); locates the node
    callee: str | None  # name chain of the called expression, if it is one ("np.exp", "x.numpy")
    receiver: Deps  # what the called expression itself depends on ("x" in x.numpy(), "model" in model(x))
    args: tuple[Arg, ...]
    blocks: tuple[int, ...] = ()  # the ``with`` items around the call (positions in Scope.blocks), outermost first
    attr: str | None = None  # method name when the called expression is ``something.attr``
    loop_depth: int = 0  # for/while loops around the call in its scope
    operator: str | None = None  # an operation recorded like a call: "compare" (``a < b``, its operands as args)
    arms: tuple[tuple[int, int], ...] = ()  # the branches around the call in its scope, outermost first (see Arm)


# An arm is (branch id, which arm): ``if`` body 0 / else 1, ``match`` case k, ``try`` body 0 / handler k + 1,
# and a loop body LOOP_BODY.  Branch ids are unique within a module.  Two calls under the same
# branch id with different arms never both run in one pass; a call under LOOP_BODY may run many times.
LOOP_BODY = -1


@dataclass(frozen=True, slots=True)
class Block:
    """One item of a ``with`` statement; the analysis decides whether it is a tape.

    Its body is every node whose locator lies between ``statement`` and ``end``.
    """

    statement: int  # locator of the ``with`` statement
    context: Deps  # what the context expression depends on (a Result for a call, Locals for a name)
    target: str | None  # the ``as`` name
    end: int = -1  # the first locator after its body

    def holds(self, locator: int) -> bool:
        return self.statement < locator < self.end


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str  # "positional", "vararg", "keyword", "varkw"


@dataclass(frozen=True)
class Scope:
    id: str  # "<module>", "pdist", "Model.call", "fit.<locals>.loss", "<lambda@12>"
    kind: str  # "module" | "function" | "lambda" | "class" (a class body)
    name: str
    index: int  # locator of the def/lambda node (module: -1)
    parent: str | None  # enclosing function/module scope (class bodies are skipped, as Python does)
    class_id: str | None
    params: tuple[Param, ...]
    decorators: tuple[str, ...]
    definitions: tuple[Definition, ...]
    names: dict[str, tuple[int, ...]]  # every definition of each name bound here, in order
    calls: tuple[Call, ...]  # in evaluation order
    returns: Deps
    blocks: tuple[Block, ...]
    defs: dict[str, str]  # local name -> scope/class id defined here
    self_attrs: dict[str, Deps]  # self.X = ... in this method (every assignment, merged)
    self_attr_refs: dict[str, tuple[CallableRef, ...]] = field(default_factory=dict)  # self.X = <a callable>
    return_refs: tuple[CallableRef, ...] = ()  # returned (or yielded) values that name callables: ``return np.tanh``

    def all_definitions(self, name: str) -> Deps:
        """What a name bound here may hold anywhere in the scope (as a closure sees it)."""
        return tuple(Local(i) for i in self.names.get(name, ()))


@dataclass(frozen=True)
class ClassInfo:
    id: str
    name: str
    index: int
    parent: str  # the scope the class statement is in
    bases: tuple[str, ...]  # name chains as written
    methods: dict[str, str]  # method name -> scope id


@dataclass(frozen=True)
class ModuleIR:
    path: str
    imports: dict[str, str]  # local alias -> qualified name ("np" -> "numpy"); relative ones keep their dots
    scopes: dict[str, Scope]
    classes: dict[str, ClassInfo]
    is_package: bool = False  # an __init__.py
    star_imports: tuple[str, ...] = ()  # ``from helpers import *``: the modules, in order (relative ones keep their dots)
    version: int = IR_VERSION


def self_name(scope: Scope) -> str | None:
    """The name a method calls its instance (``self``), or None."""
    if scope.class_id is None or not scope.params:
        return None
    if "staticmethod" in scope.decorators or "classmethod" in scope.decorators:
        return None
    return scope.params[0].name


def positional_args(call: Call) -> list[Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def bound_arguments(callee: Scope, args: tuple[Arg, ...], skip: int = 0) -> list[tuple[str, Arg]]:
    """Pair each argument with the parameter it binds (a starred one with every parameter it may fill)."""
    positional = [p for p in callee.params if p.kind == "positional"][skip:]
    by_name = {p.name for p in callee.params if p.kind in ("positional", "keyword")}
    vararg = next((p.name for p in callee.params if p.kind == "vararg"), None)
    varkw = next((p.name for p in callee.params if p.kind == "varkw"), None)
    pairs: list[tuple[str, Arg]] = []
    position = 0
    for arg in args:
        if arg.star == 1:
            pairs += [(p.name, arg) for p in positional[position:]]
            if vararg:
                pairs.append((vararg, arg))
        elif arg.star == 2:
            pairs += [(name, arg) for name in by_name]
            if varkw:
                pairs.append((varkw, arg))
        elif arg.keyword is None:
            if position < len(positional):
                pairs.append((positional[position].name, arg))
            elif vararg:
                pairs.append((vararg, arg))
            position += 1
        elif arg.keyword in by_name:
            pairs.append((arg.keyword, arg))
        elif varkw:
            pairs.append((varkw, arg))
    return pairs


def partial_ref(call: Call) -> CallableRef | None:
    """``functools.partial(f, a, k=b)`` as f's reference with the bound arguments."""
    if not (call.callee or "").endswith("partial"):
        return None
    positional = positional_args(call)
    if not positional or positional[0].ref is None:
        return None
    first = positional[0].ref
    keywords = tuple(a.keyword for a in call.args if a.keyword is not None)
    return CallableRef(first.dotted, first.scope, first.bound + len(positional) - 1, first.bound_keywords + keywords,
                       first.items, first.site)
