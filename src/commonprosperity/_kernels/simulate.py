"""Fused simulation passes over households (pure Numba).

`aggregate_pass` runs the rules for every household and reduces everything the
indicators need in one pass; `detail_pass` writes the per-household flows. Both are
parallel over households and deterministic: sums are taken per fixed chunk of
``CHUNK`` households and combined in chunk order, so results do not depend on the
thread count.
"""

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import layout as L
from commonprosperity._kernels.rules import (
    N_PERSON_COLUMNS,
    disposable_income,
    household_flows,
)

#: Households of a chunk. 1,024 rather than 2,048: the person-vectorised pass's
#: work rows and lanes then stay in L2 (its pass took 15.2-15.5 ms instead of
#: 16.3-16.7 at 1e6 households, znver5; sweeps unchanged).
CHUNK = 1024
#: Row length of per-chunk 2-D buffers: rows of exactly a power of two of doubles
#: lie in one L1 cache set, and the 11 rows of a chunk's flows thrashed it
#: (a fifth of a pass).
CHUNK_ROW = CHUNK + 8
#: Tasks of a parallel pass; each has its buffers and a run of whole chunks.
TASKS = 16

S_HOUSEHOLDS = 0
S_PERSONS = 1
S_DISPOSABLE = 2
S_URBAN_HOUSEHOLDS = 3
S_URBAN_PERSONS = 4
S_URBAN_DISPOSABLE = 5
S_RURAL_HOUSEHOLDS = 6
S_RURAL_PERSONS = 7
S_RURAL_DISPOSABLE = 8
S_BAND_1 = 9
S_BAND_2 = 10
S_WAGE = 11
S_BUSINESS = 12
S_PROPERTY = 13
S_PENSION = 14
S_CONTRIBUTIONS = 15
S_IIT = 16
S_BUSINESS_TAX = 17
S_PROPERTY_TAX = 18
S_DIBAO = 19
S_RESIDENTS_PENSION = 20
S_CHILD_ALLOWANCE = 21
S_DIBAO_HOUSEHOLDS = 22
S_NEGATIVE_HOUSEHOLDS = 23
N_STATS = 24
# City k: disposable at N_STATS + 2k, persons at N_STATS + 2k + 1.

# Columns of the detail pass output.
D_SIZE = 0
D_WAGE = 1
D_BUSINESS = 2
D_PROPERTY = 3
D_PENSION = 4
D_CONTRIBUTIONS = 5
D_IIT = 6
D_BUSINESS_TAX = 7
D_PROPERTY_TAX = 8
D_DIBAO = 9
D_RESIDENTS_PENSION = 10
D_CHILD_ALLOWANCE = 11
D_DISPOSABLE = 12
N_DETAIL = 13


@njit(cache=True, inline="always")
def neumaier_add(s, comp, v):
    """One step of Neumaier's compensated sum: ``(s + v, comp + rounding error)``."""
    t = s + v
    if abs(s) >= abs(v):
        comp += (s - t) + v
    else:
        comp += (v - t) + s
    return t, comp


@njit(cache=True)
def fold_rows(partial, start_sums, start_comps):
    """Add the rows of ``partial`` in row order to running Neumaier sums.

    The sums start at ``start_sums`` with compensations ``start_comps``; returns
    ``(sums, comps)``.
    """
    sums = start_sums.copy()
    comps = start_comps.copy()
    for r in range(partial.shape[0]):
        for k in range(partial.shape[1]):
            sums[k], comps[k] = neumaier_add(sums[k], comps[k], partial[r, k])
    return sums, comps


@njit(cache=True)
def neumaier_column_sums(partial):
    """Column sums of ``partial`` over rows in row order, Neumaier-compensated."""
    zeros = np.zeros(partial.shape[1])
    sums, comps = fold_rows(partial, zeros, zeros)
    return sums + comps


@njit(cache=True)
def _accumulate(
    h0,
    h1,
    flows,
    size,
    weight,
    is_urban,
    city,
    band_edges,
    three_person,
    out,
    write_pc,
    per_capita,
):
    """Totals of households ``h0:h1`` under one scenario, written to ``out``.

    ``flows[k, h - h0]`` is flow ``k`` of household ``h`` (the tuple order of
    ``household_flows``) and ``size[h - h0]`` its persons. The accumulation is that
    of one chunk of ``aggregate_pass`` (the same sums in the same order, held in
    scalars); ``out`` (n_stats,) receives them. ``per_capita[h]`` is written when
    ``write_pc`` is set.
    """
    households = 0.0
    persons_sum = 0.0
    disposable_sum = 0.0
    urban_households = 0.0
    urban_persons = 0.0
    urban_disposable = 0.0
    rural_households = 0.0
    rural_persons = 0.0
    rural_disposable = 0.0
    band1 = 0.0
    band2 = 0.0
    wage_sum = 0.0
    business_sum = 0.0
    property_sum = 0.0
    pension_sum = 0.0
    contributions = 0.0
    iit = 0.0
    business_tax = 0.0
    property_tax = 0.0
    dibao = 0.0
    residents_pension = 0.0
    child_allowance = 0.0
    dibao_households = 0.0
    negative = 0.0
    for k in range(N_STATS, out.shape[0]):
        out[k] = 0.0
    low1, high1, low2, high2 = (
        band_edges[0],
        band_edges[1],
        band_edges[2],
        band_edges[3],
    )
    f0 = flows[0]
    f1 = flows[1]
    f2 = flows[2]
    f3 = flows[3]
    f4 = flows[4]
    f5 = flows[5]
    f6 = flows[6]
    f7 = flows[7]
    f8 = flows[8]
    f9 = flows[9]
    f10 = flows[10]
    for i in range(h1 - h0):
        h = np.uint64(h0 + i)
        n_persons = size[i]
        disposable = disposable_income(
            f0[i], f1[i], f2[i], f3[i], f4[i], f5[i], f6[i], f7[i], f8[i], f9[i], f10[i]
        )
        w = weight[h]
        persons = w * n_persons
        wd = w * disposable
        u = 1.0 if is_urban[h] else 0.0
        households += w
        persons_sum += persons
        disposable_sum += wd
        urban_households += u * w
        urban_persons += u * persons
        urban_disposable += u * wd
        rural_households += (1.0 - u) * w
        rural_persons += (1.0 - u) * persons
        rural_disposable += (1.0 - u) * wd
        band_income = 3.0 * disposable / n_persons if three_person else disposable
        in1 = (band_income >= low1) & (band_income < high1)
        in2 = (band_income >= low2) & (band_income < high2)
        band1 += w if in1 else 0.0
        band2 += w if in2 else 0.0
        wage_sum += w * f0[i]
        business_sum += w * f1[i]
        property_sum += w * f2[i]
        pension_sum += w * f3[i]
        contributions += w * f4[i]
        iit += w * f5[i]
        business_tax += w * f6[i]
        property_tax += w * f7[i]
        dibao += w * f8[i]
        residents_pension += w * f9[i]
        child_allowance += w * f10[i]
        dibao_households += w if f8[i] > 0.0 else 0.0
        negative += 1.0 if disposable < 0.0 else 0.0
        # An unsigned index for Numba (no wraparound check); k was a loop int above.
        k = np.uint64(N_STATS + 2 * city[h])  # type: ignore[assignment]
        out[k] += wd
        out[k + np.uint64(1)] += persons
        if write_pc:
            per_capita[h] = disposable / n_persons
    out[S_HOUSEHOLDS] = households
    out[S_PERSONS] = persons_sum
    out[S_DISPOSABLE] = disposable_sum
    out[S_URBAN_HOUSEHOLDS] = urban_households
    out[S_URBAN_PERSONS] = urban_persons
    out[S_URBAN_DISPOSABLE] = urban_disposable
    out[S_RURAL_HOUSEHOLDS] = rural_households
    out[S_RURAL_PERSONS] = rural_persons
    out[S_RURAL_DISPOSABLE] = rural_disposable
    out[S_BAND_1] = band1
    out[S_BAND_2] = band2
    out[S_WAGE] = wage_sum
    out[S_BUSINESS] = business_sum
    out[S_PROPERTY] = property_sum
    out[S_PENSION] = pension_sum
    out[S_CONTRIBUTIONS] = contributions
    out[S_IIT] = iit
    out[S_BUSINESS_TAX] = business_tax
    out[S_PROPERTY_TAX] = property_tax
    out[S_DIBAO] = dibao
    out[S_RESIDENTS_PENSION] = residents_pension
    out[S_CHILD_ALLOWANCE] = child_allowance
    out[S_DIBAO_HOUSEHOLDS] = dibao_households
    out[S_NEGATIVE_HOUSEHOLDS] = negative


@njit(cache=True)
def chunk_flows(
    h0,
    h1,
    starts,
    ends,
    household_id,
    tier,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
    flows,
    dummy,
):
    """Flows of households ``h0:h1`` (``household_flows``) into ``flows``.

    ``flows`` is (11, >= h1 - h0). Household ``h``'s persons are rows
    ``starts[h - h0]:ends[h - h0]`` of the person arrays; column ``h - h0`` of
    ``flows`` receives its tuple.
    """
    for i in range(h1 - h0):
        h = np.uint64(h0 + i)
        f = household_flows(
            starts[i],
            ends[i],
            household_id[h],
            params[np.uint64(L.MINIMUM_WAGE_TIER1 + tier[h])],
            age,
            is_employed,
            wage,
            business,
            property_income,
            pension,
            params,
            thresholds,
            rates,
            quick_ded,
            business_thresholds,
            business_rates,
            business_quick_ded,
            False,
            dummy,
        )
        for k in range(11):
            flows[k, i] = f[k]


@njit(cache=True, parallel=True)
def chunk_sums(
    starts,
    ends,
    household_id,
    weight,
    is_urban,
    city,
    n_cities,
    tier,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
    band_edges,
    three_person,
    write_pc,
    per_capita_out,
):
    """Weighted sums of one scenario per chunk of ``CHUNK`` households.

    Returns (n_chunks, N_STATS + 2 * n_cities), computed in parallel over chunks;
    :func:`fold_rows` adds them up in chunk order (as :func:`aggregate_pass`).

    Household ``h``'s persons are rows ``starts[h]:ends[h]`` (households in any
    order). ``per_capita_out[h]`` receives its per-capita disposable income when
    ``write_pc`` is set.
    """
    n = weight.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    parts = np.zeros((n_chunks, N_STATS + 2 * n_cities))
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        # The chunk's flows go to a small buffer (it stays in L1/L2) and are
        # summed by the one accumulation the sweep kernel shares.
        flows = np.empty((11, CHUNK_ROW))
        size = np.empty(CHUNK, dtype=np.int64)
        dummy = np.zeros((1, N_PERSON_COLUMNS))
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
            for i in range(h1 - h0):
                size[i] = ends[h0 + i] - starts[h0 + i]
            chunk_flows(
                h0,
                h1,
                starts[h0:h1],
                ends[h0:h1],
                household_id,
                tier,
                age,
                is_employed,
                wage,
                business,
                property_income,
                pension,
                params,
                thresholds,
                rates,
                quick_ded,
                business_thresholds,
                business_rates,
                business_quick_ded,
                flows,
                dummy,
            )
            _accumulate(
                h0,
                h1,
                flows,
                size,
                weight,
                is_urban,
                city,
                band_edges,
                three_person,
                parts[c],
                write_pc,
                per_capita_out,
            )
    return parts


@njit(cache=True)
def aggregate_pass(
    offsets,
    household_id,
    weight,
    is_urban,
    city,
    n_cities,
    tier,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
    band_edges,
    three_person,
    per_capita_out,
):
    """Run the rules for every household and return the weighted totals.

    Preconditions: ``offsets`` (n + 1,) non-decreasing from 0 with every household
    non-empty; ``weight > 0``; ``city`` codes in [0, n_cities); ``tier`` in
    {0, 1, 2}; ``band_edges`` = (low1, high1, low2, high2) yuan. The per-capita
    disposable income of household h is written to ``per_capita_out[h]`` when
    ``per_capita_out`` has length n (pass a length-0 array to skip it).

    Returns float64 totals of length ``N_STATS + 2 * n_cities`` (see the S_*
    constants); ``S_NEGATIVE_HOUSEHOLDS`` counts records, unweighted.
    """
    parts = chunk_sums(
        offsets[:-1],
        offsets[1:],
        household_id,
        weight,
        is_urban,
        city,
        n_cities,
        tier,
        age,
        is_employed,
        wage,
        business,
        property_income,
        pension,
        params,
        thresholds,
        rates,
        quick_ded,
        business_thresholds,
        business_rates,
        business_quick_ded,
        band_edges,
        three_person,
        per_capita_out.shape[0] == weight.shape[0],
        per_capita_out,
    )
    return neumaier_column_sums(parts)


@njit(cache=True, parallel=True)
def detail_pass(
    offsets,
    household_id,
    tier,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
):
    """Per-household flows, shape (n, N_DETAIL) (see the D_* constants), yuan."""
    n = offsets.shape[0] - 1
    out = np.empty((n, N_DETAIL))
    dummy = np.zeros((1, N_PERSON_COLUMNS))
    for h in prange(n):
        start = offsets[h]
        end = offsets[h + 1]
        f = household_flows(
            start,
            end,
            household_id[h],
            params[L.MINIMUM_WAGE_TIER1 + tier[h]],
            age,
            is_employed,
            wage,
            business,
            property_income,
            pension,
            params,
            thresholds,
            rates,
            quick_ded,
            business_thresholds,
            business_rates,
            business_quick_ded,
            False,
            dummy,
        )
        out[h, D_SIZE] = end - start
        for k in range(11):
            out[h, D_WAGE + k] = f[k]
        out[h, D_DISPOSABLE] = disposable_income(
            f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
        )
    return out


@njit(cache=True)
def person_pass(
    offsets,
    household_id,
    tier,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
):
    """Person-level flows (n_persons, N_PERSON_COLUMNS) and household dibao (n,)."""
    n = offsets.shape[0] - 1
    person_out = np.zeros((age.shape[0], N_PERSON_COLUMNS))
    dibao = np.empty(n)
    for h in range(n):
        start = offsets[h]
        end = offsets[h + 1]
        f = household_flows(
            start,
            end,
            household_id[h],
            params[L.MINIMUM_WAGE_TIER1 + tier[h]],
            age,
            is_employed,
            wage,
            business,
            property_income,
            pension,
            params,
            thresholds,
            rates,
            quick_ded,
            business_thresholds,
            business_rates,
            business_quick_ded,
            True,
            person_out[start:end],
        )
        dibao[h] = f[8]
    return person_out, dibao
