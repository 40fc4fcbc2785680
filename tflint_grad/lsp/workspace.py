"""The workspace: each project's files in memory, and the open documents analysed with them.

A numpy call in ``mylib/losses.py`` is a cut only because ``train.py`` hands
the loss to ``model.fit``, so, as the CLI does for the files named, every
open document is analysed with the rest of its project (the nearest folder
with ``pyproject.toml``, ``setup.cfg`` or ``.git``; see ``context.py``).

* Indexing.  On ``initialize`` the server indexes each workspace folder's
  project in the background: every file is read once and summarised through
  the disk cache (a project linted before is not parsed again) into a
  :class:`MemoryCache` that every later analysis shares.  Until a project is
  indexed its open documents are analysed without it: start-up never waits.
* Edits.  Each analysis is the whole-program check over the open documents
  and the files of the project that can reach them or that they reach
  (``reach.py``), as they are on disk; unchanged modules' summaries come from
  memory, so an edit parses only the edited document (and, to place
  findings, the files that have some).  A file of the index is read again
  only when its size or modification time changed.
* Groups.  Open documents of one project and one configuration are checked
  together; a document outside any project is checked alone.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from ..cache import CACHE_ENV, Cache
from ..cache import FOLDER as CACHE_FOLDER
from ..config import ConfigError, find_pyproject, load_config
from ..context import project_context, project_root
from ..engine import check
from ..findings import FileError
from ..isolation import isolated
from ..parse.load import load
from ..parse.source import SourceFile
from .document import Analysis, Hint, analysis_of, failed
from .reach import ImportGraph

Progress = Callable[[str, int], None]  # (what is being done, percentage)
READING = 10  # of the index's percentage: reading the files; parsing them is the rest


class MemoryCache:
    """The disk cache seen through memory, shared by the index thread and the edits.

    A disk entry is read and unpickled once per server.  Entries made while
    editing stay in memory (every version of a buffer would flood the disk);
    :class:`Persisting` writes the index's entries, made from the files as
    saved, through to disk.  At most ``LIMIT`` entries are kept, the least
    recently used dropped first.
    """

    LIMIT = 20_000

    def __init__(self, disk: Cache | None) -> None:
        self.disk = disk
        self._entries: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, key: str) -> object | None:
        with self._lock:
            if (kind, key) in self._entries:
                self._entries.move_to_end((kind, key))
                return self._entries[(kind, key)]
        value = self.disk.get(kind, key) if self.disk is not None else None
        if value is not None:
            self.put(kind, key, value)
        return value

    def put(self, kind: str, key: str, value: object) -> None:
        with self._lock:
            self._entries[(kind, key)] = value
            if len(self._entries) > self.LIMIT:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class Persisting:
    """The memory layer writing through to disk, for the index.

    What the index warms is the modules' summaries, so its own run (with no
    document to report on) is neither looked up nor kept.
    """

    memory: MemoryCache

    def get(self, kind: str, key: str) -> object | None:
        return None if kind == "runs" else self.memory.get(kind, key)

    def put(self, kind: str, key: str, value: object) -> None:
        if kind == "runs":
            return
        self.memory.put(kind, key, value)
        if self.memory.disk is not None:
            self.memory.disk.put(kind, key, value)


@dataclass
class Project:
    """One project's files as on disk, read once and again only when they change."""

    root: str
    cache: MemoryCache
    files: dict[str, SourceFile] = field(default_factory=dict)
    ready: bool = False
    note: str = ""  # why the project could not be indexed, when that is worth saying
    _stamps: dict[str, tuple[int, int]] = field(default_factory=dict)

    def index(self, progress: Progress) -> None:
        """Read and summarise every file (in a background thread), telling ``progress`` after each file."""
        config = load_config(find_pyproject(os.path.join(self.root, "pyproject.toml")))
        anchor = config.folder
        found = project_context([self.root], [], config.exclude, anchor)
        self.note = found.note
        paths = [os.path.abspath(p) for p in found.paths]
        total = max(len(paths), 1)
        for done, path in enumerate(paths, 1):
            self.read(path)
            progress(f"{done}/{len(paths)} files read", done * READING // total)
        # Every file is parsed (a run parses by demand), so that the cache holds any module an edit may need.
        check([], config, jobs=1, context=list(self.files.values()), cache=Persisting(self.cache), parse_all=True,
              progress=lambda parsed: progress(f"{parsed}/{len(paths)} files parsed", READING + parsed * (100 - READING) // total))
        self.ready = True

    def read(self, path: str) -> None:
        """(Re)load one file if it changed on disk; forget it if it is gone or unreadable."""
        try:
            status = os.stat(path)
        except OSError:
            self.files.pop(path, None)
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if self._stamps.get(path) == stamp and path in self.files:
            return
        loaded = isolated("load", path, lambda: load(path))
        self._stamps[path] = stamp
        if isinstance(loaded, SourceFile):
            self.files[path] = loaded
        else:
            self.files.pop(path, None)

    def refreshed(self) -> list[SourceFile]:
        """The project's files, each re-read if it changed since it was read."""
        if self.ready:
            for path in list(self.files):
                self.read(path)
        return list(self.files.values())


def cache_for(root: str | None) -> Cache | None:
    folder = os.environ.get(CACHE_ENV) or (root and os.path.join(root, CACHE_FOLDER))
    return Cache(folder) if folder else None


class Workspace:
    """The projects of the workspace and the analysis of the open documents."""

    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}
        self._roots: dict[str, str | None] = {}  # folder -> its project root
        self.imports = ImportGraph()

    def root_of(self, path: str) -> str | None:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in self._roots:
            self._roots[folder] = project_root(path)
        return self._roots[folder]

    def project(self, root: str) -> Project:
        if root not in self.projects:
            self.projects[root] = Project(root, MemoryCache(cache_for(root)))
        return self.projects[root]

    def on_disk(self, path: str) -> SourceFile | None:
        """A file of an indexed project, as last read."""
        project = self.projects.get(self.root_of(path) or "")
        return project.files.get(path) if project is not None and project.ready else None

    def saved(self, path: str) -> None:
        """A document was saved: its project reads the file again (or for the first time)."""
        root = self.root_of(path)
        if root is not None and root in self.projects and self.projects[root].ready:
            self.projects[root].read(os.path.abspath(path))

    def analyse(self, documents: dict[str, tuple[SourceFile, int | None]]) -> dict[str, Analysis]:
        """Every open document's analysis, by path; ``documents`` maps a path to (its text, its version)."""
        groups: dict[tuple[str, str | None], list[str]] = {}
        for path in documents:
            root = self.root_of(path)
            groups.setdefault((root or path, find_pyproject(path) if root else path), []).append(path)
        analyses: dict[str, Analysis] = {}
        for (root, _), paths in groups.items():
            others = [documents[p][0] for p in documents if p not in paths and self.root_of(p) == root]
            analyses.update(self._analyse_group(root, paths, documents, others))
        return analyses

    def _analyse_group(self, root, paths, documents, open_elsewhere) -> dict[str, Analysis]:
        sources = [documents[p][0] for p in paths]
        versions = {p: documents[p][1] for p in paths}
        try:
            config = load_config(find_pyproject(paths[0]))
        except ConfigError as error:
            return {p: failed(s, versions[p], FileError(p, f"configuration error: {error}"))
                    for p, s in zip(paths, sources)}
        project = self.projects.get(root)
        cache = project.cache if project else MemoryCache(None)
        is_open = {os.path.realpath(p) for p in documents}
        context = self.imports.needed(sources, open_elsewhere + [
            s for s in (project.refreshed() if project else []) if os.path.realpath(s.path) not in is_open
        ])
        report = isolated("analyse", paths[0], lambda: check(sources, config, context=context, cache=cache))
        if isinstance(report, FileError):  # a bug outside any one stage: each document says so, the server stays up
            return {p: failed(s, versions[p], FileError(p, report.message, internal=True))
                    for p, s in zip(paths, sources)}
        hints = _hints(report, set(paths))
        return {
            p: analysis_of(source, versions[p], config, report, hints.get(p, ()), [*context, *(
                s for s in sources if s is not source)], cache)
            for p, source in zip(paths, sources)
        }


def _hints(report, named: set[str]) -> dict[str, tuple[Hint, ...]]:
    """For each open document, its entry points whose differentiated code is cut in another file."""
    grouped: dict[str, dict] = {}
    for finding in (*report.findings, *report.elsewhere):
        for related in finding.related:
            if related.path in named and related.path != finding.path:
                grouped.setdefault(related.path, {}).setdefault(related, []).append(finding)
    return {
        path: tuple(Hint(related, tuple(found)) for related, found in sorted(by.items(), key=lambda i: i[0].span))
        for path, by in grouped.items()
    }
