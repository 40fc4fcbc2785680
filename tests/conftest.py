"""Shared helpers: where the repository is, and how to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def run_cli(*args: str, cwd: Path | str = ROOT, stdin: str | None = None, **options) -> subprocess.CompletedProcess:
    """Run ``python -m tflint_grad`` exactly as a user would, in a child process (``options`` go to subprocess.run)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tflint_grad", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=600, **options,
    )


@pytest.fixture
def cli():
    return run_cli
