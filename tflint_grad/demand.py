"""Demand-driven parsing: parse the files that can start differentiation, and
the other modules only when the analysis first resolves a name into them.

Parsing is most of a run's time, and most files of a large tree (TensorFlow
Probability: three in four) hold no code that TensorFlow differentiates and
none that such code calls.  Differentiation starts only at four kinds of entry
point, and each is found in the text of the file that holds it:

* a ``tf.GradientTape`` block: the file names ``GradientTape``;
* a call of a callable API (``tfp.vi.fit_surrogate_posterior``, ``model.compile``,
  the configured entry points): the analysis picks those scopes by the
  called name's last part, which the file spells out before a ``(``, or, for a
  namespace of APIs (``keras.layers.Dense(..., activation=np.tanh)``), by a
  keyword slot, which the file spells out before a ``=``;
* a Keras ``call``/``compute_loss``/``train_step`` method: the file defines it
  (``def call(``);
* ``tf.custom_gradient``: the file names the decorator (the analysis reads
  decorators through the file's own imports).

Those files (the *roots*) are parsed first, in worker processes.  Every other
module is parsed when :class:`~tflint_grad.analysis.project.Project` is first
asked for its name: a call, a base class, a re-export or a name read from code
being analysed.  A module nobody asks for cannot change a finding, so the
result is the one of parsing every file (``tests/test_demand.py`` compares
the two).  All files of one module name (``utils.py`` in two script folders,
a ``.pyi`` beside its ``.py``) are parsed together, so the analysis picks
among them as it would with all files parsed.

Files that are not parsed are still checked for syntax errors with Python's
own (much faster) compiler when they mention TensorFlow or Keras, as before,
so a broken file is reported whether or not anything needed it.
"""

from __future__ import annotations

import re

from .analysis.project import module_name
from .analysis.tables.entry_points import CALLABLE_APIS, CLASS_METHODS, GRADIENT_DEFINING, CallableApi
from .parse.load import STDIN
from .parse.source import SourceFile

TAPE_CLASS_NAME = "GradientTape"
# Files that were always parsed (and so have their syntax errors reported) before parsing went by demand.
CHECKED_MARKERS = r"tensorflow|keras|GradientTape"


def entry_markers(extra_apis: tuple[CallableApi, ...] = ()) -> re.Pattern:
    """What a file needs to hold an entry point (see the module docstring): the tape class or a
    gradient-defining decorator named (perhaps under an alias), an API called, a method defined."""
    apis = CALLABLE_APIS + extra_apis
    words = {TAPE_CLASS_NAME, *(name.rsplit(".", 1)[-1] for name in GRADIENT_DEFINING)}
    called = {api.qualified.rsplit(".", 1)[-1] for api in apis if not api.inherit and not api.is_namespace}
    called |= {entry.method for entry in CLASS_METHODS}
    # a namespace of APIs (``keras.layers.``) is called by any name, and known by its keyword slots
    keywords = {slot.keyword for api in apis if api.is_namespace for slot in api.slots if slot.keyword}
    return re.compile(rf"\b(?:{'|'.join(sorted(words))})\b|\b(?:{'|'.join(sorted(called))})[\s\\]*\("
                      rf"|\b(?:{'|'.join(sorted(keywords))})\s*=(?!=)")


def checked_markers(extra_apis: tuple[CallableApi, ...] = ()) -> re.Pattern:
    """Files whose syntax is checked even when not parsed: they mention TensorFlow, Keras, or a configured API's package."""
    roots = "|".join(re.escape(api.qualified.split(".")[0]) for api in extra_apis)
    return re.compile(f"{CHECKED_MARKERS}|{roots}" if roots else CHECKED_MARKERS)


class Demand:
    """The files of a run by module name, and which of them are parsed yet."""

    def __init__(self, sources: dict[str, SourceFile], extra_apis: tuple[CallableApi, ...] = ()) -> None:
        self.sources = sources
        self.names = {path: module_name(path) for path in sources if path != STDIN}
        self.by_module: dict[str, list[str]] = {}
        for path, name in self.names.items():
            self.by_module.setdefault(name, []).append(path)
        self.markers = entry_markers(extra_apis)
        self.asked: set[str] = set()

    def roots(self) -> list[str]:
        """Files that may hold an entry point, with every file sharing a module name with one, in run order."""
        roots = {path for path, source in self.sources.items() if self.markers.search(source.text)}
        names = {self.names[path] for path in roots if path != STDIN}
        self.asked |= names
        return [path for path in self.sources if path in roots or self.names.get(path) in names]

    def files(self, name: str) -> list[str]:
        """The files of a module the analysis asks for, the first time it asks (then: none)."""
        if name in self.asked:
            return []
        self.asked.add(name)
        return list(self.by_module.get(name, ()))
