"""What every pass reads of a population's households besides its columns (pure Numba).

``household_terms`` derives, in a parallel pass over the households: the
minimum-wage tier of each (from its city and urban flag), its person weight
(households represented × persons) scaled by a power of two for the Gini, and the
number of households in each (city, urban) cell. NumPy took five single-threaded
passes with temporaries for these (11 ms at 1e6 households, a quarter of a
bracketed ``simulate``) the first time a population was simulated.

The per-household outputs are allocated by NumPy, not in the kernel: NumPy
advises huge pages for large arrays, and the kernel's own 80 MB at 1e7
households took a fault per 4 KiB page on first write (the pass took 66 ms
instead of about 30). Each task reads its block through slices indexed from 0:
with indices computed into the whole arrays the pass took 62-68 ms at 1e7
households (Xeon, AVX-512, 2 threads), with slices 36-38 ms.
"""

import math

import numpy as np
from numba import njit, prange

__all__ = ["household_terms", "household_terms_into"]

#: Households per task of the pass (a task's counts and maximum are its own).
_BLOCK = 1 << 16


def household_terms(
    city_code: np.ndarray,
    urban: np.ndarray,
    weight: np.ndarray,
    offsets: np.ndarray,
    tier_table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Tiers, Gini weights and cell counts of the households.

    Parameters
    ----------
    city_code : int array (n,)
        City index of each household, ``0 <= city_code < tier_table.shape[0]``.
    urban : bool array (n,)
    weight : float64 array (n,)
        Households represented, finite and > 0.
    offsets : int64 array (n + 1,)
        Household ``i``'s persons are ``offsets[i]:offsets[i + 1]``.
    tier_table : int8 array (n_cities, 2)
        Tier index of (city, rural = 0 / urban = 1).

    Returns
    -------
    tier : int8 array (n,)
    gini_weight : float64 array (n,)
        The person weight ``weight * size`` (persons represented) times
        ``2**-exponent`` (exact unless subnormal, then rounded once, as
        ``numpy.ldexp``), the largest in [0.5, 1).
    cell_households : int64 array (2 * n_cities,)
        Households of cell ``2 * city + urban``.
    exponent : int
        The binary exponent of the largest person weight (``frexp``'s).
    """
    n = weight.shape[0]
    tier = np.empty(n, dtype=np.int8)
    gini_weight = np.empty(n)
    counts, exponent = household_terms_into(
        city_code, urban, weight, offsets, tier_table, tier, gini_weight
    )
    return tier, gini_weight, counts, exponent


@njit(cache=True, parallel=True)
def household_terms_into(
    city_code, urban, weight, offsets, tier_table, tier, gini_weight
):
    """:func:`household_terms` writing ``tier`` and ``gini_weight`` (each (n,)).

    Returns ``(cell_households, exponent)``.
    """
    n = weight.shape[0]
    cells = tier_table.ravel()
    n_cells = cells.shape[0]
    n_tasks = max(1, (n + _BLOCK - 1) // _BLOCK)
    counts = np.zeros((n_tasks, n_cells), dtype=np.int64)
    largest = np.zeros(n_tasks)
    # Each task's block as slices indexed by range(m): indices computed into the
    # whole arrays (range(lo, hi)) made the pass twice as slow.
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        city_t = city_code[lo:hi]
        urban_t = urban[lo:hi]
        tier_t = tier[lo:hi]
        count_t = counts[t]
        for i in range(hi - lo):
            # Unsigned: Numba's wrap-around of a signed index cost a third of the pass.
            cell = np.uint64(2 * city_t[i] + (1 if urban_t[i] else 0))
            tier_t[i] = cells[cell]
            count_t[cell] += 1
        # A loop of its own, which vectorises.
        weight_t = weight[lo:hi]
        first = offsets[lo:hi]
        last = offsets[lo + 1 : hi + 1]
        top = 0.0
        for i in range(hi - lo):
            top = max(top, weight_t[i] * (last[i] - first[i]))
        largest[t] = top
    exponent = math.frexp(largest.max())[1]
    # 2**-exponent is a normal float for any valid weights (exponent -996 ... 50),
    # so the one rounding of each product is ldexp's; a call per row was 6× slower.
    scale = math.ldexp(1.0, -exponent)
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        weight_t = weight[lo:hi]
        first = offsets[lo:hi]
        last = offsets[lo + 1 : hi + 1]
        out = gini_weight[lo:hi]
        for i in range(hi - lo):
            out[i] = (weight_t[i] * (last[i] - first[i])) * scale
    return counts.sum(axis=0), exponent
