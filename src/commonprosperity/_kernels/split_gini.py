"""Exact Gini of a fixed, sorted set of rows and a set that changes (pure Numba).

A sweep evaluates many scenarios that share most households (its fixed part):
:func:`~commonprosperity._kernels.inequality.gini_exact_merged` walks the union
of the fixed rows and a scenario's rows each time. Here the fixed rows are
summarised once (:func:`fixed_part_sums`) and a scenario costs a walk over its own
rows only, plus skipping through the fixed incomes.

With ``P(A, B) = sum_{i in A, j in B} w_i w_j |x_i - x_j|`` and the gap sum
``G(A) = P(A, A) / 2`` (the numerator of ``gini_exact_from_order``),

``G(F + V) = G(F) + G(V) + P(F, V)``,

``P(F, V) = sum_j t_j (v_j (2 U_j - U) + (S - 2 S_j))``

where ``U``, ``S`` are the fixed rows' weight and weighted income and ``U_j``,
``S_j`` those of the fixed rows below ``v_j``. ``G(F)`` is computed once, ``G(V)``
by the gap form (each side summed from its own end, as ``_gap_sum``), and every
term of ``P`` is a sum of non-negative parts written as a difference, so its
rounding is bounded by ``8 eps t_j (|v_j| U + sum_i u_i |f_i|)``; the kernel
returns that bound relative to the result, and the caller takes the merged walk
when it is not small (rows crowded at one income: a Gini near 0).
"""

import numpy as np
from numba import njit

from commonprosperity._kernels.inequality import (
    _EPS,
    _add_row,
    _gap_sum,
    _two_sum,
    gini_of,
)

__all__ = ["fixed_part_sums", "gini_exact_split", "row_weights"]


@njit(cache=True, nogil=True)
def fixed_part_sums(sorted_income, sorted_weight):
    """What :func:`gini_exact_split` needs of the fixed rows (incomes increasing).

    Returns ``(cum_weight, cum_income, abs_income, gap, ws, wc, xs, xc)``:
    ``cum_weight[k]``, ``cum_income[k]`` the weight and weighted income of the
    ``k`` lowest rows (length n + 1, compensated sums rounded once), ``abs_income``
    ``sum w |x|``, ``gap`` their own gap sum ``G(F)``, and the compensated totals
    ``(ws, wc)`` of the weights and ``(xs, xc)`` of weighted incomes.
    """
    n = sorted_income.shape[0]
    cum_weight = np.empty(n + 1)
    cum_income = np.empty(n + 1)
    cum_weight[0] = 0.0
    cum_income[0] = 0.0
    ws = wc = xs = xc = 0.0
    abs_income = 0.0
    for i in range(n):
        x = sorted_income[i]
        w = sorted_weight[i]
        ws, wc, xs, xc = _add_row(ws, wc, xs, xc, x, w)
        cum_weight[i + 1] = ws + wc
        cum_income[i + 1] = xs + xc
        abs_income += w * abs(x)
    none = np.empty(0, dtype=np.int64)
    gap = _gap_sum(
        sorted_income, sorted_weight, sorted_income[:0], sorted_weight[:0], none, ws, wc
    )
    return cum_weight, cum_income, abs_income, gap, ws, wc, xs, xc


@njit(cache=True, nogil=True)
def row_weights(weight):
    """Compensated ``(ws, wc)``: the rows' total weight (:func:`gini_exact_split`)."""
    ws = wc = 0.0
    for i in range(weight.shape[0]):
        ws, e = _two_sum(ws, weight[i])
        wc += e
    return ws, wc


@njit(cache=True, inline="always")
def _row_terms(state, x, t, below_weight, below_income, fixed):
    """Row ``(x, t)`` added to the running ``(xs, xc, ps, pc, bound)``.

    ``xs, xc``: the rows' weighted income; ``ps, pc``: ``P(F, V)``, the row's part
    from the fixed rows' weight and income below ``x``; ``bound``: its rounding
    bound. ``fixed``: the fixed rows' ``(weight, income, sum w |x|)``.
    """
    xs, xc, ps, pc, bound = state
    total, total_income, abs_income = fixed
    xs, e = _two_sum(xs, t * x)
    term = t * (x * (2.0 * below_weight - total) + (total_income - 2.0 * below_income))
    ps, e2 = _two_sum(ps, term)
    return xs, xc + e, ps, pc + e2, bound + t * (abs(x) * total + abs_income)


@njit(cache=True, nogil=True)
def gini_exact_split(
    sorted_income,
    cum_weight,
    cum_income,
    abs_income,
    gap,
    fws,
    fwc,
    fxs,
    fxc,
    income,
    weight,
    order,
    weight_sum,
):
    """Exact Gini of the fixed rows and ``income`` (weights ``weight``).

    ``sorted_income`` and the next eight arguments: the fixed rows' incomes and
    :func:`fixed_part_sums`; ``order = np.argsort(income)``; ``weight_sum``
    :func:`row_weights` of ``weight`` (the same for every scenario of a sweep).
    Returns ``(gini, error)``: ``error`` bounds the relative rounding error of the
    Gini's numerator contributed by the cross terms. Preconditions as
    ``gini_exact_merged`` (finite rows, weights >= 0, total weight and income
    > 0).
    """
    n1 = sorted_income.shape[0]
    n2 = income.shape[0]
    fixed = (cum_weight[n1], cum_income[n1], abs_income)
    ws, wc = weight_sum
    half = 0.5 * (ws + wc)
    ls = lc = 0.0
    ds = dc = 0.0
    state = (0.0, 0.0, 0.0, 0.0, 0.0)  # _row_terms
    k = 0  # fixed rows below the current row
    j = 0
    x_k = 0.0
    # The rows' own gaps from the bottom while less than half their weight is
    # below (as _gap_sum), each row's cross term on the way.
    while j < n2:
        r = order[j]
        x = income[r]
        if j > 0:
            left = ls + lc
            if left >= half:
                break
            right = (ws - ls) + (wc - lc)
            ds, e = _two_sum(ds, (x - x_k) * left * right)
            dc += e
        while k < n1 and sorted_income[k] < x:
            k += 1
        t = weight[r]
        state = _row_terms(state, x, t, cum_weight[k], cum_income[k], fixed)
        ls, e = _two_sum(ls, t)
        lc += e
        x_k = x
        j += 1
    if j < n2:
        # The rest from the top down; the last gap is between the lowest of them
        # and x_k.
        rs = rc = 0.0
        k = n1
        x_hi = 0.0
        for b in range(n2 - 1, j - 1, -1):
            r = order[b]
            x_lo = income[r]
            if b < n2 - 1:
                right = rs + rc
                ds, e = _two_sum(ds, (x_hi - x_lo) * ((ws - rs) + (wc - rc)) * right)
                dc += e
            while k > 0 and sorted_income[k - 1] >= x_lo:
                k -= 1
            t = weight[r]
            state = _row_terms(state, x_lo, t, cum_weight[k], cum_income[k], fixed)
            rs, e = _two_sum(rs, t)
            rc += e
            x_hi = x_lo
        right = rs + rc
        ds, e = _two_sum(ds, (x_hi - x_k) * ((ws - rs) + (wc - rc)) * right)
        dc += e
    # G(F) + G(V) + P(F, V), then the totals of both sets.
    xs, xc, ps, pc, bound = state
    d, e = _two_sum(gap, ds + dc)
    d, e2 = _two_sum(d, ps + pc)
    d += e + e2
    ws, e = _two_sum(fws, ws)
    wc += fwc + e
    xs, e = _two_sum(fxs, xs)
    xc += fxc + e
    if d == 0.0:
        error = 0.0 if bound == 0.0 else np.inf
    else:
        error = 8.0 * _EPS * bound / abs(d)
    return gini_of(d, (ws + wc) * (xs + xc)), error
