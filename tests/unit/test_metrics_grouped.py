"""Grouped-data Lorenz curves (GQ and Beta): recovery, closed forms, sampling, errors.

Reference curves are written out here from their definitions (lognormal
L(p) = Φ(Φ⁻¹(p) − σ), Pareto L(p) = 1 − (1 − p)^(1 − 1/α), the GQ and Beta forms)
and integrated with scipy.integrate.quad, independently of the library.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from commonprosperity import metrics as m
from commonprosperity.errors import MeasureError


@pytest.fixture(autouse=True)
def _strict_floating_point():
    with np.errstate(all="raise"):
        yield


def gq_curve(a, b, c):
    e = -(a + b + c + 1)
    mm = b * b - 4 * a
    n = 2 * b * e - 4 * c
    return lambda p: (
        -0.5 * (b * p + e + np.sqrt(np.maximum(mm * p * p + n * p + e * e, 0)))
    )


def is_lorenz(curve):
    grid = np.linspace(0, 1, 4001)
    lz = curve(grid)
    d = np.diff(lz)
    return (
        abs(lz[0]) < 1e-12
        and abs(lz[-1] - 1) < 1e-12
        and (d >= 0).all()
        and (np.diff(d) >= -1e-12).all()
        and (lz <= grid + 1e-12).all()
    )


def shares_of(curve, k=10):
    p = np.linspace(0, 1, k + 1)
    return np.diff(curve(p))


def gini_of(curve):
    return 1 - 2 * integrate.quad(curve, 0, 1, epsabs=1e-14, epsrel=1e-12, limit=200)[0]


def lognormal_curve(sigma):
    def curve(p):
        p = np.asarray(p, dtype=float)
        with np.errstate(all="ignore"):
            return np.where(
                p <= 0, 0.0, np.where(p >= 1, 1.0, norm.cdf(norm.ppf(p) - sigma))
            )

    return curve


GQ_CASES = [(1.455, -1.381, 0.041), (0.525, 1.88, 0.913), (1.229, 2.337, 0.934)]


@pytest.mark.parametrize(("a", "b", "c"), GQ_CASES)
def test_gq_exact_recovery_and_closed_form_gini(a, b, c):
    curve = gq_curve(a, b, c)
    assert is_lorenz(curve)
    fit = m.fit_gq_lorenz(shares_of(curve, 10))
    assert (fit.a, fit.b, fit.c) == pytest.approx((a, b, c), rel=1e-9, abs=1e-9)
    assert fit.sse < 1e-20
    assert fit.gini == pytest.approx(gini_of(curve), abs=1e-9)  # m < 0 and m > 0 cases
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(fit.lorenz(p), curve(p), atol=1e-9)


def test_gq_cases_cover_both_closed_forms():
    signs = {np.sign(b * b - 4 * a) for a, b, _ in GQ_CASES}
    assert signs == {-1.0, 1.0}


@pytest.mark.parametrize("sigma", [0.5, 0.7, 1.0])
@pytest.mark.parametrize("k", [5, 10])
def test_lognormal_recovered_by_best_fitting_family(sigma, k):
    """The best valid family (least SSE) gives the Gini 2Φ(σ/√2) − 1 to 0.01."""
    shares = shares_of(lognormal_curve(sigma), k)
    fits = []
    for fit_fn in (m.fit_gq_lorenz, m.fit_beta_lorenz):
        with contextlib.suppress(MeasureError):
            fits.append(fit_fn(shares))
    best = min(fits, key=lambda f: f.sse)
    assert best.gini == pytest.approx(2 * norm.cdf(sigma / np.sqrt(2)) - 1, abs=0.01)


def test_pareto_recovered_by_gq():
    alpha = 2.5  # G = 1 / (2α − 1) = 0.25
    fit = m.fit_gq_lorenz(shares_of(lambda p: 1 - (1 - p) ** (1 - 1 / alpha), 10))
    assert fit.gini == pytest.approx(0.25, abs=0.01)


def test_beta_gini_is_the_integral_of_its_curve():
    fit = m.fit_beta_lorenz(shares_of(lognormal_curve(0.6), 10))
    assert fit.theta > 0 and fit.gamma > 0 and fit.delta > 0

    def curve(p):
        return p - fit.theta * p**fit.gamma * (1 - p) ** fit.delta

    assert fit.gini == pytest.approx(gini_of(curve), abs=1e-9)
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(fit.lorenz(p), curve(p), atol=1e-15)


def test_beta_exact_recovery():
    theta, gamma, delta = 0.7, 0.98, 0.55

    def curve(p):
        return p - theta * p**gamma * (1 - p) ** delta

    fit = m.fit_beta_lorenz(shares_of(curve, 10))
    assert (fit.theta, fit.gamma, fit.delta) == pytest.approx(
        (theta, gamma, delta), rel=1e-9
    )


def test_unequal_population_groups():
    pop = np.array([0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1])
    p = np.concatenate([[0.0], np.cumsum(pop)])
    curve = gq_curve(*GQ_CASES[0])
    fit = m.fit_gq_lorenz(np.diff(curve(p)), population_shares=pop)
    assert fit.a == pytest.approx(GQ_CASES[0][0], rel=1e-9)


def test_quantile_is_mean_times_slope_and_sample_reproduces_mean_and_gini():
    fit = m.fit_gq_lorenz(shares_of(lognormal_curve(0.7), 10), mean=50_000.0)
    p = np.array([0.1, 0.5, 0.9])
    h = 1e-6
    slope = (fit.lorenz(p + h) - fit.lorenz(p - h)) / (2 * h)
    np.testing.assert_allclose(fit.quantile(p), 50_000.0 * slope, rtol=1e-6)
    assert (np.diff(fit.quantile(np.linspace(0.01, 0.99, 99))) >= 0).all()
    x = fit.sample(200_000, seed=11)
    np.testing.assert_array_equal(x, fit.sample(200_000, seed=11))
    # SE of the mean: sd/√n ≈ 0.8 × 50,000 / 447 ≈ 90 yuan; allow 5 SE
    assert x.mean() == pytest.approx(50_000.0, abs=450)
    # SE of a sample Gini at n = 2e5 is about 1e-3; allow 0.005
    assert m.gini(x) == pytest.approx(fit.gini, abs=0.005)


def test_fits_are_frozen_and_quantile_needs_the_mean():
    fit = m.fit_gq_lorenz(shares_of(lognormal_curve(0.7), 5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.a = 2.0  # type: ignore[misc]
    with pytest.raises(MeasureError, match="pass mean="):
        fit.quantile(0.5)
    with pytest.raises(MeasureError, match="n must be an integer >= 0"):
        m.fit_gq_lorenz(shares_of(lognormal_curve(0.7), 5), mean=1.0).sample(-1, seed=0)


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (
            [6.2, 10.9, 15.7, 22.9, 44.3],
            r"shares must sum to 1 \(these look like percentages: give fractions",
        ),
        ([0.2, 0.3, 0.5], "at least 4 groups"),
        ([0.3, -0.1, 0.2, 0.6], "shares must be >= 0"),
        ([0.45, 0.25, 0.15, 0.10, 0.05], "ordered poorest first"),
        ([0.1, np.nan, 0.3, 0.6], r"shares must be finite"),
    ],
)
def test_invalid_shares(shares, message):
    for fit_fn in (m.fit_gq_lorenz, m.fit_beta_lorenz):
        with pytest.raises(MeasureError, match=message):
            fit_fn(shares)


def test_invalid_fitted_curves_raise():
    # Beta on a lognormal with σ = 1 fits γ > 1: L'' < 0 near p = 0
    with pytest.raises(
        MeasureError, match="fitted Beta curve is not a valid Lorenz curve"
    ):
        m.fit_beta_lorenz(shares_of(lognormal_curve(1.0), 10))
    # GQ on a Pareto(1.5) fits a + c < 1: the curve misses (1, 1)
    with pytest.raises(MeasureError, match=r"a \+ c = .* must be >= 1"):
        m.fit_gq_lorenz(shares_of(lambda p: 1 - (1 - p) ** (1 / 3), 10))
    with pytest.raises(MeasureError, match="mean must be in"):
        m.fit_gq_lorenz(shares_of(lognormal_curve(0.7), 5), mean=-1.0)
