"""The process exit codes every front end shares (README, "Exit codes")."""

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
