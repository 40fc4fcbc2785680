"""The seeding of ``benchmarks/real_repos.py`` (issue 10's recall measure): it must wrap exactly the right expression."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "benchmarks_seeding", Path(__file__).resolve().parent.parent / "benchmarks" / "seeding.py")
seeding = sys.modules["benchmarks_seeding"] = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(seeding)

TRAIN = '''"""A training step."""
from __future__ import annotations

import tensorflow as tf


def train_step(model, x, y):
    with tf.GradientTape() as tape:
        tape.watch(x)
        pred = model(x, training=True)
        loss = tf.reduce_mean((pred - y) ** 2)
    return tape.gradient(loss, model.trainable_variables)
'''


@pytest.mark.parametrize(("form", "expected"), [
    ("tanh", "pred = np.tanh(model(x, training=True))"),
    ("numpy", "pred = model(x, training=True).numpy()"),
])
def test_the_first_forward_assignment_is_seeded_after_the_watch(form, expected):
    (seed,) = seeding.seeds(TRAIN, form)
    assert seed.seeded_line == expected
    lines = seed.text.splitlines()
    # numpy is imported after the docstring and the __future__ import, so the code moves down a line
    assert lines[:4] == ['"""A training step."""', "from __future__ import annotations", "import numpy as np", ""]
    assert lines[seed.line - 1].strip() == expected
    assert (seed.line, seed.end_line, seed.block_line) == (11, 11, 8)
    ast.parse(seed.text)
    original = TRAIN.splitlines()
    assert [line for line in lines if line not in original] == ["import numpy as np", "        " + expected]


def test_a_multiline_call_is_wrapped_whole_and_an_existing_numpy_import_is_kept():
    source = ("import numpy as np\nimport tensorflow as tf\n\nwith tf.GradientTape() as t:\n"
              "    y = net(\n        x,\n    )  # comment\n    z = y * 2\n")
    (seed,) = seeding.seeds(source, "tanh")
    assert seed.text == ("import numpy as np\nimport tensorflow as tf\n\nwith tf.GradientTape() as t:\n"
                         "    y = np.tanh(net(\n        x,\n    ))  # comment\n    z = y * 2\n")
    assert (seed.line, seed.end_line) == (5, 7)


def test_columns_count_characters_after_non_ascii_text():
    source = "import numpy as np\nwith tf.GradientTape() as t:\n    ü = f('é', x)\n"
    (seed,) = seeding.seeds(source, "tanh")
    assert seed.seeded_line == "ü = np.tanh(f('é', x))"


def test_blocks_whose_forward_pass_does_not_start_with_an_assignment_of_a_call_are_skipped():
    source = """import tensorflow as tf
with tf.GradientTape() as a:
    loss = 0.0
    loss += f(x)
with tf.GradientTape() as b:
    for layer in layers:
        x = layer(x)
with tf.GradientTape() as c:
    tape.watch(x)
    y = x * w
with tf.GradientTape(persistent=True) as d, tf.GradientTape() as e:
    out = model(x)
with open(path) as f:
    data = load(f)
"""
    seeded = seeding.seeds(source, "numpy")
    assert [s.seeded_line for s in seeded] == ["out = model(x).numpy()"]
    assert seeding.tape_block_count(source) == 4


def test_each_seed_is_its_own_variant_and_nested_tapes_seed_the_inner_block():
    source = """import numpy as np
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        u = net(x)
    v = other(u)
with GradientTape() as third:
    w = net(x)
"""
    first, second = seeding.seeds(source, "tanh")
    assert first.seeded_line == "u = np.tanh(net(x))" and "w = net(x)" in first.text
    assert second.seeded_line == "w = np.tanh(net(x))" and "u = net(x)" in second.text


def test_a_source_that_does_not_parse_has_no_seeds():
    assert seeding.seeds("with tf.GradientTape() as t:\n    y = f(x\n", "tanh") == []


def test_an_unknown_form_is_refused():
    with pytest.raises(ValueError, match="unknown seed form"):
        seeding.seeds(TRAIN, "sqrt")


def test_the_harness_seeds_only_the_files_the_tool_walks():
    from tflint_grad.discover import SKIPPED_FOLDERS

    spec = importlib.util.spec_from_file_location(
        "benchmarks_real_repos", Path(__file__).resolve().parent.parent / "benchmarks" / "real_repos.py")
    real_repos = sys.modules["benchmarks_real_repos"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real_repos)
    assert real_repos.SKIPPED_DIRS - SKIPPED_FOLDERS == {".tflint_grad_cache"}
    assert SKIPPED_FOLDERS <= real_repos.SKIPPED_DIRS
