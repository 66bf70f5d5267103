"""A stable argsort of float64 values by their bits (pure Numba).

``stable_sorted_rows(x, w, work)`` gives ``order = np.argsort(x, kind="stable")``
(rows by value, ties, ``-0.0`` and ``0.0`` among them, by index, NaNs last) and
the rows' values and weights in that order; ``sorted_values(x, w, work)`` the
values and weights only, without the gather of the weights that the order needs.
A sweep sorts each scenario's incomes
from the previous scenario's order by insertion (``inequality.resort_stable``);
when its lever moves every household a little (wage growth), the rows move too
far for that and a full sort is needed. NumPy's
stable sort of floats is a timsort (42 ms for 710,000 incomes of such a sweep,
65 ms for as many in random order, on znver5). This least-significant-digit
radix sort over the bits sorts by the top four 8-bit digits only (each pass
reads and writes the rows once, skipping a digit all rows share); rows then
below the one before share those 32 bits (within about a millionth of each
other) and only their run is sorted by the low digits: by insertion if short,
else by radix. A sort of such a sweep's rows (two at once) took 13.3 ms by all
eight digits in arrays of its own, 10.5 ms by the top four in work arrays
reused from sort to sort (:func:`sort_work`; 20 ms in fresh ones, whose pages
the system must first map). Digits of 8 bits and each row's key and
index side by side, one write stream per bucket: with 11-bit digits, or keys
and indices in arrays of their own (two streams a bucket), it took 20-27 ms.
A first pass by the top 16 bits into buckets that fit in cache, each then
sorted by the rest, was no faster (two sorts at once, on the two cores:
22.7-24.8 ms each either way). The bucket sort of ``buckets.income_order``
gives the same stable order, but as a parallel kernel run by the sweep's two
threads at once, and without the values in order: with the gathers after it,
22 ms a row of such a sweep against 16.5 ms for the eight-digit radix sort
(two at once); ``buckets.sorted_rows`` orders ties by index only from 2**19
rows.
"""

import numpy as np
from numba import njit

from commonprosperity._kernels.buckets import _insertion

__all__ = ["sort_work", "sorted_values", "stable_sorted_rows"]

#: Bits of a digit: 256 buckets, whose write positions stay in L1.
_BITS = 8
_N_DIGITS = 64 // _BITS
#: Digits sorted over all rows; rows sharing them are then sorted by the rest.
_TOP = 4
#: Runs up to this long sorted by insertion, longer ones by their low digits.
_SHORT = 32
_MASK = np.uint64((1 << _BITS) - 1)
_SIGN = np.uint64(1 << 63)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, inline="always")
def _key(x):
    """Unsigned bits ordered as ``x``: -0.0 as 0.0, every NaN above +inf."""
    if x != x:
        return _ALL
    # Adding +0.0 turns -0.0 into +0.0 (they are equal values).
    bits = np.float64(x + 0.0).view(np.uint64)
    if bits & _SIGN:
        return ~bits
    return bits | _SIGN


@njit(cache=True, inline="always")
def _value(k):
    """The value of key ``k`` other than a zero's or a NaN's (``_key`` inverted)."""
    if k & _SIGN:
        return np.uint64(k ^ _SIGN).view(np.float64)
    return np.uint64(~k).view(np.float64)


@njit(cache=True, nogil=True)
def _digit_passes(rows, spare, a, b, counts, lo):
    """Rows ``a:b`` stably by the digits ``lo``, ``lo + 1``, ... of their keys.

    ``counts[d - lo]``: the rows' count of each value of digit ``d``, consumed.
    Returns ``(sorted, other, passes)``: ``rows`` and ``spare``, the one that
    holds the sorted rows ``a:b`` first (``spare`` if ``passes`` is odd).
    """
    n = b - a
    passes = 0
    for d in range(lo, lo + counts.shape[0]):
        count = counts[d - lo]
        shift = np.uint64(_BITS * d)
        # A digit every row shares leaves the order as it is.
        if count[(rows[a, 0] >> shift) & _MASK] == n:
            continue
        start = a
        for v in range(1 << _BITS):
            c = count[v]
            count[v] = start
            start += c
        for i in range(a, b):
            k = rows[i, 0]
            j = count[(k >> shift) & _MASK]
            count[(k >> shift) & _MASK] = j + 1
            spare[j, 0] = k
            spare[j, 1] = rows[i, 1]
        rows, spare = spare, rows
        passes += 1
    return rows, spare, passes


@njit(cache=True, nogil=True)
def _sort_run(rows, spare, a, b):
    """Rows ``a:b``, which share their keys' top ``_TOP`` digits, by the rest."""
    if b - a <= _SHORT:
        # Stable: a row moves below strictly greater keys only.
        _insertion(rows, a, b)
        return
    low = _N_DIGITS - _TOP
    counts = np.zeros((low, 1 << _BITS), dtype=np.int64)
    for i in range(a, b):
        k = rows[i, 0]
        for d in range(low):
            counts[d, (k >> np.uint64(_BITS * d)) & _MASK] += 1
    done, _, passes = _digit_passes(rows, spare, a, b, counts, 0)
    if passes % 2:
        rows[a:b] = done[a:b]


@njit(cache=True, inline="always")
def _count_top(counts, k):
    """Count key ``k``'s top ``_TOP`` digits."""
    low = _N_DIGITS - _TOP
    for d in range(_TOP):
        counts[d, (k >> np.uint64(_BITS * (low + d))) & _MASK] += 1


@njit(cache=True, nogil=True)
def _sorted_keys(x, w, rows, spare):
    """Rows ``(key, index)`` of ``x`` in stable order of the keys.

    ``rows``, ``spare``: uint64 (n, 2) work arrays; returns the one holding them.
    ``w`` None: each row carries its index; else the bits of its weight.
    """
    n = x.shape[0]
    if n == 0:
        return rows
    low = _N_DIGITS - _TOP
    counts = np.zeros((_TOP, 1 << _BITS), dtype=np.int64)
    if w is None:
        for i in range(n):
            k = _key(x[i])
            rows[i, 0] = k
            rows[i, 1] = i
            _count_top(counts, k)
    else:
        bits = w.view(np.uint64)
        for i in range(n):
            k = _key(x[i])
            rows[i, 0] = k
            rows[i, 1] = bits[i]
            _count_top(counts, k)
    rows, spare, _ = _digit_passes(rows, spare, 0, n, counts, low)
    # Rows below the one before share its top digits (the order by them is
    # stable): their run, and only it, needs the low digits.
    shift = np.uint64(_BITS * low)
    i = 1
    while i < n:
        if rows[i - 1, 0] <= rows[i, 0]:
            i += 1
            continue
        top = rows[i, 0] >> shift
        a = i - 1
        while a > 0 and rows[a - 1, 0] >> shift == top:
            a -= 1
        b = i + 1
        while b < n and rows[b, 0] >> shift == top:
            b += 1
        _sort_run(rows, spare, a, b)
        i = b
    return rows


@njit(cache=True)
def sort_work(n):
    """Work arrays for :func:`stable_sorted_rows` of ``n`` rows.

    A sort reusing them spares the memory's first touch: a sort of 713,000 rows
    of a wage sweep (46 MB of work arrays) took 20 ms in fresh ones, 10.5 ms in
    reused ones (two at once, znver5).
    """
    return (
        np.empty((n, 2), dtype=np.uint64),
        np.empty((n, 2), dtype=np.uint64),
        np.empty(n, dtype=np.int64),
        np.empty(n),
        np.empty(n),
    )


@njit(cache=True, nogil=True)
def _check_work(n, w, work):
    """Refuse work arrays shorter than ``n`` rows or weights not one per row."""
    shortest = min(
        work[0].shape[0],
        work[1].shape[0],
        work[2].shape[0],
        work[3].shape[0],
        work[4].shape[0],
    )
    if shortest < n or w.shape[0] != n:
        raise ValueError(
            "radix sort: work arrays shorter than the rows, or weights not one per row"
        )


@njit(cache=True, nogil=True)
def stable_sorted_rows(x, w, work):
    """``(order, x[order], w[order])``, ``order = np.argsort(x, kind="stable")``.

    ``work``: :func:`sort_work` of ``x.size`` or more rows, whose arrays the
    three results are views of (the next sort with it overwrites them).

    The values come from their keys, in order, not gathered (except zeros, whose
    sign the key drops, and NaNs): a walk over rows sorted so reads them in
    order. An exact Gini's walk over 710,000 rows took 30.6 ms gathering
    ``x[order[i]]`` and ``w[order[i]]`` (rows in random order) and 5.9 ms over
    the sorted copies.
    """
    n = x.shape[0]
    _check_work(n, w, work)
    rows = _sorted_keys(x, None, work[0][:n], work[1][:n])
    order = work[2][:n]
    xs = work[3][:n]
    ws = work[4][:n]
    zero = _key(0.0)
    for i in range(n):
        k = rows[i, 0]
        r = np.int64(rows[i, 1])
        order[i] = r
        ws[i] = w[r]
        xs[i] = x[r] if (k == zero) | (k == _ALL) else _value(k)
    return order, xs, ws


@njit(cache=True, nogil=True)
def sorted_values(x, w, work):
    """``(x[order], w[order])`` of :func:`stable_sorted_rows`, without the order.

    Each row carries its weight through the sort instead of its index: no
    gather of the weights at the end (a sort of 713,000 rows of a wage sweep,
    two at once on znver5: 8.6-8.9 ms against 9.7-11.3 ms with the order). A
    zero comes back as ``+0.0`` whatever its sign (the key drops it) and a NaN
    as ``np.nan``; the exact Gini's walks give the same bits for either zero
    and take finite rows only.
    """
    n = x.shape[0]
    _check_work(n, w, work)
    rows = _sorted_keys(x, w, work[0][:n], work[1][:n])
    xs = work[3][:n]
    ws = work[4][:n]
    zero = _key(0.0)
    for i in range(n):
        k = rows[i, 0]
        ws[i] = np.uint64(rows[i, 1]).view(np.float64)
        if k == zero:
            xs[i] = 0.0
        elif k == _ALL:
            xs[i] = np.nan
        else:
            xs[i] = _value(k)
    return xs, ws
