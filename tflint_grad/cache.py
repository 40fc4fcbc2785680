"""The cache: what an unchanged file or an unchanged run needs no second time.

Two kinds of entry live in ``.tflint_grad_cache/`` at the project root (or
``--cache-dir``), in one folder per tool version, as ``.ruff_cache`` does:

* ``modules/``: one module's IR, keyed by its path, the hash of its
  text and the IR version, so only changed files are parsed;
* ``runs/``: a whole run's report, keyed by every input file's hash and the
  configuration, so an unchanged tree needs no fixpoint at all.

The version folder's name carries a hash of tflint-grad's own source too, so
a changed analysis never reads a report of the old one.

Entries are pickles, and a pickle can run code when loaded.  A cache folder
can come with a repository someone else made, so every entry carries an
HMAC-SHA256 of its bytes under a key that only this user holds
(``$XDG_CACHE_HOME/tflint-grad/key``, mode 600); an entry that was not
written by this user, is cut short or is corrupt fails the check and is
ignored, then rewritten.  Writes go to a temporary file renamed into place, so
concurrent runs never see half an entry; the last writer wins with an equally
valid one.

Hashing, pickling and signing are imported when a cache is first used: a run
without one (``--no-cache``, or one file outside any project) does not pay
for them at start-up.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from . import __version__

FOLDER = ".tflint_grad_cache"
CACHE_ENV = "TFLINT_GRAD_CACHE_DIR"
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by tflint-grad.\n"
DIGEST = 32  # bytes of an HMAC-SHA256


def fingerprint(*parts: object) -> str:
    """A stable hash of plain values (strings, numbers, tuples of them)."""
    import hashlib

    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def code_digest() -> str:
    """A hash of tflint-grad's own source: an editable install or a pre-commit hook pinned
    to a commit changes the code without changing the version, and must not read old reports."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class Cache:
    def __init__(self, folder: str | os.PathLike) -> None:
        self.root = Path(folder)
        self.folder = self.root / f"{__version__}-{code_digest()}"
        self._key: bytes | None = None
        self._ready: set[Path] = set()  # entry folders made (and found inside the root) by this run

    # -- entries ---------------------------------------------------------------
    def get(self, kind: str, key: str) -> object | None:
        """The entry, or None when it is missing, foreign, truncated or corrupt."""
        import hmac
        import pickle

        try:
            data = (self.folder / kind / key[:2] / key).read_bytes()
        except OSError:
            return None
        signature, body = data[:DIGEST], data[DIGEST:]
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            return pickle.loads(body)
        except Exception:  # noqa: BLE001 - signed but unreadable (an older Python's pickle): a miss
            return None

    def put(self, kind: str, key: str, value: object) -> None:
        """Store an entry; a cache that cannot be written only costs speed."""
        import pickle

        from .atomic import replace_atomically

        try:
            body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            folder = self.folder / kind / key[:2]
            if self._prepared(folder):
                replace_atomically(folder / key, self._sign(body) + body)
        except (OSError, pickle.PicklingError, RecursionError):
            return

    def _prepared(self, folder: Path) -> bool:
        """Make an entry folder, once per run; False when a symlink planted in the cache points elsewhere."""
        if folder not in self._ready:
            if not _inside(folder, self.root):
                return False
            folder.mkdir(parents=True, exist_ok=True)
            self._mark_root()
            self._ready.add(folder)
        return True

    # -- the folder and the key ---------------------------------------------------
    def _mark_root(self) -> None:
        """CACHEDIR.TAG (backup tools skip the folder) and a .gitignore of everything."""
        for name, text in (("CACHEDIR.TAG", TAG), (".gitignore", "*\n")):
            try:  # never through a symlink, never over an existing file
                handle = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except FileExistsError:
                continue
            with os.fdopen(handle, "w") as out:
                out.write(text)

    def _sign(self, body: bytes) -> bytes:
        import hashlib
        import hmac

        if self._key is None:
            self._key = user_key()
        return hmac.new(self._key, body, hashlib.sha256).digest()


def _inside(path: Path, root: Path) -> bool:
    real_root = os.path.realpath(root)
    return os.path.realpath(path).startswith(real_root + os.sep)


def user_key() -> bytes:
    """This user's secret for signing cache entries, made on first use."""
    import secrets
    import tempfile

    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tflint-grad"
    path = home / "key"
    try:
        return path.read_bytes()
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        home.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=home, prefix=".key-")
        with os.fdopen(handle, "wb") as out:  # mkstemp makes it mode 600
            out.write(key)
        try:
            os.link(temporary, path)  # the first run to get here wins; the others read its key
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        return path.read_bytes()
    except OSError:
        return key  # no writable home: entries of this run only verify within it
