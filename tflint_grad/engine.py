"""The pipeline, end to end: discover -> parse -> summarise -> analyse -> rules.

``check`` is the generator-free core the CLI, the language server and the
verifier all call.  Only files that can hold differentiated code (they mention
TensorFlow or Keras) and the project modules they import, transitively, are
parsed: a sound, cheap prefilter, because differentiated code can only reach
another file through an import.
"""

from __future__ import annotations

import functools
import gc
import os
import re
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable

from .analysis.facts import analyse
from .analysis.project import Project, absolute_import, module_name
from .cache import Cache, fingerprint
from .config import Config
from .deep import run_with_deep_stack
from .findings import FileError, Finding
from .fixes.attach import noqa_errors, to_findings
from .ir.build import build_ir
from .ir.located import Located
from .ir.model import IR_VERSION, ModuleIR
from .isolation import FAULT_ENV, internal_error, isolated
from .parse.source import SourceFile, parse

ROOT_MARKERS = re.compile(r"tensorflow|keras|GradientTape")
PARALLEL_MIN_FILES = 48  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class Report:
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
                 progress: Callable[[int], None] | None = None) -> None:
        self.named = {s.path for s in sources}
        self.sources = {s.path: s for s in [*context, *sources]}
        self.config = config
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.cache = cache if cache is not None and not os.environ.get(FAULT_ENV) else None
        self.progress = progress  # told how many files have been parsed so far
        self.parsed: set[str] = set()
        self.errors: list[FileError] = []
        self._located: dict[str, Located] = {}

    def summaries(self) -> list[ModuleIR]:
        by_module: dict[str, list[str]] = {}
        for path in self.sources:
            if path != "-":
                by_module.setdefault(module_name(path), []).append(path)
        markers = ROOT_MARKERS
        if self.config.entry_points:
            roots = "|".join(re.escape(api.qualified.split(".")[0]) for api in self.config.entry_points)
            markers = re.compile(f"{ROOT_MARKERS.pattern}|{roots}")
        batch = [path for path, source in self.sources.items() if markers.search(source.text)]
        summaries: dict[str, ModuleIR] = {}
        while batch:
            for path, result in zip(batch, self._summarise(batch)):
                if isinstance(result, FileError):
                    self.errors.append(result)
                    continue
                summaries[path] = result
            imported = {
                found
                for path in batch if path in summaries
                for name in (*summaries[path].imports.values(), *summaries[path].star_imports)
                for found in imported_paths(
                    absolute_import(module_name(path), summaries[path].is_package, name), by_module)
            }
            self.parsed.update(batch)
            batch = sorted(imported - self.parsed) or self._importers_of(summaries)
        return list(summaries.values())

    def _importers_of(self, summaries: dict[str, ModuleIR]) -> list[str]:
        """Unparsed files that import an analysed module: a subclass of a project
        Keras layer, or a caller of a helper, can be differentiated code too."""
        analysed = {module_name(path) for path in summaries}
        return sorted(
            path for path, source in self.sources.items()
            if path not in self.parsed and path != "-"
            and not analysed.isdisjoint(imported_names(source.text, module_name(path), path.endswith("__init__.py")))
        )

    def _summarise(self, paths: list[str]) -> list[ModuleIR | FileError]:
        """Parse and summarise what the cache does not hold, in worker processes when there is enough work."""
        keys = {p: fingerprint(p, self.sources[p].text, IR_VERSION) for p in paths} if self.cache else {}
        done = {p: found for p in keys if (found := self.cache.get("modules", keys[p])) is not None}
        todo = [self.sources[p] for p in paths if p not in done]
        jobs = min(self.jobs, len(todo) // PARALLEL_MIN_FILES)
        with cyclic_gc_paused(), ProcessPoolExecutor(jobs) if jobs > 1 else nullcontext() as pool:
            deep = functools.partial(run_with_deep_stack, summarise)
            results = pool.map(deep, todo, chunksize=16) if pool else map(summarise, todo)
            for source, result in zip(todo, results):
                done[source.path] = result
                if self.progress:
                    self.progress(len(self.parsed) + len(done))
        for source in todo:
            result = done[source.path]
            if self.cache and not (isinstance(result, FileError) and result.internal):
                self.cache.put("modules", keys[source.path], result)
        return [done[p] for p in paths]

    def locate(self, path: str) -> Located:
        if path not in self._located:
            self._located[path] = Located(self.sources[path])
        return self._located[path]

    def run(self) -> Report:
        key = self._run_key() if self.cache else ""
        cached = self.cache.get("runs", key) if self.cache else None
        if isinstance(cached, Report):
            return cached
        summaries = self.summaries()
        self.facts = analyse(Project(summaries), self.config.entry_points)
        self.errors += _scope_errors(self.facts.failed)
        findings, errors = to_findings(
            self.facts, self.locate, self.config.select, self.config.ignore,
            keep=lambda raw: raw.path in self.named or raw.reason.path in self.named,
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


def summarise(source: SourceFile) -> ModuleIR | FileError:
    """Parse and summarise one file (in a worker process, possibly); any failure is its own error."""
    return isolated("summarise", source.path, lambda: _summarise_one(source))


def _summarise_one(source: SourceFile) -> ModuleIR | FileError:
    parsed = parse(source)
    return parsed if isinstance(parsed, FileError) else build_ir(parsed, source.path)[0]


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
          progress: Callable[[int], None] | None = None) -> Report:
    return run_with_deep_stack(Session(sources, config, jobs, context, cache, progress).run)
