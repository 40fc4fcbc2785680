"""Python conventions the IR bakes in (the API tables live in ``analysis/``).

Changing either set changes the IR that is built: bump ``model.IR_VERSION``.
"""

from __future__ import annotations

# Attributes whose value is static metadata, never a tensor (``x.shape[0]``).
STATIC_ATTRIBUTES = frozenset({
    "shape", "dtype", "ndim", "name", "device", "graph", "rank", "size", "itemsize", "nbytes",
    "batch_shape", "event_shape", "reparameterization_type", "trainable", "is_scalar",
    "base_dtype", "real_dtype", "as_numpy_dtype",
})

# Methods that put their arguments into the container they are called on.
MUTATING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "appendleft", "setdefault"})
