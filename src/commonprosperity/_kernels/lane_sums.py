"""The sums of several chunks at once, the chunks as SIMD lanes (pure Numba).

:func:`~commonprosperity._kernels.simulate._accumulate` adds a chunk's households
one after another into 24 running sums and two per city. The additions of one
household depend on the previous one's, so the CPU forms them one household at a
time, with scalar instructions. The sums of different chunks are independent:
here one loop over ``LANES`` lanes per household forms the additions of ``LANES``
consecutive chunks at once, each lane performing ``_accumulate``'s operations in
its order, so every chunk's sums are bit for bit ``_accumulate``'s. All lane
quantities (the chunks' flows, the households' sizes, weights and urban flags, the
sums) are rows of one flat workspace at constant offsets, household-major within
a row (household ``i`` of lane ``l`` at ``i * LANES + l``): LLVM can then prove
that the loop's stores overlap none of its loads, and vectorises it (as in
``sweep_lanes``). On znver5 (AVX-512) a household took 6.5 ns in ``_accumulate``
and 4.2 ns here (a lane loop with the flows given; 1e7 households, 2 threads:
about 12 ms of a 200 ms ``simulate``).
"""

import numpy as np
from numba import njit

from commonprosperity._kernels.rules import (
    dibao_top_up,
    disposable_income,
    household_net,
)
from commonprosperity._kernels.simulate import (
    CHUNK,
    N_STATS,
    S_BAND_1,
    S_BAND_2,
    S_BUSINESS,
    S_BUSINESS_TAX,
    S_CHILD_ALLOWANCE,
    S_CONTRIBUTIONS,
    S_DIBAO,
    S_DIBAO_HOUSEHOLDS,
    S_DISPOSABLE,
    S_HOUSEHOLDS,
    S_IIT,
    S_NEGATIVE_HOUSEHOLDS,
    S_PENSION,
    S_PERSONS,
    S_PROPERTY,
    S_PROPERTY_TAX,
    S_RESIDENTS_PENSION,
    S_RURAL_DISPOSABLE,
    S_RURAL_HOUSEHOLDS,
    S_RURAL_PERSONS,
    S_URBAN_DISPOSABLE,
    S_URBAN_HOUSEHOLDS,
    S_URBAN_PERSONS,
    S_WAGE,
)

__all__ = [
    "LANES",
    "SPAN",
    "dibao_at",
    "flows_of_lane",
    "lane_dibao",
    "lane_sums",
    "lane_workspace",
    "load_households",
    "store_lanes",
]

#: Chunks summed side by side (AVX2's four doubles; eight were no faster).
LANES = 4
#: Households of a group of lanes.
SPAN = CHUNK * LANES
#: Row stride of the workspace: rows of exactly SPAN doubles (a power of two) lie
#: in one L1 cache set (see ``CHUNK_ROW``).
ROW = SPAN + 64
# Rows 0-10 hold the flows (the tuple order of household_flows).
_SIZE = 11  # persons, as float64
_WEIGHT = 12
_URBAN = 13  # 1.0 if urban else 0.0
_PER_CAPITA = 14
_WD = 15  # weight × disposable income
_PERSONS = 16  # weight × persons
#: Offset of the sums: sum ``k`` of lane ``l`` at ``_SUMS + k * LANES + l``.
_SUMS = 17 * ROW


@njit(cache=True)
def lane_workspace(needed):
    """The flat workspace of a group of lanes (empty unless ``needed``)."""
    return np.empty(_SUMS + N_STATS * LANES if needed else 0)


@njit(cache=True)
def flows_of_lane(work, lane):
    """Lane ``lane``'s flows in ``work``: a (11, CHUNK) view, column i household i."""
    return work[: 11 * ROW].reshape((11, ROW))[:, lane:SPAN:LANES]


@njit(cache=True)
def load_households(
    h0,
    starts,
    ends,
    weight,
    is_urban,
    city,
    work,
    city_lanes,
    write_gw,
    gini_weight_out,
    gini_scale,
):
    """Copy households ``h0:h0 + SPAN`` (LANES whole chunks) into their lanes.

    Their sizes, weights and urban flags go to ``work``, their cities to
    ``city_lanes`` (SPAN,); when ``write_gw``, ``gini_weight_out[h]`` receives
    ``(weight * size) * gini_scale`` as in the scalar pass.
    """
    # Household by household across the lanes: the workspace is written in
    # order and the household arrays read as four streams at once (lane by lane,
    # the pass at 1e6 households took 13.9 ms instead of 13.5).
    for i in range(CHUNK):
        for lane in range(LANES):
            h = np.uint64(h0 + lane * CHUNK + i)
            j = np.uint64(i * LANES + lane)
            n_persons = ends[h] - starts[h]
            w = weight[h]
            work[np.uint64(_SIZE * ROW) + j] = n_persons
            work[np.uint64(_WEIGHT * ROW) + j] = w
            work[np.uint64(_URBAN * ROW) + j] = 1.0 if is_urban[h] else 0.0
            city_lanes[j] = city[h]
            if write_gw:
                gini_weight_out[h] = (w * n_persons) * gini_scale


@njit(cache=True, inline="always")
def dibao_at(work, j, size, params):
    """Row 8 (dibao) of the household at ``j`` of the rows, from its other flows.

    ``dibao_top_up(household_net(...), child_allowance, size, params)``, the
    operations of ``household_flows`` in their order; rows 0-7, 9 and 10 must
    be written.
    """
    child_allowance = work[np.uint64(10 * ROW) + j]
    net = household_net(
        work[j],
        work[np.uint64(ROW) + j],
        work[np.uint64(2 * ROW) + j],
        work[np.uint64(3 * ROW) + j],
        work[np.uint64(9 * ROW) + j],
        child_allowance,
        work[np.uint64(4 * ROW) + j],
        work[np.uint64(5 * ROW) + j],
        work[np.uint64(6 * ROW) + j],
        work[np.uint64(7 * ROW) + j],
    )
    work[np.uint64(8 * ROW) + j] = dibao_top_up(net, child_allowance, size, params)


@njit(cache=True)
def lane_dibao(work, params):
    """:func:`dibao_at` of every household of the lanes, the sizes those loaded.

    One household at a time in ``flat_chunk_flows`` these were a tenth of its
    pass, a chain of dependent additions each; side by side they vectorise.
    """
    for j in range(SPAN):
        u = np.uint64(j)
        dibao_at(work, u, work[np.uint64(_SIZE * ROW) + u], params)


# NumPy's error model: Python's raises on a division by zero (never here: every
# household has a person), and those exits keep the lane loop from vectorising.
@njit(cache=True, error_model="numpy")
def lane_sums(work, city_lanes, band_edges, three_person, city_sums):
    """The sums of the LANES chunks in ``work``, as ``_accumulate`` forms them.

    Sum ``k`` of lane ``l`` goes to ``work[_SUMS + k * LANES + l]``, the city sums
    (disposable at ``2 * city``, persons at ``2 * city + 1``) to
    ``city_sums[(2 * city + r) * LANES + l]``, the per-capita incomes to the
    workspace's row (:func:`store_lanes` copies them out).
    """
    low1, high1, low2, high2 = (
        band_edges[0],
        band_edges[1],
        band_edges[2],
        band_edges[3],
    )
    for k in range(_SUMS, _SUMS + N_STATS * LANES):
        work[k] = 0.0
    city_sums[:] = 0.0
    for i in range(CHUNK):
        b = np.uint64(i * LANES)
        for lane in range(LANES):
            j = b + np.uint64(lane)
            f0 = work[j]
            f1 = work[np.uint64(ROW) + j]
            f2 = work[np.uint64(2 * ROW) + j]
            f3 = work[np.uint64(3 * ROW) + j]
            f4 = work[np.uint64(4 * ROW) + j]
            f5 = work[np.uint64(5 * ROW) + j]
            f6 = work[np.uint64(6 * ROW) + j]
            f7 = work[np.uint64(7 * ROW) + j]
            f8 = work[np.uint64(8 * ROW) + j]
            f9 = work[np.uint64(9 * ROW) + j]
            f10 = work[np.uint64(10 * ROW) + j]
            n_persons = work[np.uint64(_SIZE * ROW) + j]
            w = work[np.uint64(_WEIGHT * ROW) + j]
            u = work[np.uint64(_URBAN * ROW) + j]
            # _accumulate's operations, sum by sum in its order.
            disposable = disposable_income(
                f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10
            )  # fmt: skip
            persons = w * n_persons
            wd = w * disposable
            s = np.uint64(_SUMS + lane)
            work[s + np.uint64(S_HOUSEHOLDS * LANES)] += w
            work[s + np.uint64(S_PERSONS * LANES)] += persons
            work[s + np.uint64(S_DISPOSABLE * LANES)] += wd
            work[s + np.uint64(S_URBAN_HOUSEHOLDS * LANES)] += u * w
            work[s + np.uint64(S_URBAN_PERSONS * LANES)] += u * persons
            work[s + np.uint64(S_URBAN_DISPOSABLE * LANES)] += u * wd
            work[s + np.uint64(S_RURAL_HOUSEHOLDS * LANES)] += (1.0 - u) * w
            work[s + np.uint64(S_RURAL_PERSONS * LANES)] += (1.0 - u) * persons
            work[s + np.uint64(S_RURAL_DISPOSABLE * LANES)] += (1.0 - u) * wd
            band_income = 3.0 * disposable / n_persons if three_person else disposable
            in1 = (band_income >= low1) & (band_income < high1)
            in2 = (band_income >= low2) & (band_income < high2)
            work[s + np.uint64(S_BAND_1 * LANES)] += w if in1 else 0.0
            work[s + np.uint64(S_BAND_2 * LANES)] += w if in2 else 0.0
            work[s + np.uint64(S_WAGE * LANES)] += w * f0
            work[s + np.uint64(S_BUSINESS * LANES)] += w * f1
            work[s + np.uint64(S_PROPERTY * LANES)] += w * f2
            work[s + np.uint64(S_PENSION * LANES)] += w * f3
            work[s + np.uint64(S_CONTRIBUTIONS * LANES)] += w * f4
            work[s + np.uint64(S_IIT * LANES)] += w * f5
            work[s + np.uint64(S_BUSINESS_TAX * LANES)] += w * f6
            work[s + np.uint64(S_PROPERTY_TAX * LANES)] += w * f7
            work[s + np.uint64(S_DIBAO * LANES)] += w * f8
            work[s + np.uint64(S_RESIDENTS_PENSION * LANES)] += w * f9
            work[s + np.uint64(S_CHILD_ALLOWANCE * LANES)] += w * f10
            work[s + np.uint64(S_DIBAO_HOUSEHOLDS * LANES)] += w if f8 > 0.0 else 0.0
            work[s + np.uint64(S_NEGATIVE_HOUSEHOLDS * LANES)] += (
                1.0 if disposable < 0.0 else 0.0
            )
            work[np.uint64(_PER_CAPITA * ROW) + j] = disposable / n_persons
            work[np.uint64(_WD * ROW) + j] = wd
            work[np.uint64(_PERSONS * ROW) + j] = persons
        # Apart, so that the loop above stores to the workspace only; each lane
        # adds to its own city sums, in household order.
        for lane in range(LANES):
            j = b + np.uint64(lane)
            q = np.uint64(2 * city_lanes[j] * LANES + lane)
            city_sums[q] += work[np.uint64(_WD * ROW) + j]
            city_sums[q + np.uint64(LANES)] += work[np.uint64(_PERSONS * ROW) + j]


@njit(cache=True)
def store_lanes(c0, work, city_sums, parts, write_pc, per_capita_out):
    """Rows ``c0 .. c0 + LANES - 1`` of ``parts`` from the lanes.

    The chunk sums, the cities' after the N_STATS, and the per-capita incomes
    into ``per_capita_out`` when ``write_pc``.
    """
    n_city_sums = parts.shape[1] - N_STATS
    for lane in range(LANES):
        row = parts[c0 + lane]
        for k in range(N_STATS):
            row[k] = work[_SUMS + k * LANES + lane]
        for k in range(n_city_sums):
            row[N_STATS + k] = city_sums[k * LANES + lane]
    if write_pc:
        # The workspace read in order (lane by lane: 13.6 ms instead of 13.2).
        for i in range(CHUNK):
            for lane in range(LANES):
                per_capita_out[np.uint64((c0 + lane) * CHUNK + i)] = work[
                    np.uint64(_PER_CAPITA * ROW + i * LANES + lane)
                ]
