"""True values, computed independently of any run, for the runs' own numbers.

The gradient check proves a cut anywhere, but "where should training have
ended up?" needs the true answer of the problem being solved.  For the seed
problem it is known: fit the surrogate q = Normal(0, scale) to the two-bump
density p = 0.5 N(-3, 1) + 0.5 N(3, 1) by minimising the loss
``tfp.vi.monte_carlo_variational_loss`` estimates, KL(q || p).  Writing
x = scale * z with z ~ N(0, 1):

    KL(scale)  = -log(scale) - (1 + log 2 pi) / 2 - E_z[log p(scale z)]
    dKL/dscale = -1/scale - E_z[z (log p)'(scale z)],   (log p)'(x) = -x + 3 tanh(3x)

The expectation is a one-dimensional integral against the standard normal
density, computed here by quadrature (trapezoid rule on a fine grid: spectrally
accurate for a smooth integrand that decays like exp(-z^2/2)), and the
optimum is the root of dKL/dscale, found by bisection.  At scale = 1 the true
gradient is -2.2935; the optimum is scale = 2.747.  Nothing here touches
TensorFlow or the run; ``tests/test_verify.py`` checks these numbers against
scipy's adaptive quadrature of KL itself.

A reference applies to a run only when one of the run's flagged functions
computes the reference's log density at the inputs it really received (the
samples the child reports), never by file or function name.  Its numbers are
then shown beside the run's rows that name its parameter: the gradient on
``scale`` and the final value of ``scale``.

numpy only; imported by the verifier after the child runs succeeded (so numpy,
a TensorFlow dependency, is present).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

GRID = np.linspace(-12.0, 12.0, 24001)  # z; the normal density is below 1e-31 outside
WEIGHTS = np.exp(-0.5 * GRID**2) / np.sqrt(2.0 * np.pi) * (GRID[1] - GRID[0])
MATCH_TOLERANCE = dict(rtol=1e-6, atol=1e-9)
MIN_SAMPLES = 4


def expect(g: Callable[[np.ndarray], np.ndarray]) -> float:
    """E_z[g(z)] for z ~ N(0, 1), by the trapezoid rule (the end weights are ~1e-31)."""
    return float(np.sum(WEIGHTS * g(GRID)))


def bisect(f: Callable[[float], float], low: float, high: float) -> float:
    """The root of an increasing ``f`` in [low, high], to double precision."""
    for _ in range(100):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if f(middle) < 0 else (low, middle)
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Reference:
    name: str  # what the numbers are the truth for
    parameter: str  # the surrogate parameter the numbers are about, as the script names its variable
    log_density: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[float], float]  # d loss / d parameter at a given value
    low: float  # a bracket of the optimum
    high: float

    def optimum(self) -> float:
        return bisect(self.gradient, self.low, self.high)

    def applies(self, samples: list[list[float]]) -> bool:
        """Do these (x, f(x)) pairs, recorded from one flagged function, follow the log density?"""
        if len(samples) < MIN_SAMPLES:
            return False
        x, y = np.asarray(samples, dtype=np.float64).T
        return bool(np.allclose(y, self.log_density(x), **MATCH_TOLERANCE))


def _two_bumps_log_density(x: np.ndarray) -> np.ndarray:
    log_half_normal = lambda m: np.log(0.5) - 0.5 * (x - m) ** 2 - 0.5 * np.log(2.0 * np.pi)  # noqa: E731
    return np.logaddexp(log_half_normal(-3.0), log_half_normal(3.0))


def _two_bumps_kl_gradient(scale: float) -> float:
    return -1.0 / scale - expect(lambda z: z * (-scale * z + 3.0 * np.tanh(3.0 * scale * z)))


TWO_BUMPS = Reference(
    name="KL(Normal(0, scale) || 0.5 N(-3, 1) + 0.5 N(3, 1)), by quadrature",
    parameter="scale",
    log_density=_two_bumps_log_density,
    gradient=_two_bumps_kl_gradient,
    low=1.0,
    high=10.0,
)

REFERENCES = (TWO_BUMPS,)


def find(samples: dict[str, list[list[float]]]) -> tuple[Reference, str] | None:
    """The reference whose log density a recorded function computes, and that function's name."""
    return next(((r, name) for r in REFERENCES for name, pairs in samples.items() if r.applies(pairs)), None)
