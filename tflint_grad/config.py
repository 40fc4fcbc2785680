"""Configuration: ``[tool.tflint-grad]`` in the nearest ``pyproject.toml``.

::

    [tool.tflint-grad]
    select = ["TFG"]            # code prefixes to report (default: all)
    ignore = ["TFG101"]         # code prefixes to drop
    exclude = ["legacy/*"]      # globs skipped when walking folders
    entry-points = [            # your own APIs that differentiate a callable
      { function = "mylib.fit", position = 0, keyword = "loss_fn" },
    ]

Command-line flags override the file.  Unknown keys are an error, not a
silent no-op.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace

from .analysis.apis import normalize
from .analysis.entry_points import CallableApi, Slot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SECTION = "tflint-grad"
KEYS = {"select", "ignore", "exclude", "entry-points"}
ENTRY_KEYS = {"function", "position", "keyword", "output"}


class ConfigError(Exception):
    """A configuration problem, reported as a usage error (exit 2)."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("TFG",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    entry_points: tuple[CallableApi, ...] = ()
    source: str | None = field(default=None, compare=False)  # the pyproject.toml it came from

    def with_overrides(self, **overrides) -> "Config":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def find_pyproject(start: str) -> str | None:
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    table = data.get("tool", {}).get(SECTION)
    if table is None:
        return Config(source=path)
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown option(s) in [tool.{SECTION}]: {', '.join(sorted(unknown))}")
    return Config(
        select=_strings(table, "select", path) or ("TFG",),
        ignore=_strings(table, "ignore", path),
        exclude=_strings(table, "exclude", path),
        entry_points=tuple(_entry_point(item, path) for item in table.get("entry-points", [])),
        source=path,
    )


def _strings(table: dict, key: str, path: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.{SECTION}] {key} must be a list of strings")
    return tuple(value)


def _entry_point(item: object, path: str) -> CallableApi:
    if not isinstance(item, dict) or "function" not in item or set(item) - ENTRY_KEYS:
        raise ConfigError(
            f"{path}: each [tool.{SECTION}] entry-points item needs 'function' and may have "
            f"'position', 'keyword', 'output'; got {item!r}"
        )
    position, keyword = item.get("position"), item.get("keyword")
    if position is None and keyword is None:
        position = 0
    return CallableApi(normalize(item["function"]), (Slot(position, keyword),), output=bool(item.get("output", True)))
