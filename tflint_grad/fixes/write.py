"""Write a fixed file back without ever hurting it.

- Only a file the user may change in place is written: a regular file they
  own, whose mode lets its owner write it, with one name (no other hard link),
  in a folder whose mode lets them create files.  Root gets no exemption from
  the mode bits, as editors and ruff refuse a read-only file too; and a file of
  another owner is left alone, since replacing it would make the user its owner.
- Never half-written: the new bytes go to a temporary file in the same folder,
  synced to disk, given the file's group and mode, then renamed over it.
- Nothing saved meanwhile is lost.  The file is compared with what was read
  when it is opened; on Linux the rename is an exchange (``renameat2`` with
  ``RENAME_EXCHANGE``), so the file it displaced is still at hand: if that is
  not the file that was read, unchanged (an editor saved in the window, in
  place or by renaming), the two are swapped back and the fix is reported as
  not written.  Where exchange is unavailable, the file is re-checked right
  before ``os.replace`` and, through the handle kept open on it, right after
  (an edit written in place in between is put back; a save by rename in that
  window cannot be seen).
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import tempfile
from typing import Callable

from ..parse.notebook import render_notebook
from ..parse.source import SourceFile

# How each kind of file turns its (fixed) Python text back into bytes.
RENDERERS: dict[str, Callable[[SourceFile], bytes]] = {
    "python": lambda source: source.text.encode(source.encoding),
    "notebook": render_notebook,
}
AT_FDCWD, RENAME_EXCHANGE = -100, 2
NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}  # errnos of an unsupported filesystem


class NotWritten(OSError):
    """The file was left as it was; ``reason`` says why, for the user."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ChangedOnDisk(NotWritten):
    pass


def render(source: SourceFile) -> bytes:
    return RENDERERS[source.kind](source)


def try_write(path: str, source: SourceFile) -> str | None:
    """Write the fixed file; None when written, otherwise why it was left as it was."""
    try:
        write_atomic(path, source)
    except NotWritten as error:
        return error.reason
    except OSError as error:
        return error.strerror or str(error)
    return None


def write_atomic(path: str, source: SourceFile) -> None:
    target = os.path.realpath(path)  # write through a symlink, do not replace it
    folder = os.path.dirname(target)
    data = render(source)
    with open(target, "rb") as original:
        read = os.fstat(original.fileno())
        reason = refusal(read, os.stat(folder))
        if reason:
            raise NotWritten(path, reason)
        if original.read() != source.raw:
            raise ChangedOnDisk(path, "changed on disk since it was read; not overwritten")
        temporary = _temporary_copy(path, folder, data, read)
        try:
            if not _swap_in(temporary, target, original, read, source.raw):
                raise ChangedOnDisk(path, "changed on disk while it was being fixed; the saved version was kept, not fixed")
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)
    _sync_folder(folder)


def refusal(file: os.stat_result, folder: os.stat_result) -> str | None:
    """Why the user may not rewrite this file in place, or None."""
    user = os.geteuid() if hasattr(os, "geteuid") else file.st_uid  # Windows has no owners
    if not stat.S_ISREG(file.st_mode):
        return "not a regular file"
    if file.st_uid != user:
        return f"owned by another user (uid {file.st_uid}, you are uid {user}); --fix only rewrites files you own"
    if not _may_write(file):
        return f"read-only (mode {stat.S_IMODE(file.st_mode):04o}); --fix leaves read-only files alone"
    if file.st_nlink > 1:
        return f"has {file.st_nlink} hard links; rewriting it would leave the other names with the old text"
    if not _may_write(folder):
        return f"its folder is not writable (mode {stat.S_IMODE(folder.st_mode):04o})"
    return None


def _may_write(status: os.stat_result) -> bool:
    """What the write bits grant the user, with no exemption for root."""
    if not hasattr(os, "geteuid"):
        return bool(status.st_mode & stat.S_IWUSR)
    if status.st_uid == os.geteuid():
        bit = stat.S_IWUSR
    elif status.st_gid in {os.getegid(), *os.getgroups()}:
        bit = stat.S_IWGRP
    else:
        bit = stat.S_IWOTH
    return bool(status.st_mode & bit)


def _temporary_copy(path: str, folder: str, data: bytes, like: os.stat_result) -> str:
    """A synced temporary file in ``folder`` holding ``data``, with the group and mode of ``like``."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tflint-grad-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchown") and os.fstat(fd).st_gid != like.st_gid:
                try:
                    os.fchown(fd, -1, like.st_gid)
                except PermissionError:
                    raise NotWritten(path, f"its group (gid {like.st_gid}) could not be kept") from None
            os.chmod(temporary, stat.S_IMODE(like.st_mode))  # after chown, which clears set-id bits
            os.fsync(fd)
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def _pause_before_swap(target: str) -> None:
    """Does nothing.  Tests replace it to land a real concurrent save in the last window (tests/test_fix.py)."""


def _same(status: os.stat_result, read: os.stat_result) -> bool:
    key = ("st_dev", "st_ino", "st_size", "st_mtime_ns")
    return all(getattr(status, k) == getattr(read, k) for k in key)


def _untouched(path: str, read: os.stat_result, raw: bytes) -> bool:
    """``path`` is still the file that was read, with the bytes that were read."""
    with open(path, "rb") as handle:
        return _same(os.fstat(handle.fileno()), read) and handle.read() == raw


def _swap_in(temporary: str, target: str, original, read: os.stat_result, raw: bytes) -> bool:
    """Put ``temporary`` in place of ``target``; False (and target as it was) if target had been edited."""
    if _exchange is not None:
        _pause_before_swap(target)
        try:
            _exchange(temporary, target)
        except OSError as error:
            if error.errno not in NO_EXCHANGE:
                raise
        else:
            if _untouched(temporary, read, raw):  # ``temporary`` now names the file that was displaced
                return True
            _exchange(temporary, target)  # the edited file back in place, the fix back under the temporary name
            return False
    return _replace(temporary, target, original, read, raw)


def _replace(temporary: str, target: str, original, read: os.stat_result, raw: bytes) -> bool:
    """The fallback: check, rename, and check the displaced file through the handle kept open on it."""
    if not _untouched(target, read, raw):
        return False
    _pause_before_swap(target)
    os.replace(temporary, target)
    original.seek(0)
    displaced = original.read()
    if _same(os.fstat(original.fileno()), read) and displaced == raw:
        return True
    os.replace(_temporary_copy(target, os.path.dirname(target), displaced, read), target)  # give the edit back
    return False


def _load_exchange() -> Callable[[str, str], None] | None:
    """``renameat2(RENAME_EXCHANGE)`` from the C library (Linux, glibc >= 2.28), or None."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None

    def exchange(first: str, second: str) -> None:
        if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), second)

    return exchange


_exchange = _load_exchange()


def _sync_folder(folder: str) -> None:
    """Make the rename durable (POSIX: sync the folder's entry list)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
