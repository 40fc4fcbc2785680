"""Command line: ``tflint-grad [check] PATH...``, ``rule``, ``lsp``, ``verify``.

Exit codes, as in ruff: 0 nothing found, 1 findings (or files that could not
be checked, or a ``--diff`` with changes), 2 usage or internal error.
Subcommands other than ``check`` are imported only when used, so a one-file
run pays for libcst and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass

from . import __version__
from .cache import CACHE_ENV, Cache
from .cache import FOLDER as CACHE_FOLDER
from .config import Config, ConfigError, find_pyproject, load_config
from .context import on_disk, project_context, project_roots
from .discover import discover
from .exit_codes import EXIT_ERROR, exit_code
from .findings import FileError
from .isolation import DEBUG_ENV, debugging, isolated
from .parse.load import STDIN, load, with_written_modules, without_written_fixes
from .parse.source import SourceFile
from .report.progress import Progress
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


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the width: argparse makes one per option (to check its metavar),
    and the default asks ``shutil``, which imports the compression modules, at every start-up."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=terminal_columns() - 2)


def terminal_columns() -> int:
    """As ``shutil.get_terminal_size``: ``$COLUMNS``, else the terminal on stdout, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tflint-grad",
        formatter_class=HelpFormatter,
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
    p.add_argument("--statistics", action="store_true", help="print the number of findings per code instead of each finding")
    p.add_argument("--add-noqa", action="store_true", help="add '# noqa: CODE' to the line of every current finding")
    p.add_argument("--baseline", metavar="FILE",
                   help="report only findings not recorded in FILE (JSON); records the current ones when FILE does not exist")
    p.add_argument("--project-root", metavar="DIR",
                   help="the project the files named belong to (default: nearest folder with pyproject.toml, setup.cfg or .git)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--cache-dir", metavar="DIR", help=f"where the cache lives (default: PROJECT_ROOT/{CACHE_FOLDER}; "
                                                     f"also {CACHE_ENV})")
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
    args = parser().parse_intermixed_args(argv)  # files may follow options, as in ruff
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
    pyproject = args.config or find_pyproject(on_disk(paths, args.stdin_filename)[0])
    if args.config and not os.path.isfile(args.config):
        raise ConfigError(f"--config: no such file: {args.config}")
    config = load_config(pyproject)
    if args.select == ():
        raise ConfigError("--select needs at least one rule code or prefix (an empty value would select nothing)")
    for flag in ("select", "ignore"):
        problem = selector_error(getattr(args, flag) or (), f"--{flag}")
        if problem:
            raise ConfigError(problem)
    exclude = config.exclude + tuple(args.exclude or ())
    return config.with_overrides(select=args.select, ignore=args.ignore, exclude=exclude)


@dataclass
class Inputs:
    """What one run reads: the files named, the rest of their project, and what could not be read."""

    sources: list[SourceFile]
    context: list[SourceFile]
    errors: list[FileError]
    from_stdin: set[str]
    cache: Cache | None
    notes: tuple[str, ...] = ()  # worth saying before the report (no context used, nothing found)
    progress: Progress | None = None  # on a terminal only

    @property
    def analysis(self) -> dict:
        """The keyword arguments every analysis of these inputs takes."""
        return {"context": self.context, "cache": self.cache, "progress": self.progress}

    def analysed(self) -> None:
        """Erase the progress line before anything else is printed."""
        if self.progress:
            self.progress.close()


def gather(args: argparse.Namespace, config: Config) -> Inputs:
    paths = args.paths or ["."]
    anchor = config.folder
    found = discover(paths, config.exclude, args.force_exclude, anchor)
    errors: list[FileError] = list(found.errors)
    sources: list[SourceFile] = []
    from_stdin = set()
    for path in found.paths:
        shown = (args.stdin_filename or path) if path == STDIN else path
        loaded = _load(path, shown, args.stdin_filename)
        (errors if isinstance(loaded, FileError) else sources).append(loaded)
        if path == STDIN:
            from_stdin.add(loaded.path)
    if args.project_root is not None and not os.path.isdir(args.project_root):
        raise ConfigError(f"--project-root: not a folder: {args.project_root!r}")
    roots = [os.path.abspath(args.project_root)] if args.project_root else project_roots(paths, args.stdin_filename)
    context = project_context(roots, [*found.paths, *from_stdin], config.exclude, anchor)
    others = [loaded for path in context.paths if isinstance(loaded := _load(path, path, None), SourceFile)]
    # No project, no cache folder dropped into whatever folder the run happens in (unless asked for).
    folder = args.cache_dir or os.environ.get(CACHE_ENV) or (context.roots and os.path.join(context.roots[0], CACHE_FOLDER))
    cache = Cache(folder) if folder and not args.no_cache else None
    notes = tuple(filter(None, [context.note, "" if sources or errors else f"no Python files found under {', '.join(paths)}"]))
    return Inputs(sources, others, errors, from_stdin, cache, notes, Progress.for_terminal(len(sources) + len(others)))


def _load(path: str, shown: str, stdin_filename: str | None) -> SourceFile | FileError:
    return isolated("load", shown, lambda: load(path, stdin_filename if path == STDIN else None))


def run_check(args: argparse.Namespace) -> int:
    config = resolve_config(args, args.paths or ["."])
    inputs = gather(args, config)
    try:
        return _run(args, config, inputs)
    finally:
        inputs.analysed()


# Flags that change what a run does, and the flags each cannot be combined with.
EXCLUSIVE = {"baseline": ("fix", "diff", "add_noqa"), "add_noqa": ("fix", "diff")}


def _check_flags(args: argparse.Namespace, inputs: Inputs) -> None:
    for flag, others in EXCLUSIVE.items():
        clash = next((o for o in others if getattr(args, o)), None)
        if getattr(args, flag) and clash:
            raise ConfigError(f"--{flag.replace('_', '-')} cannot be combined with --{clash.replace('_', '-')}")
    if args.add_noqa and inputs.from_stdin:
        raise ConfigError("--add-noqa writes files in place: it cannot read '-' (stdin)")


def _run(args: argparse.Namespace, config: Config, inputs: Inputs) -> int:
    _check_flags(args, inputs)
    for note in inputs.notes:
        sys.stderr.write(f"note: {note}\n")
    if args.add_noqa:
        from .add_noqa import add_noqa

        return add_noqa(inputs, config)
    if args.fix or args.diff:
        return _fix(args, config, inputs)
    from .engine import check

    sources = with_written_modules(inputs.sources, inputs.context)  # not for --fix: it writes cells as cells
    report = check(sources, config, **inputs.analysis)
    inputs.analysed()
    _context_note(report)
    findings, errors = without_written_fixes(report.findings, sources), inputs.errors + list(report.errors)
    elsewhere = list(report.elsewhere)
    if args.baseline:
        from .baseline import apply_baseline

        everything = {s.path: s for s in [*sources, *inputs.context]}
        kept = set(map(id, apply_baseline(args.baseline, [*findings, *elsewhere], everything)))
        findings, elsewhere = [f for f in findings if id(f) in kept], [f for f in elsewhere if id(f) in kept]
    _emit(args, findings, errors, {s.path: s for s in sources}, elsewhere=elsewhere)
    return exit_code([*findings, *elsewhere], errors)


def _context_note(report) -> None:
    """Files of the project that could not be analysed: the findings of the files named may depend on them."""
    if report.context_errors:
        names = ", ".join(sorted({e.path for e in report.context_errors}))
        n = len(report.context_errors)
        sys.stderr.write(f"note: {n} error{'s' * (n != 1)} in files of the project that were not named ({names}): "
                         "cuts that go through them may be missed\n")


def _emit(args, findings, errors, sources, out=None, elsewhere=()) -> None:
    """The report on stdout (``out``: stderr when stdout carries fixed code), errors on stderr."""
    from .report import text

    out = out or sys.stdout
    if args.output_format == "text" and args.statistics:
        from .report.statistics import render as statistics

        out.write(statistics(findings, args.unsafe_fixes, errors, elsewhere))
    elif args.output_format == "text":
        out.write(text.render(findings, sources, args.unsafe_fixes, errors, elsewhere))
    else:
        formats = importlib.import_module("tflint_grad.report.formats")
        out.write(formats.render(args.output_format, findings, errors, sources))
        if elsewhere:  # beside machine output, on stderr
            sys.stderr.write(text.elsewhere(elsewhere) + "\n")
    sys.stderr.write(text.render_errors(errors, sources))


def _fix(args, config: Config, inputs: Inputs) -> int:
    """Fix, write, and report what is really on disk: a file left as it was keeps its findings."""
    from .fixing import fix, revert
    from .fixes.write import render, try_write

    sources, errors, from_stdin = inputs.sources, inputs.errors, inputs.from_stdin
    result = fix(sources, config, args.unsafe_fixes, **inputs.analysis)
    inputs.analysed()
    original = {s.path: s for s in sources}
    if args.diff:
        errors += list(result.report.errors) + list(result.errors)
        for path in result.changed:
            sys.stdout.writelines(_diff(original[path], result.sources[path]))
        sys.stderr.write(f"Would fix {result.fixed} finding{'s' * (result.fixed != 1)}.\n")
        from .report import text

        sys.stderr.write(text.render_errors(errors, original))
        if result.report.elsewhere:
            sys.stderr.write(text.elsewhere(list(result.report.elsewhere)) + "\n")
        return exit_code(result.changed, errors)
    for path in from_stdin & set(result.sources):  # like ruff: stdin in, fixed code out, changed or not
        sys.stdout.buffer.write(render(result.sources[path]))
        sys.stdout.flush()
    unwritten = {
        path: FileError(path, f"not fixed: {reason}")
        for path in result.changed
        if path not in from_stdin and (reason := try_write(path, result.sources[path]))
    }
    result = revert(result, unwritten, original, config, **inputs.analysis)
    errors += [*result.report.errors, *result.errors, *unwritten.values()]
    remaining, elsewhere = list(result.report.findings), list(result.report.elsewhere)
    _emit(args, remaining, errors, result.sources, out=sys.stderr if from_stdin else None, elsewhere=elsewhere)
    sys.stderr.write(f"Fixed {result.fixed} finding{'s' * (result.fixed != 1)}, {len(remaining)} remaining.\n")
    return exit_code([*remaining, *elsewhere], errors)


def _diff(before, after) -> list[str]:
    """A unified diff of the text; a notebook is diffed cell by cell as ``path:cell N``, as in ruff.

    A cell is shown as the analysis numbers its lines: its source plus the
    newline that ends it.
    """
    import difflib

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
