"""Exact Gini by bucket sorting, in parallel (layer 1: arrays and scalars only).

The rows are split into fixed blocks, a function of the length only, and the
blocks' results combined in block order, so the result does not depend on the
number of threads.

``gini_exact_by_buckets(income, weight) -> (gini, n_bad, n_negative)``
    Exact weighted Gini without a global sort. The rows are scattered into the
    float-bits histogram bins (:func:`commonprosperity._kernels.inequality.hist_bin`),
    which are disjoint intervals in index order. The Gini's pair sum then splits
    into a between-bin part, exact from the bins' weights and means, and
    within-bin parts, exact from a sort of each (small) bin.

``n_bad`` counts the rows with a non-finite income or a weight that is not a finite
number ``>= 0``; the caller validates and raises when it is not zero (the kernel
then returns meaningless numbers rather than spending a pass on checks).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import read_only
from commonprosperity._kernels.inequality import (
    HIST_N_BINS,
    _two_sum,
    gap_sum_of_groups,
    gini_exact_from_order,
    gini_exact_merged,
    hist_bin,
)

__all__ = [
    "BUCKET_MIN_ROWS",
    "SORT_BUCKET_MIN_ROWS",
    "exact_gini",
    "exact_gini_and_bound",
    "gini_exact_by_buckets",
    "income_order",
    "n_row_blocks",
    "sorted_rows",
]

#: From this many rows the exact Gini buckets the rows instead of sorting them
#: (measured crossover about 55,000 rows: 3.1 against 3.7 ms at 65,536 lognormal
#: incomes, 2.6 against 1.0 ms at 20,000).
BUCKET_MIN_ROWS = 1 << 16

#: From this many rows :func:`sorted_rows` and :func:`income_order` bucket the
#: rows instead of calling ``np.argsort`` (measured on lognormal incomes: 25
#: against 22 ms at 300,000 rows, 61 against 180 ms at 1e6, 124 against 891 ms at
#: 3e6).
SORT_BUCKET_MIN_ROWS = 1 << 19

#: Rows per block of the bucketing passes; at most MAX_ROW_BLOCKS blocks.
BLOCK_ROWS = 1 << 19
MAX_ROW_BLOCKS = 4
#: Runs up to this size are sorted by insertion.
_INSERTION_MAX = 24
#: Value ranges per level of the in-bin counting sort.
_DIGITS = 256
#: Tasks of the per-bin pass: bins are split into this many runs of about equal
#: row counts (a function of the data only), so two or more threads share the work.
_BIN_TASKS = 64


@njit(cache=True)
def n_row_blocks(n: int, block_rows: int, most: int) -> int:
    """Number of fixed row blocks for ``n`` rows: ``n // block_rows``, 1 to ``most``.

    A function of the length only, so that results summed per block and combined
    in block order do not depend on the thread count.
    """
    return max(1, min(most, n // block_rows))


@njit(cache=True)
def _row_ok(x: float, w: float) -> bool:
    """Whether a row can be binned: finite income and a finite weight >= 0."""
    return math.isfinite(x) and math.isfinite(w) and w >= 0.0


@njit(cache=True, parallel=True, nogil=True)
def _bin_counts(x, w, n_blocks, step):
    """Rows per bin and block, the occupied span ``[lo, hi)``, bad and negative rows.

    ``counts`` spans every bin but only the occupied bins' pages are written (it
    is calloc'd): the later steps work on ``lo:hi`` alone.
    """
    counts = np.zeros((n_blocks, HIST_N_BINS), dtype=np.int64)
    bad = np.zeros(n_blocks, dtype=np.int64)
    negative = np.zeros(n_blocks, dtype=np.int64)
    lows = np.full(n_blocks, HIST_N_BINS, dtype=np.int64)
    highs = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        lo = b * step
        hi = min(x.shape[0], lo + step)
        xs = x[lo:hi]
        ws = w[lo:hi]
        cnt = counts[b]
        nbad = 0
        nneg = 0
        low = HIST_N_BINS
        high = 0
        for i in range(hi - lo):
            v = xs[i]
            wi = ws[i]
            nbad += 0 if _row_ok(v, wi) else 1
            nneg += 1 if (v < 0.0 and wi > 0.0) else 0
            k = hist_bin(v)
            cnt[k] += 1
            low = min(low, k)
            high = max(high, k)
        bad[b] = nbad
        negative[b] = nneg
        lows[b] = low
        highs[b] = high + 1
    low = lows.min()
    # No rows: an empty span.
    return counts, low, max(low, highs.max()), bad.sum(), negative.sum()


@njit(cache=True, nogil=True)
def _layout(counts, lo, hi, n):
    """``(starts, positions, task_bins)`` of the bucketed rows, bins ``lo:hi``.

    Indices relative to ``lo``: ``starts[k]:starts[k + 1]`` are bin ``lo + k``'s
    rows; block ``b`` writes bin ``lo + k`` from ``positions[b, k]``; ``task_bins``
    cuts the bins into ``_BIN_TASKS`` runs of about ``n / _BIN_TASKS`` rows (a
    function of the data only). Loops over the occupied span: NumPy array
    operations over all ``HIST_N_BINS`` bins made six temporaries of 1.6 MB whose
    first touches took 3 to 8 ms, more than the rest of the Gini of 200,000 rows.
    """
    n_blocks = counts.shape[0]
    n_bins = hi - lo
    starts = np.empty(n_bins + 1, dtype=np.int64)
    positions = np.empty((n_blocks, n_bins), dtype=np.int64)
    task_bins = np.empty(_BIN_TASKS + 1, dtype=np.int64)
    task_bins[0] = 0
    task = 1
    total = 0
    for k in range(n_bins):
        starts[k] = total
        for b in range(n_blocks):
            positions[b, k] = total
            total += counts[b, lo + k]
        # Task t ends after the bin whose rows pass t * n / _BIN_TASKS.
        while task < _BIN_TASKS and total > (task * n) // _BIN_TASKS:
            task_bins[task] = k + 1
            task += 1
    starts[n_bins] = total
    while task <= _BIN_TASKS:
        task_bins[task] = n_bins
        task += 1
    return starts, positions, task_bins


@njit(cache=True, parallel=True, nogil=True)
def _scatter(x, w, n_blocks, step, first_bin, positions, pairs):
    """Copy each row's ``(x, w)`` to ``pairs`` at its bin's next free position.

    ``positions[b, k]`` is where block ``b``'s next row of bin ``first_bin + k``
    goes (advanced as rows are written), so each bin's rows end up contiguous and
    in row order, whatever the thread count.
    """
    for b in prange(n_blocks):
        lo = b * step
        hi = min(x.shape[0], lo + step)
        xs = x[lo:hi]
        ws = w[lo:hi]
        pos = positions[b]
        for i in range(hi - lo):
            v = xs[i]
            k = hist_bin(v) - first_bin
            p = pos[k]
            pos[k] = p + 1
            pairs[p, 0] = v
            pairs[p, 1] = ws[i]


@njit(cache=True)
def _insertion(a, lo, hi):
    """Sort rows ``lo:hi`` of ``a`` (m, 2) by column 0 by insertion."""
    for i in range(lo + 1, hi):
        v = a[i, 0]
        u = a[i, 1]
        j = i - 1
        while j >= lo and a[j, 0] > v:
            a[j + 1, 0] = a[j, 0]
            a[j + 1, 1] = a[j, 1]
            j -= 1
        a[j + 1, 0] = v
        a[j + 1, 1] = u


@njit(cache=True)
def _merge_sort(a, lo, hi):
    """Sort rows ``lo:hi`` of ``a`` by column 0: O(m log m) for any data."""
    seg = a[lo:hi]
    order = np.argsort(seg[:, 0], kind="mergesort")
    tmp = seg.copy()
    for i in range(hi - lo):
        seg[i, 0] = tmp[order[i], 0]
        seg[i, 1] = tmp[order[i], 1]


@njit(cache=True)
def _sort_small(a, lo, hi):
    """Sort rows ``lo:hi`` of ``a`` by column 0: insertion if few, else merge."""
    if hi - lo <= _INSERTION_MAX:
        _insertion(a, lo, hi)
    else:
        _merge_sort(a, lo, hi)


@njit(cache=True)
def _distribute(src, s0, dst, d0, m, bounds, pos):
    """Counting-sort rows ``s0:s0+m`` of ``src`` into ``dst[d0:d0+m]`` by value range.

    The rows' value span is cut into ``k = min(m, _DIGITS)`` equal ranges; the
    range index is a non-decreasing function of the value, so sorting each range
    sorts the rows. ``bounds[r]:bounds[r + 1]`` (relative to ``d0``) are then the
    rows of range ``r``. Returns ``(status, k)``: status 0 when all values are equal
    (nothing written; the rows are sorted), 2 when the span is too small to scale
    (nothing written), 1 when distributed.
    """
    lo = src[s0, 0]
    hi = lo
    for i in range(s0 + 1, s0 + m):
        v = src[i, 0]
        lo = min(lo, v)
        hi = max(hi, v)
    if not hi > lo:
        return 0, 0
    k = min(m, _DIGITS)
    scale = k / (hi - lo)
    if not math.isfinite(scale):
        return 2, 0
    for r in range(k + 1):
        bounds[r] = 0
    for i in range(s0, s0 + m):
        r = min(int((src[i, 0] - lo) * scale), k - 1)
        bounds[r + 1] += 1
    for r in range(k):
        bounds[r + 1] += bounds[r]
        pos[r] = bounds[r]
    for i in range(s0, s0 + m):
        r = min(int((src[i, 0] - lo) * scale), k - 1)
        p = d0 + pos[r]
        pos[r] += 1
        dst[p, 0] = src[i, 0]
        dst[p, 1] = src[i, 1]
    return 1, k


@njit(cache=True)
def _sort_bin(pairs, s, e, tmp, outer, inner, pos):
    """Sort rows ``s:e`` of ``pairs`` by income (ties in any order).

    Small bins by insertion; larger ones by up to two levels of value-range
    counting sort (``_distribute``) and insertion, with a merge sort for any run
    still large (values crowded into a tiny interval), so the cost stays
    O(m log m) for any data and about O(m) for smooth data.
    """
    m = e - s
    if m <= _INSERTION_MAX:
        _insertion(pairs, s, e)
        return
    # A literal 0 argument would compile the callees once more, for Literal[int](0).
    zero = np.int64(0)
    status, k = _distribute(pairs, s, tmp, zero, m, outer, pos)
    if status == 0:
        return
    if status == 2:
        _merge_sort(pairs, s, e)
        return
    largest = 0
    for r in range(k):
        largest = max(largest, outer[r + 1] - outer[r])
    if largest <= _INSERTION_MAX:
        # Every row is at most a short run away from its place: one insertion
        # pass over the whole bin finishes the sort in O(m * largest).
        _insertion(tmp, zero, m)
    else:
        for r in range(k):
            a = outer[r]
            b = outer[r + 1]
            size = b - a
            if size <= _INSERTION_MAX:
                _insertion(tmp, a, b)
                continue
            status2, k2 = _distribute(tmp, a, pairs, s + a, size, inner, pos)
            if status2 == 0:
                continue
            if status2 == 2:
                _merge_sort(tmp, a, b)
                continue
            for rr in range(k2):
                _sort_small(pairs, s + a + inner[rr], s + a + inner[rr + 1])
            _copy_rows(pairs, s + a, tmp, a, size)
    _copy_rows(tmp, zero, pairs, s, m)


@njit(cache=True)
def _copy_rows(src, s0, dst, d0, m):
    """Copy rows ``s0:s0+m`` of ``src`` (m, 2) to ``dst[d0:d0+m]``."""
    for i in range(m):
        dst[d0 + i, 0] = src[s0 + i, 0]
        dst[d0 + i, 1] = src[s0 + i, 1]


@njit(cache=True)
def _bin_sums(seg):
    """``(W, X, D)`` of sorted rows: weight, weighted income, within pair sum.

    ``D = sum_{i<j} w_i w_j (x_j - x_i) = sum_k (x_(k+1) - x_(k)) l_k (W - l_k)``
    with ``l_k`` the weight of the first ``k + 1`` rows (the gap form).
    """
    m = seg.shape[0]
    ws = wc = 0.0
    xs = xc = 0.0
    for i in range(m):
        wi = seg[i, 1]
        ws, e = _two_sum(ws, wi)
        wc += e
        xs, e = _two_sum(xs, wi * seg[i, 0])
        xc += e
    x = seg[:, 0]
    return ws + wc, xs + xc, gap_sum_of_groups(x, seg[:, 1], ws, wc, x, 0.0, False)[0]


@njit(cache=True, parallel=True, nogil=True)
def _within_bins(pairs, starts, task_bins, W, X, D, with_sums):
    """Sort each bin's rows of ``pairs`` by income, and sum them.

    With ``with_sums``, each bin's ``(W, X, D)`` (:func:`_bin_sums`) while its rows
    are in cache.
    """
    n_tasks = task_bins.shape[0] - 1
    for t in prange(n_tasks):
        largest = 1
        for k in range(task_bins[t], task_bins[t + 1]):
            largest = max(largest, starts[k + 1] - starts[k])
        tmp = np.empty((largest, 2))
        outer = np.empty(_DIGITS + 1, dtype=np.int64)
        inner = np.empty(_DIGITS + 1, dtype=np.int64)
        pos = np.empty(_DIGITS, dtype=np.int64)
        for k in range(task_bins[t], task_bins[t + 1]):
            s = starts[k]
            e = starts[k + 1]
            if e - s > 1:
                _sort_bin(pairs, s, e, tmp, outer, inner, pos)
            if not with_sums:
                continue
            if e == s:
                W[k] = X[k] = D[k] = 0.0
            else:
                W[k], X[k], D[k] = _bin_sums(pairs[s:e])


#: The bound on the between-bin part's rounding (relative to the Gini's
#: numerator) above which the exact Gini is taken from the sorted rows' own gaps:
#: about 5e-12 on ordinary data, near 1 when two mass points straddle a bin edge
#: (the gap of their rounded bin means is then its own rounding).
MEANS_BOUND = 1e-10


@njit(cache=True)
def _combine(W, X, D):
    """Gini from per-bin weight, weighted income and within-bin pair sums.

    Returns ``(gini, bound)``: ``bound`` bounds the relative error the rounding
    of the bin means can put in the between-bin gaps (the within-bin gaps are
    the rows' own).
    """
    ts = tc = 0.0
    xs = xc = 0.0
    ds = dc = 0.0
    for k in range(W.shape[0]):
        if W[k] > 0.0:
            ts, e = _two_sum(ts, W[k])
            tc += e
            xs, e = _two_sum(xs, X[k])
            xc += e
            ds, e = _two_sum(ds, D[k])
            dc += e
    total_w = ts + tc
    total_x = xs + xc
    if not (total_w > 0.0 and total_x > 0.0):
        return math.nan, 0.0
    # Between bins: sum_{b<c} W_b W_c (m_c - m_b) = sum_k (m_(k+1) - m_k) L_k (W - L_k),
    # every term >= 0 because bins are disjoint intervals in index order.
    occupied = np.flatnonzero(W > 0.0)
    means = X[occupied] / W[occupied]
    between, err = gap_sum_of_groups(
        means, W[occupied], ts, tc, np.zeros(occupied.shape[0]), 0.0, True
    )
    numerator = between + (ds + dc)
    bound = err / numerator if numerator > 0.0 else (0.0 if err == 0.0 else math.inf)
    return numerator / (total_w * total_x), bound


def _bucketed(income: np.ndarray, weight: np.ndarray):
    """Rows as ``(income, weight)`` pairs grouped by bin, bins in income order.

    Returns ``(n_bad, n_negative, pairs, starts, task_bins)`` (:func:`_layout`;
    each bin's rows still unsorted); the last three are None when rows are bad.
    """
    n = income.shape[0]
    n_blocks = n_row_blocks(n, BLOCK_ROWS, MAX_ROW_BLOCKS)
    step = (n + n_blocks - 1) // n_blocks
    with np.errstate(all="ignore"):  # without JIT: nan/inf rows are counted
        counts, lo, hi, n_bad, n_negative = _bin_counts(income, weight, n_blocks, step)
    if n_bad:
        return int(n_bad), int(n_negative), None, None, None
    starts, positions, task_bins = _layout(counts, lo, hi, n)
    del counts
    pairs = np.empty((n, 2))
    _scatter(income, weight, n_blocks, step, lo, positions, pairs)
    return 0, int(n_negative), pairs, starts, task_bins


def sorted_rows(
    income: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(income, weight)`` of valid rows, sorted by income (ties in any order).

    By bucket sorting from ``SORT_BUCKET_MIN_ROWS`` rows, ``np.argsort`` and two
    gathers below. Precondition: finite incomes, finite weights ``>= 0``.
    """
    if income.shape[0] < SORT_BUCKET_MIN_ROWS:
        order = np.argsort(income)
        return income[order], weight[order]
    n_bad, _, pairs, starts, task_bins = _bucketed(read_only(income), read_only(weight))
    if n_bad:
        raise ValueError(
            f"sorted_rows: {n_bad} rows have a non-finite income or weight, or a "
            "negative weight"
        )
    none = np.empty(0)
    _within_bins(pairs, starts, task_bins, none, none, none, False)
    return np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])


def income_order(income: np.ndarray, stable: bool = False) -> np.ndarray:
    """A permutation (int64) that sorts finite ``income``.

    :func:`sorted_rows` carrying each row's index. That is stable (ties in
    position order, as ``np.argsort(income, kind="stable")``): every step keeps
    ties in the order it reads them (rows scattered in order, counting sorts,
    insertion and merge sorts). Below ``SORT_BUCKET_MIN_ROWS`` rows
    ``np.argsort``, stable if ``stable`` (else ties in any order: faster).
    """
    if income.shape[0] < SORT_BUCKET_MIN_ROWS:
        return np.argsort(income, kind="stable" if stable else None)
    # Row indices as float64 are exact up to 2**53 rows.
    index = np.arange(income.shape[0], dtype=np.float64)
    return sorted_rows(income, index)[1].astype(np.int64)


def gini_exact_by_buckets(
    income: np.ndarray, weight: np.ndarray
) -> tuple[float, int, int]:
    """Exact weighted Gini of ``income`` (float64, C-contiguous) by bucket sorting.

    Returns ``(gini, n_bad, n_negative)``; when ``n_bad > 0`` the Gini is
    meaningless and the caller must report the bad rows; ``n_negative`` counts
    rows with a negative income and a positive weight. ``nan`` when the total
    weight or the weighted income is not positive. O(n) passes plus sorts of the
    bins' rows; memory ``16 n`` bytes for the bucketed pairs.
    """
    g, _, n_bad, n_negative = _bucket_gini(income, weight)
    return g, n_bad, n_negative


def _bucket_gini(
    income: np.ndarray, weight: np.ndarray
) -> tuple[float, float, int, int]:
    """:func:`gini_exact_by_buckets` as ``(gini, bound, n_bad, n_negative)``.

    ``bound``: the relative rounding error the Gini may carry beyond a few ulps
    (at most ``MEANS_BOUND``; 0 when taken from the sorted rows' gaps).
    """
    income, weight = read_only(income), read_only(weight)
    n_bad, n_negative, pairs, starts, task_bins = _bucketed(income, weight)
    if n_bad:
        return math.nan, 0.0, n_bad, n_negative
    W = np.empty(starts.shape[0] - 1)
    X = np.empty(starts.shape[0] - 1)
    D = np.empty(starts.shape[0] - 1)
    _within_bins(pairs, starts, task_bins, W, X, D, True)
    g, bound = _combine(W, X, D)
    if bound > MEANS_BOUND:
        # Incomes crowded at a bin edge: the rows, now sorted, give every gap
        # itself (two mass points one ulp apart gave 0.0 for 4.5e-17).
        none = np.empty(0)
        g = gini_exact_merged(
            np.ascontiguousarray(pairs[:, 0]),
            np.ascontiguousarray(pairs[:, 1]),
            none,
            none,
            np.empty(0, dtype=np.int64),
        )
        bound = 0.0
    return float(g), float(bound), 0, int(n_negative)


def exact_gini(income: np.ndarray, weight: np.ndarray) -> float:
    """Exact weighted Gini of valid rows (finite income, finite weights ``>= 0``).

    Buckets from ``BUCKET_MIN_ROWS`` rows, one sort below; ``nan`` unless the
    total weight and the weighted income are positive.
    """
    return exact_gini_and_bound(income, weight)[0]


def exact_gini_and_bound(income: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """:func:`exact_gini` and a bound on its relative error from the bins' means.

    The bound is at most ``MEANS_BOUND`` (0 below ``BUCKET_MIN_ROWS`` rows and
    when the rows' own gaps were summed), beyond a few ulps.
    """
    if income.shape[0] >= BUCKET_MIN_ROWS:
        g, bound, _, _ = _bucket_gini(income, weight)
    else:
        income, weight = read_only(income), read_only(weight)
        g, bound = float(gini_exact_from_order(income, weight, np.argsort(income))), 0.0
    # The gaps are >= 0: a negative Gini has its weighted income summed to < 0,
    # rounding as large as the sum (negative incomes all but cancel the
    # positive ones), so no Gini, as for a mean <= 0.
    return (g if g >= 0.0 else math.nan), bound
