"""One file's failure is that file's error: the run goes on.

Every stage that works on one file (reading, summarising, analysing one of
its scopes, locating its findings, fixing it) runs its unit of work through
:func:`isolated`.  An exception there, our own bug or a pathological input,
becomes a :class:`FileError` for that file, marked ``internal`` so the exit
code says a bug was hit (2), and every other file is still checked and
reported, in the CLI, the language server and the pre-commit hooks.

``--debug`` (or ``TFLINT_GRAD_DEBUG=1``) re-raises instead, with the
traceback.  The setting lives in the environment so worker processes see it.

A test-only switch proves the isolation on the real program:
``TFLINT_GRAD_TEST_FAULT=STAGE:NAME`` raises :class:`InjectedFault` when
STAGE runs for a file whose base name is NAME.  STAGE is one of
:data:`STAGES`; it is read at each call, so tests can set it per run.
"""

from __future__ import annotations

import os
from typing import Callable, TypeVar

from .findings import FileError

DEBUG_ENV = "TFLINT_GRAD_DEBUG"
FAULT_ENV = "TFLINT_GRAD_TEST_FAULT"

# stage -> how the message words it ("internal error while analysing")
STAGES = {
    "load": "reading",
    "summarise": "summarising",
    "analyse": "analysing",
    "locate": "locating findings in",
    "fix": "fixing",
}

T = TypeVar("T")


class InjectedFault(RuntimeError):
    """Raised only by the test-only switch ``TFLINT_GRAD_TEST_FAULT``."""


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def inject(stage: str, path: str) -> None:
    """Fail here if the test-only switch names this stage and file."""
    spec = os.environ.get(FAULT_ENV)
    if spec and spec == f"{stage}:{os.path.basename(path)}":
        raise InjectedFault(f"{FAULT_ENV}={spec}")


def internal_error(stage: str, path: str, error: BaseException, where: str = "") -> FileError:
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return FileError(
        path,
        f"internal error while {STAGES[stage]} this file{where}: {detail}"
        " - this is a bug in tflint-grad, please report it (--debug shows the traceback)",
        internal=True,
    )


def isolated(stage: str, path: str, work: Callable[[], T]) -> T | FileError:
    """``work()``, or the internal error it raised as this file's error."""
    try:
        inject(stage, path)
        return work()
    except Exception as error:  # noqa: BLE001 - the point: any bug stays in its file
        if debugging():
            raise
        return internal_error(stage, path, error)
