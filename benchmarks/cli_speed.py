"""The CLI's speed as a user meets it, as ratios measured in this one run.

    python benchmarks/cli_speed.py [TREE]   # default: the installed tensorflow_probability

1. A cold run over TREE (empty cache) against a bare single-process
   ``libcst.parse_module`` pass over the same files.
2. A second run over the unchanged TREE (the cache filled by run 1), in seconds.
3. One file (the seed, alone in a folder with no project marker) against the
   floor: Python start-up, ``import libcst`` and parsing that file, each as a
   fresh process (best of several), then where the rest of the time goes.

Every run is the real ``tflint-grad`` command in a child process.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "vi_two_bumps.py"
REPEAT = 7


def default_tree() -> str:
    spec = importlib.util.find_spec("tensorflow_probability")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("tensorflow_probability is not installed: pip install '.[test]' or pass a TREE")
    return spec.submodule_search_locations[0]


def wall(command: list[str], cwd: str | Path = ".") -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def best(command: list[str], cwd: str | Path = ".") -> float:
    return min(wall(command, cwd) for _ in range(REPEAT))


def tree_runs(tree: str) -> None:
    files = [p for p in Path(tree).rglob("*.py")]
    texts = [p.read_text(encoding="utf-8") for p in files]
    start = time.perf_counter()
    for text in texts:  # each module dropped after parsing, as the analysis does
        libcst.parse_module(text)
    bare = time.perf_counter() - start
    cache = tempfile.mkdtemp(prefix="tflint-grad-cache-")
    try:
        command = [sys.executable, "-m", "tflint_grad", tree, "--cache-dir", cache]
        cold = wall(command)
        warm = min(wall(command) for _ in range(3))
    finally:
        shutil.rmtree(cache)
    print(f"tree: {tree} ({len(files)} files, {sum(t.count(chr(10)) for t in texts)} lines, {os.cpu_count()} cores)")
    print(f"  bare libcst.parse_module, 1 process   {bare:7.2f} s")
    print(f"  cold run (empty cache)                {cold:7.2f} s   {cold / bare:5.2f}x the bare parse (target <= 0.5x)")
    print(f"  second run, unchanged tree            {warm:7.2f} s   (target <= 1 s)")


def one_file() -> None:
    folder = Path(tempfile.mkdtemp(prefix="tflint-grad-one-"))
    try:
        shutil.copy(SEED, folder / "seed.py")
        python = [sys.executable, "-c"]
        start_up = best([*python, "pass"])
        imported = best([*python, "import libcst"])
        floor = best([*python, "import libcst, sys; libcst.parse_module(open(sys.argv[1]).read())", "seed.py"], folder)
        run = best([sys.executable, "-m", "tflint_grad", "seed.py", "--no-cache"], folder)
        cached_run = best([sys.executable, "-m", "tflint_grad", "seed.py", "--cache-dir", str(folder / "cache")], folder)
        ours = best([*python, "import tflint_grad.cli, tflint_grad.engine"])
        print(f"one file: the seed ({SEED.stat().st_size} bytes), best of {REPEAT} fresh processes")
        print(f"  python start-up                       {start_up * 1000:7.0f} ms")
        print(f"  + import libcst                       {imported * 1000:7.0f} ms")
        print(f"  + parse the file (the floor)          {floor * 1000:7.0f} ms")
        print(f"  tflint-grad seed.py --no-cache        {run * 1000:7.0f} ms   {run / floor:5.2f}x the floor (target <= 1.25x)")
        print(f"  tflint-grad seed.py, warm cache       {cached_run * 1000:7.0f} ms   {cached_run / floor:5.2f}x the floor")
        print(f"  where the rest goes: importing tflint-grad's CLI and engine {(ours - start_up) * 1000:.0f} ms "
              f"(libcst included), analysis and report {(run - ours) * 1000:.0f} ms")
    finally:
        shutil.rmtree(folder)


def main() -> None:
    one_file()
    tree_runs(sys.argv[1] if len(sys.argv) > 1 else default_tree())


if __name__ == "__main__":
    main()
