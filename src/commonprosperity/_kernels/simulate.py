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
from commonprosperity._kernels.inequality import HIST_N_BINS, histogram_accumulate
from commonprosperity._kernels.rules import N_PERSON_COLUMNS, household_flows

CHUNK = 2048
MAX_BLOCKS = 16

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


@njit(cache=True)
def n_blocks_for(n_households):
    """Number of fixed blocks for a population: depends on its size only."""
    n_chunks = (n_households + CHUNK - 1) // CHUNK
    return max(1, min(MAX_BLOCKS, n_chunks))


@njit(cache=True)
def neumaier_column_sums(partial):
    """Column sums of ``partial`` over rows in row order, Neumaier-compensated."""
    n_rows, n_cols = partial.shape
    out = np.empty(n_cols)
    for k in range(n_cols):
        s = 0.0
        comp = 0.0
        for r in range(n_rows):
            v = partial[r, k]
            t = s + v
            if abs(s) >= abs(v):
                comp += (s - t) + v
            else:
                comp += (v - t) + s
            s = t
        out[k] = s + comp
    return out


@njit(cache=True, parallel=True)
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
    n = weight.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    partial = np.zeros((max(n_chunks, 1), n_stats))
    write_pc = per_capita_out.shape[0] == n
    dummy = np.zeros((1, N_PERSON_COLUMNS))
    low1, high1, low2, high2 = (
        band_edges[0],
        band_edges[1],
        band_edges[2],
        band_edges[3],
    )
    for c in prange(n_chunks):
        # Scalars, not array cells, so the accumulators stay in registers; the
        # urban/rural and band splits are arithmetic rather than branches.
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
        city_sums = np.zeros(2 * n_cities)
        h0 = c * CHUNK
        h1 = min(n, h0 + CHUNK)
        for h in range(h0, h1):
            start = offsets[h]
            end = offsets[h + 1]
            size = end - start
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
            disposable = (
                f[0]
                + f[1]
                + f[2]
                + f[3]
                - f[4]
                - f[5]
                - f[6]
                - f[7]
                + f[8]
                + f[9]
                + f[10]
            )
            w = weight[h]
            persons = w * size
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
            band_income = 3.0 * disposable / size if three_person else disposable
            in1 = (band_income >= low1) and (band_income < high1)
            in2 = (band_income >= low2) and (band_income < high2)
            band1 += w if in1 else 0.0
            band2 += w if in2 else 0.0
            wage_sum += w * f[0]
            business_sum += w * f[1]
            property_sum += w * f[2]
            pension_sum += w * f[3]
            contributions += w * f[4]
            iit += w * f[5]
            business_tax += w * f[6]
            property_tax += w * f[7]
            dibao += w * f[8]
            residents_pension += w * f[9]
            child_allowance += w * f[10]
            dibao_households += w if f[8] > 0.0 else 0.0
            negative += 1.0 if disposable < 0.0 else 0.0
            k = 2 * city[h]
            city_sums[k] += wd
            city_sums[k + 1] += persons
            if write_pc:
                per_capita_out[h] = disposable / size
        acc = partial[c]
        acc[S_HOUSEHOLDS] = households
        acc[S_PERSONS] = persons_sum
        acc[S_DISPOSABLE] = disposable_sum
        acc[S_URBAN_HOUSEHOLDS] = urban_households
        acc[S_URBAN_PERSONS] = urban_persons
        acc[S_URBAN_DISPOSABLE] = urban_disposable
        acc[S_RURAL_HOUSEHOLDS] = rural_households
        acc[S_RURAL_PERSONS] = rural_persons
        acc[S_RURAL_DISPOSABLE] = rural_disposable
        acc[S_BAND_1] = band1
        acc[S_BAND_2] = band2
        acc[S_WAGE] = wage_sum
        acc[S_BUSINESS] = business_sum
        acc[S_PROPERTY] = property_sum
        acc[S_PENSION] = pension_sum
        acc[S_CONTRIBUTIONS] = contributions
        acc[S_IIT] = iit
        acc[S_BUSINESS_TAX] = business_tax
        acc[S_PROPERTY_TAX] = property_tax
        acc[S_DIBAO] = dibao
        acc[S_RESIDENTS_PENSION] = residents_pension
        acc[S_CHILD_ALLOWANCE] = child_allowance
        acc[S_DIBAO_HOUSEHOLDS] = dibao_households
        acc[S_NEGATIVE_HOUSEHOLDS] = negative
        for k in range(2 * n_cities):
            acc[N_STATS + k] = city_sums[k]
    return neumaier_column_sums(partial)


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
        out[h, D_DISPOSABLE] = (
            f[0] + f[1] + f[2] + f[3] - f[4] - f[5] - f[6] - f[7] + f[8] + f[9] + f[10]
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


HIST_BLOCKS = 4
# Rows per histogram block: each block zeroes and fills ~9.5 MB of accumulators, so
# a block is only worth it for about a million rows or more.
HIST_BLOCK_ROWS = 1 << 20


@njit(cache=True, parallel=True)
def histogram_by_blocks(income, weight):
    """Float-bits histogram (W, X, Q) of ``income`` weighted by ``weight``.

    The rows are split into at most ``HIST_BLOCKS`` fixed blocks of at least
    ``HIST_BLOCK_ROWS`` rows (the number a function of the
    length only), each accumulated with compensated sums, then added in block
    order, so the result does not depend on the thread count.
    """
    n = income.shape[0]
    n_blocks = max(1, min(HIST_BLOCKS, n // HIST_BLOCK_ROWS))
    step = (n + n_blocks - 1) // n_blocks
    parts = np.zeros((n_blocks, 3, HIST_N_BINS))
    for b in prange(n_blocks):
        lo = b * step
        hi = min(n, lo + step)
        w, x, q = histogram_accumulate(income[lo:hi], weight[lo:hi])
        parts[b, 0] = w
        parts[b, 1] = x
        parts[b, 2] = q
    out = parts[0].copy()
    for b in range(1, n_blocks):
        out += parts[b]
    return out[0], out[1], out[2]
