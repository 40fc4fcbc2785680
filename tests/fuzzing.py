"""Inputs that try to take the analysis down, and the property they must not break.

Shared by ``tests/test_fuzz.py`` (seeded, bounded, in CI) and
``benchmarks/fuzz.py`` (a longer local run).  Every generator takes a
``random.Random`` so a test can draw it from hypothesis (``st.randoms``) and
the benchmark from a seed.

The property (:func:`problems`): the real analysis (``engine.check``) and the
real fixer (``fixing.fix``, unsafe fixes included) raise nothing and
report no internal error; every fixed file parses; a second fix changes
nothing.  A syntax error, or any other per-file error, is a fine answer.
"""

from __future__ import annotations

import io
import keyword
import random
import textwrap
import tokenize
import traceback
from pathlib import Path

import libcst as cst

from tflint_grad.config import Config
from tflint_grad.engine import check
from tflint_grad.fixing import fix
from tflint_grad.parse.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FILES = sorted(
    [*(ROOT / "fixtures" / "lint").rglob("*.py"), *(ROOT / "fixtures" / "fix").glob("*.in.py")],
    key=str,
)
TAPE_PRELUDE = "import numpy as np\nimport tensorflow as tf\n\nw = tf.Variable(1.0)\nwith tf.GradientTape() as tape:\n"


# -- the property ---------------------------------------------------------------
def problems(sources: list[SourceFile]) -> list[str]:
    """What went wrong analysing and fixing ``sources``; empty when all is well.

    An exception escaping the analysis is listed with the innermost frame of
    ours it passed through (a ``RecursionError`` is raised at a different line
    on every run, which hypothesis would call a flaky test).
    """
    try:
        return _problems(sources)
    except Exception as error:  # the failure under test
        frames = [f for f in traceback.extract_tb(error.__traceback__) if "tflint_grad" in f.filename]
        where = f" in {Path(frames[-1].filename).name}:{frames[-1].name}" if frames else ""
        return [f"{type(error).__name__} escaped{where}: {str(error)[:200]}"]


def _problems(sources: list[SourceFile]) -> list[str]:
    config = Config()
    found = [f"{e.path}: {e.message}" for e in check(sources, config, jobs=1).errors if "internal error" in e.message]
    fixed = fix(sources, config, unsafe=True)
    found += [f"{e.path}: {e.message}" for e in (*fixed.errors, *fixed.report.errors) if "internal error" in e.message]
    for path in fixed.changed:
        try:
            cst.parse_module(fixed.sources[path].text)
        except cst.ParserSyntaxError as error:
            found.append(f"{path}: the fixed file does not parse: {error.message}")
    again = fix(list(fixed.sources.values()), config, unsafe=True)
    found += [f"{path}: a second fix changed it again" for path in again.changed]
    return found


def in_tape(code: str) -> str:
    """``code`` as the body of a ``with tf.GradientTape()`` block, numpy and TensorFlow imported."""
    body = textwrap.indent(code, "    ") if code.strip() else ""
    return TAPE_PRELUDE + (body or "    pass\n")


# -- token-level mutations ------------------------------------------------------------
NUMPY_WRAPPERS = ("np.exp", "np.log", "np.sum", "np.asarray", "np.sqrt", "float")
HOST_METHODS = (".numpy()", ".astype(np.float32)", ".batch(2)")
# Weighted so that about half the mutants still parse and reach the analysis.
OPERATIONS = ("delete", "duplicate", "swap") + ("wrap",) * 4 + ("method",) * 4


def tokens(text: str) -> list[tuple[int, int, str, int]]:
    """(start offset, end offset, text, type) of each token with text, in order."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.string and token.type not in (tokenize.ENCODING, tokenize.ENDMARKER):
                (r0, c0), (r1, c1) = token.start, token.end
                found.append((starts[r0 - 1] + c0, starts[r1 - 1] + c1, token.string, token.type))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a mutant that no longer tokenizes: keep the tokens before the damage
    return found


def _matching_close(found, i: int) -> int:
    """Index of the token that closes the bracket opened at ``i`` (``i`` if it is no bracket)."""
    depth = 0
    for j in range(i, len(found)):
        depth += found[j][2] in "([{" and found[j][3] == tokenize.OP
        depth -= found[j][2] in ")]}" and found[j][3] == tokenize.OP
        if depth <= 0:
            return j
    return i


def _wrap(text: str, found, i: int, rng: random.Random) -> str:
    """``np.exp(...)`` around the token at ``i``: a name with its call or subscript, or a bracket group."""
    end = i
    while end + 1 < len(found) and found[end + 1][2] in "([" and found[end + 1][3] == tokenize.OP:
        end = _matching_close(found, end + 1)
    if found[i][2] in "([{":
        end = _matching_close(found, i)
    start, stop = found[i][0], found[end][1]
    return f"{text[:start]}{rng.choice(NUMPY_WRAPPERS)}({text[start:stop]}){text[stop:]}"


def mutate(text: str, rng: random.Random, count: int) -> str:
    """``count`` random token edits: delete, duplicate, swap with the next, wrap in a numpy call,
    call a host method on a name (``x`` -> ``x.numpy()``)."""
    for _ in range(count):
        found = [t for t in tokens(text) if t[3] not in (tokenize.NL, tokenize.COMMENT)]
        if len(found) < 2:
            return text
        i = rng.randrange(len(found) - 1)
        start, stop, string, kind = found[i]
        operation = rng.choice(OPERATIONS)
        if operation == "delete":
            text = text[:start] + text[stop:]
        elif operation == "duplicate":
            text = f"{text[:stop]} {string}{text[stop:]}"
        elif operation == "swap":
            next_start, next_stop = found[i + 1][:2]
            text = text[:start] + text[next_start:next_stop] + text[stop:next_start] + string + text[next_stop:]
        elif keyword.iskeyword(string) or keyword.issoftkeyword(string):
            continue  # np.exp(def) says nothing new
        elif operation == "method" and kind == tokenize.NAME:
            text = f"{text[:stop]}{rng.choice(HOST_METHODS)}{text[stop:]}"
        elif operation == "wrap" and (kind in (tokenize.NAME, tokenize.NUMBER) or string in "(["):
            text = _wrap(text, found, i, rng)
    return text


def mutated_fixture(rng: random.Random) -> tuple[str, str]:
    """(name, text) of a fixture after one to three token edits."""
    path = rng.choice(FIXTURE_FILES)
    return path.name, mutate(path.read_text(encoding="utf-8", errors="replace"), rng, rng.randint(1, 3))


# -- TensorFlow-flavoured programs ------------------------------------------------------
HOST_CALLS = ("np.exp", "np.log", "np.sum", "np.mean", "np.sqrt", "np.square", "np.abs", "np.tanh",
              "np.asarray", "np.array", "math.exp", "math.log", "scipy.special.expit", "float")
TF_CALLS = ("tf.exp", "tf.math.log", "tf.reduce_sum", "tf.square", "tf.identity", "tf.nn.relu", "tf.sigmoid")
# A name rebound through a method call on itself: t = t.numpy(), x = x.astype(...), ds = ds.batch(2).
SELF_REBINDS = ("{v}.numpy()", "{v}.astype(np.float32)", "{v}.batch(2)", "{v}.map(lambda e: e)",
                "np.append({v}, 1.0)", "tf.reshape({v}, [-1])", "{v}[0]", "{v}.T")

BODY = None  # an indented block of random statements
STATEMENTS: dict[str, tuple[str | None, ...]] = {
    "assign": ("{t} = {e0}",),
    "rebind": ("{t} = {rebind}",),
    "augment": ("{t} += {e1}",),
    "append": ("terms.append({e1})",),
    "assert": ("assert np.all(np.isfinite({e1}))",),
    "print": ("print(float({e1}))",),
    "if": ("if {e2} > 0:", BODY, "else:", BODY),
    "for": ("for i in range(2):", BODY),
    "while": ("while {e2} < 10:", BODY, "    break"),
    "try": ("try:", BODY, "except ValueError:", "    {t} = {e1}"),
}
SIMPLE_KINDS = ("assign", "assign", "rebind", "rebind", "augment", "append", "assert", "print")
STATEMENT_KINDS = SIMPLE_KINDS + ("if", "for", "while", "try")


class ProgramWriter:
    """A random module: helpers with numpy/TF calls, rebindings, branches and loops,
    reached from a ``GradientTape`` block (and sometimes a Keras layer or a tfp.vi loss)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.helpers = [f"helper_{i}" for i in range(rng.randint(0, 4))]
        self.lines: list[str] = []

    def write(self) -> str:
        self.emit(0, "import math", "import numpy as np", "import scipy.special",
                  "import tensorflow as tf", "import tensorflow_probability as tfp", "")
        for name in self.helpers:
            self.function(name, 0, ["x", "y"], "def {name}(x, y=1.0):")
        if self.rng.random() < 0.3:
            self.emit(0, "class Layer(tf.keras.layers.Layer):")
            self.function("call", 1, ["self.w", "inputs"], "def call(self, inputs):")
        self.emit(0, "w = tf.Variable([1.0, 2.0])", "data = np.ones(2)", "terms = []",
                  "with tf.GradientTape() as tape:", "    x = w * 2.0")
        self.block(1, ["x", "w", "data"], depth=0)
        self.emit(1, f"loss = {self.expr(['x', 'w', 'terms'], 0)}")
        self.emit(0, "grad = tape.gradient(loss, w)")
        if self.helpers and self.rng.random() < 0.3:
            self.emit(0, f"elbo = tfp.vi.monte_carlo_variational_loss(target_log_prob_fn={self.rng.choice(self.helpers)}, "
                         "surrogate_posterior=None)")
        return "\n".join(self.lines) + "\n"

    def emit(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line if line else "" for line in lines)

    def function(self, name: str, indent: int, names: list[str], header: str) -> None:
        self.emit(indent, header.format(name=name))
        self.block(indent + 1, names, depth=0)
        self.emit(indent + 1, f"return {self.expr(names, 0)}")

    def block(self, indent: int, names: list[str], depth: int) -> None:
        for _ in range(self.rng.randint(1, 4)):
            self.statement(indent, names, depth)

    def statement(self, indent: int, names: list[str], depth: int) -> None:
        kind = self.rng.choice(STATEMENT_KINDS if depth < 2 else SIMPLE_KINDS)
        local = [n for n in names if "." not in n]
        target = self.rng.choice(local + ["z"])
        for line in STATEMENTS[kind]:
            if line is BODY:
                self.block(indent + 1, names + ["i"] * (kind == "for"), depth + 1)
            else:
                self.emit(indent, self.fill(line, target, names))
        if target not in names and kind in ("assign", "rebind"):
            names.append(target)

    def fill(self, line: str, target: str, names: list[str]) -> str:
        """A template line with its fields drawn: {t} the target, {rebind}, {eN} an expression at depth N."""
        fields = {"t": target, "rebind": lambda: self.rng.choice(SELF_REBINDS).format(v=target)}
        fields.update({f"e{depth}": (lambda d=depth: self.expr(names, d)) for depth in range(3)})
        return line.format(**{key: value() if callable(value) else value
                              for key, value in fields.items() if "{" + key + "}" in line})

    def expr(self, names: list[str], depth: int) -> str:
        rng = self.rng
        leaves = names + ["1.0", "np.pi", "data"]
        if depth >= 3 or rng.random() < 0.3:
            return rng.choice(leaves)
        inner = self.expr(names, depth + 1)
        choices = [
            lambda: f"{rng.choice(HOST_CALLS)}({inner})",
            lambda: f"{rng.choice(TF_CALLS)}({inner})",
            lambda: f"({inner} {rng.choice('+-*/')} {self.expr(names, depth + 1)})",
            lambda: f"{inner}.numpy()",
            lambda: f"(lambda v: np.exp(v))({inner})",
            lambda: f"[{inner}, {self.expr(names, depth + 1)}][0]",
            lambda: f"np.clip({inner}, 0.0, 1.0)",
            lambda: f"tf.cast({inner}, tf.float32)",
        ]
        if self.helpers:
            choices.append(lambda: f"{rng.choice(self.helpers)}({inner})")
        return rng.choice(choices)()


def tf_program(rng: random.Random) -> str:
    return ProgramWriter(rng).write()
