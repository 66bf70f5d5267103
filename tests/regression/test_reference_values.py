"""Closed-form and published reference values for commonprosperity.metrics.

Each test's docstring cites its source. Large-sample tests use seeded
``np.random.default_rng`` draws; their tolerance is 5 standard errors of the
estimate, the standard error being measured on the same sample from 20
independent batches (sd of the batch estimates / √20), plus the O(1/n) bias of
the plug-in estimator. Each test also asserts that this standard error is small,
so a tolerance cannot silently grow.

Reference implementations (microdf, pysal ``inequality``, ineqpy) are compared
on the same data; where their convention differs, the relationship is tested.
"""

from __future__ import annotations

import math

import microdf
import numpy as np
import pytest
from ineqpy.inequality import atkinson as ineqpy_atkinson
from inequality.theil import Theil, TheilD
from scipy.stats import norm

from commonprosperity import metrics as m

N = 200_000
BATCHES = 20


@pytest.fixture(autouse=True)
def _strict_floating_point():
    with np.errstate(all="raise"):
        yield


def within_5_se(stat, x, expected, max_se):
    """Assert |stat(x) - expected| <= 5 SE + 1/n, with SE from 20 batches."""
    value = stat(x)
    batch = np.array([stat(part) for part in np.array_split(x, BATCHES)])
    se = batch.std(ddof=1) / math.sqrt(BATCHES)
    assert se < max_se, f"standard error {se:.2e} larger than planned {max_se:.0e}"
    assert value == pytest.approx(expected, abs=5 * se + 1 / x.size), (
        value,
        expected,
        se,
    )


# ------------------------------------------------------------------ closed forms
def test_exponential_gini_is_one_half():
    """Exponential distribution: G = 1/2 (Kleiber & Kotz 2003, *Statistical Size
    Distributions in Economics and Actuarial Sciences*, §6.1)."""
    x = np.random.default_rng(101).exponential(30_000.0, N)
    within_5_se(m.gini, x, 0.5, max_se=2e-3)


def test_uniform_gini_is_one_third():
    """Uniform on [0, a]: G = 1/3 (mean difference a/3 over twice the mean a/2)."""
    x = np.random.default_rng(102).uniform(0.0, 80_000.0, N)
    within_5_se(m.gini, x, 1 / 3, max_se=2e-3)


@pytest.mark.parametrize("sigma", [0.5, 0.7, 1.2])
def test_lognormal_gini(sigma):
    """Lognormal(μ, σ): G = 2Φ(σ/√2) − 1 (Aitchison & Brown 1957, *The Lognormal
    Distribution*, §11.4)."""
    x = np.random.default_rng(103).lognormal(10.5, sigma, N)
    within_5_se(m.gini, x, 2 * norm.cdf(sigma / math.sqrt(2)) - 1, max_se=3e-3)


def test_pareto_gini():
    """Pareto(α, x_m): G = 1/(2α − 1) for α > 1 (Kleiber & Kotz 2003, §3.2); α = 3
    so that the variance is finite and the 20-batch standard error is meaningful.
    numpy's ``pareto`` draws the Lomax law: x_m (1 + Lomax) is the classical Pareto."""
    alpha = 3.0
    x = 20_000.0 * (1.0 + np.random.default_rng(104).pareto(alpha, N))
    within_5_se(m.gini, x, 1 / (2 * alpha - 1), max_se=3e-3)


@pytest.mark.parametrize("measure", ["theil", "mld"])
def test_lognormal_theil_and_mld(measure):
    """Lognormal(σ): Theil T = MLD = σ²/2 (Cowell 2011, *Measuring Inequality*,
    3rd ed., table A.2)."""
    sigma = 0.7
    x = np.random.default_rng(105).lognormal(10.5, sigma, N)
    within_5_se(getattr(m, measure), x, sigma**2 / 2, max_se=3e-3)


@pytest.mark.parametrize("epsilon", [0.5, 1.0, 2.0])
def test_lognormal_atkinson(epsilon):
    """Lognormal(σ): A_ε = 1 − exp(−ε σ²/2) (Cowell 2011, table A.2)."""
    sigma = 0.7
    x = np.random.default_rng(106).lognormal(10.5, sigma, N)
    within_5_se(
        lambda v: m.atkinson(v, None, epsilon),
        x,
        1 - math.exp(-epsilon * sigma**2 / 2),
        max_se=3e-3,
    )


def test_exact_small_cases():
    """Definition: [0, 0, 10] has mean difference 40/9 and mean 10/3, so
    G = (40/9) / (2 × 10/3) = 2/3; equal incomes have G = 0."""
    assert m.gini([0.0, 0.0, 10.0]) == pytest.approx(2 / 3, abs=1e-15)
    assert m.gini(np.full(17, 36_000.0), np.arange(1.0, 18.0)) == 0.0
    b = m.gini([0.0, 0.0, 10.0], method="bracket")
    assert b.lower <= 2 / 3 <= b.upper


# ------------------------------------------------------------------ microdf
def weighted_sample(seed, n=2_000):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(10.5, 0.8, n).round(-2)  # rounding creates ties
    w = rng.uniform(0.0, 300.0, n)
    w[rng.random(n) < 0.05] = 0.0
    return x, w


def test_microdf_weighted_gini():
    """microdf (PolicyEngine) ``MicroSeries.gini``: its trapezoid sum
    Σ (C_i W_{i-1} − C_{i-1} W_i) / (C_n W_n) telescopes to the same population
    double sum, so the two agree to rounding (1e-12)."""
    x, w = weighted_sample(201)
    ref = microdf.MicroSeries(x, weights=w).gini()
    assert m.gini(x, w) == pytest.approx(ref, rel=1e-12)


def test_microdf_top_share():
    """microdf ``top_x_pct_share`` splits the row at the cut proportionally, as
    ``top_share`` does."""
    x, w = weighted_sample(202)
    s = microdf.MicroSeries(x, weights=w)
    for p in (0.01, 0.1, 0.5):
        assert m.top_share(x, w, p) == pytest.approx(s.top_x_pct_share(p), rel=1e-10)


def test_microdf_poverty():
    """microdf ``poverty_rate`` is the weighted share with income < threshold
    (FGT α = 0); ``poverty_gap`` and ``squared_poverty_gap`` are unnormalised
    weighted totals: z W P₁ and z² W P₂ for a constant line z."""
    x, w = weighted_sample(203)
    z = 25_000.0
    df = microdf.MicroDataFrame(
        {"income": x, "threshold": np.full(x.size, z)}, weights=w
    )
    W = w.sum()
    assert m.fgt(x, w, z, 0) == pytest.approx(
        df.poverty_rate("income", "threshold"), rel=1e-12
    )
    assert z * W * m.fgt(x, w, z, 1) == pytest.approx(
        df.poverty_gap("income", "threshold"), rel=1e-12
    )
    assert z * z * W * m.fgt(x, w, z, 2) == pytest.approx(
        df.squared_poverty_gap("income", "threshold"), rel=1e-12
    )


# ------------------------------------------------------------------ pysal inequality
def test_pysal_theil_and_decomposition():
    """pysal ``inequality.theil.Theil`` and ``TheilD`` (Rey & Sastré-Gutiérrez 2010,
    unweighted): T = Σ s_i ln(n s_i); between = Σ_g s_g ln(n s_g / n_g). On
    positive incomes (pysal only perturbs zeros) they equal ``theil`` and
    ``decompose(..., measure="theil")`` with equal weights."""
    rng = np.random.default_rng(301)
    x = rng.lognormal(10.0, 0.9, 3_000)
    g = rng.integers(0, 5, x.size)
    assert m.theil(x) == pytest.approx(float(Theil(x).T), rel=1e-12)
    d = m.decompose(x, None, g, "theil")
    ref = TheilD(x, g)
    assert d.between == pytest.approx(float(ref.bg[0]), rel=1e-12)
    assert d.within == pytest.approx(float(ref.wg[0]), rel=1e-11)


# ------------------------------------------------------------------ ineqpy
@pytest.mark.parametrize("epsilon", [0.25, 0.5, 2.0, 3.0])
def test_ineqpy_atkinson(epsilon):
    """ineqpy 0.4 ``atkinson``: 1 − (Σ f_i (x_i/μ)^(1−ε))^(1/(1−ε)), weighted."""
    x, w = weighted_sample(401)
    w = w + 1.0  # ineqpy has no notion of zero weights
    ref = ineqpy_atkinson(x, w, e=epsilon)
    assert m.atkinson(x, w, epsilon) == pytest.approx(ref, rel=1e-10)


def test_ineqpy_atkinson_epsilon_one_relationship():
    """ineqpy 0.4 ``atkinson(e=1)`` computes 1 − exp(Σ_i (f_i ln x_i − ln μ)),
    subtracting ln μ once per row: 1 − A_ineqpy = (1 − A) μ^(1−n), where
    A = 1 − geometric mean / μ is the textbook index returned here."""
    rng = np.random.default_rng(402)
    x = rng.lognormal(0.0, 0.5, 8)
    w = rng.uniform(0.5, 2.0, 8)
    mu = np.sum(w * x) / w.sum()
    ours = m.atkinson(x, w, 1.0)
    ref = ineqpy_atkinson(x, w, e=1)
    assert 1 - ref == pytest.approx((1 - ours) * mu ** (1 - x.size), rel=1e-12)
    geometric = np.exp(np.sum(w * np.log(x)) / w.sum())
    assert ours == pytest.approx(1 - geometric / mu, rel=1e-12)
