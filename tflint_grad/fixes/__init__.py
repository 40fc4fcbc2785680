"""Autofixes: rewriting host (numpy/math/scipy) calls into TensorFlow ops."""
