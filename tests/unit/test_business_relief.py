"""Scenario.with_business_relief: the halving for individual businesses (个体工商户).

Expected values are computed by hand from 个人所得税法 附表二 (business income: 5 % to
30,000; 10 % to 90,000; 20 % to 300,000; 30 % to 500,000; 35 % above; quick
deductions 0, 1,500, 10,500, 40,500, 65,500), with the relief of 财政部 税务总局
公告2021年第12号 / 2023年第12号: T pays s(T) − 0.5 × s(min(T, cap)). A person with
business income and no wage deducts the 60,000 basic deduction from it.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonprosperity import Scenario, ScenarioError, simulate, synthetic_population
from commonprosperity.household import household
from tests.reference.numpy_model import marginal_tax

FEN = 0.01


def business_tax(year, members, rate, cap):
    scenario = Scenario.status_quo(year).with_business_relief(rate, cap)
    return household(year, members=members, scenario=scenario).loc["household"]


@pytest.mark.parametrize(
    ("year", "cap", "business", "expected"),
    [
        # Taxable 140,000: 1,500 + 6,000 + 10,000 = 17,500 by 附表二, halved.
        (2021, 1_000_000, 200_000, 8_750),
        # Taxable 2,500,000: 809,500 by 附表二; the part up to 2 million pays
        # 2,000,000 × 35 % − 65,500 = 634,500, half waived: 809,500 − 317,250.
        (2023, 2_000_000, 2_560_000, 492_250),
        # 2022's cap, 1 million: 1,000,000 × 35 % − 65,500 = 284,500, half waived.
        (2022, 1_000_000, 2_560_000, 809_500 - 142_250),
        # Exactly at the cap: half of 634,500.
        (2024, 2_000_000, 2_060_000, 317_250),
        # Taxable 300,000, on a bracket bound: (1,500 + 6,000 + 42,000) / 2.
        (2025, 2_000_000, 360_000, 24_750),
        # A loss pays nothing, relieved or not.
        (2023, 2_000_000, -50_000, 0),
    ],
)
def test_relief_waives_half_the_tax_up_to_the_cap(year, cap, business, expected):
    t = business_tax(year, [{"age": 50, "business": business}], 0.5, cap)
    assert t["business_tax"] == pytest.approx(expected, abs=FEN)


def test_relief_beside_a_wage_2021():
    """Wage 100,000 (contributions 22,500; taxable 17,500 → 525) and business
    80,000 taxed whole: 1,500 + 50,000 × 10 % = 6,500, halved: 3,250. Disposable
    100,000 + 80,000 − 22,500 − 525 − 3,250 = 153,725 (elderly share 0: the
    wage earner claims nothing)."""
    scenario = (
        Scenario.status_quo(2021)
        .replace({"income_tax.elderly_support_share": 0.0})
        .with_business_relief(0.5, 1_000_000)
    )
    t = household(
        2021,
        members=[{"age": 45, "wage": 100_000, "business": 80_000}],
        scenario=scenario,
    ).loc["household"]
    assert t["iit"] == pytest.approx(525, abs=FEN)
    assert t["business_tax"] == pytest.approx(3_250, abs=FEN)
    assert t["disposable_income"] == pytest.approx(153_725, abs=FEN)


def test_status_quo_keeps_the_laws_schedule():
    """Without the opt-in, 2023 taxes business income on 附表二: 17,500."""
    t = household(2023, members=[{"age": 50, "business": 200_000}]).loc["household"]
    assert t["business_tax"] == pytest.approx(17_500, abs=FEN)


def test_the_relieved_schedule():
    s = Scenario.status_quo(2023)
    r = s.with_business_relief(0.5, 2_000_000).income_tax
    assert r.business_thresholds == (0, 30_000, 90_000, 300_000, 500_000, 2_000_000)
    assert r.business_rates == (0.025, 0.05, 0.1, 0.15, 0.175, 0.35)
    # A cap on a threshold adds none; above the top one it is appended.
    r = s.with_business_relief(0.5, 90_000).income_tax
    assert r.business_thresholds == (0, 30_000, 90_000, 300_000, 500_000)
    assert r.business_rates == (0.025, 0.05, 0.2, 0.3, 0.35)
    r = s.with_business_relief(1.0, 1e9).income_tax
    assert r.business_thresholds[-1] == 1e9
    assert r.business_rates == (0.0, 0.0, 0.0, 0.0, 0.0, 0.35)
    # No relief: the same scenario; everything but the schedule is kept.
    assert s.with_business_relief(0.0, 2e6) == s
    assert s.with_business_relief(0.5, 0) == s
    relieved = s.with_business_relief(0.5, 2e6)
    assert (
        relieved.replace(
            {
                "income_tax.business_thresholds": s.income_tax.business_thresholds,
                "income_tax.business_rates": s.income_tax.business_rates,
            }
        )
        == s
    )


@pytest.mark.parametrize(
    ("rate", "cap", "message"),
    [
        (1.5, 1e6, "rate must be a number in 0–1 (0.5: half the tax waived); got 1.5"),
        (float("nan"), 1e6, "rate must be a number in 0–1"),
        (True, 1e6, "got True"),
        ("0.5", 1e6, "got '0.5'"),
        (0.5, -1, "cap must be a number in 0–1e10 (yuan per year); got -1"),
        (0.5, float("inf"), "cap must be a number in 0–1e10"),
    ],
)
def test_bad_arguments_are_named(rate, cap, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        Scenario.status_quo(2023).with_business_relief(rate, cap)


def test_a_schedule_past_twenty_brackets_is_refused_with_the_call_named():
    s = Scenario.status_quo(2023).replace(
        {
            "income_tax.business_thresholds": [1_000.0 * i for i in range(20)],
            "income_tax.business_rates": [0.01 * i for i in range(20)],
        }
    )
    with pytest.raises(ScenarioError, match=r"with_business_relief\(0.5, 500.0\)"):
        s.with_business_relief(0.5, 500)


@settings(deadline=None, max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.floats(0, 1),
    cap=st.floats(0, 6e5),
    year=st.sampled_from([2020, 2021, 2023, 2025]),
)
def test_households_business_tax_is_the_formula(seed, rate, cap, year):
    """Each household's business tax is Σ s(T) − rate · s(min(T, cap)) over its
    persons, T as the rule defines it, computed here bracket by bracket."""
    pop = synthetic_population(300, seed=seed)
    base = Scenario.status_quo(year)
    result = simulate(pop, base.with_business_relief(rate, cap))
    it = base.income_tax
    wage = pop.wage * (1.0 + base.wages.growth_rate)
    taxable = np.maximum(
        np.where(wage == 0.0, pop.business - it.basic_deduction, pop.business), 0.0
    )
    person_tax = marginal_tax(
        taxable, it.business_thresholds, it.business_rates
    ) - rate * marginal_tax(
        np.minimum(taxable, cap), it.business_thresholds, it.business_rates
    )
    expected = np.add.reduceat(person_tax, pop.offsets[:-1])
    got = result.households["business_tax"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-6)


def test_the_example_scenario_file_is_the_relief_of_2025():
    from pathlib import Path

    path = (
        Path(__file__).resolve().parents[2]
        / "examples"
        / "scenarios"
        / "business_relief_2025.toml"
    )
    assert Scenario.from_toml(path) == Scenario.status_quo(2025).with_business_relief(
        0.5, 2_000_000
    )
