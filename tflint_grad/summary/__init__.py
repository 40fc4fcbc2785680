"""Per-module summaries (stage 3 of the pipeline)."""
