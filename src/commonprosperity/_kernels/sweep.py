"""Many scenarios in one pass over the households (pure Numba).

`sweep_pass` evaluates a block of ``S`` scenarios. Threads take disjoint groups of
scenarios; each thread walks the households in fixed chunks of ``CHUNK`` (2,048, the
chunk of :func:`commonprosperity._kernels.simulate.aggregate_pass`) and runs every
scenario of its group over the chunk while the chunk's households stay in L2,
calling the rules (:func:`~commonprosperity._kernels.rules.household_flows`, the
single implementation) with the scenario's parameter row. Per chunk and scenario
the sums are those of one chunk of ``aggregate_pass``, in scalar accumulators.

Determinism: every scenario is summed by one thread over the chunks in chunk order
(per-chunk partial sums, then a running Neumaier sum over the chunks, exactly as
``neumaier_column_sums`` combines the chunk rows of ``aggregate_pass``), so a
scenario's totals do not depend on the thread count, the group size or the other
scenarios of its block. Its per-bin histogram is filled by that one thread in
household order, likewise independent of the thread count.

Nothing of size ``S × n`` is allocated here: aggregates are ``S × n_stats`` running
sums; per-capita income (exact Gini) and histograms (bracketed Gini) go to buffers
the caller sizes for one block of scenarios.
"""

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import layout as L
from commonprosperity._kernels.inequality import (
    HIST_N_BINS,
    gini_from_histogram,
    hist_bin,
)
from commonprosperity._kernels.rules import N_PERSON_COLUMNS, household_flows
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
    "HIST_BYTES_PER_SCENARIO",
    "HIST_SLOTS",
    "gini_from_histograms",
    "pad_schedules",
    "sweep_pass",
]

#: Accumulators per histogram bin: W, X, Q and their compensation terms.
HIST_SLOTS = 6
#: Bytes of one scenario's histogram buffer (about 9.5 MB).
HIST_BYTES_PER_SCENARIO = HIST_SLOTS * HIST_N_BINS * 8


@njit(cache=True)
def _two_sum_into(acc, comp, b, v):
    """``acc[b] += v`` with the rounding error added to ``comp[b]`` (Knuth TwoSum)."""
    a = acc[b]
    s = a + v
    bb = s - a
    comp[b] += (a - (s - bb)) + (v - bb)
    acc[b] = s


@njit(cache=True)
def _chunk_sums(
    h0,
    h1,
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
    out,
    write_pc,
    per_capita,
    write_hist,
    hist,
    dummy,
):
    """Totals of households ``h0:h1`` under one scenario, written to ``out``.

    Household ``h``'s persons are rows ``starts[h - h0]:ends[h - h0]`` of the
    person arrays given (the chunk's gathered copy). The accumulation is that of
    one chunk of ``aggregate_pass`` (the same sums in the same order, held in
    scalars); ``out`` (n_stats,) receives them.
    ``per_capita[h]`` and the histogram rows ``hist`` (HIST_SLOTS, HIST_N_BINS)
    are filled when their flags are set.
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
    hw = hist[0]
    hx = hist[1]
    hq = hist[2]
    cw = hist[3]
    cx = hist[4]
    cq = hist[5]
    for h in range(h0, h1):
        start = starts[h - h0]
        end = ends[h - h0]
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
            f[0] + f[1] + f[2] + f[3] - f[4] - f[5] - f[6] - f[7] + f[8] + f[9] + f[10]
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
        k = N_STATS + 2 * city[h]
        out[k] += wd
        out[k + 1] += persons
        x = disposable / size
        if write_pc:
            per_capita[h] = x
        if write_hist:
            b = hist_bin(x)
            px = persons * x
            _two_sum_into(hw, cw, b, persons)
            _two_sum_into(hx, cx, b, px)
            _two_sum_into(hq, cq, b, px * x)
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
    write_pc,
    per_capita_out,
    write_hist,
    hist_out,
):
    """Weighted totals of ``S`` scenarios in one pass over the households.

    Preconditions: those of ``aggregate_pass`` for the household and person
    arrays, except that household ``h``'s persons are rows ``starts[h]:ends[h]``
    (non-empty; households may come in any order, e.g. sorted by income, without
    moving the persons); ``P`` (S, N_PARAMS) holds one parameter row per scenario (the
    ``params`` of ``Scenario.as_arrays()``); the schedule arrays are (S, K) and
    (S, KB), row ``s`` the scenario's thresholds, rates and quick deductions padded
    to a common length with ``+inf`` thresholds (:func:`pad_schedules`);
    ``group >= 1`` scenarios per thread task.

    Outputs besides the totals (when the flag is false, pass a dummy of shape
    (1, 1), resp. (1, HIST_SLOTS, 1); it is not written):

    * ``per_capita_out`` (S, n), if ``write_pc``: per-capita disposable income of
      household ``h`` under scenario ``s``, yuan;
    * ``hist_out`` (S, HIST_SLOTS, HIST_N_BINS), if ``write_hist``: per scenario
      the float-bits histogram of per-capita income with person weights
      (weight × size), rows W, X, Q (``Σw``, ``Σwx``, ``Σwx²``) and their TwoSum
      compensations; zeroed here.

    Returns float64 totals (S, N_STATS + 2 * n_cities), row ``s`` equal bit for bit
    to ``aggregate_pass`` of scenario ``s`` on the households in the same order.
    """
    n = weight.shape[0]
    S = P.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    n_stats = N_STATS + 2 * n_cities
    n_groups = (S + group - 1) // group
    sums = np.zeros((S, n_stats))
    comps = np.zeros((S, n_stats))
    most = 1
    for c in range(n_chunks):
        k = 0
        for h in range(c * CHUNK, min(n, c * CHUNK + CHUNK)):
            k += ends[h] - starts[h]
        most = max(most, k)
    for g in prange(n_groups):
        s0 = g * group
        m = min(S, s0 + group) - s0
        part = np.zeros(n_stats)
        dummy = np.zeros((1, N_PERSON_COLUMNS))
        # The chunk's persons, gathered contiguously once per chunk: they stay in
        # L2 while the group's scenarios run over them.
        l_starts = np.empty(CHUNK, dtype=np.int64)
        l_ends = np.empty(CHUNK, dtype=np.int64)
        l_age = np.empty(most, dtype=age.dtype)
        l_employed = np.empty(most, dtype=is_employed.dtype)
        l_wage = np.empty(most)
        l_business = np.empty(most)
        l_property = np.empty(most)
        l_pension = np.empty(most)
        if write_hist:
            for i in range(m):
                hist_out[s0 + i, :, :] = 0.0
        for c in range(n_chunks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
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
            for i in range(m):
                s = s0 + i
                _chunk_sums(
                    h0,
                    h1,
                    l_starts,
                    l_ends,
                    household_id,
                    weight,
                    is_urban,
                    city,
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
                    band_edges,
                    three_person,
                    part,
                    write_pc,
                    per_capita_out[s if write_pc else 0],
                    write_hist,
                    hist_out[s if write_hist else 0],
                    dummy,
                )
                # Fold the chunk into the running Neumaier sums, in chunk order.
                srow = sums[s]
                crow = comps[s]
                for k in range(n_stats):
                    v = part[k]
                    sk = srow[k]
                    tk = sk + v
                    if abs(sk) >= abs(v):
                        crow[k] += (sk - tk) + v
                    else:
                        crow[k] += (v - tk) + sk
                    srow[k] = tk
    return sums + comps


@njit(cache=True, parallel=True)
def gini_from_histograms(hist):
    """Gini ``(estimate, lower, upper)`` of each scenario's histogram.

    ``hist`` is the (S, HIST_SLOTS, HIST_N_BINS) buffer filled by
    :func:`sweep_pass`; returns three float64 arrays of length ``S``.
    """
    S = hist.shape[0]
    est = np.empty(S)
    lo = np.empty(S)
    hi = np.empty(S)
    for s in prange(S):
        h = hist[s]
        W = h[0] + h[3]
        X = h[1] + h[4]
        Q = h[2] + h[5]
        e, a, b = gini_from_histogram(W, X, Q)
        est[s] = e
        lo[s] = a
        hi[s] = b
    return est, lo, hi


def pad_schedules(schedules):
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
