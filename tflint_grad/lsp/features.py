"""The LSP messages the server answers, on pygls.

Diagnostics are published on open, on save (which also picks up an edited
``pyproject.toml``) and after a change once the document has been quiet for
``DEBOUNCE`` seconds: while the user types, only the latest version is
analysed, so a slow analysis of a large file never queues up behind itself.
A code-action request analyses at once if the debounced analysis has not run
yet, so a fix is never offered for stale text.

Documents are synchronised in full: pygls applies incremental changes with
``str.splitlines``, which also breaks lines at form feeds and U+2028 and so
disagrees with the client about line numbers.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from .convert import LineIndex, diagnostic, diagnostics, replace_changed, text_edits
from .document import Analysis, analyse

DEBOUNCE = 0.2  # seconds
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.tflint-grad"


class TflintGradServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("tflint-grad", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}

    def index(self, text: str) -> LineIndex:
        return LineIndex(text, self.workspace.position_codec.client_num_units)

    def publish(self, uri: str) -> Analysis:
        """Analyse the document's current text and publish its diagnostics."""
        document = self.workspace.get_text_document(uri)
        analysis = analyse(document.path, document.source, document.version)
        self.analyses[uri] = analysis
        shown = diagnostics(analysis.errors, analysis.findings, uri, self.index(analysis.source.text))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, shown, document.version))
        return analysis

    def current(self, uri: str) -> Analysis:
        """The analysis of the document's current version, published first if it is new."""
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.version != self.workspace.get_text_document(uri).version:
            analysis = self.publish(uri)
        return analysis


server = TflintGradServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: TflintGradServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: TflintGradServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: TflintGradServer, params: types.DidChangeTextDocumentParams) -> None:
    await asyncio.sleep(DEBOUNCE)
    uri = params.text_document.uri
    if ls.workspace.get_text_document(uri).version == params.text_document.version:  # no newer change came
        ls.current(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: TflintGradServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.analyses.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
)
def code_action(ls: TflintGradServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """A quick fix for each fixable finding in the range, and "fix all safe" for the document."""
    uri = params.text_document.uri
    analysis = ls.current(uri)
    index = ls.index(analysis.source.text)
    only = params.context.only
    actions = []
    if _wanted(types.CodeActionKind.QuickFix, only):
        for finding in analysis.findings:
            shown = diagnostic(finding, uri, index)
            if finding.fix is not None and _overlaps(shown.range, params.range):
                label = finding.code if finding.fix.safe else f"{finding.code} (unsafe)"
                actions.append(types.CodeAction(
                    title=f"Fix {label}: {finding.fix.description}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    edit=types.WorkspaceEdit(changes={uri: text_edits(finding.fix.edits, index)}),
                    is_preferred=finding.fix.safe,
                ))
    if _wanted(FIX_ALL, only) and analysis.safely_fixed != analysis.source.text:
        actions.append(types.CodeAction(
            title="Fix all safe tflint-grad findings",
            kind=FIX_ALL,
            edit=types.WorkspaceEdit(
                changes={uri: [replace_changed(analysis.source.text, analysis.safely_fixed, index)]}
            ),
        ))
    return actions


def _wanted(kind: str, only: list[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for ``source`` includes ``source.fixAll.tflint-grad``."""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    """Closed ranges, so a cursor touching either end of a diagnostic counts."""
    def key(position: types.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
