"""One open document's analysis, kept until the workspace is analysed again.

The server analyses the text the editor holds, never the file on disk, with
the configuration the CLI would use for the same path (the nearest
``pyproject.toml``, read again on every analysis so an edit to it shows on the
next change or save) and with the rest of its project (``workspace.py``).
Code-action requests for the same version reuse the findings; the "fix all"
text comes from the CLI's own fix loop, with the same project context,
computed once per version and only when some finding has a safe fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..config import Config
from ..engine import Report
from ..findings import FileError, Finding, Related
from ..fixing import fix
from ..parse.source import SourceFile


@dataclass(frozen=True)
class Hint:
    """An entry point in this document whose differentiated code is cut in another file."""

    entry: Related  # where this document hands the code to TensorFlow
    findings: tuple[Finding, ...]  # the cuts, in other files


@dataclass(frozen=True)
class Analysis:
    source: SourceFile
    version: int | None
    config: Config | None  # None when the configuration could not be read
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    hints: tuple[Hint, ...] = ()
    # What the fix loop analyses this document with: the project's other files, the shared cache.
    context: tuple[SourceFile, ...] = field(default=(), compare=False)
    cache: object = field(default=None, compare=False)

    @cached_property
    def safely_fixed(self) -> str:
        """The text after every safe fix (``tflint-grad --fix``); the text itself if none applies."""
        if self.config is None or not any(f.fix is not None and f.fix.safe for f in self.findings):
            return self.source.text
        fixed = fix([self.source], self.config, unsafe=False, context=list(self.context), cache=self.cache)
        return fixed.sources[self.source.path].text


def analysis_of(source: SourceFile, version: int | None, config: Config, report: Report,
                hints: tuple[Hint, ...], context: list[SourceFile], cache: object) -> Analysis:
    """The part of a group's report that is this document's."""
    path = source.path
    return Analysis(
        source, version, config,
        tuple(f for f in report.findings if f.path == path),
        tuple(e for e in report.errors if e.path == path),
        hints, tuple(context), cache,
    )


def failed(source: SourceFile, version: int | None, error: FileError) -> Analysis:
    """A document that could not be analysed: the reason is its one diagnostic."""
    return Analysis(source, version, None, (), (error,))
