"""The hooks on TensorFlow's eager tensor and variable classes (imports TensorFlow).

Installed when the first :class:`~tflint_grad.guard.guard` becomes active and
removed, attribute by attribute, when the last one ends: what was defined on
a class is put back, what was added is deleted, so TensorFlow is exactly as
it was.  While installed, every way a Python program turns an eager tensor
or a variable into host data passes through :func:`_convert`:

* the conversion methods ``.numpy()``, ``__array__``, ``__float__``,
  ``__int__``, ``__bool__``, ``__complex__``, ``__index__``;
* numpy's dispatch protocols, ``__array_ufunc__`` (``np.exp(t)``) and
  ``__array_function__`` (``np.mean(t)`` and most of numpy's API), which
  these classes do not define otherwise;
* ``np.asarray``, ``np.array``, ``np.asanyarray``, which read an eager tensor
  through the buffer protocol (C, no hook): the module attributes are
  wrapped, so ``from numpy import asarray`` made before the guard escapes.

``ndarray <op> tensor`` also reaches ``__array_ufunc__`` once it is defined
(numpy stops deferring to the tensor's ``__array_priority__``); when the
calling instruction is an operator, the hook hands the operation back to the
tensor's reflected method, exactly as TensorFlow does without the guard.

A conversion is a cut when the value is recorded by an active tape
(``record.should_record_backprop``: not outside tapes, not on constants or
unwatched tensors, not inside ``stop_recording()``, not after the tape
ended) and the code that asked for it is not TensorFlow's own (TensorFlow,
TFP and Keras read values internally, e.g. ``tf.get_static_value``); numpy
and scipy frames are looked through to the caller.
"""

from __future__ import annotations

import dis
import sys
import threading
from typing import Callable

import numpy as np
from tensorflow.python.eager import record
from tensorflow.python.framework import ops
from tensorflow.python.ops import resource_variable_ops

from .cut import HOST_CONVERSION, NUMPY_CALL, Cut

TENSOR, VARIABLE = ops._EagerTensorBase, resource_variable_ops.BaseResourceVariable
GUARDED = (TENSOR, VARIABLE)
CONVERSIONS = {  # method -> how the message names it
    "numpy": ".numpy()", "__array__": "__array__()", "__float__": "float()", "__int__": "int()",
    "__bool__": "bool()", "__complex__": "complex()", "__index__": "operator.index()",
}
NUMPY_CONSTRUCTORS = ("asarray", "array", "asanyarray")
LOOKED_THROUGH = {"numpy", "scipy"}  # their frames sit between the user's call and the conversion
LIBRARIES = {"tensorflow", "tensorflow_probability", "keras", "tf_keras", "tflint_grad"}
OPERATORS = {"BINARY_OP", "COMPARE_OP"} | {name for name in dis.opname if name.startswith(("BINARY_", "INPLACE_"))}
REFLECTED = {  # ufunc of ``other <op> tensor`` -> the tensor's method that computes it
    "add": "__radd__", "subtract": "__rsub__", "multiply": "__rmul__", "divide": "__rtruediv__",
    "true_divide": "__rtruediv__", "floor_divide": "__rfloordiv__", "remainder": "__rmod__",
    "power": "__rpow__", "matmul": "__rmatmul__", "bitwise_and": "__rand__", "bitwise_or": "__ror__",
    "bitwise_xor": "__rxor__", "less": "__gt__", "less_equal": "__ge__", "greater": "__lt__",
    "greater_equal": "__le__", "equal": "__eq__", "not_equal": "__ne__",
}
MISSING = object()

_local = threading.local()  # .quiet: conversions made while a checked one runs are not checked again


class _Quiet:
    def __enter__(self) -> None:
        _local.quiet = getattr(_local, "quiet", 0) + 1

    def __exit__(self, *exc) -> None:
        _local.quiet -= 1


quiet = _Quiet()


def recorded(value) -> bool:
    """Does an active, recording tape record ``value``?"""
    if isinstance(value, VARIABLE):
        if not value.trainable:
            return False
        value = value.value()  # the read a conversion makes anyway: tapes watch the variable from here on
    return isinstance(value, TENSOR) and record.should_record_backprop([value])


def _user_frame(frame):
    """The frame that asked for the conversion, numpy and scipy looked through; and the outermost of those."""
    via = None
    while frame is not None and _package(frame) in LOOKED_THROUGH:
        via, frame = frame, frame.f_back
    return frame, via


def _package(frame) -> str:
    return frame.f_globals.get("__name__", "").partition(".")[0]


class Hooks:
    """The installed hooks; ``report`` receives every cut (and raises or warns)."""

    def __init__(self, report: Callable[[Cut], None]) -> None:
        self.report = report
        self.saved: list[tuple[object, str, object]] = []

    def check(self, values, operation: str, rule: str, caller) -> None:
        __tracebackhide__ = True  # pytest shows the user's line, not the guard's frames
        if getattr(_local, "quiet", 0):
            return
        with quiet:
            if not any(isinstance(v, GUARDED) and recorded(v) for v in values):
                return
        frame, via = _user_frame(caller)
        if frame is None or _package(frame) in LIBRARIES:
            return
        name = "" if via is None else f"{via.f_globals['__name__']}.{via.f_code.co_name}"
        self.report(Cut(operation, rule, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, name))

    # -- installing ---------------------------------------------------------------------

    def _set(self, owner, name: str, value) -> None:
        self.saved.append((owner, name, vars(owner).get(name, MISSING)))
        setattr(owner, name, value)

    def install(self) -> None:
        for cls in GUARDED:
            for name, shown in CONVERSIONS.items():
                if hasattr(cls, name):
                    self._set(cls, name, self._method(getattr(cls, name), shown))
            self._set(cls, "__array_ufunc__", self._array_ufunc)
            self._set(cls, "__array_function__", self._array_function)
        for name in NUMPY_CONSTRUCTORS:
            self._set(np, name, self._constructor(getattr(np, name), f"numpy.{name}"))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self.saved):
            if original is MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self.saved.clear()

    # -- the hooks ------------------------------------------------------------------------

    def _method(self, original, shown: str):
        hooks = self

        def converting(value, *args, **kwargs):
            __tracebackhide__ = True
            hooks.check((value,), shown, HOST_CONVERSION, sys._getframe(1))
            with quiet:
                return original(value, *args, **kwargs)

        converting.__name__ = getattr(original, "__name__", shown)
        return converting

    def _constructor(self, original, qualified: str):
        hooks = self

        def constructing(value, *args, **kwargs):
            __tracebackhide__ = True
            if isinstance(value, GUARDED):
                hooks.check((value,), qualified, HOST_CONVERSION, sys._getframe(1))
            with quiet:
                return original(value, *args, **kwargs)

        constructing.__name__ = original.__name__
        return constructing

    @property
    def _array_ufunc(self):
        hooks = self

        def __array_ufunc__(tensor, ufunc, method, *inputs, **kwargs):
            __tracebackhide__ = True
            caller = sys._getframe(1)
            reflected = REFLECTED.get(ufunc.__name__)
            if (reflected and method == "__call__" and "out" not in kwargs and len(inputs) == 2
                    and isinstance(inputs[1], GUARDED) and _operator_at(caller)):
                return getattr(inputs[1], reflected)(inputs[0])
            name = _ufunc_name(ufunc) + ("" if method == "__call__" else f".{method}")
            hooks.check(inputs + tuple(kwargs.get("out", ())), name, NUMPY_CALL, caller)
            with quiet:
                host = [np.asarray(x) if isinstance(x, GUARDED) else x for x in inputs]
                return getattr(ufunc, method)(*host, **kwargs)

        return __array_ufunc__

    @property
    def _array_function(self):
        hooks = self

        def __array_function__(tensor, func, types, args, kwargs):
            __tracebackhide__ = True
            values = [v for arg in (*args, *kwargs.values()) for v in (arg if isinstance(arg, (list, tuple)) else (arg,))]
            hooks.check(values, f"{func.__module__}.{func.__name__}", NUMPY_CALL, sys._getframe(1))
            implementation = getattr(func, "_implementation", None) or func.__wrapped__
            with quiet:
                return implementation(*args, **kwargs)

        return __array_function__


def _operator_at(frame) -> bool:
    """Is ``frame`` executing an operator (``a * t``) rather than a call (``np.multiply(a, t)``)?"""
    return dis.opname[frame.f_code.co_code[frame.f_lasti]] in OPERATORS


def _ufunc_name(ufunc) -> str:
    if getattr(np, ufunc.__name__, None) is ufunc:
        return f"numpy.{ufunc.__name__}"
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, ufunc.__name__, None) is ufunc:
        return f"scipy.special.{ufunc.__name__}"
    return ufunc.__name__
