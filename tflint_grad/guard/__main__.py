"""``python -m tflint_grad.guard [--warn] script.py ARGS``: run a script under the guard.

The script runs as ``__main__`` with its own ``sys.argv`` and ``sys.path[0]``,
as ``python script.py ARGS`` would run it.  A cut raises
:class:`~tflint_grad.guard.GradientCutError` (its traceback ends the run, exit
status 1); with ``--warn`` each cut site is reported once on stderr and the
script runs to its end.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from . import RAISE, WARN, guard


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tflint_grad.guard",
        description="Run a Python script with TensorFlow gradient cuts made loud: converting a tensor that a "
                    "GradientTape records to numpy or a Python number raises GradientCutError.",
    )
    p.add_argument("--warn", action="store_true", help="warn once per cut site instead of raising")
    p.add_argument("script", help="the script to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def main(argv: list[str]) -> None:
    args = parser().parse_args(argv)
    sys.argv = [args.script, *args.args]
    sys.path[0] = os.path.dirname(os.path.abspath(args.script))
    with guard(WARN if args.warn else RAISE):
        runpy.run_path(args.script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
