"""numpy functions used as values: a cut where the function is handed over.

``Dense(activation=np.tanh)``, ``map(np.exp, xs)``, ``act = np.tanh`` passed to
a ``train_step`` that calls ``act(h)``, ``functools.partial(np.clip, ...)``,
``getattr(np, name)``, a config dict of numpy functions: the call that applies
the function is not written with numpy, so the finding is put where the numpy
function is named (``targets.Handover``) and its message says where it is
applied.  Applied to host data (``map(np.exp, host_list)``), or handed to code
nothing differentiates, it is no round-trip.  A mixin of
:class:`~tflint_grad.analysis.dataflow.Dataflow`, whose state it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..ir.model import Call
from .reach import Reason, display_name
from .round_trip import HandoverNote, RawRoundTrip, value_name
from .tables.apis import ROUND_TRIPS, Kind
from .tables.entry_points import CallableApi
from .targets import Target

Key = tuple  # (path, scope id)


@dataclass(frozen=True)
class HandedToApi:
    """A numpy function passed in a callable API's slot; reported once the output slice is known."""

    key: Key
    call: Call
    api: CallableApi
    target: Target
    reason: Reason


def moved_to_handover(raw: RawRoundTrip, target: Target) -> RawRoundTrip:
    """A round-trip found at the call that applies a numpy value, reported where it was handed over."""
    handover = target.handover
    return replace(raw, path=handover.path, call_index=handover.site, callee=handover.text,
                   handover=HandoverNote(handover.text, raw.path, raw.call_index))


class Handovers:
    def hand_to_api(self, key: Key, call: Call, api: CallableApi, target: Target, reason: Reason) -> None:
        self.handed_to_apis.append(HandedToApi(key, call, api, target, reason))

    def api_handover_round_trips(self):
        """The numpy functions APIs apply: to tensors always for an entry API (a layer's
        activation, a sampler's target); for ``map``/``tf.map_fn`` to the data passed with it."""
        seen: set = set()
        for handed in self.handed_to_apis:
            if handed.key in self.failed:
                continue
            module, scope = self.scope_of(handed.key)
            call, target, handover = handed.call, handed.target, handed.target.handover
            value: tuple = ("name", "")
            on_path = handed.api.output
            if handed.api.inherit:
                origin = self.origins[handed.key]
                data = [a for arg in call.args if not (arg.ref and arg.ref.dotted == handover.text) for a in arg.deps]
                tainted = next((a for a in data if self.is_tainted(handed.key, origin(a))), None)
                if tainted is None:
                    continue  # map(np.exp, host_list): host data
                value = value_name(scope, tainted)
                on_path = call.index in self.flows.get(handed.key, ())
            on_path = on_path and target.kind is not Kind.HOST_PREDICATE
            if (handover, on_path) in seen:
                continue
            seen.add((handover, on_path))
            recording = self.recording(handed.key, scope, call)
            yield RawRoundTrip(
                handover.path, handover.site, ROUND_TRIPS[target.kind], target.qualified, handover.text, value,
                on_path, handed.reason, display_name(scope), scope.id, bool(recording),
                recording[-1] if recording else -1, HandoverNote(handover.text, api=call.callee or f".{call.attr}"),
            )
