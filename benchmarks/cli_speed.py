"""The CLI's speed as a user meets it, as ratios measured in this one run.

    python benchmarks/cli_speed.py [TREE]   # default: the installed tensorflow_probability
    python benchmarks/cli_speed.py --one-file   # only part 3

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
REPEAT = 9
# Child processes write and use bytecode, as an installed package has it (PYTHONDONTWRITEBYTECODE
# would have every run compile tflint-grad's modules again).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(ROOT)}
# Where one run's time goes, stage by stage, timed (CPU) inside one child process.
STAGES = """
import sys, time
stamps = [time.process_time()]
import libcst, libcst.native
stamps.append(time.process_time())
from tflint_grad import cli
from tflint_grad.engine import check
from tflint_grad.report import text
stamps.append(time.process_time())
args = cli.parser().parse_intermixed_args(sys.argv[1:])
config = cli.resolve_config(args, args.paths)
inputs = cli.gather(args, config)
stamps.append(time.process_time())
report = check(inputs.sources, config, **inputs.analysis)
stamps.append(time.process_time())
text.render(list(report.findings), {s.path: s for s in inputs.sources}, False, [], [])
stamps.append(time.process_time())
print(" ".join(str(b - a) for a, b in zip(stamps, stamps[1:])))
"""


def default_tree() -> str:
    spec = importlib.util.find_spec("tensorflow_probability")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("tensorflow_probability is not installed: pip install '.[test]' or pass a TREE")
    return spec.submodule_search_locations[0]


def timed(command: list[str], cwd: str | Path = ".") -> tuple[float, float]:
    """Wall time and CPU time (user + system, the child's and its workers') of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def wall(command: list[str], cwd: str | Path = ".") -> float:
    return timed(command, cwd)[0]


def best(commands: dict[str, list[str]], cwd: str | Path = ".") -> dict[str, tuple[float, float]]:
    """Each command's best wall and CPU time, the commands taking turns so that a burst of load on a
    shared machine hits all of them alike (one warm-up round writes the bytecode).  On a loaded
    machine the CPU times are the steadier measure of the same ratios."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for round_ in range(REPEAT + 1):
        for name, command in commands.items():
            measured = timed(command, cwd)
            if round_:
                times[name].append(measured)
    return {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in times.items()}


def stages(cwd: Path) -> list[float]:
    """Best of REPEAT per stage: import libcst, import tflint-grad, options and discovery, analysis, report."""
    runs = [
        [float(x) for x in subprocess.run([sys.executable, "-c", STAGES, "seed.py", "--no-cache"], cwd=cwd, env=ENV,
                                          capture_output=True, text=True, check=True).stdout.split()]
        for _ in range(REPEAT)
    ]
    return [min(column) for column in zip(*runs)]


def tree_runs(tree: str) -> None:
    files = [p for p in Path(tree).rglob("*.py")]
    texts = [p.read_text(encoding="utf-8") for p in files]
    start, start_cpu = time.perf_counter(), time.process_time()
    for text in texts:  # each module dropped after parsing, as the analysis does
        libcst.parse_module(text)
    bare, bare_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    cache = tempfile.mkdtemp(prefix="tflint-grad-cache-")
    try:
        command = [sys.executable, "-m", "tflint_grad", tree, "--cache-dir", cache]
        uncached, uncached_cpu = timed([*command, "--no-cache"])
        cold, cold_cpu = timed(command)
        warm = min(wall(command) for _ in range(3))
    finally:
        shutil.rmtree(cache)
    print(f"tree: {tree} ({len(files)} files, {sum(t.count(chr(10)) for t in texts)} lines, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f})")
    print(f"  bare libcst.parse_module, 1 process   {bare:7.2f} s   CPU {bare_cpu:.2f} s")
    print(f"  cold run (empty cache)                {cold:7.2f} s   {cold / bare:5.2f}x the bare parse (target <= 0.5x); "
          f"CPU {cold_cpu:.2f} s, all processes: {cold_cpu / bare_cpu:.2f}x")
    print(f"  cold run, --no-cache                  {uncached:7.2f} s   {uncached / bare:5.2f}x the bare parse; "
          f"CPU {uncached_cpu:.2f} s: {uncached_cpu / bare_cpu:.2f}x")
    print(f"  second run, unchanged tree            {warm:7.2f} s   (target <= 1 s)")


def one_file() -> None:
    folder = Path(tempfile.mkdtemp(prefix="tflint-grad-one-"))
    try:
        shutil.copy(SEED, folder / "seed.py")
        python = [sys.executable, "-c"]
        tflint_grad = [sys.executable, "-m", "tflint_grad", "seed.py"]
        times = best({
            "start-up": [*python, "pass"],
            "libcst": [*python, "import libcst"],
            "floor": [*python, "import libcst, sys; libcst.parse_module(open(sys.argv[1]).read())", "seed.py"],
            "imports": [*python, "import tflint_grad.cli, tflint_grad.engine, tflint_grad.report.text"],
            "run": [*tflint_grad, "--no-cache"],
            "cached": [*tflint_grad, "--cache-dir", str(folder / "cache")],
        }, folder)
        (floor, floor_cpu), (run, run_cpu) = times["floor"], times["run"]
        libcst_s, ours, options, analysis, report = stages(folder)
        print(f"one file: the seed ({SEED.stat().st_size} bytes), best of {REPEAT} fresh processes taking turns "
              f"(load {os.getloadavg()[0]:.1f}); wall, then CPU")
        for label, name in (("python start-up", "start-up"), ("+ import libcst", "libcst"),
                            ("+ parse the file (the floor)", "floor"), ("import tflint-grad's modules", "imports")):
            print(f"  {label:<36} {times[name][0] * 1000:7.0f} ms {times[name][1] * 1000:7.0f} ms")
        print(f"  tflint-grad seed.py --no-cache       {run * 1000:7.0f} ms {run_cpu * 1000:7.0f} ms   "
              f"{run / floor:5.2f}x / {run_cpu / floor_cpu:5.2f}x the floor (target <= 1.25x)")
        cached, cached_cpu = times["cached"]
        print(f"  tflint-grad seed.py, warm cache      {cached * 1000:7.0f} ms {cached_cpu * 1000:7.0f} ms   "
              f"{cached / floor:5.2f}x / {cached_cpu / floor_cpu:5.2f}x the floor")
        print(f"  where it goes (CPU, in one process): import libcst {libcst_s * 1000:.0f} ms, tflint-grad's own imports "
              f"{ours * 1000:.0f} ms, options and discovery {options * 1000:.0f} ms, analysis (parse included) "
              f"{analysis * 1000:.0f} ms, report {report * 1000:.1f} ms")
    finally:
        shutil.rmtree(folder)


def main() -> None:
    arguments = sys.argv[1:]
    one_file()
    if "--one-file" not in arguments:
        trees = [a for a in arguments if a != "--one-file"]
        tree_runs(trees[0] if trees else default_tree())


if __name__ == "__main__":
    main()
