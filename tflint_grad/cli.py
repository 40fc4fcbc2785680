"""Command line: ``tflint-grad [check] PATH...``, ``rule``, ``lsp``, ``verify``.

Exit codes, as in ruff: 0 nothing found, 1 findings (or files that could not
be checked, or a ``--diff`` with changes), 2 usage or internal error.
Subcommands other than ``check`` are imported only when used, so a one-file
run pays for libcst and nothing else.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys

from . import __version__
from .config import Config, ConfigError, find_pyproject, load_config
from .discover import discover
from .exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from .findings import FileError
from .isolation import DEBUG_ENV, debugging, isolated
from .parse.load import STDIN, load
from .rules import selector_error

FORMATS = ("text", "json", "sarif", "github")

# Subcommands living in their own modules ("module:function"), imported lazily.
SUBCOMMANDS = {
    "rule": "tflint_grad.report.rule_docs:main",
    "lsp": "tflint_grad.lsp.server:main",
    "verify": "tflint_grad.verify.cli:main",
}


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tflint-grad",
        description="Find TensorFlow gradient cuts: numpy/host round-trips on tensors in differentiated code.",
        epilog="Other commands: 'tflint-grad rule CODE|--all', 'tflint-grad lsp', 'tflint-grad verify FILE'.",
    )
    p.add_argument("paths", nargs="*", default=None, help="files or folders to check ('-' reads stdin); default: .")
    p.add_argument("--select", type=_codes, help="comma-separated code prefixes to report (e.g. TFG0)")
    p.add_argument("--ignore", type=_codes, help="comma-separated code prefixes to drop (e.g. TFG101)")
    p.add_argument("--exclude", action="append", default=None, metavar="GLOB", help="skip matching paths when walking folders")
    p.add_argument("--force-exclude", action="store_true", help="apply excludes to files named explicitly too")
    p.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml instead of the nearest one")
    p.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply (or with --diff, show) unsafe fixes")
    p.add_argument("--diff", action="store_true", help="print the diff --fix would apply; write nothing")
    p.add_argument("--output-format", choices=FORMATS, default="text")
    p.add_argument("--stdin-filename", metavar="PATH", help="the name to report for '-' input")
    p.add_argument("--debug", action="store_true", help=f"re-raise internal errors with the traceback (also {DEBUG_ENV}=1)")
    p.add_argument("--version", action="version", version=f"tflint-grad {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        module, function = SUBCOMMANDS[argv[0]].split(":")
        return getattr(importlib.import_module(module), function)(argv[1:])
    if argv and argv[0] == "check":
        argv = argv[1:]
    args = parser().parse_args(argv)
    if args.debug:
        os.environ[DEBUG_ENV] = "1"  # worker processes inherit it
    try:
        return run_check(args)
    except ConfigError as error:
        print(f"tflint-grad: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as error:  # a bug outside any one file's work: say so clearly, exit 2
        if debugging():
            raise
        print(f"tflint-grad: internal error: {type(error).__name__}: {error} "
              "- this is a bug in tflint-grad, please report it (--debug shows the traceback)", file=sys.stderr)
        return EXIT_ERROR


def resolve_config(args: argparse.Namespace, paths: list[str]) -> Config:
    anchor = args.config or find_pyproject(next((p for p in paths if p != STDIN), "."))
    if args.config and not os.path.isfile(args.config):
        raise ConfigError(f"--config: no such file: {args.config}")
    config = load_config(anchor)
    for flag in ("select", "ignore"):
        problem = selector_error(getattr(args, flag) or (), f"--{flag}")
        if problem:
            raise ConfigError(problem)
    exclude = config.exclude + tuple(args.exclude or ())
    return config.with_overrides(select=args.select, ignore=args.ignore, exclude=exclude)


def run_check(args: argparse.Namespace) -> int:
    paths = args.paths or ["."]
    config = resolve_config(args, paths)
    found = discover(paths, config.exclude, args.force_exclude)
    errors: list[FileError] = [FileError(p, "no such file or folder") for p in found.missing]
    sources = []
    from_stdin = set()
    for path in found.paths:
        shown = (args.stdin_filename or path) if path == STDIN else path
        loaded = isolated("load", shown, lambda: load(path, args.stdin_filename if path == STDIN else None))
        (errors if isinstance(loaded, FileError) else sources).append(loaded)
        if path == STDIN:
            from_stdin.add(loaded.path)

    if args.fix or args.diff:
        return _fix(args, config, sources, errors, from_stdin)
    from .engine import check

    report = check(sources, config)
    errors += report.errors
    _emit(args, list(report.findings), errors, {s.path: s for s in sources})
    return exit_code(report.findings, errors)


def exit_code(findings, errors) -> int:
    """2 when tflint-grad itself failed on some file or a file's directive is wrong
    (the findings are still printed), 1 for findings or unreadable files, else 0."""
    if any(error.internal or error.usage for error in errors):
        return EXIT_ERROR
    return EXIT_FINDINGS if findings or errors else EXIT_CLEAN


def _emit(args, findings, errors, sources, out=None) -> None:
    """The report on stdout (``out``: stderr when stdout carries fixed code), errors on stderr."""
    from .report import text

    out = out or sys.stdout
    if args.output_format == "text":
        out.write(text.render(findings, sources, args.unsafe_fixes, errors))
    else:
        formats = importlib.import_module("tflint_grad.report.formats")
        out.write(formats.render(args.output_format, findings, errors, sources))
    sys.stderr.write(text.render_errors(errors, sources))


def _fix(args, config: Config, sources, errors: list[FileError], from_stdin: set[str]) -> int:
    from .fixes.fixer import fix
    from .fixes.write import ChangedOnDisk, render, write_atomic

    result = fix(sources, config, args.unsafe_fixes)
    errors += list(result.report.errors) + list(result.errors)
    original = {s.path: s for s in sources}
    if args.diff:
        for path in result.changed:
            sys.stdout.writelines(_diff(original[path], result.sources[path]))
        sys.stderr.write(f"Would fix {result.fixed} finding{'s' * (result.fixed != 1)}.\n")
        from .report import text

        sys.stderr.write(text.render_errors(errors, original))
        return exit_code(result.changed, errors)
    for path in from_stdin & set(result.sources):  # like ruff: stdin in, fixed code out, changed or not
        sys.stdout.buffer.write(render(result.sources[path]))
        sys.stdout.flush()
    for path in set(result.changed) - from_stdin:
        try:
            write_atomic(path, result.sources[path])
        except (ChangedOnDisk, OSError) as error:
            errors.append(FileError(path, str(error)))
    remaining = list(result.report.findings)
    _emit(args, remaining, errors, result.sources, out=sys.stderr if from_stdin else None)
    sys.stderr.write(f"Fixed {result.fixed} finding{'s' * (result.fixed != 1)}, {len(remaining)} remaining.\n")
    return exit_code(remaining, errors)


def _diff(before, after) -> list[str]:
    """A unified diff of the text; a notebook is diffed cell by cell as ``path:cell N``, as in ruff.

    A cell is shown as the analysis numbers its lines: its source plus the
    newline that ends it.
    """
    if before.kind == "notebook":
        from .parse.notebook import code_cells

        sections = [
            (f":{label}", old + "\n", new + "\n")
            for (label, old), (_, new) in zip(code_cells(before), code_cells(after))
        ]
    else:
        sections = [("", before.text, after.text)]
    return [
        line
        for suffix, old, new in sections
        for line in difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=_diff_name("a", before.path) + suffix, tofile=_diff_name("b", after.path) + suffix,
        )
    ]


def _diff_name(side: str, path: str) -> str:
    """git-style ``a/path`` for relative paths; an absolute path is shown as it is."""
    return path if os.path.isabs(path) else f"{side}/{path}"
