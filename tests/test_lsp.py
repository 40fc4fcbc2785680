"""The language server, end to end, driven by a real LSP client over stdio.

Each fixture starts ``python -m tflint_grad lsp`` and initialises it with the
capabilities a real editor sends (pytest-lsp ships them): VS Code, which
counts columns in UTF-16, and Neovim 0.11, which offers UTF-8 first.  The tests
apply the returned edits to the text themselves, as an editor would, and send
the result back; expected texts are written out, not computed by the fixer.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

IN_SESSION = pytest.mark.asyncio(loop_scope="module")  # the tests share the fixtures' servers

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "vi_two_bumps.py"
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "tflint_grad", "lsp"])
ERROR, WARNING = types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning
FIX_ALL = "source.fixAll.tflint-grad"
ENTRY_POINT = "differentiated here: passed as target_log_prob_fn to tfp.vi.monte_carlo_variational_loss (line 28)"
TAPE = """import numpy as np
import tensorflow as tf

x = tf.Variable(1.0)
with tf.GradientTape() as tape:
    y = {expression}
tape.gradient(y, x)
"""


async def _session(client: LanguageClient, editor: str, **workspace):
    record_publications(client)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities(editor), **(workspace or {"root_uri": ROOT.as_uri()}))
    )
    yield
    await client.shutdown_session()


def record_publications(client: LanguageClient) -> None:
    """Queue every publishDiagnostics in order: pytest-lsp's ``wait_for_notification`` misses
    those that arrive in one burst (one per document, or per notebook cell)."""
    features = client.protocol.fm.features
    default = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]
    client.publications = asyncio.Queue()

    def recorded(params: types.PublishDiagnosticsParams) -> None:
        default(params)
        client.publications.put_nowait(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = recorded


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient):
    async for step in _session(lsp_client, "visual-studio-code"):
        yield step


@pytest_lsp.fixture(config=SERVER, scope="module")
async def neovim(lsp_client: LanguageClient):
    async for step in _session(lsp_client, "neovim@v0.11.0"):
        yield step


# --- what an editor does -----------------------------------------------------------


async def next_publication(client: LanguageClient, uri: str) -> types.PublishDiagnosticsParams:
    """The next diagnostics published for ``uri`` (those for other documents are skipped)."""
    while True:
        params = await asyncio.wait_for(client.publications.get(), 20)
        if params.uri == uri:
            return params


async def open_document(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    published = await next_publication(client, uri)
    assert published.version == 1
    return published.diagnostics


async def change_document(client: LanguageClient, uri: str, version: int, text: str) -> list[types.Diagnostic]:
    send_change(client, uri, version, text)
    published = await next_publication(client, uri)
    assert published.version == version
    return published.diagnostics


def send_change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version, uri), [types.TextDocumentContentChangeWholeDocument(text)]
    ))


async def code_actions(client, uri, at: types.Range, diagnostics=(), only=None) -> list[types.CodeAction]:
    context = types.CodeActionContext(diagnostics=list(diagnostics), only=only)
    params = types.CodeActionParams(types.TextDocumentIdentifier(uri), at, context)
    return list(await client.text_document_code_action_async(params))


def apply(text: str, edits: list[types.TextEdit], encoding: str = "utf-16-le") -> str:
    """Splice LSP edits into ``text`` (lines end in "\\n"; columns in ``encoding`` code units)."""
    lines = text.split("\n")
    width = len("a".encode(encoding))

    def offset(position: types.Position) -> int:
        line = lines[position.line].encode(encoding)
        column = len(line[: position.character * width].decode(encoding))
        return sum(len(before) + 1 for before in lines[: position.line]) + column

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def shown(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return [(d.code, coordinates(d.range), d.severity, d.source) for d in diagnostics]


def coordinates(at: types.Range) -> tuple[int, int, int, int]:
    return at.start.line, at.start.character, at.end.line, at.end.character


def span(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


def described(actions: list[types.CodeAction]) -> list[tuple]:
    return [(a.title, a.kind, a.is_preferred) for a in actions]


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert list(action.edit.changes) == [uri]
    return list(action.edit.changes[uri])


# --- the seed, fixed one quick fix and one "fix all" at a time -----------------------


@IN_SESSION
async def test_seed_diagnostics_quick_fix_and_fix_all(client: LanguageClient):
    uri = SEED.as_uri()
    seed = SEED.read_text()

    diagnostics = await open_document(client, uri, seed)
    assert shown(diagnostics) == [
        ("TFG001", (15, 35, 15, 56), ERROR, "tflint-grad"),
        ("TFG001", (15, 83, 15, 104), ERROR, "tflint-grad"),
        ("TFG001", (17, 11, 17, 33), ERROR, "tflint-grad"),
        ("TFG101", (18, 18, 18, 35), WARNING, "tflint-grad"),
    ]
    assert diagnostics[0].message.startswith("np.exp on tensor 'x' cuts the gradient")
    assert list(diagnostics[3].related_information) == [
        types.DiagnosticRelatedInformation(types.Location(uri, span(27, 20, 103)), ENTRY_POINT)
    ]

    actions = await code_actions(client, uri, diagnostics[0].range, [diagnostics[0]])
    assert described(actions) == [
        ("Fix TFG001: Replace `np.exp` with `tf.exp`", types.CodeActionKind.QuickFix, True),
        ("Fix all safe tflint-grad findings", FIX_ALL, None),
    ]
    assert list(actions[0].diagnostics) == [diagnostics[0]]
    assert edits_of(actions[0], uri) == [types.TextEdit(span(15, 35, 41), "tf.exp")]
    once = apply(seed, edits_of(actions[0], uri))
    assert once == seed.replace("np.exp(", "tf.exp(", 1)

    diagnostics = await change_document(client, uri, 2, once)
    assert shown(diagnostics) == [
        ("TFG001", (15, 83, 15, 104), ERROR, "tflint-grad"),
        ("TFG001", (17, 11, 17, 33), ERROR, "tflint-grad"),
        ("TFG101", (18, 18, 18, 35), WARNING, "tflint-grad"),
    ]

    (fix_all,) = await code_actions(client, uri, span(0, 0, 0), only=[types.CodeActionKind.Source])
    assert fix_all.kind == FIX_ALL
    fixed = apply(once, edits_of(fix_all, uri))
    assert fixed == seed.replace("np.exp(", "tf.exp(").replace("np.log(", "tf.math.log(")

    diagnostics = await change_document(client, uri, 3, fixed)
    assert shown(diagnostics) == [("TFG101", (18, 18, 18, 35), WARNING, "tflint-grad")]
    assert await code_actions(client, uri, diagnostics[0].range, diagnostics) == []

    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert list((await next_publication(client, uri)).diagnostics) == []


@IN_SESSION
async def test_quick_fixes_only_in_the_requested_range(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "range_probe.py").as_uri()
    await open_document(client, uri, SEED.read_text())
    on_log = await code_actions(client, uri, span(17, 20, 20), only=[types.CodeActionKind.QuickFix])
    assert described(on_log) == [
        ("Fix TFG001: Replace `np.log` with `tf.math.log`", types.CodeActionKind.QuickFix, True)
    ]
    nowhere = await code_actions(client, uri, span(12, 0, 5))  # no finding on line 13
    assert described(nowhere) == [("Fix all safe tflint-grad findings", FIX_ALL, None)]


@IN_SESSION
async def test_unsafe_fix_is_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "unsafe_probe.py").as_uri()
    (diagnostic,) = await open_document(client, uri, TAPE.format(expression="np.sum(x * x)"))
    actions = await code_actions(client, uri, diagnostic.range, [diagnostic])
    # No "fix all safe": the only fix is unsafe.
    assert described(actions) == [
        ("Fix TFG001 (unsafe): Replace `np.sum` with `tf.reduce_sum`", types.CodeActionKind.QuickFix, False)
    ]
    assert edits_of(actions[0], uri) == [types.TextEdit(span(5, 8, 14), "tf.reduce_sum")]


# --- positions in the client's encoding --------------------------------------------


@IN_SESSION
async def test_columns_follow_the_negotiated_encoding(client: LanguageClient, neovim: LanguageClient, tmp_path: Path):
    # In code points np.exp(x) spans columns 16-25; the emoji before it is 2 UTF-16 and 4 UTF-8 units.
    uri = (tmp_path / "emoji_probe.py").as_uri()
    text = TAPE.format(expression='"\N{FACE SAVOURING DELICIOUS FOOD}" and np.exp(x)')
    expected = text.replace("np.exp(", "tf.exp(")
    for editor, encoding, (start, end) in ((client, "utf-16-le", (17, 26)), (neovim, "utf-8", (19, 28))):
        (diagnostic,) = await open_document(editor, uri, text)
        assert shown([diagnostic]) == [("TFG001", (5, start, 5, end), ERROR, "tflint-grad")]
        quick_fix, fix_all = await code_actions(editor, uri, diagnostic.range, [diagnostic])
        assert apply(text, edits_of(quick_fix, uri), encoding) == expected
        assert apply(text, edits_of(fix_all, uri), encoding) == expected


# --- configuration, save, errors, typing -------------------------------------------


@IN_SESSION
async def test_pyproject_next_to_the_document_is_honoured_and_reread_on_save(client: LanguageClient, tmp_path: Path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.tflint-grad]\nignore = ["TFG101"]\n')
    uri = (tmp_path / "model.py").as_uri()
    diagnostics = await open_document(client, uri, SEED.read_text())
    assert [d.code for d in diagnostics] == ["TFG001", "TFG001", "TFG001"]

    pyproject.write_text('[tool.tflint-grad]\nselect = ["TFG1"]\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert [d.code for d in (await next_publication(client, uri)).diagnostics] == ["TFG101"]

    pyproject.write_text('[tool.tflint-grad]\ncolour = "red"\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    (problem,) = (await next_publication(client, uri)).diagnostics
    assert problem.message == f"configuration error: {pyproject}: unknown option(s) in [tool.tflint-grad]: colour"
    assert (problem.range, problem.severity, problem.code) == (span(0, 0, 0), ERROR, None)


@IN_SESSION
async def test_syntax_error_is_one_diagnostic_and_the_server_carries_on(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "broken_probe.py").as_uri()
    (problem,) = await open_document(client, uri, "import tensorflow as tf\ndef f(:\n    pass\n")
    assert problem.message.startswith("syntax error: ")
    assert (problem.severity, problem.source, problem.code) == (ERROR, "tflint-grad", None)
    assert problem.range == span(1, 6, 6)  # on the ":" of "def f(:" (0-based LSP line 1), where Python puts it

    diagnostics = await change_document(client, uri, 2, TAPE.format(expression="np.exp(x)"))
    assert shown(diagnostics) == [("TFG001", (5, 8, 5, 17), ERROR, "tflint-grad")]


@IN_SESSION
async def test_rapid_changes_are_analysed_once_for_the_latest_text(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "typing_probe.py").as_uri()
    await open_document(client, uri, TAPE.format(expression="x * x"))
    send_change(client, uri, 2, TAPE.format(expression="np.exp(x)"))
    send_change(client, uri, 3, TAPE.format(expression="np.exp(np.log(x))"))
    published = await next_publication(client, uri)
    assert published.version == 3
    assert shown(published.diagnostics) == [
        ("TFG001", (5, 8, 5, 25), ERROR, "tflint-grad"),
        ("TFG001", (5, 15, 5, 24), ERROR, "tflint-grad"),
    ]


FAULTY_SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "tflint_grad", "lsp"],
    server_env={"TFLINT_GRAD_TEST_FAULT": "summarise:faulty_probe.py"},  # tflint_grad/isolation.py
)


@pytest_lsp.fixture(config=FAULTY_SERVER, scope="module")
async def faulty(lsp_client: LanguageClient):
    async for step in _session(lsp_client, "visual-studio-code"):
        yield step


@IN_SESSION
async def test_a_fault_in_one_document_is_its_diagnostic_and_the_server_carries_on(faulty: LanguageClient, tmp_path: Path):
    (problem,) = await open_document(faulty, (tmp_path / "faulty_probe.py").as_uri(), TAPE.format(expression="np.exp(x)"))
    assert problem.message.startswith("internal error while summarising this file: InjectedFault: ")
    assert (problem.range, problem.severity) == (span(0, 0, 0), ERROR)
    diagnostics = await open_document(faulty, (tmp_path / "healthy_probe.py").as_uri(), TAPE.format(expression="np.exp(x)"))
    assert shown(diagnostics) == [("TFG001", (5, 8, 5, 17), ERROR, "tflint-grad")]


def test_missing_pygls_is_one_line_and_exit_2():
    hide_pygls = "import sys; sys.modules['pygls'] = None; from tflint_grad.cli import main; sys.exit(main(['lsp']))"
    run = subprocess.run([sys.executable, "-c", hide_pygls], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "tflint-grad: error: the language server needs pygls: pip install 'tflint-grad[lsp]'\n"


# --- the workspace: a two-file package, indexed in the background -------------------

from test_project import LOSSES, TRAIN, package  # noqa: E402,F401 - the two-file package and its fixture

DOCS = "docs/rules.md#tfg001-numpy-call-on-tensor"
HELPER_CUTS = [(4, 11, 4, 42), (4, 45, 4, 73), (4, 52, 4, 66)]  # np.mean, np.log, np.exp in mylib/losses.py
ENTRY = span(6, 0, 42)  # model.compile(optimizer="adam", loss=loss) in train.py
CUT_ELSEWHERE = "the code differentiated here is cut in losses.py: {} ({})"


@pytest_lsp.fixture(config=SERVER)
async def in_package(lsp_client: LanguageClient, package: Path):
    """A server whose workspace folder is the package, once it has indexed it."""
    folders = [types.WorkspaceFolder(package.as_uri(), "package")]
    async for step in _session(lsp_client, "visual-studio-code", workspace_folders=folders):
        await asyncio.wait_for(indexed(lsp_client), 20)
        yield step


async def indexed(client: LanguageClient) -> None:
    while not any(isinstance(value, types.WorkDoneProgressEnd) for values in client.progress_reports.values()
                  for value in values):
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_the_index_reports_progress(in_package: LanguageClient, package: Path):
    ((token, reports),) = in_package.progress_reports.items()
    assert token.startswith("tflint-grad/index/")
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert reports[0].title == f"tflint-grad: indexing {package}"
    # Reading is the first tenth, parsing the rest; a report when the percentage reaches another tenth.
    assert [(r.message, r.percentage) for r in reports[1:-1]] == [
        ("1/3 files read", 3), ("3/3 files read", 10),
        ("1/3 files parsed", 40), ("2/3 files parsed", 70), ("3/3 files parsed", 100),
    ]
    assert reports[-1] == types.WorkDoneProgressEnd(message="3 files")


@pytest.mark.asyncio
async def test_opening_the_helper_shows_its_cuts_with_the_entry_point_in_the_other_file(in_package, package):
    diagnostics = await open_document(in_package, (package / "mylib" / "losses.py").as_uri(), LOSSES)
    assert [(d.code, coordinates(d.range)) for d in diagnostics] == [("TFG001", at) for at in HELPER_CUTS]
    for found in diagnostics:
        (related,) = found.related_information
        assert related.location == types.Location((package / "train.py").as_uri(), ENTRY)
        assert related.message == "differentiated here: passed as loss to model.compile (line 7)"
        assert found.code_description.href.endswith(DOCS)


@pytest.mark.asyncio
async def test_editing_the_helper_updates_the_entry_point_in_the_other_open_file(in_package, package):
    """train.py has no cut of its own; it shows where its differentiated code is cut elsewhere."""
    helper, train = (package / "mylib" / "losses.py").as_uri(), (package / "train.py").as_uri()
    (entry,) = await open_document(in_package, train, TRAIN)
    assert (coordinates(entry.range), entry.severity, entry.code) == (coordinates(ENTRY), types.DiagnosticSeverity.Information, None)
    assert entry.message == CUT_ELSEWHERE.format("3 findings", "TFG001")
    assert [coordinates(r.location.range) for r in entry.related_information] == HELPER_CUTS
    assert {r.location.uri for r in entry.related_information} == {helper}

    await open_document(in_package, helper, LOSSES)
    send_change(in_package, helper, 2, LOSSES.replace(" + np.log(np.exp(y_pred).sum())", ""))
    (entry,) = (await next_publication(in_package, train)).diagnostics
    assert entry.message == CUT_ELSEWHERE.format("1 finding", "TFG001")
    assert [coordinates(r.location.range) for r in entry.related_information] == [HELPER_CUTS[0]]

    send_change(in_package, helper, 3, LOSSES.replace("np.mean((y_true - y_pred) ** 2) + np.log(np.exp(y_pred).sum())", "0.0"))
    assert list((await next_publication(in_package, train)).diagnostics) == []

    # Closed, the helper is what is on disk again: its cuts are back in train.py's view, its own diagnostics gone.
    in_package.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(helper)))
    assert list((await next_publication(in_package, helper)).diagnostics) == []
    (entry,) = (await next_publication(in_package, train)).diagnostics
    assert entry.message == CUT_ELSEWHERE.format("3 findings", "TFG001")


@pytest.mark.asyncio
async def test_a_helper_saved_to_disk_is_read_again(in_package, package):
    train = (package / "train.py").as_uri()
    (entry,) = await open_document(in_package, train, TRAIN)
    (package / "mylib" / "losses.py").write_text(LOSSES.replace("np.mean(", "tf.reduce_mean(").replace(
        "import numpy as np\n", "import numpy as np\nimport tensorflow as tf\n"))
    in_package.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(train)))
    (entry,) = (await next_publication(in_package, train)).diagnostics
    assert entry.message == CUT_ELSEWHERE.format("2 findings", "TFG001")


# --- notebooks through notebookDocument synchronisation ------------------------------

NOTEBOOK = ROOT / "fixtures" / "notebooks" / "vi_two_bumps.ipynb"


@IN_SESSION
async def test_a_notebook_opened_as_cells_shows_the_seed_cuts_in_its_cells(client: LanguageClient, tmp_path: Path):
    import json

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    uri = (tmp_path / "vi_two_bumps.ipynb").as_uri()
    documents = [types.TextDocumentItem(f"{uri}#cell{n}", "python" if cell["cell_type"] == "code" else "markdown", 1,
                                        "".join(cell["source"])) for n, cell in enumerate(cells, 1)]
    kinds = {"code": types.NotebookCellKind.Code, "markdown": types.NotebookCellKind.Markup}
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        types.NotebookDocument(uri, "jupyter-notebook", 1, [
            types.NotebookCell(kinds[cell["cell_type"]], document.uri) for cell, document in zip(cells, documents)]),
        documents,
    ))
    published = await next_publication(client, f"{uri}#cell3")
    assert shown(published.diagnostics) == [
        ("TFG001", (1, 35, 1, 56), ERROR, "tflint-grad"),
        ("TFG001", (1, 83, 1, 104), ERROR, "tflint-grad"),
        ("TFG001", (3, 11, 3, 33), ERROR, "tflint-grad"),
        ("TFG101", (4, 18, 4, 35), WARNING, "tflint-grad"),
    ]
    (related,) = published.diagnostics[3].related_information
    assert related.location.uri == f"{uri}#cell4"
    assert related.location.range.start.line == 6

    client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
        types.NotebookDocumentIdentifier(uri), [types.TextDocumentIdentifier(d.uri) for d in documents]))
    assert list((await next_publication(client, f"{uri}#cell3")).diagnostics) == []
