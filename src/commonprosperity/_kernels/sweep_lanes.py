"""Levels C and T of the sweep with the scenarios as SIMD lanes (pure Numba).

When contributions, deductions or tax schedules vary across a block, every
scenario re-runs the person rules of every household that may vary. Run one
scenario after another, that costs the full scalar rules per household and
scenario. Here the loops are turned around: per person, one loop over the
scenarios of the block computes contribution, deductions, income tax, business
tax, property tax and residents' pension for every scenario at once, and per
household one loop over the scenarios computes the dibao, disposable income and
the sums. Those loops have no data-dependent branches (convex schedules are a
maximum over their bracket lines) and LLVM vectorises them. Stages whose
parameters are the same in every lane of the block (a wage or contribution lever
leaves the business tax, property tax, residents' pension and child allowance
alike, a property-tax lever the contributions and income tax:
:func:`_shared_stages`) are computed once per person instead, and the best
earner of wage lanes only in households with children (elsewhere the child
deductions are 0.0 whoever takes them). On a wage lever at 1e6 households that
made the pass about a tenth faster; 1,000 property-tax rates, bracketed, took
3.78-3.91 s instead of 4.11-4.25 (alternated).

Why one flat workspace: LLVM vectorises a loop only if it can prove the arrays it
writes do not overlap those it reads, or check it at run time for a few arrays.
All lane quantities (the block's parameters, its schedules, per-household
temporaries and the chunk sums) are rows of one array at constant offsets
(``row * LANES``), so the proof is static.

Exactness: every lane performs the operations of
:func:`~commonprosperity._kernels.rules.household_flows` and
:func:`~commonprosperity._kernels.simulate._accumulate` in the same order (the
stage functions themselves, called per lane), so each scenario's sums are bit
for bit those of the scenario-at-a-time pass. Schedules are padded to ``KMAX``
lines by repeating their last line, which leaves the maximum unchanged.
"""

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import layout as L
from commonprosperity._kernels.aligned import aligned_empty, aligned_zeros
from commonprosperity._kernels.rules import (
    adjusted_wage,
    after_levies,
    business_taxable,
    child_deduction_of,
    claims_elderly_support,
    earner_key,
    earner_step,
    is_allowance_child,
    market_income,
    person_contribution,
    person_deductions,
    property_tax_rate,
    residents_pension_amount,
    taxable_income,
)
from commonprosperity._kernels.simulate import (
    CHUNK,
    N_STATS,
    S_BUSINESS_TAX,
    S_CONTRIBUTIONS,
    S_IIT,
    S_PROPERTY_TAX,
    S_WAGE,
    TASKS,
    _accumulate,
)
from commonprosperity._kernels.sweep import (
    C_ALLOWANCE,
    C_EDUCATION,
    C_INFANT,
    LANE_SUMS,
    _chunk_buffers,
    _gather,
    _lane_increments,
    _most_persons,
    _precompute,
    fold_chunk_parts,
)

__all__ = ["KMAX", "LANES", "lanes_sweep"]

#: Scenarios per lane group: three 8-wide vectors of float64. A block runs all its
#: groups per person and household, so the scalar work of a person is done once.
#: Measured on a block of 22 scenarios at 1e6 households: 62 ms a pass in groups
#: of 8, 70 in groups of 16 (32 lanes), 48 in one group of 24, 57 in one of 32.
LANES = 24
#: Most lines a schedule may have on this path (longer ones take the scalar pass).
KMAX = 8

# Rows of the workspace, each LANES wide. Parameters of the lanes:
_RATE = 0
_FLOOR = 1
_CEILING = 2
_BASIC = 3
_EDUCATION = 4
_INFANT = 5
_ELDERLY = 6
_SHARE = 7
_MAX_AGE = 8
_PROPERTY_RATE = 9
_RESIDENTS = 10
_ALLOWANCE = 11
_LINE = 12
_TAKE_UP = 13
_GROWTH = 14  # 1 + wage growth rate
_MINIMUM_WAGE = 15  # three rows: tiers 1-3, annual yuan
_RATES = 18  # KMAX rows each: income-tax lines, then business-tax lines
_QUICK = _RATES + KMAX
_BUSINESS_RATES = _QUICK + KMAX
_BUSINESS_QUICK = _BUSINESS_RATES + KMAX
# Per-household temporaries:
_CHILD = _BUSINESS_QUICK + KMAX
_CONTRIBUTIONS = _CHILD + 1
_IIT = _CHILD + 2
_BUSINESS_TAX = _CHILD + 3
_PROPERTY_TAX = _CHILD + 4
_RESIDENTS_PENSION = _CHILD + 5
_N_ALLOWANCE = _CHILD + 6
_WD = _CHILD + 7  # weight x disposable income
_PER_CAPITA = _CHILD + 8
# Per-household temporaries of wage lanes (adjusted wages differ by lane):
_HOUSEHOLD_MINIMUM = _CHILD + 9  # the household's tier's minimum wage
_WAGE_SUM = _CHILD + 10
_BEST_WAGE = _CHILD + 11
_BEST = _CHILD + 12  # the best earner's person index, -1.0 if none
_BEST_KEY = _CHILD + 13  # the best earner's earner_key (ties)
# Chunk sums of the varying statistics: first those of LANE_SUMS (the additions
# of _lane_increments, in its order), then the levies'.
_A = _CHILD + 14
_A_CONTRIBUTIONS = _A + len(LANE_SUMS)
_A_IIT = _A_CONTRIBUTIONS + 1
_A_BUSINESS_TAX = _A_CONTRIBUTIONS + 2
_A_PROPERTY_TAX = _A_CONTRIBUTIONS + 3
_A_WAGE = _A_CONTRIBUTIONS + 4  # wage lanes only
_N_ROWS = _A_WAGE + 1
#: The statistic of each chunk-sum row, in row order.
_A_STATS = (*LANE_SUMS, S_CONTRIBUTIONS, S_IIT, S_BUSINESS_TAX, S_PROPERTY_TAX)


@njit(cache=True, inline="always")
def _row(r):
    """Offset of row ``r`` of a lane group's workspace (``LANES`` per row)."""
    # Unsigned: a signed index gets a negative-index select that keeps LLVM from
    # seeing the access as affine, and the loop is not vectorised.
    return np.uint64(r * LANES)


#: Workspace length of one lane group (its rows; groups follow one another, so
#: a group's rows are at constant offsets from its start).
_GROUP = _N_ROWS * LANES


@njit(cache=True)
def _load_lanes(P, rates, quick_ded, business_rates, business_quick_ded, W):
    """Write every scenario of the block into the parameter rows of ``W``.

    Lane ``s`` of group ``g`` is scenario ``g * LANES + s``; lanes past the last
    scenario repeat it, so every lane holds numbers and the loops run whole
    vectors of lanes (no remainder loop).
    """
    columns = (
        (_RATE, L.CONTRIBUTION_RATE),
        (_FLOOR, L.BASE_FLOOR),
        (_CEILING, L.BASE_CEILING),
        (_BASIC, L.BASIC_DEDUCTION),
        (_EDUCATION, L.CHILD_EDUCATION),
        (_INFANT, L.INFANT_CARE),
        (_ELDERLY, L.ELDERLY_SUPPORT),
        (_SHARE, L.ELDERLY_SUPPORT_SHARE),
        (_MAX_AGE, L.CHILD_ALLOWANCE_MAX_AGE),
        (_RESIDENTS, L.RESIDENTS_PENSION),
        (_ALLOWANCE, L.CHILD_ALLOWANCE),
        (_LINE, L.DIBAO_LINE),
        (_TAKE_UP, L.DIBAO_TAKE_UP),
    )
    S = P.shape[0]
    for lane in range(W.shape[0] // _GROUP * LANES):
        g0 = lane // LANES * _GROUP
        s = lane % LANES
        q = min(lane, S - 1)
        p = P[q]
        for row, k in columns:
            W[g0 + row * LANES + s] = p[k]
        W[g0 + _PROPERTY_RATE * LANES + s] = property_tax_rate(p)
        W[g0 + _GROWTH * LANES + s] = 1.0 + p[L.GROWTH_RATE]
        for t in range(3):
            W[g0 + (_MINIMUM_WAGE + t) * LANES + s] = p[L.MINIMUM_WAGE_TIER1 + t]
        for base, lines in (
            (_RATES, rates[q]),
            (_QUICK, quick_ded[q]),
            (_BUSINESS_RATES, business_rates[q]),
            (_BUSINESS_QUICK, business_quick_ded[q]),
        ):
            k_last = lines.shape[0] - 1
            for k in range(KMAX):
                W[g0 + (base + k) * LANES + s] = lines[min(k, k_last)]


# Not inline="always": inlined by Numba, its loop over the lines stayed a loop
# when LLVM's vectoriser ran, so the lane loop calling it was not innermost and
# ran scalar (a tax-lever pass took 1.4 times as long). LLVM inlines it anyway and
# unrolls the lines first.
@njit(cache=True)
def _lines_tax(W, g0, base, quick, x, s):
    """``convex_schedule_tax`` of ``x`` with the KMAX lines of a lane."""
    t = 0.0
    for k in range(KMAX):
        t = max(t, W[g0 + _row(base + k) + s] * x - W[g0 + _row(quick + k) + s])
    return t


@njit(cache=True)
def _same_in_every_lane(W, n_groups, rows):
    """Whether each of ``rows`` holds one value in every lane of every group."""
    for r in rows:
        first = W[r * LANES]
        for g in range(n_groups):
            for s in range(LANES):
                if W[g * _GROUP + r * LANES + s] != first:
                    return False
    return True


@njit(cache=True)
def _shared_stages(W, n_groups, wage_lanes):
    """Which person stages every lane of the block computes alike.

    ``(levies, business, income_tax)``: the property tax, residents' pension
    and child allowance (their parameters are the same in every lane); the
    business tax (its schedule and the basic deduction are, and whether an
    adjusted wage is 0 does not depend on the lane: wage lanes then need growth
    factors above 0.5, with which no wage other than 0 becomes 0); the
    contributions and income tax (the wages, contribution parameters,
    deductions and income-tax schedule are: a property or business-tax lever).
    ``_lanes_chunk`` then computes those stages once per person, the same
    operations in the same order as every lane would, so the same bits.
    """
    levies = _same_in_every_lane(W, n_groups, (_PROPERTY_RATE, _RESIDENTS, _MAX_AGE))
    business = _same_in_every_lane(W, n_groups, (_BASIC,))
    for k in range(KMAX):
        business &= _same_in_every_lane(
            W, n_groups, (_BUSINESS_RATES + k, _BUSINESS_QUICK + k)
        )
    income_tax = wage_lanes is None and _same_in_every_lane(
        W,
        n_groups,
        (_RATE, _FLOOR, _CEILING, _BASIC, _EDUCATION, _INFANT, _ELDERLY, _SHARE),
    )
    for k in range(KMAX):
        income_tax &= _same_in_every_lane(W, n_groups, (_RATES + k, _QUICK + k))
    if wage_lanes is not None:
        for g in range(n_groups):
            for s in range(LANES):
                business &= W[g * _GROUP + _GROWTH * LANES + s] > 0.5
    return levies, business, income_tax


@njit(cache=True, inline="always")
def _lane_wage(W, g0, s, wage, employed):
    """``adjusted_wage`` of ``wage`` under lane ``s``'s growth and minimum wage.

    Recomputed where needed (a multiply and a maximum) rather than kept per
    person and lane, which would take a household-sized block of rows.
    """
    return adjusted_wage(
        wage,
        W[g0 + _row(_GROWTH) + s],
        employed,
        W[g0 + _row(_HOUSEHOLD_MINIMUM) + s],
    )


# NumPy's error model: Python's raises on a division by zero (never here: every
# household has a person), and those exits keep the lane loops from vectorising.
@njit(cache=True, error_model="numpy")
def _lanes_chunk(
    n_groups,
    n_households,
    h0,
    starts,
    ends,
    size,
    age,
    is_employed,
    business,
    property_income,
    pension,
    weight,
    is_urban,
    city,
    band_edges,
    three_person,
    flows,
    counts_education,
    counts_infant,
    counts_allowance,
    p_wage,
    p_draw,
    p_best,
    p_business_taxable,
    W,
    city_sums,
    per_capita,
    tier,
    lane_wages,
    wage_lanes,
    active,
    shared_levies,
    shared_business,
    shared_income_tax,
):
    """All lane groups of workspace ``W`` over one chunk of ``n_households``.

    ``flows`` rows 0-3 (market incomes) and the person stages ``p_*`` are the
    chunk's invariant ones (``_precompute``). Leaves the chunk sums of the varying
    statistics in each group's ``_A`` rows and the cities' disposable incomes in
    ``city_sums[(g * n_cities + c) * LANES + s]``, and in ``per_capita[i * n_lanes
    + g * LANES + s]`` the per-capita disposable income of household ``i``.

    ``lane_wages``: the chunk's persons' wages. ``wage_lanes``: None when the
    wage parameters are the same in every lane (``p_wage``, ``p_best`` and
    ``flows`` row 0 hold); otherwise any other value, and each lane adjusts the
    wages, finds its best earner and sums its wages (row ``_A_WAGE``), as
    ``household_flows`` does. Numba compiles the two cases apart (a None
    argument's branches are pruned), so the first runs none of the second's code.
    The wages are an array in both: an Optional array (``None if ... else
    wages``) is tested inside the lane loops, which then stayed scalar (a wage
    lever's pass took 1.5 times as long).

    ``shared_levies``, ``shared_business``, ``shared_income_tax``:
    :func:`_shared_stages` of ``W``; the stages they name are computed once per
    chunk or person, not per lane: the levies are ``flows`` rows 7 and 9 and
    ``counts_allowance``, the business tax is taxed once per person from
    ``p_business_taxable``, the contributions and income tax once per person
    with lane 0's parameters (``wage_lanes`` is then None).

    ``active``: the lanes computed per group, ``LANES`` or, in a block of fewer
    scenarios, the scenarios rounded up to whole vectors of 4 (a block of 6
    computed 24 lanes); the other lanes are neither written nor read.
    """
    n_lanes = n_groups * LANES
    n_cities = city_sums.shape[0] // n_lanes
    for g in range(n_groups):
        g0 = np.uint64(g * _GROUP)
        for r in range(_A, _N_ROWS):
            for s in range(active):
                W[g0 + _row(r) + s] = 0.0
    city_sums[:] = 0.0
    low1, high1, low2, high2 = (
        band_edges[0],
        band_edges[1],
        band_edges[2],
        band_edges[3],
    )
    for i in range(n_households):
        h = np.uint64(h0 + i)
        n_education = counts_education[i]
        n_infant = counts_infant[i]
        for g in range(n_groups):
            g0 = np.uint64(g * _GROUP)
            for s in range(active):
                W[g0 + _row(_CHILD) + s] = child_deduction_of(
                    n_education,
                    n_infant,
                    W[g0 + _row(_EDUCATION) + s],
                    W[g0 + _row(_INFANT) + s],
                )
                W[g0 + _row(_CONTRIBUTIONS) + s] = 0.0
                W[g0 + _row(_IIT) + s] = 0.0
                W[g0 + _row(_BUSINESS_TAX) + s] = 0.0
                W[g0 + _row(_PROPERTY_TAX) + s] = 0.0
                W[g0 + _row(_RESIDENTS_PENSION) + s] = 0.0
                W[g0 + _row(_N_ALLOWANCE) + s] = 0.0
        # The shared business tax's household sum (see _shared_stages), in
        # person order from 0.0 as the lanes add it.
        shared_business_tax = 0.0
        # The same for the shared contributions and income tax.
        shared_contributions = 0.0
        shared_iit = 0.0
        if wage_lanes is not None:
            # The tier's row offset as an unsigned whole: a signed one is
            # checked for wrap-around per lane, and the loop ran scalar (a fifth
            # of a wage lever's pass). The int8 tier is widened first: as
            # Python (no JIT), the offset overflowed int8.
            minimum = _row(_MINIMUM_WAGE + np.int64(tier[h]))
            for g in range(n_groups):
                g0 = np.uint64(g * _GROUP)
                for s in range(active):
                    W[g0 + _row(_HOUSEHOLD_MINIMUM) + s] = W[g0 + minimum + s]
                    W[g0 + _row(_WAGE_SUM) + s] = 0.0
                    W[g0 + _row(_BEST_WAGE) + s] = -1.0
                    W[g0 + _row(_BEST) + s] = -1.0
                    W[g0 + _row(_BEST_KEY) + s] = -1.0
        # The best earner per lane, only where there are children: elsewhere
        # the child deduction is 0.0 whoever takes it.
        if wage_lanes is not None and n_education + n_infant > 0:
            for j in range(starts[i], ends[i]):
                wj = lane_wages[j]
                employed = is_employed[j]
                a = age[j]
                key = earner_key(a, employed)
                for g in range(n_groups):
                    g0 = np.uint64(g * _GROUP)
                    for s in range(active):
                        w = _lane_wage(W, g0, s, wj, employed)
                        (
                            W[g0 + _row(_BEST) + s],
                            W[g0 + _row(_BEST_WAGE) + s],
                            W[g0 + _row(_BEST_KEY) + s],
                        ) = earner_step(
                            float(j),
                            w,
                            a,
                            key,
                            W[g0 + _row(_BEST) + s],
                            W[g0 + _row(_BEST_WAGE) + s],
                            W[g0 + _row(_BEST_KEY) + s],
                        )
        for j in range(starts[i], ends[i]):
            employed = is_employed[j]
            w = p_wage[j]
            a = age[j]
            draw = p_draw[j]
            best = p_best[j]
            b = business[j]
            pr = property_income[j]
            p = pension[j]
            # A person without wage pays no contribution (0.0) and has a
            # taxable income <= 0, taxed 0.0 (rates and quick deductions are >= 0
            # in a convex schedule); one without positive business income owes no
            # business tax. Adding those zeros to sums that start at 0.0 changes
            # no bit, so the lanes skip them (most persons have one or neither).
            # With wage lanes a zero wage is a zero adjusted wage in every lane.
            # Shared: written out for lane 0's parameters, not the lane loop
            # below run for one lane, with which that loop ran scalar for every
            # lever (a wage lever's bracketed sweep took 9.5 s instead of 3.7).
            if shared_income_tax and w > 0.0:
                c = person_contribution(
                    w,
                    employed,
                    W[_row(_RATE)],
                    W[_row(_FLOOR)],
                    W[_row(_CEILING)],
                )
                claims = claims_elderly_support(w, a, draw, W[_row(_SHARE)])
                deductions = person_deductions(
                    W[_row(_BASIC)], W[_row(_CHILD)], best, W[_row(_ELDERLY)], claims
                )
                shared_contributions += c
                shared_iit += _lines_tax(
                    W, np.uint64(0), _RATES, _QUICK,
                    taxable_income(w, c, deductions), np.uint64(0),
                )  # fmt: skip
            elif (w > 0.0) if wage_lanes is None else (lane_wages[j] != 0.0):
                for g in range(n_groups):
                    g0 = np.uint64(g * _GROUP)
                    for s in range(active):
                        w_s = w
                        best_s = best
                        if wage_lanes is not None:
                            w_s = _lane_wage(W, g0, s, lane_wages[j], employed)
                            best_s = W[g0 + _row(_BEST) + s] == j
                            # In person order; a zero wage adds 0.0 to a sum
                            # that starts at 0.0, which changes no bit.
                            W[g0 + _row(_WAGE_SUM) + s] += w_s
                        c = person_contribution(
                            w_s,
                            employed,
                            W[g0 + _row(_RATE) + s],
                            W[g0 + _row(_FLOOR) + s],
                            W[g0 + _row(_CEILING) + s],
                        )
                        claims = claims_elderly_support(
                            w_s, a, draw, W[g0 + _row(_SHARE) + s]
                        )
                        deductions = person_deductions(
                            W[g0 + _row(_BASIC) + s],
                            W[g0 + _row(_CHILD) + s],
                            best_s,
                            W[g0 + _row(_ELDERLY) + s],
                            claims,
                        )
                        W[g0 + _row(_CONTRIBUTIONS) + s] += c
                        W[g0 + _row(_IIT) + s] += _lines_tax(
                            W,
                            g0,
                            _RATES,
                            _QUICK,
                            taxable_income(w_s, c, deductions),
                            s,
                        )
            if b > 0.0 and shared_business:
                shared_business_tax += _lines_tax(
                    W, np.uint64(0), _BUSINESS_RATES, _BUSINESS_QUICK,
                    p_business_taxable[j], np.uint64(0),
                )  # fmt: skip
            elif b > 0.0:
                for g in range(n_groups):
                    g0 = np.uint64(g * _GROUP)
                    for s in range(active):
                        w_s = w
                        if wage_lanes is not None:
                            w_s = _lane_wage(W, g0, s, lane_wages[j], employed)
                        W[g0 + _row(_BUSINESS_TAX) + s] += _lines_tax(
                            W,
                            g0,
                            _BUSINESS_RATES,
                            _BUSINESS_QUICK,
                            business_taxable(b, w_s, W[g0 + _row(_BASIC) + s]),
                            s,
                        )
            # Shared levies: the chunk's own (_precompute), set below.
            for g in range(0 if shared_levies else n_groups):
                g0 = np.uint64(g * _GROUP)
                for s in range(active):
                    W[g0 + _row(_PROPERTY_TAX) + s] += (
                        W[g0 + _row(_PROPERTY_RATE) + s] * pr
                    )
                    W[g0 + _row(_RESIDENTS_PENSION) + s] += residents_pension_amount(
                        a, p, employed, W[g0 + _row(_RESIDENTS) + s]
                    )
                    W[g0 + _row(_N_ALLOWANCE) + s] += (
                        1.0
                        if is_allowance_child(a, W[g0 + _row(_MAX_AGE) + s])
                        else 0.0
                    )
        # The shared stages' sums, the same in every lane.
        if shared_levies:
            for g in range(n_groups):
                g0 = np.uint64(g * _GROUP)
                for s in range(active):
                    W[g0 + _row(_PROPERTY_TAX) + s] = flows[7, i]
                    W[g0 + _row(_RESIDENTS_PENSION) + s] = flows[9, i]
                    W[g0 + _row(_N_ALLOWANCE) + s] = counts_allowance[i]
        if shared_business:
            for g in range(n_groups):
                g0 = np.uint64(g * _GROUP)
                for s in range(active):
                    W[g0 + _row(_BUSINESS_TAX) + s] = shared_business_tax
        if shared_income_tax:
            for g in range(n_groups):
                g0 = np.uint64(g * _GROUP)
                for s in range(active):
                    W[g0 + _row(_CONTRIBUTIONS) + s] = shared_contributions
                    W[g0 + _row(_IIT) + s] = shared_iit
        n_persons = size[i]
        market = market_income(flows[0, i], flows[1, i], flows[2, i], flows[3, i])
        wt = weight[h]
        u = 1.0 if is_urban[h] else 0.0
        for g in range(n_groups):
            g0 = np.uint64(g * _GROUP)
            for s in range(active):
                m = market
                if wage_lanes is not None:
                    m = market_income(
                        W[g0 + _row(_WAGE_SUM) + s],
                        flows[1, i],
                        flows[2, i],
                        flows[3, i],
                    )
                contributions = W[g0 + _row(_CONTRIBUTIONS) + s]
                iit = W[g0 + _row(_IIT) + s]
                business_tax = W[g0 + _row(_BUSINESS_TAX) + s]
                property_tax = W[g0 + _row(_PROPERTY_TAX) + s]
                residents = W[g0 + _row(_RESIDENTS_PENSION) + s]
                child_allowance = (
                    W[g0 + _row(_N_ALLOWANCE) + s] * W[g0 + _row(_ALLOWANCE) + s]
                )
                add = _lane_increments(
                    m,
                    after_levies(m, contributions, iit, business_tax, property_tax),
                    residents,
                    child_allowance,
                    contributions,
                    iit,
                    business_tax,
                    property_tax,
                    n_persons,
                    W[g0 + _row(_LINE) + s],
                    W[g0 + _row(_TAKE_UP) + s],
                    wt,
                    u,
                    three_person,
                    low1,
                    high1,
                    low2,
                    high2,
                )
                for a in range(len(LANE_SUMS)):
                    W[g0 + _row(_A + a) + s] += add[a]
                W[g0 + _row(_A_CONTRIBUTIONS) + s] += wt * contributions
                W[g0 + _row(_A_IIT) + s] += wt * iit
                W[g0 + _row(_A_BUSINESS_TAX) + s] += wt * business_tax
                W[g0 + _row(_A_PROPERTY_TAX) + s] += wt * property_tax
                if wage_lanes is not None:
                    W[g0 + _row(_A_WAGE) + s] += wt * W[g0 + _row(_WAGE_SUM) + s]
                W[g0 + _row(_WD) + s] = add[0]
                W[g0 + _row(_PER_CAPITA) + s] = add[len(LANE_SUMS)]
        # Apart, so that the loops above write one array only (see the module).
        c0 = np.uint64(city[h]) * np.uint64(LANES)
        pc0 = np.uint64(i * n_lanes)
        for g in range(n_groups):
            g0 = np.uint64(g * _GROUP)
            cg = np.uint64(g * n_cities * LANES) + c0
            for s in range(active):
                city_sums[cg + s] += W[g0 + _row(_WD) + s]
            pg = pc0 + np.uint64(g * LANES)
            for s in range(active):
                per_capita[pg + s] = W[g0 + _row(_PER_CAPITA) + s]


@njit(cache=True)
def _contiguous(starts, ends):
    """Whether each household's persons follow the previous household's."""
    for h in range(1, starts.shape[0]):  # noqa: SIM110 (Numba: no generators)
        if starts[h] != ends[h - 1]:
            return False
    return True


@njit(cache=True)
def _chunk_persons(
    contiguous,
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
    """The persons of households ``h0:h1`` with chunk-local ranges in ``gathered``.

    Persons already in household order (``contiguous``) are read in place: the
    copy of ``_gather`` cost 6 ms a pass at 1e6 households. Returns the six person
    arrays (age, employment, wage, business, property, pension) of the chunk.
    """
    if not contiguous:
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
        return (
            gathered[3],
            gathered[4],
            gathered[5],
            gathered[6],
            gathered[7],
            (gathered[8]),
        )
    l_starts, l_ends, l_size = gathered[0], gathered[1], gathered[2]
    p0 = starts[h0]
    p1 = ends[h1 - 1]
    for i in range(h1 - h0):
        l_starts[i] = starts[h0 + i] - p0
        l_ends[i] = ends[h0 + i] - p0
        l_size[i] = ends[h0 + i] - starts[h0 + i]
    return (
        age[p0:p1],
        is_employed[p0:p1],
        wage[p0:p1],
        business[p0:p1],
        property_income[p0:p1],
        pension[p0:p1],
    )


@njit(cache=True, parallel=True)
def lanes_sweep(
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
    rates,
    quick_ded,
    business_rates,
    business_quick_ded,
    band_edges,
    three_person,
    write_pc,
    per_capita_out,
    start_sums,
    start_comps,
    wage_lanes=None,
):
    """``sweep_pass`` at level C, T or W with the scenarios as lanes.

    Preconditions: those of :func:`~commonprosperity._kernels.sweep.sweep_pass`
    at level C or T (wage parameters equal in every row; ``wage_lanes`` None) or
    at level W (``wage_lanes`` any value but None), every row's schedules
    convex (``L.SCHEDULE_CONVEX`` and ``L.BUSINESS_SCHEDULE_CONVEX`` set) with at
    most ``KMAX`` lines. Threads take runs of chunks; per chunk the invariant
    stages run once (``_precompute``), then every scenario, ``LANES`` at a time.
    The chunk sums are folded in chunk order per scenario afterwards.

    Returns ``(sums, comps)`` as ``sweep_pass``, bit for bit.
    """
    n = weight.shape[0]
    S = P.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    n_groups = (S + LANES - 1) // LANES
    n_lanes = n_groups * LANES
    # Lanes computed per group: all of them, or in a block of fewer scenarios
    # than LANES only whole vectors of them.
    active = np.uint64(LANES if S >= LANES else -(-S // 4) * 4)
    most = _most_persons(starts, ends)
    contiguous = _contiguous(starts, ends)
    parts = np.empty((n_chunks, S, n_stats))
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        gathered, stages = _chunk_buffers(most, age, is_employed)
        l_starts, l_ends, l_size = gathered[:3]
        flows, counts, p_wage, p_draw, p_best, p_taxable, p_business_taxable = stages
        # On cache lines: every row of W is a whole number of lines, and the
        # lane loops read and write them as whole vectors.
        W = aligned_zeros(n_groups * _GROUP)
        _load_lanes(P, rates, quick_ded, business_rates, business_quick_ded, W)
        shared_levies, shared_business, shared_income_tax = _shared_stages(
            W, n_groups, wage_lanes
        )
        city_sums = aligned_zeros(n_cities * n_lanes)
        invariant = np.zeros(n_stats)
        per_capita = aligned_empty(CHUNK * n_lanes)
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
            c_age, c_employed, c_wage, c_business, c_property, c_pension = (
                _chunk_persons(
                    contiguous,
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
            )
            _precompute(
                h0,
                h1,
                l_starts,
                l_ends,
                household_id,
                tier,
                c_age,
                c_employed,
                c_wage,
                c_business,
                c_property,
                c_pension,
                P[0],
                flows,
                counts,
                p_wage,
                p_draw,
                p_best,
                p_taxable,
                p_business_taxable,
                wage_lanes is not None,
            )
            _lanes_chunk(
                n_groups,
                h1 - h0,
                h0,
                l_starts,
                l_ends,
                l_size,
                c_age,
                c_employed,
                c_business,
                c_property,
                c_pension,
                weight,
                is_urban,
                city,
                band_edges,
                three_person,
                flows,
                counts[C_EDUCATION],
                counts[C_INFANT],
                counts[C_ALLOWANCE],
                p_wage,
                p_draw,
                p_best,
                p_business_taxable,
                W,
                city_sums,
                per_capita,
                tier,
                c_wage,
                wage_lanes,
                active,
                shared_levies,
                shared_business,
                shared_income_tax,
            )
            # The sums every lane shares (households, persons, market incomes):
            # _accumulate's own. flows rows 0-3 are the chunk's; rows 4, 7 and 9
            # are _precompute's and the others hold zeros, and the sums they
            # feed are the lanes' (set below).
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
                invariant,
                False,
                invariant,
            )
            for s in range(S):
                g0 = s // LANES * _GROUP
                lane = s % LANES
                row = parts[c, s]
                for k in range(n_stats):
                    row[k] = invariant[k]
                for q in range(len(_A_STATS)):
                    row[_A_STATS[q]] = W[g0 + (_A + q) * LANES + lane]
                if wage_lanes is not None:
                    row[S_WAGE] = W[g0 + _A_WAGE * LANES + lane]
                for k in range(n_cities):
                    row[N_STATS + 2 * k] = city_sums[
                        (s // LANES * n_cities + k) * LANES + lane
                    ]
                if write_pc:
                    out = per_capita_out[s]
                    for i in range(h1 - h0):
                        out[h0 + i] = per_capita[i * n_lanes + s]
    return fold_chunk_parts(parts, start_sums, start_comps)
