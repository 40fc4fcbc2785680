"""Write a whole file or nothing: a temporary file in the same folder, renamed over the target.

For files tflint-grad owns (cache entries, a baseline).  Files of the user's
that ``--fix`` rewrites need more care (permissions, owner, an edit saved
meanwhile): see ``fixes/write.py``.
"""

from __future__ import annotations

import os
import tempfile


def replace_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Readers see the old content or the new one, never a part; on failure the target is untouched."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tflint-grad-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
