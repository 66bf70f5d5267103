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
instead of about 30).
"""

import math

import numpy as np
from numba import njit, prange

__all__ = ["household_terms", "household_terms_into"]

#: Households per task of the pass (a task's counts and maximum are its own).
_BLOCK = 1 << 16


def household_terms(city_code, urban, weight, offsets, tier_table):
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
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        for i in range(lo, hi):
            # Unsigned: Numba's wrap-around of a signed index cost a third of the pass.
            cell = np.uint64(2 * city_code[i] + (1 if urban[i] else 0))
            tier[i] = cells[cell]
            counts[t, cell] += 1
        # A loop of its own, which vectorises.
        top = 0.0
        for i in range(lo, hi):
            top = max(top, weight[i] * (offsets[i + 1] - offsets[i]))
        largest[t] = top
    exponent = math.frexp(largest.max())[1]
    # 2**-exponent is a normal float for any valid weights (exponent -996 ... 50),
    # so the one rounding of each product is ldexp's; a call per row was 6× slower.
    scale = math.ldexp(1.0, -exponent)
    for t in prange(n_tasks):
        for i in range(t * _BLOCK, min(n, (t + 1) * _BLOCK)):
            gini_weight[i] = (weight[i] * (offsets[i + 1] - offsets[i])) * scale
    return counts.sum(axis=0), exponent
