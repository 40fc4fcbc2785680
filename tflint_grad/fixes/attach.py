"""Run the selected rules over the analysis's facts: locate, word, suppress, attach the fix.

This is where the events a rule's ``check(facts)`` claims become user-facing
:class:`Finding` s: the call is located in its file, the tensor and the entry
point are named, the rule gives code and message, ``# noqa`` is honoured, and
the fix (if any) is attached.  It lives with the fixes, above the rules: rules
know nothing of edits (the layering test in tests/test_layering.py).
"""

from __future__ import annotations

import os
import re
from typing import Callable

import libcst as cst

from ..analysis.dataflow import RawRoundTrip
from ..analysis.reach import Reason
from ..analysis.facts import Facts
from ..findings import FileError, Finding, Origin, Position, Related
from ..ir.build import dotted_name
from ..ir.located import Located
from ..isolation import isolated
from ..parse.comments import scan
from ..rules import RULES, RULES_BY_CODE, Occurrence, RoundTrip, Rule, Site, is_selected
from .autofix import fix_for, suggestion
from .site_fixes import site_fix

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def suppressed(comment: str, code: str) -> bool:
    """ruff's ``# noqa`` / ``# noqa: CODE1, CODE2`` in the comment of the finding's line."""
    for match in NOQA.finditer(comment):
        codes = match.group("codes")
        if codes is None or code in re.split(r"[\s,]+", codes.upper()):
            return True
    return False


OUR_CODE = re.compile(r"TFG\w*", re.IGNORECASE)


def noqa_errors(path: str, text: str) -> list[FileError]:
    """``# noqa: TFG...`` codes that name no rule: a typo there would leave the
    finding unsuppressed while the author believes it is handled.  Codes of
    other tools (``E501``) are theirs and are left alone."""
    errors = []
    for number, (column, comment) in scan(text).by_line.items() if "noqa" in text.lower() else ():
        for match in NOQA.finditer(comment):
            for code in OUR_CODE.finditer(match.group("codes") or ""):
                if code.group().upper() not in RULES_BY_CODE:
                    errors.append(FileError(
                        path, f"unknown rule selector {code.group()!r} in # noqa; a # noqa takes full codes: "
                        f"{', '.join(RULES_BY_CODE)}", Position(number, column + match.start("codes") + code.start()),
                        usage=True,
                    ))
    return errors


def to_findings(
    facts: Facts,
    locate: Callable[[str], Located],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    keep: Callable[[RawRoundTrip | Site], bool] = lambda raw: True,
) -> tuple[list[Finding], list[FileError]]:
    """The findings of the selected rules for the events ``keep`` wants (the files
    reported), and the files whose events could not be located or worded (an
    internal error: that file's findings are dropped, the others kept)."""
    findings: list[Finding] = []
    failed: dict[str, FileError] = {}
    for rule in RULES:
        if not is_selected(rule.code, select, ignore):
            continue
        for raw in rule.check(facts):
            if raw.path in failed or not keep(raw):
                continue
            where = _finding if isinstance(raw, RawRoundTrip) else _site_finding
            result = isolated("locate", raw.path, lambda: where(rule, raw, locate))
            if isinstance(result, FileError):
                failed[raw.path] = result
                findings = [f for f in findings if f.path != raw.path]
            elif result is not None:
                findings.append(result)
    return findings, list(failed.values())


def _finding(rule: Rule, raw: RawRoundTrip, locate: Callable[[str], Located]) -> Finding | None:
    """The finding for one event a rule claimed, or None where ``# noqa`` suppresses it."""
    located = locate(raw.path)
    node = located.nodes[raw.call_index]
    if raw.handover is not None:  # a numpy function used as a value: where it is named, never rewritten
        node = _named_in(node, raw.handover.text)
    event = RoundTrip(
        path=raw.path,
        span=located.span(node),
        kind=raw.kind,
        api=_api(raw, node, located),
        qualified=raw.qualified,
        value=_value(raw, locate(raw.handover.applied_path) if raw.handover and raw.handover.applied_path else located),
        on_output_path=raw.on_output_path,
        context=_context(raw, locate),
        related=_related(raw.reason, locate),
        replacement=suggestion(raw, located),
    )
    if suppressed(located.comments.by_line.get(event.span.start.line, (0, ""))[1], rule.code):
        return None
    return Finding(
        raw.path, event.span, rule.code, rule.message(event), rule.severity,
        fix_for(raw, node, located) if raw.handover is None else None, event.related, _analysis_origin(raw),
    )


def _site_finding(rule: Rule, site: Site, locate: Callable[[str], Located]) -> Finding | None:
    """The finding for one site a rule claimed, or None where ``# noqa`` suppresses it."""
    located = locate(site.path)
    span = located.span_of(site.node)
    if suppressed(located.comments.by_line.get(span.start.line, (0, ""))[1], rule.code):
        return None
    related = tuple(Related(path, locate(path).span_of(node), message) for path, node, message in site.related)
    if site.reason is not None:
        related += _related(site.reason, locate)
    occurrence = Occurrence(
        site.path, span,
        {**{name: located.code(located.nodes[node]) for name, node in site.quotes}, **dict(site.words)},
        _differentiated(site.reason, site.path, site.function, site.in_tape, locate) if site.reason else "",
        related,
    )
    return Finding(
        site.path, span, rule.code, rule.message(occurrence), rule.severity,
        site_fix(rule.code, site, located), related, Origin(site.path, site.scope, site.node, site.block),
    )


def _analysis_origin(raw: RawRoundTrip) -> Origin:
    """Where the verifier finds the code that makes the round-trip: for a handed-over numpy
    function, the call that applies it."""
    note = raw.handover
    if note is not None and note.applied_call >= 0:
        return Origin(note.applied_path, raw.scope, note.applied_call, raw.block)
    return Origin(raw.path, raw.scope, raw.call_index, raw.block)


def _named_in(site: cst.CSTNode, text: str) -> cst.CSTNode:
    """The name chain ``text`` inside the node it was handed over in (the node itself for "")."""
    stack = [site]
    while stack and text:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == text:
            return node
        stack.extend(reversed(node.children))
    return site


def _api(raw: RawRoundTrip, node: cst.Call, located: Located) -> str:
    if raw.handover is not None:
        return raw.handover.text or located.code(node)
    if raw.qualified.startswith("tensor."):
        return f".{raw.qualified.split('.', 1)[1]}()"
    return raw.callee or located.code(node.func)


def _value(raw: RawRoundTrip, located: Located) -> str:
    kind, value = raw.value
    if kind == "name":
        return value
    if kind == "call":
        return located.code(located.nodes[value])
    return f"self.{value}"


def _where(reason: Reason, raw_path: str, locate: Callable[[str], Located]) -> str:
    """``line 28`` in the same file, ``other.py:28`` or ``nb.ipynb, cell 4, line 7`` elsewhere."""
    located = locate(reason.path)
    start = located.span_of(reason.index).start
    if reason.path == raw_path:
        return _line(located, start)
    name = os.path.relpath(reason.path) if os.path.isabs(reason.path) else reason.path
    return f"{name}:{start.line}" if located.source.cell_of is None else f"{name}, {_line(located, start)}"


def _line(located: Located, position: Position) -> str:
    """``line N``, or ``cell C, line N`` inside a notebook."""
    if located.source.cell_of is None:
        return f"line {position.line}"
    cell, inner = located.source.cell_of(position)
    return f"{cell}, line {inner.line}"


def _origin(reason: Reason, where: str) -> str:
    if reason.kind == "entry":
        return f"passed as {reason.slot or 'a callable'} to {reason.api} ({where})"
    if reason.kind == "tape":
        return f"the tf.GradientTape block ({where})"
    if reason.kind == "class":
        return f"differentiated by Keras as {reason.function} ({where})"
    return f"a {reason.api} body ({where})"


def _context(raw: RawRoundTrip, locate: Callable[[str], Located]) -> str:
    note = raw.handover
    if note is None or raw.reason.kind == "entry" and note.applied_call < 0:
        return _reached(raw, locate)  # handed to an entry API: "np.tanh is passed as activation to ..."
    if note.applied_call >= 0:
        applied = locate(note.applied_path)
        where = _line(applied, applied.span_of(note.applied_call).start)
        if note.applied_path != raw.path:
            where = f"{_shown(note.applied_path)}, {where}"
        done = f"handed over here as a value and applied at {where}"
    else:
        done = f"handed over here as a value to {note.api}"
    reached = _reached(raw, locate)
    if raw.in_tape:
        return f"{done}, {reached}"
    return f"{done} in {raw.function}, which {reached.removeprefix(raw.function + ' ')}"


def _reached(raw: RawRoundTrip, locate: Callable[[str], Located]) -> str:
    """Why the code of the round-trip is differentiated; for a function reached as a value
    (``self.loss_fn(y, p)``), also where it was handed over."""
    said = _differentiated(raw.reason, raw.path, raw.function, raw.in_tape, locate)
    if not raw.reason.handed or not said.startswith(raw.function + " is "):
        return said
    called, path, site = raw.reason.handed
    located = locate(path)
    where = _line(located, located.span_of(site).start)
    if path != raw.path:
        where = f"{_shown(path)}, {where}"
    return f"{raw.function} is handed over at {where} and called as {called}; it{said[len(raw.function):]}"


def _shown(path: str) -> str:
    return os.path.relpath(path) if os.path.isabs(path) else path


def _differentiated(reason: Reason, path: str, function: str, in_tape: bool, locate: Callable[[str], Located]) -> str:
    """Why the code at ``path`` (in ``function``) is differentiated, in words."""
    where = _where(reason, path, locate)
    if in_tape:
        return f"inside the tf.GradientTape block ({where})"
    origin = _origin(reason, where)
    if reason.kind == "tape":
        chain = f" via {' -> '.join(reason.via)}" if reason.via else ""
        return f"{function} is reached{chain} from {origin}"
    if not reason.via:
        return f"{reason.function} is {origin}" if reason.kind != "class" else (
            f"{reason.function} is differentiated by Keras ({where})")
    chain = f" via {' -> '.join(reason.via[1:])}" if len(reason.via) > 1 else ""
    return f"{function} is reached from {reason.via[0]}{chain}, {origin}"


def _related(reason: Reason, locate: Callable[[str], Located]) -> tuple[Related, ...]:
    located = locate(reason.path)
    span = located.span_of(reason.index)
    return (Related(reason.path, span, f"differentiated here: {_origin(reason, _line(located, span.start))}"),)


__all__ = ["to_findings", "suppressed", "noqa_errors", "RULES_BY_CODE"]
