import numpy as np
import pytest
from scipy.stats import norm

import commonprosperity as cp
from commonprosperity import Population, Scenario, simulate
from commonprosperity.tables import decile_of
from commonprosperity.uncertainty import bootstrap
from tests.conftest import HAND_POLICY


@pytest.fixture(scope="module")
def results():
    pop = cp.synthetic_population(6_000, seed=11)
    base = Scenario.status_quo(2021)
    reform = base.replace(
        {"transfers.dibao_monthly": 1_500, "income_tax.rates[1]": 0.12}
    )
    return simulate(pop, base), simulate(pop, reform)


def test_deciles_add_up(results):
    r, _ = results
    d = r.deciles()
    assert list(d.index) == list(range(1, 11))
    np.testing.assert_allclose(
        d["gross"] - d["contributions"] - d["taxes"] + d["transfers"],
        d["disposable_income"],
        rtol=1e-12,
    )
    # population shares: households are not split, so close to but not exactly 0.1
    np.testing.assert_allclose(d["population_share"], 0.1, atol=0.01)
    # person-weighted mean of the decile means is the per-capita income
    pc = np.dot(d["population_share"], d["disposable_income"])
    assert pc == pytest.approx(r.indicators["per_capita_disposable_income"], rel=1e-12)
    assert (
        d["min_per_capita"].to_numpy()[1:] >= d["max_per_capita"].to_numpy()[:-1]
    ).all()


def test_decile_of_by_hand():
    """weights 1,1,1,1 → cumulative midpoints .125 .375 .625 .875 → deciles 2,4,7,9."""
    groups = decile_of(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4))
    assert groups.tolist() == [2, 4, 7, 9]


def test_winners_losers(results):
    r, reform = results
    wl = r.winners_losers(reform)
    np.testing.assert_allclose(
        wl[["gain_share", "lose_share", "no_change_share"]].sum(axis=1), 1
    )
    before = r.households["disposable_income"].to_numpy()
    after = reform.households["disposable_income"].to_numpy()
    rel = (after - before) / np.where(before != 0, np.abs(before), 1)
    pw = r.population.weight * r.population.size
    assert wl.loc["all", "lose_share"] == pytest.approx(
        pw[rel < -0.01].sum() / pw.sum()
    )
    assert wl.loc["all", "gain_share"] == pytest.approx(pw[rel > 0.01].sum() / pw.sum())
    assert {"urban", "rural", "decile 1", "decile 10", "city Hangzhou"} <= set(wl.index)


def test_winners_losers_needs_same_population(results):
    r, _ = results
    other = simulate(cp.synthetic_population(100, seed=1), Scenario.status_quo(2021))
    with pytest.raises(cp.CommonProsperityError, match="same population"):
        r.winners_losers(other)


def test_by_group_urban_matches_the_area_indicators(results):
    r, _ = results
    g = r.by_group("urban")
    assert g.loc[True, "per_capita_disposable_income"] == pytest.approx(
        r.indicators["urban_per_capita_disposable_income"], rel=1e-12
    )
    assert g.loc[False, "per_capita_disposable_income"] == pytest.approx(
        r.indicators["rural_per_capita_disposable_income"], rel=1e-12
    )
    assert g["households"].sum() == pytest.approx(r.population.households_represented)
    two = r.by_group("city", "urban")
    assert two.index.nlevels == 2


def test_decompose_between_plus_within():
    rng = np.random.default_rng(3)
    income = rng.lognormal(10, 0.6, 500)
    pop = _single_person_population(income)
    pop = Population.from_arrays(
        {
            "household_id": np.arange(500),
            "weight": rng.uniform(1, 3, 500),
            "urban": rng.random(500) < 0.6,
            "city": np.array(cp.published.CITIES, dtype=object)[
                rng.integers(0, 11, 500)
            ],
        },
        {
            "household_id": np.arange(500),
            "age": np.full(500, 40),
            "employed": np.zeros(500, bool),
            "wage": income,
            "business": np.zeros(500),
            "property": np.zeros(500),
            "pension": np.zeros(500),
        },
    )
    r = simulate(pop, _no_policy())
    for measure in ("theil", "mld"):
        d = r.decompose(measure, by="city")
        assert d.between + d.within == pytest.approx(d.total, abs=1e-12)
        direct = cp.metrics.decompose(income, pop.weight, pop.city, measure=measure)
        assert d.total == pytest.approx(direct.total, rel=1e-12)


def test_decompose_rejects_non_positive_incomes_on_request(results):
    r, _ = results
    pc = r.households["disposable_income"] / r.households["size"]
    assert (pc <= 0).any()  # the synthetic population has business losses
    with pytest.raises(cp.MeasureError, match="non-positive"):
        r.decompose("theil", by="city", nonpositive="raise")
    with pytest.raises(cp.MeasureError, match="nonpositive must be"):
        r.decompose("theil", by="city", nonpositive="drop")


@pytest.mark.parametrize("by", ["city", "urban"])
def test_decompose_leaves_out_non_positive_incomes_with_a_warning(results, by):
    """Theil and MLD of the persons with per-capita income > 0, from the definitions."""
    r, _ = results
    hh = r.households
    pc = (hh["disposable_income"] / hh["size"]).to_numpy()
    pw = r.population.weight * r.population.size
    label = r.population.city if by == "city" else r.population.urban
    bad = pc <= 0
    with pytest.warns(UserWarning, match=rf"left out {int(bad.sum())} row"):
        theil = r.decompose("theil", by=by)
    with pytest.warns(UserWarning, match="income <= 0"):
        mld = r.decompose("mld", by=by)
    x, w, g = pc[~bad], pw[~bad], np.asarray(label)[~bad]
    mu = np.sum(w * x) / w.sum()
    assert theil.total == pytest.approx(np.sum(w * x / mu * np.log(x / mu)) / w.sum())
    assert mld.total == pytest.approx(np.sum(w * np.log(mu / x)) / w.sum())
    between_t = between_l = 0.0
    for value in np.unique(g):
        m = g == value
        mu_g = np.sum(w[m] * x[m]) / w[m].sum()
        between_t += np.sum(w[m] * x[m]) / np.sum(w * x) * np.log(mu_g / mu)
        between_l += w[m].sum() / w.sum() * np.log(mu / mu_g)
        key = value if by == "city" else ("urban" if value else "rural")
        left_out = pw[(np.asarray(label) == value) & bad].sum()
        all_of = pw[np.asarray(label) == value].sum()
        assert theil.groups.loc[key, "excluded_share"] == pytest.approx(
            left_out / all_of
        )
    assert theil.between == pytest.approx(between_t, rel=1e-10)
    assert mld.between == pytest.approx(between_l, rel=1e-10)
    assert theil.groups["excluded_share"].max() > 0


def test_poverty_lines(results):
    r, _ = results
    p = r.poverty()
    pc = (r.households["disposable_income"] / r.households["size"]).to_numpy()
    pw = r.population.weight * r.population.size
    order = np.argsort(pc, kind="stable")
    cum = np.cumsum(pw[order])
    median = pc[order][np.searchsorted(cum, cum[-1] / 2)]
    line = 0.5 * median
    assert p.loc["50% median", "line"] == pytest.approx(line)
    assert p.loc["50% median", "headcount"] == pytest.approx(
        pw[pc < line].sum() / pw.sum()
    )
    gap = np.sum(pw * np.where(pc < line, (line - pc) / line, 0)) / pw.sum()
    assert p.loc["50% median", "poverty_gap"] == pytest.approx(gap)
    assert p.loc["dibao", "line"] == 12 * r.scenario.transfers.dibao_monthly


def _no_policy():
    s = Scenario.from_dict(HAND_POLICY)
    return s.replace(
        {
            f"social_insurance.{k}": 0.0
            for k in (
                "pension_rate",
                "medical_rate",
                "unemployment_rate",
                "housing_fund_rate",
            )
        }
        | {
            "income_tax.rates": [0.0] * 7,
            "income_tax.business_rates": [0.0] * 5,
            "income_tax.property_rate": 0.0,
            "transfers.dibao_monthly": 0.0,
            "transfers.residents_pension_monthly": 0.0,
            "wages.minimum_wage_monthly_tier1": 0.0,
            "wages.minimum_wage_monthly_tier2": 0.0,
            "wages.minimum_wage_monthly_tier3": 0.0,
        }
    )


def _single_person_population(income, strata=None, psu=None):
    n = income.size
    hh = {"household_id": np.arange(n), "weight": np.ones(n), "urban": np.ones(n, bool)}
    if strata is not None:
        hh["stratum"] = strata
    if psu is not None:
        hh["psu"] = psu
    persons = {
        "household_id": np.arange(n),
        "age": np.full(n, 40),
        "employed": np.zeros(n, bool),
        "wage": income,
        "business": np.zeros(n),
        "property": np.zeros(n),
        "pension": np.zeros(n),
    }
    return Population.from_arrays(hh, persons)


def test_bootstrap_covers_the_true_gini_at_about_the_nominal_rate():
    """Lognormal(σ = 0.7) has G = 2Φ(σ/√2) − 1 = 0.3794. 120 samples of 400 households,
    200 replicates each: a 90 % percentile interval should cover about 90 % of the time
    (binomial sd ≈ 2.7 points; the percentile bootstrap under-covers slightly
    at n = 400)."""
    sigma = 0.7
    true = 2 * norm.cdf(sigma / np.sqrt(2)) - 1
    scenario = _no_policy()
    rng = np.random.default_rng(20240601)
    hits = 0
    trials = 120
    for t in range(trials):
        income = rng.lognormal(10, sigma, 400)
        r = simulate(_single_person_population(income), scenario)
        assert r.indicators["gini"] == pytest.approx(cp.metrics.gini(income), rel=1e-12)
        b = bootstrap(r, "gini", n=200, seed=t, level=0.90)
        hits += b.ci_lower <= true <= b.ci_upper
    assert 0.80 <= hits / trials <= 0.97


def test_bootstrap_is_seeded_and_clusters_widen_the_interval():
    rng = np.random.default_rng(5)
    cluster_effect = np.repeat(rng.lognormal(0, 0.6, 50), 20)
    income = cluster_effect * rng.lognormal(10, 0.2, 1000)
    psu = np.repeat(np.arange(50), 20)
    pop = _single_person_population(income, strata=np.zeros(1000, int), psu=psu)
    r = simulate(pop, _no_policy())
    a = bootstrap(r, "per_capita_disposable_income", n=300, seed=1)
    b = bootstrap(r, "per_capita_disposable_income", n=300, seed=1)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    srs = bootstrap(
        r, "per_capita_disposable_income", n=300, seed=1, psu=np.arange(1000)
    )
    assert a.std_error > 1.5 * srs.std_error


def test_bootstrap_warns_when_the_indicator_is_undefined_in_replicates():
    """One rural household in 20: a draw misses it with probability
    (19/20)^20 = 0.36, and the urban/rural ratio is then undefined."""
    income = np.random.default_rng(2).lognormal(10, 0.5, 20)
    pop = _single_person_population(income)
    urban = np.ones(20, bool)
    urban[0] = False
    hh, persons = pop.to_frames()
    hh["urban"] = urban
    pop = Population.from_frames(hh, persons)
    r = simulate(pop, _no_policy())
    with pytest.warns(UserWarning, match=r"undefined in \d+ of 200 replicates"):
        b = bootstrap(r, "urban_rural_ratio", n=200, seed=4)
    finite = b.replicates[np.isfinite(b.replicates)]
    assert 0.25 * 200 < 200 - finite.size < 0.5 * 200
    assert b.ci_lower == pytest.approx(np.quantile(finite, 0.025), rel=1e-12)
    assert b.std_error == pytest.approx(np.std(finite, ddof=1), rel=1e-12)


def test_bootstrap_ratio_is_undefined_where_simulate_says_so():
    """The only rural household has a negative income: simulate leaves the
    urban/rural ratio undefined, and so does every replicate (not a negative ratio)."""
    income = np.random.default_rng(3).lognormal(10, 0.5, 20)
    income[0] = 0.0
    hh, persons = _single_person_population(income).to_frames()
    hh["urban"] = np.arange(20) > 0
    persons.loc[0, "business"] = -5_000.0  # a loss, and no dibao in _no_policy
    r = simulate(Population.from_frames(hh, persons), _no_policy())
    assert np.isnan(r.indicators["urban_rural_ratio"])
    with pytest.warns(UserWarning, match="undefined in the sample"):
        b = bootstrap(r, "urban_rural_ratio", n=50, seed=1)
    assert np.isnan(b.replicates).all()


def test_bootstrap_ratio_is_undefined_when_urban_income_is_negative():
    """The only urban household has a large business loss: simulate leaves the
    urban/rural ratio undefined (a ratio of -4.9 read as T4 met), so does every
    replicate that draws it, rather than a negative ratio."""
    income = np.random.default_rng(6).lognormal(10, 0.5, 20)
    income[0] = 0.0
    hh, persons = _single_person_population(income).to_frames()
    hh["urban"] = np.arange(20) == 0
    persons.loc[0, "business"] = -5e6
    r = simulate(Population.from_frames(hh, persons), _no_policy())
    assert np.isnan(r.indicators["urban_rural_ratio"])
    with pytest.warns(UserWarning, match="undefined in"):
        b = bootstrap(r, "urban_rural_ratio", n=50, seed=1)
    assert not (b.replicates < 0).any()
    assert np.isnan(b.replicates).all()


def test_bootstrap_errors(results):
    r, _ = results
    with pytest.raises(cp.CommonProsperityError, match="unknown indicator"):
        bootstrap(r, "ginny")
    with pytest.raises(cp.CommonProsperityError, match="scenario="):
        bootstrap(r.population, "gini")
    with pytest.raises(cp.CommonProsperityError, match="psu"):
        bootstrap(r, "gini", psu=np.arange(3))


def test_bootstrap_indicator_functions_equal_simulate_at_the_design_weights(results):
    """Each replicate re-reads an indicator from fixed household outcomes; at the
    original weights that must reproduce the simulated indicator."""
    from commonprosperity.simulate import INDICATOR_NAMES
    from commonprosperity.uncertainty import _indicator_function

    r, _ = results
    nh = r.population.n_households
    for name in INDICATOR_NAMES:
        # Each household its own PSU, every multiplier 1: the design weights.
        value = _indicator_function(r, name, np.arange(nh))(np.ones(nh))
        assert value == pytest.approx(r.indicators[name], rel=1e-12), name
