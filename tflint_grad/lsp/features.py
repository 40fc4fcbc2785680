"""The LSP messages the server answers, on pygls.

Every analysis covers all open files at once (``workspace.py``), so an edit
to one file updates the diagnostics of every other open file it affects;
a document whose diagnostics did not change is not published again (unless
its own version changed).  Diagnostics are published on open, on save (which
also picks up an edited ``pyproject.toml`` and makes the project read the
file again) and after a change once the document has been quiet for
``DEBOUNCE`` seconds: while the user types, only the latest version is
analysed, so a slow analysis never queues up behind itself.  A code-action
request analyses at once if the debounced analysis has not run yet, so a fix
is never offered for stale text.

Each project is indexed in the background (``$/progress`` when the client
supports it), in a daemon thread that stops at shutdown; the first
diagnostics never wait for it.  Notebooks come through ``notebookDocument``
synchronisation (``notebooks.py``).

Documents are synchronised in full: pygls applies incremental changes with
``str.splitlines``, which also breaks lines at form feeds and U+2028 and so
disagrees with the client about line numbers.
"""

from __future__ import annotations

import asyncio
import itertools
import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..context import project_root
from ..parse.source import SourceFile
from .convert import Locations, diagnostic, diagnostics, replace_changed, text_edits
from .document import Analysis
from .notebooks import cell_documents, notebook_source
from .workspace import Project, Workspace

DEBOUNCE = 0.2  # seconds
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.tflint-grad"
NOTEBOOKS = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithCells(cells=[types.NotebookCellLanguage("python")], notebook="*")]
)


class TflintGradServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("tflint-grad", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                         notebook_document_sync=NOTEBOOKS)
        self.model = Workspace()
        self.analyses: dict[str, Analysis] = {}  # by path, for every open file
        self.shown: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}  # by document URI, as last published
        self._tokens = itertools.count(1)
        self.stopping = threading.Event()  # set on shutdown: an unfinished index stops at its next file

    # -- the open files --------------------------------------------------------------
    def open_files(self) -> dict[str, tuple[SourceFile, int | None, list[tuple[str, str]]]]:
        """Every open file by path: its source, its version and its documents (uri, text): a Python
        file is one document, a notebook one per cell."""
        files = {}
        for uri, document in self.workspace.text_documents.items():
            if self.workspace.get_notebook_document(cell_uri=uri) is None:
                files[document.path] = (SourceFile(document.path, document.source), document.version,
                                        [(uri, document.source)])
        for notebook in self.workspace.notebook_documents.values():
            cells = cell_documents(notebook, self.workspace)
            path = to_fs_path(notebook.uri)
            files[path] = (notebook_source(path, cells), notebook.version, [(c.uri, c.text) for c in cells])
        return files

    def locations(self, files) -> Locations:
        locations = Locations(self.workspace.position_codec.client_num_units, self.model.on_disk)
        for source, _, documents in files.values():
            locations.add(source, documents)
        return locations

    def refresh(self) -> None:
        """Analyse every open file with its project and publish what changed, document by document."""
        files = self.open_files()
        self.analyses = self.model.analyse({path: (source, version) for path, (source, version, _) in files.items()})
        locations = self.locations(files)
        published = {uri: [] for _, _, documents in files.values() for uri, _ in documents}
        for analysis in self.analyses.values():
            for uri, shown in diagnostics(analysis, locations).items():
                if uri in published:
                    published[uri] += shown
        for uri, shown in published.items():
            version = self.workspace.get_text_document(uri).version
            if self.shown.get(uri) != (version, shown):  # a new version, or what another file's edit changed
                self.shown[uri] = (version, shown)
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, shown, version))

    def clear(self, uris: list[str]) -> None:
        for uri in uris:
            self.shown.pop(uri, None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    def current(self, uri: str) -> Analysis | None:
        """The analysis of the Python document's current version, published first if it is new
        (None for a notebook cell: its notebook is analysed as a whole)."""
        if self.workspace.get_notebook_document(cell_uri=uri) is not None:
            return None
        document = self.workspace.get_text_document(uri)
        analysis = self.analyses.get(document.path)
        if analysis is None or analysis.version != document.version:
            self.refresh()
            analysis = self.analyses.get(document.path)
        return analysis

    # -- the index ---------------------------------------------------------------------
    def index(self, root: str | None) -> None:
        """Index a project in the background, once; the open files are analysed again when it is done."""
        if root is not None and root not in self.model.projects:
            asyncio.get_running_loop().create_task(self._index(self.model.project(root)))

    async def _index(self, project: Project) -> None:
        token = f"tflint-grad/index/{next(self._tokens)}"
        window = self.client_capabilities.window
        shown = bool(window and window.work_done_progress)
        if shown:
            await self.work_done_progress.create_async(token)
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                f"tflint-grad: indexing {project.root}", percentage=0))
        loop = asyncio.get_running_loop()
        reported = [-1]

        def progress(message: str, percentage: int) -> None:
            if self.stopping.is_set():
                raise IndexStopped  # out of the index thread: the server is shutting down
            if shown and percentage // 10 != reported[0] // 10:  # every tenth
                reported[0] = percentage
                value = types.WorkDoneProgressReport(message=message, percentage=percentage)
                loop.call_soon_threadsafe(self.work_done_progress.report, token, value)

        try:
            await in_daemon_thread(project.index, progress)
        except (IndexStopped, asyncio.CancelledError):
            return  # the server is going away: nothing more to say
        except Exception as error:  # noqa: BLE001 - the project's files stay unknown; its documents are analysed alone
            self.window_log_message(types.LogMessageParams(
                types.MessageType.Error, f"tflint-grad: cannot index {project.root}: {type(error).__name__}: {error}"))
        if shown:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=project.note or f"{len(project.files)} files"))
        self.refresh()


class IndexStopped(Exception):
    pass


def in_daemon_thread(work, *args) -> asyncio.Future:
    """``work(*args)`` in a thread that does not keep the process alive: on ``exit`` an unfinished index is dropped."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def run() -> None:
        try:
            result = work(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(_settle, done, None, error)
        else:
            loop.call_soon_threadsafe(_settle, done, result, None)

    threading.Thread(target=run, name="tflint-grad-index", daemon=True).start()
    return done


def _settle(future: asyncio.Future, result, error) -> None:
    if not future.done():
        future.set_exception(error) if error is not None else future.set_result(result)


server = TflintGradServer()


@server.feature(types.INITIALIZED)
def initialized(ls: TflintGradServer, params: types.InitializedParams) -> None:
    """Index the project of every workspace folder (the documents opened meanwhile are analysed alone)."""
    folders = [to_fs_path(folder.uri) for folder in ls.workspace.folders.values()]
    for folder in folders or ([ls.workspace.root_path] if ls.workspace.root_path else []):
        ls.index(project_root(folder))


@server.feature(types.SHUTDOWN)
def shutdown(ls: TflintGradServer, params: None) -> None:
    ls.stopping.set()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: TflintGradServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.refresh()
    ls.index(ls.model.root_of(to_fs_path(params.text_document.uri)))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: TflintGradServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.model.saved(ls.workspace.get_text_document(params.text_document.uri).path)
    ls.shown.pop(params.text_document.uri, None)  # published again, even if unchanged: the save was seen
    ls.refresh()


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: TflintGradServer, params: types.DidChangeTextDocumentParams) -> None:
    await asyncio.sleep(DEBOUNCE)
    uri = params.text_document.uri
    if ls.workspace.get_text_document(uri).version == params.text_document.version:  # no newer change came
        ls.current(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: TflintGradServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.clear([params.text_document.uri])
    ls.refresh()  # the other files now see this one as it is on disk


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: TflintGradServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.refresh()
    ls.index(ls.model.root_of(to_fs_path(params.notebook_document.uri)))


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
async def notebook_did_change(ls: TflintGradServer, params: types.DidChangeNotebookDocumentParams) -> None:
    await asyncio.sleep(DEBOUNCE)
    notebook = ls.workspace.get_notebook_document(notebook_uri=params.notebook_document.uri)
    if notebook is not None and notebook.version == params.notebook_document.version:
        ls.refresh()


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_did_close(ls: TflintGradServer, params: types.DidCloseNotebookDocumentParams) -> None:
    ls.clear([cell.uri for cell in params.cell_text_documents])
    ls.refresh()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
)
def code_action(ls: TflintGradServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """A quick fix for each fixable finding in the range, and "fix all safe" for the document."""
    uri = params.text_document.uri
    analysis = ls.current(uri)
    if analysis is None:  # quick fixes are offered in Python files only
        return []
    locations = ls.locations(ls.open_files())
    index = locations.index(analysis.source.path)
    only = params.context.only
    actions = []
    if _wanted(types.CodeActionKind.QuickFix, only):
        for finding in analysis.findings:
            _, shown = diagnostic(finding, locations)
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
