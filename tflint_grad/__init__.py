"""tflint-grad: find TensorFlow gradient cuts (numpy/host round-trips on tensors
in differentiated code) with a libcst static analysis, and fix them."""

__version__ = "0.1.0"
