"""Many scenarios in one pass over the households (pure Numba).

`sweep_pass` evaluates a block of ``S`` scenarios. Threads take disjoint groups of
scenarios; each thread walks the households in fixed chunks of ``CHUNK`` (1,024, the
chunk of :func:`commonprosperity._kernels.simulate.aggregate_pass`) and runs every
scenario of its group over the chunk while the chunk's households stay in L2. When
only transfers vary (level D) threads take chunks instead: a chunk's flows are
computed once and every scenario's transfers and sums run from them, ``D_LANES``
scenarios at a time as SIMD lanes (``_transfers_sweep``, ``_transfers_pass``).
Levels C and T with convex schedules have a faster pass with the scenarios as SIMD
lanes, in :mod:`commonprosperity._kernels.sweep_lanes` (the engine picks it; this
module's pass is the reference it equals). Per chunk and scenario the sums are
those of one chunk of ``aggregate_pass``, the same additions in the same order.

Staged evaluation: the rules are the stage functions of
:mod:`commonprosperity._kernels.rules` (wages, contributions and deductions, taxes,
transfers), which :func:`~commonprosperity._kernels.rules.household_flows` composes.
:func:`stage_level` finds the first parameter group that varies across the block
(W wages, C contributions and deductions, T taxes, D transfers). Below that level
the stages run once per chunk into chunk-local buffers (adjusted wages, taxable
incomes, per-household market incomes, taxes, counts); from it on they run per
scenario, the same stage functions in the same order, so every flow and every sum
is bit for bit the one ``household_flows`` gives. Level W calls
``household_flows`` itself (:func:`~commonprosperity._kernels.simulate.chunk_flows`).

Determinism: every scenario is summed by one thread over the chunks in chunk order
(per-chunk partial sums, then a running Neumaier sum over the chunks, exactly as
``fold_rows`` combines the chunk rows of ``aggregate_pass``), so a
scenario's totals do not depend on the thread count, the group size or the other
scenarios of its block.

Nothing of size ``S × n`` is allocated here: aggregates are ``S × n_stats`` running
sums; per-capita incomes (for the Ginis) go to a buffer the caller sizes for one
block of scenarios.
"""

from collections.abc import Sequence

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import layout as L
from commonprosperity._kernels.aligned import aligned_empty
from commonprosperity._kernels.rules import (
    N_PERSON_COLUMNS,
    adjusted_wage,
    after_levies,
    business_taxable,
    child_deduction,
    claims_elderly_support,
    dibao_amount,
    dibao_top_up,
    disposable_from_levies,
    earner_and_children,
    elderly_claim_draw,
    household_flows,
    household_net,
    is_allowance_child,
    is_education_child,
    is_infant,
    is_residents_pensioner,
    market_income,
    net_from_market,
    person_contribution,
    person_deductions,
    property_tax_rate,
    residents_pension_amount,
    tax,
    taxable_income,
)
from commonprosperity._kernels.simulate import (
    CHUNK,
    CHUNK_ROW,
    N_STATS,
    S_BAND_1,
    S_BAND_2,
    S_CHILD_ALLOWANCE,
    S_DIBAO,
    S_DIBAO_HOUSEHOLDS,
    S_DISPOSABLE,
    S_NEGATIVE_HOUSEHOLDS,
    S_RESIDENTS_PENSION,
    S_RURAL_DISPOSABLE,
    S_URBAN_DISPOSABLE,
    TASKS,
    _accumulate,
    chunk_flows,
    neumaier_add,
)

__all__ = [
    "LANE_SUMS",
    "LEVEL_C",
    "LEVEL_D",
    "LEVEL_T",
    "LEVEL_W",
    "household_varies",
    "pad_schedules",
    "stage_level",
    "sweep_pass",
    "transfer_invariants",
    "transfers_sweep_from",
]

#: Evaluation levels: the first parameter group (in the order of the rules) that
#: varies across a block of scenarios. From it on the stages run per scenario; the
#: stages before it run once per chunk.
LEVEL_D = 0  # transfers only: household arithmetic
LEVEL_T = 1  # tax schedules, property tax: taxes per person
LEVEL_C = 2  # contributions, deductions: per person from adjusted wages
LEVEL_W = 3  # wages: everything (household_flows itself)
#: Parameter-vector positions (``layout``) of each group. The schedules and their
#: convexity flags belong to T.
GROUP_W = (
    L.GROWTH_RATE,
    L.MINIMUM_WAGE_TIER1,
    L.MINIMUM_WAGE_TIER1 + 1,
    L.MINIMUM_WAGE_TIER1 + 2,
)
GROUP_C = (
    L.CONTRIBUTION_RATE,
    L.BASE_FLOOR,
    L.BASE_CEILING,
    L.BASIC_DEDUCTION,
    L.CHILD_EDUCATION,
    L.INFANT_CARE,
    L.ELDERLY_SUPPORT,
    L.ELDERLY_SUPPORT_SHARE,
    L.CHILD_ALLOWANCE_MAX_AGE,
)
GROUP_T = (
    L.PROPERTY_RATE,
    L.TAXABLE_PROPERTY_SHARE,
    L.SCHEDULE_CONVEX,
    L.BUSINESS_SCHEDULE_CONVEX,
)
GROUP_D = (
    L.DIBAO_LINE,
    L.DIBAO_TAKE_UP,
    L.RESIDENTS_PENSION,
    L.CHILD_ALLOWANCE,
)
#: Flows of a household (the tuple of ``household_flows``) and per-household counts.
N_FLOWS = 11
C_PENSIONERS = 0
C_EDUCATION = 1
C_INFANT = 2
C_ALLOWANCE = 3
N_COUNTS = 4


@njit(cache=True)
def _precompute(
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
    flows,
    counts,
    p_wage,
    p_draw,
    p_best,
    p_taxable,
    p_business_taxable,
    wages_vary=False,
):
    """The stages that do not vary in a block, once per chunk (levels T, C, W).

    With ``params`` any row of the block, fills per person (chunk-local rows):
    adjusted wage, elderly-claim draw, best-earner flag, taxable and business
    taxable income; per household: ``flows`` rows 0-4, 7 and 9 (market incomes,
    contributions, property tax, residents' pension; as ``household_flows``)
    and ``counts`` rows
    (children 3-17, children under 3, allowance children).
    The stages and their order are those of ``household_flows``.

    ``wages_vary`` (wage lanes, which recompute the wage stages per lane): the
    best-earner flags and taxable incomes are not written, and the contributions
    (``flows`` row 4) are 0. The adjusted wages, business taxable incomes and
    ``flows`` row 0 are then ``params``'s, which the lanes use only to ask
    whether a wage is 0 (the same in every lane when the growth factors exceed
    0.5: ``sweep_lanes._shared_stages``).
    """
    growth = 1.0 + params[L.GROWTH_RATE]
    contribution_rate = params[L.CONTRIBUTION_RATE]
    base_floor = params[L.BASE_FLOOR]
    base_ceiling = params[L.BASE_CEILING]
    basic = params[L.BASIC_DEDUCTION]
    max_age = params[L.CHILD_ALLOWANCE_MAX_AGE]
    elderly_share = params[L.ELDERLY_SUPPORT_SHARE]
    elderly = params[L.ELDERLY_SUPPORT]
    pt_rate = property_tax_rate(params)
    residents_amount = params[L.RESIDENTS_PENSION]
    for h in range(h0, h1):
        i = h - h0
        start = starts[i]
        end = ends[i]
        minimum_wage_annual = params[L.MINIMUM_WAGE_TIER1 + tier[h]]
        if wages_vary:
            best = -1
            n_education = 0
            n_infant = 0
            n_allowance = 0
            for j in range(start, end):
                n_infant += is_infant(age[j])
                n_education += is_education_child(age[j])
                n_allowance += is_allowance_child(age[j], max_age)
        else:
            best, n_education, n_infant, n_allowance = earner_and_children(
                start, end, age, is_employed, wage, growth, minimum_wage_annual, max_age
            )
        child_ded = child_deduction(n_education, n_infant, params)
        wage_sum = 0.0
        business_sum = 0.0
        property_sum = 0.0
        pension_sum = 0.0
        contributions = 0.0
        property_tax = 0.0
        residents_pension = 0.0
        for j in range(start, end):
            employed = is_employed[j]
            w = adjusted_wage(wage[j], growth, employed, minimum_wage_annual)
            a = age[j]
            draw = elderly_claim_draw(household_id[h], a)
            p_wage[j] = w
            p_draw[j] = draw
            p_business_taxable[j] = business_taxable(business[j], w, basic)
            if not wages_vary:
                c = person_contribution(
                    w, employed, contribution_rate, base_floor, base_ceiling
                )
                claims = claims_elderly_support(w, a, draw, elderly_share)
                deductions = person_deductions(
                    basic, child_ded, j == best, elderly, claims
                )
                p_best[j] = j == best
                p_taxable[j] = taxable_income(w, c, deductions)
                contributions += c
            wage_sum += w
            business_sum += business[j]
            property_sum += property_income[j]
            pension_sum += pension[j]
            property_tax += pt_rate * property_income[j]
            residents_pension += residents_pension_amount(
                a, pension[j], employed, residents_amount
            )
        flows[0, i] = wage_sum
        flows[1, i] = business_sum
        flows[2, i] = property_sum
        flows[3, i] = pension_sum
        flows[4, i] = contributions
        flows[7, i] = property_tax
        flows[9, i] = residents_pension
        counts[C_EDUCATION, i] = n_education
        counts[C_INFANT, i] = n_infant
        counts[C_ALLOWANCE, i] = n_allowance


@njit(cache=True)
def _staged_flows(
    level,
    h0,
    h1,
    starts,
    ends,
    age,
    is_employed,
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
    counts,
    p_wage,
    p_draw,
    p_best,
    p_taxable,
    p_business_taxable,
):
    """One scenario's varying stages over a chunk, from the precomputed ones.

    Level C re-runs contributions, deductions, taxes and transfers per person from
    the adjusted wages; level T the taxes per person from the taxable incomes
    (level D has its own pass, :func:`_transfers_sweep`). Writes the varying
    ``flows`` rows (C: 4-10, T: 5-10); the others hold the precomputed, invariant
    values. Same stages, same order of additions as ``household_flows``.
    """
    contribution_rate = params[L.CONTRIBUTION_RATE]
    base_floor = params[L.BASE_FLOOR]
    base_ceiling = params[L.BASE_CEILING]
    basic = params[L.BASIC_DEDUCTION]
    max_age = params[L.CHILD_ALLOWANCE_MAX_AGE]
    elderly_share = params[L.ELDERLY_SUPPORT_SHARE]
    elderly = params[L.ELDERLY_SUPPORT]
    pt_rate = property_tax_rate(params)
    residents_amount = params[L.RESIDENTS_PENSION]
    allowance = params[L.CHILD_ALLOWANCE]
    convex = params[L.SCHEDULE_CONVEX] > 0.0
    business_convex = params[L.BUSINESS_SCHEDULE_CONVEX] > 0.0
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
    for h in range(h0, h1):
        i = h - h0
        start = starts[i]
        end = ends[i]
        if level == LEVEL_C:
            child_ded = child_deduction(
                counts[C_EDUCATION, i], counts[C_INFANT, i], params
            )
            contributions = 0.0
            iit = 0.0
            business_tax = 0.0
            property_tax = 0.0
            residents_pension = 0.0
            n_allowance = 0
            for j in range(start, end):
                employed = is_employed[j]
                w = p_wage[j]
                a = age[j]
                c = person_contribution(
                    w, employed, contribution_rate, base_floor, base_ceiling
                )
                claims = claims_elderly_support(w, a, p_draw[j], elderly_share)
                deductions = person_deductions(
                    basic, child_ded, p_best[j], elderly, claims
                )
                contributions += c
                iit += tax(
                    taxable_income(w, c, deductions),
                    thresholds,
                    rates,
                    quick_ded,
                    convex,
                )
                business_tax += tax(
                    business_taxable(business[j], w, basic),
                    business_thresholds,
                    business_rates,
                    business_quick_ded,
                    business_convex,
                )
                property_tax += pt_rate * property_income[j]
                residents_pension += residents_pension_amount(
                    a, pension[j], employed, residents_amount
                )
                n_allowance += is_allowance_child(a, max_age)
            f4[i] = contributions
            f5[i] = iit
            f6[i] = business_tax
            f7[i] = property_tax
        else:  # LEVEL_T
            iit = 0.0
            business_tax = 0.0
            property_tax = 0.0
            residents_pension = 0.0
            for j in range(start, end):
                iit += tax(p_taxable[j], thresholds, rates, quick_ded, convex)
                business_tax += tax(
                    p_business_taxable[j],
                    business_thresholds,
                    business_rates,
                    business_quick_ded,
                    business_convex,
                )
                property_tax += pt_rate * property_income[j]
                residents_pension += residents_pension_amount(
                    age[j], pension[j], is_employed[j], residents_amount
                )
            f5[i] = iit
            f6[i] = business_tax
            f7[i] = property_tax
            n_allowance = counts[C_ALLOWANCE, i]
        child_allowance = n_allowance * allowance
        net = household_net(
            f0[i],
            f1[i],
            f2[i],
            f3[i],
            residents_pension,
            child_allowance,
            f4[i],
            f5[i],
            f6[i],
            f7[i],
        )
        f8[i] = dibao_top_up(net, child_allowance, end - start, params)
        f9[i] = residents_pension
        f10[i] = child_allowance


#: Scenarios of a level-D pass computed side by side (SIMD lanes): per household,
#: one loop over them does the transfers and the sums. Measured at 2.5e5 varying
#: households and 96 scenarios: 8, 16, 24 and 32 lanes all about 3.2 ns a
#: household and scenario, against 9.4 with the scenarios one after another.
D_LANES = 16
# Rows of the level-D lane workspace, each D_LANES wide: the lanes' parameters,
# the household's temporaries, then the chunk sums of the statistics in _D_STATS.
_D_LINE = 0
_D_TAKE_UP = 1
_D_AMOUNT = 2
_D_ALLOWANCE = 3
_D_RESIDENTS = 4
_D_WD = 5
_D_PER_CAPITA = 6
_D_SUMS = 7
#: The statistics of the additions of :func:`_lane_increments`, in its order.
LANE_SUMS = (
    S_DISPOSABLE,
    S_URBAN_DISPOSABLE,
    S_RURAL_DISPOSABLE,
    S_BAND_1,
    S_BAND_2,
    S_DIBAO,
    S_RESIDENTS_PENSION,
    S_CHILD_ALLOWANCE,
    S_DIBAO_HOUSEHOLDS,
    S_NEGATIVE_HOUSEHOLDS,
)
_D_ROWS = _D_SUMS + len(LANE_SUMS)


@njit(cache=True, inline="always")
def _d_row(row):
    """Offset of row ``row`` of the detail workspace (``D_LANES`` per row)."""
    # Unsigned: a signed index adds a negative-index select, and the lane loops
    # were not vectorised.
    return np.uint64(row * D_LANES)


# Scalars in, a tuple out: an array argument of an inlined function adds
# reference counting to the lane loop calling it, which then ran scalar (2.2 times
# as long).
@njit(cache=True, inline="always")
def _lane_increments(
    market,
    levied,
    residents,
    child_allowance,
    contributions,
    iit,
    business_tax,
    property_tax,
    n_persons,
    line,
    take_up,
    w,
    u,
    three_person,
    low1,
    high1,
    low2,
    high2,
):
    """A lane's dibao and disposable income, as additions to its chunk sums.

    ``levied`` is :func:`~commonprosperity._kernels.rules.after_levies` of the
    others; ``w`` the household's weight, ``u`` 1.0 if urban else 0.0, the band
    edges yuan. Returns the 10 additions to the sums of ``LANE_SUMS`` (in that
    order), then the per-capita disposable income: the operations of
    ``household_flows`` and ``_accumulate``, in their order.
    """
    net = net_from_market(
        market,
        residents,
        child_allowance,
        contributions,
        iit,
        business_tax,
        property_tax,
    )
    dibao = dibao_amount(net, child_allowance, n_persons, line, take_up)
    disposable = disposable_from_levies(levied, dibao, residents, child_allowance)
    wd = w * disposable
    band_income = 3.0 * disposable / n_persons if three_person else disposable
    in1 = (band_income >= low1) & (band_income < high1)
    in2 = (band_income >= low2) & (band_income < high2)
    return (
        wd,
        u * wd,
        (1.0 - u) * wd,
        w if in1 else 0.0,
        w if in2 else 0.0,
        w * dibao,
        w * residents,
        w * child_allowance,
        w if dibao > 0.0 else 0.0,
        1.0 if disposable < 0.0 else 0.0,
        disposable / n_persons,
    )


# NumPy's error model: Python's raises on a division by zero (never here: every
# household has a person), and those exits keep the lane loops from vectorising.
@njit(cache=True, error_model="numpy")
def _transfers_pass(
    h0,
    h1,
    P,
    flows,
    counts,
    size,
    weight,
    is_urban,
    city,
    band_edges,
    three_person,
    fixed_part,
    parts,
    invariant,
    write_pc,
    per_capita_out,
):
    """Level D: a chunk's sums under every scenario of a task.

    ``P`` (m, N_PARAMS) holds the task's rows; flows 0-7 and ``counts`` are the
    chunk's precomputed, invariant ones. Row ``s`` of ``parts`` (m, n_stats)
    receives the chunk's sums under ``P[s]``: the invariant sums copied from
    ``fixed_part`` (a full accumulation of the chunk under any of the rows), the
    others computed here, and ``per_capita_out[s, h]`` the per-capita disposable
    income when ``write_pc``. What transfers cannot change (market income, income
    after levies) is computed once per household into ``invariant`` (2, CHUNK).

    The scenarios run ``D_LANES`` at a time as SIMD lanes: per household, one
    loop over the lanes computes every scenario's transfers and adds to its sums
    (rows of one flat workspace, so LLVM can prove the loop's stores overlap none
    of its loads). Each lane performs the additions of ``household_flows`` and
    ``_accumulate`` in their order, household after household: every scenario's
    sums are bit for bit those of the scenario-at-a-time pass.
    """
    n_stats = parts.shape[1]
    n_cities = (n_stats - N_STATS) // 2
    low1, high1, low2, high2 = (
        band_edges[0],
        band_edges[1],
        band_edges[2],
        band_edges[3],
    )
    nh = h1 - h0
    market = invariant[0]
    levied = invariant[1]
    f4 = flows[4]
    f5 = flows[5]
    f6 = flows[6]
    f7 = flows[7]
    for i in range(nh):
        market[i] = market_income(flows[0, i], flows[1, i], flows[2, i], flows[3, i])
        levied[i] = after_levies(market[i], f4[i], f5[i], f6[i], f7[i])
    pensioners = counts[C_PENSIONERS]
    allowance_children = counts[C_ALLOWANCE]
    m = P.shape[0]
    # On cache lines: the lane loops read and write W's rows as whole vectors.
    W = aligned_empty(_D_ROWS * D_LANES)
    city_sums = aligned_empty(n_cities * D_LANES)
    # Household-major rows of the lanes' per-capita incomes, copied out per lane.
    per_capita = aligned_empty(nh * D_LANES if write_pc else 0)
    for g0 in range(0, m, D_LANES):
        active = np.uint64(min(D_LANES, m - g0))
        for s in range(active):
            W[_d_row(_D_LINE) + s] = P[g0 + s, L.DIBAO_LINE]
            W[_d_row(_D_TAKE_UP) + s] = P[g0 + s, L.DIBAO_TAKE_UP]
            W[_d_row(_D_AMOUNT) + s] = P[g0 + s, L.RESIDENTS_PENSION]
            W[_d_row(_D_ALLOWANCE) + s] = P[g0 + s, L.CHILD_ALLOWANCE]
        for k in range(_D_SUMS * D_LANES, _D_ROWS * D_LANES):
            W[k] = 0.0
        city_sums[:] = 0.0
        for i in range(nh):
            h = np.uint64(h0 + i)
            # The pensioners' amounts, added one by one as in household_flows
            # (adding the others' 0.0 changes nothing). Up to three that is the
            # product (a + a is exact, so a + a + a is 3a rounded once); a loop
            # mispredicted its exit once a household.
            k = pensioners[i]
            if k <= 3:
                for s in range(active):
                    W[_d_row(_D_RESIDENTS) + s] = k * W[_d_row(_D_AMOUNT) + s]
            else:
                for s in range(active):
                    residents = 0.0
                    for _ in range(k):
                        residents += W[_d_row(_D_AMOUNT) + s]
                    W[_d_row(_D_RESIDENTS) + s] = residents
            n_allowance = allowance_children[i]
            n_persons = size[i]
            market_i = market[i]
            levied_i = levied[i]
            contributions = f4[i]
            iit = f5[i]
            business_tax = f6[i]
            property_tax = f7[i]
            w = weight[h]
            u = 1.0 if is_urban[h] else 0.0
            for s in range(active):
                add = _lane_increments(
                    market_i,
                    levied_i,
                    W[_d_row(_D_RESIDENTS) + s],
                    n_allowance * W[_d_row(_D_ALLOWANCE) + s],
                    contributions,
                    iit,
                    business_tax,
                    property_tax,
                    n_persons,
                    W[_d_row(_D_LINE) + s],
                    W[_d_row(_D_TAKE_UP) + s],
                    w,
                    u,
                    three_person,
                    low1,
                    high1,
                    low2,
                    high2,
                )
                for a in range(len(LANE_SUMS)):
                    W[_d_row(_D_SUMS + a) + s] += add[a]
                W[_d_row(_D_WD) + s] = add[0]
                W[_d_row(_D_PER_CAPITA) + s] = add[len(LANE_SUMS)]
            # Apart, so that the loop above writes one array only (see above).
            c0 = np.uint64(city[h]) * np.uint64(D_LANES)
            for s in range(active):
                city_sums[c0 + s] += W[_d_row(_D_WD) + s]
            if write_pc:
                p0 = np.uint64(i * D_LANES)
                for s in range(active):
                    per_capita[p0 + s] = W[_d_row(_D_PER_CAPITA) + s]
        for s in range(active):
            row = parts[g0 + s]
            for q in range(n_stats):
                row[q] = fixed_part[q]
            for a in range(len(LANE_SUMS)):
                row[LANE_SUMS[a]] = W[_d_row(_D_SUMS + a) + s]
            for c in range(n_cities):
                row[N_STATS + 2 * c] = city_sums[np.uint64(c * D_LANES) + s]
            if write_pc:
                out = per_capita_out[g0 + s]
                for i in range(nh):
                    out[h0 + i] = per_capita[np.uint64(i * D_LANES) + s]


@njit(cache=True)
def _most_persons(starts, ends):
    """The most persons any chunk of ``CHUNK`` households has (at least 1)."""
    n = starts.shape[0]
    most = 1
    for c in range((n + CHUNK - 1) // CHUNK):
        k = 0
        for h in range(c * CHUNK, min(n, c * CHUNK + CHUNK)):
            k += ends[h] - starts[h]
        most = max(most, k)
    return most


@njit(cache=True)
def _chunk_buffers(most, age, is_employed):
    """A chunk's gathered persons and its stage outputs (see ``_gather``)."""
    gathered = (
        np.empty(CHUNK, dtype=np.int64),  # starts
        np.empty(CHUNK, dtype=np.int64),  # ends
        np.empty(CHUNK, dtype=np.int64),  # size
        np.empty(most, dtype=age.dtype),
        np.empty(most, dtype=is_employed.dtype),
        np.empty(most),  # wage
        np.empty(most),  # business
        np.empty(most),  # property
        np.empty(most),  # pension
    )
    # Stage outputs (flows rows as in household_flows' tuple), and per person.
    stages = (
        np.zeros((N_FLOWS, CHUNK_ROW)),
        np.zeros((N_COUNTS, CHUNK_ROW), dtype=np.int64),
        np.empty(most),  # adjusted wage
        np.empty(most),  # elderly-claim draw
        np.zeros(most, dtype=np.bool_),  # best earner
        np.empty(most),  # taxable income
        np.empty(most),  # business taxable income
    )
    return gathered, stages


@njit(cache=True)
def _gather(
    h0,
    h1,
    starts,
    ends,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    gathered,
):
    """Copy the persons of households ``h0:h1`` contiguously (chunk-local rows).

    They stay in L2 while the scenarios run over them.
    """
    l_starts, l_ends, l_size, l_age, l_employed, l_wage, l_business = gathered[:7]
    l_property, l_pension = gathered[7], gathered[8]
    k = 0
    for h in range(h0, h1):
        l_starts[h - h0] = k
        for j in range(starts[h], ends[h]):
            l_age[k] = age[j]
            l_employed[k] = is_employed[j]
            l_wage[k] = wage[j]
            l_business[k] = business[j]
            l_property[k] = property_income[j]
            l_pension[k] = pension[j]
            k += 1
        l_ends[h - h0] = k
        l_size[h - h0] = ends[h] - starts[h]


@njit(cache=True)
def _transfer_counts(h0, h1, starts, ends, age, is_employed, pension, params, counts):
    """``counts`` rows ``C_PENSIONERS`` and ``C_ALLOWANCE`` of households ``h0:h1``.

    Residents' pensioners and allowance children, as ``household_flows`` counts
    them.
    """
    max_age = params[L.CHILD_ALLOWANCE_MAX_AGE]
    for i in range(h1 - h0):
        n_pensioners = 0
        n_allowance = 0
        for j in range(starts[i], ends[i]):
            a = age[j]
            n_pensioners += is_residents_pensioner(a, pension[j], is_employed[j])
            n_allowance += is_allowance_child(a, max_age)
        counts[C_PENSIONERS, i] = n_pensioners
        counts[C_ALLOWANCE, i] = n_allowance


@njit(cache=True)
def _chunk_invariants(
    c,
    starts,
    ends,
    household_id,
    weight,
    is_urban,
    city,
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
    gathered,
    stages,
    dummy,
    part,
    per_capita_out,
):
    """Chunk ``c``'s flows, counts (``stages``) and sums (``part``) under ``params``.

    What a level-D pass shares between its scenarios.
    """
    n = weight.shape[0]
    h0 = c * CHUNK
    h1 = min(n, h0 + CHUNK)
    l_starts, l_ends, l_size, l_age, l_employed, l_wage, l_business = gathered[:7]
    l_property, l_pension = gathered[7], gathered[8]
    flows, counts = stages[0], stages[1]
    _gather(
        h0,
        h1,
        starts,
        ends,
        age,
        is_employed,
        wage,
        business,
        property_income,
        pension,
        gathered,
    )
    # Flows under the row (the rules' fused path), then the counts the transfers
    # need.
    chunk_flows(
        h0,
        h1,
        l_starts,
        l_ends,
        household_id,
        tier,
        l_age,
        l_employed,
        l_wage,
        l_business,
        l_property,
        l_pension,
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
    _transfer_counts(
        h0, h1, l_starts, l_ends, l_age, l_employed, l_pension, params, counts
    )
    _accumulate(
        h0,
        h1,
        flows,
        l_size,
        weight,
        is_urban,
        city,
        band_edges,
        three_person,
        part,
        False,
        per_capita_out[0],
    )


@njit(cache=True, parallel=True)
def _transfers_sweep(
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
    P,
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
    start_sums,
    start_comps,
):
    """``sweep_pass`` at level D: parallel over chunks, every scenario per chunk.

    Only transfers vary, so a chunk's flows are computed once for all the
    scenarios (``household_flows`` under the first row; not once per thread
    task), then ``_transfers_pass`` evaluates every scenario on it. The chunk
    sums are kept and folded in chunk order per scenario afterwards: the same
    sums, bit for bit, as the scenario-parallel pass.
    """
    n = weight.shape[0]
    S = P.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    most = _most_persons(starts, ends)
    parts = np.empty((n_chunks, S, n_stats))
    # Each task a run of whole chunks with its own buffers.
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        gathered, stages = _chunk_buffers(most, age, is_employed)
        dummy = np.zeros((1, N_PERSON_COLUMNS))
        part = np.zeros(n_stats)
        invariant = np.empty((2, CHUNK_ROW))
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            _chunk_invariants(
                c,
                starts,
                ends,
                household_id,
                weight,
                is_urban,
                city,
                tier,
                age,
                is_employed,
                wage,
                business,
                property_income,
                pension,
                P[0],
                thresholds[0],
                rates[0],
                quick_ded[0],
                business_thresholds[0],
                business_rates[0],
                business_quick_ded[0],
                band_edges,
                three_person,
                gathered,
                stages,
                dummy,
                part,
                per_capita_out,
            )
            h0 = c * CHUNK
            _transfers_pass(
                h0,
                min(n, h0 + CHUNK),
                P,
                stages[0],
                stages[1],
                gathered[2],
                weight,
                is_urban,
                city,
                band_edges,
                three_person,
                part,
                parts[c],
                invariant,
                write_pc,
                per_capita_out,
            )
    return fold_chunk_parts(parts, start_sums, start_comps)


@njit(cache=True, parallel=True)
def transfer_invariants(
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
    flows_all,
    counts_all,
    size_all,
):
    """What a level-D pass shares between scenarios, for every household at once.

    Returns ``(flows, counts, size, parts)``: flows 0-7 (8, n) and the transfer
    counts (N_COUNTS, n) per household, the persons (n,) (written to the arrays
    ``flows_all``, ``counts_all`` (int64) and ``size_all`` (int64) the caller
    allocates: NumPy gives large arrays huge pages, and a kernel's own 100 MB
    at 1e6 households took a page fault per 4 KiB), and per chunk the sums
    under ``params`` (n_chunks, n_stats) whose transfer-free entries every
    scenario shares. Evaluated under any row of scenarios that differ in transfer
    parameters only, they are the same (the transfers come after these flows), so
    :func:`transfers_sweep_from` can run block after block of such scenarios on
    them without recomputing the rules per block: bit for bit
    ``_transfers_sweep``'s sums.
    """
    n = weight.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    most = _most_persons(starts, ends)
    parts = np.empty((n_chunks, n_stats))
    n_tasks = min(n_chunks, TASKS)
    unused = np.zeros((1, 1))
    for task in prange(n_tasks):
        gathered, stages = _chunk_buffers(most, age, is_employed)
        dummy = np.zeros((1, N_PERSON_COLUMNS))
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            _chunk_invariants(
                c,
                starts,
                ends,
                household_id,
                weight,
                is_urban,
                city,
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
                gathered,
                stages,
                dummy,
                parts[c],
                unused,
            )
            h0 = c * CHUNK
            nh = min(n, h0 + CHUNK) - h0
            for i in range(nh):
                for k in range(8):
                    flows_all[k, h0 + i] = stages[0][k, i]
                for k in range(N_COUNTS):
                    counts_all[k, h0 + i] = stages[1][k, i]
                size_all[h0 + i] = gathered[2][i]
    return flows_all, counts_all, size_all, parts


@njit(cache=True, parallel=True)
def transfers_sweep_from(
    flows,
    counts,
    size,
    fixed_parts,
    weight,
    is_urban,
    city,
    P,
    band_edges,
    three_person,
    write_pc,
    per_capita_out,
    start_sums,
    start_comps,
):
    """``_transfers_sweep`` on the shared part of :func:`transfer_invariants`.

    ``P`` (S, N_PARAMS): scenarios that differ from the invariants' row in
    transfer parameters only. Returns the running sums and compensations (S,
    n_stats), bit for bit those of ``_transfers_sweep``.
    """
    n = weight.shape[0]
    S = P.shape[0]
    n_chunks = fixed_parts.shape[0]
    parts = np.empty((n_chunks, S, fixed_parts.shape[1]))
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        invariant = np.empty((2, CHUNK_ROW))
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
            _transfers_pass(
                h0,
                h1,
                P,
                flows[:, h0:h1],
                counts[:, h0:h1],
                size[h0:h1],
                weight,
                is_urban,
                city,
                band_edges,
                three_person,
                fixed_parts[c],
                parts[c],
                invariant,
                write_pc,
                per_capita_out,
            )
    return fold_chunk_parts(parts, start_sums, start_comps)


@njit(cache=True, parallel=True)
def fold_chunk_parts(parts, start_sums, start_comps):
    """Chunk sums folded per scenario into running compensated sums.

    ``parts`` (n_chunks, S, n_stats) holds each chunk's sums; per scenario ``s``
    they are added in chunk order to Neumaier sums that start from
    ``start_sums[s]``, ``start_comps[s]`` (each (S, n_stats): a pass over a tile
    of households continues each scenario's sums of the tiles before it).
    Returns ``(sums, comps)``, each (S, n_stats).
    """
    n_chunks, S, n_stats = parts.shape
    sums = np.empty((S, n_stats))
    comps = np.empty((S, n_stats))
    for s in prange(S):
        srow = sums[s]
        crow = comps[s]
        for k in range(n_stats):
            srow[k] = start_sums[s, k]
            crow[k] = start_comps[s, k]
        for c in range(n_chunks):
            for k in range(n_stats):
                srow[k], crow[k] = neumaier_add(srow[k], crow[k], parts[c, s, k])
    return sums, comps


@njit(cache=True, parallel=True)
def sweep_pass(
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
    P,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
    band_edges,
    three_person,
    group,
    level,
    write_pc,
    per_capita_out,
    start_sums,
    start_comps,
):
    """Weighted totals of ``S`` scenarios in one pass over the households.

    Preconditions: those of ``aggregate_pass`` for the household and person
    arrays, except that household ``h``'s persons are rows ``starts[h]:ends[h]``
    (non-empty; households may come in any order, e.g. sorted by income, without
    moving the persons); ``P`` (S, N_PARAMS) holds one parameter row per scenario (the
    ``params`` of ``Scenario.as_arrays()``); the schedule arrays are (S, K) and
    (S, KB), row ``s`` the scenario's thresholds, rates and quick deductions padded
    to a common length with ``+inf`` thresholds (:func:`pad_schedules`);
    ``group >= 1`` scenarios per thread task; ``level`` (``LEVEL_D`` …
    ``LEVEL_W``, see :func:`stage_level`) at least the highest parameter group
    that varies across the rows of ``P`` and the schedules: the stages below it
    run once per chunk and thread task, those from it on per scenario. At level D
    threads take chunks instead (``_transfers_sweep``) and ``group`` is not used.

    Besides the totals, ``per_capita_out`` (S, n) receives, if ``write_pc``, the
    per-capita disposable income of household ``h`` under scenario ``s``, yuan
    (when the flag is false, pass a dummy of shape (1, 1); it is not written).

    The running compensated sums of scenario ``s`` start from ``start_sums[s]``
    and ``start_comps[s]`` (each (S, n_stats)): zeros, or the state left by a
    pass over the households before these (whose chunks must then end where these
    begin), so that a population can be summed in parts, chunk for chunk as in
    one pass.

    Returns ``(sums, comps)``, float64 (S, N_STATS + 2 * n_cities): ``sums +
    comps`` row ``s`` equals bit for bit ``aggregate_pass`` of scenario ``s`` on
    the households in the same order, whatever the level.
    """
    if level == LEVEL_D:
        return _transfers_sweep(
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
            P,
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
            start_sums,
            start_comps,
        )
    n = weight.shape[0]
    S = P.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    n_groups = (S + group - 1) // group
    sums = np.empty((S, n_stats))
    comps = np.empty((S, n_stats))
    for s in range(S):
        sums[s] = start_sums[s]
        comps[s] = start_comps[s]
    most = _most_persons(starts, ends)
    for g in prange(n_groups):
        s0 = g * group
        m = min(S, s0 + group) - s0
        part = np.zeros(n_stats)
        dummy = np.zeros((1, N_PERSON_COLUMNS))
        gathered, stages = _chunk_buffers(most, age, is_employed)
        l_starts, l_ends, l_size, l_age, l_employed, l_wage, l_business = gathered[:7]
        l_property, l_pension = gathered[7], gathered[8]
        flows, counts, p_wage, p_draw, p_best, p_taxable, p_business_taxable = stages
        for c in range(n_chunks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
            _gather(
                h0,
                h1,
                starts,
                ends,
                age,
                is_employed,
                wage,
                business,
                property_income,
                pension,
                gathered,
            )
            if level < LEVEL_W:
                _precompute(
                    h0,
                    h1,
                    l_starts,
                    l_ends,
                    household_id,
                    tier,
                    l_age,
                    l_employed,
                    l_wage,
                    l_business,
                    l_property,
                    l_pension,
                    P[s0],
                    flows,
                    counts,
                    p_wage,
                    p_draw,
                    p_best,
                    p_taxable,
                    p_business_taxable,
                )
            for i in range(m):
                s = s0 + i
                if level < LEVEL_W:
                    _staged_flows(
                        level,
                        h0,
                        h1,
                        l_starts,
                        l_ends,
                        l_age,
                        l_employed,
                        l_business,
                        l_property,
                        l_pension,
                        P[s],
                        thresholds[s],
                        rates[s],
                        quick_ded[s],
                        business_thresholds[s],
                        business_rates[s],
                        business_quick_ded[s],
                        flows,
                        counts,
                        p_wage,
                        p_draw,
                        p_best,
                        p_taxable,
                        p_business_taxable,
                    )
                else:
                    chunk_flows(
                        h0,
                        h1,
                        l_starts,
                        l_ends,
                        household_id,
                        tier,
                        l_age,
                        l_employed,
                        l_wage,
                        l_business,
                        l_property,
                        l_pension,
                        P[s],
                        thresholds[s],
                        rates[s],
                        quick_ded[s],
                        business_thresholds[s],
                        business_rates[s],
                        business_quick_ded[s],
                        flows,
                        dummy,
                    )
                _accumulate(
                    h0,
                    h1,
                    flows,
                    l_size,
                    weight,
                    is_urban,
                    city,
                    band_edges,
                    three_person,
                    part,
                    write_pc,
                    per_capita_out[s if write_pc else 0],
                )
                # Fold the chunk into the running Neumaier sums, in chunk order.
                srow = sums[s]
                crow = comps[s]
                for k in range(n_stats):
                    srow[k], crow[k] = neumaier_add(srow[k], crow[k], part[k])
    return sums, comps


@njit(cache=True)
def _rows_equal(A):
    """Whether every row of the 2-D array ``A`` equals its first row."""
    for s in range(1, A.shape[0]):
        for k in range(A.shape[1]):
            if A[s, k] != A[0, k]:
                return False
    return True


@njit(cache=True, parallel=True)
def household_varies(
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
    P,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
):
    """Per household: whether any of its flows may differ between the rows of ``P``.

    Conservative: ``False`` guarantees that every flow ``household_flows`` returns
    is bit for bit the same under every parameter row of ``P`` (with its schedules)
    and under every row whose parameters lie between the rows' least and largest
    values. When the wage growth varies, a household varies if one of its persons
    has a wage other than zero (zero grows to zero); when only minimum wages vary,
    if an employed person's grown positive wage is below the highest minimum wage
    of the household's tier (at or above it, the minimum never binds). Otherwise a
    household varies when one of its persons may pay a varying contribution, a
    positive income or business tax under a varying deduction or schedule (the
    largest taxable income any row allows is computed from the rows' least
    contributions and deductions: the rules are monotone in each of them), a
    varying property tax or residents' pension, or receives a varying child
    allowance; or when a varying dibao line may leave a gap above its income.
    """
    n = starts.shape[0]
    n_params = P.shape[1]
    out = np.ones(n, dtype=np.bool_)
    lo = np.empty(n_params)
    hi = np.empty(n_params)
    for k in range(n_params):
        lo[k] = P[:, k].min()
        hi[k] = P[:, k].max()
    const = lo == hi
    growth_const = const[L.GROWTH_RATE]
    wages_const = True
    for k in GROUP_W:
        wages_const &= const[k]
    # The monotonicity argument needs non-negative parameters (validated ones
    # are); the wage growth rate may be negative (validated growth, 1 + rate,
    # is at least 0.5), but a grown zero wage must stay +0.0 or -0.0 as it was.
    for k in range(n_params):
        if lo[k] < 0.0 and k != L.GROWTH_RATE:
            return out
    if not (1.0 + lo[L.GROWTH_RATE] > 0.0):
        return out
    schedule_const = (
        _rows_equal(thresholds)
        and _rows_equal(rates)
        and _rows_equal(quick_ded)
        and const[L.SCHEDULE_CONVEX]
    )
    business_const = (
        _rows_equal(business_thresholds)
        and _rows_equal(business_rates)
        and _rows_equal(business_quick_ded)
        and const[L.BUSINESS_SCHEDULE_CONVEX]
        and const[L.BASIC_DEDUCTION]
    )
    contribution_const = (
        const[L.CONTRIBUTION_RATE] and const[L.BASE_FLOOR] and const[L.BASE_CEILING]
    )
    iit_const = (
        schedule_const
        and contribution_const
        and const[L.BASIC_DEDUCTION]
        and const[L.CHILD_EDUCATION]
        and const[L.INFANT_CARE]
        and const[L.ELDERLY_SUPPORT]
        and const[L.ELDERLY_SUPPORT_SHARE]
    )
    property_const = const[L.PROPERTY_RATE] and const[L.TAXABLE_PROPERTY_SHARE]
    allowance_const = const[L.CHILD_ALLOWANCE] and const[L.CHILD_ALLOWANCE_MAX_AGE]
    dibao_const = const[L.DIBAO_LINE] and const[L.DIBAO_TAKE_UP]
    persons_may_vary = not (
        contribution_const
        and iit_const
        and business_const
        and property_const
        and const[L.RESIDENTS_PENSION]
        and allowance_const
    )
    p0 = P[0]
    growth = 1.0 + p0[L.GROWTH_RATE]
    dummy = np.zeros((1, N_PERSON_COLUMNS))
    for h in prange(n):
        start = starts[h]
        end = ends[h]
        minimum_wage_annual = p0[L.MINIMUM_WAGE_TIER1 + tier[h]]
        varies = False
        if not wages_const:
            # Then the adjusted wages the checks below compute under the first
            # row are every row's (the household varies otherwise).
            highest_minimum = hi[L.MINIMUM_WAGE_TIER1 + tier[h]]
            minimum_const = const[L.MINIMUM_WAGE_TIER1 + tier[h]]
            for j in range(start, end):
                if growth_const:
                    w = wage[j] * growth
                    varies |= (
                        is_employed[j]
                        & (w > 0.0)
                        & (w < highest_minimum)
                        & (not minimum_const)
                    )
                else:
                    varies |= wage[j] != 0.0
        # Only transfers vary (the usual group of a sweep): no person can vary.
        last = end if persons_may_vary else start
        best, n_education, n_infant, _ = earner_and_children(
            start,
            last,
            age,
            is_employed,
            wage,
            growth,
            minimum_wage_annual,
            p0[L.CHILD_ALLOWANCE_MAX_AGE],
        )
        least_child = child_deduction(n_education, n_infant, lo)
        for j in range(start, last):
            employed = is_employed[j]
            w = adjusted_wage(wage[j], growth, employed, minimum_wage_annual)
            a = age[j]
            varies |= (employed & (w > 0.0)) & (not contribution_const)
            if not iit_const:
                c = person_contribution(
                    w,
                    employed,
                    lo[L.CONTRIBUTION_RATE],
                    lo[L.BASE_FLOOR],
                    lo[L.BASE_CEILING],
                )
                claims = claims_elderly_support(
                    w,
                    a,
                    elderly_claim_draw(household_id[h], a),
                    lo[L.ELDERLY_SUPPORT_SHARE],
                )
                deductions = person_deductions(
                    lo[L.BASIC_DEDUCTION],
                    least_child,
                    j == best,
                    lo[L.ELDERLY_SUPPORT],
                    claims,
                )
                varies |= taxable_income(w, c, deductions) > 0.0
            if not business_const:
                b = business_taxable(business[j], w, lo[L.BASIC_DEDUCTION])
                varies |= b > 0.0
            varies |= (property_income[j] != 0.0) & (not property_const)
            varies |= is_residents_pensioner(a, pension[j], employed) & (
                not const[L.RESIDENTS_PENSION]
            )
            varies |= is_allowance_child(a, hi[L.CHILD_ALLOWANCE_MAX_AGE]) & (
                not allowance_const
            )
        if not (varies or dibao_const):
            # Every other flow is fixed: the dibao is zero in every row when even
            # the highest line leaves no gap.
            f = household_flows(
                start,
                end,
                household_id[h],
                minimum_wage_annual,
                age,
                is_employed,
                wage,
                business,
                property_income,
                pension,
                p0,
                thresholds[0],
                rates[0],
                quick_ded[0],
                business_thresholds[0],
                business_rates[0],
                business_quick_ded[0],
                False,
                dummy,
            )
            net = household_net(
                f[0], f[1], f[2], f[3], f[9], f[10], f[4], f[5], f[6], f[7]
            )
            gap = hi[L.DIBAO_LINE] * (end - start) - max(net - f[10], 0.0)
            varies = gap > 0.0
        out[h] = varies
    return out


def pad_schedules(
    schedules: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack per-scenario schedules into (S, K) arrays padded with ``+inf``.

    Parameters
    ----------
    schedules : sequence of (thresholds, rates, quick_deductions)
        One triple of equal-length float64 arrays per scenario.

    Returns
    -------
    tuple of ndarray
        ``(thresholds, rates, quick_deductions)``, each (S, K) with K the longest
        schedule. A shorter schedule is extended with ``+inf`` thresholds (never
        selected: ``schedule_tax`` picks the last threshold below the taxable
        amount) and repeats of its last rate and quick deduction.

    Examples
    --------
    >>> import numpy as np
    >>> t, r, q = pad_schedules([
    ...     (np.array([0.0, 10.0]), np.array([0.1, 0.2]), np.array([0.0, 1.0])),
    ...     (np.array([0.0]), np.array([0.3]), np.array([0.0]))])
    >>> t[1].tolist(), r[1].tolist()
    ([0.0, inf], [0.3, 0.3])
    """
    k = max(len(s[0]) for s in schedules)
    S = len(schedules)
    thr = np.full((S, k), np.inf)
    rat = np.empty((S, k))
    qd = np.empty((S, k))
    for i, (t, r, q) in enumerate(schedules):
        m = len(t)
        thr[i, :m] = t
        rat[i, :m] = r
        rat[i, m:] = r[m - 1]
        qd[i, :m] = q
        qd[i, m:] = q[m - 1]
    return thr, rat, qd


def stage_level(P: np.ndarray, schedules: Sequence[np.ndarray]) -> int:
    """The evaluation level of a block of scenarios: which stages must run per scenario.

    Parameters
    ----------
    P : ndarray of float64, shape (S, N_PARAMS)
        One parameter row per scenario.
    schedules : sequence of ndarray, each shape (S, K)
        The padded schedule arrays (thresholds, rates, quick deductions; income and
        business tax).

    Returns
    -------
    int
        ``LEVEL_W`` if a wage parameter differs between rows, else ``LEVEL_C`` if a
        contribution or deduction parameter does, else ``LEVEL_T`` if a schedule or
        the property tax does, else ``LEVEL_D`` (transfers only, or one scenario).

    Examples
    --------
    >>> import numpy as np
    >>> from commonprosperity._kernels import layout as L
    >>> P = np.zeros((2, L.N_PARAMS))
    >>> P[1, L.DIBAO_LINE] = 12_000.0
    >>> stage_level(P, [np.zeros((2, 3))]) == LEVEL_D
    True
    >>> P[1, L.BASIC_DEDUCTION] = 60_000.0
    >>> stage_level(P, [np.zeros((2, 3))]) == LEVEL_C
    True
    """

    def varies(columns):
        block = P[:, list(columns)]
        return bool(np.any(block != block[:1]))

    if varies(GROUP_W):
        return LEVEL_W
    if varies(GROUP_C):
        return LEVEL_C
    if varies(GROUP_T) or any(bool(np.any(a != a[:1])) for a in schedules):
        return LEVEL_T
    return LEVEL_D
