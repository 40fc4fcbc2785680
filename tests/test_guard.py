"""``tflint_grad.guard``: TensorFlow made to fail like PyTorch on a gradient cut, on real TensorFlow.

Most tests run in this process (TensorFlow is imported once); the runner and
the pytest plugin are run exactly as a user runs them, in child processes.
The correct programs (TFP's ``fit_surrogate_posterior`` and HMC, a Keras
``fit`` with a custom ``train_step``, ``stop_recording`` and logging after
the gradient) are small but real: each must run under the guard and raise
nothing.
"""

from __future__ import annotations

import math
import os
import runpy
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from conftest import FIXTURES, ROOT
from tflint_grad.guard import WARN, GradientCutError, GradientCutWarning, guard

pytest_plugins = ["pytester"]
SEED = FIXTURES / "seed" / "vi_two_bumps.py"


@pytest.fixture(scope="module")
def tf():
    tensorflow = pytest.importorskip("tensorflow")
    tensorflow.config.set_visible_devices([], "GPU")
    return tensorflow


def guarded_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


# -- the seed and its fixed twin --------------------------------------------------------


def test_runner_stops_the_seed_at_its_first_np_exp():
    result = subprocess.run(
        [sys.executable, "-m", "tflint_grad.guard", str(SEED)],
        cwd=ROOT, capture_output=True, text=True, env=guarded_env(), timeout=300,
    )
    assert result.returncode == 1
    error = result.stderr[result.stderr.index("tflint_grad.guard.GradientCutError: "):].rstrip().splitlines()
    assert error == [
        "tflint_grad.guard.GradientCutError: np.exp converted a tensor that a GradientTape is recording "
        "to a NumPy array: the gradient through it is lost",
        f"  at {SEED}:16, in pdist",
        "    return (.5/np.sqrt(2*np.pi)) * np.exp((-(x+3)**2)/2) + (.5/np.sqrt(2*np.pi)) * np.exp((-(x-3)**2)/2)"
        "  # expect: TFG001 TFG001",
        "  use tf.exp instead",
        "  see: tflint-grad rule TFG001",
    ]
    assert result.stdout == ""  # stopped in the first step, before anything was printed


def test_runner_warn_mode_reports_once_and_runs_to_the_end(tf, tmp_path, capsys, monkeypatch):
    from tflint_grad.guard.__main__ import main

    monkeypatch.setattr(sys, "argv", sys.argv[:])  # the runner sets the script's own
    monkeypatch.setattr(sys, "path", sys.path[:])

    script = tmp_path / "loop.py"
    script.write_text(textwrap.dedent("""\
        import sys
        import numpy as np
        import tensorflow as tf

        w = tf.Variable(1.0)
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.square(w) + np.log(w * 2.0)
            w.assign_sub(0.1 * tape.gradient(loss, w))
        print(sys.argv[1:], round(float(w), 4))
    """))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's own: once per location
        main(["--warn", str(script), "--steps", "3"])
    assert capsys.readouterr().out == "['--steps', '3'] 0.512\n"  # 0.8^3: only tf.square's gradient
    assert [(c.category, c.filename, c.lineno) for c in caught] == [(GradientCutWarning, str(script), 8)]


def test_fixed_twin_runs_to_the_end_under_the_guard(tf, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(SEED)])
    with guard() as active:
        runpy.run_path(str(FIXTURES / "seed" / "vi_two_bumps_fixed.py"), run_name="__main__")
    final = capsys.readouterr().out.splitlines()[-1]
    assert final.startswith("final scale ") and abs(float(final.split()[-1]) - 2.745) < 0.05
    assert active.cuts == []


# -- what raises, and what does not ---------------------------------------------------------

CONVERSIONS = {
    "np.exp": (lambda y, v: np.exp(y), "np.exp", "use tf.exp instead", "TFG001"),
    "np.mean": (lambda y, v: np.mean(y), "np.mean", "use tf.reduce_mean instead", "TFG001"),
    "np.multiply": (lambda y, v: np.multiply(2.0, y), "np.multiply", "use tf.multiply instead", "TFG001"),
    "np.add.reduce": (lambda y, v: np.add.reduce(y), "np.add.reduce", "keep it a tensor", "TFG001"),
    ".numpy()": (lambda y, v: y.numpy(), ".numpy()", "keep it a tensor", "TFG002"),
    "__array__": (lambda y, v: y.__array__(), "__array__()", "keep it a tensor", "TFG002"),
    "np.asarray": (lambda y, v: np.asarray(y), "np.asarray", "keep it a tensor", "TFG002"),
    "np.array": (lambda y, v: np.array(y), "np.array", "keep it a tensor", "TFG002"),
    "float": (lambda y, v: float(y), "float()", "keep it a tensor", "TFG002"),
    "int": (lambda y, v: int(y), "int()", "keep it a tensor", "TFG002"),
    "bool": (lambda y, v: bool(y), "bool()", "keep it a tensor", "TFG002"),
    "complex": (lambda y, v: complex(y), "complex()", "keep it a tensor", "TFG002"),
    "math.exp": (lambda y, v: math.exp(y), "float()", "keep it a tensor", "TFG002"),
    "variable .numpy()": (lambda y, v: v.numpy(), ".numpy()", "keep it a tensor", "TFG002"),
    "np.exp of a variable": (lambda y, v: np.exp(v), "np.exp", "use tf.exp instead", "TFG001"),
}


@pytest.mark.parametrize("name", CONVERSIONS)
def test_each_conversion_of_a_recorded_tensor_raises(tf, name):
    convert, shown, instead, rule = CONVERSIONS[name]
    v = tf.Variable(0.5)
    with guard(), tf.GradientTape():
        y = v * 2.0
        with pytest.raises(GradientCutError) as raised:
            convert(y, v)
    cut = raised.value.cut
    assert (cut.operation.replace("numpy.", "np."), cut.filename, cut.function) == (shown, __file__, "<lambda>")
    assert cut.line == next(i for i, line in enumerate(open(__file__), 1) if f'"{name}": (lambda' in line)
    message = str(raised.value).splitlines()
    assert message[0].startswith(f"{shown} converted a tensor that a GradientTape is recording to ")
    assert message[-2].startswith(f"  {instead}") and message[-1] == f"  see: tflint-grad rule {rule}"


def test_scipy_on_a_recorded_tensor_is_named_with_the_user_line(tf):
    special = pytest.importorskip("scipy.special")
    v = tf.Variable([0.5, 0.25], dtype=tf.float64)
    with guard(), tf.GradientTape():
        with pytest.raises(GradientCutError) as ufunc:
            special.expit(v * 2.0)
        with pytest.raises(GradientCutError) as through:
            special.logsumexp(v * 2.0)  # scipy's Python code calls numpy for it
    assert (ufunc.value.cut.operation, ufunc.value.cut.via) == ("scipy.special.expit", "")
    cut = through.value.cut
    assert (cut.filename, cut.function) == (__file__, "test_scipy_on_a_recorded_tensor_is_named_with_the_user_line")
    assert cut.via == "scipy.special._logsumexp.logsumexp"
    assert str(through.value).startswith("np.asanyarray (inside scipy.special._logsumexp.logsumexp) converted a tensor")


def test_silent_where_no_gradient_is_lost(tf):
    v, frozen = tf.Variable(0.5), tf.Variable(0.5, trainable=False)
    c, scale = tf.constant([1.0, 2.0]), np.float64(3.0)
    with guard() as active:
        assert float(np.exp(v * 2.0)) == pytest.approx(math.e)  # no tape
        with tf.GradientTape() as tape:
            y = v * 2.0
            np.exp(c), float(c[0]), c.numpy(), np.asarray(c)  # a constant
            np.exp(frozen), frozen.numpy()  # a variable no tape watches
            n = tf.constant(3) * 2
            int(n), n.numpy(), list(range(n))  # integers are never recorded
            tf.get_static_value(y)  # TensorFlow reading a value for itself
            with tape.stop_recording():
                logged = float(y), np.exp(y), y.numpy()
            z = scale * y + np.ones(2) * y - np.float32(1.0) / y  # numpy on the left of an operator
            below = np.zeros(2) < y
        gradient = tape.gradient(z, v)
        after = float(y), np.exp(y), np.mean(z)  # the tape has finished
    assert isinstance(z, tf.Tensor) and below.dtype == tf.bool and float(gradient) == pytest.approx(2 * 2 * (3.0 + 1.0 + 1.0))  # two elements, dz/dy = 3 + 1 + 1/y^2
    assert logged[0] == after[0] == 1.0 and active.cuts == []


def test_warn_mode_reports_each_site_once_and_the_program_goes_on(tf):
    v = tf.Variable(0.5)
    with warnings.catch_warnings(record=True) as caught, guard(WARN) as active:
        warnings.simplefilter("always")
        for _ in range(3):
            with tf.GradientTape() as tape:
                y = np.exp(v * 2.0) + float(v)  # two sites on one line
                loss = tf.square(v) + y
            assert float(tape.gradient(loss, v)) == 1.0  # only the intact term
    assert [c.category for c in caught] == [GradientCutWarning, GradientCutWarning]
    assert [(c.filename, c.lineno) for c in caught] == [(__file__, active.cuts[0].line)] * 2
    assert [cut.operation for cut in active.cuts] == ["numpy.exp", "float()"]
    assert str(caught[0].message).startswith("np.exp converted a tensor")


def test_uninstalling_restores_tensorflow_and_numpy_exactly(tf):
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import resource_variable_ops

    owners = (ops._EagerTensorBase, resource_variable_ops.BaseResourceVariable, np)
    before = [dict(vars(owner)) for owner in owners]
    with guard():
        with guard(WARN):  # nested: the hooks stay until the outer guard ends
            pass
        assert vars(ops._EagerTensorBase).get("__array_ufunc__") is not None
    assert [dict(vars(owner)) for owner in owners] == before
    assert not hasattr(ops.EagerTensor, "__array_ufunc__") and np.asarray is before[2]["asarray"]
    with tf.GradientTape():
        assert np.exp(tf.Variable(0.0) * 1.0) == 1.0  # and cuts are silent again


def test_decorator_form_and_bad_mode(tf):
    v = tf.Variable(1.0)

    @guard()
    def step():
        with tf.GradientTape():
            return np.log(v * 1.0)

    with pytest.raises(GradientCutError, match=r"np\.log converted .*\n.*\n.*\n  use tf\.math\.log instead"):
        step()
    with pytest.raises(ValueError, match="guard mode must be one of raise, warn, not 'loud'"):
        guard("loud")


def test_importing_the_guard_and_its_plugin_never_imports_tensorflow():
    probe = "import sys, tflint_grad.guard, tflint_grad.guard.plugin; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout == "False\n", result.stderr


# -- correct programs that use tapes raise nothing ----------------------------------------------


def test_tfp_fit_surrogate_posterior_and_hmc_raise_nothing(tf):
    tfp = pytest.importorskip("tensorflow_probability")
    tfd = tfp.distributions
    target = tfd.Normal(np.float64(2.0), np.float64(0.5))
    with guard() as active:
        loc = tf.Variable(0.0, dtype=tf.float64)
        scale = tfp.util.TransformedVariable(1.0, tfp.bijectors.Softplus(), dtype=tf.float64)
        losses = tfp.vi.fit_surrogate_posterior(
            target.log_prob, tfd.Normal(loc, scale), tf.keras.optimizers.Adam(0.1), num_steps=20, sample_size=50, seed=1,
        )
        kernel = tfp.mcmc.HamiltonianMonteCarlo(target.log_prob, step_size=0.3, num_leapfrog_steps=3)
        samples = tfp.mcmc.sample_chain(10, tf.constant(0.0, tf.float64), kernel=kernel, trace_fn=None, seed=(1, 2))
    assert losses.shape == (20,) and samples.shape == (10,) and active.cuts == []
    assert float(loc) > 0.5  # it trained: the gradient reached the variable


def test_keras_fit_with_a_custom_train_step_raises_nothing(tf):
    keras = pytest.importorskip("keras")

    class Model(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = keras.ops.mean(keras.ops.square(self(x, training=True) - y))
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            return {"loss": loss}

    x = np.linspace(-1, 1, 64, dtype=np.float32).reshape(-1, 1)
    model = Model(inputs=(inputs := keras.Input((1,))), outputs=keras.layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    kernel = model.layers[-1].kernel
    start = float(kernel[0, 0])
    with guard() as active:
        model.fit(x, 3 * x, batch_size=16, epochs=2, verbose=0)
        eager = Model(inputs=model.inputs, outputs=model.outputs)
        eager.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True)  # the tape runs in Python
        eager.fit(x, 3 * x, batch_size=16, epochs=1, verbose=0)
    assert abs(float(kernel[0, 0]) - 3.0) < abs(start - 3.0) and active.cuts == []  # it trained


def test_logging_in_stop_recording_and_after_the_gradient_raises_nothing(tf, capsys):
    w = tf.Variable([1.0, 2.0])
    with guard() as active:
        for step in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(w))
                with tape.stop_recording():
                    print(f"step {step} loss {float(loss):.2f} mean {np.mean(w):.2f}")
            gradient = tape.gradient(loss, w)
            print("gradient", gradient.numpy().tolist(), "norm", float(np.linalg.norm(gradient)))
            w.assign_sub(0.25 * gradient)
    assert capsys.readouterr().out.splitlines()[0] == "step 0 loss 5.00 mean 1.50"
    assert active.cuts == [] and w.numpy().tolist() == [0.125, 0.25]


# -- the pytest plugin, run by the real pytest ----------------------------------------------------

USER_TESTS = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf

    def test_hides_a_cut():
        v = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            loss = v + np.square(v * 2.0)
        assert float(tape.gradient(loss, v)) == 1.0  # passes without the guard: the cut is silent

    def test_correct_code():
        v = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            loss = tf.square(v * 2.0)
        assert float(tape.gradient(loss, v)) == 8.0
""")


def plugin_args() -> list[str]:
    """Load the plugin by its entry point once tflint-grad is installed with it, else by module name
    (naming it both ways would register one module twice)."""
    from importlib.metadata import entry_points

    installed = any(ep.name == "tflint_grad_guard" for ep in entry_points(group="pytest11"))
    return ["-p", "no:cacheprovider"] + ([] if installed else ["-p", "tflint_grad.guard.plugin"])


def test_pytest_plugin_fails_the_test_that_hides_a_cut(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeini("[pytest]\ntflint_grad_guard = warn\n")
    flag = pytester.runpytest_subprocess(*plugin_args(), "--tflint-grad-guard")
    flag.assert_outcomes(passed=1, failed=1)  # the command line's "raise" wins over the ini's "warn"
    flag.stdout.fnmatch_lines([
        "*GradientCutError: np.square converted a tensor that a GradientTape is recording to a NumPy array*",
        "*test_user.py:7, in test_hides_a_cut",
        "*use tf.square instead",
        "FAILED test_user.py::test_hides_a_cut*",
    ])
    ini = pytester.runpytest(*plugin_args())  # in this process
    ini.assert_outcomes(passed=2, warnings=1)
    ini.stdout.fnmatch_lines(["*test_user.py:7: GradientCutWarning: np.square converted a tensor*"])


def test_plugin_is_registered_as_a_pytest_entry_point():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"tflint_grad_guard": "tflint_grad.guard.plugin"}
