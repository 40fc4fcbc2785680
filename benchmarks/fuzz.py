"""The long fuzz run, for local use: the generators of ``tests/test_fuzz.py`` for as long as you like.

    python benchmarks/fuzz.py [--seconds 300] [--seed 0] [--kinds program,mutant,grammar]

Feeds TensorFlow-flavoured random programs, token-level mutations of the
fixtures and (with hypothesmith installed) grammar-generated modules, some
inside a ``GradientTape`` block, through the real analysis and fixer
(``fuzzing.problems``).  Prints how many inputs of each kind were tried and,
for each kind of failure, how often it happened and its smallest reproducer
(the first failing input, shrunk line by line, then token by token, while the
failure stays the same).  Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing  # noqa: E402  (tests/fuzzing.py: the generators and the property)
from tflint_grad.parse.source import SourceFile  # noqa: E402


def signature(problems: list[str]) -> str | None:
    """What kind of failure this is, without the path and the details that vary between inputs."""
    if not problems:
        return None
    text = re.sub(r"^\S+?: ", "", problems[0], count=1) if "escaped" not in problems[0] else problems[0]
    return re.split(r" \(|: ", text, maxsplit=1)[0] if "escaped" not in text else text.split(": ", 1)[0]


def failure(name: str, text: str) -> str | None:
    return signature(fuzzing.problems([SourceFile(name, text)]))


def shrink(name: str, text: str, kind: str, deadline: float) -> str:
    """Delete lines, then tokens, while the input still fails with the same ``kind``."""
    for pieces in (_lines, _tokens):
        parts = pieces(text)
        chunk = max(1, len(parts) // 2)
        while chunk and time.monotonic() < deadline:
            i, shrunk = 0, False
            while i < len(parts) and time.monotonic() < deadline:
                candidate = parts[:i] + parts[i + chunk:]
                if candidate and failure(name, "".join(candidate)) == kind:
                    parts, shrunk = candidate, True
                else:
                    i += chunk
            chunk = chunk if shrunk and chunk == 1 else chunk // 2
        text = "".join(parts)
    return text


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _tokens(text: str) -> list[str]:
    """The text cut at token boundaries, so joining the pieces gives it back."""
    cuts = sorted({0, len(text), *(start for start, *_ in fuzzing.tokens(text))})
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


def programs(rng: random.Random) -> Iterator[tuple[str, str]]:
    while True:
        yield "program.py", fuzzing.tf_program(rng)


def mutants(rng: random.Random) -> Iterator[tuple[str, str]]:
    while True:
        yield fuzzing.mutated_fixture(rng)


def grammar(rng: random.Random) -> Iterator[tuple[str, str]]:
    """hypothesmith modules, twenty at a time from a fresh hypothesis seed, half of them in a tape."""
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    while True:
        batch: list[str] = []

        @hypothesis_seed(rng.randrange(2**32))
        @settings(max_examples=20, phases=[Phase.generate], database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(hypothesmith.from_grammar())
        def collect(code: str) -> None:
            batch.append(code)

        collect()
        for code in batch:
            yield "generated.py", fuzzing.in_tape(code) if rng.random() < 0.5 else code


GENERATORS: dict[str, Callable[[random.Random], Iterator[tuple[str, str]]]] = {
    "program": programs, "mutant": mutants, "grammar": grammar,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=300.0, help="time budget for generating inputs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kinds", default=",".join(GENERATORS), help=f"comma-separated, of: {', '.join(GENERATORS)}")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", SyntaxWarning)  # hypothesmith compiles what it generates
    rng = random.Random(args.seed)
    streams = {kind: GENERATORS[kind](rng) for kind in args.kinds.split(",")}
    tried: Counter[str] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    first: dict[str, tuple[str, str]] = {}
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        for kind, stream in streams.items():
            name, text = next(stream)
            tried[kind] += 1
            found = failure(name, text)
            if found:
                failed[kind, found] += 1
                first.setdefault(found, (name, text))
    print(f"inputs tried: {dict(tried)} ({sum(tried.values())} in {args.seconds:.0f} s, seed {args.seed})")
    for (kind, found), count in sorted(failed.items()):
        print(f"  {kind}: {count} of {tried[kind]} ({100 * count / tried[kind]:.1f}%) fail with: {found}")
    for found, (name, text) in first.items():
        reproducer = shrink(name, text, found, time.monotonic() + 120)
        print(f"\n--- {found}: smallest reproducer found ({name}) ---\n{reproducer.rstrip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
