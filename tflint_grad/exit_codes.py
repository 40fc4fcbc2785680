"""The process exit codes every front end shares (README, "Exit codes")."""

from __future__ import annotations

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def exit_code(findings, errors) -> int:
    """2 when tflint-grad itself failed on some file or a file's directive is wrong
    (the findings are still printed), 1 for findings or unreadable files, else 0."""
    if any(error.internal or error.usage for error in errors):
        return EXIT_ERROR
    return EXIT_FINDINGS if findings or errors else EXIT_CLEAN
