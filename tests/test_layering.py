"""The import layering, checked by import-linter (``lint-imports``, the real tool) against
the contracts in pyproject.toml: each stage imports only the stages below it, so the core
can be tested, cached and reused alone.

    findings, exit codes, atomic, deep  <-  isolation  <-  parse  <-  discover  <-  ir  <-  analysis  <-  rules
        <-  fixes  <-  report  <-  engine, demand, config, cache, context, baseline  <-  fixing, add_noqa
        <-  api, guard  <-  cli, lsp, verify  <-  __main__

The contract is exhaustive, so a new top-level module fails until it is given its layer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, env=environment, capture_output=True, text=True)


def test_imports_follow_the_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tflint_grad", tmp_path / "tflint_grad", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_an_import_against_the_layers_breaks_the_contract(tmp_path):
    root = copy_of_the_package(tmp_path)
    model = root / "tflint_grad" / "ir" / "model.py"
    model.write_text(model.read_text() + "\n\ndef _late():\n    from ..analysis import facts  # the IR may not know the analysis\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "tflint_grad.ir.model -> tflint_grad.analysis.facts" in result.stdout


def test_a_module_without_a_layer_breaks_the_contract(tmp_path):
    root = copy_of_the_package(tmp_path)
    (root / "tflint_grad" / "stray.py").write_text('"""A module nobody placed."""\n')
    result = lint_imports(root)
    assert result.returncode != 0
    assert "stray" in result.stdout + result.stderr
