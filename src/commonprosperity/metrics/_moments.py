"""Weighted means, group means and the coefficient of variation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from commonprosperity._kernels.inequality import (
    grouped_totals,
    weighted_sum,
    weighted_totals,
)
from commonprosperity._validate import quoted
from commonprosperity.errors import MeasureError
from commonprosperity.metrics._validate import (
    aligned,
    as_values,
    as_weight,
    pow2_normalised,
    pow2_normalised_weight,
    scaled_positive_mean,
)

__all__ = [
    "coefficient_of_variation",
    "factorize_groups",
    "group_mean",
    "weighted_mean",
]


@aligned
def weighted_mean(values: npt.ArrayLike, weight: npt.ArrayLike | None = None) -> float:
    r"""Weighted arithmetic mean.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Values (e.g. yuan per year); negatives allowed.
    weight : array_like of float, shape (n,), optional
        Frequency weights (``>= 0``, positive sum); ``None`` means equal weights.

    Returns
    -------
    float
        :math:`\sum_i w_i x_i / \sum_i w_i`, in the unit of ``values``.

    Raises
    ------
    MeasureError
        On invalid inputs.

    Notes
    -----
    Both sums are compensated (TwoSum), so the result is accurate to a few ulps
    for any number of rows. Zero-weight rows are ignored.

    References
    ----------
    .. [1] Neumaier, A. (1974). "Rundungsfehleranalyse einiger Verfahren zur
       Summation endlicher Summen." *ZAMM* 54(1), 39-51.

    Examples
    --------
    >>> from commonprosperity.metrics import weighted_mean
    >>> weighted_mean([10.0, 20.0], [3, 1])
    12.5
    """
    x = as_values(values, "values")
    w = as_weight(weight, x.shape[0], of="values")
    return float(_means(x, pow2_normalised_weight(w), None, 1)[0])


def _means(
    x: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64] | None,
    k: int,
) -> npt.NDArray[np.float64]:
    """Per group compensated ``sum(w x) / sum(w)``; ``nan`` where ``sum(w) == 0``.

    ``codes=None``: one group, every row (``k`` must be 1).

    ``w`` must already be rescaled (largest weight near 1), so ``w * x`` is
    finite; when a sum of them overflows (values near 1e308), the values are
    rescaled by a power of two and the means scaled back, exactly.
    """

    def totals(v: npt.NDArray[np.float64]) -> tuple[np.ndarray, np.ndarray]:
        if codes is None:
            sum_w, sum_x = weighted_totals(v, w)
            return np.array([sum_w]), np.array([sum_x])
        return grouped_totals(codes, k, w, v)

    exponent = 0
    with np.errstate(over="ignore", invalid="ignore"):
        sum_w, sum_x = totals(x)
    if not np.all(np.isfinite(sum_x)):
        xs, exponent = pow2_normalised(x, w)
        sum_w, sum_x = totals(xs)
    means = np.full(k, np.nan)
    has = sum_w > 0
    means[has] = np.ldexp(sum_x[has] / sum_w[has], exponent)
    return means


def native_order(a: np.ndarray) -> np.ndarray:
    """``a`` in the machine's byte order (pandas refuses big-endian buffers)."""
    if a.dtype.byteorder in "=|":
        return a
    return a.astype(a.dtype.newbyteorder("="))


def factorize_groups(
    group: npt.ArrayLike, n: int, name: str = "group"
) -> tuple[npt.NDArray[np.int64], pd.Index]:
    """Return int64 codes in ``[0, k)`` and the sorted unique labels of ``group``.

    Parameters
    ----------
    group : array_like, shape (n,)
        Group labels (any hashable, sortable values; no missing labels).
    n : int
        Required length.
    name : str
        Argument name used in error messages.

    Returns
    -------
    codes : ndarray of int64
        Group code of each row.
    labels : pandas.Index
        The distinct labels in sorted order (for a categorical, in the order
        of its categories; unused categories are left out).

    Raises
    ------
    MeasureError
        On a wrong shape or length, missing labels or unsortable labels.
    """
    if isinstance(group, np.ma.MaskedArray):
        # np.asarray would drop the mask and label the masked rows.
        labels = np.ma.getdata(group).astype(object)
        labels[np.ma.getmaskarray(group)] = None
        group = labels
    if isinstance(group, list | tuple):
        # np.asarray turned [1, "1"] into two "1"s (and b"a", "a" into one):
        # pandas keeps each label's own type.
        group = pd.Series(group, dtype=None if group else object)
    arr = (
        group
        if isinstance(group, pd.Series | pd.Index | pd.Categorical)
        else native_order(np.asarray(group))
    )
    if getattr(arr, "dtype", None) == np.float16:
        # pandas has no float16 index ("float16 indexes are not supported");
        # float32 holds every float16 exactly.
        arr = arr.astype(np.float32)
    if getattr(arr, "ndim", 1) != 1:
        raise MeasureError(f"{name} must be 1-D; got shape {np.shape(arr)}")
    if len(arr) != n:
        raise MeasureError(
            f"{name} must have the same length as the values ({n}); "
            f"got length {len(arr)}"
        )
    try:
        codes, labels = pd.factorize(arr, sort=True)
    except TypeError as exc:
        nested = next(
            (
                (i, v)
                for i, v in enumerate(arr)
                if isinstance(v, list | tuple | dict | set | np.ndarray)
            ),
            None,
        )
        if nested is not None:
            # [["a"], ["b"]] (a column of a 2-D table) said "unhashable type".
            i, v = nested
            raise MeasureError(
                f"{name} must be 1-D, one label per row; got "
                f"{type(v).__name__} {quoted(v)} at index [{i}]"
            ) from exc
        raise MeasureError(f"{name} labels must be sortable; {exc}") from exc
    if labels.dtype == object and not isinstance(
        getattr(arr, "dtype", None), pd.CategoricalDtype
    ):
        # pandas leaves labels it cannot sort (1 and "1") unsorted, silently.
        try:
            for a, b in itertools.pairwise(labels):
                _ = a < b
        except TypeError as exc:
            kinds = ", ".join(sorted({type(v).__name__ for v in labels}))
            raise MeasureError(
                f"{name} labels must be sortable, of one kind; got {kinds} ({exc})"
            ) from exc
    missing = codes < 0
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise MeasureError(
            f"{name} must have a label for every row; got a missing label at index "
            f"[{first}] ({int(missing.sum())} in total)"
        )
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(labels, name=name)


@aligned
def group_mean(
    values: npt.ArrayLike, weight: npt.ArrayLike | None, group: npt.ArrayLike
) -> pd.Series:
    r"""Weighted mean of ``values`` within each group.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Values (e.g. yuan per year).
    weight : array_like of float, shape (n,) or None
        Frequency weights; ``None`` means equal weights.
    group : array_like, shape (n,)
        Group label of each row (e.g. city names); no missing labels.

    Returns
    -------
    pandas.Series
        float64 means indexed by the sorted distinct labels (index name
        ``"group"``); ``nan`` for a group whose rows all have zero weight.

    Raises
    ------
    MeasureError
        On invalid inputs.

    Notes
    -----
    Per-group compensated sums in one pass: :math:`\bar x_g = \sum_{i \in g}
    w_i x_i / \sum_{i \in g} w_i`.

    References
    ----------
    .. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 5A
       (domain means). Wiley.

    Examples
    --------
    >>> from commonprosperity.metrics import group_mean
    >>> group_mean([1.0, 3.0, 10.0], [1, 1, 2], ["a", "a", "b"]).to_dict()
    {'a': 2.0, 'b': 10.0}
    """
    x = as_values(values, "values")
    w = as_weight(weight, x.shape[0], of="values")
    codes, labels = factorize_groups(group, x.shape[0])
    means = _means(x, pow2_normalised_weight(w), codes, len(labels))
    return pd.Series(means, index=labels, dtype=np.float64)


@aligned
def coefficient_of_variation(
    income: npt.ArrayLike, weight: npt.ArrayLike | None = None
) -> float:
    r"""Weighted coefficient of variation (population standard deviation / mean).

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan); negatives allowed, the weighted mean must be positive.
    weight : array_like of float, shape (n,), optional
        Frequency weights; ``None`` means equal weights.

    Returns
    -------
    float
        :math:`\sqrt{\sum_i w_i (x_i - \mu)^2 / W} / \mu` (dimensionless).

    Raises
    ------
    MeasureError
        On invalid inputs or a non-positive weighted mean.

    Notes
    -----
    Frequency weights, so the variance has divisor :math:`W = \sum w` (no
    ``ddof`` correction, as for the other population measures here); it is
    computed from centred values in a compensated sum, after an exact
    power-of-two rescaling (so incomes near 1e300 or 1e-300 give the same value
    as at any other scale). Zero-weight rows are ignored. Half its square is the
    generalized entropy index :math:`GE(2)`.

    References
    ----------
    .. [1] Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed., ch. 2. Oxford
       University Press.

    Examples
    --------
    >>> from commonprosperity.metrics import coefficient_of_variation
    >>> coefficient_of_variation([1.0, 3.0])
    0.5
    """
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    x, w, total_w, total_x = scaled_positive_mean(
        x, w, "income", "coefficient_of_variation"
    )
    # A zero-weight row must be as if absent: 0 * (huge deviation)**2 is nan.
    keep = w > 0
    if not keep.all():
        x, w = x[keep], w[keep]
    mu = total_x / total_w
    with np.errstate(over="ignore", invalid="ignore"):
        rel = (x - mu) / mu
        value = math.sqrt(weighted_sum(rel * rel, w) / total_w)
    if not math.isfinite(value):
        # An income over 1e308 times the mean (a tiny mean carried by heavy
        # weights) overflowed rel**2 although the CV is finite: factor out the
        # largest deviation and combine in logarithms.
        d = x - mu
        top = float(np.max(np.abs(d)))
        u = d / top
        value = math.exp(
            math.log(top)
            - math.log(mu)
            + 0.5 * math.log(weighted_sum(u * u, w) / total_w)
        )
    return float(value)
