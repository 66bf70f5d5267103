"""What every pass reads of a population's households besides its columns (pure Numba).

``household_terms`` derives, in a parallel pass over the households, the (city,
urban) cells that have households and the binary exponent of the largest person
weight (households represented × persons); ``household_tiers`` the minimum-wage
tier of each household (from its city and urban flag); ``scaled_person_weights``
the person weights scaled by that power of two, the weights of the Gini.
``simulate``'s person-vectorised pass looks the tier up itself and writes the
Gini's weights (it reads cities, weights and sizes anyway), so that a fresh
population costs it one pass over the households that writes nothing. NumPy took five
single-threaded passes with temporaries for these (11 ms at 1e6 households, a
quarter of a bracketed ``simulate``) the first time a population was simulated.

The per-household outputs are allocated by NumPy, not in the kernel: NumPy
advises huge pages for large arrays, and the kernel's own 80 MB at 1e7
households took a fault per 4 KiB page on first write (the pass took 66 ms
instead of about 30). Each task reads its block through slices indexed from 0:
with indices computed into the whole arrays the pass took 62-68 ms at 1e7
households (Xeon, AVX-512, 2 threads), with slices 36-38 ms. A task marks the
cells it sees rather than counting them: counting added to the same few counters
household after household, a chain through memory that took a third of the pass
(and OR-ing a bit mask, its variable shifts, most of the rest: 14 ms against 4 at
1e7).
"""

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "gini_weight_scale",
    "household_terms",
    "household_tiers",
    "scaled_person_weights",
]

#: Households per task of the pass (a task's cells and maximum are its own).
_BLOCK = 1 << 16


def household_terms(
    city_code: np.ndarray,
    urban: np.ndarray,
    weight: np.ndarray,
    offsets: np.ndarray,
    n_cities: int,
) -> tuple[np.ndarray, int]:
    """The occupied cells and the person weights' exponent of the households.

    Parameters
    ----------
    city_code : int array (n,)
        City index of each household, ``0 <= city_code < n_cities``.
    urban : bool array (n,)
    weight : float64 array (n,)
        Households represented, finite and > 0.
    offsets : int64 array (n + 1,)
        Household ``i``'s persons are ``offsets[i]:offsets[i + 1]``.
    n_cities : int

    Returns
    -------
    cells : int64 array
        The occupied cells ``2 * city + urban``, ascending.
    exponent : int
        The binary exponent of the largest person weight ``weight * size``
        (``frexp``'s); ``0`` without households.
    """
    seen, exponent = _household_terms(city_code, urban, weight, offsets, 2 * n_cities)
    return np.flatnonzero(seen.any(axis=0)), exponent


@njit(cache=True, parallel=True)
def _household_terms(city_code, urban, weight, offsets, n_cells):
    """``(seen, exponent)``: ``seen[t, c]`` is 1 if task t saw cell c."""
    n = weight.shape[0]
    n_tasks = max(1, (n + _BLOCK - 1) // _BLOCK)
    seen = np.zeros((n_tasks, n_cells), dtype=np.uint8)
    largest = np.zeros(n_tasks)
    # Each task's block as slices indexed by range(m): indices computed into the
    # whole arrays (range(lo, hi)) made the pass twice as slow.
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        city_t = city_code[lo:hi]
        urban_t = urban[lo:hi]
        seen_t = seen[t]
        for i in range(hi - lo):
            # Unsigned: Numba's wrap-around of a signed index cost a third of the pass.
            seen_t[np.uint64(2 * city_t[i] + (1 if urban_t[i] else 0))] = 1
        # A loop of its own, which vectorises.
        weight_t = weight[lo:hi]
        first = offsets[lo:hi]
        last = offsets[lo + 1 : hi + 1]
        top = 0.0
        for i in range(hi - lo):
            top = max(top, weight_t[i] * (last[i] - first[i]))
        largest[t] = top
    return seen, math.frexp(largest.max())[1]


def household_tiers(
    city_code: np.ndarray, urban: np.ndarray, tier_table: np.ndarray
) -> np.ndarray:
    """The minimum-wage tier of each household, int8 (n,): ``tier_table[city, urban]``.

    ``tier_table`` (n_cities, 2) holds the tier index of (city, rural = 0 / urban
    = 1); ``0 <= city_code < n_cities``.
    """
    tier = np.empty(city_code.shape[0], dtype=np.int8)
    _household_tiers_into(city_code, urban, tier_table.ravel(), tier)
    return tier


@njit(cache=True, parallel=True)
def _household_tiers_into(city_code, urban, cells, tier):
    n = city_code.shape[0]
    n_tasks = max(1, (n + _BLOCK - 1) // _BLOCK)
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        city_t = city_code[lo:hi]
        urban_t = urban[lo:hi]
        tier_t = tier[lo:hi]
        for i in range(hi - lo):
            # Unsigned: Numba's wrap-around of a signed index cost a third of the pass.
            tier_t[i] = cells[np.uint64(2 * city_t[i] + (1 if urban_t[i] else 0))]


def scaled_person_weights(
    weight: np.ndarray, offsets: np.ndarray, exponent: int
) -> np.ndarray:
    """The person weights ``weight * size`` times ``2**-exponent``, float64 (n,).

    Exact unless subnormal, then rounded once, as ``numpy.ldexp``: with the
    ``exponent`` of :func:`household_terms`, the largest is in [0.5, 1).
    """
    out = np.empty(weight.shape[0])
    _scaled_person_weights_into(weight, offsets, gini_weight_scale(exponent), out)
    return out


def gini_weight_scale(exponent: int) -> float:
    """``2**-exponent``, a normal float for any valid weights (exponent -996 ... 50).

    So the one rounding of each product is ldexp's; a call per row was 6× slower.
    """
    return math.ldexp(1.0, -exponent)


@njit(cache=True, parallel=True)
def _scaled_person_weights_into(weight, offsets, scale, out):
    n = weight.shape[0]
    n_tasks = max(1, (n + _BLOCK - 1) // _BLOCK)
    for t in prange(n_tasks):
        lo = t * _BLOCK
        hi = min(n, lo + _BLOCK)
        weight_t = weight[lo:hi]
        first = offsets[lo:hi]
        last = offsets[lo + 1 : hi + 1]
        out_t = out[lo:hi]
        for i in range(hi - lo):
            out_t[i] = (weight_t[i] * (last[i] - first[i])) * scale
