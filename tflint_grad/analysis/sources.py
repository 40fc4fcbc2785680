"""Gradient sources beyond constructors: what a tape block calls, what it watches, what is not one.

* **Called objects.**  In differentiated code, calling a value (``model(x)``
  with ``model`` a parameter, ``self.actor(state)`` on a plain class, a model
  named by the gradient's sources, ``self.model.encode(x)``) gives a tensor
  with a recorded path: the object is a model held anywhere.
* **Identity.**  Inside a tape whose gradient names some of the objects its
  block calls (``tape.gradient(loss, self.model.trainable_variables)``), only
  those are sources for it: a DQN target network or a frozen model called in
  the same block is not.  When the gradient names none of them (sources
  computed elsewhere, ``self.trainable_variables``), every called object is.
* **Watches.**  ``tape.watch(x)`` makes ``x`` LIVE for the calls that tape
  records after the watch.
* **Not sources although an entry API fills them**: Keras ``training`` and
  ``mask`` (``tables/apis.NON_TENSOR_PARAMS``), and the lookup and text layers
  (``StringLookup``...), whose ``call`` takes strings or ids and is not
  differentiated.

A mixin of :class:`~tflint_grad.analysis.dataflow.Dataflow`.
"""

from __future__ import annotations

from ..ir.model import PARAM, Call, Free, Local, ModuleIR, SelfAttr, Scope, self_name
from .project import Definition, Project
from .tables.apis import DISCRETE_LAYERS

Key = tuple  # (path, scope id)
MAX_EXPANSION = 64  # definitions followed back from a receiver or a gradient's sources


def is_discrete_layer(project: Project, klass: Definition) -> bool:
    """A Keras layer whose inputs are strings or integer ids (``StringLookup``, ``TextVectorization``)."""
    for current in project.class_chain(klass):
        if current.klass.name in DISCRETE_LAYERS:
            return True
        for base in project.class_bases(current):
            if isinstance(base, str) and base.rsplit(".", 1)[-1] in DISCRETE_LAYERS:
                return True
    return False


def _objects(scope: Scope, atoms) -> frozenset:
    """The objects a value is made of: parameters, self attributes, free names (locals followed back)."""
    found: set = set()
    seen: set = set()
    stack = list(atoms)
    while stack and len(seen) < MAX_EXPANSION:
        atom = stack.pop()
        if atom in seen:
            continue
        seen.add(atom)
        kind = type(atom)
        if kind is Local:
            definition = scope.definitions[atom.index]
            if definition.kind == PARAM:
                found.add(atom)
            else:
                stack.extend(definition.deps)
        elif kind is Free and atom.name in scope.names:
            stack.extend(scope.all_definitions(atom.name))
        elif kind in (Free, SelfAttr):
            found.add(atom)
    return frozenset(found)


def _called(scope: Scope, call: Call) -> frozenset:
    """The objects a call calls: ``self.actor(x)`` calls the attribute, ``model.encode(x)`` the model."""
    head, _, rest = (call.callee or "").partition(".")
    if rest and "." not in rest and head == self_name(scope):
        return frozenset({SelfAttr(rest)})
    return _objects(scope, call.receiver)


class Sources:
    def called_object(self, module: ModuleIR, scope: Scope, call: Call, target) -> bool:
        """Whether a call, as resolved, calls a value: ``model(x)``, ``self.actor(x)``, ``agent.net(x)``."""
        if target.definition is not None or call.callee is None or not call.receiver:
            return False
        if target.qualified == "":  # a name bound here to some value, not an unknown global
            binding, _ = self.project.lookup_dotted(module, scope, call.callee)
            return binding is not None and binding.kind == "var"
        if not target.qualified.startswith("tensor."):
            return False
        head, _, rest = call.callee.partition(".")
        return head == self_name(scope) and "." not in rest  # self.actor(x), not self.env.step(a)

    def object_call_source(self, key: Key, module: ModuleIR, scope: Scope, call: Call, target) -> bool | None:
        """For a call in differentiated code: True if it calls a source object, False if it calls an
        object the recording tape's gradient excludes, None if the call is no object call."""
        recording = self.recording(key, scope, call)
        if not (recording or key in self.reached):
            return None
        objects = _called(scope, call)
        for position in reversed(recording):
            named, called = self._tape_objects(key, scope, position)
            if named & called:  # the gradient names what it wants: only those
                if objects & named:
                    return True
                return False if self.called_object(module, scope, call, target) else None
        if self.called_object(module, scope, call, target):
            return True
        return None

    def _tape_objects(self, key: Key, scope: Scope, position: int) -> tuple[frozenset, frozenset]:
        """What a tape block's gradients name as sources, and the objects its block calls."""
        cache = self.tape_objects
        found = cache.get((key, position))
        if found is None:
            tapes = self.tapes[key[0]]
            tape = tapes.tapes[tapes.tape_blocks[(scope.id, position)]]
            named = frozenset().union(*(_objects(scope, g.sources) for g in tape.gradients if g.scope == scope.id))
            module = self.modules[key[0]]
            called = frozenset().union(*(
                _called(scope, c) for c in scope.calls
                if position in self.recording(key, scope, c)
                and self.called_object(module, scope, c, self.resolver.call(module, scope, c))
            ))
            found = cache[(key, position)] = (named, called)
        return found

    def watched(self, key: Key, scope: Scope, call: Call, atoms) -> bool:
        """Whether an input of a call is watched by a tape that records the call, before it."""
        recording = self.recording(key, scope, call)
        if not recording:
            return False
        tapes = self.tapes[key[0]]
        for position in recording:
            tape = tapes.tapes[tapes.tape_blocks[(scope.id, position)]]
            for watch in tape.watches:
                if watch.scope == scope.id and watch.call < call.index and set(watch.watched) & set(atoms):
                    return True
        return False
