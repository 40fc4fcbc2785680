"""What one gradient cut is, in words a user can act on (standard library only).

A :class:`Cut` is built by the guard when a tensor that an active
``GradientTape`` records is converted to numpy or a Python number.  Its
message names the operation, the line of the user's code that made it, the
TensorFlow op to use instead (from the autofix's replacement table, so the
guard and ``--fix`` never disagree) and the rule that documents it.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass

from ..fixes.replacements import replacement_for

NUMPY_CALL, HOST_CONVERSION = "TFG001", "TFG002"  # the rules that document each kind of cut
SHORT_NAMES = (("tensorflow.", "tf."), ("numpy.", "np."))
KEEP_TENSOR = (
    "keep it a tensor and use TensorFlow ops on it; to read the value on purpose, "
    "read it after the tape or inside `with tape.stop_recording():`"
)


class GradientCutError(RuntimeError):
    """A tensor that a ``GradientTape`` records was converted to numpy or a Python number."""

    __module__ = "tflint_grad.guard"

    def __init__(self, cut: Cut) -> None:
        super().__init__(cut.message)
        self.cut = cut


class GradientCutWarning(RuntimeWarning):
    """The ``warn`` mode's report of a :class:`GradientCutError`, once per site."""

    __module__ = "tflint_grad.guard"


def short(qualified: str) -> str:
    """``numpy.exp`` -> ``np.exp``, ``tensorflow.math.log`` -> ``tf.math.log``."""
    for long, abbreviation in SHORT_NAMES:
        if qualified.startswith(long):
            return abbreviation + qualified[len(long):]
    return qualified


@dataclass(frozen=True)
class Cut:
    operation: str  # "numpy.exp", "numpy.mean", ".numpy()", "float()", "numpy.asarray"
    rule: str  # NUMPY_CALL | HOST_CONVERSION
    filename: str  # the user's code that made the conversion
    line: int
    function: str
    via: str = ""  # the library function in between, when the user called numpy through one

    @property
    def instead(self) -> str:
        found = replacement_for(self.operation)
        return f"use {short(found.target)} instead" if found is not None and not self.via else KEEP_TENSOR

    @property
    def message(self) -> str:
        what = "a NumPy array" if self.rule == NUMPY_CALL or "numpy" in self.operation else "a Python number"
        via = f" (inside {self.via})" if self.via else ""
        code = linecache.getline(self.filename, self.line).strip()
        lines = [
            f"{short(self.operation)}{via} converted a tensor that a GradientTape is recording to {what}: "
            "the gradient through it is lost",
            f"  at {self.filename}:{self.line}, in {self.function}",
        ]
        if code:
            lines.append(f"    {code}")
        lines += [f"  {self.instead}", f"  see: tflint-grad rule {self.rule}"]
        return "\n".join(lines)
