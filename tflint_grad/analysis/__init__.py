"""The project-wide analysis: which code TensorFlow differentiates, which values
carry a gradient, and what happens to them on the way to the differentiated
outputs.  It reads the per-module IR (``tflint_grad.ir``) and the API tables
(``tables/``); rules read its result only through ``facts.py``."""
