"""How long the language server takes to re-analyse a document after an edit.

For each file (the seed, TFP's ``distribution.py`` and the largest module in
``tensorflow_probability/python``) it measures, in one run:

* ``parse``: a bare ``libcst.parse_module`` of the text, the floor any
  libcst-based linter pays per edit;
* ``analyse``: the server's own per-edit work in-process (configuration,
  analysis, diagnostics in LSP terms);
* ``round trip``: a real ``tflint-grad lsp`` over stdio, from sending
  ``didChange`` to receiving ``publishDiagnostics``, less the server's
  deliberate debounce delay.

Each edit appends a different comment, so every round is a new version.
Medians over ``--rounds`` edits; the ratios are against ``parse``.  Timings
are printed, never asserted: they depend on the machine.

    python benchmarks/lsp_reanalysis.py [--rounds N] [EXTRA.py ...]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import libcst
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.workspace import PositionCodec

from tflint_grad.lsp.convert import LineIndex, diagnostics
from tflint_grad.lsp.document import analyse
from tflint_grad.lsp.features import DEBOUNCE

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "vi_two_bumps.py"


def default_files() -> list[Path]:
    spec = importlib.util.find_spec("tensorflow_probability")  # locates TFP without importing TensorFlow
    if spec is None or spec.origin is None:
        return [SEED]
    python = Path(spec.origin).parent / "python"
    largest = max(python.rglob("*.py"), key=lambda p: p.stat().st_size)
    return list(dict.fromkeys([SEED, python / "distributions" / "distribution.py", largest]))


def edits(text: str, rounds: int) -> list[str]:
    return [f"{text}\n# edit {i}\n" for i in range(rounds)]


def median_seconds(work, inputs: list[str]) -> float:
    times = []
    for text in inputs:
        start = time.perf_counter()
        work(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(path: Path, text: str) -> None:
    """What the server does per edit, without the protocol."""
    analysis = analyse(str(path), text, None)
    diagnostics(analysis.errors, analysis.findings, path.as_uri(), LineIndex(text, PositionCodec().client_num_units))


async def round_trips(path: Path, texts: list[str]) -> tuple[float, int]:
    """Median seconds from didChange to publishDiagnostics (debounce excluded), and the findings."""
    client = LanguageClient("lsp-reanalysis-benchmark", "1")
    published: asyncio.Queue = asyncio.Queue()
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: published.put_nowait(params))
    await client.start_io(sys.executable, "-m", "tflint_grad", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    uri = path.resolve().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, texts[0])))
    findings = len((await published.get()).diagnostics)
    times = []
    for version, text in enumerate(texts, start=2):
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri), [types.TextDocumentContentChangeWholeDocument(text)]
        ))
        while (await published.get()).version != version:
            pass
        times.append(time.perf_counter() - start - DEBOUNCE)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return statistics.median(times), findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="more files to measure")
    parser.add_argument("--rounds", type=int, default=7, help="edits per file (default 7)")
    args = parser.parse_args(argv)
    header = (
        f"{'file':<34} {'KiB':>5} {'lines':>6} {'found':>5} {'parse ms':>9} "
        f"{'analyse ms':>11} {'ratio':>6} {'round trip ms':>14} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for path in [*default_files(), *args.files]:
        text = path.read_text(encoding="utf-8")
        texts = edits(text, args.rounds)
        median_seconds(libcst.parse_module, texts[:1])  # warm libcst's parser
        parse = median_seconds(libcst.parse_module, texts)
        analysis = median_seconds(lambda t: in_process(path, t), texts)
        trip, found = asyncio.run(round_trips(path, [text, *texts]))
        print(
            f"{path.name:<34} {len(text.encode()) / 1024:>5.0f} {text.count(chr(10)):>6} {found:>5} "
            f"{parse * 1e3:>9.1f} {analysis * 1e3:>11.1f} {analysis / parse:>5.1f}x "
            f"{trip * 1e3:>14.1f} {trip / parse:>5.1f}x"
        )
    print(f"\nround trip = didChange -> publishDiagnostics over stdio, less the {DEBOUNCE * 1e3:.0f} ms debounce.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
