"""Parametric Lorenz curves fitted to grouped data (quintile or decile shares).

The World Bank's grouped-data methods (PovcalNet; Datt 1998): the general
quadratic (GQ) Lorenz curve of Villaseñor and Arnold (1989) and the Beta Lorenz
curve of Kakwani (1980), each fitted by ordinary least squares to the cumulative
points of published income shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from commonprosperity._validate import (
    is_integer,
    masked_problem,
    quoted,
    seed_problem,
)
from commonprosperity.errors import MeasureError
from commonprosperity.metrics._validate import _where, aligned, as_scalar, as_values

__all__ = ["BetaLorenz", "GQLorenz", "fit_beta_lorenz", "fit_gq_lorenz"]

FloatArray = npt.NDArray[np.float64]

#: Interior grid on which a fitted curve is checked (PovcalNet checks from 0.001).
_CHECK_GRID = np.linspace(0.001, 0.999, 999)
_TOL = 1e-9
#: Most draws :meth:`BetaLorenz.sample` takes: NumPy's largest array length (a
#: count beyond it raised NumPy's "Maximum allowed size exceeded").
MAX_DRAWS = int(np.iinfo(np.intp).max)


def _probabilities(p: npt.ArrayLike) -> FloatArray:
    # A masked 7.0 was "not a share", a masked 0.9 answered as if given.
    if (problem := masked_problem("p", p)) is not None:
        raise MeasureError(problem)
    try:
        raw = np.asarray(p)
    except (TypeError, ValueError) as exc:
        raise MeasureError(
            f"p must be population shares in [0, 1]; got {type(p).__name__}"
        ) from exc
    if raw.dtype.kind not in "iuf":
        raise MeasureError(
            f"p must be population shares in [0, 1] (numbers); got dtype {raw.dtype}"
        )
    arr = raw.astype(np.float64)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if np.any(bad):
        raise MeasureError(
            "p must hold population shares in [0, 1]; "
            f"got {float(arr[bad].flat[0])!r} ({int(bad.sum())} such value(s))"
        )
    return arr


def _like_p(values: FloatArray, p: FloatArray) -> FloatArray | float:
    """``values`` as a float where ``p`` was one number (a 0-d array)."""
    return float(values) if p.ndim == 0 else values


@dataclass(frozen=True)
class _LorenzFit:
    """Behaviour shared by the fitted Lorenz curves."""

    mean: float | None
    gini: float
    sse: float

    @overload
    def lorenz(self, p: float) -> float: ...
    @overload
    def lorenz(self, p: npt.ArrayLike) -> FloatArray: ...
    def lorenz(self, p: npt.ArrayLike) -> FloatArray | float:
        """Income share of the poorest fraction ``p`` of the population.

        Parameters
        ----------
        p : float or array_like of float
            Population shares in ``[0, 1]``.

        Returns
        -------
        ndarray of float64, or float
            Shares of total income held by the poorest ``p``; a float for a
            scalar ``p``, as NumPy's functions give.
        """
        arr = _probabilities(p)
        return _like_p(self._lorenz(arr), arr)

    def _lorenz(self, p: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _slope(self, p: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        raise NotImplementedError

    @overload
    def quantile(self, p: float) -> float: ...
    @overload
    def quantile(self, p: npt.ArrayLike) -> FloatArray: ...
    def quantile(self, p: npt.ArrayLike) -> FloatArray | float:
        """Income at population rank ``p``: ``mean * L'(p)`` (yuan).

        Parameters
        ----------
        p : float or array_like of float
            Population shares in ``[0, 1]``.

        Returns
        -------
        ndarray of float64, or float
            Incomes, clipped at 0 where the fitted slope is negative (possible
            below ``p = 0.001``, where validity is not checked); a float for a
            scalar ``p``.

        Raises
        ------
        MeasureError
            If the fit has no ``mean`` or ``p`` is outside ``[0, 1]``.

        Examples
        --------
        >>> from commonprosperity.metrics import fit_gq_lorenz
        >>> shares = [0.0616, 0.1086, 0.1574, 0.2287, 0.4437]
        >>> fit = fit_gq_lorenz(shares, mean=50_000)
        >>> q = fit.quantile([0.1, 0.5, 0.9])
        >>> bool(q[0] < q[1] < 50_000 < q[2])
        True
        """
        if self.mean is None:
            raise MeasureError(
                "quantile and sample need the mean income: pass mean= (yuan) to the fit"
            )
        arr = _probabilities(p)
        with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
            slope = self._slope(arr)
        incomes = np.maximum(np.nan_to_num(slope, nan=0.0, posinf=np.inf), 0.0)
        return _like_p(self.mean * incomes, arr)

    def sample(self, n: int, seed: int | np.random.Generator) -> FloatArray:
        """Draw ``n`` incomes by inverse-CDF sampling (yuan).

        Parameters
        ----------
        n : int
            Number of draws, ``>= 0``.
        seed : int or numpy.random.Generator
            A non-negative integer seed for ``np.random.default_rng``, or a generator
        to draw from.

        Returns
        -------
        ndarray of float64
            ``quantile(u)`` for ``u`` uniform on ``(0, 1)``.

        Raises
        ------
        MeasureError
            If ``n`` or ``seed`` is not a non-negative integer (``seed`` may be a
            generator) or the fit has no ``mean``.

        Examples
        --------
        >>> from commonprosperity.metrics import fit_beta_lorenz
        >>> shares = [0.0616, 0.1086, 0.1574, 0.2287, 0.4437]
        >>> x = fit_beta_lorenz(shares, mean=50_000).sample(1_000, seed=1)
        >>> x.shape, bool((x >= 0).all())
        ((1000,), True)
        """
        if not is_integer(n) or not 0 <= n <= MAX_DRAWS:
            raise MeasureError(
                f"n must be an integer >= 0 and at most {MAX_DRAWS:,} (draws); "
                f"got {quoted(n)}"
            )
        if not isinstance(seed, np.random.Generator) and seed_problem(seed):
            raise MeasureError(
                "seed must be a non-negative integer or a numpy.random.Generator; "
                f"got {quoted(seed)}"
            )
        if self.mean is None:
            raise MeasureError(
                "quantile and sample need the mean income: pass mean= (yuan) to the fit"
            )
        rng = np.random.default_rng(seed)
        u = rng.random(int(n))
        u[u == 0.0] = np.finfo(np.float64).tiny
        return self.quantile(u)


@dataclass(frozen=True)
class GQLorenz(_LorenzFit):
    """General quadratic Lorenz curve ``L(1-L) = a(p²-L) + bL(p-1) + c(p-L)``.

    Attributes
    ----------
    a, b, c : float
        Fitted parameters.
    mean : float or None
        Mean income (yuan) used by :meth:`quantile` and :meth:`sample`.
    gini : float
        Closed-form Gini of the fitted curve.
    sse : float
        Sum of squared errors of ``L`` at the fitted points.

    Examples
    --------
    >>> from commonprosperity.metrics import fit_gq_lorenz
    >>> fit = fit_gq_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437])
    >>> [round(float(v), 3) for v in fit.lorenz([0.0, 0.2, 1.0])]
    [0.0, 0.062, 1.0]
    """

    a: float
    b: float
    c: float

    @property
    def e(self) -> float:
        """``e = -(a + b + c + 1)``."""
        return -(self.a + self.b + self.c + 1.0)

    @property
    def m(self) -> float:
        """``m = b² - 4a``."""
        return self.b**2 - 4.0 * self.a

    @property
    def n(self) -> float:
        """``n = 2be - 4c``."""
        return 2.0 * self.b * self.e - 4.0 * self.c

    def _g(self, p: FloatArray) -> FloatArray:
        # m p² + n p + e²; above p = 1/2 in powers of q = 1 - p (exact there),
        # (S - 1)² + q (2b (S + 1) + 4 (a + S) + q m) with S = a + c, the same
        # polynomial: at p = 1 the other form is (S + 1)² - 4S, which cancelled
        # to 1.8e-15 where S = 1 (a Pareto curve's fit) and put L(1) 2e-8 below 1.
        s = self.a + self.c
        q = 1.0 - p
        near_one = (s - 1.0) ** 2 + q * (
            2.0 * self.b * (s + 1.0) + 4.0 * (self.a + s) + q * self.m
        )
        near_zero = (self.m * p + self.n) * p + self.e**2
        return np.maximum(np.where(p > 0.5, near_one, near_zero), 0.0)

    def _lorenz(self, arr: FloatArray) -> FloatArray:
        # L(p) = -(b p + e + sqrt(m p² + n p + e²)) / 2
        # + 0.0 turns the -0.0 at p = 0 into 0.0
        return -0.5 * (self.b * arr + self.e + np.sqrt(self._g(arr))) + 0.0

    def _slope(self, p: FloatArray) -> FloatArray:
        return -0.5 * self.b - (2.0 * self.m * p + self.n) / (4.0 * np.sqrt(self._g(p)))


@dataclass(frozen=True)
class BetaLorenz(_LorenzFit):
    """Beta Lorenz curve ``L(p) = p - θ p^γ (1-p)^δ``.

    Attributes
    ----------
    theta, gamma, delta : float
        Fitted parameters.
    mean : float or None
        Mean income (yuan) used by :meth:`quantile` and :meth:`sample`.
    gini : float
        Gini of the fitted curve, ``2θ B(1+γ, 1+δ)``.
    sse : float
        Sum of squared errors of ``L`` at the fitted points.

    Examples
    --------
    >>> from commonprosperity.metrics import fit_beta_lorenz
    >>> fit = fit_beta_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437])
    >>> [round(float(v), 3) for v in fit.lorenz([0.0, 0.2, 1.0])]
    [0.0, 0.062, 1.0]
    """

    theta: float
    gamma: float
    delta: float

    def _lorenz(self, arr: FloatArray) -> FloatArray:
        # L(p) = p - θ p^γ (1-p)^δ
        with np.errstate(under="ignore"):
            return arr - self.theta * arr**self.gamma * (1.0 - arr) ** self.delta

    def _slope(self, p: FloatArray) -> FloatArray:
        # θ p^(γ-1) (1-p)^(δ-1) (γ(1-p) - δp): the same as the derivative of the
        # bump, but with the right limits at p = 0 and p = 1 (where the product
        # form gave 0 * inf = nan, read as a quantile of 0 at the top).
        g, d = self.gamma, self.delta
        q = 1.0 - p
        return 1.0 - self.theta * p ** (g - 1.0) * q ** (d - 1.0) * (g * q - d * p)

    def _curvature(self, p: FloatArray) -> FloatArray:
        g, d = self.gamma, self.delta
        bump = self.theta * p**g * (1.0 - p) ** d
        q = 1.0 - p
        return bump * (g * (1 - g) / p**2 + 2 * g * d / (p * q) + d * (1 - d) / q**2)


def _sum_hint(values: FloatArray, total: float, what: str = "income") -> str:
    """What grouped data not summing to 1 most likely are, for the message.

    Published tables give percentages, cumulative shares (ending at 1 or 100,
    or a little below 100 when rounded), the groups' mean incomes, or (for the
    population) counts; each is refused, and the message says which it looks
    like.
    """
    last = float(values[-1])
    rising = bool(np.all(np.diff(values) > 0))
    # Fractions ending near 1 (rounded) or per cent ending at 100: means in
    # thousands ending at 100.5 are no cumulative shares.
    if rising and (abs(last - 1.0) <= 0.02 or abs(last - 100.0) <= 0.2):
        per_cent = ", each / 100" if last > 2.0 else ""
        return (
            f" (these look cumulative, ending at {last:g}: give each group's own "
            f"share, np.diff of them from 0{per_cent})"
        )
    if rising and 95.0 <= last < 100.0 and abs(total - 100.0) > 2.0:
        # Cumulative per cent of a rounded table (ending at 99), or amounts that
        # happen to end near 100 (means in thousands, counts): say both.
        other = (
            "counts, each group's share: count / total"
            if what == "population"
            else "amounts such as the groups' mean incomes, income shares: mean "
            "× population share / the sum of those"
        )
        return (
            f" (these look cumulative in per cent, ending at {last:g}: give each "
            f"group's own share, np.diff of them from 0, each / 100; or, if they "
            f"are {other})"
        )
    if 50.0 <= total <= 150.0 and float(values.max()) <= 100.0:
        return " (these look like percentages: give fractions, each / 100)"
    if total > 1.5 and what == "population":
        return " (these look like counts: give each group's share, count / total)"
    if total > 1.5:
        return (
            " (these look like amounts, e.g. the groups' mean incomes: give "
            "income shares, mean × population share / the sum of those)"
        )
    return ""


def _cumulative_points(
    shares: npt.ArrayLike, population_shares: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    """Validate the grouped data; return cumulative ``(p, L)`` without (0,0), (1,1)."""
    s = as_values(shares, "shares")
    if s.shape[0] < 4:
        raise MeasureError(
            "shares must have at least 4 groups (3 parameters are fitted); "
            f"got {s.shape[0]}"
        )
    if np.any(s < 0):
        raise MeasureError(f"shares must be >= 0 for every group; {_where(s < 0, s)}")
    total = float(s.sum())
    if abs(total - 1.0) > 0.02:
        raise MeasureError(
            f"shares must sum to 1{_sum_hint(s, total)}; got sum {total!r}"
        )
    if population_shares is None:
        pop = np.full(s.shape[0], 1.0 / s.shape[0])
    else:
        pop = as_values(population_shares, "population_shares")
        if pop.shape[0] != s.shape[0]:
            raise MeasureError(
                f"population_shares must have the same length as shares "
                f"({s.shape[0]}); got length {pop.shape[0]}"
            )
        if np.any(pop <= 0):
            raise MeasureError(
                "population_shares must be > 0 for every group; "
                + _where(pop <= 0, pop)
            )
        if abs(float(pop.sum()) - 1.0) > 0.02:
            total = float(pop.sum())
            hint = _sum_hint(pop, total, "population")
            raise MeasureError(
                f"population_shares must sum to 1{hint}; got sum {total!r}"
            )
    # Poorest first: the groups' mean incomes (income share over population
    # share) must not decrease; a swap of two groups can otherwise still give
    # cumulative points under the diagonal and a silently fitted curve.
    means = s / pop
    drop = np.flatnonzero(means[1:] < means[:-1] * (1.0 - _TOL))
    if drop.size:
        i = int(drop[0]) + 1
        raise MeasureError(
            "shares must be ordered poorest first (income share / population share "
            f"non-decreasing); group [{i}] has {float(means[i])!r} after "
            f"{float(means[i - 1])!r} of group [{i - 1}]"
            + (f" ({drop.size} such groups in total)" if drop.size > 1 else "")
        )
    p = np.cumsum(pop / pop.sum())[:-1]
    lz = np.cumsum(s / total)[:-1]
    if np.any(lz > p + _TOL):
        raise MeasureError(
            "shares do not describe a Lorenz curve: a cumulative income share "
            "exceeds its population share (are the groups ordered poorest first?)"
        )
    return p, lz


def _as_mean(mean: float | None) -> float | None:
    if mean is None:
        return None
    return as_scalar(mean, "mean", low=0.0, low_open=True)


def _check_grid(fit: _LorenzFit, family: str) -> None:
    """Check on a grid that the fitted curve is a Lorenz curve (within rounding)."""
    lz = fit.lorenz(_CHECK_GRID)
    ok = (
        np.all(np.isfinite(lz))
        and np.all(lz >= -_TOL)
        and np.all(lz <= _CHECK_GRID + _TOL)
    )
    if not ok:
        raise MeasureError(
            f"the fitted {family} curve is not a valid Lorenz curve: it leaves the "
            "triangle 0 <= L(p) <= p on (0.001, 0.999); try the other family"
        )


def _gq_gini(a: float, b: float, c: float) -> float:
    """Closed-form Gini of a valid GQ curve, ``1 + b/2 + e + ∫ sqrt(g)``.

    Datt's closed form is the difference of two terms of order ``1/m``; it is
    used only where they are at most 30 times the integral (within about 1e-13;
    the logarithm and arcsine differences are written so that they do not cancel,
    and the arcsine is taken as an angle so that ``a + c = 1`` is exact).
    Elsewhere (``m`` near 0, where the closed form gave Ginis of 700 or a
    ``math domain error``) the integral is evaluated by adaptive quadrature.
    """
    e = -(a + b + c + 1.0)
    m = b * b - 4.0 * a
    n = 2.0 * b * e - 4.0 * c
    r2 = n * n - 4.0 * m * e * e
    s0 = -e  # sqrt(g(0))
    s1 = abs(a + c - 1.0)  # sqrt(g(1)); s0 - s1 = b + 2 (a + c >= 1 - _TOL)
    integral = math.nan
    if m != 0.0:
        rm = math.sqrt(abs(m))
        if m > 0:
            # ln((2 rm s1 + 2m + n) / (2 rm s0 + n)), both sums of one sign (the
            # vertex -n/2m is outside (0, 1)); for 2m + n < 0 each is rewritten
            # with (2 rm s + t)(2 rm s - t) = -r2 so that nothing cancels.
            if 2.0 * m + n >= 0:
                den = 2.0 * rm * s0 + n
                diff = 2.0 * m - 2.0 * rm * (b + 2.0)
            else:
                den = 2.0 * rm * s1 - 2.0 * m - n
                diff = 2.0 * m + 2.0 * rm * (b + 2.0)
            inv = math.log1p(diff / den) / rm
        else:
            # -(asin((2m + n)/r) - asin(n/r)) / rm, with asin(x/r) the angle of
            # (2 rm s, x) and the difference of the two angles taken in one atan2.
            cross = 2.0 * rm * (2.0 * m * s0 + n * (b + 2.0))
            dot = (2.0 * m + n) * n + 4.0 * (-m) * s0 * s1
            inv = -math.atan2(cross, dot) / rm
        t1 = ((2.0 * m + n) * s1 - n * s0) / (4.0 * m)
        t2 = r2 / (8.0 * m) * inv
        integral = t1 - t2
        if not max(abs(t1), abs(t2)) <= 30.0 * abs(integral):
            integral = math.nan
    if math.isnan(integral):
        from scipy import integrate  # imported here: scipy costs ~0.5 s at import

        integral = integrate.quad(
            lambda p: math.sqrt(max(m * p * p + n * p + e * e, 0.0)),
            0.0,
            1.0,
            epsabs=1e-14,
            epsrel=1e-13,
            limit=200,
        )[0]
    return 1.0 + 0.5 * b + e + integral


@aligned
def fit_gq_lorenz(
    shares: npt.ArrayLike,
    mean: float | None = None,
    *,
    population_shares: npt.ArrayLike | None = None,
) -> GQLorenz:
    r"""Fit the general quadratic (Villaseñor-Arnold) Lorenz curve to grouped shares.

    Parameters
    ----------
    shares : array_like of float, shape (k,)
        Income shares of ``k >= 4`` population groups, poorest first, as
        fractions summing to 1 (e.g. published quintile or decile shares;
        rounding up to 0.02 is absorbed by renormalising).
    mean : float, optional
        Mean income (yuan), needed only by ``quantile`` and ``sample``.
    population_shares : array_like of float, shape (k,), optional
        Population share of each group; equal groups by default. A sum within
        0.02 of 1 is renormalised, as the shares are.

    Returns
    -------
    GQLorenz
        Parameters ``a, b, c``, ``gini``, ``sse``, and methods ``lorenz(p)``,
        ``quantile(p)`` and ``sample(n, seed)``.

    Raises
    ------
    MeasureError
        On invalid shares (the message says when they look cumulative, in per
        cent or amounts), shares of perfect equality (Gini 0: no curve to fit),
        or if the fitted curve is not a valid Lorenz curve (``e < 0``,
        ``a + c >= 1``, ``n² - 4me² >= 0``, ``L'(0) >= 0`` and
        ``0 <= L(p) <= p`` on a grid).

    Notes
    -----
    With cumulative points :math:`(p_j, L_j)` (the last, :math:`(1, 1)`,
    dropped since the form passes through it identically) the regression
    :math:`L(1-L) = a(p^2 - L) + bL(p-1) + c(p-L)` is fitted by OLS without
    intercept. With :math:`e = -(a+b+c+1)`, :math:`m = b^2 - 4a`,
    :math:`n = 2be - 4c`:
    :math:`L(p) = -\tfrac12 [bp + e + (mp^2 + np + e^2)^{1/2}]`, the quantile is
    :math:`\mu L'(p)`, and the Gini is :math:`1 + b/2 + e + \int_0^1
    (mp^2+np+e^2)^{1/2} dp` in closed form (Datt 1998, table 2).

    References
    ----------
    .. [1] Villaseñor, J. A. and Arnold, B. C. (1989). "Elliptical Lorenz
       curves." *Journal of Econometrics* 40(2), 327-338.
    .. [2] Datt, G. (1998). "Computational tools for poverty measurement and
       analysis." FCND Discussion Paper 50, IFPRI.

    Examples
    --------
    >>> from commonprosperity.metrics import fit_gq_lorenz
    >>> shares = [0.0616, 0.1086, 0.1574, 0.2287, 0.4437]  # lognormal, sigma = 0.7
    >>> fit = fit_gq_lorenz(shares, mean=50_000)
    >>> round(fit.gini, 2), bool(fit.quantile(0.5) > 0)
    (0.38, True)
    """
    p, lz = _cumulative_points(shares, population_shares)
    mu = _as_mean(mean)
    if np.all(p - lz <= _TOL):
        # The regression is singular on the diagonal (two columns equal, one
        # zero): its "e >= 0, a + c < 1" would blame the data's shape.
        raise MeasureError(
            "the shares describe perfect equality (every group's income share "
            "is its population share, Gini 0): there is no Lorenz curve to fit"
        )
    design = np.column_stack((p * p - lz, lz * (p - 1.0), p - lz))
    coef, *_ = np.linalg.lstsq(design, lz * (1.0 - lz), rcond=None)
    a, b, c = (float(v) for v in coef)
    e = -(a + b + c + 1.0)
    m = b * b - 4.0 * a
    n = 2.0 * b * e - 4.0 * c
    reasons = []
    if not e < 0:
        reasons.append(f"e = {e:.6g} must be < 0 (L(0) = 0)")
    # Within _TOL as the other checks: the exact curve of a Pareto of coefficient
    # 2 (a = b = 0, c = 1) fitted to its decile shares gave a + c = 1 - 1e-16,
    # and L(1) = a + c misses 1 by that much only.
    if not a + c >= 1.0 - _TOL:
        reasons.append(f"a + c = {a + c!r} must be >= 1 (L(1) = 1)")
    if not n * n - 4.0 * m * e * e >= 0:
        reasons.append("n² - 4me² must be >= 0 (convexity)")
    if e < 0 and not -0.5 * b + n / (4.0 * e) >= -_TOL:
        reasons.append("L'(0) must be >= 0")
    if m > 0 and 0.0 < -n / (2.0 * m) < 1.0:
        reasons.append("m p² + n p + e² must stay positive on [0, 1]")
    if reasons:
        raise MeasureError(
            "the fitted general quadratic curve is not a valid Lorenz curve: "
            + "; ".join(reasons)
            + "; try fit_beta_lorenz"
        )
    probe = GQLorenz(mean=mu, gini=math.nan, sse=math.nan, a=a, b=b, c=c)
    _check_grid(probe, "general quadratic")
    sse = float(np.sum((probe.lorenz(p) - lz) ** 2))
    return GQLorenz(mean=mu, gini=_gq_gini(a, b, c), sse=sse, a=a, b=b, c=c)


@aligned
def fit_beta_lorenz(
    shares: npt.ArrayLike,
    mean: float | None = None,
    *,
    population_shares: npt.ArrayLike | None = None,
) -> BetaLorenz:
    r"""Fit the Beta (Kakwani) Lorenz curve to grouped shares.

    Parameters
    ----------
    shares : array_like of float, shape (k,)
        Income shares of ``k >= 4`` population groups, poorest first, as
        fractions summing to 1 (e.g. published quintile or decile shares;
        rounding up to 0.02 is absorbed by renormalising).
    mean : float, optional
        Mean income (yuan), needed only by ``quantile`` and ``sample``.
    population_shares : array_like of float, shape (k,), optional
        Population share of each group; equal groups by default. A sum within
        0.02 of 1 is renormalised, as the shares are.

    Returns
    -------
    BetaLorenz
        Parameters ``theta, gamma, delta``, ``gini``, ``sse``, and methods
        ``lorenz(p)``, ``quantile(p)`` and ``sample(n, seed)``.

    Raises
    ------
    MeasureError
        On invalid shares, or if the fitted curve is not a valid Lorenz curve
        (``θ, γ, δ > 0``, ``L'(0.001) >= 0``, ``L'' >= 0`` and
        ``0 <= L(p) <= p`` on a grid of (0.001, 0.999), PovcalNet's checks).

    Notes
    -----
    :math:`L(p) = p - \theta p^\gamma (1-p)^\delta` is fitted by OLS of
    :math:`\ln(p - L) = \ln\theta + \gamma \ln p + \delta \ln(1-p)` on the
    interior points. The quantile is :math:`\mu L'(p)` and the Gini
    :math:`2\theta B(1+\gamma, 1+\delta)` (the integral
    :math:`1 - 2\int_0^1 L` in closed form; Datt 1998, table 2).

    References
    ----------
    .. [1] Kakwani, N. C. (1980). "On a class of poverty measures."
       *Econometrica* 48(2), 437-446.
    .. [2] Datt, G. (1998). "Computational tools for poverty measurement and
       analysis." FCND Discussion Paper 50, IFPRI.

    Examples
    --------
    >>> from commonprosperity.metrics import fit_beta_lorenz
    >>> shares = [0.0616, 0.1086, 0.1574, 0.2287, 0.4437]  # lognormal, sigma = 0.7
    >>> fit = fit_beta_lorenz(shares)
    >>> round(fit.gini, 2)
    0.38
    """
    p, lz = _cumulative_points(shares, population_shares)
    mu = _as_mean(mean)
    gap = p - lz
    if np.any(gap <= 0):
        raise MeasureError(
            "the Beta Lorenz curve needs every cumulative income share strictly "
            "below its population share; the shares describe perfect equality "
            "over some groups"
        )
    design = np.column_stack((np.ones_like(p), np.log(p), np.log1p(-p)))
    coef, *_ = np.linalg.lstsq(design, np.log(gap), rcond=None)
    theta, gamma, delta = math.exp(coef[0]), float(coef[1]), float(coef[2])
    reasons = []
    if not (gamma > 0 and delta > 0):
        reasons.append(f"gamma = {gamma:.6g} and delta = {delta:.6g} must be > 0")
    probe = BetaLorenz(
        mean=mu, gini=math.nan, sse=math.nan, theta=theta, gamma=gamma, delta=delta
    )
    if not reasons:
        with np.errstate(under="ignore"):
            if not probe._slope(np.array([0.001]))[0] >= -_TOL:
                reasons.append("L'(0.001) must be >= 0")
            concave = probe._curvature(_CHECK_GRID) < -_TOL
            if concave.any():
                where = _CHECK_GRID[concave]
                reasons.append(
                    f"L''(p) must be >= 0 on (0, 1); it is negative for p in "
                    f"[{where.min():.3g}, {where.max():.3g}] (theta = "
                    f"{theta:.6g}, gamma = {gamma:.6g}, delta = {delta:.6g}"
                    + ("; gamma > 1 makes it so near 0)" if gamma > 1 else ")")
                )
    if reasons:
        raise MeasureError(
            "the fitted Beta curve is not a valid Lorenz curve: "
            + "; ".join(reasons)
            + "; try fit_gq_lorenz"
        )
    _check_grid(probe, "Beta")
    sse = float(np.sum((probe.lorenz(p) - lz) ** 2))
    from scipy import special

    gini = 2.0 * theta * float(special.beta(1.0 + gamma, 1.0 + delta))
    return BetaLorenz(
        mean=mu, gini=gini, sse=sse, theta=theta, gamma=gamma, delta=delta
    )
