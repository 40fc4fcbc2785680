"""The library API: check and fix code from Python, as the CLI does, without a subprocess.

    from tflint_grad import check_paths, check_source, fix_source

    report = check_source(text, "train.py")       # a Report: findings, file errors
    fixed = fix_source(text, "train.py")          # the text with the safe fixes applied
    report = check_paths(["src/"])                # files and folders, as on the command line

``config`` is a :class:`tflint_grad.config.Config` (default: every rule, no
extra entry points); ``load_config(path)`` reads one from a ``pyproject.toml``.
Findings are the frozen dataclasses of :mod:`tflint_grad.findings`.
"""

from __future__ import annotations

from dataclasses import replace

from .config import Config
from .discover import discover
from .engine import Report, check
from .findings import FileError
from .fixing import fix
from .parse.load import load
from .parse.source import SourceFile


def check_paths(paths: list[str], config: Config | None = None, jobs: int | None = None) -> Report:
    """Check files and folders (folders are searched as the CLI does, honouring ``config.exclude``)."""
    config = config or Config()
    found = discover(paths, config.exclude)
    errors = list(found.errors)  # paths that do not exist or cannot be read
    sources = []
    for path in found.paths:
        loaded = load(path)
        (errors if isinstance(loaded, FileError) else sources).append(loaded)
    report = check(sources, config, jobs)
    return replace(report, errors=tuple(sorted(errors + list(report.errors), key=lambda e: e.path)))


def check_source(text: str, path: str = "<string>.py", config: Config | None = None) -> Report:
    """Check one module given as text (``path`` names it in findings and decides notebook or not)."""
    return check([SourceFile(path, text)], config or Config(), jobs=1)


def fix_source(text: str, path: str = "<string>.py", config: Config | None = None, unsafe: bool = False) -> str:
    """The text with every safe fix applied (and the unsafe ones too when ``unsafe``)."""
    result = fix([SourceFile(path, text)], config or Config(), unsafe)
    return result.sources[path].text
