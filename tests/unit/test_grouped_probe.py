"""Probe of the grouped-data Lorenz fits, the source decomposition and the bootstrap.

Expected values are derived independently of the library: Lorenz curves written
out from their definitions and integrated with scipy.integrate.quad, small
decompositions by hand, bootstrap replicates rebuilt from the documented scheme.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from commonprosperity import Population, Scenario, simulate, synthetic_population
from commonprosperity import metrics as m
from commonprosperity.errors import CommonProsperityError, MeasureError
from commonprosperity.uncertainty import bootstrap
from tests.unit.test_metrics_grouped import gq_curve
from tests.unit.test_tables import _no_policy, _single_person_population


def gini_by_quad(curve):
    return 1 - 2 * integrate.quad(curve, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=200)[0]


def deciles(curve):
    return np.diff(curve(np.linspace(0, 1, 11)))


# --------------------------------------------------------------- GQ Gini


@pytest.mark.parametrize("m_value", [-1e-8, 1e-7, -1e-5, 2e-3])
def test_gq_gini_is_the_integral_of_the_curve_when_m_is_near_zero(m_value):
    """Datt's closed form is a difference of two O(1/m) terms: for m = -1e-8 it
    gave a Gini of 749 for a valid curve whose Gini is 0.4545 (b = 1, c = 0.9,
    a = (b² - m)/4)."""
    b, c = 1.0, 0.9
    a = (b * b - m_value) / 4
    curve = gq_curve(a, b, c)
    fit = m.fit_gq_lorenz(deciles(curve))
    assert fit.m == pytest.approx(m_value, rel=1e-3)
    assert fit.gini == pytest.approx(
        gini_by_quad(gq_curve(fit.a, fit.b, fit.c)), abs=1e-12
    )
    assert fit.gini == pytest.approx(gini_by_quad(curve), abs=1e-9)


def test_gq_fit_of_a_curve_through_one_with_infinite_slope():
    """a + c = 1 (g(1) = 0, a Pareto-like top): the arcsine argument (2m + n)/r is 1
    up to rounding, and the fit died with 'math domain error'."""
    a, b, c = 0.9951873915354021, -1.4983621094189874, 0.004812608464597856
    curve = gq_curve(a, b, c)
    fit = m.fit_gq_lorenz(deciles(curve))
    assert fit.gini == pytest.approx(
        gini_by_quad(gq_curve(fit.a, fit.b, fit.c)), abs=1e-12
    )
    assert fit.gini == pytest.approx(gini_by_quad(curve), abs=1e-7)


# --------------------------------------------------------------- Beta quantile


def test_beta_quantile_at_the_top_is_the_largest():
    """L'(p) → ∞ as p → 1 when δ < 1: quantile(1) is +inf, not 0 (0 * inf = nan
    in the product form was read as a zero slope)."""
    fit = m.fit_beta_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437], mean=50_000.0)
    assert fit.delta < 1
    q = fit.quantile(np.linspace(0.0, 1.0, 1001))
    assert (np.diff(q) >= 0).all()
    assert q[-1] == np.inf


# --------------------------------------------------------------- hostile shares


def test_unsorted_shares_are_rejected():
    """Groups 6 and 7 swapped (0.1003 before 0.0987): both families used to fit it."""
    shares = [0.034, 0.0491, 0.0598, 0.07, 0.0807, 0.1003, 0.0987, 0.1248, 0.1525]
    shares = [*shares, 1.0 - sum(shares)]
    for fit_fn in (m.fit_gq_lorenz, m.fit_beta_lorenz):
        with pytest.raises(MeasureError, match=r"ordered poorest first.*group \[6\]"):
            fit_fn(shares)
    # unequal groups: the group means (share / population share) are what count,
    # so a curve's shares of groups of 10 % and 20 % (not ascending) still fit
    pop = np.array([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1])
    shares = np.diff(gq_curve(1.455, -1.381, 0.041)(np.r_[0.0, np.cumsum(pop)]))
    assert (np.diff(shares) < 0).any()
    assert m.fit_gq_lorenz(shares, population_shares=pop).a == pytest.approx(1.455)


def test_error_messages_name_the_bad_value():
    with pytest.raises(
        MeasureError, match=r"shares must be >= 0.*got -0\.1 at index \[1\]"
    ):
        m.fit_gq_lorenz([0.3, -0.1, 0.2, 0.6])
    with pytest.raises(
        MeasureError, match=r"population_shares must be > 0.*index \[2\]"
    ):
        m.fit_gq_lorenz([0.1, 0.2, 0.3, 0.4], population_shares=[0.5, 0.5, 0, 0])
    with pytest.raises(
        MeasureError,
        match=r"population_shares must sum to 1 \(these look like percentages.*"
        r"got sum 80",
    ):
        m.fit_gq_lorenz([0.1, 0.2, 0.3, 0.4], population_shares=[20] * 4)


# --------------------------------------------------------------- gini_by_source


def test_gini_by_source_when_the_total_exceeds_the_float_range():
    """Totals [2e308, 1, 1] (each source finite): G = 4X / (2·9·X/3) = 2/3; by
    symmetry each source contributes S_k C_k = 1/2 · 2/3 = 1/3. It raised
    'positive weighted mean ... got mean nan'."""
    df = m.gini_by_source({"a": [1e308, 0.0, 1.0], "b": [1e308, 1.0, 0.0]})
    assert df.attrs["gini"] == pytest.approx(2 / 3, rel=1e-12)
    np.testing.assert_allclose(df["contribution"], [1 / 3, 1 / 3], rtol=1e-12)


# --------------------------------------------------------------- bootstrap


def test_bootstrap_gini_is_undefined_where_the_replicate_mean_is_not_positive():
    """Ten households at 10,000 and ten at -9,500: a draw with eleven or more losses
    has a negative per-capita income, where simulate leaves the Gini undefined; the
    replicates were negative numbers (down to -6.7) that entered the interval."""
    inc = np.where(np.arange(20) < 10, 10_000.0, 0.0)
    hh, persons = _single_person_population(inc).to_frames()
    persons.loc[10:, "business"] = -9_500.0
    r = simulate(Population.from_frames(hh, persons), _no_policy())
    with pytest.warns(UserWarning, match="undefined"):
        g = bootstrap(r, "gini", n=200, seed=1)
    mean = bootstrap(r, "per_capita_disposable_income", n=200, seed=1)
    np.testing.assert_array_equal(np.isnan(g.replicates), mean.replicates <= 0)
    assert 0 < np.isnan(g.replicates).sum() < 200
    assert (g.replicates[np.isfinite(g.replicates)] >= 0).all()
    assert g.ci_lower >= 0


def _replicate_weights(strata, psu, g, rescaled):
    """One replicate's weights by the documented scheme, written out longhand:
    strata and their PSUs in the order of their codes; n_h - 1 draws per stratum
    scaled by n_h / (n_h - 1) (rescaled) or n_h draws (naive); the draws of all
    strata from one call ``g.integers(0, sizes)`` in stratum order."""
    groups = []
    for s in sorted(set(strata)):
        rows = np.flatnonzero(strata == s)
        groups.append((rows, sorted(set(psu[rows]))))
    n_draws = [len(k) - 1 if rescaled else len(k) for _, k in groups]
    sizes = np.repeat([len(k) for _, k in groups], n_draws)
    drawn = iter(g.integers(0, sizes))
    weight = np.zeros(len(strata))
    for (rows, labels), m_h in zip(groups, n_draws, strict=True):
        for _ in range(m_h):
            chosen = rows[psu[rows] == labels[next(drawn)]]
            weight[chosen] += len(labels) / m_h if rescaled else 1.0
    return weight


@pytest.mark.parametrize("method", ["naive", "rescaled"])
def test_bootstrap_replicate_is_the_gini_of_the_resampled_population(method):
    rng = np.random.default_rng(4)
    income = rng.lognormal(10, 0.6, 150)
    strata = np.array([f"s{k}" for k in rng.integers(0, 4, 150)])
    psu = rng.integers(0, 6, 150)
    r = simulate(_single_person_population(income), _no_policy())
    b = bootstrap(r, "gini", n=10, seed=7, strata=strata, psu=psu, method=method)
    g = np.random.default_rng(7)
    for rep in range(3):
        weight = _replicate_weights(strata, psu, g, method == "rescaled")
        assert b.replicates[rep] == pytest.approx(
            m.gini(income, weight), rel=1e-12, abs=0.0
        )


def test_rescaled_bootstrap_variance_of_a_total_is_the_design_variance():
    """Two PSUs per stratum, the hardest case: the variance of an estimated total
    over replicates is sum_h n_h/(n_h - 1) sum_i (z_hi - zbar_h)^2 (Rao and Wu,
    1988) in expectation; the naive bootstrap gives (n_h - 1)/n_h of it, half."""
    pop = synthetic_population(1_200, seed=3)
    r = simulate(pop, Scenario.status_quo(2023))
    strata = np.arange(1_200) // 20  # 60 strata of 20 households
    psu = (np.arange(1_200) // 10) % 2  # 2 PSUs of 10 in each
    hh = r.households  # iit_revenue counts the three income taxes
    tax = (hh["iit"] + hh["business_tax"] + hh["property_tax"]).to_numpy()
    z = pd.Series(pop.weight * tax)
    z = z.groupby([strata, psu]).sum().unstack()
    # n_h/(n_h - 1) sum_i (z_hi - zbar_h)^2 with n_h = 2 is (z_h1 - z_h2)^2
    design = float(((z[0] - z[1]) ** 2).sum())
    assert design > 0
    reps = 4_000  # the variance's relative sampling error is about 2 %
    kw = {"n": reps, "seed": 5, "strata": strata, "psu": psu}
    rescaled = bootstrap(r, "iit_revenue", **kw)
    naive = bootstrap(r, "iit_revenue", method="naive", **kw)
    assert rescaled.std_error**2 == pytest.approx(design, rel=0.08)
    assert naive.std_error**2 == pytest.approx(design / 2, rel=0.08)


def test_bootstrap_collapses_when_every_psu_is_identical():
    income = np.tile(np.arange(1.0, 11.0) * 10_000.0, 20)
    psu = np.repeat(np.arange(20), 10)
    r = simulate(_single_person_population(income, psu=psu), _no_policy())
    b = bootstrap(r, "gini", n=30, seed=1)
    assert b.estimate == pytest.approx(0.3, rel=1e-12)  # Σ|i-j|/(2·100·5.5) = 330/1100
    assert b.ci_upper - b.ci_lower <= 1e-14
    assert math.isclose(b.std_error, 0.0, abs_tol=1e-14)


# ------------------------------------------------------------ argument checks
_SHARES = [0.0616, 0.1086, 0.1574, 0.2287, 0.4437]


@pytest.mark.parametrize("seed", [-1, 1.5, "a", None, True])
def test_sample_refuses_a_seed_that_is_not_reproducible_or_not_a_seed(seed):
    fit = m.fit_gq_lorenz(_SHARES, mean=50_000)
    with pytest.raises(MeasureError, match="seed must be a non-negative integer"):
        fit.sample(10, seed=seed)
    # A generator is fine: draws continue its stream.
    a = fit.sample(5, seed=np.random.default_rng(3))
    assert np.array_equal(a, fit.sample(5, seed=3))


@pytest.mark.parametrize("p", ["a", [0.5, "x"], [0.2, 1.5], [np.nan]])
def test_quantile_names_a_bad_share(p):
    fit = m.fit_beta_lorenz(_SHARES, mean=50_000)
    with pytest.raises(MeasureError, match=r"p must (be|hold) population shares"):
        fit.quantile(p)


@pytest.mark.parametrize("mean", [True, "50000", b"1"])
def test_mean_must_be_a_number_not_text_or_a_boolean(mean):
    with pytest.raises(MeasureError, match="mean must be a real number"):
        m.fit_gq_lorenz(_SHARES, mean=mean)


@pytest.mark.parametrize("level", ["0.9", True, None, 0.0, 1.0])
def test_bootstrap_level_must_be_a_number_in_the_open_unit_interval(level):
    r = simulate(_single_person_population(np.linspace(1e4, 2e4, 20)), _no_policy())
    with pytest.raises(CommonProsperityError, match="level must be a number in"):
        bootstrap(r, "gini", n=10, seed=1, level=level)
