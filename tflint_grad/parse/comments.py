"""The comments of a file, as the tokenizer sees them.

``# noqa`` is a directive only in a comment: the same characters inside a
string are the program's data, and must neither suppress a finding nor be
edited by ``--add-noqa``.  A line whose end lies inside a token (a
triple-quoted string) cannot take a comment at all.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class Comments:
    """A file's comments by line, for ``noqa`` and pragmas."""

    by_line: dict[int, tuple[int, str]]  # line -> (column, the comment's text)
    open_lines: frozenset[int]  # lines that end inside a multi-line token


def scan(text: str) -> Comments:
    by_line: dict[int, tuple[int, str]] = {}
    open_lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                by_line[token.start[0]] = (token.start[1], token.string)
            elif token.start[0] < token.end[0] and token.type != tokenize.NL:
                open_lines.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):  # the parser reports the file's syntax error
        pass
    return Comments(by_line, frozenset(open_lines))
