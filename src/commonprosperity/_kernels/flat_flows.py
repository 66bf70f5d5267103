"""A chunk's household flows computed person by person in vector loops (pure Numba).

:func:`~commonprosperity._kernels.simulate.chunk_flows` calls
:func:`~commonprosperity._kernels.rules.household_flows` once per household: a
scalar loop over each household's persons. Here the same stage functions run over
all persons of a chunk at once, in loops without data-dependent branches or
gathers, which LLVM turns into SIMD code; only what needs the household (the best
earner of households with children, the household sums) is done per household.
Every flow is bit for bit the one of ``household_flows``: the same stage functions
on the same values, household sums added person by person in person order from
0.0, and the tax of a convex schedule as the largest of its bracket lines (and 0),
which is the value ``convex_schedule_tax`` computes (a maximum is exact in any
order).

It applies when both tax schedules are convex with at most ``MAX_BRACKETS``
brackets (:func:`applies`): ``simulate`` then runs :func:`aggregate_pass`, the
same totals as :func:`commonprosperity._kernels.simulate.aggregate_pass` bit for
bit (the same chunks, the same accumulation; whole chunks four at a time,
side by side: ``lane_sums``), and that one otherwise. It is a
kernel of its own, not a branch of the other: compiled together, their first call
took 15 s instead of 6. On the development machine (znver4, 2 threads; the
benchmarks' population, 2021 scenarios; fastest of alternated runs) the pass took
28 ms instead of 35 at 1e6 households and 254 ms instead of 343 at 1e7. With
the sums side by side and the households with children listed first, 163 ms
instead of 234 at 1e7 (znver5, AVX-512; ``python -m benchmarks --only simulate
--sizes 1e7``, "rules pass" row); with the best earner looked for only where
someone is taxable, and the flows, running counts and minimum wages stored where
the scalar loops need one base register for them (a profile showed those loops
reloading spilled pointers at every person), 157 ms; the household pass, measured
in the same run, 244 ms. With chunks of 1,024 households, the lanes' dibao formed
side by side (``lane_sums.lane_dibao``) and the running counts packed in one
integer, 13.1-13.3 ms instead of 16.3-16.6 at 1e6 households (znver5, alternated
runs of the pass alone).
"""

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import layout as L
from commonprosperity._kernels.lane_sums import (
    LANES,
    ROW,
    SPAN,
    dibao_at,
    flows_of_lane,
    lane_dibao,
    lane_sums,
    lane_workspace,
    load_households,
    store_lanes,
)
from commonprosperity._kernels.rules import (
    MAX_UNROLLED_BRACKETS,
    adjusted_wage,
    bracket_line,
    business_taxable,
    child_deduction,
    claims_elderly_support,
    earner_key,
    earner_step,
    elderly_claim_draw,
    is_allowance_child,
    is_education_child,
    is_infant,
    largest_of_eight_lines,
    person_contribution,
    property_tax_rate,
    residents_pension_amount,
)
from commonprosperity._kernels.simulate import (
    CHUNK,
    N_STATS,
    TASKS,
    _accumulate,
    neumaier_column_sums,
)

#: The unrolled schedule (``largest_of_eight_lines``) has eight bracket lines.
MAX_BRACKETS = MAX_UNROLLED_BRACKETS

# The float work rows (one value per person of the chunk; work_buffers).
_W = 0  # adjusted wage
_C = 1  # contributions
_ELDERLY = 2  # elderly-support deduction claimed (0 if none)
_BUSINESS_TAX = 3
_IIT = 4
_RESIDENTS_PENSION = 5
_CHILD_DEDUCTION = 6  # the household's child deductions, on its best earner only
_MINIMUM_WAGE = 7  # annual minimum wage of the person's household
_HOUSEHOLD_MINIMUM = 8  # the same, one entry per household of the chunk
# The integer work rows (the running counts: one more than persons).
_HOUSEHOLD = 0  # the person's household, 0-based in the chunk
_START = 1  # 1 where a household's persons begin
_HOUSEHOLD_ID = 2
_WITH_CHILDREN = 3  # the chunk's households whose best earner matters (m at most)
# Four running counts a person, packed in one integer of row ``_COUNTS`` (a
# field of ``_FIELD`` bits each: a household's counts are the fields of the
# difference at its two ends, exact for households of fewer than 2**16 persons,
# Population's at most 100, even where the packed sums wrap around). One running
# sum and store a person instead of four, its steps formed in a vector loop: the
# pass took 13.6-13.9 ms instead of 14.4-14.7 at 1e6 households.
_COUNTS = 4
_STEP = 5  # a person's addition to the running counts
_FIELD = 16
_EDUCATION = 0  # children 3-17
_INFANT = 1  # children under 3
_ALLOWANCE = 2  # children with an allowance
_TAXED = 3  # persons taxable without a child deduction


@njit(cache=True, inline="always")
def _household_count(counts, a0, a1, which):
    """Count ``which`` of the household of persons ``a0:a1`` (chunk-local)."""
    both = counts[np.uint64(a1)] - counts[np.uint64(a0)]
    return (both >> (_FIELD * which)) & ((1 << _FIELD) - 1)


@njit(cache=True, inline="always")
def _kept(running, keep):
    """``running`` where ``keep`` is -1 (all bits set), +0.0 where it is 0.

    A household's running sums restart at its first person. Written as
    ``0.0 if first else running``, LLVM compiled the nine restarts to a branch
    that mispredicted at about every household (a tenth of the pass); masking
    the bits has none. ``+0.0 + x`` is the sum that starts at 0.0.
    """
    return np.int64(np.float64(running).view(np.int64) & keep).view(np.float64)


@njit(cache=True)
def applies(params, rates, business_rates):
    """Whether both schedules are convex with 1 to ``MAX_BRACKETS`` brackets.

    Convex: non-decreasing rates (the flags of ``Scenario.as_arrays``), each
    at least 0, so that the quick deductions are too and no bracket line is
    positive at a taxable income <= 0, where ``household_flows`` taxes nothing.
    ``Scenario`` ensures the last two; a caller building arguments by hand may not.
    The two passes agree bit for bit for finite parameters, as ``Scenario``'s
    are: a NaN or infinite taxable income from hand-built ones (a NaN deduction,
    an infinite one against a 0 % line) is taxed 0.0 by ``household_flows``,
    which taxes only incomes above 0, and NaN by the largest bracket line.
    """
    ok = (
        params[L.SCHEDULE_CONVEX] > 0.0
        and params[L.BUSINESS_SCHEDULE_CONVEX] > 0.0
        and 1 <= rates.shape[0] <= MAX_BRACKETS
        and 1 <= business_rates.shape[0] <= MAX_BRACKETS
    )
    for r in rates:
        ok &= r >= 0.0
    for r in business_rates:
        ok &= r >= 0.0
    return ok


@njit(cache=True)
def work_buffers(capacity):
    """Float and integer work rows for chunks of up to ``capacity`` persons.

    Each row has ``capacity + 1`` entries (the running counts one past the last
    person). Separate arrays, not the rows of one: the person loops were a sixth
    slower on rows of one array.
    """
    size = capacity + 1
    floats = (
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
        np.empty(size),
    )
    ints = (
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
    )
    return floats, ints


@njit(cache=True, inline="always")
def _at(k, i, lane):
    """Index of flow ``k`` of household ``i`` in a lane workspace (``lane_sums``)."""
    # Constant row offsets: one base register serves the stores of every flow
    # (as rows of a 2-D view each took a base register of its own, spilled to
    # the stack and reloaded at every person).
    return np.uint64(k * ROW) + np.uint64(i * LANES + lane)


@njit(cache=True)
def flat_chunk_flows(
    h0,
    h1,
    starts,
    ends,
    household_id,
    city,
    is_urban,
    tier_cells,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    rates,
    quick_ded,
    business_rates,
    business_quick_ded,
    out,
    lane,
    fwork,
    iwork,
    with_dibao,
):
    """:func:`~commonprosperity._kernels.simulate.chunk_flows`, person-vectorised.

    Preconditions: :func:`applies` holds for the schedules; households ``h0:h1``
    are non-empty, each one's persons ``starts[i]:ends[i]`` following the previous
    one's, at most ``CHUNK`` of them, and no more persons than the work buffers'
    capacity (:func:`work_buffers`). Lane ``lane`` of the lane workspace ``out``
    (``lane_sums``' layout: column ``h - h0`` of ``flows_of_lane(out, lane)``)
    receives household ``h``'s tuple of ``household_flows``, bit for bit, with
    household ``h``'s tier ``tier_cells[2 * city[h] + is_urban[h]]`` (the tier
    table, raveled); nothing else of ``out`` is written. Without ``with_dibao``
    the dibao (row 8) is not written either: :func:`lane_sums.lane_dibao` forms
    it for all lanes at once. Households have fewer than 2**16 persons (the
    packed running counts; Population allows 100).
    """
    m = h1 - h0
    p0 = starts[0]
    n_p = ends[m - 1] - p0
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
    allowance = params[L.CHILD_ALLOWANCE]
    r0, q0 = bracket_line(rates, quick_ded, 0)
    r1, q1 = bracket_line(rates, quick_ded, 1)
    r2, q2 = bracket_line(rates, quick_ded, 2)
    r3, q3 = bracket_line(rates, quick_ded, 3)
    r4, q4 = bracket_line(rates, quick_ded, 4)
    r5, q5 = bracket_line(rates, quick_ded, 5)
    r6, q6 = bracket_line(rates, quick_ded, 6)
    r7, q7 = bracket_line(rates, quick_ded, 7)
    s0, b0 = bracket_line(business_rates, business_quick_ded, 0)
    s1, b1 = bracket_line(business_rates, business_quick_ded, 1)
    s2, b2 = bracket_line(business_rates, business_quick_ded, 2)
    s3, b3 = bracket_line(business_rates, business_quick_ded, 3)
    s4, b4 = bracket_line(business_rates, business_quick_ded, 4)
    s5, b5 = bracket_line(business_rates, business_quick_ded, 5)
    s6, b6 = bracket_line(business_rates, business_quick_ded, 6)
    s7, b7 = bracket_line(business_rates, business_quick_ded, 7)
    w_ = fwork[_W]
    c_ = fwork[_C]
    elderly_ = fwork[_ELDERLY]
    bt_ = fwork[_BUSINESS_TAX]
    iit_ = fwork[_IIT]
    rp_ = fwork[_RESIDENTS_PENSION]
    child_ = fwork[_CHILD_DEDUCTION]
    mw_ = fwork[_MINIMUM_WAGE]
    hh_ = iwork[_HOUSEHOLD]
    start_ = iwork[_START]
    id_ = iwork[_HOUSEHOLD_ID]
    with_ = iwork[_WITH_CHILDREN]
    counts_ = iwork[_COUNTS]
    step_ = iwork[_STEP]
    hmw_ = fwork[_HOUSEHOLD_MINIMUM]
    # Indices are unsigned throughout: a signed index may be negative, and
    # Numba's wrap-around for it turns contiguous loads into gathers (no SIMD).

    # Each person's household: marks at the households' first persons, counted.
    for j in range(n_p):
        start_[np.uint64(j)] = 0
    for i in range(1, m):
        start_[np.uint64(starts[i] - p0)] = 1
    k = 0
    for j in range(n_p):
        u = np.uint64(j)
        k += start_[u]
        hh_[u] = k
    start_[0] = 1
    # What the rules need of the household, copied to the person (the loops below
    # then read contiguous rows only). The minimum wage once per household, from
    # its tier in its cell's entry (no array of tiers to derive first): loads of
    # bytes by index do not vectorise, so the person loop gathers 8-byte values.
    for i in range(m):
        h = np.uint64(h0 + i)
        cell = np.uint64(2 * city[h] + (1 if is_urban[h] else 0))
        hmw_[np.uint64(i)] = params[np.uint64(L.MINIMUM_WAGE_TIER1 + tier_cells[cell])]
    for j in range(n_p):
        u = np.uint64(j)
        own = np.uint64(hh_[u])
        mw_[u] = hmw_[own]
        id_[u] = household_id[np.uint64(h0) + own]
    for j in range(n_p):
        u = np.uint64(j)
        p = np.uint64(p0 + j)
        employed = is_employed[p]
        w = adjusted_wage(wage[p], growth, employed, mw_[u])
        a = age[p]
        w_[u] = w
        c_[u] = person_contribution(
            w, employed, contribution_rate, base_floor, base_ceiling
        )
        claims = claims_elderly_support(
            w, a, elderly_claim_draw(id_[u], a), elderly_share
        )
        elderly_[u] = elderly if claims else 0.0
        bt_[u] = largest_of_eight_lines(
            business_taxable(business[p], w, basic),
            s0, s1, s2, s3, s4, s5, s6, s7,
            b0, b1, b2, b3, b4, b5, b6, b7,
        )  # fmt: skip
        rp_[u] = residents_pension_amount(a, pension[p], employed, residents_amount)
        child_[u] = 0.0
    # Running counts of children and of persons taxable without a child deduction
    # (exact integers): a household's count is the difference at its two ends.
    for j in range(n_p):
        u = np.uint64(j)
        a = age[np.uint64(p0 + j)]
        # The taxable income of the person with no child deduction (below):
        # person_deductions and taxable_income written out, as in the tax loop
        # (elderly_ holds the claimed amount, 0.0 if none).
        deductions = basic + 0.0
        deductions += elderly_[u]
        taxed = 1 if w_[u] - c_[u] - deductions > 0.0 else 0
        step_[u] = (
            (1 if is_education_child(a) else 0)
            + ((1 if is_infant(a) else 0) << (_FIELD * _INFANT))
            + ((1 if is_allowance_child(a, max_age) else 0) << (_FIELD * _ALLOWANCE))
            + (taxed << (_FIELD * _TAXED))
        )
    # The running sum apart: a scan does not vectorise, the steps above do.
    packed = 0
    for j in range(n_p):
        u = np.uint64(j)
        counts_[u] = packed
        packed += step_[u]
    counts_[np.uint64(n_p)] = packed
    # Who takes the child deductions matters only if someone of the household
    # is taxable without them. Otherwise each person's taxable income is <= 0
    # (or NaN) and stays so with them (amounts >= 0 only lower it: rounding is
    # monotone), taxed 0.0 by household_flows' convex schedule either way: the
    # household's tax sum is the same bits. Negative amounts (hand-built
    # arguments; Scenario refuses them) keep every household in. A third of the
    # benchmarks' households have children, an eighth children and someone
    # taxable.
    any_taxed = (
        0
        if ((params[L.CHILD_EDUCATION] >= 0.0) & (params[L.INFANT_CARE] >= 0.0))
        else 1
    )
    # The child deductions go to the best earner, who matters only in households
    # with children (the others' deductions are the same whoever is best) and
    # someone taxable without them (above). Those households are listed first
    # (no branch): a test per household mispredicted about as often as not, a
    # tenth of the pass.
    n_with = 0
    for i in range(m):
        a0 = np.uint64(starts[i] - p0)
        a1 = np.uint64(ends[i] - p0)
        children = _household_count(counts_, a0, a1, _EDUCATION) + _household_count(
            counts_, a0, a1, _INFANT
        )
        taxed = _household_count(counts_, a0, a1, _TAXED) | any_taxed
        with_[np.uint64(n_with)] = i
        n_with += 1 if (children > 0) & (taxed > 0) else 0
    for k in range(n_with):
        i = with_[np.uint64(k)]
        a0 = starts[i] - p0
        a1 = ends[i] - p0
        n_education = _household_count(counts_, a0, a1, _EDUCATION)
        n_infant = _household_count(counts_, a0, a1, _INFANT)
        best = -1
        best_wage = -1.0
        best_key = -1.0
        for j in range(a0, a1):
            p = np.uint64(p0 + j)
            a = age[p]
            best, best_wage, best_key = earner_step(
                j,
                w_[np.uint64(j)],
                a,
                earner_key(a, is_employed[p]),
                best,
                best_wage,
                best_key,
            )
        if best >= 0:
            child_[np.uint64(best)] = child_deduction(n_education, n_infant, params)
    for j in range(n_p):
        u = np.uint64(j)
        # person_deductions and taxable_income, in their order of additions.
        deductions = basic + child_[u]
        deductions += elderly_[u]
        iit_[u] = largest_of_eight_lines(
            w_[u] - c_[u] - deductions,
            r0, r1, r2, r3, r4, r5, r6, r7,
            q0, q1, q2, q3, q4, q5, q6, q7,
        )  # fmt: skip
    # Household sums, person by person from 0.0 as household_flows adds them; the
    # last person's running sums are the household's.
    wage_sum = 0.0
    business_sum = 0.0
    property_sum = 0.0
    pension_sum = 0.0
    contributions = 0.0
    iit = 0.0
    business_tax = 0.0
    property_tax = 0.0
    residents_pension = 0.0
    for j in range(n_p):
        u = np.uint64(j)
        p = np.uint64(p0 + j)
        keep = start_[u] - 1
        pr = property_income[p]
        wage_sum = _kept(wage_sum, keep) + w_[u]
        business_sum = _kept(business_sum, keep) + business[p]
        property_sum = _kept(property_sum, keep) + pr
        pension_sum = _kept(pension_sum, keep) + pension[p]
        contributions = _kept(contributions, keep) + c_[u]
        iit = _kept(iit, keep) + iit_[u]
        business_tax = _kept(business_tax, keep) + bt_[u]
        property_tax = _kept(property_tax, keep) + pt_rate * pr
        residents_pension = _kept(residents_pension, keep) + rp_[u]
        # An unsigned index for Numba (no wraparound check); i was a loop int above.
        i = np.uint64(hh_[u])  # type: ignore[assignment]
        out[_at(0, i, lane)] = wage_sum
        out[_at(1, i, lane)] = business_sum
        out[_at(2, i, lane)] = property_sum
        out[_at(3, i, lane)] = pension_sum
        out[_at(4, i, lane)] = contributions
        out[_at(5, i, lane)] = iit
        out[_at(6, i, lane)] = business_tax
        out[_at(7, i, lane)] = property_tax
        out[_at(9, i, lane)] = residents_pension
    for i in range(m):
        n_allowance = _household_count(
            counts_, starts[i] - p0, ends[i] - p0, _ALLOWANCE
        )
        out[_at(10, i, lane)] = n_allowance * allowance
        if with_dibao:
            dibao_at(out, _at(0, i, lane), ends[i] - starts[i], params)


@njit(cache=True, parallel=True)
def aggregate_pass(
    offsets,
    household_id,
    weight,
    is_urban,
    city,
    n_cities,
    tier_cells,
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
    gini_weight_out,
    gini_scale,
):
    """:func:`commonprosperity._kernels.simulate.aggregate_pass`, person-vectorised.

    The same arguments, preconditions and totals, bit for bit, when
    :func:`applies` holds for the schedules (``thresholds`` and
    ``business_thresholds`` then go unused: the bracket lines say it all), but
    the tiers as their table, raveled (``tier_cells[2 * city + urban]`` is a
    household's tier, int8 (2 * n_cities,)), not an array of them. When
    ``gini_weight_out`` has a row per household, it also receives the Gini's
    weights, ``(weight * size) * gini_scale`` (``gini_scale`` a power of two:
    :func:`~commonprosperity._kernels.household_terms.scaled_person_weights`'
    values bit for bit, without a pass of their own).
    """
    n = weight.shape[0]
    starts = offsets[:-1]
    ends = offsets[1:]
    write_pc = per_capita_out.shape[0] == n
    write_gw = gini_weight_out.shape[0] == n
    n_chunks = (n + CHUNK - 1) // CHUNK
    parts = np.zeros((n_chunks, N_STATS + 2 * n_cities))
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        c = task * n_chunks // n_tasks
        c_end = (task + 1) * n_chunks // n_tasks
        # A leftover chunk's flows: lane 0 of a workspace of its own.
        single = np.empty(11 * ROW)
        flows = flows_of_lane(single, 0)
        size = np.empty(CHUNK, dtype=np.int64)
        fwork, iwork = work_buffers(0)
        # Whole chunks LANES at a time, their sums formed side by side
        # (lane_sums: the same sums, bit for bit); the others one by one.
        grouped = c + LANES <= c_end and (c + LANES) * CHUNK <= n
        work = lane_workspace(grouped)
        city_lanes = np.empty(SPAN if grouped else 0, dtype=np.int64)
        city_sums = np.empty(2 * n_cities * LANES)
        while c + LANES <= c_end and (c + LANES) * CHUNK <= n:
            load_households(
                c * CHUNK,
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
            )
            for lane in range(LANES):
                h0 = (c + lane) * CHUNK
                fwork, iwork = _chunk_flows(
                    h0,
                    h0 + CHUNK,
                    starts,
                    ends,
                    household_id,
                    city,
                    is_urban,
                    tier_cells,
                    age,
                    is_employed,
                    wage,
                    business,
                    property_income,
                    pension,
                    params,
                    rates,
                    quick_ded,
                    business_rates,
                    business_quick_ded,
                    work,
                    lane,
                    fwork,
                    iwork,
                    np.bool_(False),
                )
            lane_dibao(work, params)
            lane_sums(work, city_lanes, band_edges, three_person, city_sums)
            store_lanes(c, work, city_sums, parts, write_pc, per_capita_out)
            c += LANES
        for c1 in range(c, c_end):
            h0 = c1 * CHUNK
            h1 = min(n, h0 + CHUNK)
            for i in range(h1 - h0):
                size[i] = ends[h0 + i] - starts[h0 + i]
            if write_gw:
                weight_c = weight[h0:h1]
                out_c = gini_weight_out[h0:h1]
                for i in range(h1 - h0):
                    out_c[i] = (weight_c[i] * size[i]) * gini_scale
            fwork, iwork = _chunk_flows(
                h0,
                h1,
                starts,
                ends,
                household_id,
                city,
                is_urban,
                tier_cells,
                age,
                is_employed,
                wage,
                business,
                property_income,
                pension,
                params,
                rates,
                quick_ded,
                business_rates,
                business_quick_ded,
                single,
                # Typed int64 as the grouped loop's lanes (a literal 0 compiled
                # flat_chunk_flows a second time).
                np.int64(0),
                fwork,
                iwork,
                np.bool_(True),
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
                parts[c1],
                write_pc,
                per_capita_out,
            )
    return neumaier_column_sums(parts)


@njit(cache=True, inline="always")
def _chunk_flows(
    h0,
    h1,
    starts,
    ends,
    household_id,
    city,
    is_urban,
    tier_cells,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    rates,
    quick_ded,
    business_rates,
    business_quick_ded,
    out,
    lane,
    fwork,
    iwork,
    with_dibao,
):
    """:func:`flat_chunk_flows` of households ``h0:h1``; returns the work buffers.

    They are grown first if the households' persons do not fit.
    """
    span = ends[h1 - 1] - starts[h0]
    if span >= fwork[0].shape[0]:
        fwork, iwork = work_buffers(span + span // 4)
    flat_chunk_flows(
        h0,
        h1,
        starts[h0:h1],
        ends[h0:h1],
        household_id,
        city,
        is_urban,
        tier_cells,
        age,
        is_employed,
        wage,
        business,
        property_income,
        pension,
        params,
        rates,
        quick_ded,
        business_rates,
        business_quick_ded,
        out,
        lane,
        fwork,
        iwork,
        with_dibao,
    )
    return fwork, iwork
