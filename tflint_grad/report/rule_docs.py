"""``tflint-grad rule CODE|--all``: every rule's documentation, from one source.

The rule classes (``tflint_grad.rules``) hold the words; this module only
lays them out: as text for the terminal, as JSON, as the Markdown of
``docs/rules.md`` and of the README's rule table, and as the help that SARIF
viewers show beside a result.  So the docs cannot drift from the tool: the
tests compare ``docs/rules.md`` and the README block with what is generated
here, and ``python -m tflint_grad.report.rule_docs --write`` regenerates them.

What a rule's fix does is described once per kind of round-trip (a numpy call
is renamed to its TensorFlow twin from the replacement table; a conversion is
unwrapped); a rule names the kinds its findings carry a fix for (``Rule.fixes``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..fixes.autofix import UNWRAPPABLE
from ..rules import RULES, RULES_BY_CODE, Rule

EXIT_OK, EXIT_USAGE = 0, 2
WIDTH = 84  # the rules' texts are wrapped at about this width
TABLE_START, TABLE_END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
REPOSITORY = Path(__file__).resolve().parents[2]  # the source checkout (for --write)


@dataclass(frozen=True)
class FixDoc:
    """What the autofix does for one kind of round-trip: a table cell and a paragraph."""

    short: str
    long: str


_UNWRAPPED = ", ".join(f"`{name}(t)`" for name in sorted(UNWRAPPABLE))
# Keyed by round-trip kind (``Rule.fixes``), in the order the paragraphs are shown.
FIX_DOCS: dict[str, FixDoc] = {
    "numpy-call": FixDoc(
        "numpy calls: safe or unsafe, by function",
        "Numpy calls: the call is renamed to its TensorFlow twin (`np.exp` -> `tf.exp`), adding "
        "`import tensorflow as tf` when the module has none. Safe where the twin gives the same "
        "values, dtype and shape for every input; unsafe (applied only with `--unsafe-fixes`) where "
        "dtype promotion or axis defaults differ. No fix for functions without a twin or arguments "
        "the twin does not take.",
    ),
    "conversion": FixDoc(
        "conversions: unsafe",
        f"Conversions: `t.numpy()` and {_UNWRAPPED} are unwrapped to `t`, so the tensor flows on; "
        f"unsafe (applied only with `--unsafe-fixes`) because the code after it may rely on ndarray "
        f"behaviour. No fix for `float()`, `int()` or `bool()`.",
    ),
    "TFG202": FixDoc(
        "tape.watch: safe",
        "Inserts `tape.watch(x)` as the first statement of the tape's block. Safe: offered only for "
        "a source that is never watched and whose every definition precedes the block, so the "
        "watch reads the value the block reads, and watching changes what the tape records, never "
        "a value. No fix for a watch that comes too late or a one-line block.",
    ),
    "TFG207": FixDoc(
        "assign_sub/assign_add: unsafe",
        "Rewrites `w = w - d` (or `w -= d`) as `w.assign_sub(d)`, and `+` as `w.assign_add(d)`, so the "
        "name keeps the Variable. Unsafe (applied only with `--unsafe-fixes`): every later read of the "
        "name then sees the updated Variable instead of a tensor. No fix for other operators.",
    ),
}


NO_FIX = FixDoc("none", "No automatic fix.")


def _fix_docs(rule: Rule) -> list[FixDoc]:
    return [FIX_DOCS[kind] for kind in FIX_DOCS if kind in rule.fixes] or [NO_FIX]


def fix_short(rule: Rule) -> str:
    return "; ".join(doc.short for doc in _fix_docs(rule))


def fix_long(rule: Rule) -> str:
    """One paragraph per kind the rule fixes, wrapped like the rules' own texts."""
    return "\n\n".join(textwrap.fill(doc.long, WIDTH) for doc in _fix_docs(rule))


@dataclass(frozen=True)
class Section:
    title: str
    json_key: str
    body: Callable[[Rule], str]
    code: bool = False  # a Python snippet


SECTIONS: tuple[Section, ...] = (
    Section("What it finds", "summary", lambda rule: rule.summary),
    Section("Why it is wrong", "why", lambda rule: rule.why),
    Section("Example", "example", lambda rule: rule.example, code=True),
    Section("Use instead", "use_instead", lambda rule: rule.use_instead, code=True),
    Section("Fix", "fix", fix_long),
    Section("When it may be a false positive", "false_positives", lambda rule: rule.false_positives),
)


def rule_text(rule: Rule) -> str:
    """The terminal page of one rule: each section's body indented under its title."""
    parts = [f"{rule.code} {rule.name} ({rule.severity.value})"]
    for section in SECTIONS:
        body = "\n".join(f"    {line}" if line else "" for line in section.body(rule).splitlines())
        parts.append(f"{section.title}:\n{body}")
    return "\n\n".join(parts) + "\n"


def rule_markdown(rule: Rule, level: int = 2) -> str:
    """One rule as Markdown: a heading at ``level``, its sections one level below."""
    parts = [f"{'#' * level} {rule.code}: {rule.name}", f"Severity: {rule.severity.value}."]
    for section in SECTIONS:
        body = section.body(rule)
        parts.append(f"{'#' * (level + 1)} {section.title}")
        parts.append(f"```python\n{body}\n```" if section.code else body)
    return "\n\n".join(parts) + "\n"


def rule_json(rule: Rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        **{section.json_key: section.body(rule) for section in SECTIONS},
        "fix_summary": fix_short(rule),
    }


def rules_table() -> str:
    """The Markdown rule table shared by docs/rules.md and the README."""
    rows = ["| Code | Name | Severity | What it finds | Fix |", "| --- | --- | --- | --- | --- |"]
    rows += [
        f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {rule.summary} | {fix_short(rule)} |"
        for rule in RULES
    ]
    return "\n".join(rows) + "\n"


def readme_block() -> str:
    """The README's table, between the markers the tests look for."""
    return f"{TABLE_START}\n{rules_table()}{TABLE_END}"


def rules_document() -> str:
    """The whole of docs/rules.md."""
    intro = (
        "# Rules\n\n"
        "Generated from the rule classes in `tflint_grad/rules/` by "
        "`python -m tflint_grad.report.rule_docs --write`; do not edit by hand. "
        "`tflint-grad rule CODE` prints the same text in the terminal.\n"
    )
    return "\n".join([intro, rules_table(), *(rule_markdown(rule) for rule in RULES)])


def rules_listing() -> str:
    """``rule --all``: one line per rule, in columns."""
    rows = [("Code", "Name", "Severity", "What it finds")]
    rows += [(rule.code, rule.name, rule.severity.value, rule.summary) for rule in RULES]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + f"  {row[3]}\n" for row in rows
    )


def main(argv: list[str]) -> int:
    """``tflint-grad rule CODE | --all [--output-format text|json]``."""
    parser = argparse.ArgumentParser(prog="tflint-grad rule", description="Show what a rule finds and how to fix it.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("code", nargs="?", help="a rule code, e.g. TFG001")
    which.add_argument("--all", action="store_true", help="list every rule")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    as_json = args.output_format == "json"
    if args.all:
        sys.stdout.write(json.dumps([rule_json(r) for r in RULES], indent=2) + "\n" if as_json else rules_listing())
        return EXIT_OK
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        known = ", ".join(RULES_BY_CODE)
        print(f"tflint-grad rule: unknown rule code '{args.code}' (known codes: {known})", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(json.dumps(rule_json(rule), indent=2) + "\n" if as_json else rule_text(rule))
    return EXIT_OK


def write(repository: Path) -> list[str]:
    """Regenerate docs/rules.md and the README block; say what could not be done."""
    (repository / "docs").mkdir(exist_ok=True)
    (repository / "docs" / "rules.md").write_text(rules_document())
    readme = repository / "README.md"
    text = readme.read_text() if readme.is_file() else ""
    marked = re.compile(f"{re.escape(TABLE_START)}.*?{re.escape(TABLE_END)}", re.S)
    if not marked.search(text):
        return [f"{readme} has no {TABLE_START} ... {TABLE_END} block; paste this:\n{readme_block()}"]
    readme.write_text(marked.sub(lambda _: readme_block(), text, count=1))
    return []


if __name__ == "__main__":
    cli = argparse.ArgumentParser(
        prog="python -m tflint_grad.report.rule_docs",
        description="Print docs/rules.md as generated from the rules; --write regenerates it and the README table.",
    )
    cli.add_argument("--write", action="store_true", help=f"write docs/rules.md and README.md under {REPOSITORY}")
    if not cli.parse_args().write:
        sys.stdout.write(rules_document())
        sys.exit(EXIT_OK)
    problems = write(REPOSITORY)
    sys.stderr.write("".join(problem + "\n" for problem in problems))
    sys.exit(1 if problems else EXIT_OK)
