"""Stage 6: reporters. Each renders a Report (findings + file errors) as text."""
