"""Work arrays that start on a cache line (pure Numba).

Numba's ``np.empty`` aligns to 32 bytes, so a work array starts at 0 or 32 bytes
into a 64-byte cache line, as the allocator's state has it. Kernels that read
and write rows of a work array as 8-wide vectors then split every access over
two cache lines in some processes and in none in others: a wage lever's kernel
pass at 1e6 households took 39 ms in some processes and 53 ms in others, and
40 ms in every one once its work arrays were aligned.
"""

import numpy as np
from numba import njit

__all__ = ["CACHE_LINE", "aligned_empty", "aligned_zeros"]

#: Bytes of a cache line (x86-64 and AArch64 alike).
CACHE_LINE = 64


@njit(cache=True)
def aligned_empty(n, dtype=np.float64):
    """Uninitialised array of ``n`` elements of ``dtype`` starting on a cache line."""
    raw = np.empty(n + CACHE_LINE, dtype)
    skip = (-raw.ctypes.data) % CACHE_LINE // raw.itemsize
    return raw[skip : skip + n]


@njit(cache=True)
def aligned_zeros(n, dtype=np.float64):
    """Zero array of ``n`` elements of ``dtype`` starting on a cache line."""
    out = aligned_empty(n, dtype)
    out[:] = 0
    return out
