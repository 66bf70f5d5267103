"""The calibrated baseline: determinism, arguments, structure, NBS accounting."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from commonprosperity import Population, PopulationError, Scenario, simulate
from commonprosperity import statistics as S
from commonprosperity.baseline import baseline, compare_to_published, quintile_means

B = sys.modules["commonprosperity.baseline"]  # the package exports the function

N = 4_000


@pytest.fixture(scope="module")
def generated():
    return B.generate(2023, N, 5)


@pytest.fixture(scope="module")
def pop2023(generated):
    return generated[0]


def test_same_arguments_same_population_bit_for_bit(pop2023):
    again = baseline(2023, n_households=N, seed=5)
    for name in (
        "weight",
        "urban",
        "city_code",
        "offsets",
        "age",
        "employed",
        "wage",
        "business",
        "property",
        "pension",
    ):
        a, b = getattr(pop2023, name), getattr(again, name)
        assert a.tobytes() == b.tobytes(), name


def test_other_seed_other_population(pop2023):
    other = baseline(2023, n_households=N, seed=6)
    assert other.n_persons != pop2023.n_persons or not np.array_equal(
        other.wage, pop2023.wage
    )


def test_year_and_source(pop2023):
    assert pop2023.year == 2023
    assert "baseline(year=2023, n_households=4000, seed=5" in pop2023.source
    assert pop2023.n_households == N


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {"year": 2019},
            "year must be one of (2020, 2021, 2022, 2023, 2024); got 2019",
        ),
        (
            {"n_households": 10},
            "n_households must be an integer in 1,000–20,000,000; got 10",
        ),
        ({"seed": -1}, "seed must be a non-negative integer; got -1"),
        ({"urban_definition": "hukou"}, "urban_definition must be one of"),
    ],
)
def test_invalid_arguments(kwargs, fragment):
    with pytest.raises(PopulationError) as info:
        baseline(**kwargs)
    assert fragment in str(info.value)


def test_households_and_residents_follow_census(pop2023):
    """Σ weight × size = year-end residents; residents ÷ households = census size."""
    assert pop2023.residents == pytest.approx(S.population(2023), rel=1e-9)
    table = S.census_table()
    w, size = pop2023.weight, pop2023.size
    for i, city in enumerate(table.index):
        sel = pop2023.city_code == i
        assert np.dot(w[sel], size[sel]) / w[sel].sum() == pytest.approx(
            table.loc[city, "household_size"], rel=1e-8
        )


def test_nbs_accounting_mapping(pop2023):
    """wage + business + property + net transfer = disposable, household by household.

    The model's net transfer is pension + residents' pension + child allowance +
    dibao − contributions − IIT − business tax − property tax (NBS: transfers
    received minus taxes and social-insurance contributions paid).
    """
    hh = simulate(pop2023, Scenario.status_quo(2023)).households
    transfer = (
        hh.pension
        + hh.residents_pension
        + hh.child_allowance
        + hh.dibao
        - hh.contributions
        - hh.iit
        - hh.business_tax
        - hh.property_tax
    )
    total = hh.wage + hh.business + hh.property + transfer
    np.testing.assert_allclose(total, hh.disposable_income, rtol=1e-12, atol=1e-6)
    comp = S.composition(2023)
    urban = pop2023.urban
    w = pop2023.weight
    for area, sel in (("urban", urban), ("rural", ~urban)):
        share = np.dot(w[sel], transfer[sel]) / np.dot(
            w[sel], hh.disposable_income[sel]
        )
        published = comp.loc[area, "transfer"] / comp.loc[area, "total"]
        assert share == pytest.approx(published, abs=1e-4)


def test_quintile_means_by_hand():
    # one-person households: incomes 1 (weight 2), 2 (weight 2), 3 (weight 6); 10
    # households, cuts every 2
    q = quintile_means(np.array([3.0, 1.0, 2.0]), np.array([6.0, 2.0, 2.0]), [1, 1, 1])
    np.testing.assert_allclose(q, [1.0, 2.0, 3.0, 3.0, 3.0])
    # NBS 五等份: fifths of households, not of persons. Households of 4 persons at
    # 1 yuan (weight 4) and of 1 person at 6 yuan (weight 1): the top fifth of the
    # 5 households is the 6-yuan household, though it holds 1 person in 17.
    q = quintile_means(np.array([1.0, 6.0]), np.array([4.0, 1.0]), np.array([4, 1]))
    np.testing.assert_allclose(q, [1.0, 1.0, 1.0, 1.0, 6.0])
    # a household straddling a cut: weights 2 (4 persons, 1 yuan) and 1 (1 person,
    # 6 yuan); the 4th fifth (1.8-2.4 households) holds 0.2 x 4 persons at 1 yuan
    # and 0.4 x 1 person at 6 yuan
    q = quintile_means(np.array([1.0, 6.0]), np.array([2.0, 1.0]), np.array([4, 1]))
    np.testing.assert_allclose(q, [1.0, 1.0, 1.0, (0.8 + 2.4) / 1.2, 6.0])


def test_population_passes_full_validation(pop2023):
    """The baseline is built without re-validation; from_arrays must accept it."""
    hh, pp = pop2023.to_frames()
    again = Population.from_arrays(
        {c: hh[c].to_numpy() for c in ("household_id", "weight", "urban")}
        | {"city": hh["city"].astype(str).to_numpy()},
        {c: pp[c].to_numpy() for c in pp.columns},
        year=pop2023.year,
        source=pop2023.source,
    )
    for name in (
        "weight",
        "urban",
        "city_code",
        "offsets",
        "age",
        "employed",
        "wage",
        "business",
        "property",
        "pension",
        "household_id",
    ):
        a, b = getattr(pop2023, name), getattr(again, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
        assert not a.flags.writeable, name


def test_source_states_the_urban_share_trade_off(pop2023):
    survey = S.survey_urban_share(2023)
    assert f"urban share of residents {survey:.3f}" in pop2023.source
    assert "urbanisation rate 0.742" in pop2023.source
    census = baseline(2023, n_households=1_000, seed=1, urban_definition="census")
    assert "the urbanisation rate 0.742" in census.source
    assert "all-resident mean does not" in census.source


def test_coverage_matches_the_province_evidence(pop2023, generated):
    """Covered share of wage earners = the non-private employment weight (C)."""
    report = generated[1]
    target, grade, _ = S.covered_share(2023)
    assert grade == "C" and 0.35 < target < 0.45
    pw = pop2023.weight[pop2023.person_household_index]
    earners = pop2023.wage > 0
    covered = np.dot(pw, pop2023.employed) / np.dot(pw, earners)
    assert covered == pytest.approx(target, abs=0.01)
    assert not np.any(pop2023.employed & ~earners)
    urban, rural = report["urban"], report["rural"]
    assert rural["covered_share_of_earners"] == pytest.approx(
        B.SHAPE.coverage_rural_ratio * urban["covered_share_of_earners"], rel=0.02
    )
    # covered earners earn more, about as non-private vs private units (1.77-1.80)
    for area in (urban, rural):
        assert 1.6 < area["covered_to_uncovered_wage"] < 2.1


def test_employee_pension_per_pensioner_is_the_target(generated):
    report = generated[1]
    for area in ("urban", "rural"):
        r = report[area]
        target = S.pension_target(2023, area)[0]
        assert r["pension_target"] == target
        assert r["pension_per_pensioner"] == pytest.approx(target, rel=1e-9)
        assert r["other_transfers_per_capita"] > 0
        # gross transfers received per recipient: pensions and other transfers
        assert 15_000 < r["gross_transfers_per_recipient"] < 60_000
    assert report["housing_fund_share_of_contributions"] == pytest.approx(0.12 / 0.225)


def test_pensioners_do_not_work_and_retire_at_statutory_ages(pop2023):
    """Transfers received by persons under 50 are other transfers, not pensions."""
    age, wage, pension = pop2023.age, pop2023.wage, pop2023.pension
    assert not np.any(pop2023.employed & (age >= 60))
    # every household has at most one recipient of other transfers, so persons
    # with a pension and a wage are rare (other transfers on a working member)
    both = (pension > 0) & (wage > 0)
    assert both.mean() < 0.2


def test_subsample_solve_then_full_correction():
    """Large populations: levels solved on a subsample, corrected on all records."""
    pop, report = B.generate(2021, 6_000, 3, subsample=1_500)
    assert report["subsample_stride"] == 4
    assert 1 <= report["full_passes"] <= 4
    assert report["max_relative_error"] < 1e-3
    ind = simulate(pop, Scenario.status_quo(2021)).indicators
    for name, area in (
        ("per_capita_disposable_income", "all"),
        ("urban_per_capita_disposable_income", "urban"),
        ("rural_per_capita_disposable_income", "rural"),
    ):
        published = S.disposable_income(2021, area).value
        assert ind[name] == pytest.approx(published, rel=1e-3)
    again, _ = B.generate(2021, 6_000, 3, subsample=1_500)
    assert again.pension.tobytes() == pop.pension.tobytes()


# ------------------------------------------------------------ top-income tail
def test_pareto_tail_has_the_pareto_survival_above_the_join():
    """Above w_k the share of records beyond x is share * (x / w_k) ** -alpha."""
    from commonprosperity._baseline_people import pareto_tail

    x = np.random.default_rng(1).lognormal(0.0, 0.3, 100_000)
    y = pareto_tail(x, 0.01, 2.0)
    join = np.sort(x)[-1_001]  # the largest wage left as drawn
    for ratio in (1.0, 2.0, 5.0, 10.0):
        assert np.mean(y > ratio * join) == pytest.approx(0.01 * ratio**-2.0, abs=1e-5)
    # Ranks are kept; the body is untouched.
    assert (np.argsort(y, kind="stable") == np.argsort(x, kind="stable")).all()
    body = x <= join
    assert (y[body] == x[body]).all()


@pytest.mark.parametrize(("share", "alpha"), [(0.01, 2.0), (0.02, 3.0)])
def test_top_tail_keeps_the_calibration_and_makes_top_rates_bite(share, alpha):
    year = 2024
    plain = baseline(year, n_households=50_000, seed=0)
    tail = baseline(
        year, n_households=50_000, seed=0, top_tail={"share": share, "alpha": alpha}
    )
    table = compare_to_published(tail)
    calibrated = table[table["role"] == "calibrated"]
    assert calibrated["within"].all(), calibrated[~calibrated["within"]]
    # The Hill estimate of the top quarter of the tail's records: about alpha
    # (without a tail, about 9: the lognormal's thin tail).
    w = np.sort(tail.wage[tail.wage > 0])[::-1]
    k = int(share * w.shape[0]) // 4
    hill = 1.0 / np.mean(np.log(w[:k] / w[k]))
    assert 0.8 * alpha < hill < 1.3 * alpha
    # The top rate (45 % above 960k taxable) now raises revenue; without a tail
    # no taxable income reaches it.
    sq = Scenario.status_quo(year)
    top = sq.replace({"income_tax.rates[6]": 0.55})
    for pop, raised in ((plain, False), (tail, True)):
        gain = (
            simulate(pop, top).indicators["iit_revenue"]
            - simulate(pop, sq).indicators["iit_revenue"]
        )
        assert (gain > 0) == raised
    assert "top_tail={'share'" in tail.source


def test_no_top_tail_is_the_default_population_bit_for_bit():
    a = baseline(2021, n_households=2_000, seed=3)
    b = baseline(2021, n_households=2_000, seed=3, top_tail=None)
    for name in ("weight", "wage", "business", "property", "pension", "age"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize(
    ("top_tail", "fragment"),
    [
        ({"share": 0.0, "alpha": 2.0}, "top_tail['share'] must be in (0, 0.2]"),
        ({"share": 0.5, "alpha": 2.0}, "top_tail['share'] must be in (0, 0.2]"),
        ({"share": 0.01, "alpha": 1.0}, "top_tail['alpha'] must be in (1, 10]"),
        ({"share": 0.01, "alpha": float("nan")}, "top_tail['alpha'] must be in"),
        ({"share": 0.01}, "top_tail must be None or a mapping"),
        ((0.01, 2.0), "top_tail must be None or a mapping"),
    ],
)
def test_top_tail_errors(top_tail, fragment):
    with pytest.raises(PopulationError) as info:
        baseline(2024, n_households=1_000, seed=0, top_tail=top_tail)
    assert fragment in str(info.value)


def test_child_cohorts_are_equal_by_single_year_of_age():
    # Drawn uniformly from 0 to the head's age less 20, age 0 was twice the mean
    # cohort of 0-14 and children under 3 1.6 times as many as equal cohorts give.
    from commonprosperity._baseline_people import child_age_cdf

    cdf = child_age_cdf()
    law = np.diff(cdf, axis=1, prepend=0.0)
    assert (law >= 0).all() and (cdf[:, -1] == 1.0).all()
    heads = np.arange(20, 60)
    for h, row in zip(heads, cdf, strict=True):
        oldest = min(h - 20, 29)
        assert (row[oldest:] == 1.0).all() and (row[:oldest] < 1.0).all()
    cohorts = law.mean(axis=0)  # heads of every age alike, as drawn
    assert np.allclose(cohorts[:18], cohorts[:18].mean(), rtol=1e-9)
    pop = baseline(2024, n_households=100_000, seed=0)
    pw = pop.weight[pop.person_household_index]
    by_age = np.bincount(pop.age, weights=pw, minlength=18)[:15]
    assert 0.9 < by_age[0] / by_age.mean() < 1.1
    assert by_age.max() / by_age.min() < 1.15
