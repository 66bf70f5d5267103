"""Probe of projection (project, growth_rates, simulate_path) and the household
calculator: expected values derived by hand from docs/model-rules.md, the
published statistics and plan-targets.md."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    CommonProsperityError,
    Population,
    PopulationError,
    Scenario,
    ScenarioError,
)
from commonprosperity import statistics as S
from commonprosperity.household import household
from commonprosperity.projection import growth_rates, project, simulate_path

COMPONENT = {
    "wage": "wage",
    "business": "business",
    "property": "property",
    "pension": "transfer",
}


W = (90_000, 0, 0)  # the wages of persons 10-12


def _tiny(year=2021, weight=None, rural_business=None):
    """Eight households in 杭州 and 丽水, urban and rural, 13 persons."""
    hh = {
        "household_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "weight": weight or [100.0, 200, 150, 50, 120, 80, 60, 90],
        "urban": [True, False, True, False, True, False, True, False],
        "city": ["杭州", "杭州", "丽水", "丽水", "杭州", "杭州", "丽水", "丽水"],
    }
    pid = [1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8]
    n = len(pid)
    business = [0.0, 0, 10_000, -5_000, 0, 0, 0, 20_000, 5_000, 0, 0, 1_000, 0]
    if rural_business is not None:
        urban = dict(zip(hh["household_id"], hh["urban"], strict=True))
        business = [
            b if urban[h] else rural_business
            for b, h in zip(business, pid, strict=True)
        ]
    pp = {
        "household_id": pid,
        "age": [40, 10, 50, 30, 5, 60, 70, 35, 45, 44, 25, 80, 78],
        "employed": [True] * n,
        "wage": [100_000.0, 0, 50_000, 80_000, 0, 0, 0, 60_000, 30_000, 20_000, *W],
        "business": business,
        "property": [1_000.0, 0, 500, 0, 0, 0, 0, 0, 0, 0, 3_000, 0, 0],
        "pension": [0.0, 0, 0, 0, 0, 30_000, 20_000, 0, 0, 0, 0, 10_000, 8_000],
    }
    return Population.from_arrays(hh, pp, year=year)


# Eight households of two cities weighted as a sample: project says it takes them
# as a sample of the province (tested in test_probe_s41).
pytestmark = pytest.mark.filterwarnings(
    "ignore:project. the population has households in:UserWarning"
)

# Eight households: too few persons in each age band for the share aged 60+ to
# move (project says so in a UserWarning, tested in test_probe_s30).
_FEW_RECORDS = pytest.mark.filterwarnings(
    "ignore:project. the share of residents aged 60.:UserWarning"
)


def _logit(p):
    return math.log(p / (1.0 - p))


def _hand_factor(year, city, area, column):
    """Published component growth of the area times the city's relative growth."""
    before, after = S.composition(year - 1), S.composition(year)
    t0, t1 = S.city_income_targets(year - 1), S.city_income_targets(year)
    k = COMPONENT[column]
    rel = (t1.loc[city, area] / t0.loc[city, area]) / (
        after.loc[area, "total"] / before.loc[area, "total"]
    )
    return after.loc[area, k] / before.loc[area, k] * rel


@_FEW_RECORDS
def test_project_tiny_population_by_hand():
    """2021 → 2023: each income grows by its source's published growth in its
    area times its city's relative growth, twice; residents equal the 2023
    year-end population and the urban share moves by the published logit change
    of the survey's urban share."""
    pop = _tiny()
    p23 = project(pop, 2023)
    hh = pop.person_household_index
    for col in COMPONENT:
        expected = np.array(
            [
                getattr(pop, col)[j]
                * np.prod(
                    [
                        _hand_factor(
                            y,
                            pop.city[hh[j]],
                            "urban" if pop.urban[hh[j]] else "rural",
                            col,
                        )
                        for y in (2022, 2023)
                    ]
                )
                for j in range(pop.n_persons)
            ]
        )
        np.testing.assert_allclose(getattr(p23, col), expected, rtol=1e-12, atol=1e-9)
    assert p23.residents == pytest.approx(S.population(2023), rel=1e-9)

    def share(q):
        pw = q.weight * q.size
        return pw[q.urban].sum() / pw.sum()

    # Through 2024 the survey's own urban share (the one implied by its all,
    # urban and rural means), not the official rate, which rose twice as fast.
    assert _logit(share(p23)) - _logit(share(pop)) == pytest.approx(
        _logit(S.survey_urban_share(2023)) - _logit(S.survey_urban_share(2021)),
        rel=1e-8,
    )
    # two steps are the same as one
    two = project(project(pop, 2022), 2023)
    for col in (*COMPONENT, "weight"):
        np.testing.assert_allclose(getattr(two, col), getattr(p23, col), rtol=1e-9)


@_FEW_RECORDS
def test_project_sample_weights_do_not_overflow():
    """A sample with weight 1 per household (a plain survey file) is raked up to
    the published residents: the first Newton step from weights ~1e5 times too
    small overflowed (RuntimeWarning 'overflow encountered in dot', an error
    under the test suite's filterwarnings)."""
    pop = _tiny(weight=[1.0] * 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        p22 = project(pop, 2022)
    assert p22.residents == pytest.approx(S.population(2022), rel=1e-9)
    # the weights are those of the same raking from weights in proportion
    scaled = project(_tiny(weight=[1_000.0] * 8), 2022)
    np.testing.assert_allclose(p22.weight, scaled.weight, rtol=1e-8)


def test_project_refuses_population_years_outside_the_published_range():
    pop = _tiny()
    with pytest.raises(PopulationError, match=r"population\.year must be 2020 or"):
        project(pop.with_year(2019), 2021)
    assert project(pop.with_year(2015), 2015).year == 2015  # nothing to project
    # To its own year is no step after 2050 too (session 44; simulate_path runs
    # such a population in its year).
    assert project(pop.with_year(2051), 2051).year == 2051
    with pytest.raises(PopulationError, match=r"population\.year must be at most"):
        project(pop.with_year(2051), 2052)


def test_growth_accepts_numpy_numbers():
    """A rate or year read from NumPy/pandas is a number: it was refused as 'must
    be a growth rate in [-0.5, 1]; got np.int64(0)' or an unknown key."""
    g = growth_rates(
        np.int64(2026),
        {np.int64(2026): {"wage": np.int64(0), "rural": np.float32(0.5)}},
    )
    assert g.loc[("杭州", True), "wage"] == 1.0
    assert g.loc[("杭州", False), "business"] == pytest.approx(1.5)
    assert g.loc[("杭州", True), "business"] == pytest.approx(1.0435)  # README: 4.35 %
    with pytest.raises(CommonProsperityError, match=r"got np\.float64\(nan\)"):
        growth_rates(2026, {"wage": np.float64("nan")})
    with pytest.raises(CommonProsperityError, match=r"\['wage'\].*got np\.True_"):
        growth_rates(2026, {"wage": np.True_})


@_FEW_RECORDS
def test_path_t9_is_na_when_one_area_is_undefined():
    """T9 is the gap inside urban *and* inside rural residents (plan-targets.md):
    rural households with business losses have no positive bottom quintile, so the
    rural ratio is undefined and T9 cannot be judged. It was judged 'met' from
    the urban ratio alone."""
    # weights near the residents represented, so no other problem interferes
    weight = [w * 5e4 for w in (100.0, 200, 150, 50, 120, 80, 60, 90)]
    pop = _tiny(year=2023, weight=weight, rural_business=-200_000.0)
    path = simulate_path(
        pop, {y: Scenario.status_quo(y) for y in (2023, 2024)}, growth={2024: 0.05}
    )
    assert path["rural_top_bottom_ratio"].isna().all()
    assert np.isfinite(path["urban_top_bottom_ratio"]).all()
    assert pd.isna(path.loc[2024, "T9_value"])
    assert pd.isna(path.loc[2024, "T9"])
    # The note says which ratio was undefined in which year.
    t9 = next(n for n in path.loc[2024, "note"].split("; ") if n.startswith("T9:"))
    assert t9.endswith(": rural ratio in 2023, rural ratio in 2024")


def test_path_refuses_labour_compensation_above_gdp():
    """Labour remuneration is a part of GDP: a share of 5.5 was read as T7 met."""
    pop = _tiny(year=2023)
    with pytest.raises(ScenarioError, match=r"labour_compensation must not exceed"):
        simulate_path(
            pop,
            {2023: Scenario.status_quo(2023)},
            gdp={2023: 1e13},
            labour_compensation={2023: 5.5e13},
        )


def test_path_scenarios_must_be_a_mapping_of_integer_years():
    pop = _tiny(year=2023)
    s23 = Scenario.status_quo(2023)
    with pytest.raises(ScenarioError, match="must be a mapping of year to Scenario"):
        simulate_path(pop, [s23])
    with pytest.raises(ScenarioError, match=r"key '2023' must be an integer year"):
        simulate_path(pop, {"2023": s23})
    with pytest.raises(ScenarioError, match=r"year 2022 is before population\.year"):
        simulate_path(pop, {np.int64(2022): Scenario.status_quo(2022)})


def test_household_by_hand_2023():
    """杭州, 2023, no elderly-support claim: contributions 22.5 % of each wage
    (inside the 53,544–267,732 base); the children's 48,000 (2 × 12 × 2,000 for a
    6-year-old and a 1-year-old) go to the 250k earner: taxable 250,000 − 56,250 −
    60,000 − 48,000 = 85,750, tax 8,575 − 2,520 = 6,055; the other: 150,000 −
    33,750 − 60,000 = 56,250, tax 3,105; property tax 20 % × 15 % × 10,000 = 300;
    the 65-year-old without pension gets 12 × 240; no dibao, no child allowance."""
    sc = Scenario.status_quo(2023).replace({"income_tax.elderly_support_share": 0.0})
    h = household(
        members=[
            {"age": 36, "wage": 250_000, "property": 10_000},
            {"age": 34, "wage": 150_000},
            {"age": 6},
            {"age": 1},
            {"age": 65},
        ],
        scenario=sc,
    )
    row = h.loc["household"]
    assert row["contributions"] == pytest.approx(56_250 + 33_750)
    assert row["iit"] == pytest.approx(6_055 + 3_105)
    assert row["property_tax"] == pytest.approx(300)
    assert row["residents_pension"] == pytest.approx(2_880)
    assert row["dibao"] == 0 and row["child_allowance"] == 0
    assert row["disposable_income"] == pytest.approx(
        250_000 + 150_000 + 10_000 + 2_880 - 90_000 - 9_160 - 300
    )
    assert h.loc[0, "deduction_children"] == pytest.approx(48_000)
    assert h.loc[1, "deduction_children"] == 0


def test_household_id_beyond_int64_is_a_clear_error():
    """household_id=2**70 raised a bare OverflowError from NumPy."""
    with pytest.raises(PopulationError, match=r"household_id must be an integer"):
        household(2021, members=[{"age": 40}], household_id=2**70)
