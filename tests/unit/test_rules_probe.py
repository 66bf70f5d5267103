"""Probe of the tax, contribution and transfer rules and of the scenario object.

Every expected number is worked out by hand from the published schedules
(个人所得税法 (2018) 附表一 and 附表二) in the comment or docstring beside it, never
read from the library's own output. ``CP_TEST_SMALL=1`` (the no-JIT coverage run)
shrinks the one population used here.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from commonprosperity import Population, Scenario, simulate, synthetic_population
from commonprosperity.errors import ScenarioError
from commonprosperity.household import household
from commonprosperity.simulate import INDICATOR_NAMES
from commonprosperity.sweep import sweep

SMALL = os.environ.get("CP_TEST_SMALL") == "1"

# 附表一 (annual comprehensive income): bracket lower bounds and marginal rates; the
# law's quick deductions are 0, 2,520, 16,920, 31,920, 52,920, 85,920, 181,920.
THRESHOLDS = [0, 36_000, 144_000, 300_000, 420_000, 660_000, 960_000]
RATES = [0.03, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45]
QUICK = [0, 2_520, 16_920, 31_920, 52_920, 85_920, 181_920]

# Tax at each threshold t and at t ± 1: rate × taxable − quick deduction of the
# bracket holding the amount (brackets are (t_k, t_{k+1}]); t − 1 and t fall in the
# lower bracket, t + 1 in the upper one:
#   36,000: 0.03 × 36,000 = 1,080;             36,001: 0.10 × 36,001 − 2,520
#  144,000: 0.10 × 144,000 − 2,520 = 11,880;   144,001: 0.20 × 144,001 − 16,920
#  300,000: 0.20 × 300,000 − 16,920 = 43,080;  300,001: 0.25 × 300,001 − 31,920
#  420,000: 0.25 × 420,000 − 31,920 = 73,080;  420,001: 0.30 × 420,001 − 52,920
#  660,000: 0.30 × 660,000 − 52,920 = 145,080; 660,001: 0.35 × 660,001 − 85,920
#  960,000: 0.35 × 960,000 − 85,920 = 250,080; 960,001: 0.45 × 960,001 − 181,920
# and t − 1 pays the lower bracket's rate less: 1,080 − 0.03, 11,880 − 0.10, ...
AT_THRESHOLDS = [
    (35_999, 1_079.97),
    (36_000, 1_080.0),
    (36_001, 1_080.1),
    (143_999, 11_879.9),
    (144_000, 11_880.0),
    (144_001, 11_880.2),
    (299_999, 43_079.8),
    (300_000, 43_080.0),
    (300_001, 43_080.25),
    (419_999, 73_079.75),
    (420_000, 73_080.0),
    (420_001, 73_080.3),
    (659_999, 145_079.7),
    (660_000, 145_080.0),
    (660_001, 145_080.35),
    (959_999, 250_079.65),
    (960_000, 250_080.0),
    (960_001, 250_080.45),
]


def _no_elderly(year: int) -> Scenario:
    """Status quo without the elderly-support draw, so deductions are known."""
    return Scenario.status_quo(year).replace({"income_tax.elderly_support_share": 0.0})


@pytest.mark.parametrize(("taxable", "expected"), AT_THRESHOLDS)
def test_comprehensive_tax_at_and_around_each_threshold(taxable, expected):
    # Not employed: no minimum wage and no contributions, so taxable income is the
    # wage less the 60,000 basic deduction.
    frame = household(
        2021,
        members=[{"age": 40, "wage": taxable + 60_000, "employed": False}],
        scenario=_no_elderly(2021),
    )
    assert frame.loc[0, "taxable_income"] == taxable
    assert frame.loc[0, "iit"] == pytest.approx(expected, rel=1e-12)


def test_quick_deductions_are_the_laws():
    a = Scenario.status_quo(2024).as_arrays()
    assert a.quick_deductions.tolist() == pytest.approx(QUICK, rel=1e-12)
    # 附表二: 0, 1,500, 10,500, 40,500, 65,500.
    assert a.business_quick_deductions.tolist() == pytest.approx(
        [0, 1_500, 10_500, 40_500, 65_500], rel=1e-12
    )


def test_non_convex_schedule_is_summed_bracket_by_bracket():
    # Rates 3 %, 10 %, 5 %, 25 %, ... (the third one lowered): taxable 200,000 pays
    # 36,000 × 0.03 + 108,000 × 0.10 + 56,000 × 0.05 = 1,080 + 10,800 + 2,800 = 14,680.
    s = _no_elderly(2021).replace({"income_tax.rates[2]": 0.05})
    frame = household(
        2021, members=[{"age": 40, "wage": 260_000, "employed": False}], scenario=s
    )
    assert frame.loc[0, "iit"] == pytest.approx(14_680.0, rel=1e-12)


# ------------------------------------------------------------ scenario object
@pytest.mark.parametrize(
    "path",
    [
        "transfers.dibao_monthly",
        "transfers.dibao_take_up",
        "income_tax.rates[1]",
        "income_tax.thresholds[1]",
        "wages.growth_rate",
    ],
)
def test_numpy_bool_is_not_an_amount(path):
    # Python's True is refused by strict mode; NumPy's True_ used to pass as 1.0
    # (a 100 % take-up or rate).
    with pytest.raises(ScenarioError, match="must be a valid number"):
        Scenario.status_quo(2021).replace({path: np.bool_(True)})


def test_numpy_numbers_still_accepted():
    s = Scenario.status_quo(2021).replace(
        {"transfers.dibao_monthly": np.float64(1_000), "wages.growth_rate": 0.05}
    )
    assert s.transfers.dibao_monthly == 1_000.0
    assert s.wages.growth_rate == 0.05


def test_replace_schedule_as_array_then_an_item_of_it():
    # The item path used to fail with "income_tax.rates is not a list" when the
    # same change gave the schedule as a NumPy array.
    s = Scenario.status_quo(2021).replace(
        {"income_tax.rates": np.array(RATES), "income_tax.rates[1]": 0.11}
    )
    assert s.income_tax.rates == (0.03, 0.11, 0.20, 0.25, 0.30, 0.35, 0.45)


@pytest.mark.parametrize("year", ["2021", 2021.0, True])
def test_status_quo_names_a_year_of_the_wrong_type(year):
    # "2021" used to be reported as a year without a shipped policy, and 2021.0 as
    # four missing sections.
    with pytest.raises(ScenarioError, match="year must be an integer"):
        Scenario.status_quo(year)


def test_status_quo_and_household_accept_numpy_years():
    # 2021, one employee earning 120,000 (household id 1 draws no elderly claim):
    # contributions 22.5 % × 120,000 = 27,000; taxable 120,000 − 27,000 − 60,000
    # = 33,000 at 3 % = 990; disposable 120,000 − 27,000 − 990 = 92,010.
    assert Scenario.status_quo(np.int64(2021)) == Scenario.status_quo(2021)
    frame = household(np.int64(2021), members=[{"age": 40, "wage": 120_000}])
    total = frame.loc["household", ["contributions", "iit", "disposable_income"]]
    assert total.astype(float).tolist() == pytest.approx([27_000.0, 990.0, 92_010.0])


# ------------------------------------------------------------- rule edge cases
def test_two_earners_children_and_contribution_base():
    # 2023, Ningbo urban (tier 1: 2,280 × 12 = 27,360 minimum), no elderly claims.
    # Base ceiling 22,311 × 12 = 267,732; floor 4,462 × 12 = 53,544.
    # Earner 1, 300,000: contributions 0.225 × 267,732 = 60,239.7 (ceiling); child
    #   deductions (children aged 6 and 1) 12 × 2,000 + 12 × 2,000 = 48,000;
    #   taxable 300,000 − 60,239.7 − 60,000 − 48,000 = 131,760.3;
    #   tax 0.10 × 131,760.3 − 2,520 = 10,656.03.
    # Earner 2, 20,000 employed: raised to 27,360; contributions on the floor,
    #   0.225 × 53,544 = 12,047.4; taxable < 0, tax 0.
    frame = household(
        2023,
        members=[
            {"age": 36, "wage": 300_000},
            {"age": 34, "wage": 20_000},
            {"age": 6},
            {"age": 1},
        ],
        city="宁波",
        scenario=_no_elderly(2023),
    )
    assert frame.loc[0, "contributions"] == pytest.approx(60_239.7, rel=1e-12)
    assert frame.loc[0, "deduction_children"] == 48_000.0
    assert frame.loc[0, "iit"] == pytest.approx(10_656.03, rel=1e-12)
    assert frame.loc[1, "wage"] == 27_360.0
    assert frame.loc[1, "contributions"] == pytest.approx(12_047.4, rel=1e-12)
    assert frame.loc[1, "iit"] == 0.0


def test_business_loss_dibao_and_pensioners():
    # 2023, Hangzhou rural (tier 2: 2,070 × 12 = 24,840). Line 974 × 12 = 11,688 a
    # person, take-up 0.4. A business loss of 50,000 (no tax, no offset), an
    # employee raised to 24,840 paying 12,047.4 on the floor, a 65-year-old without
    # pension (residents' pension 240 × 12 = 2,880):
    # net = 24,840 − 50,000 − 12,047.4 + 2,880 = −34,327.4 → counts as 0;
    # dibao = 0.4 × 3 × 11,688 = 14,025.6; disposable = −34,327.4 + 14,025.6.
    frame = household(
        2023,
        members=[
            {"age": 40, "business": -50_000},
            {"age": 40, "wage": 20_000, "employed": True},
            {"age": 65},
        ],
        urban=False,
        scenario=_no_elderly(2023),
    )
    row = frame.loc["household"]
    assert row["business_tax"] == 0.0
    assert row["residents_pension"] == 2_880.0
    assert row["dibao"] == pytest.approx(14_025.6, rel=1e-12)
    assert row["disposable_income"] == pytest.approx(-20_301.8, rel=1e-12)


def _one_household(members, scenario, household_id=3):
    n = len(members)
    persons = {
        "household_id": [household_id] * n,
        "age": [m["age"] for m in members],
        "employed": [m.get("employed", m.get("wage", 0) > 0) for m in members],
    }
    for key in ("wage", "business", "property", "pension"):
        persons[key] = [float(m.get(key, 0.0)) for m in members]
    return Population.from_arrays(
        {"household_id": [household_id], "weight": [1.0], "urban": [True]},
        persons,
        year=scenario.year,
    )


def test_simulate_one_household_equals_the_calculator():
    s = Scenario.status_quo(2025).replace({"transfers.dibao_take_up": 1.0})
    members = [
        {"age": 62, "pension": 30_000},
        {"age": 2},
        {"age": 3},
        {"age": 30, "wage": 10_000, "employed": False},
    ]
    row = simulate(_one_household(members, s), s).households.iloc[0]
    # Child allowance: only the 2-year-old (under 3): 300 × 12 = 3,600; it is not
    # income in the dibao test. Line 1,128 × 12 × 4 = 54,144; counted income
    # 30,000 + 10,000 = 40,000; dibao 14,144; disposable 40,000 + 3,600 + 14,144.
    assert row["child_allowance"] == 3_600.0
    assert row["dibao"] == pytest.approx(14_144.0, rel=1e-12)
    assert row["disposable_income"] == pytest.approx(57_744.0, rel=1e-12)
    frame = household(2025, members=members, city="浙江", scenario=s, household_id=3)
    assert frame.loc["household", "disposable_income"] == row["disposable_income"]


def test_sweep_over_a_nine_bracket_schedule_equals_simulate():
    # 9 and 12 lines: more than the lane pass's KMAX = 8, so the scalar pass runs.
    pop = synthetic_population(40 if SMALL else 400, seed=8)
    base = Scenario.status_quo(2024)
    nine = (
        [0, 20_000, 36_000, 80_000, 144_000, 300_000, 420_000, 660_000, 960_000],
        [0.03, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.45],
    )
    scenarios = [
        base.replace({"income_tax.thresholds": nine[0], "income_tax.rates": nine[1]}),
        base.replace(
            {
                "income_tax.thresholds": nine[0],
                "income_tax.rates": nine[1],
                "income_tax.basic_deduction": 72_000.0,
            }
        ),
        base.replace({"income_tax.thresholds": [0.0], "income_tax.rates": [0.2]}),
    ]
    frame = sweep(pop, base, scenarios, progress=False)
    for i, s in enumerate(scenarios):
        expected = simulate(pop, s).indicators
        for name in INDICATOR_NAMES:
            assert frame[name].iloc[i] == pytest.approx(
                expected[name], rel=1e-12, nan_ok=True
            ), (i, name)


def test_household_takes_the_year_of_its_scenario():
    """A 2024 scenario without year=: the 2024 status quo, not a mismatch with 2021."""
    s24 = Scenario.status_quo(2024)
    family = [{"age": 40, "wage": 120_000.0}]
    by_scenario = household(members=family, scenario=s24)
    by_year = household(2024, members=family)
    assert by_scenario.equals(by_year)
    with pytest.raises(ScenarioError, match="scenario is for 2024"):
        household(2021, members=family, scenario=s24)


def test_replace_needs_a_mapping():
    with pytest.raises(ScenarioError, match="takes a mapping"):
        Scenario.status_quo(2021).replace([("transfers.dibao_monthly", 1200)])


def test_a_bad_year_is_the_only_problem_reported(tmp_path):
    """Missing sections come from the status quo of the year: with a year that is
    not an integer or absent, only the year is reported (not every section)."""
    for text, words in (
        ('year = "2025"\n[transfers]\ndibao_monthly = 1300\n', "year: must be an"),
        ("[transfers]\ndibao_monthly = 1300\n", "year: required"),
    ):
        f = tmp_path / "s.toml"
        f.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as info:
            Scenario.from_toml(f)
        message = str(info.value)
        assert words in message
        assert "wages" not in message and "income_tax" not in message


def test_tied_earners_give_the_child_deductions_to_the_older():
    """Two adults earn 200,000 yuan each (not employed: no contributions), with a
    child of 8. The child-education deduction goes to the older (45) on either
    order of the rows, and the household's tax does not depend on the order."""
    scenario = Scenario.status_quo(2024).replace(
        {"income_tax.elderly_support_share": 0.0}
    )
    older = {"age": 45, "wage": 200_000.0, "employed": False}
    younger = {"age": 38, "wage": 200_000.0, "employed": False}
    child = {"age": 8}
    a = household(members=[younger, older, child], scenario=scenario)
    b = household(members=[older, child, younger], scenario=scenario)
    # 2024: child education 2,000 a month = 24,000 a year (国发〔2023〕13号)
    assert a.loc[1, "deduction_children"] == 24_000.0
    assert a.loc[0, "deduction_children"] == 0.0
    assert b.loc[0, "deduction_children"] == 24_000.0
    assert a.loc["household", "iit"] == b.loc["household", "iit"]
