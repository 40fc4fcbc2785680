"""One open document's analysis, kept until the document changes.

The server analyses the text the editor holds, never the file on disk, with
the configuration the CLI would use for the same path (the nearest
``pyproject.toml``, read again on every analysis so an edit to it shows on the
next change or save).  Code-action requests for the same version reuse the
findings; the "fix all" text comes from the CLI's own fix loop, computed once
per version and only when some finding has a safe fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import Config, ConfigError, find_pyproject, load_config
from ..engine import check
from ..findings import FileError, Finding
from ..fixes.fixer import fix
from ..isolation import isolated
from ..parse.source import SourceFile


@dataclass(frozen=True)
class Analysis:
    source: SourceFile
    version: int | None
    config: Config | None  # None when the configuration could not be read
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]

    @cached_property
    def safely_fixed(self) -> str:
        """The text after every safe fix (``tflint-grad --fix``); the text itself if none applies."""
        if self.config is None or not any(f.fix is not None and f.fix.safe for f in self.findings):
            return self.source.text
        return fix([self.source], self.config, unsafe=False).sources[self.source.path].text


def analyse(path: str, text: str, version: int | None) -> Analysis:
    source = SourceFile(path, text)
    try:
        config = load_config(find_pyproject(path))
    except ConfigError as error:
        return Analysis(source, version, None, (), (FileError(path, f"configuration error: {error}"),))
    report = isolated("analyse", path, lambda: check([source], config))
    if isinstance(report, FileError):  # a bug outside any one stage: still a diagnostic, and the server stays up
        return Analysis(source, version, config, (), (report,))
    return Analysis(source, version, config, report.findings, report.errors)
