"""Entropy-family measures (Theil, MLD), Atkinson, and their group decomposition."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from commonprosperity._kernels.inequality import (
    grouped_totals,
    weighted_sum,
    weighted_totals,
)
from commonprosperity._validate import one_of, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import MeasureError
from commonprosperity.metrics._moments import factorize_groups
from commonprosperity.metrics._validate import (
    aligned,
    as_scalar,
    as_values,
    as_weight,
    normalised,
    require_positive,
    scaled_positive_mean,
)

__all__ = ["Decomposition", "atkinson", "decompose", "mld", "theil"]

FloatArray = npt.NDArray[np.float64]


class _Rows(NamedTuple):
    """Positively weighted rows, as given and rescaled by powers of two."""

    x: FloatArray  # incomes (> 0) in the caller's unit
    w: FloatArray  # weights (> 0) as given
    xs: FloatArray  # x / 2**k
    ws: FloatArray  # w / 2**j
    total_w: float  # sum(ws)
    total_x: float  # sum(ws * xs)


def _positive_rows(
    income: npt.ArrayLike, weight: npt.ArrayLike | None, measure: str
) -> _Rows:
    """Validate, drop zero-weight rows, require ``x > 0``."""
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    require_positive(x, w, "income", measure)
    keep = w > 0
    if not keep.all():
        x = x[keep]
        w = w[keep]
    # Exact power-of-two rescaling: the indices are scale free, and it keeps
    # sum(w * x) finite for incomes near 1e300 (it overflowed to nan).
    xs, ws, _ = normalised(x, w)
    total_w, total_x = weighted_totals(xs, ws)
    return _Rows(x, w, xs, ws, float(total_w), float(total_x))


#: Every value of the ordinary evaluation must lie in ``[2**-1000, 2**1000]``:
#: then no ratio ``x / mean`` underflowed or overflowed and no rescaled income
#: or weight lost bits to gradual underflow.
_LOW = 2.0**-1000
_HIGH = 2.0**1000


def _ordinary(*arrays: FloatArray) -> bool:
    """Whether every element of ``arrays`` lies in ``[_LOW, _HIGH]``."""
    return all(float(np.min(a)) >= _LOW and float(np.max(a)) <= _HIGH for a in arrays)


def _log_sum_exp(v: FloatArray, codes: npt.NDArray[np.int64], k: int) -> FloatArray:
    """Per group ``log(sum(exp(v)))`` (compensated, without overflow)."""
    top = np.full(k, -np.inf)
    np.maximum.at(top, codes, v)
    with np.errstate(under="ignore"):
        terms = np.exp(v - top[codes])
    _, sums = grouped_totals(codes, k, np.ones_like(v), terms)
    return cast(FloatArray, top + np.log(sums))


class _LogSpace(NamedTuple):
    """An entropy index and its group parts, evaluated from logarithms."""

    total: float
    index: FloatArray  # type: ignore[assignment]  # a field named as tuple.index; each group's own index
    weights_g: FloatArray  # income shares (Theil) or population shares (MLD)
    log_mean_ratio: FloatArray  # log(mu_g / mu)
    population_share: FloatArray
    income_share: FloatArray
    log_mean: FloatArray  # log(mu_g), caller's unit


def _log_space(
    x: FloatArray,
    w: FloatArray,
    codes: npt.NDArray[np.int64],
    k: int,
    measure: str,
) -> _LogSpace:
    """Theil or MLD of positive ``x`` by groups, from ``log x`` and ``log w``.

    The fallback for data whose incomes (or weights) span more than the float
    range allows in ratios: ``x / mean`` of an income of 1e-300 next to one of
    1e300 underflows to 0, and ``0 * log(0)`` made the Theil index ``nan``
    (reported as 0.0). In logarithms every term stays finite: with
    ``q_i = w_i x_i / X`` and ``p_i = w_i / W``, ``T = sum q_i log(x_i / mu)``
    and ``L = -sum p_i log(x_i / mu)``.
    """
    lx = np.log(x)
    lw = np.log(w)
    lwx = lw + lx
    zero = np.zeros(x.shape[0], dtype=np.int64)
    log_w = float(_log_sum_exp(lw, zero, 1)[0])
    log_x = float(_log_sum_exp(lwx, zero, 1)[0])
    log_gw = _log_sum_exp(lw, codes, k)
    log_gx = _log_sum_exp(lwx, codes, k)
    log_mu = log_x - log_w
    log_mug = log_gx - log_gw
    with np.errstate(under="ignore"):
        if measure == "theil":
            total = weighted_sum(lx - log_mu, np.exp(lwx - log_x))
            _, index = grouped_totals(
                codes,
                k,
                np.ones_like(x),
                np.exp(lwx - log_gx[codes]) * (lx - log_mug[codes]),
            )
        else:
            total = -weighted_sum(lx - log_mu, np.exp(lw - log_w))
            _, own = grouped_totals(
                codes,
                k,
                np.ones_like(x),
                np.exp(lw - log_gw[codes]) * (lx - log_mug[codes]),
            )
            index = -own
        population_share = np.exp(log_gw - log_w)
        income_share = np.exp(log_gx - log_x)
    weights_g = income_share if measure == "theil" else population_share
    return _LogSpace(
        float(total),
        index,
        weights_g,
        log_mug - log_mu,
        population_share,
        income_share,
        log_mug,
    )


def _non_negative(value: float) -> float:
    """``value``, or ``0.0`` (never ``-0.0``) when rounding left it at or below 0.

    ``nan`` stays ``nan``: it means a failed evaluation, never "no inequality".
    """
    return 0.0 if value <= 0.0 else value


def _entropy_index(
    income: npt.ArrayLike, weight: npt.ArrayLike | None, measure: str
) -> float:
    """Theil T (``measure="theil"``) or the MLD of valid positive incomes."""
    r = _positive_rows(income, weight, measure)
    with np.errstate(all="ignore"):  # checked by _ordinary below
        s = r.xs / (r.total_x / r.total_w)
    if not _ordinary(r.xs, r.ws, s):
        zero = np.zeros(r.x.shape[0], dtype=np.int64)
        return _non_negative(_log_space(r.x, r.w, zero, 1, measure).total)
    terms = _deviation_terms(_deviations(r.xs, r.total_x, r.total_w), s, measure)
    # >= 0 (Jensen); the clip removes a rounding -1e-17 or -0.0 on equal incomes.
    return _non_negative(float(weighted_sum(terms, r.ws) / r.total_w))


#: Relative deviations below which a term is summed from its series: above it
#: the closed forms cancel by at most 2 / 0.25 = 8 times (a few ulps).
_SERIES_BELOW = 0.25
#: Terms of each series: at |d| = 0.25 the last is below 1e-19 of the first.
_SERIES_TERMS = 32
#: Series coefficients (Horner, highest power last) of the terms over d**2:
#: (1 + d) log1p(d) - d = sum_k>=2 (-1)**k d**k / (k (k - 1)) and
#: d - log1p(d) = sum_k>=2 (-1)**k d**k / k.
_THEIL_SERIES = np.array(
    [(-1.0) ** j / ((j + 2) * (j + 1)) for j in range(_SERIES_TERMS)]
)
_MLD_SERIES = np.array([(-1.0) ** j / (j + 2) for j in range(_SERIES_TERMS)])


def _deviations(xs: FloatArray, total_x: float, total_w: float) -> FloatArray:
    """``d = x / mu - 1`` per row, as ``(x - mu) / mu`` (exact subtraction)."""
    mu = total_x / total_w
    with np.errstate(all="ignore"):
        return (xs - mu) / mu


def _on_series(
    terms: FloatArray,
    d: FloatArray,
    small: npt.NDArray[np.bool_],
    series: FloatArray | list[float],
) -> None:
    """Replace ``terms[small]`` by ``d**2 * sum_j series[j] d**j`` (Horner)."""
    if not small.any():
        return
    ds = d[small]
    poly = np.full(ds.shape, series[-1])
    for c in series[-2::-1]:
        poly = poly * ds + c
    terms[small] = ds * ds * poly


def _deviation_terms(d: FloatArray, s: FloatArray, measure: str) -> FloatArray:
    """Per-row terms of Theil T or the MLD from ``d = x / mu - 1`` (``s = x / mu``).

    ``(1 + d) ln(1 + d) - d`` and ``d - ln(1 + d)``: the textbook terms
    ``s ln s`` and ``-ln s`` less ``d``, whose weighted sum is 0. Each is >= 0,
    so their sum has no cancellation: incomes equal to 1e-6 of each other gave
    a Theil index off by 1e-3 relative, and the MLD 0.0, from terms of O(1e-6)
    summing to 1e-14. Near 0 a term is taken from its series (the closed form
    cancels there too). A rounding of the mean shifts every ``d`` alike, which
    changes the sum only at second order.
    """
    with np.errstate(all="ignore"):
        terms = s * np.log(s) - d if measure == "theil" else d - np.log(s)
    series = _THEIL_SERIES if measure == "theil" else _MLD_SERIES
    _on_series(terms, d, np.abs(d) < _SERIES_BELOW, series)
    return terms


@aligned
def theil(income: npt.ArrayLike, weight: npt.ArrayLike | None = None) -> float:
    r"""Theil T index (generalized entropy GE(1)).

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan), all ``> 0`` where the weight is positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.

    Returns
    -------
    float
        :math:`T = \frac{1}{W} \sum_i w_i \frac{x_i}{\mu} \ln \frac{x_i}{\mu}`
        (dimensionless, in :math:`[0, \ln(W / w_{min})]` with :math:`w_{min}`
        the least positive weight: all income on that row; :math:`\ln n`
        unweighted).

    Raises
    ------
    MeasureError
        On invalid inputs or any non-positive income (the count is named).

    Notes
    -----
    Zero-weight rows are ignored (their income is not checked for positivity).
    Ties need no convention. pysal's ``inequality.theil.Theil`` (unweighted)
    replaces a zero income by the smallest positive float instead of raising;
    on positive data the two agree. For a lognormal distribution
    :math:`T = \sigma^2 / 2`. Where a ratio :math:`x_i / \mu` would under- or
    overflow (incomes of 1e-300 next to 1e300), the sum is evaluated from
    :math:`\ln x_i` and :math:`\ln w_i` instead, so the index stays finite and
    correct (``theil([1e-300, 1e300])`` is :math:`\ln 2`).

    References
    ----------
    .. [1] Theil, H. (1967). *Economics and Information Theory*. North-Holland.
    .. [2] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford
       University Press.

    Examples
    --------
    >>> from commonprosperity.metrics import theil
    >>> theil([1.0, 1.0, 1.0])
    0.0
    >>> round(theil([1.0, 3.0]), 12)  # 0.25 ln 0.5 + 0.75 ln 1.5
    0.130812035941
    """
    return _entropy_index(income, weight, "theil")


@aligned
def mld(income: npt.ArrayLike, weight: npt.ArrayLike | None = None) -> float:
    r"""Mean log deviation (Theil L, generalized entropy GE(0)).

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan), all ``> 0`` where the weight is positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.

    Returns
    -------
    float
        :math:`L = \frac{1}{W} \sum_i w_i \ln \frac{\mu}{x_i}` (dimensionless,
        ``>= 0``).

    Raises
    ------
    MeasureError
        On invalid inputs or any non-positive income (the count is named).

    Notes
    -----
    Zero-weight rows are ignored. For a lognormal distribution
    :math:`L = \sigma^2 / 2`. Incomes whose ratio to the mean under- or
    overflows are handled in logarithms, as in :func:`theil`. Its
    decomposition by population subgroups has population-share weights (see
    :func:`decompose`).

    References
    ----------
    .. [1] Shorrocks, A. F. (1980). "The class of additively decomposable
       inequality measures." *Econometrica* 48(3), 613-625.

    Examples
    --------
    >>> from commonprosperity.metrics import mld
    >>> round(mld([1.0, 3.0]), 12)  # ln 2 - (ln 1 + ln 3) / 2
    0.143841036226
    """
    return _entropy_index(income, weight, "mld")


#: The largest inequality aversion computed as given (see :func:`atkinson`).
_ATKINSON_LARGEST_EPSILON = 1e300


@aligned
def atkinson(
    income: npt.ArrayLike, weight: npt.ArrayLike | None = None, epsilon: float = 0.5
) -> float:
    r"""Atkinson inequality index with inequality aversion ``epsilon``.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); all ``> 0`` (where weighted) when ``epsilon > 0``.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.
    epsilon : float, default 0.5
        Inequality aversion, ``>= 0``.

    Returns
    -------
    float
        :math:`A_\varepsilon = 1 - \xi_\varepsilon / \mu` in ``[0, 1)``, where
        :math:`\xi_\varepsilon` is the equally distributed equivalent income.

    Raises
    ------
    MeasureError
        On invalid inputs, ``epsilon < 0``, a non-positive mean, or (for
        ``epsilon > 0``) any non-positive income.

    Notes
    -----
    :math:`\xi_\varepsilon = (\sum_i p_i x_i^{1-\varepsilon})^{1/(1-\varepsilon)}`
    with :math:`p_i = w_i / W`, and for :math:`\varepsilon = 1` the geometric
    mean :math:`\exp(\sum_i p_i \ln x_i)`. The power mean is evaluated as a
    log-sum-exp of :math:`(1-\varepsilon) \ln(x_i / \mu)`, so large
    ``epsilon`` does not overflow, or, when every
    :math:`|(1-\varepsilon) \ln(x_i/\mu)| \le 1`, as
    :math:`\operatorname{log1p}` of the mean of their ``expm1``, so the index is
    continuous at ``epsilon = 1`` to full precision (``epsilon = 0.7 + 0.3``,
    i.e. 1 - 1.1e-16, gives the ``epsilon = 1`` value). ``epsilon = 0`` gives 0
    for any incomes with a positive mean. For a lognormal distribution
    :math:`A_\varepsilon = 1 - \exp(-\varepsilon \sigma^2 / 2)`. Zero-weight rows
    are ignored. ineqpy 0.4's ``atkinson`` agrees for ``epsilon != 1``; for
    ``epsilon = 1`` it subtracts :math:`\ln\mu` once per row instead of once
    (documented and tested in the regression tests).

    References
    ----------
    .. [1] Atkinson, A. B. (1970). "On the measurement of inequality." *Journal
       of Economic Theory* 2(3), 244-263.

    Examples
    --------
    >>> from commonprosperity.metrics import atkinson
    >>> atkinson([1.0, 4.0], epsilon=1.0)  # 1 - geometric mean 2 / mean 2.5
    0.19999999999999996
    >>> round(atkinson([1.0, 4.0], epsilon=2.0), 12)  # 1 - harmonic mean 1.6 / 2.5
    0.36
    """
    eps = as_scalar(epsilon, "epsilon", low=0.0)
    if eps == 0.0:
        x = as_values(income, "income")
        w = as_weight(weight, x.shape[0])
        scaled_positive_mean(x, w, "income", "atkinson")
        return 0.0
    # Beyond 1e300 the index is 1 - min/mean to every digit (its distance from
    # that limit is O(1/epsilon)); at 1e308, (1 - epsilon)·ln(x/mean) overflowed
    # and the index came out NaN.
    eps = min(eps, _ATKINSON_LARGEST_EPSILON)
    try:
        rows = _positive_rows(income, weight, f"atkinson (epsilon={eps!r})")
    except MeasureError as exc:
        if not eps < 1.0:
            raise
        # x ** (1 - epsilon) is defined at 0: "it takes logarithms" was untrue.
        raise MeasureError(
            str(exc).replace(
                "(it takes logarithms or negative powers)",
                "(with 0 < epsilon < 1 the index is defined at 0 too, but it is "
                "computed here in logarithms, for precision: leave zero incomes "
                "out or give them a floor)",
            )
        ) from None
    w, total_w = rows.ws, rows.total_w
    with np.errstate(all="ignore"):  # checked by _ordinary below
        s = rows.xs / (rows.total_x / total_w)
    ordinary = _ordinary(rows.xs, rows.ws, s)
    if ordinary:
        log_s = np.log(s)
        d = _deviations(rows.xs, rows.total_x, total_w)
    else:
        # x / mean under- or overflowed: log x - log mean stays finite.
        zero = np.zeros(rows.x.shape[0], dtype=np.int64)
        log_mu = float(_log_space(rows.x, rows.w, zero, 1, "mld").log_mean[0])
        log_s = np.log(rows.x) - log_mu
    if eps == 1.0:
        if ordinary:
            # log(geometric mean / mean) = -MLD, from the MLD's terms (>= 0,
            # no cancellation: near-equal incomes gave 0.0).
            log_ratio = -weighted_sum(_deviation_terms(d, s, "mld"), w) / total_w
        else:
            log_ratio = weighted_sum(log_s, w) / total_w
    else:
        r = 1.0 - eps
        t = r * log_s
        # The terms below are of one sign, so their mean keeps its relative
        # accuracy wherever they do not overflow: for epsilon < 0.5 never
        # (s**-epsilon <= 1e154 for normal s), from 0.5 on while exp(t) is
        # finite. Log-sum-exp, which once took every t beyond +-1, left an
        # absolute error of 1e-16 in the log of the power mean: 999,999
        # incomes of 50,000 and one of 2,500 gave atkinson(0.5) 7e-11 off,
        # relative, and a weight of 1e12 on one of three rows 4e-5.
        if ordinary and (eps < 0.5 or float(np.max(t)) <= _LARGEST_EXPONENT):
            # mean(s**r) - 1 as the mean of s**r - 1 - r d (d = s - 1, whose
            # mean is 0): terms of one sign, O(epsilon d**2), so neither a
            # small epsilon (the mean of s**r - 1 lost all digits below
            # epsilon = 1e-15) nor near-equal incomes (a shift of the mean by
            # one rounding made atkinson(0.5) 4 times too large at incomes
            # 1e-8 apart) costs the index its relative accuracy.
            mean_rm1 = weighted_sum(_power_terms(d, log_s, eps), w) / total_w
            log_ratio = math.log1p(mean_rm1) / r
        elif float(np.max(np.abs(t))) <= 1.0:
            # Near epsilon = 1 the log of the power mean is O(r) and is divided
            # by r: log-sum-exp leaves an absolute error of 1e-16 in it, i.e.
            # 1e-16 / r in the index (0.1 at epsilon = 0.7 + 0.3). expm1 and
            # log1p keep the relative accuracy instead.
            log_ratio = math.log1p(weighted_sum(np.expm1(t), w) / total_w) / r
        else:
            top = float(np.max(t))
            with np.errstate(under="ignore"):
                terms = np.exp(t - top)
            log_ratio = (top + math.log(weighted_sum(terms, w) / total_w)) / r
    # A >= 0 (power-mean inequality); the clip removes a rounding -0.0 or -1e-17.
    return _non_negative(float(-math.expm1(log_ratio)))


#: Largest ``(1 - epsilon) ln(x / mean)`` whose exponential Atkinson's power
#: terms take (exp(709.78) overflows).
_LARGEST_EXPONENT = 700.0


def _power_terms(d: FloatArray, log_s: FloatArray, eps: float) -> FloatArray:
    """``(1 + d)**r - 1 - r d`` per row, ``r = 1 - eps``, ``log_s = ln(1 + d)``.

    The caller keeps ``eps < 0.5``, or ``r ln(1 + d) <= _LARGEST_EXPONENT``
    (no overflow); ``1 + d`` is a normal float. Small ``|d|``: the binomial series
    (``r (r - 1) d**2 / 2 + ...``), which the closed forms cancel to. Otherwise
    ``(1 + d) expm1(-eps ln(1 + d)) + eps d`` for small epsilon (the same value:
    its cancellation does not grow as epsilon falls) and ``expm1(r ln(1 + d)) -
    r d`` from 0.5 on (nor as r falls).
    """
    r = 1.0 - eps
    with np.errstate(all="ignore"):
        if eps < 0.5:
            terms = (1.0 + d) * np.expm1(-eps * log_s) + eps * d
        else:
            terms = np.expm1(r * log_s) - r * d
    # C(r, k) for k = 2, 3, ...; with |r d| < 0.25 term k is below 0.25**k
    # (times k for |r| <= 1). r - 1 is -eps exactly (1 - eps rounds: at
    # eps = 1e-9 the index was off by 3e-8 relative).
    series = [r * -eps / 2.0]
    with np.errstate(over="ignore"):
        for k in range(3, _SERIES_TERMS + 2):
            series.append(series[-1] * (r - k + 1.0) / k)
    # From epsilon ~3e10 the coefficients overflow (inf · 0 gave equal incomes
    # an index of NaN); the closed forms above hold there, 0 at d = 0.
    if all(math.isfinite(c) for c in series):
        _on_series(terms, d, np.abs(d) * max(1.0, abs(r)) < _SERIES_BELOW, series)
    return terms


class Decomposition(NamedTuple):
    """Additive decomposition of an entropy index by population subgroups.

    Attributes
    ----------
    total : float
        The index of the whole population.
    between : float
        Between-group part (the index of the data with every income replaced
        by its group mean).
    within : float
        Within-group part, ``total - between`` (up to rounding).
    groups : pandas.DataFrame
        One row per group (index: sorted labels, or a categorical's category
        order) with columns ``population_share``, ``income_share``, ``mean``
        (yuan), ``index`` (the group's own index), ``within_contribution``
        (its weighted share of ``within``) and ``excluded_share`` (the share
        of the group's weight left out for a non-positive income,
        ``nonpositive="exclude"``; else 0).

    Examples
    --------
    >>> from commonprosperity.metrics import decompose
    >>> total, between, within, groups = decompose([1.0, 3.0], None, ["a", "b"])
    >>> within, list(groups.index)
    (0.0, ['a', 'b'])
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame

    def __eq__(self, other: object) -> bool:
        # The tuple's own == compared the frames with ==, a frame, and raised
        # pandas' "truth value ... is ambiguous".
        if not isinstance(other, Decomposition):
            return NotImplemented
        return (
            all(
                a == b
                or (a != a and b != b)  # NaN parts equal, as frame.equals has them
                for a, b in zip(self[:3], other[:3], strict=True)
            )
            and self.groups.equals(other.groups)
        )

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    # Holds a frame, so unhashable, as a tuple holding one is. Out of mypy's
    # sight: it reads an assignment in a NamedTuple's body as a field.
    if not TYPE_CHECKING:  # type: ignore[misc]  # a statement in a NamedTuple body
        __hash__ = None


@aligned
def decompose(
    income: npt.ArrayLike,
    weight: npt.ArrayLike | None,
    group: npt.ArrayLike,
    measure: str = "theil",
    *,
    nonpositive: str = "raise",
) -> Decomposition:
    r"""Decompose the Theil index or the MLD into between- and within-group parts.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan), all ``> 0`` where the weight is positive.
    weight : array_like of float, shape (n,) or None
        Frequency weights; ``None`` means equal weights.
    group : array_like, shape (n,)
        Group label of each row (e.g. urban/rural or city); no missing labels.
    measure : {"theil", "mld"}
        Index to decompose.
    nonpositive : {"raise", "exclude"}
        What to do with positively weighted incomes ``<= 0``, for which both
        indices are undefined (they take logarithms): ``"raise"`` a
        :class:`MeasureError`, or ``"exclude"`` those rows with a ``UserWarning``
        that gives their number and weight share (Stata's ``ineqdeco`` likewise
        leaves out incomes ``<= 0``). The indices then describe the rows with
        income ``> 0``; ``groups["excluded_share"]`` says how much of each group
        was left out; a group with no income ``> 0`` keeps its row, with
        ``excluded_share`` 1, both shares 0 and ``mean`` and ``index`` NaN.

    Returns
    -------
    Decomposition
        ``(total, between, within, groups)``; ``total`` is :func:`theil` or
        :func:`mld` of the rows, and ``between + within == total`` up to rounding
        (about 1e-15, or the rounding of the group means relative to their
        spread when the groups' means are nearly equal: 2e-11 for incomes
        1e-6 apart).

    Raises
    ------
    MeasureError
        On invalid inputs, an unknown ``measure`` or ``nonpositive``, a
        non-positive income with ``nonpositive="raise"``, or no positive income
        left with ``"exclude"``.

    Warns
    -----
    UserWarning
        With ``nonpositive="exclude"``, when rows were left out.

    Notes
    -----
    With group population shares :math:`v_g = W_g / W`, income shares
    :math:`s_g = X_g / X` and means :math:`\mu_g`:

    * Theil: :math:`T = \sum_g s_g T_g + \sum_g s_g \ln(\mu_g / \mu)`;
    * MLD: :math:`L = \sum_g v_g L_g + \sum_g v_g \ln(\mu / \mu_g)`.

    Zero-weight rows are ignored, so a group whose rows all have zero weight
    does not appear (nor does an unused category of a categorical ``group``;
    the rows follow the category order). Incomes whose ratio to a mean under-
    or overflows are handled in logarithms, as in :func:`theil`. pysal's
    ``inequality.theil.TheilD`` computes the same unweighted Theil
    decomposition.

    References
    ----------
    .. [1] Shorrocks, A. F. (1980). "The class of additively decomposable
       inequality measures." *Econometrica* 48(3), 613-625.
    .. [2] Bourguignon, F. (1979). "Decomposable income inequality measures."
       *Econometrica* 47(4), 901-920.

    Examples
    --------
    >>> from commonprosperity.metrics import decompose
    >>> d = decompose([1.0, 1.0, 3.0, 3.0], None, ["r", "r", "u", "u"])
    >>> d.within, round(d.between, 12) == round(d.total, 12)
    (0.0, True)
    >>> d.groups["income_share"].tolist()
    [0.25, 0.75]
    """
    if not one_of(measure, ("theil", "mld")):
        raise MeasureError(f"measure must be 'theil' or 'mld'; got {quoted(measure)}")
    if not one_of(nonpositive, ("raise", "exclude")):
        raise MeasureError(
            f"nonpositive must be 'raise' or 'exclude'; got {quoted(nonpositive)}"
        )
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    codes, labels = factorize_groups(group, x.shape[0])
    if nonpositive == "raise":
        require_positive(x, w, "income", measure)
    excluded = _excluded_shares(x, w, codes, labels, measure)
    # Groups with weight, kept as rows even if every income of one is <= 0.
    # The codes are dense (0..k-1): counts, not np.unique's sort, find the
    # groups present, and a table renumbers them (two sorts and a search took
    # 480 of 707 ms at 1e6 rows in 1e5 groups).
    n_labels = len(labels)
    weighted = np.flatnonzero(np.bincount(codes[w > 0], minlength=n_labels))
    all_labels, all_excluded = labels[weighted], excluded[weighted]
    keep = (w > 0) & (x > 0)
    if not keep.all():
        x, w, codes = x[keep], w[keep], codes[keep]
    used = np.flatnonzero(np.bincount(codes, minlength=n_labels))
    labels = labels[used]
    excluded = excluded[used]
    renumber = np.zeros(n_labels, dtype=np.int64)
    renumber[used] = np.arange(used.shape[0])
    codes = np.ascontiguousarray(renumber[codes], dtype=np.int64)
    k = len(labels)
    # Scale free except the reported group means, which are scaled back.
    xs, ws, k_income = normalised(x, w)
    total_w, total_x = weighted_totals(xs, ws)
    mu = total_x / total_w
    gw, gx = grouped_totals(codes, k, ws, xs)
    with np.errstate(all="ignore"):  # checked by _ordinary below
        gmean = gx / gw
        s_group = xs / gmean[codes]
        s_all = xs / mu
    if not _ordinary(xs, ws, s_group, s_all, gw, gx):
        # Ratios under- or overflowed (incomes or weights spanning more than
        # the float range): the same sums, from logarithms.
        parts = _log_space(x, w, codes, k, measure)
        total, index, weights_g = parts.total, parts.index, parts.weights_g
        sign = 1.0 if measure == "theil" else -1.0
        between_terms = sign * weights_g * parts.log_mean_ratio
        population_share, income_share = parts.population_share, parts.income_share
        mean = np.exp(parts.log_mean)
    else:
        # The terms of theil() and mld(), each >= 0 (no cancellation): with
        # s ln s and ln s, incomes 1e-6 apart decomposed 5e-4 off theil()'s total
        # and between + within missed it by 3e-4.
        total = _non_negative(
            float(
                weighted_sum(
                    _deviation_terms(_deviations(xs, total_x, total_w), s_all, measure),
                    ws,
                )
                / total_w
            )
        )
        with np.errstate(all="ignore"):
            d_group = (xs - gmean[codes]) / gmean[codes]
        _, own = grouped_totals(
            codes, k, ws, _deviation_terms(d_group, s_group, measure)
        )
        index = np.maximum(own / gw, 0.0)
        population_share, income_share = gw / total_w, gx / total_x
        weights_g = income_share if measure == "theil" else population_share
        # Between: sum v_g r_g ln r_g (Theil) or -sum v_g ln r_g (MLD) with
        # r_g = mu_g / mu, less sum v_g (r_g - 1) = 0: terms >= 0 again.
        ratio = gmean / mu
        between_terms = population_share * _deviation_terms(
            (gmean - mu) / mu, ratio, measure
        )
        mean = np.ldexp(gmean, k_income)
    contributions = weights_g * index
    ones = np.ones(k)
    within = weighted_sum(contributions, ones)
    between = weighted_sum(between_terms, ones)
    groups = pd.DataFrame(
        {
            "population_share": population_share,
            "income_share": income_share,
            "mean": mean,
            "index": index,
            "within_contribution": contributions,
            "excluded_share": excluded,
        },
        index=labels,
    )
    if len(all_labels) > len(labels):
        # A group whose every income is <= 0 (the bottom decile of a population
        # with business losses) vanished from the table: it is in none of the
        # sums, its mean and index undefined, all of it excluded.
        groups = groups.reindex(all_labels)
        gone = groups["excluded_share"].isna()
        groups.loc[gone, ["population_share", "income_share"]] = 0.0
        groups.loc[gone, "within_contribution"] = 0.0
        groups["excluded_share"] = all_excluded
    return Decomposition(float(total), float(between), float(within), groups)


def _excluded_shares(
    x: FloatArray, w: FloatArray, codes: np.ndarray, labels: Any, measure: str
) -> FloatArray:
    """Per group, the share of its weight on incomes ``<= 0``; warns if any."""
    k = len(labels)
    out = np.zeros(k)
    bad = (x <= 0) & (w > 0)
    if not bad.any():
        return out
    if not ((x > 0) & (w > 0)).any():
        raise MeasureError(
            f"{measure} is defined only for income > 0 and no positively weighted "
            f"income is > 0 ({int(bad.sum())} non-positive value(s))"
        )
    # Shares only: weights over their largest cannot overflow in the sums.
    w = w / w.max()
    group_w = np.bincount(codes, weights=w, minlength=k)
    bad_w = np.bincount(codes[bad], weights=w[bad], minlength=k)
    np.divide(bad_w, group_w, out=out, where=group_w > 0)
    share = bad_w.sum() / group_w.sum()
    whole = np.flatnonzero((bad_w == group_w) & (group_w > 0))
    named = (
        f"; {len(whole)} group(s) have no income > 0 (excluded_share 1, mean and "
        f"index NaN): {[labels[g] for g in whole[:8]]}"
        if whole.size
        else ""
    )
    warn_user(
        f"decompose: left out {int(bad.sum())} row(s) with income <= 0 "
        f"({share:.3%} of the weight; the lowest income {float(x[bad].min())!r}): "
        f"{measure} is defined only for income > 0, so the indices describe the "
        f"rows with income > 0{named}"
    )
    return out
