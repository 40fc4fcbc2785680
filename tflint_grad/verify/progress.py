"""Live progress of the runs on stderr: which run, how many calls so far, how long.

On a terminal one line is rewritten in place; otherwise (a log, CI) a line is
printed every ``QUIET_EVERY`` seconds, so a long run is never silent and a
short one prints nothing.
"""

from __future__ import annotations

import sys
import threading
import time

QUIET_EVERY = 10.0  # seconds between lines when stderr is not a terminal


class Progress:
    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.state: dict[str, tuple[float, dict]] = {}
        self.printed = time.monotonic()
        self.lock = threading.Lock()

    def reporter(self, name: str):
        """The ``progress`` callback of one run (``runner.run``)."""
        self.state.setdefault(name, (0.0, {}))  # the runs keep the order they were started in

        def report(seconds: float, counts: dict) -> None:
            with self.lock:
                self.state[name] = (seconds, counts)
                now = time.monotonic()
                if self.live or now - self.printed >= QUIET_EVERY:
                    self.printed = now
                    end = "\r" if self.live else "\n"
                    self.stream.write("\x1b[2K" * self.live + "verify: " + " | ".join(
                        self._describe(n, *s) for n, s in self.state.items()) + end)
                    self.stream.flush()

        return report

    def done(self) -> None:
        if self.live and self.state:
            self.stream.write("\x1b[2K\r")
            self.stream.flush()

    @staticmethod
    def _describe(name: str, seconds: float, counts: dict) -> str:
        parts = [f"{name} {seconds:.0f} s"]
        if counts.get("gradients"):
            parts.append(f"{counts['gradients']} tape.gradient calls")
        if counts.get("calls"):
            parts.append(f"{counts['calls']} calls of flagged functions")
        return ", ".join(parts)
