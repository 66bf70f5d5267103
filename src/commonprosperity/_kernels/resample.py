"""Replicate weights of the household bootstrap (pure Numba).

A replicate draws primary sampling units (PSUs) with replacement; each household's
weight is its design weight times its PSU's multiplier. These kernels turn the
draws into the multipliers and, for the Gini, into the weights of the rows in
income order, each in one pass (NumPy's ``bincount``, mask and two gathers took
four passes and most of a replicate's time).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def psu_multipliers(draws, clusters, first, scale, certain, in_order):
    """Weight multiplier of each PSU in one replicate.

    Draw ``k`` picks PSU ``clusters[first[k] + draws[k]]``; a PSU's multiplier is
    the number of times it is picked times ``scale`` (the count, as a float, times
    the scale: NumPy's ``bincount(...) * scale``), and 1.0 where ``certain``.
    ``in_order``: ``clusters`` is ``arange`` (one stratum, or strata whose PSUs
    are numbered in stratum order), so the pick is ``first[k] + draws[k]``
    itself: reading ``clusters`` at random first, then counting at random, took
    seven times as long as counting alone at 1e6 draws.
    """
    n = scale.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    if in_order:
        for k in range(draws.shape[0]):
            counts[first[k] + draws[k]] += 1
    else:
        # Picks first, counts after: the counts' stores held up the next reads.
        picked = np.empty(draws.shape[0], dtype=np.int64)
        for k in range(draws.shape[0]):
            picked[k] = clusters[first[k] + draws[k]]
        for k in range(draws.shape[0]):
            counts[picked[k]] += 1
    out = np.empty(n)
    for c in range(n):
        out[c] = 1.0 if certain[c] else np.float64(counts[c]) * scale[c]
    return out


#: Rows per block of :func:`sorted_replicate_weights`: its sum is taken per block
#: and the blocks' sums added in order, whatever the thread count.
BLOCK_ROWS = 1 << 16


@njit(cache=True, nogil=True, parallel=True)
def sorted_replicate_weights(weight, psu, size, income, multiplier):
    """Person weights of the rows in income order, and their weighted income.

    Row ``k`` (a household in income order) has design weight ``weight[k]``, PSU
    ``psu[k]``, ``size[k]`` persons and household income ``income[k]``; returns
    ``(weight[k] * multiplier[psu[k]]) * size[k]`` for every row (the products in
    that order) and the sum over rows of ``weight[k] * multiplier[psu[k]] *
    income[k]``, yuan (in blocks of ``BLOCK_ROWS`` rows, added in order).
    """
    n = weight.shape[0]
    out = np.empty(n)
    n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    totals = np.zeros(n_blocks)
    for b in prange(n_blocks):
        total = 0.0
        for k in range(b * BLOCK_ROWS, min(n, (b + 1) * BLOCK_ROWS)):
            w = weight[k] * multiplier[psu[k]]
            out[k] = w * size[k]
            total += w * income[k]
        totals[b] = total
    total = 0.0
    for b in range(n_blocks):
        total += totals[b]
    return out, total
