"""Per-module summaries: what one file defines, imports and lets flow where.

A summary is plain data (no libcst nodes), built in one pass over the module
by :mod:`tflint_grad.summary.builder`.  The project-wide analysis combines the
summaries of all files; nothing in it needs the syntax tree again, except to
locate the few nodes that end up in a finding (see ``Locator``).  That keeps
summaries cheap to build, cacheable and safe to compute in worker processes.

Values are described by their dependencies, an ordered tuple of atoms:

* ``("n", name)``  - the value of a name (local, enclosing, global or import),
* ``("c", index)`` - the result of the call with that module-wide index,
* ``("s", attr)``  - ``self.attr`` inside a method,
* ``("l", scope)`` - a lambda (never a tensor; lets ``f = lambda x: ...; f(t)`` resolve).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Atom = tuple  # ("n", str) | ("c", int) | ("s", str) | ("l", str)
Deps = tuple  # tuple[Atom, ...], ordered as written, without repeats

NAME, CALL, SELF_ATTR, LAMBDA = "n", "c", "s", "l"

# Bump when the shape or the meaning of a summary changes: cached summaries of
# another version are never read (see ``tflint_grad/cache.py``).
SUMMARY_VERSION = 2  # 2: syntax errors at Python's own position


def merge(*groups: Deps) -> Deps:
    """Union of dependency tuples, keeping first-seen order."""
    if len(groups) == 1:
        return groups[0]
    return tuple(dict.fromkeys(atom for group in groups for atom in group))


@dataclass(frozen=True)
class CallableRef:
    """How an argument names something that may be called later.

    ``dotted`` is a name chain as written ("logpdist", "self.log_prob",
    "density.log_density"); ``scope`` the id of a lambda's scope; a
    ``functools.partial(f, a, k=b)`` is ``f``'s reference with ``bound``
    positional and ``bound_keywords`` keyword arguments already filled.
    """

    dotted: str | None = None
    scope: str | None = None
    bound: int = 0
    bound_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arg:
    keyword: str | None
    deps: Deps
    ref: CallableRef | None = None
    star: int = 0  # 1 for *args, 2 for **kwargs


@dataclass(frozen=True)
class Call:
    index: int  # module-wide, in the builder's visiting order; locates the node
    callee: str | None  # name chain of the called expression, if it is one ("np.exp", "x.numpy")
    receiver: Deps  # what the called expression itself depends on ("x" in x.numpy(), "model" in model(x))
    args: tuple[Arg, ...]
    regions: tuple[int, ...]  # tape regions (positions in Scope.regions) that contain the call
    attr: str | None = None  # method name when the called expression is ``something.attr``


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "positional", "vararg", "keyword", "varkw"


@dataclass(frozen=True)
class TapeRegion:
    index: int  # locator of the ``with`` statement
    tape_name: str | None  # the ``as`` target


@dataclass
class Scope:
    id: str  # "<module>", "pdist", "Model.call", "fit.<locals>.loss", "<lambda@12>"
    kind: str  # "module" | "function" | "lambda" | "class" (a class body)
    name: str
    index: int  # locator of the def/lambda node (module: -1)
    parent: str | None  # enclosing function/module scope (class bodies are skipped, as Python does)
    class_id: str | None = None  # for methods: the class they are defined in
    params: tuple[Param, ...] = ()
    decorators: tuple[str, ...] = ()
    bindings: dict[str, Deps] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    returns: Deps = ()
    regions: list[TapeRegion] = field(default_factory=list)
    defs: dict[str, str] = field(default_factory=dict)  # local name -> scope/class id defined here
    self_attrs: dict[str, Deps] = field(default_factory=dict)  # self.X = ... in this method

    def bind(self, name: str, deps: Deps) -> None:
        old = self.bindings.get(name)
        self.bindings[name] = deps if old is None else merge(old, deps)


@dataclass
class ClassInfo:
    id: str
    name: str
    index: int
    parent: str  # the scope the class statement is in
    bases: tuple[str, ...]  # name chains as written
    methods: dict[str, str] = field(default_factory=dict)  # method name -> scope id


@dataclass
class ModuleSummary:
    path: str
    imports: dict[str, str]  # local alias -> qualified name ("np" -> "numpy"); relative ones keep their dots
    scopes: dict[str, Scope]
    classes: dict[str, ClassInfo]
    is_package: bool = False  # an __init__.py


def self_name(scope: Scope) -> str | None:
    """The name a method calls its instance (``self``), or None."""
    if scope.class_id is None or not scope.params:
        return None
    if "staticmethod" in scope.decorators or "classmethod" in scope.decorators:
        return None
    return scope.params[0].name


def positional_args(call: Call) -> list[Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def partial_ref(call: Call) -> CallableRef | None:
    """``functools.partial(f, a, k=b)`` as f's reference with the bound arguments."""
    if not (call.callee or "").endswith("partial"):
        return None
    positional = positional_args(call)
    if not positional or positional[0].ref is None:
        return None
    first = positional[0].ref
    keywords = tuple(a.keyword for a in call.args if a.keyword is not None)
    return CallableRef(first.dotted, first.scope, first.bound + len(positional) - 1, first.bound_keywords + keywords)
