"""Probe findings of session 55, each with the test that failed before its fix."""

import itertools
import json

import pytest

import commonprosperity as cp
from commonprosperity.errors import ArgumentError


@pytest.fixture(scope="module")
def pop2024():
    return cp.synthetic_population(2_000, seed=9).with_year(2024)


@pytest.mark.parametrize(
    "growth",
    [
        json.loads('{"2025": {"urban": 0.04, "rural": 0.05}, "2026": 0.04}'),
        {2025.0: 0.04},
        {" 2026 ": 0.04},
    ],
)
def test_a_year_key_given_as_text_or_float_is_told_to_be_an_integer(pop2024, growth):
    with pytest.raises(ArgumentError, match=r"a year's key is an integer \(2025, not"):
        cp.project(pop2024, 2026, growth=growth)


def test_a_rate_key_misspelt_gets_no_year_advice(pop2024):
    with pytest.raises(ArgumentError, match="unknown key 'urbn'") as info:
        cp.project(pop2024, 2026, growth={"urbn": 0.04})
    assert "year" not in str(info.value)


def test_projecting_backwards_says_projection_runs_forward():
    pop = cp.synthetic_population(500, seed=1).with_year(2060)
    with pytest.raises(ArgumentError, match=r"runs forward from population\.year"):
        cp.project(pop, 2059)


# Mutation probe (s55): rules guarded by one test only get a second, by hand.


def test_the_housing_fund_is_its_rate_s_share_of_contributions_and_no_revenue():
    """Two employees between the base floor and ceiling (2024: 4,812-24,060 a
    month), no elderly-support claims: contributions 22.5 % of wages, the housing
    fund 12 % of them, fund revenue 10.5 %; income tax by the annual table."""
    import pandas as pd

    pop = cp.Population.from_frames(
        pd.DataFrame(
            {
                "household_id": [1, 2],
                "weight": [1.0, 1.0],
                "urban": [True, True],
                "city": ["杭州", "杭州"],
            }
        ),
        pd.DataFrame(
            {
                "household_id": [1, 2],
                "age": [40, 40],
                "employed": [True, True],
                "wage": [100_000.0, 200_000.0],
                "business": [0.0, 0.0],
                "property": [0.0, 0.0],
                "pension": [0.0, 0.0],
            }
        ),
    )
    scenario = cp.Scenario.status_quo(2024).replace(
        {"income_tax.elderly_support_share": 0.0}
    )
    fiscal = cp.simulate(pop, scenario).fiscal
    # 100,000 - 22,500 - 60,000 = 17,500 at 3 %; 200,000 - 45,000 - 60,000 =
    # 95,000 at 10 % less the quick deduction 2,520.
    iit = 17_500 * 0.03 + (95_000 * 0.10 - 2_520)
    assert fiscal["social_insurance_contributions"] == pytest.approx(67_500, rel=1e-12)
    assert fiscal["housing_fund"] == pytest.approx(36_000, rel=1e-12)
    assert fiscal["social_insurance_fund_revenue"] == pytest.approx(31_500, rel=1e-12)
    assert fiscal["transfer_spending"] == 0.0
    assert fiscal["iit_revenue"] == pytest.approx(iit, rel=1e-12)
    assert fiscal["net_revenue"] == pytest.approx(iit + 31_500, rel=1e-12)


@pytest.fixture(scope="module")
def indicators():
    pop = cp.synthetic_population(1_000, seed=4)
    return cp.simulate(pop, cp.Scenario.status_quo(2024)).indicators


def test_t7_needs_labour_remuneration_above_half_of_gdp(indicators):
    """Plan: 劳动报酬占GDP比重超过50% (above, not at)."""
    at = cp.evaluate_targets(indicators, gdp=1e12, labour_compensation=5e11)
    above = cp.evaluate_targets(indicators, gdp=1e12, labour_compensation=5.001e11)
    assert not at.loc["T7", "met"]
    assert above.loc["T7", "met"]


def test_t6_needs_an_urbanisation_rate_of_75_percent(indicators):
    below = cp.evaluate_targets({**indicators, "urbanization_rate": 0.7499})
    at = cp.evaluate_targets({**indicators, "urbanization_rate": 0.75})
    assert not below.loc["T6", "met"]
    assert at.loc["T6", "met"]


def test_t3_needs_45_percent_of_households_in_the_200k_600k_band(indicators):
    below = cp.evaluate_targets({**indicators, "band_share_200k_600k": 0.4499})
    at = cp.evaluate_targets({**indicators, "band_share_200k_600k": 0.45})
    assert not below.loc["T3", "met"]
    assert at.loc["T3", "met"]


def test_a_base_floor_equal_to_the_ceiling_and_rates_adding_to_one_are_valid():
    s = cp.Scenario.status_quo(2024).replace(
        {
            "social_insurance.base_floor_monthly": 10_000,
            "social_insurance.base_ceiling_monthly": 10_000,
            "social_insurance.pension_rate": 0.5,
            "social_insurance.medical_rate": 0.25,
            "social_insurance.unemployment_rate": 0.125,
            "social_insurance.housing_fund_rate": 0.125,
        }
    )
    assert s.social_insurance.contribution_rate == 1.0


def test_dask_tasks_hold_whole_policy_groups():
    """A dibao x deduction grid, dibao first: slices of the grid in its order gave
    each task one scenario of ten groups (a fixed part evaluated per scenario, a
    Dask sweep 7-10x slower than the threads); each task now holds one group."""
    import numpy as np

    from commonprosperity._dask import _grouped_tasks
    from commonprosperity._sweep_engine import _stack

    base = cp.Scenario.status_quo(2025)
    scenarios = [
        base.replace(
            {"transfers.dibao_monthly": dibao, "income_tax.basic_deduction": deduction}
        )
        for dibao in range(1_000, 3_000, 200)
        for deduction in range(60_000, 100_000, 4_000)
    ]
    stacked = _stack(scenarios)
    order, bounds = _grouped_tasks(stacked, 14)
    assert sorted(order.tolist()) == list(range(100))
    assert [b for _, b in bounds][-1] == 100
    assert all(0 < i1 - i0 <= 14 for i0, i1 in bounds)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    for i0, i1 in bounds:
        keys = {stacked.policy_key(int(i)) for i in order[i0:i1]}
        assert len(keys) == 1
    # A group larger than a task is cut into pieces of at most the task's size.
    order, bounds = _grouped_tasks(stacked, 4)
    assert all(0 < i1 - i0 <= 4 for i0, i1 in bounds)
    assert np.array_equal(np.sort(order), np.arange(100))
