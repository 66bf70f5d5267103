"""Lorenz curve, quantile-group income shares and income-band population shares."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

from commonprosperity._kernels.buckets import sorted_rows
from commonprosperity._kernels.inequality import (
    grouped_totals,
    lorenz_from_order,
    weighted_totals,
)
from commonprosperity._sums import compensated_cumsum
from commonprosperity._validate import is_integer, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import MeasureError
from commonprosperity.metrics._validate import (
    aligned,
    as_scalar,
    as_values,
    as_weight,
    scaled_positive_mean,
)

_EPS = float(np.finfo(np.float64).eps)
#: Most groups quantile_shares makes (percentiles are 100).
MAX_QUANTILE_GROUPS = 100_000

__all__ = [
    "band_share",
    "lorenz",
    "palma",
    "quantile_shares",
    "s80_s20",
    "top_share",
]

FloatArray = npt.NDArray[np.float64]


@aligned
def lorenz(
    income: npt.ArrayLike, weight: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    r"""Weighted Lorenz curve.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); negatives are allowed, the weighted mean must be positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights (``>= 0``, positive sum); ``None`` means equal weights.

    Returns
    -------
    population_share : ndarray of float64
        Cumulative population share, from 0 to exactly 1.
    income_share : ndarray of float64
        Cumulative income share at the same points, from 0 to exactly 1.

    Raises
    ------
    MeasureError
        On invalid inputs or a non-positive weighted mean.

    Notes
    -----
    The points are :math:`(W_{\le k}/W,\ X_{\le k}/X)` after each distinct
    income value in ascending order, preceded by :math:`(0, 0)`: tied incomes are
    merged into one point (the curve is linear across a tie anyway) and
    zero-weight rows add no point. Negative incomes make the curve dip below 0;
    no warning is issued since the curve stays well defined.

    References
    ----------
    .. [1] Lorenz, M. O. (1905). "Methods of measuring the concentration of
       wealth." *Publications of the American Statistical Association* 9(70),
       209-219.

    Examples
    --------
    >>> from commonprosperity.metrics import lorenz
    >>> p, s = lorenz([3.0, 1.0, 1.0, 5.0])
    >>> p.tolist(), s.tolist()
    ([0.0, 0.5, 0.75, 1.0], [0.0, 0.2, 0.5, 1.0])
    """
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    # Exact power-of-two rescaling keeps sum(w * x) finite near 1e300.
    x, w, _, _ = scaled_positive_mean(x, w, "income", "lorenz")
    # Sorted rows read in order: no gathers.
    x, w = sorted_rows(x, w)
    p, s = lorenz_from_order(x, w, np.arange(x.shape[0]))
    return p.copy(), s.copy()


def _cut_shares(
    x: FloatArray,
    w: FloatArray,
    fractions: FloatArray,
    slack: bool = False,
    tops: FloatArray | None = None,
    measure: str = "income shares",
) -> Any:
    """Income shares of the groups between population-share ``fractions``.

    ``measure``: the public function, named in its errors ("palma requires a
    positive weighted mean"; it named "income shares").

    Row ``j`` (ascending income) occupies ``[C_j, C_j + w_j)``. Every row adds
    ``w_j x_j`` to the group where it starts; a row that straddles a cut ``c``
    then moves ``(C_j + w_j - c) x_j`` to the next group. Rows inside one group
    therefore count with their weight itself, not with ``(C_j + w_j) - C_j``,
    in which a row whose weight is below the rounding unit of the cumulative
    weight (a weight of 1 after one of 1e17) vanished, so the shares no longer
    summed to 1 (``quantile_shares([1, 1e20], [1e17, 1], 2)`` gave
    ``[0.0005, 0.0005]``).

    A cut above the middle is measured from the top, at ``tops[i] * W`` from
    the total (``tops`` = 1 - ``fractions``, given exactly by the caller, e.g.
    ``p`` of a top share): at ``(1 - p) * W`` from the bottom the rounding of
    ``1 - p`` was a relative error of ``2**-53 / p`` in the top share (the top
    1e-15 of equal incomes held 1.02e-15, the top 2**-60 held 0), and equal
    incomes had ``S80/S20`` below 1.

    With ``slack``, returns ``(shares, slack)``: ``slack[i]`` bounds what the
    rounding of cut ``i`` (a few ulps of the total weight, ``0.4 * W`` is not
    exact) can move across it, relative to the total income.
    """
    x, w, _, total_x = scaled_positive_mean(x, w, "income", measure)
    keep = w > 0
    if not keep.all():
        x, w = x[keep], w[keep]
    xo, wo = sorted_rows(x, w)
    n = xo.shape[0]
    tops = 1.0 - fractions if tops is None else tops
    upper = fractions > 0.5
    ends = compensated_cumsum(wo)
    starts = np.concatenate(([0.0], ends[:-1]))
    # The same from the top: row j occupies [R_{j+1}, R_j) counted downwards.
    r_ends = compensated_cumsum(wo[::-1].copy())  # R of row n - 1 - k at k
    r_starts = np.concatenate(([0.0], r_ends[:-1]))
    # Cuts on the same cumulative sums, so that p = 0 and p = 1 are exact.
    low_cuts = fractions[~upper] * ends[-1]
    top_cuts = tops[upper] * r_ends[-1]  # descending: fractions ascend
    m = fractions.shape[0] + 1
    # A row's group: the cuts at or below its start.
    remaining = r_ends[::-1]  # R_j: the weight from row j's start to the top
    codes = np.searchsorted(low_cuts, starts, side="right") + (
        top_cuts.shape[0] - np.searchsorted(top_cuts[::-1], remaining, side="left")
    )
    # Straddlers: the first row ending after each cut, if it starts before it.
    j = np.minimum(np.searchsorted(ends, low_cuts, side="right"), n - 1)
    straddle = (starts[j] < low_cuts) & (low_cuts < ends[j])
    moved_low = (ends[j] - low_cuts) * xo[j]
    # From the top: the first row (downwards) reaching past the cut.
    k = np.minimum(np.searchsorted(r_ends, top_cuts, side="right"), n - 1)
    top_straddle = (r_starts[k] < top_cuts) & (top_cuts < r_ends[k])
    jt = n - 1 - k
    moved_top = (top_cuts - r_starts[k]) * xo[jt]
    g = np.arange(1, m)
    straddles = np.concatenate((straddle, top_straddle))
    moved = np.concatenate((moved_low, moved_top))[straddles]
    g = g[straddles]
    codes = np.concatenate((codes, g, g - 1))
    values = np.concatenate((wo * xo, moved, -moved))
    ones = np.ones(values.shape[0])
    _, sums = grouped_totals(
        np.ascontiguousarray(codes, dtype=np.int64), m, ones, values
    )
    if not slack:
        return sums / total_x
    # The rows a cut's rounding can shift weight between: the straddler and
    # its neighbour on the side the cut is measured from.
    near = np.concatenate(
        (
            np.maximum(np.abs(xo[j]), np.abs(xo[np.maximum(j - 1, 0)])),
            np.maximum(np.abs(xo[jt]), np.abs(xo[np.minimum(jt + 1, n - 1)])),
        )
    )
    return sums / total_x, 8.0 * _EPS * ends[-1] * near / abs(total_x)


@aligned
def quantile_shares(
    income: npt.ArrayLike, weight: npt.ArrayLike | None = None, n: int = 5
) -> FloatArray:
    """Income shares of ``n`` equal-population quantile groups.

    Parameters
    ----------
    income : array_like of float, shape (n_rows,)
        Incomes (yuan); negatives are allowed, the weighted mean must be positive.
    weight : array_like of float, shape (n_rows,), optional
        Frequency weights; ``None`` means equal weights.
    n : int
        Number of groups (5 for quintiles, 10 for deciles), 1 to 100,000.

    Returns
    -------
    ndarray of float64, shape (n,)
        Share of total income held by each group, poorest first; sums to 1.

    Raises
    ------
    MeasureError
        On invalid inputs, ``n < 1`` or a non-positive weighted mean.

    Notes
    -----
    Rows are ordered by income; row :math:`j` occupies the cumulative-weight
    interval :math:`[C_j, C_j + w_j)` and group :math:`g` the interval
    :math:`[gW/n, (g+1)W/n)`. A row straddling a boundary is split fractionally,
    so the shares are exact for the weighted distribution (a row of weight 2 is
    two rows) and do not depend on the order of ties. Zero-weight rows are ignored.

    References
    ----------
    .. [1] Haughton, J. and Khandker, S. R. (2009). *Handbook on Poverty and
       Inequality*, ch. 6. World Bank.

    Examples
    --------
    >>> from commonprosperity.metrics import quantile_shares
    >>> quantile_shares([1.0, 2.0, 3.0, 4.0], n=2).tolist()
    [0.3, 0.7]
    >>> quantile_shares([1.0, 2.0, 3.0], n=2).tolist()  # the 2 is split in half
    [0.3333333333333333, 0.6666666666666666]
    """
    if not is_integer(n) or not 1 <= n <= MAX_QUANTILE_GROUPS:
        # Unbounded, n = 10**13 failed allocating 73 TiB in NumPy.
        raise MeasureError(
            f"n must be an integer in 1–{MAX_QUANTILE_GROUPS:,} (5 for quintiles, "
            f"10 for deciles, 100 for percentiles); got {quoted(n)}"
        )
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    cuts = np.arange(1, n)
    return cast(
        FloatArray,
        _cut_shares(x, w, cuts / n, tops=(n - cuts) / n, measure="quantile_shares"),
    )


@aligned
def top_share(
    income: npt.ArrayLike, weight: npt.ArrayLike | None = None, p: float = 0.1
) -> float:
    """Income share of the richest fraction ``p`` of the weighted population.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); the weighted mean must be positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.
    p : float
        Population fraction in ``[0, 1]`` (0.1 for the top 10 %).

    Returns
    -------
    float
        Share of total income held by the top ``p`` (0 for ``p = 0``, 1 for
        ``p = 1``).

    Raises
    ------
    MeasureError
        On invalid inputs, ``p`` outside ``[0, 1]`` or a non-positive mean.

    Notes
    -----
    Fractional splitting at the cut as in :func:`quantile_shares` (so ties and
    integer weights need no convention); zero-weight rows are ignored and
    negative incomes count with their sign. This matches microdf's
    ``top_x_pct_share``.

    References
    ----------
    .. [1] Atkinson, A. B., Piketty, T. and Saez, E. (2011). "Top incomes in the
       long run of history." *Journal of Economic Literature* 49(1), 3-71.

    Examples
    --------
    >>> from commonprosperity.metrics import top_share
    >>> top_share([1.0, 1.0, 1.0, 7.0], p=0.25)
    0.7
    """
    share = as_scalar(p, "p", low=0.0, high=1.0)
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    shares = _cut_shares(
        x, w, np.array([1.0 - share]), tops=np.array([share]), measure="top_share"
    )
    return float(shares[1])


@aligned
def s80_s20(income: npt.ArrayLike, weight: npt.ArrayLike | None = None) -> float:
    """Income quintile share ratio: top 20 % share over bottom 20 % share.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); the weighted mean must be positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.

    Returns
    -------
    float
        ``S80/S20`` (dimensionless, ``>= 1`` for non-negative incomes).

    Raises
    ------
    MeasureError
        On invalid inputs, a non-positive mean or a bottom share ``<= 0``.

    Notes
    -----
    Shares as in :func:`quantile_shares` (fractional splitting at the cuts,
    zero-weight rows ignored, negative incomes counted with their sign);
    Eurostat's ``S80/S20`` indicator.

    References
    ----------
    .. [1] Eurostat, "Income quintile share ratio S80/S20" (ilc_di11).

    Examples
    --------
    >>> from commonprosperity.metrics import s80_s20
    >>> s80_s20([1.0, 2.0, 3.0, 4.0, 10.0])
    10.0
    """
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    shares, slack = _cut_shares(
        x,
        w,
        np.array([0.2, 0.8]),
        slack=True,
        tops=np.array([0.8, 0.2]),
        measure="s80_s20",
    )
    return _ratio(shares[2], shares[0], slack[0], "s80_s20", "bottom 20 %")


@aligned
def palma(income: npt.ArrayLike, weight: npt.ArrayLike | None = None) -> float:
    """Palma ratio: income share of the top 10 % over that of the bottom 40 %.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); the weighted mean must be positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.

    Returns
    -------
    float
        The Palma ratio (dimensionless).

    Raises
    ------
    MeasureError
        On invalid inputs, a non-positive mean or a bottom-40 % share ``<= 0``.

    Notes
    -----
    Shares as in :func:`quantile_shares` (fractional splitting at the cuts,
    zero-weight rows ignored, negative incomes counted with their sign).

    References
    ----------
    .. [1] Cobham, A. and Sumner, A. (2013). "Is it all about the tails? The
       Palma measure of income inequality." CGD Working Paper 343.

    Examples
    --------
    >>> from commonprosperity.metrics import palma
    >>> palma([1.0] * 9 + [4.0])  # top 10 %: 4/13, bottom 40 %: 4/13
    1.0
    """
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    shares, slack = _cut_shares(
        x,
        w,
        np.array([0.4, 0.9]),
        slack=True,
        tops=np.array([0.6, 0.1]),
        measure="palma",
    )
    return _ratio(shares[2], shares[0], slack[0], "palma", "bottom 40 %")


def _ratio(top: float, bottom: float, slack: float, measure: str, which: str) -> float:
    """``top / bottom``; an error unless ``bottom`` is positive beyond rounding.

    A bottom share within ``slack`` of 0 is 0 within the rounding of its cut
    (the bottom 40 % being exactly the zero incomes gave a share of 2e-17 and
    a Palma ratio of 8e15).
    """
    if not bottom > slack:
        zero = " (0 within the rounding of the cut)" if abs(bottom) <= slack else ""
        raise MeasureError(
            f"{measure} requires a positive income share of the {which}; "
            f"got {float(bottom)!r}{zero}"
        )
    return float(top / bottom)


@aligned
def band_share(
    income: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    low: float = 0.0,
    high: float = np.inf,
) -> float:
    r"""Weighted population share with ``low <= income < high``.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); negatives are allowed.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.
    low, high : float, default 0 and inf
        Band limits (yuan); ``low`` may be ``-inf`` and ``high`` may be ``inf``;
        ``low <= high``.

    Returns
    -------
    float
        Share of the total weight in the band, in ``[0, 1]``.

    Raises
    ------
    MeasureError
        On invalid inputs, a ``nan`` limit or ``low > high``.

    Warns
    -----
    UserWarning
        If ``low == high`` (the band is empty by construction).

    Notes
    -----
    :math:`\sum_i w_i [low \le x_i < high] / \sum_i w_i` with compensated sums;
    bands ``[a, b)``, ``[b, c)``, ... of a partition therefore sum to 1. Negative
    incomes are ordinary values; zero-weight rows count for nothing. This is the
    convention of the middle-income band indicators (``band_share_100k_500k``).

    References
    ----------
    .. [1] National Bureau of Statistics of China, middle-income group definition
       (annual disposable income of a three-person household of 100,000 to
       500,000 yuan).

    Examples
    --------
    >>> from commonprosperity.metrics import band_share
    >>> band_share([50_000.0, 150_000.0, 600_000.0], [2, 1, 1], 100_000, 500_000)
    0.25
    """
    lo = as_scalar(low, "low", allow_inf=True)
    hi = as_scalar(high, "high", allow_inf=True)
    if lo > hi:
        raise MeasureError(f"low must be <= high; got low={lo!r} > high={hi!r}")
    if lo == hi:
        warn_user(
            f"band_share: the band [{lo!r}, {hi!r}) is empty (low == high); "
            "returning 0.0"
        )
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    inside = ((x >= lo) & (x < hi)).astype(np.float64)
    total_w, in_w = weighted_totals(inside, w)
    return float(in_w / total_w)
