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

from .analysis.tables.apis import normalize
from .analysis.tables.entry_points import CallableApi, Slot
from .rules import selector_error

SECTION = "tflint-grad"
KEYS = {"select", "ignore", "exclude", "entry-points"}
# entry-points item key -> (accepts the value, what it must be)
ENTRY_VALUES = {
    "function": (lambda v: isinstance(v, str) and all(part.isidentifier() for part in v.split(".")), "a dotted name"),
    "position": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "a whole number from 0"),
    "keyword": (lambda v: isinstance(v, str) and v.isidentifier(), "a parameter name"),
    "output": (lambda v: isinstance(v, bool), "true or false"),
}


class ConfigError(Exception):
    """A configuration problem, reported as a usage error (exit 2)."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("TFG",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    entry_points: tuple[CallableApi, ...] = ()
    source: str | None = field(default=None, compare=False)  # the pyproject.toml it came from

    @property
    def folder(self) -> str | None:
        """Where the configuration lives: the folder exclude globs are relative to."""
        return os.path.dirname(os.path.abspath(self.source)) if self.source else None

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
    if sys.version_info >= (3, 11):  # imported only when there is a file to read (a one-file run has none)
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, got {tool!r}")
    table = tool.get(SECTION)
    if table is None:
        return Config(source=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{SECTION}] must be a table, got {table!r}")
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown option(s) in [tool.{SECTION}]: {', '.join(sorted(unknown))}")
    entry_points = table.get("entry-points", [])
    if not isinstance(entry_points, list):
        raise ConfigError(f"{path}: [tool.{SECTION}] entry-points must be a list of tables")
    return Config(
        select=_selectors(table, "select", path) or ("TFG",),
        ignore=_selectors(table, "ignore", path),
        exclude=_strings(table, "exclude", path),
        entry_points=tuple(_entry_point(item, path) for item in entry_points),
        source=path,
    )


def _strings(table: dict, key: str, path: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.{SECTION}] {key} must be a list of strings")
    return tuple(value)


def _selectors(table: dict, key: str, path: str) -> tuple[str, ...]:
    selectors = tuple(s.strip().upper() for s in _strings(table, key, path))
    problem = selector_error(selectors, f"{path} [tool.{SECTION}] {key}")
    if problem:
        raise ConfigError(problem)
    return selectors


def _entry_point(item: object, path: str) -> CallableApi:
    if not isinstance(item, dict) or "function" not in item or set(item) - ENTRY_VALUES.keys():
        raise ConfigError(
            f"{path}: each [tool.{SECTION}] entry-points item needs 'function' and may have "
            f"'position', 'keyword', 'output'; got {item!r}"
        )
    for key, value in item.items():
        accepts, expected = ENTRY_VALUES[key]
        if not accepts(value):
            raise ConfigError(f"{path}: [tool.{SECTION}] entry-points {key} must be {expected}; got {value!r}")
    position, keyword = item.get("position"), item.get("keyword")
    if position is None and keyword is None:
        position = 0
    return CallableApi(normalize(item["function"]), (Slot(position, keyword),), output=item.get("output", True))
