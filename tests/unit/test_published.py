"""Tests of commonprosperity.published: the shipped, cited status-quo policy values.

Expected values are written out here from /work/shared/zhejiang-statistics.md (the
"shared file") and from the individual income tax law, not read back from the data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from fractions import Fraction

import pytest

from commonprosperity import published
from commonprosperity.errors import PopulationError, ScenarioError
from commonprosperity.published import (
    CITIES,
    CITY_NAMES_EN,
    POLICY_YEARS,
    PROVINCE,
    PublishedValue,
    city_label,
    minimum_wage_tier,
    minimum_wage_tiers,
    policy_values,
    weak_values,
)

YEARS = (2020, 2021, 2022, 2023, 2024, 2025)

EXPECTED_KEYS = {
    "wages.minimum_wage_monthly_tier1",
    "wages.minimum_wage_monthly_tier2",
    "wages.minimum_wage_monthly_tier3",
    "social_insurance.pension_rate",
    "social_insurance.medical_rate",
    "social_insurance.unemployment_rate",
    "social_insurance.housing_fund_rate",
    "social_insurance.base_floor_monthly",
    "social_insurance.base_ceiling_monthly",
    "income_tax.thresholds",
    "income_tax.rates",
    "income_tax.basic_deduction",
    "income_tax.child_education_monthly",
    "income_tax.infant_care_monthly",
    "income_tax.elderly_support_monthly",
    "income_tax.elderly_support_share",
    "income_tax.business_thresholds",
    "income_tax.business_rates",
    "income_tax.property_rate",
    "income_tax.taxable_property_share",
    "transfers.dibao_monthly",
    "transfers.dibao_take_up",
    "transfers.residents_pension_monthly",
    "transfers.child_allowance_monthly",
    "transfers.child_allowance_max_age",
}

# Months of 2021 before and after the 1 Aug 2021 minimum-wage change (a monthly
# standard, paid by the month).
MONTHS_OLD = 7
MONTHS_NEW = 5

# Zhejiang minimum wage (shared file §10): Dec 2017 tiers 1-3 (R), 1 Aug 2021 (A/B),
# 1 Jan 2024 (B); 2025: no change found.
OLD_WAGE = (2010, 1800, 1660)
WAGE_2021 = (2280, 2070, 1840)
WAGE_2024 = (2490, 2260, 2010)


def _mix(old: float, new: float) -> float:
    return (MONTHS_OLD * old + MONTHS_NEW * new) / 12


# key -> value in 2020 ... 2025, from the shared file and the law.
EXPECTED_SCALARS: dict[str, tuple[float, ...]] = {
    **{
        f"wages.minimum_wage_monthly_tier{t + 1}": (
            OLD_WAGE[t],
            _mix(OLD_WAGE[t], WAGE_2021[t]),
            WAGE_2021[t],
            WAGE_2021[t],
            WAGE_2024[t],
            WAGE_2024[t],
        )
        for t in range(3)
    },
    "social_insurance.pension_rate": (0.08,) * 6,
    "social_insurance.medical_rate": (0.02,) * 6,
    "social_insurance.unemployment_rate": (0.005,) * 6,
    "social_insurance.housing_fund_rate": (0.12,) * 6,
    "income_tax.basic_deduction": (60_000,) * 6,
    "income_tax.child_education_monthly": (1000, 1000, 1000, 2000, 2000, 2000),
    "income_tax.infant_care_monthly": (0, 0, 1000, 2000, 2000, 2000),
    "income_tax.elderly_support_monthly": (2000, 2000, 2000, 3000, 3000, 3000),
    "income_tax.property_rate": (0.20,) * 6,
    "transfers.child_allowance_monthly": (0, 0, 0, 0, 0, 3600 / 12),
    "transfers.child_allowance_max_age": (3,) * 6,
}

# 个人所得税法 附表一 and 附表二: lower bounds of the annual brackets and their rates.
LAW_THRESHOLDS = (0, 36_000, 144_000, 300_000, 420_000, 660_000, 960_000)
LAW_RATES = (0.03, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45)
LAW_BUSINESS_THRESHOLDS = (0, 30_000, 90_000, 300_000, 500_000)
LAW_BUSINESS_RATES = (0.05, 0.10, 0.20, 0.30, 0.35)


# --- keys, grades, sources ---------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_every_schema_key_is_present_and_nothing_else(year: int) -> None:
    values = policy_values(year)
    assert set(values) == EXPECTED_KEYS
    assert all(v.key == k for k, v in values.items())
    assert not any("quick" in k for k in values)
    assert "wages.growth_rate" not in values


@pytest.mark.parametrize("year", YEARS)
def test_every_value_has_source_unit_and_valid_grade(year: int) -> None:
    for value in policy_values(year).values():
        assert isinstance(value, PublishedValue)
        assert value.source.strip(), value.key
        assert value.unit.strip(), value.key
        assert value.grade in {"A", "B", "C", "R"}, value.key
        if value.grade == "C":
            assert "Method:" in value.note, value.key
        if value.grade == "R":
            assert value.note.strip(), value.key


def test_policy_years_constant() -> None:
    assert POLICY_YEARS == YEARS


# --- values --------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(EXPECTED_SCALARS))
@pytest.mark.parametrize("index", range(6))
def test_scalar_values_match_cited_ones(key: str, index: int) -> None:
    year = YEARS[index]
    assert policy_values(year)[key].value == EXPECTED_SCALARS[key][index]


@pytest.mark.parametrize("year", YEARS)
def test_tax_schedules_are_the_law(year: int) -> None:
    values = policy_values(year)
    assert values["income_tax.thresholds"].value == LAW_THRESHOLDS
    assert values["income_tax.rates"].value == LAW_RATES
    assert values["income_tax.business_thresholds"].value == LAW_BUSINESS_THRESHOLDS
    assert values["income_tax.business_rates"].value == LAW_BUSINESS_RATES
    for key in ("thresholds", "rates", "business_thresholds", "business_rates"):
        value = values[f"income_tax.{key}"]
        assert isinstance(value.value, tuple)
        assert value.grade == "A"


def test_quick_deductions_follow_from_stored_schedule() -> None:
    # The law's quick deductions (附表一) are reproduced from thresholds and rates,
    # which is why they need not be stored.
    values = policy_values(2023)
    thresholds = values["income_tax.thresholds"].value
    rates = values["income_tax.rates"].value
    assert isinstance(thresholds, tuple)
    assert isinstance(rates, tuple)
    quick = [0.0]
    for i in range(1, len(rates)):
        quick.append(quick[-1] + thresholds[i] * (rates[i] - rates[i - 1]))
    assert [round(q) for q in quick] == [
        0,
        2520,
        16920,
        31920,
        52920,
        85920,
        181920,
    ]


def test_infant_care_deduction_starts_in_2022_and_doubles_in_2023() -> None:
    key = "income_tax.infant_care_monthly"
    assert policy_values(2021)[key].value == 0
    assert policy_values(2022)[key].value == 1000
    assert policy_values(2023)[key].value == 2000


def test_2023_deduction_raise_shows_in_2023_not_2022() -> None:
    before, after = policy_values(2022), policy_values(2023)
    assert before["income_tax.child_education_monthly"].value == 1000
    assert after["income_tax.child_education_monthly"].value == 2000
    assert before["income_tax.elderly_support_monthly"].value == 2000
    assert after["income_tax.elderly_support_monthly"].value == 3000
    assert "2023" in after["income_tax.child_education_monthly"].source


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_2021_minimum_wage_is_weighted_by_months(tier: int) -> None:
    """A full-year minimum-wage employee is paid 7 months at the old standard and 5
    at the new: 7 x 2,010 + 5 x 2,280 = 25,470 a year in tier 1 (by days, 212 and
    153, it was 25,478.14)."""
    value = policy_values(2021)[f"wages.minimum_wage_monthly_tier{tier}"]
    old, new = OLD_WAGE[tier - 1], WAGE_2021[tier - 1]
    assert value.value == (7 * old + 5 * new) / 12
    assert 12 * value.value == pytest.approx(7 * old + 5 * new, abs=1e-9)
    assert value.grade == "R"  # the weakest of the R and B segments
    assert "2017" in value.source
    assert "chinadaily" in value.source
    assert "(7 mo)" in value.source
    assert "(5 mo)" in value.source


def test_a_change_inside_a_month_counts_that_months_days() -> None:
    """From 16 March (of 31 days: 16 days at the new value), a year of 11 + 15/31
    months at the old value and 16/31 + 9 at the new."""
    from commonprosperity.published import _month_share

    old = _month_share(dt.date(2021, 1, 1), dt.date(2021, 3, 16), 2021)
    new = _month_share(dt.date(2021, 3, 16), dt.date(2022, 1, 1), 2021)
    assert old == 2 + Fraction(15, 31)
    assert new == 9 + Fraction(16, 31)
    assert old + new == 12


def test_old_minimum_wage_keeps_its_r_grade_and_says_why() -> None:
    value = policy_values(2020)["wages.minimum_wage_monthly_tier1"]
    assert value.grade == "R"
    assert "A/B" in value.note
    assert "tier 4" in value.note  # the mapping of the old four tiers is stated


def test_minimum_wage_sources_after_2021() -> None:
    assert policy_values(2022)["wages.minimum_wage_monthly_tier2"].grade == "B"
    assert "people.cn" in policy_values(2024)["wages.minimum_wage_monthly_tier3"].source


def test_contribution_bases() -> None:
    floor = "social_insurance.base_floor_monthly"
    ceiling = "social_insurance.base_ceiling_monthly"
    # Hangzhou 2021 (B).
    assert policy_values(2021)[floor].value == 3321.6
    assert policy_values(2021)[ceiling].value == 17880.75
    assert policy_values(2021)[floor].grade == "B"
    # Later years: 60 % / 300 % of the all-employee average wage of year t-2 (C).
    averages = {2022: 79_133, 2023: 89_240, 2024: 96_237, 2025: 99_722}
    for year, annual in averages.items():
        values = policy_values(year)
        assert abs(values[floor].value - 0.6 * annual / 12) <= 1
        # Rounding the monthly mean first may move the ceiling by up to 1.5 + 0.5.
        assert abs(values[ceiling].value - 3 * annual / 12) <= 2
        # 2022's: the shared file's "C (R for the effective dates)" (Part 2 §5b).
        expected = "R" if year == 2022 else "C"
        assert values[floor].grade == values[ceiling].grade == expected
    assert policy_values(2025)[ceiling].value == 24_930  # third-party cross-check
    # The floor never exceeds the ceiling.
    for year in YEARS:
        values = policy_values(year)
        assert values[floor].value < values[ceiling].value


def test_dibao_placeholders_follow_the_stated_method() -> None:
    # 30 % of the previous year's all-resident consumption (shared file Part 2 §2).
    consumption = {2022: 36_668, 2023: 38_971, 2024: 42_194, 2025: 45_107}
    for year, previous in consumption.items():
        value = policy_values(year)["transfers.dibao_monthly"]
        assert abs(value.value - 0.30 * previous / 12) <= 0.5
        assert value.grade == "C"
        assert "Method:" in value.note
    lines = [policy_values(y)["transfers.dibao_monthly"].value for y in YEARS]
    assert lines == sorted(lines)
    assert policy_values(2020)["transfers.dibao_monthly"].grade in {"C", "R"}


def test_assumed_shares_are_graded_r_and_in_range() -> None:
    for year in YEARS:
        values = policy_values(year)
        for key in (
            "income_tax.elderly_support_share",
            "income_tax.taxable_property_share",
            "transfers.dibao_take_up",
        ):
            assert values[key].grade == "R"
            value = values[key].value
            assert isinstance(value, float)
            assert 0 < value < 1


def test_residents_pension_is_r_and_above_the_national_minimum() -> None:
    national = {2023: 103, 2024: 123, 2025: 143}  # shared file §10
    for year in YEARS:
        value = policy_values(year)["transfers.residents_pension_monthly"]
        assert value.grade == "R"
        assert isinstance(value.value, float)
        assert value.value > national.get(year, 0)


def test_childcare_subsidy_2025_is_graded_r_and_cited() -> None:
    value = policy_values(2025)["transfers.child_allowance_monthly"]
    assert value.value * 12 == 3600
    assert value.grade == "R"
    assert "育儿补贴制度实施方案" in value.source
    assert "2025" in value.source


def test_business_relief_is_a_note_not_a_value() -> None:
    value = policy_values(2024)["income_tax.business_rates"]
    assert value.value == LAW_BUSINESS_RATES
    assert "2023年第12号" in value.note


# --- weak values ----------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_weak_values_are_exactly_the_c_and_r_values(year: int) -> None:
    weak = weak_values(year)
    assert all(v.grade in {"C", "R"} for v in weak)
    expected = [v for v in policy_values(year).values() if v.grade in {"C", "R"}]
    assert weak == expected
    assert weak  # dibao and the assumed shares are always weak


def test_weak_values_track_the_grades() -> None:
    keys_2021 = {v.key for v in weak_values(2021)}
    keys_2022 = {v.key for v in weak_values(2022)}
    assert "wages.minimum_wage_monthly_tier1" in keys_2021  # R segment used
    assert "wages.minimum_wage_monthly_tier1" not in keys_2022  # B only
    assert "income_tax.basic_deduction" not in keys_2021
    assert "wages.minimum_wage_monthly_tier1" in {v.key for v in weak_values(2025)}


# --- years ----------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2019, 2026, 1900, -1, "2021", 2021.0, True, None])
def test_unknown_year_raises_scenario_error_naming_the_range(year: object) -> None:
    with pytest.raises(ScenarioError, match="2020-2025") as info:
        policy_values(year)  # type: ignore[arg-type]
    assert repr(year) in str(info.value)
    with pytest.raises(ScenarioError, match="2020-2025"):
        weak_values(year)  # type: ignore[arg-type]


def test_scenario_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        policy_values(2030)


# --- caching and immutability --------------------------------------------------------


def test_file_is_parsed_once_and_results_are_fresh_copies() -> None:
    assert published._load_policy() is published._load_policy()
    first = policy_values(2022)
    first.clear()
    assert set(policy_values(2022)) == EXPECTED_KEYS
    tiers = minimum_wage_tiers()
    tiers.clear()
    assert len(minimum_wage_tiers()) == 24


def test_published_value_is_frozen() -> None:
    value = policy_values(2022)["income_tax.basic_deduction"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.value = 1.0  # type: ignore[misc]


def test_data_file_is_package_data() -> None:
    from importlib import resources

    path = resources.files("commonprosperity").joinpath("data", "policy.toml")
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert "quick_deduction" not in text.replace("Quick deductions", "")


# --- cities and minimum-wage tiers ---------------------------------------------------


def test_city_constants() -> None:
    assert CITIES == (
        "杭州",
        "宁波",
        "温州",
        "嘉兴",
        "湖州",
        "绍兴",
        "金华",
        "衢州",
        "舟山",
        "台州",
        "丽水",
    )
    assert list(CITY_NAMES_EN) == list(CITIES)
    assert CITY_NAMES_EN["台州"] == "Taizhou"
    assert CITY_NAMES_EN["衢州"] == "Quzhou"
    assert PROVINCE == "浙江"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("杭州", "杭州"),
        ("Hangzhou", "杭州"),
        ("HANGZHOU", "杭州"),
        ("  lishui ", "丽水"),
        ("温州市", "温州"),
        ("Zhoushan", "舟山"),
        ("浙江", "浙江"),
        ("zhejiang", "浙江"),
    ],
)
def test_city_label_normalises(name: str, label: str) -> None:
    assert city_label(name) == label


@pytest.mark.parametrize("name", ["Hangzou", "上海", "", "Shanghai", 3, None])
def test_city_label_rejects_unknown_names_listing_allowed_ones(name: object) -> None:
    with pytest.raises(PopulationError) as info:
        city_label(name)  # type: ignore[arg-type]
    message = str(info.value)
    assert repr(name) in message
    for zh, en in CITY_NAMES_EN.items():
        assert zh in message
        assert en in message
    assert PROVINCE in message


def test_all_cities_round_trip_through_english() -> None:
    for zh, en in CITY_NAMES_EN.items():
        assert city_label(en) == zh
        assert city_label(en.lower()) == zh


@pytest.mark.parametrize("city", ["杭州", "宁波", "温州", "Hangzhou", "ningbo"])
def test_sourced_tier1_cities(city: str) -> None:
    assert minimum_wage_tier(city, True) == 1


@pytest.mark.parametrize("city", ["湖州", "绍兴", "台州"])
def test_sourced_tier2_cities(city: str) -> None:
    assert minimum_wage_tier(city, urban=True) == 2


def test_province_pseudo_city_tiers() -> None:
    assert minimum_wage_tier("浙江", True) == 2
    assert minimum_wage_tier("浙江", False) == 3


def test_tier_table_is_complete_and_rural_is_never_higher() -> None:
    tiers = minimum_wage_tiers()
    assert set(tiers) == {(c, u) for c in (*CITIES, PROVINCE) for u in (True, False)}
    assert set(tiers.values()) <= {1, 2, 3}
    for city in (*CITIES, PROVINCE):
        assert tiers[(city, False)] >= tiers[(city, True)]
        assert minimum_wage_tier(city, False) == tiers[(city, False)]


def test_tier_lookup_rejects_bad_input() -> None:
    with pytest.raises(PopulationError, match="Hangzhou"):
        minimum_wage_tier("Beijing", True)
    with pytest.raises(PopulationError, match="urban"):
        minimum_wage_tier("杭州", "yes")  # type: ignore[arg-type]


# --- the segment logic on synthetic data ----------------------------------------------


def _segment(start: dt.date, value: object, grade: str = "A") -> dict[str, object]:
    return {
        "from": start,
        "value": value,
        "grade": grade,
        "source": "test source",
        "source_date": "2020",
        "method": "test method" if grade == "C" else "",
        "note": "test note" if grade == "R" else "",
    }


def _entry(*segments: dict[str, object]) -> published._Entry:
    problems: list[str] = []
    raw = {"key": "x.y", "unit": "yuan", "segment": list(segments)}
    entry = published._parse_entry(raw, "policy[0]", problems)
    assert problems == []
    assert entry is not None
    return entry


def test_mid_year_change_is_month_weighted_with_weakest_grade() -> None:
    entry = _entry(
        _segment(dt.date(2019, 1, 1), 100, "B"),
        _segment(dt.date(2024, 3, 1), 200, "C"),  # 2024 is a leap year: no matter
    )
    value = published._entry_value(entry, 2024)
    assert value.value == (2 * 100 + 10 * 200) / 12
    assert value.grade == "C"
    # From 15 February 2024 (29 days): 1 + 14/29 months of 100, 15/29 + 10 of 200.
    mid = _entry(
        _segment(dt.date(2019, 1, 1), 100, "B"),
        _segment(dt.date(2024, 2, 15), 200, "C"),
    )
    months_old = 1 + Fraction(14, 29)
    expected = (months_old * 100 + (12 - months_old) * 200) / 12
    assert published._entry_value(mid, 2024).value == float(expected)
    assert published._entry_value(entry, 2023).value == 100
    assert published._entry_value(entry, 2025).grade == "C"


def test_array_change_inside_a_year_raises() -> None:
    entry = _entry(
        _segment(dt.date(2019, 1, 1), [0, 10]),
        _segment(dt.date(2022, 7, 1), [0, 20]),
    )
    with pytest.raises(ScenarioError, match=r"x\.y.*may not change inside a year"):
        published._entry_value(entry, 2022)
    assert published._entry_value(entry, 2023).value == (0.0, 20.0)


def test_year_without_a_segment_in_force_raises() -> None:
    entry = _entry(_segment(dt.date(2023, 1, 1), 5))
    with pytest.raises(ScenarioError, match="no value in force from 2022-01-01"):
        published._entry_value(entry, 2022)
    partial = _entry(_segment(dt.date(2022, 4, 1), 5))
    with pytest.raises(ScenarioError, match="to 2022-03-31"):
        published._entry_value(partial, 2022)


def test_bad_data_file_reports_every_problem_at_once() -> None:
    raw = {
        "policy": [
            {
                "key": "a.b",
                "unit": "yuan",
                "segment": [
                    {"from": "2020-01-01", "value": 1, "grade": "A", "source": "s"},
                    {
                        "from": dt.date(2021, 1, 1),
                        "value": True,
                        "grade": "Z",
                        "source": "",
                        "source_date": "2021",
                    },
                    {
                        "from": dt.date(2022, 1, 1),
                        "value": 2,
                        "grade": "C",
                        "source": "s",
                        "source_date": "2022",
                        "colour": "red",
                    },
                ],
            }
        ],
        "minimum_wage_tier": [{"city": "杭州", "urban": 4, "rural": 2}],
    }
    with pytest.raises(ScenarioError) as info:
        published._parse_policy(raw, "policy.toml")
    message = str(info.value)
    assert message.startswith("policy.toml:")
    for fragment in (
        "'from' must be a TOML date",
        "source_date must be a non-empty string",
        "value must be a finite number",
        "grade must be one of",
        "source must be a non-empty string",
        "needs a method",
        "unknown fields ['colour']",
        "urban must be 1, 2 or 3",
        "no tier for",
    ):
        assert fragment in message, fragment
    count = int(re.search(r"has (\d+) problem", message).group(1))  # type: ignore[union-attr]
    assert count >= 9
