"""The project: every module's IR, and name resolution across them.

Module names follow Python's rules: a file's dotted name is its path from
the first folder upward that is not a package (has no ``__init__.py``).  So
``from model.density import log_density`` in ``train.py`` finds the helper in
``model/density.py`` when both are analysed together.
"""

from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from typing import Callable

from ..ir.model import ClassInfo, ModuleIR, Scope
from .tables.apis import qualify

BUILTIN_NAMES = frozenset(dir(builtins))
MAX_REEXPORTS = 8  # re-export chains followed (a cycle of star imports ends there)


def module_location(path: str) -> tuple[str, str]:
    """(import root folder, dotted module name) of a file, by Python's package rules."""
    folder, filename = os.path.split(os.path.abspath(path))
    stem = os.path.splitext(filename)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.append(package)
    return folder, ".".join(reversed(parts)) or stem


def module_name(path: str) -> str:
    return module_location(path)[1]


def absolute_import(importer: str, is_package: bool, imported: str) -> str:
    """Resolve a relative import ("..density.f") against the importing module's name."""
    if not imported.startswith("."):
        return imported
    dots = len(imported) - len(imported.lstrip("."))
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (dots - 1)]
    rest = imported[dots:]
    return ".".join([*base, rest]) if rest else ".".join(base)


@dataclass(frozen=True)
class Definition:
    """A function/lambda scope or a class defined somewhere in the project."""

    module: ModuleIR
    id: str
    is_class: bool

    @property
    def scope(self) -> Scope:
        return self.module.scopes[self.id]

    @property
    def klass(self) -> ClassInfo:
        return self.module.classes[self.id]


@dataclass(frozen=True)
class Binding:
    """What a name in a scope refers to."""

    kind: str  # "var" (a local/enclosing/global variable), "def", "qualified" (import/builtin)
    scope_id: str | None = None  # for "var": the scope that binds it
    definition: Definition | None = None  # for "def"
    qualified: str | None = None  # for "qualified"


class Project:
    """All analysed modules (their IR).  Two files can have the same module name (``utils.py``
    in two script folders, a ``.pyi`` stub beside its ``.py``): an import resolves
    to the one under the importer's own import root, and to source before stubs."""

    def __init__(self, summaries: list[ModuleIR], demand: Callable[[str], list[ModuleIR]] | None = None) -> None:
        self.summaries = list(summaries)
        self.modules: dict[str, list[ModuleIR]] = {}
        self.names: dict[str, str] = {}
        self.roots: dict[str, str] = {}
        # Demand-driven parsing (``tflint_grad/demand.py``): ``demand(name)`` parses the files of a
        # module asked for by name for the first time; ``added`` are told of each.
        self.demand = demand
        self.added: list[Callable[[ModuleIR], None]] = []
        self.by_path: dict[str, ModuleIR] = {}
        self._namespaced: dict[tuple[str, str], ModuleIR | None] = {}
        self._add(summaries)

    def _add(self, summaries: list[ModuleIR]) -> None:
        for summary in sorted(summaries, key=lambda s: s.path.endswith(".pyi")):
            root, name = module_location(summary.path)
            self.names[summary.path], self.roots[summary.path] = name, root
            self.modules.setdefault(name, []).append(summary)
        self.packages = frozenset(name.split(".")[0] for name in self.modules)
        self.by_path.update((os.path.abspath(summary.path), summary) for summary in summaries)
        self._namespaced.clear()  # a module added later may be the one a namespace import looked for

    def _module(self, name: str, near: ModuleIR | None) -> ModuleIR | None:
        if self.demand is not None and name not in self.modules and (found := self.demand(name)):
            self.summaries += found
            self._add(found)
            for listener in self.added:
                for summary in found:
                    listener(summary)
        candidates = self.modules.get(name)
        if not candidates:
            return self._in_namespace_package(name, near) if near is not None else None
        root = self.roots.get(near.path) if near is not None else None
        return next((m for m in candidates if self.roots[m.path] == root), candidates[0])

    def _in_namespace_package(self, name: str, near: ModuleIR) -> ModuleIR | None:
        """``from detection.models import net`` where ``detection`` is a folder without an
        ``__init__.py`` (a namespace package) under the importer's import root."""
        root = self.roots.get(near.path)
        if root is None:
            return None
        key = (name, root)
        if key not in self._namespaced:
            base = os.path.join(root, *name.split("."))
            candidates = (base + ".py", os.path.join(base, "__init__.py"))
            if self.demand is not None and not any(path in self.by_path for path in candidates):
                for path in candidates:  # parse it under the name its own folders give it
                    self._module(module_name(path), None)
            self._namespaced[key] = next((self.by_path[path] for path in candidates if path in self.by_path), None)
        return self._namespaced[key]

    # -- names inside one module ---------------------------------------------
    def lookup(self, module: ModuleIR, scope: Scope, name: str) -> Binding | None:
        current: Scope | None = scope
        while current is not None:
            if name in current.defs:
                return self._definition(module, current.defs[name])
            if name in current.names:
                return Binding("var", scope_id=current.id)
            current = module.scopes.get(current.parent) if current.parent else None
        if name in module.imports:
            return Binding("qualified", qualified=self.absolute(module, module.imports[name]))
        starred = self.starred(module, name) if module.star_imports else None
        if starred is not None:
            return Binding("qualified", qualified=starred)
        if name in BUILTIN_NAMES:
            return Binding("qualified", qualified=f"builtins.{name}")
        return None

    @staticmethod
    def _definition(module: ModuleIR, id: str) -> Binding:
        return Binding("def", definition=Definition(module, id, id in module.classes))

    def absolute(self, module: ModuleIR, imported: str) -> str:
        return absolute_import(self.names[module.path], module.is_package, imported)

    def starred(self, module: ModuleIR, name: str, depth: int = 0) -> str | None:
        """The qualified name ``from helpers import *`` gives ``name`` (the last star import that
        has it wins).  A project module has it if it binds it at top level (or star-imports
        it); a module outside the project is taken to have every public name but the builtins."""
        if name.startswith("_"):
            return None
        for star in reversed(module.star_imports):
            target = self.absolute(module, star)
            exporter = self._module(target, module)
            if exporter is None:
                if name not in BUILTIN_NAMES:
                    return f"{target}.{name}"
            elif self._binds(exporter, name) or (depth < MAX_REEXPORTS and self.starred(exporter, name, depth + 1)):
                return f"{target}.{name}"
        return None

    @staticmethod
    def _binds(module: ModuleIR, name: str) -> bool:
        top = module.scopes["<module>"]
        return name in top.defs or name in top.names or name in module.imports

    # -- qualified names across modules --------------------------------------
    def resolve(self, qualified: str, near: ModuleIR | None = None, depth: int = 0) -> Definition | None:
        """The project definition a qualified name (imported by ``near``) refers to, following re-exports."""
        parts = qualified.split(".")
        for split in range(len(parts) - 1, 0, -1):
            module = self._module(".".join(parts[:split]), near)
            if module is None:
                continue
            return self._member(module, parts[split:], depth)
        return None

    def variable(self, qualified: str, near: ModuleIR | None = None) -> ModuleIR | None:
        """The project module whose top level binds the variable ``qualified`` names (``config.ACTIVATIONS``)."""
        name, _, attr = qualified.rpartition(".")
        module = self._module(name, near) if name.split(".")[0] in self.packages else None
        return module if module is not None and attr in module.scopes["<module>"].names else None

    def _member(self, module: ModuleIR, rest: list[str], depth: int) -> Definition | None:
        top = module.scopes["<module>"]
        head = rest[0]
        if head in top.defs:
            definition = Definition(module, top.defs[head], top.defs[head] in module.classes)
            if len(rest) == 1:
                return definition
            if definition.is_class and len(rest) == 2:
                method = definition.klass.methods.get(rest[1])
                return Definition(module, method, False) if method else None
            return None
        target = self._reexported(module, head) if depth < MAX_REEXPORTS else None
        if target is not None:
            return self.resolve(".".join([target, *rest[1:]]), module, depth + 1)
        return None

    def _reexported(self, module: ModuleIR, name: str) -> str | None:
        """What a module's top-level ``name`` is imported from (by name or by a star import)."""
        if name in module.imports:
            return self.absolute(module, module.imports[name])
        top = module.scopes["<module>"]
        if module.star_imports and name not in top.defs and name not in top.names:
            return self.starred(module, name)
        return None

    def external(self, qualified: str, near: ModuleIR | None = None, depth: int = 0) -> str:
        """The name outside the project that project modules re-export under ``qualified``
        (``utils.np.exp`` -> ``numpy.exp`` when utils says ``import numpy as np``), else ``qualified``."""
        parts = qualified.split(".")
        if parts[0] not in self.packages or depth >= MAX_REEXPORTS:
            return qualified
        for split in range(len(parts) - 1, 0, -1):
            module = self._module(".".join(parts[:split]), near)
            if module is None:
                continue
            target = self._reexported(module, parts[split])
            if target is None:
                return qualified
            return self.external(".".join([target, *parts[split + 1:]]), module, depth + 1)
        return qualified

    def lookup_dotted(self, module: ModuleIR, scope: Scope, dotted: str) -> tuple[Binding | None, str]:
        """What the head of ``a.b.c`` refers to in a scope, and the rest ("b.c")."""
        head, _, rest = dotted.partition(".")
        return self.lookup(module, scope, head), rest

    def class_chain(self, definition: Definition) -> list[Definition]:
        """A project class and its project bases, nearest first, each once (cycles end)."""
        chain: list[Definition] = []
        seen: set[tuple[str, str]] = set()
        stack = [definition]
        while stack:
            current = stack.pop(0)
            key = (current.module.path, current.id)
            if key in seen or current.id not in current.module.classes:
                continue
            seen.add(key)
            chain.append(current)
            stack[0:0] = [base for base in self.class_bases(current) if isinstance(base, Definition)]
        return chain

    def class_bases(self, definition: Definition) -> list[str | Definition]:
        """Bases of a class, project classes as definitions, others as normalised names."""
        info = definition.klass
        out: list[str | Definition] = []
        scope = definition.module.scopes[info.parent]
        for base in info.bases:
            binding, rest = self.lookup_dotted(definition.module, scope, base)
            if binding is None:
                continue
            if binding.kind == "def" and binding.definition.is_class and not rest:
                out.append(binding.definition)
            elif binding.kind == "qualified":
                qualified = qualify(binding.qualified, rest)
                found = self.resolve(qualified, definition.module)
                out.append(found if found is not None and found.is_class else qualified)
        return out
