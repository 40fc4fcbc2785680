"""Write a fixed file back safely.

The new content goes to a temporary file in the same folder, gets the
original's permissions, and replaces the original with one atomic rename, so
a crash never leaves a half-written file.  If the file changed on disk since
it was read (an editor saved it meanwhile), it is not overwritten.
"""

from __future__ import annotations

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


class ChangedOnDisk(Exception):
    pass


def render(source: SourceFile) -> bytes:
    return RENDERERS[source.kind](source)


def write_atomic(path: str, source: SourceFile) -> None:
    path = os.path.realpath(path)  # write through a symlink, do not replace it
    with open(path, "rb") as handle:
        if handle.read() != source.raw:
            raise ChangedOnDisk(f"{path} changed on disk since it was read; not overwritten")
    data = render(source)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tflint-grad-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
