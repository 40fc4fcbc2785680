"""The pytest plugin: every test of a suite runs under the guard.

Registered as the ``pytest11`` entry point ``tflint_grad_guard``, so it is
loaded wherever tflint-grad is installed, and does nothing until asked:
``pytest --tflint-grad-guard`` (raise), ``--tflint-grad-guard=warn``, or the
ini option ``tflint_grad_guard = raise`` / ``warn`` (the command line wins;
``off`` turns it off).  In ``raise`` mode a test that hides a cut fails with
the :class:`~tflint_grad.guard.GradientCutError`; in ``warn`` mode the cuts
appear in pytest's warnings summary.  The guard covers the test function
itself (fixtures' setup and teardown are not guarded).  Loading the plugin
never imports TensorFlow.
"""

from __future__ import annotations

import pytest

from . import MODES, guard

OPTION, INI = "--tflint-grad-guard", "tflint_grad_guard"
OFF = "off"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("tflint-grad")
    group.addoption(
        OPTION, nargs="?", const="raise", default=None, choices=(*MODES, OFF), dest=INI,
        help="run each test under tflint_grad.guard: a gradient cut raises (default) or warns",
    )
    parser.addini(INI, f"tflint-grad guard mode for every test: {', '.join(MODES)} or {OFF} (default)", default=OFF)


def _mode(config) -> str:
    chosen = config.getoption(INI) or config.getini(INI) or OFF
    if chosen not in (*MODES, OFF):
        raise pytest.UsageError(f"{INI} must be one of {', '.join((*MODES, OFF))}, not {chosen!r}")
    return chosen


def pytest_configure(config) -> None:
    _mode(config)  # a bad ini value is a usage error before any test runs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    mode = _mode(item.config)
    if mode == OFF:
        yield
        return
    with guard(mode):
        yield
