"""The pipeline, end to end: discover -> parse -> summarise -> analyse -> rules.

``check`` is the generator-free core the CLI, the language server and the
verifier all call.  Only files that can hold differentiated code (they mention
TensorFlow or Keras) and the project modules they import, transitively, are
parsed: a sound, cheap prefilter, because differentiated code can only reach
another file through an import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from .analysis.dataflow import Dataflow
from .analysis.project import Project, absolute_import, module_name
from .config import Config
from .findings import FileError, Finding
from .parse.located import Located
from .parse.source import SourceFile, parse
from .rules.check import to_findings
from .summary.builder import build_summary
from .summary.model import ModuleSummary

ROOT_MARKERS = re.compile(r"tensorflow|keras|GradientTape")


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    checked: int  # files read and considered


class Session:
    """One analysis run over a set of sources; locates nodes lazily, once per file."""

    def __init__(self, sources: list[SourceFile], config: Config) -> None:
        self.sources = {s.path: s for s in sources}
        self.config = config
        self.modules: dict[str, cst.Module | None] = {}
        self.errors: list[FileError] = []
        self._located: dict[str, Located] = {}

    def summaries(self) -> list[ModuleSummary]:
        by_module = {module_name(path): path for path in self.sources if path != "-"}
        markers = ROOT_MARKERS
        if self.config.entry_points:
            roots = "|".join(re.escape(api.qualified.split(".")[0]) for api in self.config.entry_points)
            markers = re.compile(f"{ROOT_MARKERS.pattern}|{roots}")
        pending = [path for path, source in self.sources.items() if markers.search(source.text)]
        summaries: dict[str, ModuleSummary] = {}
        while pending:
            path = pending.pop()
            if path in summaries or path in self.modules:
                continue
            parsed = parse(self.sources[path])
            if isinstance(parsed, FileError):
                self.errors.append(parsed)
                self.modules[path] = None
                continue
            self.modules[path] = parsed
            summary, _ = build_summary(parsed, path)
            summaries[path] = summary
            name = module_name(path)
            for imported in summary.imports.values():
                pending.extend(_imported_paths(absolute_import(name, summary.is_package, imported), by_module))
        return list(summaries.values())

    def locate(self, path: str) -> Located:
        if path not in self._located:
            self._located[path] = Located(self.sources[path], self.modules.get(path))
        return self._located[path]

    def run(self) -> Report:
        summaries = self.summaries()
        events = Dataflow(Project(summaries), self.config.entry_points).run()
        findings = to_findings(events, self.locate, self.config.select, self.config.ignore)
        findings.sort(key=lambda f: f.sort_key)
        return Report(tuple(findings), tuple(sorted(self.errors, key=lambda e: e.path)), len(self.sources))


def _imported_paths(imported: str, by_module: dict[str, str]) -> list[str]:
    """Project files an import may refer to: the module itself or any package on the way."""
    parts = imported.split(".")
    return [by_module[name] for i in range(1, len(parts) + 1) if (name := ".".join(parts[:i])) in by_module]


def check(sources: list[SourceFile], config: Config) -> Report:
    return Session(sources, config).run()
