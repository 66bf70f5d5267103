"""Sums that give the same number on any machine and thread count."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from commonprosperity._kernels.inequality import weighted_sum

__all__ = ["compensated_cumsum", "dot"]


def dot(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """``sum(a * b)`` of two 1-D arrays, compensated, in a fixed order.

    ``np.dot`` hands the sum to BLAS, whose order (and so the last bits) depends
    on its thread count: ``Population.residents`` and bootstrap replicates
    differed between ``OPENBLAS_NUM_THREADS=1`` and 2.
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return float(weighted_sum(a, b))


def compensated_cumsum(v: np.ndarray) -> np.ndarray:
    """``np.cumsum(v)`` with each prefix corrected by its TwoSum rounding errors."""
    s = np.cumsum(v)
    prev = np.concatenate(([0.0], s[:-1]))
    bb = s - prev
    return s + np.cumsum((prev - (s - bb)) + (v - bb))
