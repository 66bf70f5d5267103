"""Foster-Greer-Thorbecke poverty measures."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from commonprosperity._kernels.inequality import weighted_sum
from commonprosperity.errors import MeasureError
from commonprosperity.metrics._validate import (
    aligned,
    as_scalar,
    as_values,
    as_weight,
    pow2_normalised_weight,
)

__all__ = ["fgt"]


@aligned
def fgt(
    income: npt.ArrayLike,
    weight: npt.ArrayLike | None,
    line: float | npt.ArrayLike,
    alpha: float = 0.0,
) -> float:
    r"""Foster-Greer-Thorbecke poverty index :math:`P_\alpha`.

    Parameters
    ----------
    income : array_like of float, shape (n,)
        Incomes (yuan per year, on the same basis as ``line``); negatives allowed.
    weight : array_like of float, shape (n,) or None
        Frequency weights (e.g. persons); ``None`` means equal weights.
    line : float or array_like of float, shape (n,)
        Poverty line (yuan per year, ``> 0``), one for all rows or one per row.
    alpha : float, default 0
        Poverty aversion, ``>= 0``: 0 headcount ratio, 1 poverty-gap index,
        2 squared poverty gap (severity).

    Returns
    -------
    float
        :math:`P_\alpha = \frac{1}{W} \sum_{i: x_i < z_i} w_i
        \left(\frac{z_i - x_i}{z_i}\right)^\alpha` (dimensionless; in
        ``[0, 1]`` for non-negative incomes).

    Raises
    ------
    MeasureError
        On invalid inputs, a non-positive or non-finite line, a line of the
        wrong length, ``alpha < 0``, or an index beyond float64 (gaps above 1,
        from incomes below 0, to a large ``alpha``).

    Notes
    -----
    *Poor* means ``income < line`` strictly: a row exactly on the line is not
    poor (as in microdf's ``poverty_rate``). Negative incomes are legal and
    give a normalised gap above 1. Zero-weight rows are ignored. microdf's
    ``poverty_gap`` and ``squared_poverty_gap`` are unnormalised weighted totals:
    ``poverty_gap = z W P_1`` and ``squared_poverty_gap = z^2 W P_2`` for a
    constant line ``z``.

    References
    ----------
    .. [1] Foster, J., Greer, J. and Thorbecke, E. (1984). "A class of
       decomposable poverty measures." *Econometrica* 52(3), 761-766.

    Examples
    --------
    >>> from commonprosperity.metrics import fgt
    >>> incomes = [5_000.0, 10_000.0, 30_000.0, 40_000.0]
    >>> fgt(incomes, None, line=20_000, alpha=0)
    0.5
    >>> fgt(incomes, None, line=20_000, alpha=1)  # (0.75 + 0.5) / 4
    0.3125
    """
    a = as_scalar(alpha, "alpha", low=0.0)
    x = as_values(income, "income")
    w = as_weight(weight, x.shape[0])
    if np.ndim(line) == 0:
        z = np.full(x.shape[0], as_scalar(line, "line", low=0.0, low_open=True))
    else:
        z = as_values(line, "line")
        if z.shape[0] != x.shape[0]:
            raise MeasureError(
                f"line must be a number or have the same length as income "
                f"({x.shape[0]}); got length {z.shape[0]}"
            )
        bad = z <= 0
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise MeasureError(
                f"line must be > 0 for every element; got {float(z[first])!r} at "
                f"index [{first}] ({int(bad.sum())} such elements in total)"
            )
    # Scale free in the weights: an exact power-of-two rescaling keeps the
    # products w * gap**alpha from underflowing for tiny weights (a weight of
    # 5e-324 gave P_2 = 0).
    w = pow2_normalised_weight(w)
    total_w = weighted_sum(np.ones_like(w), w)
    # Zero-weight rows are left out, not multiplied by 0: the gap of a huge
    # negative income raised to alpha can be inf, and 0 * inf is nan.
    poor = (x < z) & (w > 0)
    if not poor.any():
        return 0.0
    if a == 0.0:
        return float(weighted_sum(np.ones(int(poor.sum())), w[poor]) / total_w)
    zp, xp = z[poor], x[poor]
    with np.errstate(over="ignore"):
        gap = (zp - xp) / zp
    wide = ~np.isfinite(gap)
    if wide.any():
        # z - x overflowed (a line near 1e308 and a large negative income):
        # halves cannot overflow, and halving is exact at that magnitude.
        gap[wide] = (0.5 * zp[wide] - 0.5 * xp[wide]) / zp[wide] * 2.0
    with np.errstate(under="ignore", over="ignore"):
        terms = gap**a
    if not np.isfinite(terms).all():
        # An inf term made the compensated sum NaN, returned without a word.
        k = int(np.flatnonzero(~np.isfinite(terms))[0])
        row = int(np.flatnonzero(poor)[k])
        raise MeasureError(
            f"fgt overflows float64: the gap (line - income) / line = {gap[k]:.6g} "
            f"at index [{row}] to the power alpha={a:g} is beyond 1.8e308 (an "
            "income below 0 makes a gap above 1); use a smaller alpha"
        )
    value = float(weighted_sum(terms, w[poor]) / total_w)
    if not math.isfinite(value):
        raise MeasureError(
            f"fgt overflows float64: the weighted sum of gaps to the power "
            f"alpha={a:g} is beyond 1.8e308; use a smaller alpha"
        )
    return value
