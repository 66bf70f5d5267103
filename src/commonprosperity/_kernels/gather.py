"""Parallel gathers of population columns into a new household order (pure Numba).

A sweep reorders the households (by base income, fixed ones first) and copies the
persons of those it re-evaluates; NumPy's fancy indexing does this on one thread.
"""

import numba
import numpy as np
from numba import njit, prange

__all__ = ["gather", "gather_ranges", "take", "take_ranges"]


@njit(cache=True, parallel=True)
def take(a, index):
    """``a[index]`` for a 1-D array ``a`` and indices ``0 <= index < len(a)``."""
    out = np.empty(index.shape[0], dtype=a.dtype)
    for i in prange(index.shape[0]):
        out[i] = a[index[i]]
    return out


@njit(cache=True, parallel=True)
def take_ranges(a, starts, ends, new_starts, total):
    """Rows ``starts[h]:ends[h]`` of ``a`` copied to ``new_starts[h]`` onwards.

    ``total`` is the length of the result; the ranges must tile it.
    """
    out = np.empty(total, dtype=a.dtype)
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


def gather(a, index):
    """:func:`take`; NumPy's indexing when JIT is off (a Python loop would crawl)."""
    if numba.config.DISABLE_JIT:
        return np.ascontiguousarray(a[index])
    index = np.ascontiguousarray(index, dtype=np.int64)
    return take(_as_bits(a), index).view(a.dtype)


def gather_ranges(a, starts, ends, new_starts, total):
    """:func:`take_ranges`; NumPy's indexing when JIT is off."""
    if numba.config.DISABLE_JIT:
        size = ends - starts
        rows = np.repeat(starts - new_starts, size) + np.arange(total)
        return np.ascontiguousarray(a[rows])
    return take_ranges(_as_bits(a), starts, ends, new_starts, total).view(a.dtype)
