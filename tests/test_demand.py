"""Demand-driven parsing (``tflint_grad/demand.py``) gives the report of parsing every file, and parses less.

The reference is the same session with every file parsed before the analysis
starts; the projects are the cross-file fixture, a hand-written package that
reaches its helpers through every kind of name (call, base class, re-export,
same-named modules, custom gradient, a configured entry point) and projects
generated at random.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from tflint_grad.analysis.tables.entry_points import CallableApi, Slot
from tflint_grad.config import Config
from tflint_grad.discover import discover
from tflint_grad.engine import Session
from tflint_grad.parse.load import load


def sessions(folder: Path, config: Config = Config()) -> tuple[Session, Session]:
    """By demand, and the reference: every file parsed, in run order, before the analysis."""
    sources = [load(path) for path in discover([str(folder)]).paths]
    return Session(sources, config, jobs=1), Session(sources, config, jobs=1, parse_all=True)


def assert_same_report(folder: Path, config: Config = Config()) -> Session:
    demand, everything = sessions(folder, config)
    assert demand.run() == everything.run()
    return demand


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))


PACKAGE = {
    "pkg/__init__.py": "from .helpers import scale\n",
    # No TensorFlow word: parsed only because the tape's code calls through the re-export.
    "pkg/helpers.py": """
        import numpy as np

        def scale(x):
            return np.exp(x)
    """,
    "pkg/layers.py": """
        import numpy as np
        import tensorflow as tf

        class Base(tf.keras.layers.Layer):
            def squash(self, x):
                return np.tanh(x)
    """,
    "pkg/model.py": """
        from .layers import Base

        class Mine(Base):
            def call(self, x):
                return self.squash(x)
    """,
    "pkg/grads.py": """
        import numpy as np
        import tensorflow as tf

        @tf.custom_gradient
        def clipped(x):
            def grad(dy):
                return dy
            return np.clip(x, 0, 1), grad
    """,
    "a/utils.py": "import numpy as np\n\ndef prep(x):\n    return np.log(x)\n",
    "b/utils.py": "def prep(x):\n    return x\n",
    "a/run.py": """
        import tensorflow as tf
        from utils import prep

        w = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            y = prep(w)
    """,
    "train.py": """
        import tensorflow as tf
        import mylib
        from pkg import scale

        mylib.train(lambda w: scale(w))
    """,
    "mylib.py": "def train(fn):\n    return fn\n",
    **{f"unrelated/m{i}.py": f"import numpy as np\nimport tensorflow as tf\n\ndef f{i}(x):\n    return np.exp(tf.exp(x))\n"
       for i in range(5)},
}
ENTRY = Config(entry_points=(CallableApi("mylib.train", (Slot(0, "fn"),)),))


def test_the_cross_file_fixture_is_reported_as_with_every_file_parsed():
    assert_same_report(ROOT / "fixtures" / "lint" / "cross_file")


def test_a_package_reached_through_every_kind_of_name_is_reported_as_with_every_file_parsed(tmp_path):
    write(tmp_path, PACKAGE)
    session = assert_same_report(tmp_path, ENTRY)
    report = session.run()
    found = {(Path(f.path).relative_to(tmp_path).as_posix(), f.span.start.line) for f in report.findings}
    assert found == {("pkg/helpers.py", 5), ("pkg/layers.py", 7), ("pkg/grads.py", 9), ("a/utils.py", 4)}
    parsed = {Path(p).relative_to(tmp_path).as_posix() for p in session.parsed}
    # the five unrelated TensorFlow modules are never parsed; b/utils.py shares a/utils.py's module name
    assert parsed == {"pkg/__init__.py", "pkg/helpers.py", "pkg/layers.py", "pkg/model.py", "pkg/grads.py",
                      "a/utils.py", "b/utils.py", "a/run.py", "train.py", "mylib.py"}


def test_a_syntax_error_in_a_file_nothing_needs_is_still_reported(tmp_path):
    write(tmp_path, {**PACKAGE, "unrelated/broken.py": "import tensorflow as tf\ndef f(:\n"})
    session = assert_same_report(tmp_path)
    assert [(Path(e.path).name, e.message.split(":")[0]) for e in session.run().errors] == [("broken.py", "syntax error")]


def generated_project(seed: int) -> dict[str, str]:
    """Modules calling each other's helpers at random, some through numpy, some entry points."""
    rng = random.Random(seed)
    count = rng.randint(4, 9)
    files = {}
    for i in range(count):
        calls = rng.sample([j for j in range(count) if j != i], k=min(2, count - 1))
        imports = "".join(f"from m{j} import h{j}\n" for j in calls)
        body = " + ".join([f"h{j}(x)" for j in calls] + [rng.choice(["np.exp(x)", "tf.exp(x)", "x"])])
        entry = rng.choice(["", "tape", "keras", ""])
        text = f"import numpy as np\nimport tensorflow as tf\n{imports}\ndef h{i}(x):\n    return {body}\n"
        if entry == "tape":
            text += f"\nw{i} = tf.Variable(1.0)\nwith tf.GradientTape() as t:\n    y = h{i}(w{i})\n"
        elif entry == "keras":
            text += f"\nclass L{i}(tf.keras.layers.Layer):\n    def call(self, x):\n        return h{i}(x)\n"
        files[f"m{i}.py"] = text
    return files


@pytest.mark.parametrize("seed", range(8))
def test_generated_projects_are_reported_as_with_every_file_parsed(tmp_path, seed):
    write(tmp_path, generated_project(seed))
    assert_same_report(tmp_path)


def test_namespace_packages_and_numpy_handed_to_a_layer_are_reported_as_with_every_file_parsed(tmp_path):
    """A module of a folder without ``__init__.py`` is parsed when a namespace import needs it, and a
    file whose only entry point is a keyword slot (``activation=np.tanh``) is a root."""
    write(tmp_path, {
        "sub/detection/models/util.py": "import numpy as np\n\ndef prep(x):\n    return np.exp(x)\n",
        "sub/train.py": """
            import tensorflow as tf
            from detection.models.util import prep

            w = tf.Variable(1.0)
            with tf.GradientTape() as tape:
                y = prep(w)
            g = tape.gradient(y, w)
        """,
        "sub/layers.py": "import numpy as np\nimport keras\n\nlayer = keras.layers.Dense(4, activation=np.tanh)\n",
    })
    session = assert_same_report(tmp_path)
    found = {(Path(f.path).relative_to(tmp_path).as_posix(), f.span.start.line, f.code) for f in session.run().findings}
    assert found == {("sub/detection/models/util.py", 4, "TFG001"), ("sub/layers.py", 4, "TFG001")}
