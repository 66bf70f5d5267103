"""Histogram Gini with a rigorous bracket, on bins adapted to the data (layer 1).

``adaptive_histogram(income, weight) -> (hist, edges, rows, bad, negative)``
    One parallel pass filling a float-bits histogram whose resolution follows the
    data; ``gini_from_bins(hist, edges, rows)`` returns ``(estimate, lower, upper)``.

Layout
------
A bin is read from the bits of ``x``: its sign, its binary exponent ``e`` and the
top ``b_e`` bits of its mantissa, so each octave ``[2**e, 2**(e+1))`` is cut into
``2**b_e`` equal bins and the index is monotone in ``x`` (negatives mirror the
positives around one central bin for ``|x| < 1``). Unlike the fixed layout of
:mod:`commonprosperity._kernels.inequality` (4,096 bins in every octave, used to
bucket rows for the exact Gini), ``b_e`` is chosen per octave from the rows'
exponents (one pass over the incomes that reads no weights): an octave holding a
share ``s_e`` of the rows adds about ``s_e**2 * 2**e / B_e**2`` to the bracket's
width with ``B_e`` bins, so the ``LAYOUT_BUDGET`` bins are shared as
``B_e ∝ (s_e**2 2**e)**(1/3)`` (the minimum of the sum for a fixed total). On
lognormal incomes with a 5 % mass point this gives a 1.9e-9 bracket with about
36,000 magnitude bins, where 4,096 bins in every occupied octave (about 45,000)
gave 2.0e-9 to 4e-9. The layout only changes the bracket's width, never its
validity; it depends on the multiset of incomes only, not on their order or the
thread count.

Accumulators
------------
Per bin ``W = sum w``, ``D1 = sum w d`` and ``D2 = sum w d^2`` with ``d = x - a``
and ``a`` the bin's edge nearest zero (``x - a`` is exact and shorter than the bin),
so the within-bin spread ``W D2 - D1^2`` has no cancellation. Rows are summed
plainly in sub-blocks of ``SUB_ROWS`` rows, each flushed into its group's
compensated sums; the groups (a function of the length) are added in order.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit, prange

from commonprosperity._kernels.buckets import exact_gini, n_row_blocks
from commonprosperity._kernels.inequality import (
    _ABS_MASK,
    _EPS,
    _two_prod,
    _two_sum,
    within_bin_bounds,
)

__all__ = [
    "BRACKET_WIDTH",
    "adaptive_histogram",
    "bracket_gini",
    "exact_bracket",
    "gini_from_bins",
    "histogram_bracket",
    "octave_layout",
]

#: The widest bracket returned: a wider histogram bracket (incomes crowded into a
#: few bins) is replaced by the exact Gini and its rounding allowance.
BRACKET_WIDTH = 1e-8
#: Relative rounding allowance of the exact Gini when it stands in for the bracket
#: (its compensated sums are good to a few ulps; measured 1e-14 at worst).
EXACT_SLACK = 1e-12

#: Bins shared among the occupied octaves (fewer for fewer than 8,192 rows).
LAYOUT_BUDGET = 1 << 15
#: Bits per occupied octave: at least MIN_BITS, at most MAX_BITS.
MIN_BITS = 2
MAX_BITS = 20
#: Rows summed plainly before a compensated flush; bounds the rounding error.
SUB_ROWS = 1 << 20
#: Row groups summed in parallel: about one per GROUP_ROWS rows, at most MAX_GROUPS.
MAX_GROUPS = 2
GROUP_ROWS = 1 << 18

_N_EXP = 2048
_EXP_ONE = 1023
_MANT_MASK = (1 << 52) - 1


@njit(cache=True, parallel=True, nogil=True)
def _octave_counts(x):
    """Rows per binary exponent of ``|x|`` (2048,), as exact integers in float64.

    A function of the multiset of values only, so a permutation of the rows (the
    sweep orders households by their base income) gets the same layout.
    """
    n = x.shape[0]
    n_blocks = n_row_blocks(n, GROUP_ROWS, MAX_GROUPS)
    step = (n + n_blocks - 1) // n_blocks
    counts = np.zeros((n_blocks, _N_EXP), dtype=np.int64)
    for b in prange(n_blocks):
        xs = x[b * step : min(n, (b + 1) * step)]
        c = counts[b]
        for i in range(xs.shape[0]):
            c[(np.float64(xs[i]).view(np.int64) & _ABS_MASK) >> 52] += 1
    return counts.sum(axis=0).astype(np.float64)


@njit(cache=True)
def octave_layout(octave_weight, budget=LAYOUT_BUDGET):
    """Bits per octave and the bin table from the rows (or weight) per exponent.

    Returns ``(table, n_mags)``: row ``e`` of ``table`` (2048, 3) int64 is
    ``(base, shift, mask)``: a magnitude ``|x|`` of exponent ``e`` falls in
    magnitude bin ``base + (mantissa >> shift)`` and its anchor is
    ``bits & mask``; ``n_mags`` magnitude bins in all. Exponents below 0 (``|x| <
    1``) map to magnitude ``-1``, the central bin, with anchor 0. Octaves the
    sample finds empty get one bin.
    """
    top = 0.0
    for e in range(_EXP_ONE, _N_EXP - 1):
        top = max(top, octave_weight[e])
    share = np.zeros(_N_EXP)
    norm = 0.0
    for e in range(_EXP_ONE, _N_EXP - 1):
        if octave_weight[e] > 0.0:
            # (s^2 2^e)^(1/3) relative to the heaviest octave (no overflow).
            c = (octave_weight[e] / top) ** (2.0 / 3.0) * 2.0 ** ((e - _EXP_ONE) / 3.0)
            share[e] = c
            norm += c
    table = np.zeros((_N_EXP, 3), dtype=np.int64)
    for e in range(_EXP_ONE):
        table[e, 0] = -1
        table[e, 1] = 52
        table[e, 2] = 0
    running = 0
    for e in range(_EXP_ONE, _N_EXP):
        bits = 0
        if share[e] > 0.0:
            want = budget * share[e] / norm
            bits = min(MAX_BITS, max(MIN_BITS, round(math.log2(want))))
        shift = 52 - bits
        table[e, 0] = running
        table[e, 1] = shift
        table[e, 2] = ~((np.int64(1) << shift) - 1)
        running += 1 << bits
    return table, running


@njit(cache=True)
def _edges(table, n_mags):
    """``(lo, hi)`` of every magnitude bin (n_mags, 2)."""
    edges = np.empty((n_mags, 2))
    for e in range(_EXP_ONE, _N_EXP):
        base = table[e, 0]
        bits = 52 - table[e, 1]
        steps = 1 << bits
        for j in range(steps):
            edges[base + j, 0] = _power_of_two(1.0 + j / steps, e - _EXP_ONE)
            edges[base + j, 1] = _power_of_two(1.0 + (j + 1) / steps, e - _EXP_ONE)
    return edges


@njit(cache=True)
def _power_of_two(m, k):
    """``m * 2**k`` for ``1 <= m <= 2``, ``inf`` past the largest float."""
    if k + (1 if m >= 2.0 else 0) >= 1024:
        return math.inf
    return math.ldexp(m, k)


@njit(cache=True, parallel=True, nogil=True)
def _accumulate(x, w, table, center, n_bins, n_grp, step, work):
    # work (3 * MAX_GROUPS, >= n_bins, 3) is all zero on entry and on return: a
    # group's plain sub-block sums, its compensated sums and their compensation.
    lowest = np.zeros(n_grp)
    base = table[:, 0].copy()
    shift = table[:, 1].copy()
    mask = table[:, 2].copy()
    for g in prange(n_grp):
        g0 = g * step
        g1 = min(x.shape[0], g0 + step)
        local = work[3 * g]
        s = work[3 * g + 1]
        c = work[3 * g + 2]
        least = 0.0
        for r0 in range(g0, g1, SUB_ROWS):
            r1 = min(g1, r0 + SUB_ROWS)
            xs = x[r0:r1]
            ws = w[r0:r1]
            first = n_bins
            last = 0
            for i in range(r1 - r0):
                v = xs[i]
                wi = ws[i]
                # No per-row checks: a nan or inf income or weight makes its
                # bin's sums non-finite, and a negative weight shows in `least`.
                least = min(least, wi)
                bits = np.float64(v).view(np.int64)
                a = bits & _ABS_MASK
                e = a >> 52
                mag = base[e] + ((a & _MANT_MASK) >> shift[e])
                sign = bits >> 63  # 0 or -1: k = center + (mag + 1) or - (mag + 1)
                k = center + (((mag + 1) ^ sign) - sign)
                first = min(first, k)
                last = max(last, k)
                d = v - np.int64(bits & mask[e]).view(np.float64)
                wd = wi * d
                local[k, 0] += wi
                local[k, 1] += wd
                local[k, 2] += wd * d
            for k in range(first, last + 1):
                if local[k, 0] == 0.0 and local[k, 1] == 0.0 and local[k, 2] == 0.0:
                    continue
                for j in range(3):
                    t, err = _two_sum(s[k, j], local[k, j])
                    s[k, j] = t
                    c[k, j] += err
                    local[k, j] = 0.0
        lowest[g] = least
    out = np.zeros((n_bins, 3))
    comp = np.zeros((n_bins, 3))
    for g in range(n_grp):
        s = work[3 * g + 1]
        c = work[3 * g + 2]
        for k in range(n_bins):
            for j in range(3):
                if s[k, j] != 0.0 or c[k, j] != 0.0:
                    t, err = _two_sum(out[k, j], s[k, j])
                    out[k, j] = t
                    comp[k, j] += err + c[k, j]
                    s[k, j] = 0.0
                    c[k, j] = 0.0
    return out + comp, lowest.min()


_workspace = threading.local()


def _work(n_bins: int) -> np.ndarray:
    """Return the calling Python thread's all-zero accumulators for ``n_bins`` bins.

    Kept between calls (about 10 MB for the default layout): first touches of fresh
    pages cost a large part of the pass on some machines (7 ms for 14 MB measured
    here, against about 20 ms for the pass at 1e7 rows).
    """
    work = getattr(_workspace, "work", None)
    if work is None or work.shape[1] < n_bins:
        work = np.zeros((3 * MAX_GROUPS, n_bins, 3))
        _workspace.work = work
    return work


@njit(cache=True)
def _checks(hist, center):
    """``(bad, negative)``: a non-finite sum; weight in a bin below zero."""
    bad = False
    negative = False
    for k in range(hist.shape[0]):
        wb = hist[k, 0]
        finite = (
            math.isfinite(wb)
            and math.isfinite(hist[k, 1])
            and math.isfinite(hist[k, 2])
        )
        bad = bad or not finite
        negative = negative or (k < center and wb > 0.0)
    return bad, negative


def adaptive_histogram(
    income: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """Histogram of ``income`` weighted by ``weight`` (float64, 1-D) on adapted bins.

    Returns ``(hist, edges, rows, bad, negative)``: ``hist`` (2 m + 1, 3) holds per
    bin ``W``, ``D1``, ``D2`` (module docstring), bin ``m`` being ``|x| < 1`` and
    bin ``m ± (j + 1)`` the positive or negative values of magnitude bin ``j``,
    whose range is ``edges[j]``; each sum is exact to within ``(rows + 4)`` ulps.
    ``bad`` is true when a row has a non-finite income or a weight that is not a
    finite number ``>= 0`` (the histogram is then meaningless), ``negative`` when
    some negative income has a positive weight.
    """
    n = income.shape[0]
    # More bins than about four per row narrow nothing: bins of one row have no
    # within-bin spread.
    budget = min(LAYOUT_BUDGET, max(256, 4 * n))
    table, n_mags = octave_layout(_octave_counts(income), budget)
    n_grp = n_row_blocks(n, GROUP_ROWS, MAX_GROUPS)
    step = (n + n_grp - 1) // n_grp
    n_bins = 2 * n_mags + 1
    # Bad rows and overflows are detected from the sums, not trapped; without JIT
    # numpy would warn about them on the way.
    with np.errstate(all="ignore"):
        hist, lowest = _accumulate(
            income, weight, table, n_mags, n_bins, n_grp, step, _work(n_bins)
        )
    bad, negative = _checks(hist, n_mags)
    bad = bad or not lowest >= 0.0
    return hist, _edges(table, n_mags), min(n, SUB_ROWS), bool(bad), bool(negative)


@njit(cache=True, nogil=True)
def gini_from_bins(hist, edges, rows):
    """Gini ``(estimate, lower, upper)`` from :func:`adaptive_histogram`.

    With ``D = sum_i sum_j w_i w_j |x_i - x_j| = 2 B + sum_b D_b`` and
    ``G = D / (2 W X)``:

    * between bins (exact): bins are disjoint intervals in index order, so for rows
      in different bins the sign of ``x_i - x_j`` is known and
      ``B = sum_k (m_(k+1) - m_k) L_k (W - L_k)`` over the non-empty bins, with
      ``m_k = anchor_k + D1_k / W_k`` the bin mean and ``L_k`` the weight up to
      bin ``k``;
    * within bin ``b`` of width ``h`` and spread ``S = W_b D2_b - D1_b^2`` (so that
      ``sum_ij w_i w_j (x_i - x_j)^2 = 2 S``; the anchored sums have no
      cancellation): the bounds of
      :func:`commonprosperity._kernels.inequality.within_bin_bounds`,

      - lower ``2 S / h``, since ``|d| >= d^2 / h`` when ``|d| <= h``;
      - upper ``min(2/sqrt(3) * W_b * sqrt(S), W_b^2 h / 2)``: the Gini
        mean-difference inequality ``E|X - Y| <= 2 sigma / sqrt(3)``, valid for
        every distribution (``E|X-Y| = 4 cov(X, F~(X))`` with the mid-distribution
        function ``F~``, whose variance is at most 1/12; Cauchy-Schwarz), equality
        for the uniform law, and the range bound ``E|X - Y| <= h / 2``;
      - estimate: the uniform-within-bin value, clipped into the bracket. A bin
        holding one value (a mass point) contributes zero with zero width.

    Rounding is absorbed: each accumulator is within ``gamma = (rows + 4) u`` of
    exact (a plain sum of at most ``rows`` terms, then compensated flushes), and
    the bracket is widened by what that error and this kernel's own rounding can
    change, so ``lower <= G <= upper`` holds for the exact Gini of the data. All
    ``nan`` unless the total weight and weighted income are positive.
    """
    gamma = (rows + 4.0) * (0.5 * _EPS)  # (n - 1) u bounds a plain n-term sum
    center = edges.shape[0]
    ts = tc = 0.0
    xs = xc = 0.0
    for k in range(hist.shape[0]):
        wb = hist[k, 0]
        if wb > 0.0:
            lo, hi, anchor = _bounds(edges, center, k)
            ts, e = _two_sum(ts, wb)
            tc += e
            xs, e = _two_sum(xs, anchor * wb + hist[k, 1])
            xc += e
    total_w = ts + tc
    total_x = xs + xc
    if not (total_w > 0.0 and total_x > 0.0):
        return math.nan, math.nan, math.nan
    ls = lc = 0.0
    bs = bc = 0.0
    b_err = 0.0
    lo_sum = hi_sum = est_sum = 0.0
    prev_mean = 0.0
    prev_shift = 0.0
    have_prev = False
    for k in range(hist.shape[0]):
        wb = hist[k, 0]
        if not (wb > 0.0):
            continue
        lo, hi, anchor = _bounds(edges, center, k)
        shift = hist[k, 1] / wb
        mean = anchor + shift
        if have_prev:
            left = ls + lc
            right = (ts - ls) + (tc - lc)
            lr = left * right
            bs, e = _two_sum(bs, (mean - prev_mean) * lr)
            bc += e
            # Rounding of the means (a few ulps) and the sums' error in their
            # shifts (2 gamma relative) enter each gap.
            b_err += (
                2.0 * _EPS * (abs(mean) + abs(prev_mean))
                + 2.0 * gamma * (abs(shift) + abs(prev_shift))
            ) * lr
        ls, e = _two_sum(ls, wb)
        lc += e
        prev_mean = mean
        prev_shift = shift
        have_prev = True
        p1, e1 = _two_prod(wb, hist[k, 2])
        p2, e2 = _two_prod(hist[k, 1], hist[k, 1])
        spread = (p1 - p2) + (e1 - e2)
        s_err = (2.0 * gamma + 4.0 * _EPS) * (abs(p1) + p2)
        lower, upper, estimate = within_bin_bounds(wb, spread, s_err, hi - lo)
        lo_sum += lower
        hi_sum += upper
        est_sum += estimate
    between = 2.0 * (bs + bc)
    # The weights left and right of each gap carry the sums' error too.
    pad = 2.0 * (b_err + (2.0 * gamma + 8.0 * _EPS) * abs(bs + bc))
    denom = 2.0 * total_w * total_x
    rel = 2.0 * gamma + 8.0 * _EPS
    g_est = (between + est_sum) / denom
    g_lo = (between - pad + lo_sum) / denom * (1.0 - rel)
    g_hi = (between + pad + hi_sum) / denom * (1.0 + rel)
    return min(max(g_est, g_lo), g_hi), g_lo, g_hi


@njit(cache=True, inline="always")
def _bounds(edges, center, k):
    """``(lo, hi, anchor)`` of bin ``k``: its range and its edge nearest zero."""
    d = k - center
    if d == 0:
        return -1.0, 1.0, 0.0
    if d > 0:
        return edges[d - 1, 0], edges[d - 1, 1], edges[d - 1, 0]
    return -edges[-d - 1, 1], -edges[-d - 1, 0], -edges[-d - 1, 0]


def histogram_bracket(
    income: np.ndarray, weight: np.ndarray
) -> tuple[float, float, float, bool, bool]:
    """Histogram Gini ``(estimate, lower, upper, usable, negative)`` in one pass.

    ``usable`` is false when a row has a non-finite income or a weight that is not
    a finite number ``>= 0``, or when the squared within-bin offsets overflow
    (incomes beyond about 1e154); the three numbers are then ``nan``.
    ``negative``: some negative income has a positive weight. The numbers are
    ``nan`` too unless the total weight and weighted income are positive.
    """
    hist, edges, rows, bad, negative = adaptive_histogram(income, weight)
    if bad:
        return math.nan, math.nan, math.nan, False, negative
    estimate, lower, upper = gini_from_bins(hist, edges, rows)
    return float(estimate), float(lower), float(upper), True, negative


def exact_bracket(income: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """The exact Gini of valid rows as a bracket: its rounding allowance each side."""
    g = exact_gini(income, weight)
    return g, g - EXACT_SLACK * abs(g), g + EXACT_SLACK * abs(g)


def bracket_gini(income: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """``(estimate, lower, upper)`` Gini of valid rows, at most ``BRACKET_WIDTH`` wide.

    Rows must have finite incomes and finite weights ``>= 0``. The histogram
    bracket, or :func:`exact_bracket` when that bracket is wider or not usable
    (overflowing offsets). All ``nan`` unless the total weight and weighted income
    are positive.
    """
    estimate, lower, upper, usable, _ = histogram_bracket(income, weight)
    if usable and not upper - lower > BRACKET_WIDTH:
        return estimate, lower, upper
    return exact_bracket(income, weight)
