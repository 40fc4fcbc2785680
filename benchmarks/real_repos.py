"""Measure tflint-grad on public repositories: their findings, and recall of seeded cuts.

    python benchmarks/real_repos.py findings [--repos A,B] [--tool CMD] [--out FILE]
    python benchmarks/real_repos.py recall   [--repos A,B] [--tool CMD] [--out FILE] [--cap N] [--jobs N]

The repositories are listed in ``benchmarks/real_repos.json`` (name, commit,
why chosen, the folders to check and, for a large repository, the project
root); their checked-out trees live in ``--corpus`` (default
``/work/corpus``, one ``owner+name`` folder each, never in this repository).

``findings`` runs the tool over each repository (project root = the
repository) and prints the findings per code; every gradient-cut-family
finding (TFG0xx, TFG1xx) is written with its source line to ``--out`` for
triage.

``recall`` seeds one cut at a time into the real tape blocks (see
``seeding.py``: ``np.tanh(...)`` around the first forward-pass call, or
``.numpy()`` after it) in a private copy of the repository, runs the tool on
the seeded file with the copy as project root, and counts the seeds that get
a TFG0xx finding on the seeded lines; every miss goes to ``--out``.  At most
``--cap`` seeds per repository are made (both forms of a block count), the
blocks evenly spaced in path order, so a run over all repositories stays within
minutes.

Both modes run the real CLI (``--tool``, default ``tflint-grad``) in child
processes with ``--output-format json`` and never import the checked code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seeding  # noqa: E402  (a sibling module, not an installed package)

LIST = Path(__file__).with_suffix(".json")
CUT_FAMILY = ("TFG0", "TFG1")
# The folders tflint-grad does not walk (tflint_grad.discover.SKIPPED_FOLDERS, a test keeps them equal) and its
# cache: a file the tool would not check in the repository is not seeded.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints", "node_modules", ".eggs",
}) | {".tflint_grad_cache"}
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Repo:
    name: str
    folder: Path
    paths: tuple[str, ...]  # relative to the folder: what is checked and seeded
    root: str | None  # relative to the folder: the project root; None: the tool's own default for each file


@dataclass(frozen=True)
class Site:
    """One seedable tape block: a file (and notebook cell) and the seed's index among that source's seeds."""

    path: str  # relative to the repository folder
    cell: int | None  # index into the notebook's ``cells``; None for a .py file
    index: int


# ----------------------------------------------------------------------------- the list


def load_repos(corpus: Path, names: list[str] | None) -> list[Repo]:
    entries = json.loads(LIST.read_text(encoding="utf-8"))["repos"]
    chosen = [e for e in entries if not names or e["name"] in names or folder_name(e["name"]) in names]
    unknown = set(names or ()) - {e["name"] for e in chosen} - {folder_name(e["name"]) for e in chosen}
    if unknown:
        raise SystemExit(f"not in {LIST.name}: {', '.join(sorted(unknown))}")
    repos = [Repo(e["name"], corpus / folder_name(e["name"]), tuple(e.get("paths", ["."])), e.get("root", "."))
             for e in chosen]
    absent = [r.name for r in repos if not r.folder.is_dir()]
    if absent:
        raise SystemExit(f"not checked out under {corpus}: {', '.join(absent)}")
    return repos


def folder_name(name: str) -> str:
    return name.replace("/", "+")


# ----------------------------------------------------------------------------- running the tool


def run_tool(tool: list[str], cwd: Path, root: str | None, paths: list[str], cache: Path | None) -> tuple[list[dict], str]:
    """The tool's JSON entries for ``paths`` (relative to ``cwd``), and a note when the run failed."""
    cache_args = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    root_args = ["--project-root", root] if root is not None else []
    command = [*tool, "--output-format", "json", *root_args, *cache_args, *paths]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {RUN_TIMEOUT} s"
    try:
        entries = json.loads(result.stdout) if result.stdout.strip() else []
    except json.JSONDecodeError:
        entries = []
    failed = result.returncode not in (0, 1) or not result.stdout.strip()
    note = f"exit {result.returncode}: {result.stderr.strip()[-300:]}" if failed else ""
    return entries, note


def is_cut_family(entry: dict) -> bool:
    return entry["kind"] == "finding" and entry["code"].startswith(CUT_FAMILY)


# ----------------------------------------------------------------------------- sources: .py files and notebook cells


def checked_files(repo: Repo) -> list[str]:
    """The .py and .ipynb files under the repository's paths, relative to its folder, sorted."""
    found = set()
    for path in repo.paths:
        top = repo.folder / path
        candidates = [top] if top.is_file() else top.rglob("*")
        for file in candidates:
            relative = file.relative_to(repo.folder)
            if file.suffix in (".py", ".ipynb") and file.is_file() and not SKIPPED_DIRS & set(relative.parts):
                found.add(relative.as_posix())
    return sorted(found)


def read_text(file: Path) -> str | None:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def notebook_cells(text: str) -> list[dict] | None:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError:
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return cells if isinstance(cells, list) else None


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def sources_of(path: str, text: str) -> list[tuple[int | None, str]]:
    """The Python sources of a file: the file itself, or each code cell of a notebook with its index."""
    if not path.endswith(".ipynb"):
        return [(None, text)]
    cells = notebook_cells(text) or []
    return [(i, cell_source(c)) for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]


def with_cell_source(text: str, cell: int, source: str) -> str:
    """The notebook ``text`` with code cell ``cell`` holding ``source`` (the rest as it was)."""
    notebook = json.loads(text)
    notebook["cells"][cell]["source"] = source.splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def source_line(folder: Path, entry: dict) -> str:
    """The source line of a finding, from the file or from the notebook cell it is in."""
    text = read_text(folder / entry["filename"]) or ""
    row = entry["location"]["row"]
    if entry.get("cell"):
        cells = notebook_cells(text) or []
        index = int(entry["cell"]["label"].split()[-1]) - 1
        text = cell_source(cells[index]) if 0 <= index < len(cells) else ""
        row = entry["cell"]["location"]["row"]
    lines = text.splitlines()
    return lines[row - 1].strip() if 0 < row <= len(lines) else ""


# ----------------------------------------------------------------------------- findings mode


def findings_of(repo: Repo, tool: list[str]) -> dict:
    start = time.perf_counter()
    entries, note = run_tool(tool, repo.folder, repo.root, list(repo.paths), cache=None)
    found = [e for e in entries if e["kind"] == "finding"]
    cuts = [{"repo": repo.name, "file": Path(e["filename"]).as_posix(), "cell": (e.get("cell") or {}).get("label"),
             "row": (e.get("cell") or e)["location"]["row"], "code": e["code"], "message": e["message"],
             "line": source_line(repo.folder, e), "related": [r["message"] for r in e.get("related", [])]}
            for e in found if is_cut_family(e)]
    return {"repo": repo.name, "seconds": time.perf_counter() - start, "note": note,
            "codes": Counter(e["code"] for e in found),
            "errors": sum(e["kind"] == "error" for e in entries),
            "internal": sum(bool(e.get("internal")) for e in entries), "cuts": cuts}


def findings_main(repos: list[Repo], tool: list[str], out: Path, jobs: int) -> None:
    with ThreadPoolExecutor(jobs) as pool:
        rows = list(pool.map(lambda r: findings_of(r, tool), repos))
    for row in rows:
        codes = ", ".join(f"{c} {n}" for c, n in sorted(row["codes"].items())) or "none"
        extra = f", file errors {row['errors']}" + (f" (internal {row['internal']})" if row["internal"] else "")
        print(f"{row['repo']}: {codes}{extra}, {row['seconds']:.1f} s {row['note']}")
    total = sum((row["codes"] for row in rows), Counter())
    print(f"TOTAL over {len(rows)} repositories: "
          + (", ".join(f"{c} {n}" for c, n in sorted(total.items())) or "no findings"))
    out.write_text(json.dumps([c for row in rows for c in row["cuts"]], indent=1) + "\n", encoding="utf-8")
    print(f"gradient-cut-family findings written to {out}")


# ----------------------------------------------------------------------------- recall mode


def sites_of(repo: Repo) -> tuple[list[Site], int]:
    """Every seedable tape block of the repository, in path (then cell, then line) order, and how many tape blocks there are."""
    sites, blocks = [], 0
    for path in checked_files(repo):
        text = read_text(repo.folder / path)
        if text is None:
            continue
        for cell, source in sources_of(path, text):
            blocks += seeding.tape_block_count(source)
            sites += [Site(path, cell, i) for i in range(len(seeding.seeds(source, seeding.FORMS[0])))]
    return sites, blocks


def capped(sites: list[Site], cap: int) -> list[Site]:
    """At most ``cap`` sites, evenly spaced over the list (deterministic)."""
    if len(sites) <= cap:
        return sites
    return [sites[i * len(sites) // cap] for i in range(cap)]


def seeded_variant(text: str, site: Site, form: str) -> tuple[str, seeding.Seed]:
    """The file text with the site seeded in ``form``, and the seed."""
    if site.cell is None:
        seed = seeding.seeds(text, form)[site.index]
        return seed.text, seed
    source = dict(sources_of(site.path, text))[site.cell]
    seed = seeding.seeds(source, form)[site.index]
    return with_cell_source(text, site.cell, seed.text), seed


def hits(entries: list[dict], site: Site, seed: seeding.Seed) -> tuple[list[str], list[str]]:
    """The codes of the findings on the seeded lines: (TFG0xx ones, the others)."""
    on_seed = []
    for e in entries:
        if e["kind"] != "finding" or Path(e["filename"]).as_posix() != site.path:
            continue
        if site.cell is None:
            row = e["location"]["row"]
        elif e.get("cell") and e["cell"]["label"] == f"cell {site.cell + 1}":
            row = e["cell"]["location"]["row"]
        else:
            continue
        if seed.line <= row <= seed.end_line:
            on_seed.append(e["code"])
    return [c for c in on_seed if c.startswith("TFG0")], [c for c in on_seed if not c.startswith("TFG0")]


def recall_of(repo: Repo, tool: list[str], cap: int) -> dict:
    start = time.perf_counter()
    every, blocks = sites_of(repo)
    sites = capped(every, max(cap // len(seeding.FORMS), 1))
    results = []
    with tempfile.TemporaryDirectory(prefix="tflint-grad-recall-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(repo.folder, copy, ignore=shutil.ignore_patterns(*SKIPPED_DIRS), symlinks=True)
        cache = Path(scratch) / "cache"
        if sites:  # fills the cache with every unchanged file's IR, so each seeded run re-parses one file
            run_tool(tool, copy, repo.root, [sites[0].path], cache)
        for site in sites:
            original = (copy / site.path).read_bytes()
            text = original.decode("utf-8")
            for form in seeding.FORMS:
                variant, seed = seeded_variant(text, site, form)
                (copy / site.path).write_text(variant, encoding="utf-8", newline="")
                entries, note = run_tool(tool, copy, repo.root, [site.path], cache)
                (copy / site.path).write_bytes(original)
                cuts, others = hits(entries, site, seed)
                results.append({"repo": repo.name, "file": site.path,
                                "cell": None if site.cell is None else f"cell {site.cell + 1}",
                                "line": seed.line, "block_line": seed.block_line, "form": form,
                                "seeded": seed.seeded_line, "found": bool(cuts), "codes": cuts + others,
                                "note": note})
    return {"repo": repo.name, "blocks": blocks, "seedable": len(every), "sites": len(sites), "results": results,
            "seconds": time.perf_counter() - start}


def recall_line(row: dict) -> str:
    """A repository's recall: found/seeded per form, and how many tape blocks it has and were seeded."""
    parts = []
    for form in seeding.FORMS:
        results = [r for r in row["results"] if r["form"] == form]
        parts.append(f"{form} {sum(r['found'] for r in results)}/{len(results)}")
    capping = f", capped to {row['sites']}" if row["sites"] < row["seedable"] else ""
    return (f"{row['repo']}: {', '.join(parts)}; tape blocks {row['blocks']}, seedable {row['seedable']}"
            f"{capping}; {row['seconds']:.0f} s")


def recall_main(repos: list[Repo], tool: list[str], out: Path, cap: int, jobs: int) -> None:
    print(f"seeding at most {cap} per repository: {max(cap // len(seeding.FORMS), 1)} tape blocks evenly spaced in "
          f"path order, each in the forms {', '.join(seeding.FORMS)}; one seed per run")
    largest_first = sorted(repos, key=lambda r: -len(checked_files(r)))
    rows = {}
    with ThreadPoolExecutor(jobs) as pool:
        for done in as_completed([pool.submit(recall_of, r, tool, cap) for r in largest_first]):
            row = done.result()
            rows[row["repo"]] = row
            print(f"  [{len(rows)} of {len(repos)}] {recall_line(row)}", flush=True)
            misses = [r for repo in repos if repo.name in rows for r in rows[repo.name]["results"] if not r["found"]]
            out.write_text(json.dumps(misses, indent=1) + "\n", encoding="utf-8")
    for repo in repos:
        print(recall_line(rows[repo.name]))
    results = [r for row in rows.values() for r in row["results"]]
    forms = ", ".join(f"{form} {sum(r['found'] for r in results if r['form'] == form)}"
                      f"/{sum(r['form'] == form for r in results)}" for form in seeding.FORMS)
    found = sum(r["found"] for r in results)
    print(f"TOTAL: {found}/{len(results)} = {found / max(len(results), 1):.1%} ({forms})")
    print(f"{len(results) - found} misses written to {out}")


# ----------------------------------------------------------------------------- command line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("findings", "recall"))
    parser.add_argument("--tool", default="tflint-grad", help="the command to run (default: tflint-grad)")
    parser.add_argument("--repos", default="", help="comma-separated names (owner/name or owner+name); default: all")
    parser.add_argument("--corpus", default=os.environ.get("TFLINT_GRAD_CORPUS", "/work/corpus"))
    parser.add_argument("--out", help="the JSON file written (default: real_repos_<mode>.json here)")
    parser.add_argument("--cap", type=int, default=40, help="seeds per repository, both forms of a block counted (recall; default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="repositories measured at once")
    args = parser.parse_args(argv)
    repos = load_repos(Path(args.corpus), [n for n in args.repos.split(",") if n])
    out = Path(args.out or f"real_repos_{args.mode}.json")
    tool = shlex.split(args.tool)
    start = time.perf_counter()
    if args.mode == "findings":
        findings_main(repos, tool, out, args.jobs)
    else:
        recall_main(repos, tool, out, args.cap, args.jobs)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall time {time.perf_counter() - start:.1f} s; CPU time of the tool's runs "
          f"{children.ru_utime + children.ru_stime:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
