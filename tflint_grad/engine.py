"""The pipeline, end to end: discover -> parse -> summarise -> analyse -> rules.

``check`` is the generator-free core the CLI, the language server and the
verifier all call.  Only files that can start differentiation, and the modules
the analysis of them asks for, are parsed (see ``demand.py``).
"""

from __future__ import annotations

import functools
import gc
import os
import re
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable

from .analysis.facts import analyse
from .analysis.project import Project, absolute_import
from .cache import Cache, fingerprint
from .config import Config
from .deep import run_with_deep_stack
from .demand import Demand, checked_markers
from .findings import FileError, Finding
from .fixes.attach import noqa_errors, to_findings
from .ir.build import build_ir
from .ir.located import Located
from .ir.model import IR_VERSION, ModuleIR
from .isolation import FAULT_ENV, internal_error, isolated
from .parse.source import SourceFile, parse, python_accepts

PARALLEL_MIN_FILES = 48  # below this, starting worker processes costs more than it saves
CHECKS_PER_PARSE = 10  # Python's compiler checks about ten files in the time libcst parses one


@dataclass(frozen=True)
class Report:
    """What one run found: in the files checked, and in the rest of their project."""

    findings: tuple[Finding, ...]  # in the files checked
    errors: tuple[FileError, ...]
    checked: int  # files read and considered
    # Findings in other files of the project (the context) whose differentiated
    # entry point is in a file checked: a cut that a named file suffers elsewhere.
    elsewhere: tuple[Finding, ...] = ()
    context_errors: tuple[FileError, ...] = ()  # files of the context that could not be analysed


class Session:
    """One analysis run; locates nodes lazily, once per file.

    ``sources`` are the files checked (their findings and errors are
    reported); ``context`` the other files of the project, analysed with them
    so that calls are followed both ways across files, but not reported.
    """

    def __init__(self, sources: list[SourceFile], config: Config, jobs: int | None = None,
                 context: list[SourceFile] = (), cache: Cache | None = None,
                 progress: Callable[[int], None] | None = None, parse_all: bool = False) -> None:
        self.named = {s.path for s in sources}
        self.parse_all = parse_all  # every file, before the analysis (the language server's index warms the cache)
        self.sources = {s.path: s for s in [*context, *sources]}
        self.config = config
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.cache = cache if cache is not None and not os.environ.get(FAULT_ENV) else None
        self.progress = progress  # told how many files have been parsed so far
        self.parsed: set[str] = set()
        self.errors: list[FileError] = []
        self._located: dict[str, Located] = {}
        self._trees: dict[str, tuple] = {}  # see _summarise_here
        self._verdicts: dict[str, bool | FileError] = {}  # Python's compiler takes the file (see _check_unparsed)

    def project(self) -> Project:
        """The roots parsed now; every other module when the analysis first asks for it (see demand.py).

        The files that might not be parsed at all are checked for syntax errors alongside the roots."""
        demand = Demand(self.sources, self.config.entry_points)
        roots = list(self.sources) if self.parse_all else demand.roots()
        markers, chosen = checked_markers(self.config.entry_points), set(roots)
        checks = [p for p, source in self.sources.items() if p not in chosen and markers.search(source.text)]
        return Project(self._parsed(roots, checks), demand=lambda name: self._parsed(files) if (files := demand.files(name)) else [])

    def _parsed(self, paths: list[str], checks: list[str] = ()) -> list[ModuleIR]:
        """The summaries of ``paths``, in their order; a file that cannot be parsed is an error."""
        summaries: list[ModuleIR] = []
        for result in self._summarise(paths, checks):
            (self.errors if isinstance(result, FileError) else summaries).append(result)
        self.parsed.update(paths)
        return summaries

    def _check_unparsed(self) -> None:
        """Syntax errors in the files no analysis needed: Python's compiler found them, a parse words them."""
        broken = []
        for path, accepted in self._verdicts.items():
            if path in self.parsed:
                continue
            if isinstance(accepted, FileError):
                self.errors.append(accepted)
            elif not accepted:
                broken.append(path)
        self._parsed(broken)

    def _summarise(self, paths: list[str], checks: list[str] = ()) -> list[ModuleIR | FileError]:
        """Parse and summarise what the cache does not hold, and check the syntax of ``checks``
        (see ``_verdicts``), in worker processes when there is enough work."""
        keys = {p: fingerprint(p, self.sources[p].text, IR_VERSION) for p in paths} if self.cache else {}
        done = {p: found for p in keys if (found := self.cache.get("modules", keys[p])) is not None}
        todo = [self.sources[p] for p in paths if p not in done]
        todo_keys = [keys.get(source.path, "") for source in todo]
        checked = [self.sources[p] for p in checks]
        jobs = min(self.jobs, (len(todo) + len(checked) // CHECKS_PER_PARSE) // PARALLEL_MIN_FILES)
        with cyclic_gc_paused(), worker_pool(jobs) as pool:
            if pool:
                deep = functools.partial(run_with_deep_stack, summarise_and_store, self.cache)
                results = pool.map(deep, todo, todo_keys, chunksize=16)
                verdicts = pool.map(syntax_verdict, checked, chunksize=64)
            else:
                results = map(self._summarise_here, todo, todo_keys)
                verdicts = map(syntax_verdict, checked)
            for source, result in zip(todo, results):
                done[source.path] = result
                if self.progress:
                    self.progress(len(self.parsed) + len(done))
            self._verdicts.update(zip(checks, verdicts))
        return [done[p] for p in paths]

    def _summarise_here(self, source: SourceFile, key: str) -> ModuleIR | FileError:
        """In this process: a named file of a small run keeps its tree, so its findings are located
        without parsing it again (a large run would hold every tree in memory)."""
        keep = source.path in self.named and len(self.named) < PARALLEL_MIN_FILES
        return summarise_and_store(self.cache, source, key, self._trees if keep else None)

    def locate(self, path: str) -> Located:
        if path not in self._located:
            self._located[path] = Located(self.sources[path], self._trees.pop(path, None))
        return self._located[path]

    def run(self) -> Report:
        key = self._run_key() if self.cache else ""
        cached = self.cache.get("runs", key) if self.cache else None
        if isinstance(cached, Report):
            return cached
        self.facts = analyse(self.project(), self.config.entry_points)
        self._check_unparsed()
        self.errors += _scope_errors(self.facts.failed)
        findings, errors = to_findings(
            self.facts, self.locate, self.config.select, self.config.ignore,
            keep=lambda raw: raw.path in self.named or (raw.reason is not None and raw.reason.path in self.named),
        )
        self.errors += errors
        for path in self.named:
            self.errors += [*self.sources[path].problems, *noqa_errors(path, self.sources[path].text)]
        findings.sort(key=lambda f: f.sort_key)
        report = Report(
            tuple(f for f in findings if f.path in self.named),
            tuple(sorted((e for e in self.errors if e.path in self.named), key=lambda e: e.path)),
            len(self.named),
            tuple(f for f in findings if f.path not in self.named),
            tuple(sorted((e for e in self.errors if e.path not in self.named), key=lambda e: e.path)),
        )
        if self.cache and not any(error.internal for error in self.errors):
            self.cache.put("runs", key, report)
        return report

    def _run_key(self) -> str:
        """Everything a report depends on: each file's path, role and text, the settings, the formats."""
        files = tuple(sorted(
            # a notebook's raw bytes too: messages name cells, which markdown cells renumber
            (path, path in self.named, fingerprint(source.text, source.raw if source.kind == "notebook" else b""))
            for path, source in self.sources.items()
        ))
        config = (self.config.select, self.config.ignore, self.config.entry_points)
        return fingerprint(IR_VERSION, config, files)


def _scope_errors(failed: dict[tuple[str, str], Exception]) -> list[FileError]:
    """One internal error per file whose scopes the data flow had to drop."""
    by_path: dict[str, list[tuple[str, Exception]]] = {}
    for (path, scope_id), error in failed.items():
        by_path.setdefault(path, []).append((scope_id, error))
    errors = []
    for path, scopes in sorted(by_path.items()):
        names = ", ".join(sorted({scope_id for scope_id, _ in scopes}))
        errors.append(internal_error("analyse", path, scopes[0][1], f" (dropped: {names})"))
    return errors


def worker_pool(jobs: int):
    """Worker processes when there is work for more than one (imported then: a small run never starts one)."""
    if jobs <= 1:
        return nullcontext()
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(jobs)


@contextmanager
def cyclic_gc_paused():
    """Parsing allocates millions of short-lived, acyclic libcst nodes while the
    summaries pile up; the cyclic collector would rescan that growing heap over
    and over (about 40% of the run on TensorFlow Probability).  Reference
    counting still frees every tree."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def summarise_and_store(cache: Cache | None, source: SourceFile, key: str,
                        trees: dict[str, tuple] | None = None) -> ModuleIR | FileError:
    """:func:`summarise`, and the cache entry written where the summary is made: in a worker
    process, the entries of a large run are written in parallel, not one by one by the parent."""
    result = summarise(source, trees)
    if cache is not None and not (isinstance(result, FileError) and result.internal):
        cache.put("modules", key, result)
    return result


def syntax_verdict(source: SourceFile) -> bool | FileError:
    """Whether Python's compiler takes the file (in a worker process, possibly)."""
    return isolated("summarise", source.path, lambda: python_accepts(source.text))


def summarise(source: SourceFile, trees: dict[str, tuple] | None = None) -> ModuleIR | FileError:
    """Parse and summarise one file (in a worker process, possibly); any failure is its own error.
    With ``trees``, the tree and its nodes are kept there for :class:`Located`."""
    return isolated("summarise", source.path, lambda: _summarise_one(source, trees))


def _summarise_one(source: SourceFile, trees: dict[str, tuple] | None) -> ModuleIR | FileError:
    parsed = parse(source)
    if isinstance(parsed, FileError):
        return parsed
    summary, nodes = build_ir(parsed, source.path, keep_nodes=trees is not None)
    if trees is not None:
        trees[source.path] = (parsed, summary, nodes)
    return summary


IMPORTS = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w \t,.*]+)|import[ \t]+([\w \t,.]+))", re.M)


def imported_names(text: str, importer: str, is_package: bool) -> set[str]:
    """Module names a file's text imports, found by a regex (the file is not parsed)."""
    names: set[str] = set()
    for module, members, plain in IMPORTS.findall(text):
        if plain:
            names.update(part.split()[0] for part in plain.split(",") if part.strip())
            continue
        base = absolute_import(importer, is_package, module)
        names.add(base)
        names.update(f"{base}.{part.split()[0]}" for part in members.split(",") if part.strip() and part.strip() != "*")
    return names


def imported_paths(imported: str, by_module: dict[str, list[str]]) -> list[str]:
    """Project files an import may refer to: the module itself or any package on the way
    (every file of that name: the analysis picks the importer's own later)."""
    parts = imported.split(".")
    return [path for i in range(1, len(parts) + 1) for path in by_module.get(".".join(parts[:i]), ())]


def check(sources: list[SourceFile], config: Config, jobs: int | None = None,
          context: list[SourceFile] = (), cache: Cache | None = None,
          progress: Callable[[int], None] | None = None, parse_all: bool = False) -> Report:
    return run_with_deep_stack(Session(sources, config, jobs, context, cache, progress, parse_all).run)
