"""tflint-grad: find TensorFlow gradient cuts (numpy/host round-trips on tensors
in differentiated code) with a libcst static analysis, and fix them.

The library API is :mod:`tflint_grad.api` (``check_paths``, ``check_source``,
``fix_source``), imported lazily so ``import tflint_grad`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["check_paths", "check_source", "fix_source", "__version__"]


def __getattr__(name: str):
    if name in ("check_paths", "check_source", "fix_source"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'tflint_grad' has no attribute {name!r}")
