"""``tflint-grad verify``: real runs of real scripts, on TensorFlow's CPU.

The command-line tests run the verifier exactly as a user does (a child
``python -m tflint_grad verify``, which starts its own children) on the seed
and on the scripts in ``fixtures/verify/``; the unit tests pin the pieces the
verdicts rest on: the gradient check (cut / wrong / ok on functions whose
true gradient is known), the instrumentation (lines unchanged), the targets
found by the static pass, and the finite-difference reference of a replayed
tape (against derivatives known in closed form).  The seed's known numbers
(-1.000 as written, -2.2935 true, optimum 2.747) live here only.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

from conftest import FIXTURES, ROOT, run_cli
from tflint_grad.config import Config
from tflint_grad.parse.source import SourceFile
from tflint_grad.verify import runner
from tflint_grad.verify.instrument import RECORD, gradient_labels, instrument
from tflint_grad.verify.targets import CUT, INTACT, plan

SEED = FIXTURES / "seed" / "vi_two_bumps.py"
VERIFY = FIXTURES / "verify"
TRUE_GRADIENT, ISSUE_OPTIMUM = -2.2935, 2.747


def verify_json(*args: str, cwd=ROOT) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("verify", *args, "--format", "json", cwd=cwd)
    return result, json.loads(result.stdout)


def by_name(report: dict) -> dict[str, dict]:
    return {target["name"]: target for target in report["targets"]}


def evidence(report: dict) -> dict[str, dict]:
    return {row["label"]: row for row in report["evidence"]}


# -- the command, end to end ---------------------------------------------------------


def test_seed_table_shows_the_cut_the_repair_and_the_plot(tmp_path):
    before = SEED.read_bytes()
    picture = tmp_path / "seed.png"
    result = run_cli("verify", "fixtures/seed/vi_two_bumps.py", "--plot", str(picture))
    assert result.returncode == 0, result.stdout + result.stderr
    assert SEED.read_bytes() == before  # verified in memory, never written
    lines = result.stdout.splitlines()
    assert lines[0] == "tflint-grad verify fixtures/seed/vi_two_bumps.py"
    assert lines[1] == "static pass: found 4 findings (3 gradient cuts, 1 warning); 3 fixed in memory for the second run"
    rows = {line.split()[0]: line for line in lines if re.match(r"  (pdist|logpdist) ", line)}
    assert re.fullmatch(r"  pdist +15 +TFG001 TFG001 +cut +cut: tape None, numeric [-0-9.]+ +ok: 3 inputs agree \(float64\) +yes", rows["pdist"])
    assert re.fullmatch(r"  logpdist +17 +TFG001 TFG101 +cut +cut: tape None, numeric [-0-9.]+ +ok: 3 inputs agree \(float64\) +yes", rows["logpdist"])

    gradient = next(line for line in lines if line.startswith("  d elbo_loss/d scale, first call (scale = 1.0000)"))
    written, fixed, numeric = map(float, gradient.split(")")[1].split())
    assert written == -1.0  # the entropy term alone: -1/scale
    assert abs(fixed - TRUE_GRADIENT) < 0.03  # a 10000-sample Monte Carlo estimate
    assert abs(numeric - TRUE_GRADIENT) < 0.03  # the general reference: finite differences of the replayed loss
    final = next(line for line in lines if line.startswith("  scale, final"))
    written, fixed = map(float, final.split()[2:])
    assert written > 6 and abs(fixed - ISSUE_OPTIMUM) < 0.01
    assert lines[-1] == "fix confirmed: every flagged gradient is broken as written and correct after the fix (exit 0)"
    assert result.stderr.endswith(f"plot written to {picture}\n")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size < 150_000


def test_training_loop_wrong_helper_and_none_for_a_source_then_fix_written(tmp_path):
    script = tmp_path / "tape_regression.py"
    shutil.copy(VERIFY / "tape_regression.py", script)
    result, report = verify_json(str(script), "--fix")
    assert result.returncode == 0, result.stderr
    targets = by_name(report)
    nll, tape = targets["gaussian_nll"], targets["tape block"]
    assert (nll["line"], nll["codes"], nll["claim"]) == (19, ["TFG001"], "cut")
    assert nll["before"]["verdict"] == "wrong"  # the data term still reaches sigma; the log term does not
    assert [c["verdict"] for c in nll["checks"]["before"]] == ["wrong"] * 3
    assert all(c["tape"] != pytest.approx(c["numeric"], rel=1e-3) for c in nll["checks"]["before"])
    assert nll["after"] == {"verdict": "ok", "detail": "3 inputs agree (float64)"}
    assert tape["before"] == {"verdict": "cut", "detail": "None for log_sigma (200/200 calls)"}
    assert tape["after"] == {"verdict": "ok", "detail": "no None in 200 calls"}
    rows = evidence(report)
    assert rows["d loss/d log_sigma, first call (log_sigma = 0.0000)"]["before"] == {"none": True}
    assert rows["log_sigma, final"]["before"] == {"value": 0.0}  # never moved
    assert abs(rows["log_sigma, final"]["after"]["value"] - math.log(0.3)) < 0.1  # the data's noise scale
    assert report["exit_code"] == 0
    text = script.read_text()
    assert "sigma = tf.exp(log_sigma)" in text and "+ tf.math.log(sigma)" in text
    assert result.stderr.endswith(f"{script}: fixed (2 findings)\n")


def test_fit_surrogate_posterior_target_cut():
    result, report = verify_json("fixtures/verify/surrogate_posterior.py")
    assert result.returncode == 0, result.stderr
    target = by_name(report)["target_log_prob"]
    assert target["before"]["verdict"] == "cut" and target["before"]["detail"].startswith("tape None, numeric ")
    assert target["after"] == {"verdict": "ok", "detail": "3 inputs agree (float64)"}
    rows = evidence(report)
    assert math.exp(rows["log_scale, final"]["before"]["value"]) > 10  # entropy only: the surrogate spreads out
    assert abs(rows["loc, final"]["after"]["value"] - 2.0) < 0.2  # the target is N(2, 0.5)
    assert abs(math.exp(rows["log_scale, final"]["after"]["value"]) - 0.5) < 0.1


def test_crashing_script_exits_2_with_its_traceback():
    result = run_cli("verify", "fixtures/verify/crash_graph_mode.py", "--graph")  # kept compiled: numpy meets a symbol
    assert result.returncode == 2
    out = result.stdout
    assert "runs (seed 0, timeout 300 s): as written crashed, fixed " in out
    assert "  loss_fn  12    TFG001    cut    crashed     ok: 3 inputs agree (float64)  no" in out
    tail = out[out.index("as written: the script crashed; its stderr:"):].splitlines()
    assert tail[1] == "  | Traceback (most recent call last):"
    assert tail[2] == '  |   File "fixtures/verify/crash_graph_mode.py", line 18, in <module>'
    assert "  |     NotImplementedError: Cannot convert a symbolic tf.Tensor (sub:0) to a numpy array." in "\n".join(tail)
    assert out.rstrip().endswith("not verified: a run did not finish (exit 2)")


def test_hanging_script_is_stopped_at_the_timeout():
    started = time.monotonic()
    result = run_cli("verify", "fixtures/verify/hang_until_converged.py", "--timeout", "10")
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert "runs (seed 0, timeout 10 s): as written timed out, fixed " in result.stdout
    assert "as written: the script timed out; its stderr:" in result.stdout
    assert elapsed < 60  # killed, not waited for


def test_without_tensorflow_one_line_and_exit_2(tmp_path):
    """An environment without the ``verify`` extra: ``sitecustomize`` blocks TensorFlow and numpy the way
    Python itself does (None in sys.modules), so the parent must not need either."""
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['tensorflow'] = sys.modules['numpy'] = None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "tflint_grad", "verify", "fixtures/seed/vi_two_bumps.py"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "tflint-grad verify: TensorFlow cannot be imported (import of tensorflow halted; None in sys.modules); "
        "install it with: pip install 'tflint-grad[verify]'\n"
    )


def test_linting_never_runs_code_nor_imports_tensorflow():
    probe = (
        "import sys, tflint_grad.cli as cli\n"
        "code = cli.main(['fixtures/verify/hang_until_converged.py'])\n"
        "print(code, 'tensorflow' in sys.modules, any(m.startswith('tflint_grad.verify') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "1 False False"


def test_child_runs_in_its_own_temporary_directory(tmp_path):
    script = tmp_path / "where.py"
    text = textwrap.dedent("""\
        import os, sys
        import tensorflow as tf
        print(os.getcwd())
        print(__file__, sys.path[0], __name__)
        open("left_behind.txt", "w").write("x")
        v = tf.Variable([3.0, 4.0])
    """)
    script.write_text(text)
    run = runner.run(runner.Program(str(script), {str(script): text}, {}), seed=0, timeout=120)
    assert run.status == runner.OK, run.stderr
    cwd, names = run.stdout.splitlines()
    assert os.path.basename(cwd).startswith("tflint-grad-verify-") and os.path.dirname(cwd) == tempfile.gettempdir()
    assert not os.path.exists(cwd)  # removed with everything the script left there
    assert names == f"{script} {tmp_path} __main__"
    assert not (tmp_path / "left_behind.txt").exists()
    assert run.record["variables"] == {"v": {"norm": 5.0}}


# -- the static half: what is checked --------------------------------------------------


def source(path) -> SourceFile:
    return SourceFile(str(path), open(path, encoding="utf-8").read())


def test_targets_of_the_seed_and_of_a_tape_block():
    seed = plan(source(SEED), Config(), unsafe=False)
    assert [(t.key, t.name, t.codes, t.claim, t.before.line, t.after.line) for t in seed.targets] == [
        (f"function:{SEED}:pdist", "pdist", ("TFG001", "TFG001"), CUT, 15, 15),
        (f"function:{SEED}:logpdist", "logpdist", ("TFG001", "TFG101"), CUT, 17, 17),
    ]
    assert seed.fixed_count == 3 and "tf.math.log(1e-30+pdist(x))" in seed.fixed.text
    loop_path = VERIFY / "tape_regression.py"
    loop = plan(source(loop_path), Config(), unsafe=False)
    assert [(t.key, t.kind, t.before.line) for t in loop.targets] == [
        (f"function:{loop_path}:gaussian_nll", "function", 19), (f"tape:{loop_path}:<module>:0", "tape", 25),
    ]


def test_a_target_is_found_again_when_the_fix_adds_an_import_line(tmp_path):
    path = tmp_path / "vi.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np
        import tensorflow_probability as tfp

        def log_prob(x):
            assert np.all(np.isfinite(x))
            return np.log(x)

        loss = tfp.vi.monte_carlo_variational_loss(log_prob, tfp.distributions.Normal(0.0, 1.0))
    """))
    (target,) = plan(source(path), Config(), unsafe=False).targets
    assert (target.name, target.codes, target.claim) == ("log_prob", ("TFG101", "TFG001"), CUT)
    assert (target.before.line, target.after.line) == (4, 5)  # "import tensorflow as tf" was inserted


def test_warnings_only_target_claims_an_intact_gradient(tmp_path):
    path = tmp_path / "check.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np
        import tensorflow_probability as tfp

        def log_prob(x):
            assert np.all(np.isfinite(x))
            return -x * x

        loss = tfp.vi.monte_carlo_variational_loss(log_prob, tfp.distributions.Normal(0.0, 1.0))
    """))
    (target,) = plan(source(path), Config(), unsafe=False).targets
    assert (target.codes, target.claim) == (("TFG101",), INTACT)


# -- inside the child: instrumentation and the gradient check --------------------------


def test_instrument_records_calls_and_keeps_every_line():
    text = textwrap.dedent("""\
        def helper(x):
            return 1 / x

        scale = lambda y: 2 * y
        first = helper(4)
        second = scale(5)
        helper(0)
    """)
    seen = []

    def record(key):
        def wrap(function):
            def recorded(*args):
                seen.append((key, args))
                return function(*args)
            return recorded
        return wrap

    import ast

    code = instrument(ast.parse(text), text, "<script>", {"helper": (1, 0), "scale": (4, 8)})
    namespace = {RECORD: record}
    with pytest.raises(ZeroDivisionError) as raised:
        exec(code, namespace)
    assert seen == [("helper", (4,)), ("scale", (5,)), ("helper", (0,))]
    assert (namespace["first"], namespace["second"]) == (0.25, 10)
    frames = raised.value.__traceback__
    while frames.tb_next is not None:
        frames = frames.tb_next
    assert (frames.tb_frame.f_code.co_name, frames.tb_lineno) == ("helper", 2)  # the line as written


def test_gradient_labels_name_target_and_sources_as_written():
    import ast

    tree = ast.parse("g = tape.gradient(elbo_loss,\n    [scale, model.w])\nh = t.gradient(l, vs)\n")
    assert gradient_labels(tree, 2) == ("elbo_loss", ["scale", "model.w"])
    assert gradient_labels(tree, 3) == ("l", ["vs"])


@pytest.fixture(scope="module")
def tf():
    tensorflow = pytest.importorskip("tensorflow")
    tensorflow.config.set_visible_devices([], "GPU")
    return tensorflow


def gradient_check(tf, function, args=(), variables=()):
    from tflint_grad.verify.gradcheck import Recorded, check

    return check(Recorded(function, tuple(args), {}, [(v, v.numpy()) for v in variables]), seed=0)


def test_check_cut_wrong_and_ok(tf):
    x = tf.constant(np.linspace(-1.0, 1.0, 50))
    cut = gradient_check(tf, lambda t: np.exp(t), [x])
    assert (cut["verdict"], cut["tape"]) == ("cut", None)

    @tf.custom_gradient
    def doubled(t):
        return tf.exp(t), lambda upstream: 2.0 * upstream * tf.exp(t)

    wrong = gradient_check(tf, doubled, [x])
    assert wrong["verdict"] == "wrong"
    assert wrong["tape"] == pytest.approx(2 * wrong["numeric"], rel=1e-6)

    ok = gradient_check(tf, tf.exp, [x])
    assert ok["verdict"] == "ok" and ok["dtype"] == "float64"
    assert abs(ok["tape"] - ok["numeric"]) <= ok["tolerance"] < 1e-5 * abs(ok["numeric"])


def test_check_a_loss_of_variables_at_their_recorded_values(tf):
    from tflint_grad.verify.gradcheck import Recorded, check

    w = tf.Variable(7.0, dtype=tf.float64)  # where the run left it, after the calls were recorded
    at = lambda loss, value: check(Recorded(loss, (), {}, [(w, np.float64(value))]), seed=0)  # noqa: E731
    cut, half, one = at(lambda: np.square(w - 3.0), 0.5), at(lambda: tf.square(w - 3.0), 0.5), at(lambda: tf.square(w - 3.0), 1.0)
    assert (cut["verdict"], cut["tape"], half["verdict"], one["verdict"]) == ("cut", None, "ok", "ok")
    assert w.numpy() == 7.0  # restored after each check
    # Same seed, same direction: the derivatives scale as d/dw (w-3)^2 = 2(w-3) at the recorded values, not at 7.
    assert half["numeric"] / one["numeric"] == pytest.approx((0.5 - 3.0) / (1.0 - 3.0), rel=1e-8)
    assert half["tape"] / one["tape"] == pytest.approx((0.5 - 3.0) / (1.0 - 3.0), rel=1e-12)


def test_check_flat_function_is_not_a_cut_and_no_input_is_unchecked(tf):
    x = tf.constant([0.25, 1.5, 2.75], dtype=tf.float64)
    assert gradient_check(tf, lambda t: np.floor(t), [x])["verdict"] == "ok"  # true derivative 0
    assert gradient_check(tf, lambda n: tf.constant(1.0) * n, [3]) == {"verdict": "unchecked", "note": "no floating-point inputs"}


def test_tape_log_counts_none_also_while_tf_function_traces(tf, monkeypatch, tmp_path):
    """Traced code has symbolic gradients: None-ness is counted, values are taken from eager calls only.
    (With autograph on, the traced code is autograph's rewrite in a file of its own, which the log
    does not attribute to the script: such tape blocks are reported "not run".)"""
    import ast

    from tflint_grad.verify.recording import ProgressFile, TapeLog

    text = textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf

        w = tf.Variable(0.0, dtype=tf.float64)
        b = tf.Variable(0.0, dtype=tf.float64)


        @tf.function(autograph=False)
        def step():
            with tf.GradientTape() as tape:
                loss = tf.square(w - 3.0)
            gradients = tape.gradient(loss, [w, b])
            w.assign_sub(0.1 * gradients[0])


        for _ in range(5):
            step()
        with tf.GradientTape() as tape:
            loss = np.square(w - 3.0) + tf.square(b)
        g = tape.gradient(loss, [w, b])
    """)
    path = str(tmp_path / "script.py")
    for name in ("__enter__", "gradient"):  # undone after the test
        monkeypatch.setattr(tf.GradientTape, name, getattr(tf.GradientTape, name))
    log = TapeLog({path: (path, ast.parse(text))}, ProgressFile(None))
    log.install()
    exec(compile(text, path, "exec"), {})
    traced = {"file": path, "line": 12, "with_line": 10, "target": "loss", "sources": ["w", "b"], "calls": 1,
              "none": [0, 1], "first": None, "trace": {"loss": [], "sources": [[], []]}}
    w_after = 3 * (1 - 0.8**5)
    eager = {
        "file": path, "line": 20, "with_line": 18, "target": "loss", "sources": ["w", "b"], "calls": 1, "none": [1, 0],
        "first": [{"at": {"value": pytest.approx(w_after)}, "gradient": None},
                  {"at": {"value": 0.0}, "gradient": {"value": 0.0}}],
        "trace": {"loss": [pytest.approx((w_after - 3.0) ** 2)], "sources": [[pytest.approx(w_after)], [0.0]]},
    }
    assert log.sites == {(path, 12): traced, (path, 20): eager}
    assert list(log.replays) == [(path, 20)]  # the eager tape, kept for the finite-difference reference


# -- the general reference: finite differences of a replayed tape ---------------------------


def test_replayed_tape_gradient_against_central_differences_with_common_random_numbers(tf):
    """loss = (w - 3)^2 + np.square(w) + noise * w: as written the tape sees 2(w - 3) + noise only; the numeric
    derivative is 2(w - 3) + 2w + noise, with the same noise draw in every evaluation."""
    import ast

    from tflint_grad.verify.reference import Replay, body_code, numeric_gradients

    text = textwrap.dedent("""\
        with tf.GradientTape() as tape:
            noise = tf.random.normal([], dtype=tf.float64)
            loss = tf.square(w - 3.0) + np.square(w) + noise * w
    """)
    code = body_code(ast.parse(text), "<replay>", 1)
    w, v = tf.Variable(0.5, dtype=tf.float64), tf.Variable([1.0, 2.0], dtype=tf.float64)
    replay = Replay(code, {"tf": tf, "np": np, "w": w}, "loss", [(0, w, np.float64(0.5))])
    w.assign(9.0)  # where the run left it
    (result,) = numeric_gradients(replay, seed=0)
    tf.random.set_seed(0)
    noise = float(tf.random.normal([], dtype=tf.float64))
    assert result["numeric"] == pytest.approx(2 * (0.5 - 3.0) + 2 * 0.5 + noise, rel=1e-7)
    assert result["tape"] == pytest.approx(2 * (0.5 - 3.0) + noise, rel=1e-12)
    assert (result["agree"], result["direction"], float(w)) == (False, "unit", 9.0)  # the variable is put back
    intact = Replay(compile("loss = tf.reduce_sum(tf.square(v))", "<replay>", "exec"), {"tf": tf, "v": v}, "loss",
                    [(0, v, v.numpy())])
    (vector,) = numeric_gradients(intact, seed=0)  # a random direction d: both sides are <2v, d>
    assert (vector["direction"], vector["agree"]) == ("random", True)
    assert vector["tape"] == pytest.approx(vector["numeric"], rel=1e-8)


def test_a_body_that_cannot_run_alone_is_unchecked(tf):
    import ast

    from tflint_grad.verify.reference import Replay, body_code, numeric_gradients

    assert body_code(ast.parse("def f():\n    with t:\n        return 1\n"), "<x>", 2) is None
    w = tf.Variable(1.0)
    replay = Replay(compile("loss = later * w", "<x>", "exec"), {"w": w}, "loss", [(0, w, np.float32(1.0))])
    assert numeric_gradients(replay, seed=0) == [{"source": 0, "unchecked": "NameError: name 'later' is not defined"}]


# -- whole programs, tf.function code, cuts the static pass cannot see, unsafe fixes -------------


def test_cut_in_a_helper_imported_from_another_file_is_confirmed():
    result, report = verify_json("fixtures/verify/program/train.py")
    assert result.returncode == 0, result.stderr
    (target,) = report["targets"]
    assert (target["name"], target["file"], target["line"]) == ("squared_error", "fixtures/verify/program/losses.py", 6)
    assert target["before"]["verdict"] == "cut" and target["after"] == {"verdict": "ok", "detail": "3 inputs agree (float64)"}
    rows = evidence(report)
    assert rows["d loss/d w, first call (w = 0.0000)"]["before"] == {"none": True}
    assert rows["d loss/d w, first call (w = 0.0000)"]["numeric"] == pytest.approx(-68 / 3, rel=1e-6)  # d/dw mean((wx+b-y)^2)
    assert abs(rows["w, final"]["after"]["value"] - 2.0) < 0.1 and "variable, final" not in rows
    assert report["missed"] == []


def test_keras_compile_loss_run_by_fit_is_verified_eagerly():
    result, report = verify_json("fixtures/verify/keras_numpy_loss.py", "--unsafe-fixes")
    assert result.returncode == 0, result.stderr
    (target,) = report["targets"]
    assert target["name"] == "numpy_mse" and target["before"]["verdict"] == "cut"
    assert target["after"] == {"verdict": "ok", "detail": "3 inputs agree (float32)"}
    written, fixed = (float(report["runs"][side]["last_line"].split()[1]) for side in ("before", "after"))
    assert written < 0.5 and fixed > 2.0  # the penalty alone shrinks the kernel; with the data it fits 3


def test_cut_the_static_pass_cannot_see_is_reported_as_missed():
    result = run_cli("verify", "fixtures/verify/dynamic_numpy.py")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "static pass: no findings; running it once to look for cuts the static pass cannot see"
    assert lines[2].endswith(", fixed skipped (nothing to fix)")
    assert "  fixtures/verify/dynamic_numpy.py:13: np.square (TFG001); use tf.square instead" in lines
    gradient = next(line for line in lines if line.startswith("  d loss/d w, first call (w = 0.0000)"))
    assert gradient.split(")")[1].split() == ["-2.0000", "-", "-8.0000"]  # the tape sees 2(w-1); truth 2(w-1) + 2(w-3)
    assert lines[-1] == "nothing flagged; 1 cut missed by the static analysis (exit 1)"


def test_only_unsafe_fixes_skips_the_fixed_run_and_says_so():
    result = run_cli("verify", "fixtures/verify/unsafe_only.py")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].endswith("0 fixed in memory for the second run (1 more only by unsafe fixes: --unsafe-fixes)")
    assert lines[2].endswith(", fixed skipped (only unsafe fixes)")
    assert re.search(r"  tape block +8 +TFG001 +cut +wrong: d/d w: tape [-0-9.]+ vs numeric [-0-9.]+ +skipped +no", result.stdout)
    assert lines[-1] == ("as written the run confirms: tape block; no fix verified: only unsafe fixes exist, "
                         "rerun with --unsafe-fixes to verify them (exit 1)")


def test_progress_names_each_run_its_counts_and_time(monkeypatch):
    import io

    from tflint_grad.verify import progress

    stream = io.StringIO()  # not a terminal: a line every QUIET_EVERY seconds, none before
    shown = progress.Progress(stream)
    written, fixed = shown.reporter("as written"), shown.reporter("fixed")
    written(3.2, {"gradients": 5})
    assert stream.getvalue() == ""  # a short run prints nothing
    monkeypatch.setattr(progress, "QUIET_EVERY", 0.0)
    fixed(4.0, {"gradients": 7, "calls": 21})
    assert stream.getvalue() == (
        "verify: as written 3 s, 5 tape.gradient calls | fixed 4 s, 7 tape.gradient calls, 21 calls of flagged functions\n"
    )
