"""Run a function on a thread with a deep stack, so deeply nested but legal code is analysed.

libcst's parser is native code that recurses once per nesting level on the C
stack, and libcst's visitors (``PositionProvider``), like our summary builder,
recurse in Python, two to four frames per level.  CPython compiles
expressions about 3,000 levels deep (a sum of 3,000 terms, a 3,000-long
attribute chain); with the default recursion limit of 1,000 the analysis
stopped near 300 levels with a ``RecursionError``, and 1,500 nested
parentheses overflowed the main thread's 8 MiB C stack inside the parser
(a segmentation fault).  A thread's stack size can be chosen when it starts,
the main thread's cannot, so the work moves to a fresh thread whose stack is
big enough for the recursion limit raised here.  The stack is reserved, not
committed: only the pages a deep file touches cost memory.

The recursion limit is interpreter-wide; it is raised while any deep call
runs and restored when the last one ends.  A nested call runs in place.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

STACK_BYTES = 512 << 20  # measured: ~100 KiB of C stack per 1,000 frames, plus the native parser's
RECURSION_LIMIT = 60_000  # Python frames: about 4 per nesting level for 10,000 levels, with room to spare

T = TypeVar("T")

_inside = threading.local()
_lock = threading.Lock()
_running = 0
_saved_limit = 0


def run_with_deep_stack(fn: Callable[..., T], *args) -> T:
    """``fn(*args)`` on a thread with a ``STACK_BYTES`` stack and a raised recursion limit.

    Returns what ``fn`` returns and raises what it raises.  Falls back to a
    plain call when no such thread can be started (a platform without
    adjustable stacks, or no address space left for one).
    """
    if getattr(_inside, "deep", False):
        return fn(*args)
    outcome: dict[str, object] = {}

    def target() -> None:
        _inside.deep = True
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    _raise_limit()  # before the thread starts: it may recurse at once
    try:
        thread = _start(target)
        if thread is not None:
            thread.join()
    finally:
        _restore_limit()
    if thread is None:
        return fn(*args)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _start(target: Callable[[], None]) -> threading.Thread | None:
    """A started daemon thread (Ctrl-C still ends the run) with the deep stack, or None."""
    with _lock:  # stack_size is a process-wide setting for the threads started next
        try:
            previous = threading.stack_size(STACK_BYTES)
        except (ValueError, RuntimeError):
            return None
        try:
            thread = threading.Thread(target=target, name="tflint-grad-deep", daemon=True)
            thread.start()
        except RuntimeError:  # cannot reserve the stack
            return None
        finally:
            threading.stack_size(previous)
    return thread


def _raise_limit() -> None:
    global _running, _saved_limit
    with _lock:
        if _running == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, RECURSION_LIMIT))
        _running += 1


def _restore_limit() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0:
            sys.setrecursionlimit(_saved_limit)
