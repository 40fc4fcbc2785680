"""What a call or a callable value resolves to (shared by ``calls.py`` and ``callees.py``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .project import Definition as ProjectDefinition
from .tables.apis import ROUND_TRIPS, Kind
from .tables.entry_points import CallableApi


@dataclass(frozen=True)
class Handover:
    """Where a function was handed over as a value (``Dense(activation=np.tanh)``,
    ``act = np.tanh``, ``Trainer(log_cosh)``): the node it is written in and its text
    there ("" for the whole node, as for ``getattr(np, name)``).  A cut a numpy
    function makes is reported there."""

    path: str
    site: int
    text: str


@dataclass(frozen=True)
class Target:
    """What a call (or a callable reference) resolves to.

    Exactly one of ``kind`` (an API or value call, see ``apis.Kind``) and
    ``definition`` (a function, lambda or class in the project) is set.
    ``skip`` counts parameters already bound (``self`` of a bound method,
    ``functools.partial`` arguments).  A callable held in a variable, a
    parameter or a container may be any of several: the first is the target,
    ``also`` the others (``by_value``).  ``handover`` is where a function
    reached as a value was named (``Trainer(log_cosh)``, ``act = np.tanh``).
    """

    kind: Kind | None = None
    qualified: str = ""
    definition: ProjectDefinition | None = None
    skip: int = 0
    bound_keywords: tuple[str, ...] = ()
    api: CallableApi | None = None
    also: tuple[Target, ...] = ()
    handover: Handover | None = None
    by_value: bool = False  # found by following a value (a variable, parameter, attribute) to what it holds

    def alternatives(self) -> tuple[Target, ...]:
        return (self, *self.also)

    @property
    def is_host_value(self) -> bool:
        """A numpy/math/scipy function (or conversion) reached as a value, not by a call written with it."""
        return self.definition is None and self.handover is not None and self.kind in ROUND_TRIPS


UNKNOWN = Target(Kind.PROPAGATE)
IN_PROGRESS = Target(Kind.PROPAGATE, "<resolving>")


def any_of(targets: tuple[Target, ...]) -> Target | None:
    """The target of a call of a value: one standing for every callee the value may hold."""
    return replace(targets[0], also=tuple(targets[1:]), by_value=True) if targets else None


def bound_skip(method: ProjectDefinition, through_instance: bool) -> int:
    """Parameters Python fills for a method: ``self`` through an instance, ``cls`` for a
    classmethod, none for a staticmethod or a plain function taken from its class."""
    decorators = method.scope.decorators
    if "staticmethod" in decorators:
        return 0
    return 1 if through_instance or "classmethod" in decorators else 0
