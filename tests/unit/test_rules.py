"""Hand-computed households: every rule of the model, derived in each docstring.

Policy: tests/conftest.py HAND_POLICY (the law's IIT tables; contributions 22.5 %
of the wage clipped to [36,000, 240,000] a year; basic deduction 60,000; dibao
line 12,000 per person a year; residents' pension 2,400 a year). Hangzhou urban
is minimum-wage tier 1 (24,000 a year) in the shipped tier table.
"""

import numpy as np
import pytest

from commonprosperity import Scenario, simulate
from commonprosperity._kernels.rules import quick_deductions
from tests.conftest import HAND_POLICY, one_household


def flows(members, scenario, **kw):
    pop = one_household(members, **kw)
    return simulate(pop, scenario).households.iloc[0]


def test_quick_deductions_match_the_law_tables():
    """个人所得税法 附表一 and 附表二 print the quick deductions
    0/2,520/16,920/31,920/52,920/85,920/181,920 and 0/1,500/10,500/40,500/65,500."""
    it = HAND_POLICY["income_tax"]
    qd = quick_deductions(
        np.array(it["thresholds"], float), np.array(it["rates"], float)
    )
    np.testing.assert_allclose(
        qd, [0, 2_520, 16_920, 31_920, 52_920, 85_920, 181_920], rtol=0, atol=1e-6
    )
    bqd = quick_deductions(
        np.array(it["business_thresholds"], float),
        np.array(it["business_rates"], float),
    )
    np.testing.assert_allclose(
        bqd, [0, 1_500, 10_500, 40_500, 65_500], rtol=0, atol=1e-6
    )


def test_single_employee_first_bracket(hand_scenario):
    """wage 120,000: contributions 0.225 × 120,000 = 27,000; taxable 120,000 −
    27,000 − 60,000 = 33,000 → 3 % = 990; disposable 120,000 − 27,000 − 990 = 92,010."""
    f = flows([{"age": 40, "wage": 120_000}], hand_scenario)
    assert f["contributions"] == pytest.approx(27_000, abs=1e-6)
    assert f["iit"] == pytest.approx(990, abs=1e-6)
    assert f["disposable_income"] == pytest.approx(92_010, abs=1e-6)
    assert f["dibao"] == 0


def test_contribution_ceiling_and_third_bracket(hand_scenario):
    """wage 300,000: contributions on the ceiling 0.225 × 240,000 = 54,000; taxable
    186,000 → 20 % − 16,920 = 20,280; disposable 300,000 − 54,000 − 20,280 = 225,720."""
    f = flows([{"age": 45, "wage": 300_000}], hand_scenario)
    assert f["contributions"] == pytest.approx(54_000)
    assert f["iit"] == pytest.approx(20_280)
    assert f["disposable_income"] == pytest.approx(225_720)


def test_minimum_wage_and_contribution_floor(hand_scenario):
    """employed, wage 20,000 in tier 1 → raised to 12 × 2,000 = 24,000; contributions
    on the floor 0.225 × 36,000 = 8,100; no tax; disposable 24,000 − 8,100 = 15,900."""
    f = flows([{"age": 30, "wage": 20_000, "employed": True}], hand_scenario)
    assert f["wage"] == pytest.approx(24_000)
    assert f["contributions"] == pytest.approx(8_100)
    assert f["iit"] == 0
    assert f["disposable_income"] == pytest.approx(15_900)


def test_not_employed_wage_is_neither_raised_nor_contributory(hand_scenario):
    """not employed, wage 20,000: no minimum wage, no contributions, no tax; dibao
    line 12,000 < 20,000 → disposable 20,000."""
    f = flows([{"age": 30, "wage": 20_000, "employed": False}], hand_scenario)
    assert f["wage"] == 20_000
    assert f["contributions"] == 0
    assert f["disposable_income"] == pytest.approx(20_000)


def test_child_deductions_go_to_highest_wage_adult(hand_scenario):
    """A 200,000 and B 100,000, children aged 5 and 1. A takes 12 × 1,000 (education)
    + 12 × 1,000 (infant) = 24,000: taxable 200,000 − 45,000 − 60,000 − 24,000 =
    71,000 → 10 % − 2,520 = 4,580. B: 100,000 − 22,500 − 60,000 = 17,500 → 525.
    Disposable 300,000 − 67,500 − 5,105 = 227,395."""
    f = flows(
        [
            {"age": 35, "wage": 200_000},
            {"age": 33, "wage": 100_000},
            {"age": 5},
            {"age": 1},
        ],
        hand_scenario,
    )
    assert f["iit"] == pytest.approx(5_105)
    assert f["disposable_income"] == pytest.approx(227_395)


def test_business_income_alone_gets_the_basic_deduction(hand_scenario):
    """no wage, business 150,000: taxable 90,000 (bracket 30k–90k, 10 % − 1,500) =
    7,500; disposable 142,500."""
    f = flows([{"age": 45, "business": 150_000}], hand_scenario)
    assert f["business_tax"] == pytest.approx(7_500)
    assert f["disposable_income"] == pytest.approx(142_500)


def test_business_income_beside_a_wage_has_no_basic_deduction(hand_scenario):
    """wage 100,000 (contributions 22,500, IIT on 17,500 = 525) and business 50,000
    taxed whole: 10 % − 1,500 = 3,500. Disposable 150,000 − 22,500 − 525 − 3,500 =
    123,475."""
    f = flows([{"age": 45, "wage": 100_000, "business": 50_000}], hand_scenario)
    assert f["business_tax"] == pytest.approx(3_500)
    assert f["iit"] == pytest.approx(525)
    assert f["disposable_income"] == pytest.approx(123_475)


def test_business_loss_does_not_offset_wages(hand_scenario):
    """wage 100,000, business −30,000: IIT 525 as without the loss, no business tax;
    disposable 100,000 − 30,000 − 22,500 − 525 = 46,975."""
    f = flows([{"age": 45, "wage": 100_000, "business": -30_000}], hand_scenario)
    assert f["iit"] == pytest.approx(525)
    assert f["business_tax"] == 0
    assert f["disposable_income"] == pytest.approx(46_975)


def test_property_tax_and_tax_free_pension(hand_scenario):
    """retiree 65, pension 40,000 (exempt), property 10,000: tax 0.2 × 0.5 × 10,000
    = 1,000; no residents' pension (has a pension); disposable 49,000."""
    f = flows([{"age": 65, "pension": 40_000, "property": 10_000}], hand_scenario)
    assert f["property_tax"] == pytest.approx(1_000)
    assert f["iit"] == 0
    assert f["residents_pension"] == 0
    assert f["disposable_income"] == pytest.approx(49_000)


def test_residents_pension_and_dibao_top_up(hand_scenario):
    """alone, 70, no pension, not employed: residents' pension 12 × 200 = 2,400; net
    2,400 < line 12,000 → dibao 9,600; disposable 12,000."""
    f = flows([{"age": 70}], hand_scenario)
    assert f["residents_pension"] == pytest.approx(2_400)
    assert f["dibao"] == pytest.approx(9_600)
    assert f["disposable_income"] == pytest.approx(12_000)


def test_dibao_take_up_is_an_expected_value(hand_scenario):
    """three persons without income, take-up 0.5: line 3 × 12,000 = 36,000, gap
    36,000 → dibao 18,000."""
    s = hand_scenario.replace({"transfers.dibao_take_up": 0.5})
    f = flows([{"age": 40}, {"age": 38}, {"age": 10}], s)
    assert f["dibao"] == pytest.approx(18_000)
    assert f["disposable_income"] == pytest.approx(18_000)


def test_child_allowance_and_infant_deduction(hand_scenario):
    """allowance 300 a month for children under 3: infant aged 1 gets 3,600, child
    aged 4 none. Parent wage 80,000: contributions 18,000, deductions 60,000 +
    12,000 + 12,000 → taxable < 0. Disposable 80,000 − 18,000 + 3,600 = 65,600."""
    s = hand_scenario.replace({"transfers.child_allowance_monthly": 300})
    f = flows([{"age": 30, "wage": 80_000}, {"age": 1}, {"age": 4}], s)
    assert f["child_allowance"] == pytest.approx(3_600)
    assert f["iit"] == 0
    assert f["disposable_income"] == pytest.approx(65_600)


def test_elderly_support_for_claimants_aged_25_to_59(hand_scenario):
    """share 1: age 40, wage 100,000 deducts 24,000 more → taxable −6,500 → no tax;
    age 60 with the same wage is outside 25–59 → taxable 17,500 → 525."""
    s = hand_scenario.replace({"income_tax.elderly_support_share": 1.0})
    assert flows([{"age": 40, "wage": 100_000}], s)["iit"] == 0
    assert flows([{"age": 60, "wage": 100_000}], s)["iit"] == pytest.approx(525)


def test_wage_growth(hand_scenario):
    """growth 10 %: 100,000 → 110,000; contributions 24,750; taxable 25,250 → 757.5;
    disposable 84,492.5."""
    s = hand_scenario.replace({"wages.growth_rate": 0.10})
    f = flows([{"age": 40, "wage": 100_000}], s)
    assert f["wage"] == pytest.approx(110_000)
    assert f["iit"] == pytest.approx(757.5)
    assert f["disposable_income"] == pytest.approx(84_492.5)


def test_top_bracket(hand_scenario):
    """wage 1,200,000: contributions 54,000; taxable 1,086,000 → 45 % − 181,920 =
    306,780; disposable 839,220."""
    f = flows([{"age": 50, "wage": 1_200_000}], hand_scenario)
    assert f["iit"] == pytest.approx(306_780)
    assert f["disposable_income"] == pytest.approx(839_220)


def test_business_loss_does_not_raise_dibao_above_the_line(hand_scenario):
    """business −20,000 alone: net −20,000 counts as 0 for the means test, dibao
    tops up the full line 12,000; disposable −20,000 + 12,000 = −8,000."""
    f = flows([{"age": 40, "business": -20_000}], hand_scenario)
    assert f["dibao"] == pytest.approx(12_000)
    assert f["disposable_income"] == pytest.approx(-8_000)


def test_law_table_cases_status_quo_2021():
    """Independent cases from the law's table with the shipped 2021 policy: a
    taxable income of exactly 144,000 pays 144,000 × 10 % − 2,520 = 11,880 (the
    bracket edge); 420,000 pays 420,000 × 25 % − 31,920 = 73,080."""
    s = Scenario.status_quo(2021).replace(
        {
            "social_insurance.pension_rate": 0.0,
            "social_insurance.medical_rate": 0.0,
            "social_insurance.unemployment_rate": 0.0,
            "social_insurance.housing_fund_rate": 0.0,
            "income_tax.elderly_support_share": 0.0,
        }
    )
    basic = s.income_tax.basic_deduction
    assert flows([{"age": 40, "wage": 144_000 + basic}], s)["iit"] == pytest.approx(
        11_880
    )
    assert flows([{"age": 40, "wage": 420_000 + basic}], s)["iit"] == pytest.approx(
        73_080
    )


def test_child_allowance_is_not_income_for_the_dibao_test(hand_scenario):
    """two adults without income and an infant; allowance 300 a month for children
    under 3: the dibao gap is the full line 3 × 12,000 = 36,000 (the 3,600 allowance
    is not counted as income), so disposable = 36,000 + 3,600 = 39,600."""
    s = hand_scenario.replace({"transfers.child_allowance_monthly": 300})
    f = flows([{"age": 30}, {"age": 29}, {"age": 1}], s)
    assert f["dibao"] == pytest.approx(36_000)
    assert f["disposable_income"] == pytest.approx(39_600)
