"""Parallel gathers of population columns into a new household order (pure Numba).

A sweep reorders the households (by base income, fixed ones first) and copies the
persons of those it re-evaluates; NumPy's fancy indexing does this on one thread.
The outputs are allocated by NumPy, which advises huge pages for large arrays:
allocated in the kernel, 80 MB took a fault per 4 KiB page on first write (a
gather of 1e7 rows took 46 ms instead of 13).
"""

import numba
import numpy as np
from numba import njit, prange

__all__ = ["gather", "gather_ranges", "take", "take_ranges"]


@njit(cache=True, parallel=True)
def take(a, index, out):
    """``out[:] = a[index]`` for 1-D ``a`` and indices ``0 <= index < len(a)``."""
    for i in prange(index.shape[0]):
        out[i] = a[index[i]]
    return out


@njit(cache=True, parallel=True)
def take_ranges(a, starts, ends, new_starts, out):
    """Rows ``starts[h]:ends[h]`` of ``a`` copied to ``out[new_starts[h]:]``.

    The ranges must tile ``out``.
    """
    for h in prange(starts.shape[0]):
        d = new_starts[h]
        for j in range(starts[h], ends[h]):
            out[d] = a[j]
            d += 1
    return out


def _as_bits(a):
    """``a`` viewed as unsigned integers of its width: one compiled gather a width.

    Each dtype would otherwise compile its own parallel kernel (seconds each on a
    cold cache).
    """
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def gather(a: np.ndarray, index: np.ndarray) -> np.ndarray:
    """:func:`take`; NumPy's indexing when JIT is off (a Python loop would crawl)."""
    # numba.config sets its options at runtime: no attribute for a type checker.
    if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
        return np.ascontiguousarray(a[index])
    index = np.ascontiguousarray(index, dtype=np.int64)
    bits = _as_bits(a)
    out = np.empty(index.shape[0], dtype=bits.dtype)
    return take(bits, index, out).view(a.dtype)


def gather_ranges(
    a: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    new_starts: np.ndarray,
    total: int,
) -> np.ndarray:
    """:func:`take_ranges`; NumPy's indexing when JIT is off."""
    # numba.config sets its options at runtime: no attribute for a type checker.
    if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
        size = ends - starts
        rows = np.repeat(starts - new_starts, size) + np.arange(total)
        return np.ascontiguousarray(a[rows])
    bits = _as_bits(a)
    out = np.empty(total, dtype=bits.dtype)
    return take_ranges(bits, starts, ends, new_starts, out).view(a.dtype)
