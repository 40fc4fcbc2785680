"""What is not a gradient source although an entry API fills it.

Keras passes ``training`` and ``mask`` to ``call`` (flags and boolean masks,
never differentiated), and the lookup and text layers take strings or integer
ids: their ``call`` is not differentiated code at all.  Both are decided here,
from tables (``tables/apis.py``), so ``reach.py`` only asks.
"""

from __future__ import annotations

from .project import Definition, Project
from .tables.apis import DISCRETE_LAYERS


def is_discrete_layer(project: Project, klass: Definition) -> bool:
    """A Keras layer whose inputs are strings or integer ids (``StringLookup``, ``TextVectorization``)."""
    for current in project.class_chain(klass):
        if current.klass.name in DISCRETE_LAYERS:
            return True
        for base in project.class_bases(current):
            if isinstance(base, str) and base.rsplit(".", 1)[-1] in DISCRETE_LAYERS:
                return True
    return False
