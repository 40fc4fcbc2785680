"""``tflint-grad lsp``: run the language server over stdio.

This module imports nothing from pygls, so that a missing optional dependency
is one clear line and exit code 2 rather than a traceback; everything that
needs pygls lives in ``features``.
"""

from __future__ import annotations

import argparse
import sys

from ..exit_codes import EXIT_ERROR

OPTIONAL = {"pygls", "lsprotocol"}
INSTALL = "tflint-grad: error: the language server needs pygls: pip install 'tflint-grad[lsp]'"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tflint-grad lsp", description="Run the tflint-grad language server over stdio."
    )
    parser.add_argument(
        "--stdio", action="store_true", help="accepted for clients that always pass it; stdio is the only transport"
    )
    parser.parse_args(argv)
    try:
        from .features import server
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in OPTIONAL:
            raise
        print(INSTALL, file=sys.stderr)
        return EXIT_ERROR
    server.start_io()
    return 0
