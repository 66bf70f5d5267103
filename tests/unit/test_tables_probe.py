"""Result tables at their edges: lines, empty groups, bad input, thread invariance.

Expected values are worked out by hand or from ``result.households`` with NumPy,
not from the tables' own helpers.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity import Population, Scenario, simulate
from commonprosperity.uncertainty import bootstrap
from tests.conftest import HAND_POLICY

two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2, reason="Numba started with one thread only"
)


def _population(
    *, age, property=None, business=None, wage=None, weight=None, urban=None
):
    """Single-person households."""
    n = len(age)
    zeros = np.zeros(n)
    return Population.from_arrays(
        {
            "household_id": np.arange(n),
            "weight": np.ones(n) if weight is None else np.asarray(weight, float),
            "urban": np.ones(n, bool) if urban is None else np.asarray(urban, bool),
        },
        {
            "household_id": np.arange(n),
            "age": np.asarray(age),
            "employed": np.zeros(n, bool),
            "wage": zeros if wage is None else np.asarray(wage, float),
            "business": zeros if business is None else np.asarray(business, float),
            "property": zeros if property is None else np.asarray(property, float),
            "pension": zeros,
        },
    )


def _no_policy():
    """No levies and no transfers: disposable income = gross income."""
    s = Scenario.from_dict(HAND_POLICY)
    return s.replace(
        {
            f"social_insurance.{k}": 0.0
            for k in ("pension_rate", "medical_rate", "unemployment_rate")
        }
        | {
            "social_insurance.housing_fund_rate": 0.0,
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


# ------------------------------------------------------------------ poverty
def test_poverty_households_topped_up_to_the_dibao_line_are_not_poor():
    """Full take-up lifts every household with income >= 0 before dibao to the line
    (a 70-year-old's property income and residents' pension are below it), so none
    is below it; disposable / size lands an ulp under the line for some, which used
    to count them poor. One more person, aged 40 with only a business loss of
    5,000 yuan, gets the full line and ends 5,000 below it: headcount 1/201 and
    gap (5,000 / line) / 201."""
    scenario = Scenario.status_quo(2023).replace(
        {"transfers.dibao_take_up": 1.0, "transfers.child_allowance_monthly": 0.0}
    )
    line = 12 * scenario.transfers.dibao_monthly
    prop = np.random.default_rng(0).uniform(0, 8_000, 200)
    pop = _population(
        age=np.r_[np.full(200, 70), 40],
        property=np.r_[prop, 0.0],
        business=np.r_[np.zeros(200), -5_000.0],
    )
    r = simulate(pop, scenario)
    pc = r.households["disposable_income"].to_numpy()
    assert (r.households["dibao"].to_numpy()[:200] > 0).all()
    assert (pc[:200] < line).any()  # the rounding this test is about
    np.testing.assert_allclose(pc[:200], line, rtol=1e-12)
    p = r.poverty()
    assert p.loc["dibao", "line"] == line
    assert p.loc["dibao", "headcount"] == pytest.approx(1 / 201, rel=1e-12)
    assert p.loc["dibao", "persons_below"] == 1.0
    assert p.loc["dibao", "poverty_gap"] == pytest.approx(5_000 / line / 201, rel=1e-9)


def test_poverty_median_and_an_income_exactly_on_the_line():
    """Incomes 10k, 20k, 40k, 60k (one person each): the lower median is 20k; the
    50 % line is 10k and the income on it is not poor; the 60 % line 12k has one
    person below with gap (2k / 12k) / 4."""
    pop = _population(age=[40] * 4, property=[60_000.0, 10_000.0, 40_000.0, 20_000.0])
    p = simulate(pop, _no_policy()).poverty()
    assert p.loc["50% median", "line"] == 10_000.0
    assert p.loc["50% median", "headcount"] == 0.0
    assert p.loc["60% median", "headcount"] == 0.25
    assert p.loc["60% median", "poverty_gap"] == pytest.approx(2 / 12 / 4, rel=1e-12)
    assert np.isnan(p.loc["dibao", "headcount"])  # dibao line 0: undefined


# ------------------------------------------------------------------ deciles
def test_deciles_keep_every_decile_when_some_are_empty():
    """Three persons, weights 1, 10, 1: cumulative midpoints 0.5/12, 6/12, 11.5/12
    fall in deciles 1, 6, 10; the other seven deciles hold nobody and keep their
    rows with share 0 and NaN means."""
    pop = _population(
        age=[40] * 3, property=[1_000.0, 2_000.0, 3_000.0], weight=[1, 10, 1]
    )
    d = simulate(pop, _no_policy()).deciles()
    assert list(d.index) == list(range(1, 11))
    share = np.zeros(10)
    share[[0, 5, 9]] = [1 / 12, 10 / 12, 1 / 12]
    np.testing.assert_allclose(d["population_share"], share, rtol=1e-12)
    np.testing.assert_array_equal(d["households"], share * 12)
    assert d.loc[6, "disposable_income"] == 2_000.0
    assert d.loc[10, "min_per_capita"] == 3_000.0
    empty = [2, 3, 4, 5, 7, 8, 9]
    assert d.loc[empty, ["min_per_capita", "disposable_income"]].isna().all().all()


def test_deciles_of_one_household():
    pop = _population(age=[40], property=[5_000.0])
    d = simulate(pop, _no_policy()).deciles()
    assert list(d.index) == list(range(1, 11))
    assert d["population_share"].tolist() == [0.0] * 5 + [1.0] + [0.0] * 4
    assert d.loc[6, "disposable_income"] == 5_000.0


# ------------------------------------------------------------ winners_losers
@pytest.fixture(scope="module")
def pair():
    pop = cp.synthetic_population(400, seed=5)
    base = Scenario.status_quo(2022)
    reform = base.replace(
        {"transfers.dibao_monthly": 1_500, "income_tax.basic_deduction": 90_000}
    )
    return simulate(pop, base), simulate(pop, reform)


@pytest.mark.parametrize("threshold", [-0.01, float("nan"), float("inf"), "1%", True])
def test_winners_losers_rejects_a_bad_threshold(pair, threshold):
    r, reform = pair
    with pytest.raises(cp.CommonProsperityError, match="threshold must be a finite"):
        r.winners_losers(reform, threshold=threshold)


def test_winners_losers_rejects_other_populations_with_the_same_ids_and_weights():
    """Same households and weights, different incomes or areas: not a reform's
    effect, so an error naming what differs."""
    age = [40] * 6
    a = _population(age=age, property=np.full(6, 50_000.0))
    richer = _population(age=age, property=np.full(6, 60_000.0))
    rural = _population(age=age, property=np.full(6, 50_000.0), urban=[0, 1] * 3)
    s = _no_policy()
    r = simulate(a, s)
    with pytest.raises(cp.CommonProsperityError, match="differ: property"):
        r.winners_losers(simulate(richer, s))
    with pytest.raises(cp.CommonProsperityError, match="differ: urban"):
        r.winners_losers(simulate(rural, s))
    with pytest.raises(cp.CommonProsperityError, match="other must be a Result"):
        r.winners_losers(a)
    # An equal population built anew is the same population.
    twin = _population(age=age, property=np.full(6, 50_000.0))
    assert r.winners_losers(simulate(twin, s)).loc["all", "no_change_share"] == 1.0


def test_winners_losers_against_numpy(pair):
    r, reform = pair
    wl = r.winners_losers(reform)
    hh = r.households
    before = hh["disposable_income"].to_numpy()
    change = reform.households["disposable_income"].to_numpy() - before
    rel = change / np.where(before != 0, np.abs(before), 1.0)
    w = r.population.weight
    pw = w * hh["size"].to_numpy()
    pc = before / hh["size"].to_numpy()
    order = np.argsort(pc, kind="stable")
    cum = np.cumsum(pw[order])
    decile = np.empty(pc.size, int)
    decile[order] = np.floor((cum - pw[order] / 2) / cum[-1] * 10).astype(int) + 1
    groups = {f"decile {d}": decile == d for d in range(1, 11)}
    groups["rural"] = ~hh["urban"].to_numpy()
    groups["city Ningbo"] = (hh["city"] == "宁波").to_numpy()
    for name, m in groups.items():
        total = pw[m].sum()
        assert wl.loc[name, "gain_share"] == pytest.approx(
            pw[m & (rel > 0.01)].sum() / total, rel=1e-12, abs=1e-15
        ), name
        assert wl.loc[name, "lose_share"] == pytest.approx(
            pw[m & (rel < -0.01)].sum() / total, rel=1e-12, abs=1e-15
        ), name
        assert wl.loc[name, "mean_change"] == pytest.approx(
            np.sum(w[m] * change[m]) / total, rel=1e-12, abs=1e-9
        ), name


def test_winners_losers_keep_empty_groups_as_nan_rows():
    """No rural households and three households: the rural row and seven deciles
    are NaN rows, not missing ones. A household with zero reference income that
    gains 1,000 yuan counts as gaining (the documented rule: a change above
    threshold × 1 yuan)."""
    pop = _population(age=[40] * 3, property=[0.0, 20_000.0, 30_000.0])
    s = _no_policy()
    reform = s.replace({"transfers.dibao_monthly": 1_000 / 12})
    r = simulate(pop, s)
    wl = r.winners_losers(simulate(pop, reform))
    assert {"rural", "decile 1", "decile 10"} <= set(wl.index)
    assert wl.loc["rural"].isna().all()
    assert wl.loc["urban", "gain_share"] == pytest.approx(1 / 3)
    assert wl.loc["decile 2", "gain_share"] == 1.0  # the zero-income household
    assert wl.loc["decile 3"].isna().all()


# ------------------------------------------------------------------ by_group
def test_by_group_rejects_a_repeated_grouping(pair):
    r, _ = pair
    with pytest.raises(cp.CommonProsperityError, match="given once"):
        r.by_group("city", "city")


def test_by_group_size_and_decile_against_numpy(pair):
    r, _ = pair
    hh = r.households
    w = r.population.weight
    size = hh["size"].to_numpy()
    g = r.by_group("urban", "size")
    for (urban, k), row in g.iterrows():
        m = (hh["urban"].to_numpy() == urban) & (size == k)
        pc = np.sum(w[m] * hh["disposable_income"].to_numpy()[m]) / np.sum(w[m] * k)
        assert row["per_capita_disposable_income"] == pytest.approx(pc, rel=1e-12)
        assert row["residents"] == pytest.approx(np.sum(w[m]) * k, rel=1e-12)
    assert g["households"].sum() == pytest.approx(w.sum(), rel=1e-12)


# ---------------------------------------------------------------- bootstrap
@pytest.mark.parametrize("name", ["strata", "psu"])
def test_bootstrap_rejects_missing_design_values(pair, name):
    r, _ = pair
    design = np.repeat(np.arange(40), 10).astype(float)
    design[[3, 7]] = np.nan
    with pytest.raises(cp.CommonProsperityError, match=rf"{name} must have a value"):
        bootstrap(r, "gini", n=10, **{name: design})


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_bootstrap_rejects_a_bad_seed(pair, seed):
    r, _ = pair
    with pytest.raises(cp.CommonProsperityError, match="seed must be"):
        bootstrap(r, "gini", n=10, seed=seed)


# ------------------------------------------------------------ determinism
@two_threads
def test_tables_are_identical_on_one_and_two_threads():
    pop = cp.synthetic_population(600, seed=8)
    base = Scenario.status_quo(2023)
    reform = base.replace({"transfers.dibao_monthly": 1_400})
    one = simulate(pop, base, threads=1), simulate(pop, reform, threads=1)
    two = simulate(pop, base, threads=2), simulate(pop, reform, threads=2)
    for table in ("deciles", "poverty"):
        a, b = getattr(one[0], table)(), getattr(two[0], table)()
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    np.testing.assert_array_equal(
        one[0].winners_losers(one[1]).to_numpy(),
        two[0].winners_losers(two[1]).to_numpy(),
    )
    a = bootstrap(one[0], "gini", n=20, seed=2, psu=np.arange(600) // 6)
    b = bootstrap(two[0], "gini", n=20, seed=2, psu=np.arange(600) // 6)
    np.testing.assert_array_equal(a.replicates, b.replicates)


def test_bootstrap_warns_about_strata_with_a_single_psu():
    """Stratum 1 has one PSU: redrawing it reproduces it, so it adds no variance."""
    pop = cp.synthetic_population(300, seed=2)
    r = cp.simulate(pop, cp.Scenario.status_quo(2024))
    strata = np.where(np.arange(300) < 290, 0, 1)
    psu = np.where(strata == 0, np.arange(300) % 29, 0)
    with pytest.warns(UserWarning, match="1 of 2 strata have a single PSU"):
        bootstrap(r, "gini", n=20, seed=1, strata=strata, psu=psu)


def test_winners_losers_judge_a_loss_making_household_by_the_size_of_its_income():
    """By hand, HAND_POLICY: household 1 has a 200,000-yuan business loss, so its
    dibao is the full line, 12,000, and its disposable income -188,000. Raising
    the line to 1,100 a month gives it 1,200 more: 0.64 % of |income|, no change
    at a 1 % threshold and a gain at 0.5 %. Household 2 (property income 100,000,
    net 90,000 above the line) does not change."""
    hh = {
        "household_id": np.array([1, 2]),
        "weight": np.array([1.0, 1.0]),
        "urban": np.array([True, True]),
    }
    persons = {
        "household_id": np.array([1, 2]),
        "age": np.array([40, 40]),
        "employed": np.array([False, False]),
        "wage": np.array([0.0, 0.0]),
        "business": np.array([-200_000.0, 0.0]),
        "property": np.array([0.0, 100_000.0]),
        "pension": np.array([0.0, 0.0]),
    }
    pop = Population.from_arrays(hh, persons)
    base = Scenario.from_dict(HAND_POLICY)
    r = simulate(pop, base)
    reform = simulate(pop, base.replace({"transfers.dibao_monthly": 1_100.0}))
    assert r.households["disposable_income"].iloc[0] == pytest.approx(-188_000.0)
    assert reform.households["disposable_income"].iloc[0] == pytest.approx(-186_800.0)
    at_1 = r.winners_losers(reform, threshold=0.01)
    at_half = r.winners_losers(reform, threshold=0.005)
    assert at_1.loc["all", "gain_share"] == 0.0
    assert at_1.loc["all", "no_change_share"] == 1.0
    assert at_half.loc["all", "gain_share"] == 0.5


@pytest.mark.parametrize("scale", [1.0, 0.3, 7.0, 1e-3, 123.456])
def test_deciles_of_equal_weights_do_not_depend_on_their_scale(scale):
    """5 equal households: cumulative midpoints 0.1, 0.3, 0.5, 0.7, 0.9 lie on
    decile boundaries and belong to the upper decile: 2, 4, 6, 8, 10, whatever the
    common weight (at 0.3 rounding gave 1, 4, 5, 8, 10)."""
    from commonprosperity.tables import decile_of

    groups = decile_of(np.arange(5.0), np.full(5, scale))
    assert groups.tolist() == [2, 4, 6, 8, 10]


def test_bootstrap_refuses_a_scenario_other_than_the_results_own(pair):
    """scenario= with a Result was silently ignored: the replicates were those of
    the Result's scenario, not of the one the caller named."""
    r, reform = pair
    with pytest.raises(cp.ArgumentError, match="scenario= is used only with a Pop"):
        bootstrap(r, "gini", n=10, scenario=reform.scenario)
    # Its own scenario is no contradiction.
    same = bootstrap(r, "gini", n=10, seed=4, scenario=r.scenario)
    np.testing.assert_array_equal(
        same.replicates, bootstrap(r, "gini", n=10, seed=4).replicates
    )


@pytest.mark.filterwarnings("ignore:poverty.*monthly amounts")
def test_poverty_at_fixed_lines_from_the_definition():
    """A fixed line (the status quo's dibao line) compares scenarios at one line;
    poverty() had only the scenario's own dibao line and the result's median."""
    pop = cp.synthetic_population(600, seed=3)
    sq = Scenario.status_quo(2023)
    line = 12.0 * sq.transfers.dibao_monthly
    for scenario in (sq, sq.replace({"transfers.dibao_monthly": 2_000.0})):
        r = simulate(pop, scenario)
        h = r.households
        pc = (h["disposable_income"] / h["size"]).to_numpy()
        pw = pop.weight * h["size"].to_numpy()
        for name, z in (("status quo dibao", line), ("30k", 30_000.0)):
            row = r.poverty({name: z}).loc[name]
            poor = pc < z * (1 - 1e-9)
            assert row["line"] == z
            assert row["headcount"] == pytest.approx(pw[poor].sum() / pw.sum())
            gap = (pw[poor] * (z - pc[poor]) / z).sum() / pw.sum()
            assert row["poverty_gap"] == pytest.approx(gap)
        assert list(r.poverty({"x": 1.0}).index)[-1] == "x"
    for bad in ({"dibao": 5.0}, {"x": 0.0}, {"x": float("nan")}, {"x": "1"}, [1.0]):
        with pytest.raises(cp.ArgumentError, match="poverty: "):
            r.poverty(bad)


@pytest.mark.parametrize("weight", [1.0, 0.6, 0.1, 1 / 3, 0.7, 3.0])
def test_median_lines_do_not_depend_on_the_weights_scale(weight):
    """Six equal persons: the lower median is the third income at any weight.

    With weights 0.6 the plain cumulative sum put the third an ulp below half
    and the 50 % line became 25,000 (the upper median's half) instead of 20,000.
    """
    incomes = [20e3, 30e3, 40e3, 50e3, 60e3, 70e3]
    pop = _population(age=[40] * 6, property=incomes, weight=[weight] * 6)
    table = simulate(pop, _no_policy()).poverty()
    assert table.loc["50% median", "line"] == pytest.approx(20_000.0, rel=1e-12)
    assert table.loc["60% median", "line"] == pytest.approx(24_000.0, rel=1e-12)
    assert table.loc["60% median", "headcount"] == pytest.approx(1 / 6, rel=1e-12)


@pytest.mark.parametrize("name", ["strata", "psu"])
def test_bootstrap_design_given_as_a_column_name_is_named(name):
    pop = _population(age=[40] * 30, property=np.arange(1.0, 31.0) * 1e3)
    result = simulate(pop, _no_policy())
    with pytest.raises(cp.ArgumentError) as info:
        bootstrap(result, "gini", n=10, seed=1, **{name: "region"})
    assert f"{name} must be an array of one value per household (30), not a " in (
        str(info.value)
    )
    assert "got 'region'" in str(info.value)


def test_households_of_no_city_are_not_called_a_city():
    pop = _population(age=[40] * 4, property=[1e4, 2e4, 3e4, 4e4])
    richer = _no_policy().replace({"transfers.dibao_monthly": 5_000.0})
    table = simulate(pop, richer).winners_losers(simulate(pop, _no_policy()))
    assert "city unknown (Zhejiang)" in table.index
    assert not any("浙江" in name for name in table.index)
