"""Stage 2: read a file into Python source text and parse it with libcst."""
