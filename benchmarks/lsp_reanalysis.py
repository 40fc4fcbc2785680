"""How fast the language server answers, over stdio, with a real LSP client, in one run.

* ``first diagnostics``: from sending ``initialize`` (right after starting
  ``tflint-grad lsp``, as an editor does, so the server's imports count) to
  the first ``publishDiagnostics`` for the seed, opened at once; the project
  (this repository) is indexed meanwhile, in the background.  Target 1.5 s.
* ``seed edit``: from ``didChange`` on the seed to its new diagnostics, less
  the server's deliberate debounce delay.  Target 150 ms.
* ``helper edit``: a generated 200-file project (``train.py`` fits a model
  with a loss from ``app/losses.py``; 196 modules of Keras layers and
  helpers in chains of imports, the last of each chain importing the loss,
  so an edit to it re-analyses nearly the whole project), both files
  open and the project indexed: from ``didChange`` on the helper (adding or
  removing a numpy call) to train.py's new diagnostics (its entry point's
  count of cuts elsewhere), less the debounce.  Target 300 ms.

Medians over ``--rounds``; ``parse`` is a bare ``libcst.parse_module`` of the
seed, the floor any libcst-based linter pays per edit.  Timings are printed,
never asserted: they depend on the machine (and on what else it runs).

    python benchmarks/lsp_reanalysis.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import libcst
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tflint_grad.lsp.features import DEBOUNCE

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "vi_two_bumps.py"
MODULES = 196  # plus app/__init__.py, app/common.py, app/losses.py and train.py: 200 files
CHAIN = 20  # each module imports the one before it, in chains of this length
LOSSES = """import numpy as np


def loss(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2){extra}
"""
CUT = " + np.log(np.exp(y_pred).sum())"
MODULE = """import tensorflow as tf

from app import common{imports}


def f_{i}(x):
    return common.scale(x){calls}


class Layer{i}(tf.keras.layers.Layer):
    def call(self, x):
        return tf.nn.relu(f_{i}(x))
"""
TRAIN = """import numpy as np
import tensorflow as tf

from app.layer_{last} import Layer{last}
from app.losses import loss

model = tf.keras.Sequential([Layer{last}(), tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss=loss)
model.fit(np.ones((4, 2)), np.ones((4, 1)))
"""


def generate(folder: Path) -> tuple[Path, Path]:
    """The 200-file project; returns (train.py, app/losses.py)."""
    (folder / "pyproject.toml").write_text('[project]\nname = "generated"\n')
    app = folder / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "common.py").write_text("import tensorflow as tf\n\n\ndef scale(x):\n    return x * 2.0\n")
    (app / "losses.py").write_text(LOSSES.format(extra=CUT))
    for i in range(MODULES):
        imports, calls = "", ""
        if i % CHAIN:
            imports += f"\nfrom app.layer_{i - 1} import f_{i - 1}"
            calls += f" + f_{i - 1}(x)"
        if i % CHAIN == CHAIN - 1:
            imports += "\nfrom app.losses import loss"
        (app / f"layer_{i}.py").write_text(MODULE.format(i=i, imports=imports, calls=calls))
    (folder / "train.py").write_text(TRAIN.format(last=MODULES - 1))
    return folder / "train.py", app / "losses.py"


class Client:
    """A real ``tflint-grad lsp`` over stdio, with every publication queued in order."""

    def __init__(self) -> None:
        self.client = LanguageClient("lsp-reanalysis-benchmark", "1")
        self.published: asyncio.Queue = asyncio.Queue()
        self.indexed = asyncio.Event()
        self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: self.published.put_nowait(params))
        self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda params: None)
        self.client.feature(types.PROGRESS)(lambda params: self._progress(params.value))

    def _progress(self, value) -> None:
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        if kind == "end":
            self.indexed.set()

    async def start(self, folder: Path) -> float:
        """Start the server and initialise it; the seconds from ``initialize`` to its answer."""
        await self.client.start_io(sys.executable, "-m", "tflint_grad", "lsp")
        start = time.perf_counter()
        capabilities = types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=capabilities, workspace_folders=[types.WorkspaceFolder(folder.as_uri(), folder.name)]))
        self.client.initialized(types.InitializedParams())
        return time.perf_counter() - start

    def open(self, path: Path, text: str) -> str:
        uri = path.resolve().as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri), [types.TextDocumentContentChangeWholeDocument(text)]))

    async def next(self, uri: str) -> types.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(self.published.get(), 60)
            if params.uri == uri:
                return params

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def first_diagnostics() -> tuple[float, float, int]:
    """(initialize -> answer, initialize -> first diagnostics of the seed, findings)."""
    server = Client()
    answered = await server.start(ROOT)
    start = time.perf_counter()
    uri = server.open(SEED, SEED.read_text())
    found = len((await server.next(uri)).diagnostics)
    first = answered + time.perf_counter() - start
    await server.stop()
    return answered, first, found


async def seed_edits(rounds: int) -> tuple[float, int]:
    """Median seconds from didChange on the seed to its diagnostics (debounce excluded), and the findings."""
    server = Client()
    await server.start(ROOT)
    text = SEED.read_text()
    uri = server.open(SEED, text)
    await asyncio.wait_for(server.indexed.wait(), 120)
    times = []
    for version in range(2, rounds + 2):
        start = time.perf_counter()
        server.change(uri, version, f"{text}\n# edit {version}\n")
        while (published := await server.next(uri)).version != version:
            pass
        times.append(time.perf_counter() - start - DEBOUNCE)
    await server.stop()
    return statistics.median(times), len(published.diagnostics)


async def helper_edits(rounds: int) -> tuple[float, list[str]]:
    """Median seconds from didChange on the helper to train.py's new diagnostics (debounce excluded)."""
    with tempfile.TemporaryDirectory() as folder:
        train, losses = generate(Path(folder))
        server = Client()
        await server.start(Path(folder))
        await asyncio.wait_for(server.indexed.wait(), 300)
        train_uri = server.open(train, train.read_text())
        shown = [(await server.next(train_uri)).diagnostics[0].message]
        helper_uri = server.open(losses, losses.read_text())
        await server.next(helper_uri)
        times = []
        for version in range(2, rounds + 2):
            start = time.perf_counter()
            # A new text every round (the comment), so no round is answered from the run cache.
            server.change(helper_uri, version, LOSSES.format(extra="" if version % 2 == 0 else CUT) + f"# edit {version}\n")
            published = await server.next(train_uri)
            times.append(time.perf_counter() - start - DEBOUNCE)
            shown.append(published.diagnostics[0].message)
        await server.stop()
    return statistics.median(times), shown


def parse_floor(rounds: int) -> float:
    text = SEED.read_text()
    libcst.parse_module(text)  # warm the parser
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        libcst.parse_module(f"{text}\n# edit {i}\n")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure(rounds: int) -> None:
    answered, first, found = await first_diagnostics()
    print(f"first diagnostics       {first * 1e3:8.0f} ms  (target 1500; initialize answered after {answered * 1e3:.0f} ms;"
          f" {found} findings in the seed)")
    seed, found = await seed_edits(rounds)
    parse = parse_floor(rounds)
    print(f"seed edit               {seed * 1e3:8.0f} ms  (target 150; {found} findings;"
          f" a bare libcst parse of the seed: {parse * 1e3:.1f} ms)")
    helper, shown = await helper_edits(rounds)
    print(f"helper edit, 200 files  {helper * 1e3:8.0f} ms  (target 300; train.py showed, in turn:"
          f" {' / '.join(dict.fromkeys(m.split(': ')[-1] for m in shown))})")
    print(f"\nmedians of {rounds} edits; an edit's time is didChange -> publishDiagnostics over stdio,"
          f" less the {DEBOUNCE * 1e3:.0f} ms debounce.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="edits per measurement (default 7)")
    args = parser.parse_args(argv)
    asyncio.run(measure(args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
