"""Numba kernels for the inequality measures (layer 1: arrays and scalars only).

Every kernel here trusts its caller: no validation, no randomness, no objects. The
wrappers in :mod:`commonprosperity.metrics` validate, coerce to contiguous float64
and call ``np.argsort``; the simulation engine calls the kernels below directly.

Kernel API used by the simulation engine (names and signatures are a contract):

``gini_exact_from_order(income, weight, order) -> float``
    Exact weighted (population) Gini from a precomputed ``np.argsort(income)``.
``HIST_N_BINS``
    Number of bins of the float-bits histogram (module constant, 197,891).
``hist_bin(x) -> int64``
    Bin of a finite float64; monotone non-decreasing in ``x``.
``hist_bin_bounds(b) -> (lo, hi)``
    Value range of bin ``b``.
``within_bin_bounds(W_b, S, s_err, h) -> (lower, upper, estimate)``
    Bounds on one histogram bin's pair sum (the histogram Gini's within-bin part,
    :mod:`commonprosperity._kernels.histogram`).

Sums are compensated (TwoSum, i.e. Kahan-Babuska/Neumaier in branch-free form), so
a 10-million-element weighted sum carries an error of a few ulps rather than
``n`` ulps. No kernel uses ``fastmath``, and every kernel runs unchanged as plain
Python under ``NUMBA_DISABLE_JIT=1``. The two engine-facing Gini kernels are
compiled with ``nogil=True`` as well, so the engine can overlap them with
``np.argsort`` (which releases the GIL) in Python threads; this does not change
a single bit of their results.

Histogram layout
----------------
A finite ``x`` is binned by its sign, binary exponent and top mantissa bits, read
from its IEEE-754 bits (no ``log``):

* ``|x| < 1``: one central *underflow* bin, values in ``(-1, 1)``;
* ``1 <= |x| < 2**24`` (16.8 million): exponent and the top
  ``HIST_MANTISSA_BITS = 12`` mantissa bits, i.e. 4,096 bins per octave, each of
  relative width ``2**-12`` (0.024 %);
* ``2**24 <= |x| < 2**64``: the top ``HIST_TAIL_MANTISSA_BITS = 4`` bits (16 bins per
  octave, relative width 6.25 %) for the rare very large incomes;
* ``|x| >= 2**64``: one *overflow* bin per sign.

Negative values are mirrored: bin ``HIST_CENTER - k`` holds the negatives whose
magnitude falls in the magnitude range of bin ``HIST_CENTER + k``, so the index is
monotone in ``x`` over the whole real line.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "HIST_CENTER",
    "HIST_MANTISSA_BITS",
    "HIST_N_BINS",
    "HIST_TAIL_MANTISSA_BITS",
    "concentration_from_order",
    "descents",
    "gini_checked_from_order",
    "gini_exact_from_order",
    "grouped_totals",
    "hist_bin",
    "hist_bin_bounds",
    "least_positive",
    "lorenz_from_order",
    "resort_stable",
    "weighted_sum",
    "weighted_totals",
    "within_bin_bounds",
]

# Histogram layout constants (see the module docstring).
HIST_MANTISSA_BITS = 12
HIST_FINE_OCTAVES = 24
HIST_TAIL_MANTISSA_BITS = 4
HIST_TAIL_OCTAVES = 40
_FINE_BINS = HIST_FINE_OCTAVES << HIST_MANTISSA_BITS  # 98,304 magnitudes in [1, 2**24)
_TAIL_BINS = HIST_TAIL_OCTAVES << HIST_TAIL_MANTISSA_BITS  # 640 in [2**24, 2**64)
_OVERFLOW_MAG = _FINE_BINS + _TAIL_BINS  # magnitude index of |x| >= 2**64
HIST_CENTER = _OVERFLOW_MAG + 1  # index of the underflow bin (-1, 1)
HIST_N_BINS = 2 * HIST_CENTER + 1  # 197,891
_ABS_MASK = 0x7FFFFFFFFFFFFFFF
_FINE_SHIFT = 52 - HIST_MANTISSA_BITS
_FINE_OFFSET = 1023 << HIST_MANTISSA_BITS
_FINE_MASK = (1 << HIST_MANTISSA_BITS) - 1
_TAIL_SHIFT = 52 - HIST_TAIL_MANTISSA_BITS
_TAIL_OFFSET = (1023 + HIST_FINE_OCTAVES) << HIST_TAIL_MANTISSA_BITS
_TAIL_MASK = (1 << HIST_TAIL_MANTISSA_BITS) - 1
_FINE_STEPS = float(1 << HIST_MANTISSA_BITS)
_TAIL_STEPS = float(1 << HIST_TAIL_MANTISSA_BITS)

_EPS = 2.0**-52  # float64 machine epsilon (unit roundoff is half of it)
_TWO_OVER_SQRT3 = 2.0 / math.sqrt(3.0)


# Error-free transformations.
@njit(cache=True)
def _two_sum(a: float, b: float) -> tuple[float, float]:
    """Return ``(s, e)``: ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


# Plain weighted sums.
@njit(cache=True, inline="always")
def _add_row(ws, wc, xs, xc, xi, wi):
    """One row ``(xi, wi)`` added to the pairs ``(ws, wc)`` and ``(xs, xc)``."""
    ws, e = _two_sum(ws, wi)
    wc += e
    xs, e = _two_sum(xs, wi * xi)
    xc += e
    return ws, wc, xs, xc


@njit(cache=True)
def _totals(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """``sum(w)`` and ``sum(w * x)`` as unevaluated pairs ``(ws, wc, xs, xc)``."""
    ws = wc = 0.0
    xs = xc = 0.0
    for i in range(x.shape[0]):
        ws, wc, xs, xc = _add_row(ws, wc, xs, xc, x[i], w[i])
    return ws, wc, xs, xc


@njit(cache=True)
def weighted_totals(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Compensated ``(sum(w), sum(w * x))``.

    Preconditions: ``x`` and ``w`` float64, same length.
    """
    ws, wc, xs, xc = _totals(x, w)
    return ws + wc, xs + xc


@njit(cache=True)
def weighted_sum(v: np.ndarray, w: np.ndarray) -> float:
    """Compensated ``sum(w * v)``.

    Preconditions: ``v`` and ``w`` float64, same length.
    """
    s = c = 0.0
    for i in range(v.shape[0]):
        s, e = _two_sum(s, w[i] * v[i])
        c += e
    return s + c


@njit(cache=True)
def grouped_totals(
    codes: np.ndarray, n_groups: int, w: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Compensated per-group ``(sum(w), sum(w * v))``.

    Preconditions: ``codes`` int64 in ``[0, n_groups)``; ``w``, ``v`` float64; all
    three the same length.
    """
    ws = np.zeros(n_groups)
    wc = np.zeros(n_groups)
    vs = np.zeros(n_groups)
    vc = np.zeros(n_groups)
    for i in range(codes.shape[0]):
        g = codes[i]
        s, e = _two_sum(ws[g], w[i])
        ws[g] = s
        wc[g] += e
        s, e = _two_sum(vs[g], w[i] * v[i])
        vs[g] = s
        vc[g] += e
    return ws + wc, vs + vc


# Exact rank-based measures.
@njit(cache=True, nogil=True)
def resort_stable(income, order, keys, budget):
    """Sort ``order`` in place into ``np.argsort(income, kind="stable")``, by insertion.

    ``order`` is any permutation of ``0..n-1`` (a nearby sort order: the previous
    scenario's). Rows are ordered by ``(income, index)``, so the result is the
    stable argsort whatever the starting order. Insertion costs one step per row
    plus one per position a row moves, which for nearly sorted rows is far below
    a sort's. Returns False, leaving ``order`` some permutation, when the moves
    would exceed ``budget`` or an income is not finite (sort them otherwise);
    ``keys`` (n,) receives the incomes in the order (when True).
    """
    n = order.shape[0]
    for i in range(n):
        keys[i] = income[order[i]]
        if not math.isfinite(keys[i]):
            return False
    moves = 0
    for i in range(1, n):
        x = keys[i]
        o = order[i]
        if keys[i - 1] < x or (keys[i - 1] == x and order[i - 1] < o):
            continue
        j = i - 1
        while j >= 0 and (keys[j] > x or (keys[j] == x and order[j] > o)):
            keys[j + 1] = keys[j]
            order[j + 1] = order[j]
            j -= 1
        keys[j + 1] = x
        order[j + 1] = o
        moves += i - 1 - j
        if moves > budget:
            return False
    return True


@njit(cache=True, nogil=True)
def descents(x):
    """How many rows of ``x`` are below the row before them (NaNs never are)."""
    count = 0
    for i in range(1, x.shape[0]):
        count += 1 if x[i] < x[i - 1] else 0
    return count


@njit(cache=True, nogil=True)
def gini_exact_from_order(
    income: np.ndarray, weight: np.ndarray, order: np.ndarray
) -> float:
    """Exact weighted Gini from a sort order, in one gather pass.

    Population (frequency-weight) definition
    ``G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)``, evaluated in the gap form

    ``G = sum_k (x_(k+1) - x_(k)) * L_k * (W - L_k) / (W * X)``

    where ``x_(k)`` is the k-th smallest income, ``L_k`` the weight of the ``k+1``
    smallest rows, ``W = sum w`` and ``X = sum w x``. Every term is non-negative,
    so the result carries no cancellation error, ties need no special treatment
    (their gaps are exactly zero, so any order among ties gives the same value),
    and equal incomes give exactly 0. Zero-weight rows change nothing.

    Parameters
    ----------
    income, weight : ndarray of float64, contiguous, same length ``n >= 1``
        Finite incomes (yuan; negatives allowed) and weights ``>= 0``.
    order : ndarray of int64
        ``np.argsort(income)`` (any algorithm: ties may come in any order).

    Returns
    -------
    float
        The Gini coefficient. Preconditions: ``W > 0`` and ``X > 0`` (a positive
        mean); otherwise the value is meaningless (``inf``, ``nan`` or of wrong
        sign). The kernel reads ``income`` and ``weight`` only through ``order``
        in its second pass and never copies or sorts them.
    """
    # The merge with an empty sorted part is this gap form, operation for operation.
    none = np.empty(0)
    return gini_exact_merged(none, none, income, weight, order)


@njit(cache=True, nogil=True)
def gini_exact_merged(
    sorted_income: np.ndarray,
    sorted_weight: np.ndarray,
    income: np.ndarray,
    weight: np.ndarray,
    order: np.ndarray,
) -> float:
    """:func:`gini_exact_from_order` of the union of two sets of rows.

    ``sorted_income`` (increasing) and ``sorted_weight`` are the first set, already
    sorted; ``income``, ``weight`` the second with ``order = np.argsort(income)``.
    The two are merged on the fly (ties in any order, which changes nothing): the
    same gap form, sums and preconditions, without sorting or copying the union.
    """
    ws, wc, xs, xc = _totals(sorted_income, sorted_weight)
    ws2, wc2, xs2, xc2 = _totals(income, weight)
    ws, e = _two_sum(ws, ws2)
    wc += wc2 + e
    xs, e = _two_sum(xs, xs2)
    xc += xc2 + e
    d = _gap_sum(sorted_income, sorted_weight, income, weight, order, ws, wc)
    return gini_of(d, (ws + wc) * (xs + xc))


@njit(cache=True, nogil=True, inline="always")
def gini_of(d, denominator):
    """``d / denominator``, NaN for a zero denominator (all incomes 0: no Gini).

    A sweep's scenario that leaves every income at 0 got Python's
    ZeroDivisionError out of the kernel; simulate reports such a Gini as NaN.
    """
    return d / denominator if denominator != 0.0 else np.nan


@njit(cache=True, nogil=True)
def _gap_sum(sorted_income, sorted_weight, income, weight, order, ws, wc):
    """``sum_k (x_(k+1) - x_(k)) L_k R_k`` over two merged sets of rows.

    The rows of :func:`gini_exact_merged`; ``W = ws + wc`` their total weight,
    ``L_k`` the weight of the rows up to the k-th, ``R_k = W - L_k`` that of the
    rows above it. The gaps are taken from the bottom while ``L_k < W / 2``, then
    from the top: each side sums its own weights, so the smaller of ``L_k`` and
    ``R_k`` is summed, never a difference of nearly equal sums (``W - L_k`` for
    the top rows lost every digit when they weighed 1e-20 of ``W``: Ginis
    above 1), and the larger is ``W`` less at most ``W / 2``.
    """
    n1 = sorted_income.shape[0]
    n2 = income.shape[0]
    half = 0.5 * (ws + wc)
    ls = lc = 0.0
    ds = dc = 0.0
    i = j = 0
    have = False
    x_k = 0.0
    for _ in range(n1 + n2):
        take_sorted = j == n2 or (i < n1 and sorted_income[i] <= income[order[j]])
        if take_sorted:
            x_next = sorted_income[i]
            w_next = sorted_weight[i]
        else:
            x_next = income[order[j]]
            w_next = weight[order[j]]
        if have:
            left = ls + lc
            if left >= half:
                break  # this gap and the ones above it: from the top
            right = (ws - ls) + (wc - lc)
            ds, e = _two_sum(ds, (x_next - x_k) * left * right)
            dc += e
        if take_sorted:
            i += 1
        else:
            j += 1
        ls, e = _two_sum(ls, w_next)
        lc += e
        x_k = x_next
        have = True
    if i == n1 and j == n2:
        return ds + dc
    # The rows left (sorted_income[i:], order[j:]) from the largest down; the
    # last gap is the one between the lowest of them and x_k.
    rs = rc = 0.0
    a = n1 - 1
    b = n2 - 1
    x_hi = 0.0
    have = False
    while a >= i or b >= j:
        if b < j or (a >= i and sorted_income[a] >= income[order[b]]):
            x_lo = sorted_income[a]
            w_lo = sorted_weight[a]
            a -= 1
        else:
            x_lo = income[order[b]]
            w_lo = weight[order[b]]
            b -= 1
        if have:
            right = rs + rc
            ds, e = _two_sum(ds, (x_hi - x_lo) * ((ws - rs) + (wc - rc)) * right)
            dc += e
        rs, e = _two_sum(rs, w_lo)
        rc += e
        x_hi = x_lo
        have = True
    right = rs + rc
    ds, e = _two_sum(ds, (x_hi - x_k) * ((ws - rs) + (wc - rc)) * right)
    dc += e
    return ds + dc


@njit(cache=True, nogil=True)
def gap_sum_of_groups(mean, weight, ws, wc, shift, gamma, with_error):
    """``sum_k (mean[k+1] - mean[k]) L_k R_k`` of groups in increasing order.

    ``weight[k] >= 0`` is group k's weight, ``W = ws + wc`` their total,
    ``L_k = sum weight[:k+1]`` and ``R_k = W - L_k``. As :func:`_gap_sum`, the
    gaps are taken from the bottom while ``L_k < W / 2``, then from the top, so
    no side's weight is a difference of nearly equal sums. Returns the
    compensated sum and, ``with_error``, a bound on what the rounding of the
    means (a few ulps) and an error of ``gamma`` (relative) in their parts
    ``shift`` within their bins can change in it (else 0).
    """
    n = mean.shape[0]
    half = 0.5 * (ws + wc)
    ls = lc = 0.0
    ds = dc = 0.0
    err = 0.0
    k = 0
    while k < n:
        if k > 0:
            left = ls + lc
            if left >= half:
                break
            lr = left * ((ws - ls) + (wc - lc))
            ds, e = _two_sum(ds, (mean[k] - mean[k - 1]) * lr)
            dc += e
            if with_error:
                err += _gap_error(mean, shift, k, gamma) * lr
        ls, e = _two_sum(ls, weight[k])
        lc += e
        k += 1
    rs = rc = 0.0
    for t in range(n - 1, k - 1, -1):
        rs, e = _two_sum(rs, weight[t])
        rc += e
        lr = ((ws - rs) + (wc - rc)) * (rs + rc)
        ds, e = _two_sum(ds, (mean[t] - mean[t - 1]) * lr)
        dc += e
        if with_error:
            err += _gap_error(mean, shift, t, gamma) * lr
    return ds + dc, err


@njit(cache=True, inline="always")
def _gap_error(mean, shift, k, gamma):
    """Rounding bound of gap k's length per unit of ``L_k R_k``."""
    return 2.0 * _EPS * (abs(mean[k]) + abs(mean[k - 1])) + 2.0 * gamma * (
        abs(shift[k]) + abs(shift[k - 1])
    )


@njit(cache=True, nogil=True)
def gini_checked_from_order(
    income: np.ndarray, weight: np.ndarray, order: np.ndarray
) -> tuple[float, int, int, float, float]:
    """:func:`gini_exact_from_order` of unchecked rows, checking them on the way.

    Returns ``(gini, n_bad, n_negative, top, total)``: ``n_bad`` rows have a
    non-finite income or a weight that is not a finite number ``>= 0``,
    ``n_negative`` rows a negative income and a positive weight; ``top`` is the
    largest ``|income|`` of a positively weighted row and ``total`` the weight
    (for the caller's scale check). ``gini`` is ``nan`` when a row is bad or the
    weight or the weighted income is not positive (the same compensated sums as
    the measures' validation, so the same verdict); otherwise it is bit for bit
    :func:`gini_exact_from_order`'s. ``order``: ``np.argsort(income)``.
    """
    ws = wc = xs = xc = 0.0
    n_bad = 0
    n_negative = 0
    top = 0.0
    # The sums of _totals, in its order, with the checks of the rows beside them.
    for i in range(income.shape[0]):
        xi = income[i]
        wi = weight[i]
        ws, wc, xs, xc = _add_row(ws, wc, xs, xc, xi, wi)
        n_bad += not (math.isfinite(xi) and math.isfinite(wi) and wi >= 0.0)
        positive = wi > 0.0
        n_negative += (xi < 0.0) & positive
        magnitude = abs(xi)
        top = magnitude if positive & (magnitude > top) else top
    scale = (ws + wc) * (xs + xc)
    # A product below the smallest float (weights and incomes near 1e-160) is
    # data of an extreme scale: the caller's scale check sends it to the full path.
    if n_bad or not (ws + wc > 0.0 and xs + xc > 0.0 and scale > 0.0):
        return math.nan, n_bad, n_negative, top, ws + wc
    none = np.empty(0)
    d = _gap_sum(none, none, income, weight, order, ws, wc)
    return d / scale, n_bad, n_negative, top, ws + wc


@njit(cache=True)
def concentration_from_order(
    values: np.ndarray, weight: np.ndarray, rank: np.ndarray, order: np.ndarray
) -> tuple[float, float, float]:
    """Numerator of the concentration index of ``values`` ranked by ``rank``.

    Returns ``(num, W, V)`` with ``W = sum w``, ``V = sum w v`` and
    ``num = sum_i w_i v_i (2 B_i + T_i - W)`` where ``B_i`` is the weight of the
    rows whose ``rank`` is strictly below ``rank_i`` and ``T_i`` the weight of the
    tie group of ``rank_i``: rows tied in ``rank`` share their mid-rank
    ``(B_i + T_i / 2) / W``, so the result does not depend on the order of ties.
    The concentration index is ``num / (W * V)``; with ``values is rank`` it is the
    Gini coefficient.

    Preconditions: float64 ``values``, ``weight`` (``>= 0``) and ``rank`` of one
    length ``n >= 1``; ``order = np.argsort(rank)`` as int64.
    """
    n = values.shape[0]
    ws, wc, vs, vc = _totals(values, weight)
    total = ws + wc
    bs = bc = 0.0  # weight strictly below the current tie group
    ns = nc = 0.0
    i = 0
    while i < n:
        r = rank[order[i]]
        gws = gwc = 0.0
        gvs = gvc = 0.0
        j = i
        while j < n and rank[order[j]] == r:
            oj = order[j]
            gws, e = _two_sum(gws, weight[oj])
            gwc += e
            gvs, e = _two_sum(gvs, weight[oj] * values[oj])
            gvc += e
            j += 1
        below = bs + bc
        group_w = gws + gwc
        above = (total - below) - group_w
        ns, e = _two_sum(ns, (gvs + gvc) * (below - above))
        nc += e
        bs, e = _two_sum(bs, group_w)
        bc += e
        i = j
    return ns + nc, total, vs + vc


@njit(cache=True)
def lorenz_from_order(
    income: np.ndarray, weight: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve points, ties merged, starting at ``(0, 0)``.

    Returns ``(p, s)``: cumulative population share and cumulative income share
    after each distinct income value (in ascending order) that carries positive
    weight; ``p[0] = s[0] = 0`` and the last point is exactly ``(1, 1)``.

    Preconditions: float64 ``income`` and ``weight`` (``>= 0``, positive sum and
    positive ``sum(w * x)``), ``order = np.argsort(income)`` as int64.
    """
    n = income.shape[0]
    cum_w = np.empty(n + 1)
    cum_x = np.empty(n + 1)
    cum_w[0] = 0.0
    cum_x[0] = 0.0
    ws = wc = 0.0
    xs = xc = 0.0
    m = 0
    i = 0
    while i < n:
        x = income[order[i]]
        gw = 0.0
        while i < n and income[order[i]] == x:
            wi = weight[order[i]]
            ws, e = _two_sum(ws, wi)
            wc += e
            xs, e = _two_sum(xs, wi * x)
            xc += e
            gw += wi
            i += 1
        if gw > 0.0:
            m += 1
            cum_w[m] = ws + wc
            cum_x[m] = xs + xc
    total_w = cum_w[m]
    total_x = cum_x[m]
    p = np.empty(m + 1)
    s = np.empty(m + 1)
    for k in range(m + 1):
        p[k] = cum_w[k] / total_w
        s[k] = cum_x[k] / total_x
    return p, s


# Histogram layout (the exact Gini's buckets).
@njit(cache=True)
def hist_bin(x: float) -> int:
    """Histogram bin of a finite float64, read from its bits (no ``log``).

    Returns an int64 in ``[0, HIST_N_BINS)``, monotone non-decreasing in ``x``:
    ``HIST_CENTER`` for ``|x| < 1`` (and ``-0.0``), ``HIST_CENTER + 1 + k`` for the
    ``k``-th magnitude bin of a positive ``x`` and ``HIST_CENTER - 1 - k`` for a
    negative one. Branch-light: two shifts, two clips and one select. Precondition:
    ``x`` finite (``nan`` and ``inf`` land in the underflow or overflow bin).
    """
    bits = np.float64(x).view(np.int64)
    a = bits & _ABS_MASK
    fine = (a >> _FINE_SHIFT) - _FINE_OFFSET
    tail = _FINE_BINS + ((a >> _TAIL_SHIFT) - _TAIL_OFFSET)
    mag = fine if fine < _FINE_BINS else min(tail, _OVERFLOW_MAG)
    # np.int64 beside Python ints: the stubs type min/max of the two loosely.
    step = max(mag, -1) + 1  # type: ignore[operator]
    return HIST_CENTER - step if bits < 0 else HIST_CENTER + step  # type: ignore[return-value]


@njit(cache=True)
def hist_bin_bounds(b: int) -> tuple[float, float]:
    """Return the value range ``(lo, hi)`` of histogram bin ``b``.

    A positive bin holds ``lo <= x < hi``, a negative bin ``lo < x <= hi``, the
    underflow bin ``-1 < x < 1``; the overflow bins are ``[2**64, inf)`` and
    ``(-inf, -2**64]``. The width ``hi - lo`` bounds every within-bin difference.
    Precondition: ``0 <= b < HIST_N_BINS``.
    """
    d = b - HIST_CENTER
    if d == 0:
        return -1.0, 1.0
    mag = abs(d) - 1
    if mag < _FINE_BINS:
        e = mag >> HIST_MANTISSA_BITS
        j = mag & _FINE_MASK
        lo = math.ldexp(1.0 + j / _FINE_STEPS, int(e))
        hi = math.ldexp(1.0 + (j + 1) / _FINE_STEPS, int(e))
    elif mag < _OVERFLOW_MAG:
        t = mag - _FINE_BINS
        e = HIST_FINE_OCTAVES + (t >> HIST_TAIL_MANTISSA_BITS)
        j = t & _TAIL_MASK
        lo = math.ldexp(1.0 + j / _TAIL_STEPS, int(e))
        hi = math.ldexp(1.0 + (j + 1) / _TAIL_STEPS, int(e))
    else:
        lo = math.ldexp(1.0, HIST_FINE_OCTAVES + HIST_TAIL_OCTAVES)
        hi = math.inf
    if d < 0:
        return -hi, -lo
    return lo, hi


_THIRD = 1.0 / 3.0
_MANTISSA_MASK = (1 << 52) - 1


@njit(cache=True, inline="always")
def _reciprocal(width):
    """``1 / width`` for ``width > 0``; without a division for a power of two.

    Float-bits bins have power-of-two widths, whose reciprocal is read off the
    exponent (exact, as the division would be); divisions were a third of the
    histogram Gini's per-bin cost.
    """
    bits = np.float64(width).view(np.int64)
    e = bits >> 52
    if (bits & _MANTISSA_MASK) == 0 and 1 <= e <= 2045:
        return np.int64((2046 - e) << 52).view(np.float64)
    return 1.0 / width


@njit(cache=True, inline="always")
def within_bin_bounds(wb, spread, s_err, width):
    """Bounds ``(lower, upper, estimate)`` on a bin's ``sum_ij w_i w_j |x_i - x_j|``.

    ``wb`` is the bin's weight, ``spread`` its ``S = sum_ij w_i w_j (x_i - x_j)^2 / 2``
    known to within ``s_err``, ``width`` the bin's width (``inf`` allowed). See
    :func:`commonprosperity._kernels.histogram.gini_from_bins` for the inequalities.
    """
    s_lo = max(spread - s_err, 0.0)
    s_hi = spread + s_err
    upper = _TWO_OVER_SQRT3 * wb * math.sqrt(s_hi) * (1.0 + 4.0 * _EPS)
    if width < math.inf:
        lower = 2.0 * s_lo * _reciprocal(width) * (1.0 - 4.0 * _EPS)
        upper = min(upper, 0.5 * wb * wb * width * (1.0 + 4.0 * _EPS))
        estimate = min(
            _TWO_OVER_SQRT3 * wb * math.sqrt(max(spread, 0.0)),
            wb * wb * width * _THIRD,
        )
    else:
        lower = 0.0
        estimate = _TWO_OVER_SQRT3 * wb * math.sqrt(max(spread, 0.0))
    return lower, upper, min(max(estimate, lower), upper)


@njit(cache=True, parallel=True, nogil=True)
def magnitudes(x, w):
    """``(largest |x| over rows of positive weight, sum of w, least positive w)``.

    One pass; a rough scale of the data (plain sums, any order): the measures'
    fast paths use it to tell whether their products of weights and incomes
    could overflow or underflow. Non-finite rows make the first two non-finite;
    the least positive weight is 0.0 if there is none (NaNs are skipped).
    """
    n = x.shape[0]
    n_parts = 2 * max(1, min(8, n // 65_536))
    tops = np.zeros(n_parts)
    totals = np.zeros(n_parts)
    leasts = np.full(n_parts, math.inf)
    for p in prange(n_parts):
        top = 0.0
        total = 0.0
        least = math.inf
        for i in range(p * n // n_parts, (p + 1) * n // n_parts):
            wi = w[i]
            total += wi
            a = abs(x[i])
            # max() would drop a nan; the comparison keeps it.
            top = a if (wi > 0.0) & ((a > top) | (a != a)) else top
            least = wi if (wi > 0.0) & (wi < least) else least
        tops[p] = top
        totals[p] = total
        leasts[p] = least
    top = 0.0
    for p in range(n_parts):
        top = tops[p] if (tops[p] > top) | (tops[p] != tops[p]) else top
    least = leasts.min()
    return top, totals.sum(), least if least < math.inf else 0.0


@njit(cache=True, nogil=True)
def least_positive(w):
    """The smallest positive value of ``w`` (0.0 if none; NaNs are skipped)."""
    least = math.inf
    for i in range(w.shape[0]):
        wi = w[i]
        least = wi if (wi > 0.0) & (wi < least) else least
    return least if least < math.inf else 0.0
