"""Histogram Gini with a rigorous bracket, in one pass without a sort (layer 1).

``float_histogram(income, weight) -> (hist, bounds, rows, bad, negative)``
    One parallel pass filling a float-bits histogram; ``gini_from_bins(hist,
    bounds, rows)`` returns ``(estimate, lower, upper)``.

Layout
------
A bin is read from the bits of ``x`` (no ``log``, no table): its sign, its binary
exponent and the top ``BITS = 12`` bits of its mantissa, so each octave
``[2**e, 2**(e+1))`` with ``LOW_EXP <= e < HIGH_EXP`` is cut into 4,096 bins of
relative width ``2**-12`` whose edges are floats. Magnitudes below ``2**LOW_EXP``
share the central bin (anchor 0), magnitudes from ``2**HIGH_EXP`` on share one
overflow bin per sign (infinite width, so rows there widen the bracket until the
exact Gini is used instead). Negative values mirror the positives, so the bin index
is monotone in ``x``. The layout is fixed: the histogram depends on the multiset of
rows only through its sums, not on their order or the thread count, and a bin costs
a shift and a mask.

A fixed resolution of 4,096 bins per octave keeps the bracket below 5e-9 on
survey-like incomes (lognormal with a 5 % mass point: 2.7e-9 at 1e6 and 1e7 rows).
An earlier layout adapted the bins per octave to the data; it needed a counting pass
and a table lookup per row and took twice as long for a bracket of 2e-9
(docs/precision.md).

Accumulators
------------
Per bin ``W = sum w``, ``D1 = sum w d`` and ``D2 = sum w d^2`` with ``d = x - a``
and ``a`` the bin's edge nearest zero (``x - a`` is exact and shorter than the bin),
so the within-bin spread ``W D2 - D1^2`` has no cancellation. Rows are summed
plainly in sub-blocks of at most ``SUB_ROWS`` rows, each added to its group's
running sums (blocked summation: a sum's error is at most ``sum_depth(n)`` ulps of
the sum of its terms' magnitudes); the groups (a function of the length) are added
in order.
"""

from __future__ import annotations

import math
import mmap
import threading

import numpy as np
from numba import njit, prange

from commonprosperity._kernels import read_only, thread_count
from commonprosperity._kernels.buckets import exact_gini_and_bound, n_row_blocks
from commonprosperity._kernels.inequality import (
    _ABS_MASK,
    _EPS,
    _two_sum,
    gap_sum_of_groups,
    weighted_sum,
    within_bin_bounds,
)

__all__ = [
    "BRACKET_WIDTH",
    "HISTOGRAM_MIN_ROWS",
    "add_rows",
    "bin_bounds",
    "binned",
    "binned_bracket",
    "bracket_by_sort",
    "bracket_gini",
    "collect_rows",
    "exact_bracket",
    "exact_gini_bounds",
    "exact_gini_bracket",
    "float_histogram",
    "gini_from_bins",
    "histogram_bracket",
    "income_sums",
    "merge_binned",
    "running_sums",
]

#: The widest bracket returned: a wider histogram bracket (incomes crowded into a
#: few bins) is replaced by the exact Gini and its rounding allowance.
BRACKET_WIDTH = 1e-8
#: The widest bracket relative to its upper bound: a Gini near 0 (incomes nearly
#: equal) has a bracket of rounding allowances about as wide as itself, which
#: differ between equal histograms summed in other orders (a sweep's bounds and
#: simulate's then differed by 5e-4 relative); the exact Gini replaces it.
BRACKET_RELATIVE_WIDTH = 1e-6
#: Relative rounding allowance of the exact Gini when it stands in for the bracket
#: (its compensated sums are good to a few ulps; measured 1e-14 at worst).
EXACT_SLACK = 1e-12
#: Absolute allowance of a nonzero exact Gini: 16 steps of the subnormal floats.
SUBNORMAL_SLACK = 2.0**-1070
#: Fewer rows than this are bracketed by their exact Gini: the histogram's bins
#: (some 50,000 for incomes over a dozen octaves) then outnumber the rows, and a
#: sort costs less (0.32 against 1.06 ms at 10,000 lognormal rows, 1.4 against
#: 2.7 ms at 40,000; the two meet at about 55,000, as for BUCKET_MIN_ROWS).
HISTOGRAM_MIN_ROWS = 1 << 15

#: Mantissa bits per octave: 4,096 bins of relative width 2**-12 (0.024 %).
BITS = 12
#: Octaves binned: 2**LOW_EXP <= |x| < 2**HIGH_EXP (1.5e-5 to 2.8e14).
LOW_EXP = -16
HIGH_EXP = 48
#: Magnitude bins; bin CENTER is |x| < 2**LOW_EXP, bins 0 and 2 * CENTER overflow.
N_MAGS = (HIGH_EXP - LOW_EXP) << BITS
CENTER = N_MAGS + 1
N_BINS = 2 * CENTER + 1
#: Rows summed plainly before they are added to the running sums (blocked
#: summation); bounds the rounding error, see :func:`sum_depth`.
SUB_ROWS = 1 << 20
#: Row groups summed in parallel: about one per GROUP_ROWS rows, at most MAX_GROUPS.
MAX_GROUPS = 2
GROUP_ROWS = 1 << 16

_SHIFT = 52 - BITS
_MAG_LO = (1023 + LOW_EXP) << BITS
_TOP = (1023 + HIGH_EXP) << 52  # bits of 2**HIGH_EXP
_SIGN = np.int64(-(1 << 63))
_EDGE_MASK = np.int64(-(1 << _SHIFT))
_FAST_OFFSET = CENTER + 1 - _MAG_LO


@njit(cache=True, inline="always")
def _bin_and_anchor(bits):
    """Bin index and the bits of its anchor (edge nearest zero) of float bits."""
    code = bits >> _SHIFT
    # Positive incomes inside the octaves (nearly every row) take the short path.
    if np.uint64(code - _MAG_LO) < np.uint64(N_MAGS):
        return code + _FAST_OFFSET, bits & _EDGE_MASK
    a = min(bits & _ABS_MASK, _TOP)  # nan and inf join the overflow bin
    mag = max((a >> _SHIFT) - _MAG_LO, -1)
    sign = bits >> 63  # 0 or -1: k = CENTER + (mag + 1) or - (mag + 1)
    k = CENTER + (((mag + 1) ^ sign) - sign)
    anchor = ((bits & _SIGN) | a) & _EDGE_MASK if mag >= 0 else np.int64(0)
    return k, anchor


@njit(cache=True)
def bin_bounds(k):
    """``(lo, hi, anchor)`` of bin ``k``: its value range and its edge nearest zero.

    A positive bin holds ``lo <= x < hi``, a negative one ``lo < x <= hi``, the
    central bin ``|x| < 2**LOW_EXP``; the overflow bins reach ``±inf``.
    """
    d = k - CENTER
    if d == 0:
        edge = math.ldexp(1.0, LOW_EXP)
        return -edge, edge, 0.0
    mag = abs(d) - 1
    if mag >= N_MAGS:
        lo = math.ldexp(1.0, HIGH_EXP)
        hi = math.inf
    else:
        lo = np.int64((mag + _MAG_LO) << _SHIFT).view(np.float64)
        hi = np.int64((mag + 1 + _MAG_LO) << _SHIFT).view(np.float64)
    if d < 0:
        return -hi, -lo, -lo
    return lo, hi, lo


@njit(cache=True, nogil=True)
def _bounds_of(keys):
    """Bounds (len(keys), 3) of the bins ``keys``."""
    out = np.empty((keys.shape[0], 3))
    for i in range(keys.shape[0]):
        lo, hi, anchor = bin_bounds(keys[i])
        out[i, 0] = lo
        out[i, 1] = hi
        out[i, 2] = anchor
    return out


#: Bins per touched-flag: after a sub-block only the blocks of BLOCK bins its rows
#: touched are flushed, so sparse bins (a few negative incomes far from the rest,
#: up to 300,000 empty bins away) cost their blocks, not the span between them.
BLOCK_SHIFT = 4
BLOCK = 1 << BLOCK_SHIFT
N_BLOCKS = (N_BINS + BLOCK - 1) >> BLOCK_SHIFT


@njit(cache=True, nogil=True)
def _runs(flags):
    """``(first, end)`` of each run of consecutive non-zero ``flags``, in order."""
    on = np.flatnonzero(flags)
    if on.shape[0] == 0:
        return np.empty((0, 2), dtype=np.int64)
    cut = np.flatnonzero(np.diff(on) != 1)
    out = np.empty((cut.shape[0] + 1, 2), dtype=np.int64)
    out[0, 0] = on[0]
    for r in range(cut.shape[0]):
        out[r, 1] = on[cut[r]] + 1
        out[r + 1, 0] = on[cut[r] + 1]
    out[cut.shape[0], 1] = on[-1] + 1
    return out


@njit(cache=True, inline="always")
def _add_runs(xs, ws, flat, flags):
    """Add rows to ``flat`` a run of equal bins at a time; return the least weight.

    Consecutive rows of one bin (sorted incomes, a mass point such as a top-up
    line) are summed in registers and added to the bin once per run. Adding each
    to memory would make every row wait for the previous row's store to the same
    place: sorted incomes took 2.3 times as long as shuffled ones. A run's terms
    still go through at most as many additions as rows in the sub-block.
    """
    least = 0.0
    if xs.shape[0] == 0:
        return least
    # The pending run starts empty, in the first row's bin.
    k0, _ = _bin_and_anchor(np.float64(xs[0]).view(np.int64))
    flags[np.uint64(k0) >> np.uint64(BLOCK_SHIFT)] = 1
    pj = np.uint64(k0) * np.uint64(3)
    pw = 0.0
    pd = 0.0
    pq = 0.0
    for i in range(xs.shape[0]):
        v = xs[i]
        wi = ws[i]
        least = min(least, wi)
        k, anchor = _bin_and_anchor(np.float64(v).view(np.int64))
        d = v - np.int64(anchor).view(np.float64)
        wd = wi * d
        uk = np.uint64(k)
        j = uk * np.uint64(3)
        if j == pj:
            pw += wi
            pd += wd
            pq += wd * d
        else:
            flat[pj] += pw
            flat[pj + np.uint64(1)] += pd
            flat[pj + np.uint64(2)] += pq
            flags[uk >> np.uint64(BLOCK_SHIFT)] = 1
            pj = j
            pw = wi
            pd = wd
            pq = wd * d
    flat[pj] += pw
    flat[pj + np.uint64(1)] += pd
    flat[pj + np.uint64(2)] += pq
    return least


@njit(cache=True, nogil=True)
def _clustered(x):
    """Whether ``x`` comes in runs of one bin: sorted or clustered incomes.

    Looks at up to 8 windows of 256 neighbours centred in eighths of ``x``;
    clustered when at least 9 pairs in 10 share a bin. A function of the data
    only. (Summing runs pays a flush per run: with fewer shared pairs the plain
    path was faster, e.g. 0.96 against 1.94 ms for 338,000 nearly sorted incomes
    with 67 % of pairs shared; sorted lognormal incomes share 94 %.)
    """
    n = x.shape[0]
    if n < 2:
        return False
    windows = min(8, max(1, (n - 1) // 256))
    same = 0
    pairs = 0
    for t in range(windows):
        # Centred windows: a sorted array's ends (its sparse tails) are few rows
        # but would be a quarter of the sample.
        i0 = max(0, ((2 * t + 1) * (n - 1)) // (2 * windows) - 128)
        i1 = min(n - 1, i0 + 256)
        for i in range(i0, i1):
            a, _ = _bin_and_anchor(np.float64(x[i]).view(np.int64))
            b, _ = _bin_and_anchor(np.float64(x[i + 1]).view(np.int64))
            same += a == b
            pairs += 1
    return 10 * same >= 9 * pairs


@njit(cache=True, nogil=True)
def _fill_group(x, w, g0, g1, work_local, work_total, flags, ever_g, clustered):
    """Add rows ``g0:g1`` to one group's running sums ``work_total``.

    ``work_local`` (the sub-block sums) and ``flags`` (blocks touched in the
    sub-block) are all zero on entry and on return; ``ever_g`` marks the blocks
    the group touched. ``clustered``: rows come in runs of one bin (sorted or
    clustered incomes), summed in registers (``_add_runs``). Returns the least
    weight (at most 0).
    """
    flat_local = work_local.reshape(-1)
    flat_total = work_total.reshape(-1)
    least = 0.0
    for r0 in range(g0, g1, SUB_ROWS):
        r1 = min(g1, r0 + SUB_ROWS)
        xs = x[r0:r1]
        ws = w[r0:r1]
        if clustered:
            least = min(least, _add_runs(xs, ws, flat_local, flags))
        else:
            for i in range(r1 - r0):
                v = xs[i]
                wi = ws[i]
                # No per-row checks: a nan or inf income or weight makes its
                # bin's sums non-finite, and a negative weight shows in
                # `least`.
                least = min(least, wi)
                k, anchor = _bin_and_anchor(np.float64(v).view(np.int64))
                d = v - np.int64(anchor).view(np.float64)
                wd = wi * d
                # Unsigned flat indices: no wrap-around test and no stride
                # multiply per row (13 % of the pass at 1e7 rows).
                uk = np.uint64(k)
                flags[uk >> np.uint64(BLOCK_SHIFT)] = 1
                j = uk * np.uint64(3)
                flat_local[j] += wi
                flat_local[j + np.uint64(1)] += wd
                flat_local[j + np.uint64(2)] += wd * d
        # Blocked summation: a plain flush per sub-block keeps every sum
        # within (SUB_ROWS + sub-blocks) ulps, at the cost of one vector add
        # over the touched blocks.
        # Plain loops, no slice operations: a few negative incomes or a wide
        # spread make hundreds of runs, and an array operation per run cost
        # 0.5 us (a 1,000-row histogram took 0.5 ms).
        runs = _runs(flags)
        for r in range(runs.shape[0]):
            lo, hi = 3 * BLOCK * runs[r, 0], min(3 * BLOCK * runs[r, 1], 3 * N_BINS)
            for q in range(lo, hi):
                flat_total[q] += flat_local[q]
                flat_local[q] = 0.0
            for b in range(runs[r, 0], runs[r, 1]):
                ever_g[b] = 1
                flags[b] = 0
    return least


@njit(cache=True, nogil=True)
def _collect(totals, ever, n_grp, lowest):
    """The sums of the occupied bins over the groups, their keys, the least weight.

    ``totals[g]`` are group ``g``'s running sums; clears them.
    """
    # The blocks any group touched, in order, groups added in order.
    for g in range(1, n_grp):
        ever[0] |= ever[g]
    runs = _runs(ever[0])
    m = 0
    for r in range(runs.shape[0]):
        m += min(BLOCK * runs[r, 1], N_BINS) - BLOCK * runs[r, 0]
    out = np.zeros((m, 3))
    keys = np.empty(m, dtype=np.int64)
    m = 0
    for r in range(runs.shape[0]):
        for b in range(BLOCK * runs[r, 0], min(BLOCK * runs[r, 1], N_BINS)):
            keys[m] = b
            for g in range(n_grp):
                total = totals[g]
                for c in range(3):
                    out[m, c] += total[b, c]
                    total[b, c] = 0.0
            m += 1
    # Only the occupied bins; a nan sum counts as occupied.
    occupied = (out[:, 0] != 0.0) | (out[:, 1] != 0.0) | (out[:, 2] != 0.0)
    index = np.nonzero(occupied)[0]
    return out[index], keys[index], lowest.min()


@njit(cache=True, parallel=True, nogil=True)
def _accumulate(x, w, n_grp, step, work, clustered):
    """Bin sums ``(w, w·x, w·x²)`` of the rows, by groups in parallel.

    ``n_grp`` groups of ``step`` rows, added in group order (:func:`_collect`).
    ``work`` (2 * n_grp, N_BINS, 3) is all zero on entry and on return: a group's
    sub-block sums and its running sums. Returns the sums of the occupied bins,
    their indices (increasing) and the least weight.
    """
    n = x.shape[0]
    lowest = np.zeros(n_grp)
    # Blocks a group's rows touched: in the current sub-block, and ever.
    touched = np.zeros((n_grp, N_BLOCKS), dtype=np.uint8)
    ever = np.zeros((n_grp, N_BLOCKS), dtype=np.uint8)
    for g in prange(n_grp):
        g0 = g * step
        lowest[g] = _fill_group(
            x,
            w,
            g0,
            min(n, g0 + step),
            work[2 * g],
            work[2 * g + 1],
            touched[g],
            ever[g],
            clustered,
        )
    return _collect(work[1::2], ever, n_grp, lowest)


@njit(cache=True, nogil=True)
def _accumulate_serial(x, w, work, clustered):
    """:func:`_accumulate` in one group on the calling thread (no thread launch).

    For callers that run several histograms at once on their own threads.
    """
    touched = np.zeros((1, N_BLOCKS), dtype=np.uint8)
    ever = np.zeros((1, N_BLOCKS), dtype=np.uint8)
    lowest = np.zeros(1)
    # Literal 0 and 1 arguments would compile the callees once more, for literals.
    lowest[0] = _fill_group(
        x, w, np.int64(0), x.shape[0], work[0], work[1], touched[0], ever[0], clustered
    )
    return _collect(work[1::2], ever, np.int64(1), lowest)


def _groups(n: int) -> tuple[int, int]:
    """``(groups, rows per group)`` for ``n`` rows: a function of ``n`` only."""
    n_grp = n_row_blocks(n, GROUP_ROWS, MAX_GROUPS)
    return n_grp, (n + n_grp - 1) // n_grp


def sum_depth(n: int, serial: bool = False) -> int:
    """Most additions any row's term goes through in the histogram of ``n`` rows.

    Within a sub-block (at most ``SUB_ROWS`` rows), then one per sub-block of its
    group, then one per group: each sum is within ``depth`` ulps of exact
    (relative to the sum of its terms' magnitudes). ``serial``: the rows in one
    group (:func:`binned` with ``serial=True``).
    """
    n_grp, step = (1, n) if serial else _groups(n)
    return min(step, SUB_ROWS) + (step + SUB_ROWS - 1) // SUB_ROWS + n_grp


def allowance_depth(n: int) -> int:
    """The rounding depth a bracket of ``n`` rows allows for, however binned.

    At least :func:`sum_depth` of ``n`` rows in parallel groups (simulate) and in
    one group (a sweep's parts, each binned on one thread), with room for the
    merges of a sweep's parts (its fixed households and each scenario's, the
    crossed path's several, each one more addition): a function of ``n`` only,
    so that a sweep's bracket of a scenario is simulate's up to rounding (they
    differed by 3.3e-10 at 1e6 rows, a sweep's parts summed deeper). A path
    deeper still keeps its own depth (a rigorous bracket, a little wider).
    """
    return (
        max(sum_depth(n), sum_depth(n, serial=True))
        + (n + SUB_ROWS - 1) // (SUB_ROWS)
        + 16
    )


_workspace = threading.local()


def _work(n_grp: int) -> np.ndarray:
    """Return the calling Python thread's all-zero accumulators for ``n_grp`` groups.

    Kept between calls. It is large (about 50 MB of address space) but only the
    bins the rows occupy are ever touched (about 1 MB per accumulator for incomes
    over 12 octaves), and first touches of fresh pages would otherwise cost a large
    part of the pass (7 ms for 14 MB measured here, against about 10 ms for the
    pass at 1e7 rows). NumPy gives it huge pages: the scattered updates then miss
    the TLB less (median 12.5 ms against 13 to 17 ms at 1e7 rows in 4 KiB pages),
    at 2 MiB of memory per touched region.
    """
    work = getattr(_workspace, "work", None)
    if work is None or work.shape[0] < 2 * n_grp:
        work = np.zeros((2 * MAX_GROUPS, N_BINS, 3))
        _workspace.work = work
    return work


def _serial_work() -> np.ndarray:
    """The calling thread's accumulators for one group, in ordinary pages.

    Serial histograms run several at once (a sweep's pool threads); in huge pages
    each thread's copy took 2 MiB a touched region (a sweep's peak memory rose by
    0.2 of the population's).
    """
    work = getattr(_workspace, "serial", None)
    if work is None:
        work = _untouched_zeros((2, N_BINS, 3))
        _workspace.serial = work
    return work


def _untouched_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """Zero float64 array whose memory is taken page by page as it is touched.

    An anonymous mapping in ordinary pages (NumPy advises huge pages for large
    arrays).
    """
    size = 8 * math.prod(shape)
    return np.frombuffer(mmap.mmap(-1, size), dtype=np.float64).reshape(shape)


@njit(cache=True, nogil=True)
def _checks(hist, keys):
    """``(bad, negative)``: a non-finite sum; weight in a bin below zero."""
    bad = False
    negative = False
    for i in range(hist.shape[0]):
        wb = hist[i, 0]
        finite = (
            math.isfinite(wb)
            and math.isfinite(hist[i, 1])
            and math.isfinite(hist[i, 2])
        )
        bad = bad or not finite
        negative = negative or (keys[i] < CENTER and wb > 0.0)
    return bad, negative


def binned(
    income: np.ndarray, weight: np.ndarray, serial: bool = False
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """``(hist, keys, rows, bad, negative)``: :func:`float_histogram` with keys.

    The bin indices ``keys`` (increasing) stand in place of the bounds, for merging
    histograms of disjoint sets of rows (:func:`merge_binned`). ``serial``: one
    group on the calling thread, for callers running several histograms at once
    on their own threads (the sums' grouping is then fixed, not ``_groups``').
    """
    income, weight = read_only(income), read_only(weight)
    n = income.shape[0]
    clustered = _clustered(income)
    # Bad rows and overflows are detected from the sums, not trapped; without JIT
    # numpy would warn about them on the way.
    with np.errstate(all="ignore"):
        if serial:
            hist, keys, lowest = _accumulate_serial(
                income, weight, _serial_work(), clustered
            )
        else:
            n_grp, step = _groups(n)
            hist, keys, lowest = _accumulate(
                income, weight, n_grp, step, _work(n_grp), clustered
            )
    bad, negative = _checks(hist, keys)
    bad = bad or not lowest >= 0.0
    return hist, keys, sum_depth(n, serial), bool(bad), bool(negative)


def running_sums(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty ``(totals, evers)`` of ``count`` histograms filled set of rows by set.

    ``totals[k]`` (N_BINS, 3) takes page by page only the bins its rows touch;
    ``evers[k]`` marks the blocks of bins touched. Fill with :func:`add_rows`,
    read histogram ``k`` with :func:`collect_rows` of ``totals[k], evers[k]``.
    """
    return (
        _untouched_zeros((count, N_BINS, 3)),
        np.zeros((count, N_BLOCKS), dtype=np.uint8),
    )


@njit(cache=True, parallel=True, nogil=True)
def _fill_each(incomes, weight, totals, evers, work, least):
    """Row ``k`` of ``incomes`` into histogram ``k``; tasks take runs of them.

    Each histogram is filled whole by one task (``work[t]`` its sub-block sums,
    all zero on entry and on return), so its sums do not depend on the thread
    count. ``least[k]``: the least weight of row ``k`` (at most 0).
    """
    count = incomes.shape[0]
    n_tasks = work.shape[0]
    for t in prange(n_tasks):
        touched = np.zeros(N_BLOCKS, dtype=np.uint8)
        for k in range(t * count // n_tasks, (t + 1) * count // n_tasks):
            x = incomes[k]
            least[k] = _fill_group(
                x,
                weight,
                0,
                x.shape[0],
                work[t],
                totals[k],
                touched,
                evers[k],
                _clustered(x),
            )


def add_rows(
    incomes: np.ndarray, weight: np.ndarray, totals: np.ndarray, evers: np.ndarray
) -> np.ndarray:
    """Add row ``k`` of ``incomes`` to the running sums ``totals[k], evers[k]``.

    ``incomes`` (count, rows), ``weight`` (rows,); the histograms of
    :func:`running_sums`, ``count`` of them or more. Each histogram's rows are
    summed in sub-blocks of at most ``SUB_ROWS`` rows (one flush into its total
    each) on one thread; Numba's threads take runs of histograms, so the
    sweep's histograms run on the threads of its kernel passes (on two Python
    threads of their own, Numba's idle thread spun beside them: a wage lever's
    1,000 scenarios at 1e6 households took 5.8 s instead of 5.4). Returns the least
    weight of each row (at most 0).
    """
    count = incomes.shape[0]
    n_tasks = max(1, min(count, thread_count()))
    work = getattr(_workspace, "each", None)
    if work is None or work.shape[0] < n_tasks:
        work = _untouched_zeros((n_tasks, N_BINS, 3))
        _workspace.each = work
    least = np.zeros(count)
    with np.errstate(all="ignore"):
        _fill_each(incomes, weight, totals, evers, work[:n_tasks], least)
    return least


def collect_rows(
    total: np.ndarray, ever: np.ndarray, lowest: float, counts: list[int]
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """The :func:`binned` histogram of the rows added to ``(total, ever)``.

    ``lowest``: the least weight :func:`add_rows` returned; ``counts``: the
    number of rows of each call. Each sum is within ``rows`` ulps: a row's term
    goes through at most ``SUB_ROWS`` additions in its sub-block, one per flush
    of a sub-block, one more in the collection. Clears ``total`` and ``ever``.
    """
    hist, keys, _ = _collect(total[None], ever[None], 1, np.zeros(1))
    ever[:] = 0
    bad, negative = _checks(hist, keys)
    depth = (
        min(max(counts, default=0), SUB_ROWS)
        + sum(-(-c // SUB_ROWS) for c in counts)
        + 1
    )
    return hist, keys, depth, bool(bad or not lowest >= 0.0), bool(negative)


@njit(cache=True, nogil=True)
def _merge(h1, k1, h2, k2):
    """Merge two histograms' occupied bins (sums ``h``, increasing keys ``k``).

    A key in both gets the sum of the two rows; the keys stay increasing.
    """
    hist = np.empty((k1.shape[0] + k2.shape[0], 3))
    keys = np.empty(k1.shape[0] + k2.shape[0], dtype=np.int64)
    i = j = m = 0
    while i < k1.shape[0] or j < k2.shape[0]:
        # Element by element: a row slice assignment per bin took 12 ns a bin.
        if j == k2.shape[0] or (i < k1.shape[0] and k1[i] < k2[j]):
            for c in range(3):
                hist[m, c] = h1[i, c]
            keys[m] = k1[i]
            i += 1
        elif i == k1.shape[0] or k2[j] < k1[i]:
            for c in range(3):
                hist[m, c] = h2[j, c]
            keys[m] = k2[j]
            j += 1
        else:
            for c in range(3):
                hist[m, c] = h1[i, c] + h2[j, c]
            keys[m] = k1[i]
            i += 1
            j += 1
        m += 1
    return hist[:m], keys[:m]


def merge_binned(
    first: tuple[np.ndarray, np.ndarray, int, bool, bool],
    second: tuple[np.ndarray, np.ndarray, int, bool, bool],
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """The :func:`binned` histogram of the rows of two :func:`binned` histograms.

    Sums of shared bins are added (one more rounding), so ``rows`` becomes the
    larger depth plus one.
    """
    h1, k1, r1, bad1, neg1 = first
    h2, k2, r2, bad2, neg2 = second
    hist, keys = _merge(h1, k1, h2, k2)
    return hist, keys, max(r1, r2) + 1, bad1 or bad2, neg1 or neg2


#: Total weight within which the bracket's products of two weights and two
#: binned incomes stay far from overflow and underflow.
SAFE_WEIGHT = 2.0**200


def _ordinary_scale(hist: np.ndarray, keys: np.ndarray) -> bool:
    """Whether the bracket's arithmetic is safe for the rows of this histogram.

    The rounding allowance of :func:`gini_from_bins` holds for normal floats only:
    the total weight must lie within ``SAFE_WEIGHT**±1`` (or be 0: no rows), so
    must every bin's weight that is not 0 (a bin of weight 1e-313 beside one of
    0.9, weights 1e-300 and 1e12 scaled, made products that underflow, and a
    "bracket" above 1), no row may lie in an overflow bin (``|x| >= 2**HIGH_EXP``),
    and the central bin may hold zeros only (a nonzero income below
    ``2**LOW_EXP`` squares towards underflow, and a negative one there is not
    flagged). Data outside (incomes or weights near 1e±200, weights more than
    2**200 apart) is rescaled by the caller or taken exactly.
    """
    # Weights are >= 0 (the caller checked): a total below 2**-200 has a bin
    # below it too, so the least bin's weight bounds the total from below.
    weights = hist[:, 0]
    if float(weights.sum()) > SAFE_WEIGHT:
        return False
    if np.any((weights > 0.0) & (weights < 1.0 / SAFE_WEIGHT)):
        return False
    if keys.shape[0] and (keys[0] == 0 or keys[-1] == N_BINS - 1):
        return False
    c = np.searchsorted(keys, CENTER)
    # Its sum of squares too: incomes ±1e-6 cancel in its sum (the negative one
    # went unflagged).
    return not (
        c < keys.shape[0]
        and keys[c] == CENTER
        and (hist[c, 1] != 0.0 or hist[c, 2] != 0.0)
    )


def binned_bracket(
    parts: tuple[np.ndarray, np.ndarray, int, bool, bool], n_rows: int
) -> tuple[float, float, float] | None:
    """Gini ``(estimate, lower, upper)`` of a :func:`binned` histogram, or ``None``.

    ``n_rows``: the rows it holds, whose :func:`allowance_depth` the bracket
    allows for at least. ``None`` when the histogram is not usable (bad rows,
    data of an extreme scale: :func:`_ordinary_scale`) or its bracket is wider
    than ``BRACKET_WIDTH`` or than ``BRACKET_RELATIVE_WIDTH`` times its upper
    bound (a Gini near 0), or not a number (the bins' total weight or weighted
    income not positive): the caller then falls back to the rows themselves.
    """
    hist, keys, rows, bad, _ = parts
    if bad or not _ordinary_scale(hist, keys):
        return None
    rows = max(rows, allowance_depth(n_rows))
    estimate, lower, upper = gini_from_bins(hist, _bounds_of(keys), rows)
    width = upper - lower
    # Not "width > ...": a nan bracket (the bins' weighted income re-formed <= 0
    # where the rows' is positive, as when negative incomes all but cancel) also
    # falls back to the rows, where it was a nan Gini with no reason.
    if not (width <= BRACKET_WIDTH and width <= BRACKET_RELATIVE_WIDTH * abs(upper)):
        return None
    return float(estimate), float(lower), float(upper)


def float_histogram(
    income: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """Histogram of ``income`` weighted by ``weight`` (float64, 1-D) on float bins.

    Returns ``(hist, bounds, rows, bad, negative)``: ``hist`` (m, 3) holds per bin
    ``W``, ``D1``, ``D2`` (module docstring) for the m occupied bins in increasing
    order, ``bounds`` (m, 3) their ``(lo, hi, anchor)``; ``rows`` is
    :func:`sum_depth`, each sum being within ``rows`` ulps of exact relative to
    the sum of its terms' magnitudes. ``bad`` is true
    when a row has a non-finite income or a weight that is not a finite number
    ``>= 0`` (the histogram is then meaningless), ``negative`` when some negative
    income has a positive weight.
    """
    hist, keys, rows, bad, negative = binned(income, weight)
    return hist, _bounds_of(keys), rows, bad, negative


@njit(cache=True, nogil=True)
def gini_from_bins(hist, bounds, rows):
    """Gini ``(estimate, lower, upper)`` from :func:`float_histogram`.

    ``hist`` (m, 3) holds ``W``, ``D1``, ``D2`` of m bins that are disjoint value
    intervals in increasing order, ``bounds`` (m, 3) their ``(lo, hi, anchor)``;
    ``rows`` bounds the number of terms of each plain sum.

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
    exact (its terms go through at most ``rows`` additions, :func:`sum_depth`), and
    the bracket is widened by what that error and this kernel's own rounding can
    change (the weighted income's relative error by its condition
    ``sum |w x| / sum w x``), so ``lower <= G <= upper`` holds for the exact Gini
    of the data. All
    ``nan`` unless the total weight and weighted income are positive.
    """
    gamma = (rows + 4.0) * (0.5 * _EPS)  # depth d: error <= d u sum |terms|
    ts = tc = 0.0
    xs = xc = 0.0
    x_abs = 0.0  # sum of |terms| of the weighted income, for its condition
    # The bins of positive weight, compacted in this loop: NumPy-style fancy
    # indexing of the same took a third of the bracket's time.
    n_bins = hist.shape[0]
    occupied = np.empty(n_bins, dtype=np.int64)
    shifts = np.empty(n_bins)
    means = np.empty(n_bins)
    weights = np.empty(n_bins)
    m = 0
    for k in range(n_bins):
        wb = hist[k, 0]
        if wb > 0.0:
            anchor = bounds[k, 2]
            ts, e = _two_sum(ts, wb)
            tc += e
            xs, e = _two_sum(xs, anchor * wb + hist[k, 1])
            xc += e
            x_abs += abs(anchor * wb) + abs(hist[k, 1])
            shift = hist[k, 1] / wb
            occupied[m] = k
            shifts[m] = shift
            means[m] = anchor + shift
            weights[m] = wb
            m += 1
    total_w = ts + tc
    total_x = xs + xc
    if not (total_w > 0.0 and total_x > 0.0):
        return math.nan, math.nan, math.nan
    between_sum, b_err = gap_sum_of_groups(
        means[:m], weights[:m], ts, tc, shifts[:m], gamma, True
    )
    lo_sum = hi_sum = est_sum = 0.0
    for j in range(m):
        k = occupied[j]
        wb = weights[j]
        # Plain products: their rounding (u each, and u for the difference) is
        # covered by the allowance, far below the sums' own error gamma.
        p1 = wb * hist[k, 2]
        p2 = hist[k, 1] * hist[k, 1]
        spread = p1 - p2
        s_err = (2.0 * gamma + 8.0 * _EPS) * (abs(p1) + p2)
        lower, upper, estimate = within_bin_bounds(
            wb, spread, s_err, bounds[k, 1] - bounds[k, 0]
        )
        lo_sum += lower
        hi_sum += upper
        est_sum += estimate
    between = 2.0 * between_sum
    # The weights left and right of each gap carry the sums' error too.
    pad = 2.0 * (b_err + (2.0 * gamma + 8.0 * _EPS) * abs(between_sum))
    denom = 2.0 * total_w * total_x
    # The weighted income's error is gamma times its terms' absolute sum: its
    # relative error grows by the condition when negative incomes nearly cancel
    # the positive ones (a Gini of 245 was bracketed 2e-12 above its value).
    condition = max(1.0, x_abs / total_x)
    rel = (2.0 * gamma + 8.0 * _EPS) * condition
    g_est = (between + est_sum) / denom
    g_lo = (between - pad + lo_sum) / denom * (1.0 - rel)
    g_hi = (between + pad + hi_sum) / denom * (1.0 + rel)
    return min(max(g_est, g_lo), g_hi), g_lo, g_hi


def histogram_bracket(
    income: np.ndarray, weight: np.ndarray
) -> tuple[float, float, float, bool, bool]:
    """Gini ``(estimate, lower, upper, usable, negative)``, checking the rows.

    The histogram bracket of one pass, or :func:`exact_bracket` when that bracket
    is wider than ``BRACKET_WIDTH``. ``usable`` is false when a row has a
    non-finite income or a weight that is not a finite number ``>= 0``, or when
    the data's scale is extreme (:func:`_ordinary_scale`: incomes from
    ``2**HIGH_EXP``, nonzero incomes below ``2**LOW_EXP``, a total weight beyond
    ``SAFE_WEIGHT**±1``); the three numbers are then ``nan``. ``negative``: some
    negative income has a positive weight. The numbers are ``nan`` too unless the
    total weight and weighted income are positive.
    """
    parts = binned(income, weight)
    hist, keys, _, bad, negative = parts
    if bad or not _ordinary_scale(hist, keys):
        return math.nan, math.nan, math.nan, False, negative
    bracket = binned_bracket(parts, income.shape[0])
    if bracket is None:
        bracket = exact_bracket(income, weight)
    estimate, lower, upper = bracket
    return float(estimate), float(lower), float(upper), True, negative


def exact_bracket(income: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """The exact Gini of valid rows as a bracket: its rounding allowance each side.

    ``EXACT_SLACK``, or the bound on the bins' means when larger, plus what
    rounding the products ``w x`` can do to the mean income: ``u`` times its
    condition ``sum |w x| / sum w x`` (incomes -0.1 and 0.1 + 1e-9, weights 0.7,
    have a Gini of 1e8 computed 4e-9 off, which a plain 1e-12 missed).
    """
    g, bound = exact_gini_and_bound(income, weight)
    return exact_gini_bracket(g, bound, income, weight)


def exact_gini_bracket(
    g: float, bound: float, income: np.ndarray, weight: np.ndarray
) -> tuple[float, float, float]:
    """:func:`exact_bracket` around ``g``, the exact Gini of these rows.

    ``bound``: its relative error from the bins' means (0 if computed from a sort).
    """
    return exact_gini_bounds(g, bound, *income_sums(income, weight))


def income_sums(income: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """``(sum w x, sum w |x|)`` of the rows, compensated (exact_gini_bounds's)."""
    return weighted_sum(income, weight), weighted_sum(np.abs(income), weight)


def exact_gini_bounds(
    g: float, bound: float, total: float, abs_total: float
) -> tuple[float, float, float]:
    """:func:`exact_gini_bracket` from the rows' ``sum w x`` and ``sum w |x|``.

    ``(g, -inf, inf)`` when rounding the products ``w x`` may have moved the
    weighted income by half of itself or more (negative incomes all but cancel
    the positive ones): the Gini's size, even its sign, is then not known.
    """
    if g != g:
        return g, g, g
    # A weighted income rounded to <= 0 while the Gini (its own sum, in another
    # order) came out a number: rounding is as large as the sum itself. It was a
    # condition of 0 here, and a negative Gini's 1e-12 bracket missed the truth.
    condition = abs_total / total if total > 0 else math.inf
    # The weighted income, the Gini's denominator, is within a relative r of its
    # exact value; the numerator within ``base``. Divided, not added: a linear
    # allowance base + r held for small r only, and missed a Gini of 3e18 whose
    # mean the rounding had made 50 times too large (r about 1).
    base = max(EXACT_SLACK, 2.0 * bound)
    r = 4.0 * _EPS * condition
    if not r < 0.5 or g < 0.0:
        # A negative Gini has a weighted income summed to < 0 (its gaps are
        # >= 0): rounding as large as the sum, whatever ``total`` says.
        return g, -math.inf, math.inf
    lower = g * (1.0 - base) / (1.0 + r)
    upper = g * (1.0 + base) / (1.0 - r)
    if g != 0.0:
        # A subnormal Gini (weights 1e-300 and 1e12) is rounded to a multiple of
        # 2**-1074, which a relative slack cannot cover: it rounded to 0, and the
        # bracket of width 0 missed the exact value by an ulp. (A Gini of exactly
        # 0, equal incomes, is exact.)
        lower = min(lower, g - SUBNORMAL_SLACK)
        upper = max(upper, g + SUBNORMAL_SLACK)
    return g, lower, upper


def bracket_by_sort(n_rows: int) -> bool:
    """Whether ``n_rows`` rows are bracketed by their exact Gini, not by bins.

    Fewer than ``HISTOGRAM_MIN_ROWS`` (read at each call, so that tests of the
    histogram paths on small populations can lower it).
    """
    return n_rows < HISTOGRAM_MIN_ROWS


def bracket_gini(
    income: np.ndarray, weight: np.ndarray, n_rows: int | None = None
) -> tuple[float, float, float]:
    """``(estimate, lower, upper)`` Gini of valid rows, at most ``BRACKET_WIDTH`` wide.

    Rows must have finite incomes and finite weights ``>= 0``. The bracket of
    :func:`histogram_bracket`, or :func:`exact_bracket` when the histogram is not
    usable (data of an extreme scale) or the rows are fewer than
    ``HISTOGRAM_MIN_ROWS``. All ``nan`` unless the total weight and
    weighted income are positive; unbounded where negative incomes all but
    cancel the positive ones (:func:`exact_gini_bounds`). ``n_rows``: the rows
    the caller was given, zero weights included, when it has dropped those (the
    path is chosen on them, as for the rows of a float64 array).
    """
    if bracket_by_sort(income.shape[0] if n_rows is None else n_rows):
        return exact_bracket(income, weight)
    estimate, lower, upper, usable, _ = histogram_bracket(income, weight)
    if usable:
        return estimate, lower, upper
    return exact_bracket(income, weight)
