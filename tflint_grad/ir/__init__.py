"""The intermediate representation of each module (stage 3 of the pipeline): plain, ordered data."""
