"""Run a function on a thread with a deep stack, so deeply nested but legal code is analysed.

CPython compiles expressions about 3,000 levels deep (a 3,000-term sum, a
3,000-long attribute or method chain) and 199 levels of brackets.  Our
summary builder and libcst's visitors (``PositionProvider``, in
``parse/located.py``) recurse in Python, 3 frames per level (6 for a method
chain ``x.f().f()``), so under the default recursion limit of 1,000 the
analysis stopped with a ``RecursionError`` at about 318 levels (158 for
method chains, 136 nested calls or lists).  libcst's native parser recurses on
the C stack, about 5 KiB per bracket: 1,500 nested parentheses overflow the
main thread's 8 MiB (a segmentation fault) and pass with 32 MiB.

The main thread's stack size is fixed when the process starts, a new
thread's is not: ``run_with_deep_stack`` runs the work on a fresh thread with
a ``STACK_BYTES`` stack and the recursion limit raised to ``RECURSION_LIMIT``
(10,000 levels of the deepest shape, three times what CPython compiles).  The
stack is reserved, not committed: only the pages a deep file touches cost
memory, and starting the thread costs about 0.25 ms.

The recursion limit is interpreter-wide: it is raised while any deep call
runs and restored when the last one ends.  A nested call runs in place.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

STACK_BYTES = 256 << 20  # measured need: 32 MiB for 5,000 nested parentheses; the rest is margin
RECURSION_LIMIT = 60_000  # Python frames: 6 per level of the deepest shape, for 10,000 levels

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
