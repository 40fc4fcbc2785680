"""A progress line for long runs: ``tflint-grad: parsed 480 of 1537 files``.

Shown on stderr only when it is a terminal, and only once the run has taken
longer than :data:`AFTER` seconds (``TFLINT_GRAD_PROGRESS_AFTER`` sets it), so
short runs, pipes, CI logs and editors never see it.  It is redrawn in place
and erased at the end, leaving the report as it would be without it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

AFTER = 0.5  # seconds


class Progress:
    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.stream = stream
        self.after = _seconds(os.environ.get("TFLINT_GRAD_PROGRESS_AFTER", ""))
        self.started = time.monotonic()
        self.width = 0

    @classmethod
    def for_terminal(cls, total: int) -> "Progress | None":
        return cls(total) if sys.stderr.isatty() else None

    def __call__(self, parsed: int) -> None:
        if time.monotonic() - self.started < self.after:
            return
        line = f"tflint-grad: parsed {parsed} of {self.total} files"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _seconds(value: str) -> float:
    """The delay the environment asks for; the default when it says nothing usable."""
    try:
        return max(0.0, float(value))
    except ValueError:
        return AFTER
