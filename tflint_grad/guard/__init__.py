"""A runtime guard that makes TensorFlow fail like PyTorch on a gradient cut.

PyTorch refuses ``.numpy()`` on a tensor that requires grad; TensorFlow in
eager mode lets numpy convert a tensor a ``GradientTape`` is recording, and
the gradient is silently lost.  While a guard is active, such a conversion
(numpy ufuncs and functions, ``.numpy()``, ``__array__``, ``np.asarray``,
``float``/``int``/``bool``/``complex``/``__index__``) raises
:class:`GradientCutError` (mode ``"raise"``) or warns once per site (mode
``"warn"``).  Three ways to turn it on:

* ``with guard():`` or ``@guard()`` around code;
* ``python -m tflint_grad.guard script.py ARGS`` for a whole script;
* ``pytest --tflint-grad-guard`` (or ``tflint_grad_guard = raise`` in the
  pytest ini) for a whole test suite, through the plugin in :mod:`.plugin`.

Importing this package costs nothing and never imports TensorFlow: the
hooks (:mod:`.patches`) are installed when the first guard becomes active and
removed, restoring TensorFlow exactly, when the last one ends.
"""

from __future__ import annotations

import threading
import warnings
from contextlib import ContextDecorator
from typing import Callable

from .cut import Cut, GradientCutError, GradientCutWarning

RAISE, WARN = "raise", "warn"
MODES = (RAISE, WARN)

__all__ = ["Cut", "GradientCutError", "GradientCutWarning", "guard", "RAISE", "WARN"]

_lock = threading.Lock()
_active: list[guard] = []  # innermost last; the innermost one decides what a cut does
_hooks = None


class guard(ContextDecorator):
    """Fail loudly on a gradient cut while active.

    ``mode="raise"`` raises :class:`GradientCutError`; ``mode="warn"`` issues
    a :class:`GradientCutWarning` once per site and lets the program go on.
    ``on_cut``, if given, receives every :class:`Cut` instead of the warning
    (in ``warn`` mode) before the error (in ``raise`` mode).  ``cuts`` lists
    the distinct sites this guard saw.
    """

    def __init__(self, mode: str = RAISE, on_cut: Callable[[Cut], None] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"guard mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.on_cut = on_cut
        self.cuts: list[Cut] = []
        self._seen: set[tuple] = set()

    def __enter__(self) -> guard:
        global _hooks
        with _lock:
            if _hooks is None:
                from .patches import Hooks  # TensorFlow is imported here, and only here

                _hooks = Hooks(_report)
                _hooks.install()
            _active.append(self)
        return self

    def __exit__(self, *exc) -> None:
        global _hooks
        with _lock:
            _active.remove(self)
            if not _active:
                _hooks.uninstall()
                _hooks = None

    def _handle(self, cut: Cut) -> None:
        __tracebackhide__ = True
        site = (cut.filename, cut.line, cut.operation)
        first = site not in self._seen
        if first:
            self._seen.add(site)
            self.cuts.append(cut)
        if self.mode == RAISE:
            if self.on_cut is not None:
                self.on_cut(cut)
            raise GradientCutError(cut)
        if first:
            if self.on_cut is not None:
                self.on_cut(cut)
            else:
                warnings.warn_explicit(cut.message, GradientCutWarning, cut.filename, cut.line)


def _report(cut: Cut) -> None:
    __tracebackhide__ = True
    _active[-1]._handle(cut)

