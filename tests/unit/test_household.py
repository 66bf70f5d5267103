"""The household calculator against families computed by hand.

Every expected value is derived in the test's docstring from the law's tables and
the shipped status-quo values of the year (data/policy.toml):

- 个人所得税法 (2018) 附表一, comprehensive income (annual): 3 % to 36,000; 10 % to
  144,000; 20 % to 300,000; 25 % to 420,000; 30 % to 660,000; 35 % to 960,000;
  45 % above. Tax is computed bracket by bracket, never with quick deductions.
- 附表二, business income: 5 % to 30,000; 10 % to 90,000; 20 % to 300,000; 30 % to
  500,000; 35 % above.
- Basic deduction 60,000 a year; child education 1,000 a month per child aged 3–17
  (2,000 from 2023, 国发〔2023〕13号); infant care 0 before 2022, 1,000 in 2022
  (国发〔2022〕8号), 2,000 from 2023; elderly support 2,000 (3,000 from 2023).
- Employee contributions 8 + 2 + 0.5 + 12 = 22.5 % of the wage clipped to the
  base: 2021 [3,321.6, 17,880.75], 2022 [3,957, 19,783], 2023 [4,462, 22,311],
  2024 [4,812, 24,060] yuan a month (国办发〔2019〕13号 rule; values C/R graded).
- Dibao line (yuan a month per person) 2021: 835, 2024: 1,055; take-up 0.4.
  Residents' pension 2021: 200, 2024: 265 a month. Property tax 20 % on 15 % of
  property income.
- Hangzhou urban is minimum-wage tier 1, Lishui rural tier 3.

The elderly-support share is set to 0 (or 1) where a wage earner is 25–59, so the
claim does not depend on the deterministic draw.
"""

import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    Population,
    PopulationError,
    Scenario,
    ScenarioError,
    simulate,
)
from commonprosperity.household import HOUSEHOLD_FRAME_COLUMNS, MEMBER_KEYS, household
from commonprosperity.simulate import HOUSEHOLD_COLUMNS
from tests.conftest import one_household

FEN = 0.01  # agreement to the fen, stricter than "to the yuan"


def status_quo(year, **changes):
    s = Scenario.status_quo(year)
    return (
        s.replace({k.replace("__", "."): v for k, v in changes.items()})
        if changes
        else s
    )


def no_elderly(year):
    return status_quo(year, income_tax__elderly_support_share=0.0)


def total(frame):
    return frame.loc["household"]


# ------------------------------------------------------------------ brackets
def test_single_employee_first_bracket_2021():
    """2021, wage 120,000 (inside [39,859.2, 214,569]): contributions 22.5 % =
    27,000 = pension 9,600 + medical 2,400 + unemployment 600 + housing fund
    14,400. Taxable 120,000 − 27,000 − 60,000 = 33,000, all in the 3 % bracket:
    990. Disposable 120,000 − 27,000 − 990 = 92,010 < 100,000, so outside both bands
    on the household basis; three-person basis 3 × 92,010 = 276,030 is in both."""
    hh = household(
        2021, members=[{"age": 40, "wage": 120_000}], scenario=no_elderly(2021)
    )
    t = total(hh)
    assert t["contributions"] == pytest.approx(27_000, abs=FEN)
    assert t["contribution_pension"] == pytest.approx(9_600, abs=FEN)
    assert t["contribution_medical"] == pytest.approx(2_400, abs=FEN)
    assert t["contribution_unemployment"] == pytest.approx(600, abs=FEN)
    assert t["contribution_housing_fund"] == pytest.approx(14_400, abs=FEN)
    assert t["taxable_income"] == pytest.approx(33_000, abs=FEN)
    assert t["iit"] == pytest.approx(990, abs=FEN)
    assert t["disposable_income"] == pytest.approx(92_010, abs=FEN)
    assert t["per_capita_disposable_income"] == pytest.approx(92_010, abs=FEN)
    assert t["three_person_income"] == pytest.approx(276_030, abs=FEN)
    assert not t["band_100k_500k"] and not t["band_200k_600k"]
    assert t["band_100k_500k_three_person"] and t["band_200k_600k_three_person"]


@pytest.mark.parametrize(
    ("wage", "taxable", "tax"),
    [
        # 2022 ceiling 19,783 × 12 = 237,396 → contributions at most 53,414.1
        # 200,000: c 45,000; taxable 95,000: 36,000 × 3 % + 59,000 × 10 % = 6,980
        (200_000, 95_000.0, 6_980.0),
        # 500,000: c 53,414.1; taxable 386,585.9: 1,080 + 10,800 (108,000 × 10 %)
        # + 31,200 (156,000 × 20 %) + 86,585.9 × 25 % = 64,726.475
        (500_000, 386_585.9, 64_726.475),
        # 700,000: taxable 586,585.9: 1,080 + 10,800 + 31,200 + 30,000 (120,000 × 25 %)
        # + 166,585.9 × 30 % = 49,975.77 → 123,055.77
        (700_000, 586_585.9, 123_055.77),
        # 800,000: taxable 686,585.9: 73,080 + 72,000 (240,000 × 30 %) + 26,585.9 × 35 %
        # = 9,305.065 → 154,385.065
        (800_000, 686_585.9, 154_385.065),
        # 1,200,000: taxable 1,086,585.9: 145,080 + 105,000 (300,000 × 35 %)
        # + 126,585.9 × 45 % = 56,963.655 → 307,043.655
        (1_200_000, 1_086_585.9, 307_043.655),
    ],
)
def test_comprehensive_income_across_brackets_2022(wage, taxable, tax):
    """See the parameters: each computed bracket by bracket from 附表一."""
    t = total(
        household(2022, members=[{"age": 45, "wage": wage}], scenario=no_elderly(2022))
    )
    contributions = 0.225 * min(wage, 237_396)
    assert t["contributions"] == pytest.approx(contributions, abs=FEN)
    assert t["taxable_income"] == pytest.approx(taxable, abs=FEN)
    assert t["iit"] == pytest.approx(tax, abs=FEN)
    assert t["disposable_income"] == pytest.approx(wage - contributions - tax, abs=FEN)


# ------------------------------------------------------- contribution base
def test_contribution_floor_2024():
    """2024, employed, wage 40,000 (above the tier-1 minimum 2,490 × 12 = 29,880):
    base raised to the floor 4,812 × 12 = 57,744; contributions 0.225 × 57,744 =
    12,992.4 (pension 4,619.52, medical 1,154.88, unemployment 288.72, housing fund
    6,929.28). Taxable 40,000 − 12,992.4 − 60,000 < 0: no tax. Disposable
    27,007.6 > dibao line 12,660: no dibao."""
    t = total(
        household(
            2024, members=[{"age": 30, "wage": 40_000}], scenario=no_elderly(2024)
        )
    )
    assert t["wage"] == 40_000
    assert t["contributions"] == pytest.approx(12_992.4, abs=FEN)
    assert t["contribution_pension"] == pytest.approx(4_619.52, abs=FEN)
    assert t["contribution_medical"] == pytest.approx(1_154.88, abs=FEN)
    assert t["contribution_unemployment"] == pytest.approx(288.72, abs=FEN)
    assert t["contribution_housing_fund"] == pytest.approx(6_929.28, abs=FEN)
    assert t["iit"] == 0
    assert t["dibao"] == 0
    assert t["disposable_income"] == pytest.approx(27_007.6, abs=FEN)


def test_contribution_ceiling_2024():
    """2024, wage 400,000: base capped at 24,060 × 12 = 288,720; contributions
    64,962. Taxable 400,000 − 64,962 − 60,000 = 275,038: 1,080 + 10,800 +
    131,038 × 20 % = 26,207.6 → 38,087.6. Disposable 400,000 − 64,962 − 38,087.6 =
    296,950.4."""
    t = total(
        household(
            2024, members=[{"age": 50, "wage": 400_000}], scenario=no_elderly(2024)
        )
    )
    assert t["contributions"] == pytest.approx(64_962, abs=FEN)
    assert t["iit"] == pytest.approx(38_087.6, abs=FEN)
    assert t["disposable_income"] == pytest.approx(296_950.4, abs=FEN)


# -------------------------------------------------------------- deductions
@pytest.mark.parametrize(
    ("year", "children", "tax"),
    [
        # 2021: child aged 10 → 12,000; infant care not yet in force → 0.
        # Taxable 200,000 − 45,000 − 60,000 − 12,000 = 83,000 → 1,080 + 4,700
        (2021, 12_000, 5_780),
        # 2022: + infant care 1,000 × 12 (国发〔2022〕8号) → 24,000; taxable 71,000
        # → 1,080 + 3,500
        (2022, 24_000, 4_580),
        # 2023: both 2,000 a month (国发〔2023〕13号) → 48,000; taxable 47,000 →
        # 1,080 + 1,100
        (2023, 48_000, 2_180),
    ],
)
def test_child_and_infant_deductions_follow_the_law_by_year(year, children, tax):
    """Parent aged 40 with wage 200,000 (below every year's ceiling, so
    contributions 45,000), children aged 10 and 1. See the parameters."""
    hh = household(
        year,
        members=[{"age": 40, "wage": 200_000}, {"age": 10}, {"age": 1}],
        scenario=no_elderly(year),
    )
    assert hh.loc[0, "deduction_children"] == pytest.approx(children, abs=FEN)
    assert hh.loc[0, "deductions"] == pytest.approx(60_000 + children, abs=FEN)
    assert total(hh)["iit"] == pytest.approx(tax, abs=FEN)


def test_two_earners_child_deductions_go_to_the_higher_wage_2023():
    """2023. A (36, wage 250,000) and B (34, 150,000), children 6 and 1. A takes
    child education 24,000 and infant care 24,000: taxable 250,000 − 56,250 −
    60,000 − 48,000 = 85,750 → 1,080 + 4,975 = 6,055. B: 150,000 − 33,750 − 60,000
    = 56,250 → 1,080 + 2,025 = 3,105. Household: wage 400,000, contributions
    90,000, IIT 9,160, disposable 300,840; per capita 75,210; three-person
    225,630: in both bands on both bases."""
    hh = household(
        2023,
        members=[
            {"age": 36, "wage": 250_000},
            {"age": 34, "wage": 150_000},
            {"age": 6},
            {"age": 1},
        ],
        scenario=no_elderly(2023),
    )
    assert hh.loc[0, "deduction_children"] == pytest.approx(48_000, abs=FEN)
    assert hh.loc[1, "deduction_children"] == 0
    assert hh.loc[0, "iit"] == pytest.approx(6_055, abs=FEN)
    assert hh.loc[1, "iit"] == pytest.approx(3_105, abs=FEN)
    t = total(hh)
    assert t["contributions"] == pytest.approx(90_000, abs=FEN)
    assert t["iit"] == pytest.approx(9_160, abs=FEN)
    assert t["disposable_income"] == pytest.approx(300_840, abs=FEN)
    assert t["per_capita_disposable_income"] == pytest.approx(75_210, abs=FEN)
    assert all(
        t[b]
        for b in (
            "band_100k_500k",
            "band_200k_600k",
            "band_100k_500k_three_person",
            "band_200k_600k_three_person",
        )
    )


def test_elderly_support_deduction_2023():
    """2023, share of claimants set to 1. Wage earner aged 45, wage 150,000:
    contributions 33,750; deductions 60,000 + 3,000 × 12 = 96,000; taxable 20,250
    → 3 % = 607.5. A 60-year-old earner and a 24-year-old earner with the same wage
    are outside 25–59 and do not claim: taxable 56,250 → 1,080 + 2,025 = 3,105."""
    s = status_quo(2023, income_tax__elderly_support_share=1.0)
    hh = household(
        2023,
        members=[
            {"age": 45, "wage": 150_000},
            {"age": 60, "wage": 150_000, "employed": True},
            {"age": 24, "wage": 150_000},
        ],
        scenario=s,
    )
    assert hh.loc[0, "deduction_elderly_support"] == 36_000
    assert hh.loc[0, "iit"] == pytest.approx(607.5, abs=FEN)
    for member in (1, 2):
        assert hh.loc[member, "deduction_elderly_support"] == 0
        assert hh.loc[member, "iit"] == pytest.approx(3_105, abs=FEN)


# ------------------------------------------------------ wages and transfers
def test_minimum_wage_time_weighted_2021_only_for_the_employed():
    """2021 tier 1 (Hangzhou urban): 2,010 a month until 31 July, 2,280 from 1
    August: 7 × 2,010 + 5 × 2,280 = 25,470 a year. The employed member's 12,000 is
    raised to it and pays on the floor 39,859.2: 8,968.32; disposable 16,501.68.
    The non-employed member's 12,000 is not raised and pays nothing."""
    minimum = 25_470.0
    hh = household(
        2021,
        members=[
            {"age": 30, "wage": 12_000, "employed": True},
            {"age": 31, "wage": 12_000, "employed": False},
        ],
        scenario=no_elderly(2021),
    )
    assert hh.loc[0, "wage_reported"] == 12_000
    assert hh.loc[0, "wage"] == pytest.approx(minimum, abs=FEN)
    assert hh.loc[0, "contributions"] == pytest.approx(8_968.32, abs=FEN)
    assert hh.loc[0, "disposable_income"] == pytest.approx(minimum - 8_968.32, abs=FEN)
    assert hh.loc[1, "wage"] == 12_000
    assert hh.loc[1, "contributions"] == 0
    assert hh.attrs["minimum_wage_annual"] == pytest.approx(minimum, abs=FEN)


def test_minimum_wage_tier_3_in_rural_lishui_2023():
    """Rural Lishui is tier 3: 1,840 × 12 = 22,080 a year in 2023."""
    hh = household(
        2023,
        members=[{"age": 30, "wage": 10_000}],
        urban=False,
        city="Lishui",
        scenario=no_elderly(2023),
    )
    assert hh.loc[0, "wage"] == 22_080


def test_residents_pension_and_dibao_rural_couple_2024():
    """2024, rural Lishui, aged 72 and 68, no income. Residents' pension 265 × 12 =
    3,180 each → 6,360. Dibao line 1,055 × 12 × 2 = 25,320; gap 25,320 − 6,360 =
    18,960; take-up 0.4 → 7,584. Disposable 13,944; per capita 6,972. With full
    take-up the household reaches the line exactly: 25,320."""
    members = [{"age": 72}, {"age": 68}]
    hh = household(2024, members=members, urban=False, city="丽水")
    t = total(hh)
    assert t["residents_pension"] == pytest.approx(6_360, abs=FEN)
    assert t["dibao"] == pytest.approx(7_584, abs=FEN)
    assert t["transfers"] == pytest.approx(13_944, abs=FEN)
    assert t["disposable_income"] == pytest.approx(13_944, abs=FEN)
    assert t["per_capita_disposable_income"] == pytest.approx(6_972, abs=FEN)
    assert np.isnan(hh.loc[0, "dibao"])
    full = household(
        2024,
        members=members,
        urban=False,
        city="丽水",
        scenario=status_quo(2024, transfers__dibao_take_up=1.0),
    )
    assert total(full)["disposable_income"] == pytest.approx(25_320, abs=FEN)


def test_employee_pension_is_untaxed_and_excludes_residents_pension_2021():
    """2021, retiree aged 66 with an employee pension of 60,000 (exempt, 个人所得税法
    第四条) and property income 20,000: property tax 0.2 × 0.15 × 20,000 = 600; no
    residents' pension (already pensioned). Disposable 79,400."""
    t = total(
        household(2021, members=[{"age": 66, "pension": 60_000, "property": 20_000}])
    )
    assert t["iit"] == 0
    assert t["property_tax"] == pytest.approx(600, abs=FEN)
    assert t["residents_pension"] == 0
    assert t["disposable_income"] == pytest.approx(79_400, abs=FEN)


def test_child_allowance_2025():
    """2025 national childcare subsidy, 300 a month per child under 3: the baby
    (age 2) gets 3,600, the child aged 3 nothing. Parent wage 150,000 (2025 floor
    4,986 × 12 = 59,832 < 150,000): contributions 33,750; deductions 60,000 +
    24,000 + 24,000; taxable 150,000 − 33,750 − 108,000 = 8,250 → 247.5.
    Disposable 150,000 − 33,750 − 247.5 + 3,600 = 119,602.5."""
    hh = household(
        2025,
        members=[{"age": 33, "wage": 150_000}, {"age": 2}, {"age": 3}],
        scenario=no_elderly(2025),
    )
    assert hh.loc[1, "child_allowance"] == 3_600
    assert hh.loc[2, "child_allowance"] == 0
    t = total(hh)
    assert t["iit"] == pytest.approx(247.5, abs=FEN)
    assert t["disposable_income"] == pytest.approx(119_602.5, abs=FEN)


# ----------------------------------------------------------------- business
def test_business_income_without_wage_gets_the_basic_deduction_2021():
    """Business 200,000, no wage: taxable 140,000 under 附表二: 30,000 × 5 % + 60,000
    × 10 % + 50,000 × 20 % = 1,500 + 6,000 + 10,000 = 17,500. Disposable 182,500."""
    t = total(household(2021, members=[{"age": 50, "business": 200_000}]))
    assert t["business_taxable_income"] == pytest.approx(140_000, abs=FEN)
    assert t["business_tax"] == pytest.approx(17_500, abs=FEN)
    assert t["iit_total"] == pytest.approx(17_500, abs=FEN)
    assert t["disposable_income"] == pytest.approx(182_500, abs=FEN)


def test_business_income_beside_a_wage_is_taxed_whole_2021():
    """Wage 100,000 (contributions 22,500; taxable 17,500 → 525) and business 80,000
    taxed without deduction: 1,500 + 50,000 × 10 % = 6,500. Disposable 100,000 +
    80,000 − 22,500 − 525 − 6,500 = 150,475."""
    t = total(
        household(
            2021,
            members=[{"age": 45, "wage": 100_000, "business": 80_000}],
            scenario=no_elderly(2021),
        )
    )
    assert t["iit"] == pytest.approx(525, abs=FEN)
    assert t["business_tax"] == pytest.approx(6_500, abs=FEN)
    assert t["disposable_income"] == pytest.approx(150_475, abs=FEN)


def test_business_loss_neither_offsets_wages_nor_raises_dibao_2021():
    """Alone, business −50,000, nothing else: no tax; income before dibao −50,000 is
    counted as 0, so the dibao is 0.4 × 835 × 12 = 4,008 (not 0.4 × 60,020).
    Disposable −50,000 + 4,008 = −45,992. With a wage of 100,000 beside a loss of
    30,000 the IIT stays 525."""
    t = total(household(2021, members=[{"age": 45, "business": -50_000}]))
    assert t["business_tax"] == 0
    assert t["dibao"] == pytest.approx(4_008, abs=FEN)
    assert t["disposable_income"] == pytest.approx(-45_992, abs=FEN)
    t = total(
        household(
            2021,
            members=[{"age": 45, "wage": 100_000, "business": -30_000}],
            scenario=no_elderly(2021),
        )
    )
    assert t["iit"] == pytest.approx(525, abs=FEN)
    assert t["business_tax"] == 0


# ------------------------------------------------------- same kernel as simulate
FAMILIES = [
    ([{"age": 40, "wage": 120_000}], True, "杭州"),
    (
        [
            {"age": 36, "wage": 250_000},
            {"age": 34, "wage": 150_000},
            {"age": 6},
            {"age": 1},
            {"age": 63, "pension": 30_000, "property": 5_000},
        ],
        True,
        "宁波",
    ),
    ([{"age": 72}, {"age": 68}], False, "丽水"),
    (
        [
            {"age": 45, "wage": 100_000, "business": -30_000},
            {"age": 44, "business": 90_000, "property": 12_000},
        ],
        False,
        "温州",
    ),
    ([{"age": 30, "wage": 9_000, "employed": True}, {"age": 2}], True, "衢州"),
]


@pytest.mark.parametrize("year", [2021, 2023, 2025])
@pytest.mark.parametrize(("members", "urban", "city"), FAMILIES)
def test_household_total_equals_simulate(members, urban, city, year):
    """Property: the household row is the row of simulate(...).households for the
    same family (same kernel, same household_id, hence the same elderly-support
    draws at the status-quo share 0.5), bit for bit."""
    hh = household(year, members=members, urban=urban, city=city, household_id=7)
    persons = pd.DataFrame(
        [
            {
                "household_id": 7,
                "age": m["age"],
                "employed": m.get("employed", m.get("wage", 0) > 0),
                **{
                    k: float(m.get(k, 0))
                    for k in ("wage", "business", "property", "pension")
                },
            }
            for m in members
        ]
    )
    pop = Population.from_frames(
        pd.DataFrame(
            {"household_id": [7], "weight": [3.0], "urban": [urban], "city": [city]}
        ),
        persons,
    )
    row = simulate(pop, Scenario.status_quo(year)).households.iloc[0]
    t = total(hh)
    for name in HOUSEHOLD_COLUMNS[4:]:
        assert t[name] == row[name], name


@pytest.mark.parametrize(("members", "urban", "city"), FAMILIES)
def test_accounting_identities(members, urban, city):
    """Properties of the table: gross − contributions − IIT = disposable on every
    row; the household disposable income is the persons' plus the dibao; the
    scheme contributions add up to the total; the household row sums the persons."""
    hh = household(2023, members=members, urban=urban, city=city)
    np.testing.assert_allclose(
        hh["gross_income"] - hh["contributions"] - hh["iit_total"],
        hh["disposable_income"],
        rtol=0,
        atol=1e-6,
    )
    parts = hh[
        [
            "contribution_pension",
            "contribution_medical",
            "contribution_unemployment",
            "contribution_housing_fund",
        ]
    ].sum(axis=1)
    np.testing.assert_allclose(parts, hh["contributions"], rtol=0, atol=1e-6)
    persons = hh.drop(index="household")
    t = total(hh)
    assert t["disposable_income"] == pytest.approx(
        persons["disposable_income"].sum() + t["dibao"], abs=1e-6
    )
    for name in (
        "wage",
        "contributions",
        "iit",
        "business_tax",
        "property_tax",
        "residents_pension",
        "child_allowance",
        "taxable_income",
    ):
        assert t[name] == pytest.approx(persons[name].sum(), abs=1e-6)
    assert list(hh.columns) == list(HOUSEHOLD_FRAME_COLUMNS)
    assert list(hh.index) == [*range(len(members)), "household"]


# ---------------------------------------------------------------- validation
def test_unknown_member_key_is_named_with_the_allowed_ones():
    with pytest.raises(PopulationError) as err:
        household(2021, members=[{"age": 40, "wages": 1_000}, {"age": 3, "sex": 1}])
    message = str(err.value)
    assert "members[0] has unknown key 'wages' (did you mean 'wage'?)" in message
    assert "members[1] has unknown key 'sex'" in message
    assert ", ".join(MEMBER_KEYS) in message


def test_member_problems_are_reported_together():
    with pytest.raises(PopulationError) as err:
        household(
            2021,
            members=[
                {"wage": 1_000},
                {"age": 30, "wage": "90000"},
                {"age": 30, "employed": "yes"},
            ],
        )
    message = str(err.value)
    assert "members[0] needs 'age'" in message
    assert "members[1]['wage'] must be a number" in message
    assert "members[2]['employed'] must be True or False" in message


def test_out_of_range_values_name_the_member_position():
    with pytest.raises(
        PopulationError, match=r"persons\.wage must be >= 0.*rows \[1\]"
    ):
        household(2021, members=[{"age": 40}, {"age": 30, "wage": -5}])
    with pytest.raises(PopulationError, match="age must be in 0–120"):
        household(2021, members=[{"age": 130}])


def test_bad_family_arguments():
    with pytest.raises(PopulationError, match="members is empty"):
        household(2021, members=[])
    with pytest.raises(PopulationError, match="members must be a list of dicts"):
        household(2021, members={"age": 40})
    with pytest.raises(PopulationError, match="city must be one of the 11"):
        household(2021, members=[{"age": 40}], city="上海")


def test_scenario_year_must_match_and_default_is_the_status_quo():
    with pytest.raises(ScenarioError, match="year=2021 but the scenario is for 2024"):
        household(2021, members=[{"age": 40}], scenario=Scenario.status_quo(2024))
    with pytest.raises(ScenarioError, match="no status-quo policy"):
        household(2019, members=[{"age": 40}])
    a = household(2024, members=[{"age": 40, "wage": 90_000}])
    b = household(
        2024, members=[{"age": 40, "wage": 90_000}], scenario=Scenario.status_quo(2024)
    )
    pd.testing.assert_frame_equal(a, b)


def test_housing_fund_is_no_fiscal_revenue(hand_scenario):
    """HAND_POLICY: rates 8 + 2 + 0.5 + 12 % on a base clipped to 3,000–20,000 a
    month. A: wage 120,000 (base 120,000); B: wage 300,000 (base 240,000, the
    ceiling). Contributions 27,000 + 54,000; housing fund 12 % of the bases,
    14,400 + 28,800. IIT: A 3 % of 33,000 = 990; B on 186,000 = 1,080 + 10,800 +
    8,400 = 20,280. No transfers. Weight 2 doubles every total."""
    pop = one_household([{"wage": 120_000.0}, {"wage": 300_000.0}], weight=2.0)
    fiscal = simulate(pop, hand_scenario).fiscal
    assert fiscal["social_insurance_contributions"] == pytest.approx(2 * 81_000.0)
    assert fiscal["housing_fund"] == pytest.approx(2 * 43_200.0)
    assert fiscal["social_insurance_fund_revenue"] == pytest.approx(2 * 37_800.0)
    assert fiscal["iit_revenue"] == pytest.approx(2 * 21_270.0)
    assert fiscal["transfer_spending"] == 0.0
    assert fiscal["net_revenue"] == pytest.approx(2 * (21_270.0 + 37_800.0))


def test_decimal_amounts_are_numbers_and_a_decimal_nan_is_named():
    """Decimals were refused as "must be a number" (Population.from_frames and
    Scenario.replace take them), and Decimal('NaN') would have raised
    decimal.InvalidOperation on the first comparison."""
    from decimal import Decimal

    as_decimal = household(
        2024, members=[{"age": Decimal(40), "wage": Decimal("120000.5")}]
    )
    as_float = household(2024, members=[{"age": 40, "wage": 120000.5}])
    pd.testing.assert_frame_equal(as_decimal, as_float)
    for bad in (Decimal("NaN"), Decimal("sNaN")):
        with pytest.raises(PopulationError, match=r"persons\.wage must be finite"):
            household(2024, members=[{"age": 40, "wage": bad}])
