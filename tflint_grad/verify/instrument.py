"""Add recorders to the code the child runs, without moving a single line.

Each flagged function gets one more decorator, ``__tflint_record__(key)``,
outermost, so it sees what callers really pass (also when the function is a
``tf.function``); a flagged lambda is wrapped in the same call.  This is done
on the ``ast``, not on the text, and compiled directly: every original node
keeps its line and column, so tracebacks and the ``tape.gradient`` call sites
recorded in the child point at the user's own lines.

The script's imported project files get the same treatment through
:class:`ProjectModules`, an import hook that loads them from the text the
run is given (as written, or fixed) instead of the file on disk, and
registers that text with ``linecache`` so tracebacks, the guard's messages and
autograph all read the code that runs.

Standard library only: it runs inside the child before TensorFlow matters.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import linecache
import os
from types import CodeType, ModuleType

RECORD = "__tflint_record__"  # the recorder's name in the script's globals


def instrument(tree: ast.Module, text: str, path: str, functions: dict[str, tuple[int, int]]) -> CodeType:
    """Compile ``tree`` with a recorder on every function whose def/lambda starts at
    ``functions[key]`` = (line, column in code points, as libcst counts)."""
    lines = text.split("\n")
    keys = {tuple(position): key for key, position in functions.items()}

    def key_of(node: ast.AST) -> str | None:
        line = lines[node.lineno - 1]
        column = len(line.encode("utf-8")[: node.col_offset].decode("utf-8", "replace"))
        return keys.get((node.lineno, column))

    def recorder(key: str) -> ast.Call:
        return ast.Call(ast.Name(RECORD, ast.Load()), [ast.Constant(key)], [])

    class Recorders(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            self.generic_visit(node)
            key = key_of(node)
            if key is not None:
                node.decorator_list.insert(0, ast.copy_location(recorder(key), node))
            return node

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Lambda(self, node):
            self.generic_visit(node)
            key = key_of(node)
            return node if key is None else ast.copy_location(ast.Call(recorder(key), [node], []), node)

    return compile(ast.fix_missing_locations(Recorders().visit(tree)), path, "exec", dont_inherit=True)


class ProjectModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import the project files in ``modules`` (path -> {"text", "functions"}) from their given text, instrumented."""

    def __init__(self, modules: dict[str, dict], recorder) -> None:
        self.modules = {os.path.realpath(path): (path, entry) for path, entry in modules.items()}
        self.recorder = recorder

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or os.path.realpath(spec.origin) not in self.modules:
            return None
        spec.loader = self
        return spec

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        path, entry = self.modules[os.path.realpath(module.__spec__.origin)]  # code runs under the given path
        text = entry["text"]
        linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
        setattr(module, RECORD, self.recorder)
        exec(instrument(ast.parse(text, path), text, path, entry["functions"]), module.__dict__)


def gradient_labels(tree: ast.Module, line: int) -> tuple[str, list[str]]:
    """How a ``tape.gradient(target, sources)`` call on ``line`` names its target and
    sources, as written (``"elbo_loss"``, ``["scale"]``); sources given as one
    expression are numbered (``model.trainable_variables[0]``, ...) by the caller."""
    calls = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "gradient"
        and node.lineno <= line <= node.end_lineno and len(node.args) >= 2
    ]
    if not calls:
        return "target", []
    target, sources = calls[-1].args[:2]
    elements = sources.elts if isinstance(sources, (ast.List, ast.Tuple)) else [sources]
    return ast.unparse(target), [ast.unparse(element) for element in elements]
