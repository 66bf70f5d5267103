"""What ``simulate`` returns, read as an economist reads it, on hand-built households.

Every population here has at most eight households, so the file runs the same with
``CP_TEST_SMALL=1`` (no JIT). Expected values are worked out by hand from the rules
of ``HAND_POLICY`` (tests/conftest.py) and the indicators' definitions, never from
the library's own helpers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity import Population, Scenario, simulate
from commonprosperity.uncertainty import bootstrap
from tests.conftest import HAND_POLICY


def _population(households):
    """``households``: (weight, urban, city, [person dicts]) per household."""
    hh, persons = [], []
    for i, (weight, urban, city, members) in enumerate(households, start=1):
        hh.append({"household_id": i, "weight": weight, "urban": urban, "city": city})
        for m in members:
            persons.append(
                {
                    "household_id": i,
                    "age": m.get("age", 40),
                    "employed": m.get("employed", m.get("wage", 0.0) > 0),
                    "wage": float(m.get("wage", 0.0)),
                    "business": float(m.get("business", 0.0)),
                    "property": float(m.get("property", 0.0)),
                    "pension": float(m.get("pension", 0.0)),
                }
            )
    return Population.from_frames(pd.DataFrame(hh), pd.DataFrame(persons))


@pytest.fixture
def five():
    """Five households worked out by hand under HAND_POLICY (contribution rate
    0.225 on a base clipped to 36,000–240,000; basic deduction 60,000; child
    deductions 12,000 a child; dibao line 12,000 per person; residents' pension
    2,400):

    1. w 2, urban 杭州: wage 200,000 and a child of 10. Contributions 45,000;
       taxable 200,000 − 45,000 − 72,000 = 83,000; IIT 0.1 × 83,000 − 2,520 =
       5,780; disposable 149,220 (74,610 a head).
    2. w 1, rural 丽水: one person of 70, no income. Residents' pension 2,400,
       dibao 9,600; disposable 12,000.
    3. w 3, urban 宁波: wage 80,000 (contributions 18,000; taxable 80,000 −
       18,000 − 72,000 < 0 with an infant), a business income of 30,000 below
       the basic deduction and an infant; disposable 92,000 (30,666.67 a head).
    4. w 1.5, rural 杭州: a business loss of 20,000 and property income 10,000
       (tax 0.2 × 0.5 × 10,000 = 1,000): net −11,000, dibao the full 24,000;
       disposable 13,000 (6,500 a head).
    5. w 0.5, urban 丽水: wage 1,000,000. Contributions 0.225 × 240,000 =
       54,000; IIT 0.35 × 886,000 − 85,920 = 224,180; disposable 721,820.
    """
    return _population(
        [
            (2.0, True, "杭州", [{"wage": 200_000}, {"age": 10}]),
            (1.0, False, "丽水", [{"age": 70}]),
            (
                3.0,
                True,
                "宁波",
                [{"wage": 80_000}, {"age": 38, "business": 30_000}, {"age": 1}],
            ),
            (
                1.5,
                False,
                "杭州",
                [{"age": 50, "business": -20_000}, {"age": 48, "property": 10_000}],
            ),
            (0.5, True, "丽水", [{"age": 30, "wage": 1_000_000}]),
        ]
    )


# Persons: 2·2 + 1 + 3·3 + 1.5·2 + 0.5 = 17.5; urban persons 13.5, rural 4.
HAND = {
    "per_capita_disposable_income": (
        2 * 149_220 + 12_000 + 3 * 92_000 + 1.5 * 13_000 + 0.5 * 721_820
    )
    / 17.5,
    "urban_per_capita_disposable_income": (2 * 149_220 + 3 * 92_000 + 0.5 * 721_820)
    / 13.5,
    "rural_per_capita_disposable_income": (12_000 + 1.5 * 13_000) / 4,
    # 杭州 (4 + 3 persons), 宁波, 丽水 (1 + 0.5 persons)
    "city_max_min_ratio": ((12_000 + 0.5 * 721_820) / 1.5) / ((3 * 92_000) / 9),
    "band_share_100k_500k": 2.0 / 8.0,  # only household 1 (149,220)
    "band_share_200k_600k": 0.0,
    "urbanization_rate": 13.5 / 17.5,
    "iit_revenue": 2 * 5_780 + 1.5 * 1_000 + 0.5 * 224_180,
    "social_insurance_contributions": 2 * 45_000 + 3 * 18_000 + 0.5 * 54_000,
    "transfer_spending": 9_600 + 2_400 + 1.5 * 24_000,
}


def _gini_pairs(x, w):
    """The population Gini over persons from its O(n²) definition."""
    mean = np.sum(w * x) / np.sum(w)
    return np.sum(w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])) / (
        2 * np.sum(w) ** 2 * mean
    )


def test_mutating_what_a_result_returns_changes_neither_it_nor_its_tables(five):
    """Result is documented immutable, but handed out its own pandas objects and
    dicts: ``r.households.loc[:, "disposable_income"] = 0`` made every person
    poor in ``r.poverty()`` and emptied the deciles, and ``ind = r.indicators;
    ind /= 1e4`` (showing 万元) rewrote T1 in ``r.targets()``."""
    r = simulate(five, Scenario.from_dict(HAND_POLICY))

    hh = r.households
    hh.loc[:, "disposable_income"] = 0.0
    ind = r.indicators
    ind /= 1e4
    ind["gini"] = 0.0
    fiscal = r.fiscal
    fiscal["iit_revenue"] = 0.0
    cities = r.city_per_capita
    cities["杭州"] = 0.0
    r.undefined["gini"] = "tampered"
    r.provenance["scenario"]["year"] = 1999

    for name, expected in HAND.items():
        assert r.indicators[name] == pytest.approx(expected, rel=1e-12), name
    pc = np.array([74_610.0, 12_000.0, 92_000 / 3, 6_500.0, 721_820.0])
    pw = np.array([4.0, 1.0, 9.0, 3.0, 0.5])
    assert r.indicators["gini"] == pytest.approx(_gini_pairs(pc, pw), rel=1e-12)
    assert r.fiscal["iit_revenue"] == HAND["iit_revenue"]
    assert r.city_per_capita["杭州"] == pytest.approx((2 * 149_220 + 19_500) / 7)
    assert "gini" not in r.undefined
    assert r.provenance["scenario"]["year"] == 2021
    assert r.households["disposable_income"].tolist() == pytest.approx(
        [149_220.0, 12_000.0, 92_000.0, 13_000.0, 721_820.0]
    )
    t = r.targets()
    assert t.loc["T1", "value"] == pytest.approx(HAND["per_capita_disposable_income"])
    assert t.loc["T1", "gap"] == pytest.approx(
        75_000 - HAND["per_capita_disposable_income"]
    )
    # Poverty at the dibao line (12,000 a head): household 4 (3 persons at 6,500)
    # is poor; household 2 sits exactly on the line.
    pov = r.poverty()
    assert pov.loc["dibao", "headcount"] == pytest.approx(3 / 17.5)
    assert pov.loc["dibao", "poverty_gap"] == pytest.approx(3 * (1 - 6.5 / 12) / 17.5)
    # The person-weighted median: cumulative persons 3, 4, 13 of 17.5 → 宁波.
    assert pov.loc["50% median", "line"] == pytest.approx(0.5 * 92_000 / 3)
    dec = r.deciles()
    assert dec["disposable_income"].dropna().tolist() == pytest.approx(
        sorted(pc.tolist())
    )


def test_a_negative_urban_income_leaves_the_urban_rural_ratio_undefined():
    """Urban per-capita income −488,000 (a business loss of 500,000 plus the
    12,000 dibao), rural 100,000: the ratio was −4.88 and T4 (< 1.9) read as met.
    A ratio of a negative to a positive income is no income gap; the cities'
    ratio already requires positive incomes."""
    pop = _population(
        [
            (1.0, True, "杭州", [{"business": -500_000}]),
            (1.0, False, "宁波", [{"age": 70, "pension": 100_000}]),
        ]
    )
    r = simulate(pop, Scenario.from_dict(HAND_POLICY))
    assert r.indicators["urban_per_capita_disposable_income"] == -488_000.0
    assert r.indicators["rural_per_capita_disposable_income"] == 100_000.0
    assert math.isnan(r.indicators["urban_rural_ratio"])
    assert (
        "urban per-capita income is not positive" in (r.undefined["urban_rural_ratio"])
    )
    t4 = r.targets().loc["T4"]
    assert pd.isna(t4["met"])
    assert "urban per-capita income is not positive" in t4["note"]
    # A zero urban income is no gap either.
    zero = _population(
        [
            (1.0, True, "杭州", [{"age": 70, "business": -12_000}]),
            (1.0, False, "宁波", [{"age": 70, "pension": 100_000}]),
        ]
    )
    scenario = Scenario.from_dict(HAND_POLICY).replace(
        {"transfers.dibao_monthly": 0.0, "transfers.residents_pension_monthly": 0.0}
    )
    r = simulate(zero, scenario)
    assert r.indicators["urban_per_capita_disposable_income"] == -12_000.0
    assert math.isnan(r.indicators["urban_rural_ratio"])


def test_bracket_gini_bounds_say_why_they_are_undefined():
    """Two households with business losses: mean per-capita income −288,000. In
    bracket mode ``gini_lower`` and ``gini_upper`` were NaN without a reason in
    ``undefined`` (every NaN indicator must have one)."""
    pop = _population(
        [
            (1.0, True, "杭州", [{"business": -500_000}]),
            (1.0, False, "宁波", [{"business": -100_000}]),
        ]
    )
    r = simulate(pop, Scenario.from_dict(HAND_POLICY), gini="bracket")
    assert r.indicators["per_capita_disposable_income"] == -288_000.0
    nan = {k for k, v in r.indicators.items() if math.isnan(v)}
    assert {"gini", "gini_lower", "gini_upper"} <= nan
    assert nan == set(r.undefined)


def test_an_exact_one_percent_change_is_on_the_one_percent_threshold():
    """Wage growth of 1 % for persons not employed (no contributions, no minimum
    wage) with wages below the basic deduction (no tax): each household's income
    rises by exactly 1 %. Rounding put 12,345.67 and 40,000.4 an ulp above 1 %
    (winners) and 33,333.33 and 45,678.9 an ulp below (not), so the same reform
    made a quarter of the persons "gain more than 1 %" at random."""
    wages = [12_345.67, 30_000.0, 33_333.33, 45_678.9, 50_000.0, 40_000.4]
    pop = _population(
        [(1.0, True, "杭州", [{"wage": w, "employed": False}]) for w in wages]
    )
    base = Scenario.from_dict(HAND_POLICY).replace({"transfers.dibao_monthly": 0.0})
    r = simulate(pop, base)
    reform = simulate(pop, base.replace({"wages.growth_rate": 0.01}))
    assert r.households["disposable_income"].tolist() == wages
    at_1 = r.winners_losers(reform, threshold=0.01)
    assert at_1.loc["all", "gain_share"] == 0.0
    assert at_1.loc["all", "no_change_share"] == 1.0
    assert at_1.loc["all", "mean_change"] == pytest.approx(sum(wages) / 100 / 6)
    assert r.winners_losers(reform, threshold=0.0099).loc["all", "gain_share"] == 1.0
    # And back: each loses exactly 1/1.01 − 1 ≈ 0.99 %, so nobody at 1 % either.
    back = reform.winners_losers(r, threshold=0.01)
    assert back.loc["all", "lose_share"] == 0.0


def test_threads_accepts_a_numpy_integer_and_names_bad_values(five):
    """``threads=np.int64(1)`` (e.g. from a config array) was rejected as "must be
    an integer … got np.int64(1)"."""
    s = Scenario.from_dict(HAND_POLICY)
    a = simulate(five, s, threads=np.int64(1))
    b = simulate(five, s)
    assert a.indicators.equals(b.indicators)
    for bad in (0, True, 1.0, np.True_):
        with pytest.raises(cp.CommonProsperityError, match=r"threads must be .*got"):
            simulate(five, s, threads=bad)


def test_repr_names_how_the_gini_was_computed(five):
    """The repr said neither that the Gini was the histogram bracket estimate."""
    r = simulate(five, Scenario.from_dict(HAND_POLICY), gini="bracket")
    text = repr(r)
    assert text == str(r)
    assert "per_capita_disposable_income=55,249" in text
    assert "gini_method='bracket'" in text


@pytest.mark.parametrize(
    ("basis", "fragment"),
    [("household", "household disposable income"), ("three_person", "3 × per-capita")],
)
def test_band_targets_name_their_basis(basis, fragment):
    """T2 and T3 depend on the band basis; official figures use the three-person
    one, so the targets frame says which one it read."""
    pop = cp.synthetic_population(300, seed=4)
    t = simulate(pop, Scenario.status_quo(2025), band_basis=basis).targets()
    for tid in ("T2", "T3"):
        assert fragment in t.at[tid, "note"]
    assert t.at["T1", "note"] == ""


@pytest.mark.parametrize(
    "call",
    [
        lambda r: simulate(r.population, r.scenario, gini="median"),
        lambda r: simulate(r.population, r.scenario, band_basis="person"),
        lambda r: simulate(r.population, r.scenario, threads=0),
        lambda r: r.winners_losers(r, threshold=-0.01),
        lambda r: r.by_group("province"),
        lambda r: bootstrap(r, "gini", n=5),
        lambda r: bootstrap(r, "gini", method="jackknife"),
        lambda r: cp.project(r.population.with_year(2023), 2025, growth="fast"),
    ],
)
def test_a_bad_argument_is_a_value_error(call):
    """Errors are catchable as ValueError (DESIGN.md) and as the library's own
    base class, with the argument named."""
    pop = cp.synthetic_population(200, seed=5)
    r = simulate(pop, Scenario.status_quo(2023))
    with pytest.raises(ValueError) as info:
        call(r)
    assert isinstance(info.value, cp.ArgumentError)
    assert isinstance(info.value, cp.CommonProsperityError)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (
            lambda r: cp.sweep(
                r.population, r.scenario, {"wages.growth_rate": [0.0]}, engine="mpi"
            ),
            "engine must be one of",
        ),
        (
            lambda r: cp.solve(
                r.population,
                r.scenario,
                lever="transfers.dibao_monthly",
                target="gini <= 0.4",
                bounds=(5, 1),
            ),
            "lo < hi",
        ),
        (lambda r: cp.cheapest(pd.DataFrame(), targets=()), "targets is empty"),
    ],
)
def test_sweep_and_solve_argument_errors_are_value_errors(call, fragment):
    r = simulate(cp.synthetic_population(200, seed=5), Scenario.status_quo(2023))
    with pytest.raises(ValueError, match=fragment) as info:
        call(r)
    assert isinstance(info.value, cp.ArgumentError)


def test_t6_note_names_the_urban_basis():
    """T6 read "not met" (68.3 % in 2024) on the default survey-basis baseline with
    no note, while the official urbanisation rate was 75.5 % (2024 bulletin)."""
    sq = Scenario.status_quo(2024)
    survey = simulate(cp.baseline(2024, 1_000), sq).targets().loc["T6"]
    assert "survey-implied urban share" in survey["note"]
    census = simulate(cp.baseline(2024, 1_000, urban_definition="census"), sq)
    t6 = census.targets().loc["T6"]
    assert t6["value"] == pytest.approx(0.755, abs=1e-6)
    assert (
        t6["note"] == "urban basis: the official urbanisation rate (census definition)"
    )
