"""Audit of the shipped published figures against the shared reference documents.

Every expected value below is written out from /work/shared/zhejiang-statistics.md
(the "shared file"; "Part 2" is its second part) or /work/shared/plan-targets.md, with
the section cited in a comment; none is read back from the library's data files.
The tests only read the data through the public accessors
(``commonprosperity.statistics``, ``commonprosperity.published``) and
``evaluate_targets``; they do not simulate, so they run in well under a second.
"""

from __future__ import annotations

import math

import pytest

import commonprosperity as cp
from commonprosperity import statistics as S
from commonprosperity.published import policy_values
from commonprosperity.targets import TARGETS, evaluate_targets

CITIES = (
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


def fig(series: str, year: int, **keys: object) -> S.Figure:
    return S.figure(series, year, **keys)  # type: ignore[arg-type]


# --- §1: province per-capita disposable income, 2018-2025 ---------------------

# year: (all, urban, rural, grade, source date) -- shared file §1 table
PROVINCE_INCOME = {
    2018: (45_840, 55_574, 27_302, "B", "2019-01-23"),
    2019: (49_899, 60_182, 29_876, "C", "2021-01-25"),
    2020: (52_397, 62_699, 31_930, "AB", "2021-01-25"),  # graded "A/B" there
    2021: (57_541, 68_487, 35_247, "B", "2022-02-16"),
    2022: (60_302, 71_268, 37_565, "B", "2025"),
    2023: (63_830, 74_997, 40_311, "B", "2025"),
    2024: (67_013, 78_251, 42_786, "B", "2025"),
}


@pytest.mark.parametrize("year", sorted(PROVINCE_INCOME))
def test_province_income_values_grades_and_sources(year: int) -> None:
    *values, grade, date = PROVINCE_INCOME[year]
    for area, expected in zip(("all", "urban", "rural"), values, strict=True):
        f = S.disposable_income(year, area)
        assert f.value == expected, (year, area)
        assert f.unit == "yuan per person per year"
        assert f.grade in grade, (year, area, f.grade)
        assert f.source.date == date
        assert f.qualifier == "exact"
    if year == 2019:
        # derived: 2020 levels minus the increments 2,498 / 2,517 / 2,054 (§1)
        assert S.disposable_income(2019).value == 52_397 - 2_498
        assert S.disposable_income(2019, "urban").value == 62_699 - 2_517
        assert S.disposable_income(2019, "rural").value == 31_930 - 2_054


def test_2025_headline_values_are_lower_bounds() -> None:
    """§1: 2026 government work report, '突破7万元', urban > 80,000, rural > 45,000,
    ratio about 1.81; +4.8 % growth only from a secondary script."""
    for area, value in (("all", 70_000), ("urban", 80_000), ("rural", 45_000)):
        f = S.disposable_income(2025, area)
        assert (f.value, f.qualifier, f.grade) == (value, "at least", "B")
        assert f.source.date == "2026-01-14"
    ratio = fig("urban_rural_ratio", 2025)
    assert (ratio.value, ratio.qualifier) == (1.81, "approximately")
    growth = fig("disposable_income_growth", 2025)
    assert growth.value == pytest.approx(0.048)  # a fraction, not 4.8
    assert growth.qualifier == "approximately"


def test_province_urban_rural_ratios() -> None:
    """§1 (reported 1.96, 1.94, 1.86; derived 1.897, 1.829) and §11."""
    reported = {2020: 1.96, 2021: 1.94, 2023: 1.86}
    for year, value in reported.items():
        f = fig("urban_rural_ratio", year)
        assert f.value == value
        assert f.grade in "AB"
    for year, (urban, rural) in {
        2022: (71_268, 37_565),
        2024: (78_251, 42_786),
    }.items():
        f = fig("urban_rural_ratio", year)
        assert f.grade == "C"
        assert f.value == pytest.approx(urban / rural, abs=5e-4)
    assert fig("urban_rural_ratio", 2022).value == pytest.approx(1.897, abs=5e-4)
    assert fig("urban_rural_ratio", 2024).value == pytest.approx(1.829, abs=5e-4)


# --- §6 (Part 1): composition by source ---------------------------------------

# (year, area): (wage, business, property, transfer) -- shared file §6 table
COMPOSITION = {
    (2018, "all"): (26_242, 7_752, 5_244, 6_602),
    (2018, "urban"): (31_148, 8_316, 7_586, 8_524),
    (2018, "rural"): (16_898, 6_677, 784, 2_943),
    (2022, "all"): (34_177, 9_880, 7_397, 8_848),
    (2022, "urban"): (39_718, 10_233, 10_397, 10_919),
    (2022, "rural"): (22_687, 9_149, 1_177, 4_552),
    (2023, "all"): (35_769, 10_664, 7_783, 9_615),
    (2023, "urban"): (41_439, 10_833, 10_880, 11_844),
    (2023, "rural"): (23_825, 10_307, 1_259, 4_920),
    (2024, "all"): (37_220, 11_423, 8_103, 10_266),
    (2024, "urban"): (42_845, 11_566, 11_252, 12_588),
    (2024, "rural"): (25_094, 11_115, 1_316, 5_262),
}


@pytest.mark.parametrize(("year", "area"), sorted(COMPOSITION))
def test_composition_by_source(year: int, area: str) -> None:
    expected = COMPOSITION[(year, area)]
    got = tuple(S.disposable_income(year, area, k).value for k in S.COMPONENTS)
    assert got == expected
    # §6: "The components add up to the totals within ±1 yuan"
    assert abs(sum(got) - S.disposable_income(year, area).value) <= 1
    if year >= 2022 and area != "all":
        assert S.composition(year).loc[area, "wage"] == expected[0]


def test_q1_q3_2020_composition_and_wage_share_2021() -> None:
    """§6: Q1-Q3 2020 all 22,827 / 6,702 / 4,663 / 5,929 (40,121); urban 26,770 /
    6,737 / 6,635 and transfer 7,403 (C, residual of 47,545). Wage share 2021 57.0 %."""
    q = "Q1-Q3"
    assert [
        S.disposable_income(2020, "all", k, period=q).value for k in S.COMPONENTS
    ] == [
        22_827,
        6_702,
        4_663,
        5_929,
    ]
    urban = [
        S.disposable_income(2020, "urban", k, period=q).value for k in S.COMPONENTS
    ]
    assert urban == [26_770, 6_737, 6_635, 7_403]
    assert S.disposable_income(2020, "urban", "transfer", period=q).grade == "C"
    assert 26_770 + 6_737 + 6_635 + 7_403 == 47_545
    share = fig("wage_share_of_disposable_income", 2021)
    assert share.value == pytest.approx(0.570)  # a fraction, not 57
    assert share.grade == "B"


# --- §2a: official 11-city table, Q1-Q3 2020 ----------------------------------

# city: (all, y/y %, urban, y/y %, rural, y/y %) -- shared file §2a, grade A
Q3_2020 = {
    "浙江": (40_121, 4.1, 47_545, 3.3, 25_505, 5.8),
    "杭州": (48_735, 3.5, 54_754, 3.0, 29_439, 6.2),
    "宁波": (46_519, 4.2, 52_402, 4.0, 31_816, 5.2),
    "温州": (41_412, 4.3, 48_689, 3.5, 25_008, 6.0),
    "嘉兴": (42_230, 3.7, 48_442, 2.3, 32_532, 4.5),
    "湖州": (39_102, 5.8, 46_096, 4.3, 28_922, 6.1),
    "绍兴": (44_687, 4.0, 52_121, 3.2, 31_684, 6.5),
    "金华": (38_828, 4.1, 46_827, 2.8, 24_177, 5.5),
    "衢州": (28_978, 6.6, 37_663, 4.5, 20_093, 6.8),
    "舟山": (42_264, 3.0, 49_216, 2.6, 27_898, 4.7),
    "台州": (39_089, 5.1, 48_255, 2.5, 25_006, 5.1),
    "丽水": (28_778, 5.9, 37_195, 3.7, 17_860, 7.1),
}


@pytest.mark.parametrize("city", sorted(Q3_2020))
def test_official_city_table_q1_q3_2020(city: str) -> None:
    row = Q3_2020[city]
    for i, area in enumerate(("all", "urban", "rural")):
        f = S.disposable_income(2020, area, city=city, period="Q1-Q3")
        assert f.value == row[2 * i], (city, area)
        assert f.grade == "A"
        assert f.source.date == "2020-11"
        assert "Q1-Q3" in f.unit  # cumulative, not annual
        assert f"{row[2 * i + 1]:.1f} %" in f.note, (city, area, f.note)


def test_q1_q3_city_ratio_is_derived() -> None:
    """§2a: 48,735 / 28,778 = 1.69 (C); the year-end ratio is lower (1.64)."""
    f = fig("city_max_min_ratio", 2020, period="Q1-Q3")
    assert f.grade == "C"
    assert f.value == pytest.approx(48_735 / 28_778, abs=5e-4)


# --- §2b, Part 2 §6: annual city values ---------------------------------------

# (year, area, city): (value, grade) -- shared file §2b and Part 2 §6
CITY_ANNUAL = {
    (2019, "all", "杭州"): (59_261, "B"),
    (2020, "all", "宁波"): (59_952, "B"),
    (2020, "urban", "宁波"): (68_008, "B"),
    (2020, "rural", "宁波"): (39_132, "B"),
    (2021, "all", "宁波"): (65_436, "B"),
    (2021, "urban", "宁波"): (73_869, "B"),
    (2021, "rural", "宁波"): (42_946, "B"),
    (2022, "all", "宁波"): (68_348, "B"),
    (2022, "urban", "宁波"): (76_690, "B"),
    (2022, "rural", "宁波"): (45_487, "B"),
    (2019, "all", "温州"): (51_490, "B"),
    (2019, "urban", "温州"): (60_957, "B"),
    (2019, "rural", "温州"): (30_211, "B"),
    (2020, "all", "温州"): (54_024, "C"),
    (2020, "urban", "温州"): (63_459, "C"),
    (2020, "rural", "温州"): (32_438, "C"),
    (2021, "all", "温州"): (59_588, "B"),
    (2021, "urban", "温州"): (69_678, "B"),
    (2021, "rural", "温州"): (35_844, "B"),
    (2020, "urban", "湖州"): (61_747, "C"),
    (2020, "rural", "湖州"): (37_243, "C"),
    (2021, "urban", "湖州"): (67_983, "B"),
    (2021, "rural", "湖州"): (41_303, "B"),
    (2022, "all", "绍兴"): (65_760, "B"),
    (2022, "urban", "绍兴"): (76_199, "B"),
    (2022, "rural", "绍兴"): (45_709, "B"),
    (2020, "urban", "嘉兴"): (64_131, "C"),
    (2020, "rural", "嘉兴"): (39_816, "C"),
    (2021, "urban", "嘉兴"): (69_839, "B"),
    (2021, "rural", "嘉兴"): (43_598, "B"),
    (2022, "rural", "嘉兴"): (46_276, "B"),
    (2023, "rural", "嘉兴"): (49_643, "B"),
    (2020, "all", "舟山"): (55_824, "C"),
    (2021, "all", "舟山"): (60_848, "B"),
    (2021, "urban", "舟山"): (69_103, "B"),
    (2021, "rural", "舟山"): (42_945, "B"),
    (2022, "all", "舟山"): (63_848, "B"),
    (2022, "rural", "舟山"): (45_924, "B"),
    (2019, "all", "台州"): (47_988, "B"),
    (2020, "all", "台州"): (50_643, "B"),
    (2021, "all", "台州"): (55_499, "B"),
    (2022, "all", "台州"): (58_040, "B"),
    (2023, "all", "台州"): (61_067, "B"),
    (2023, "urban", "台州"): (73_879, "B"),
    (2023, "rural", "台州"): (40_153, "B"),
    (2020, "all", "丽水"): (37_740, "C"),
    (2020, "urban", "丽水"): (48_550, "C"),
    (2020, "rural", "丽水"): (23_643, "C"),
    (2021, "all", "丽水"): (42_042, "B"),
    (2021, "urban", "丽水"): (53_259, "B"),
    (2021, "rural", "丽水"): (26_386, "B"),
}


@pytest.mark.parametrize(("year", "area", "city"), sorted(CITY_ANNUAL))
def test_annual_city_values(year: int, area: str, city: str) -> None:
    value, grade = CITY_ANNUAL[(year, area, city)]
    f = S.disposable_income(year, area, city=city)
    assert f.value == value
    assert f.grade == grade
    assert f.unit == "yuan per person per year"


def test_derived_2020_city_values_follow_their_method() -> None:
    """§2b / Part 2 §6: 2020 = 2021 ÷ (1 + reported 2021 growth)."""
    growth = {  # (area, city): (2021 value, growth)
        ("all", "温州"): (59_588, 0.103),
        ("urban", "温州"): (69_678, 0.098),
        ("rural", "温州"): (35_844, 0.105),
        ("urban", "湖州"): (67_983, 0.101),
        ("rural", "湖州"): (41_303, 0.109),
        ("urban", "嘉兴"): (69_839, 0.089),
        ("rural", "嘉兴"): (43_598, 0.095),
        ("all", "舟山"): (60_848, 0.09),
        ("all", "丽水"): (42_042, 0.114),
        ("urban", "丽水"): (53_259, 0.097),
        ("rural", "丽水"): (26_386, 0.116),
    }
    for (area, city), (level, g) in growth.items():
        f = S.disposable_income(2020, area, city=city)
        assert abs(f.value - level / (1 + g)) <= 1, (area, city)
        assert f.method


def test_rounded_jinhua_and_half_year_values() -> None:
    """§2b: Jinhua 2021 urban ≈ 67,000, rural ≈ 34,000 (rounded). Part 2 §6:
    Hangzhou H1 2023 41,053; province H1 2023 34,317."""
    for area, value in (("urban", 67_000), ("rural", 34_000)):
        f = S.disposable_income(2021, area, city="金华")
        assert (f.value, f.qualifier) == (value, "approximately")
    assert S.disposable_income(2023, city="杭州", period="H1").value == 41_053
    assert S.disposable_income(2023, period="H1").value == 34_317


def test_city_urban_rural_ratios() -> None:
    """§2b and Part 2 §6 (Hangzhou 2021 = 1.72 + 0.03, C; Huzhou 2020 = 1.65 + 0.01)."""
    expected = {
        (2021, "宁波"): 1.72,
        (2022, "宁波"): 1.69,
        (2021, "湖州"): 1.65,
        (2020, "湖州"): 1.66,
        (2021, "嘉兴"): 1.60,
        (2022, "嘉兴"): 1.56,
        (2021, "衢州"): 1.86,
        (2021, "舟山"): 1.61,
        (2022, "舟山"): 1.57,
        (2023, "台州"): 1.84,
        (2021, "杭州"): 1.75,
    }
    for (year, city), value in expected.items():
        assert fig("urban_rural_ratio", year, city=city).value == value, (year, city)
    assert fig("urban_rural_ratio", 2021, city="杭州").grade == "C"
    assert fig("urban_rural_ratio", 2020, city="湖州").grade == "C"


def test_highest_lowest_city_ratio() -> None:
    """§2c: 1.64 (2020, A/B), 1.61 (2021, A); Part 2 §9: 1.76 in 2013 (B);
    2022-2025 not found."""
    assert fig("city_max_min_ratio", 2020).value == 1.64
    assert fig("city_max_min_ratio", 2020).grade in "AB"
    assert fig("city_max_min_ratio", 2020).source.date == "2021-09-07"
    assert (
        fig("city_max_min_ratio", 2021).value,
        fig("city_max_min_ratio", 2021).grade,
    ) == (
        1.61,
        "A",
    )
    assert (
        fig("city_max_min_ratio", 2013).value,
        fig("city_max_min_ratio", 2013).grade,
    ) == (
        1.76,
        "B",
    )
    for year in (2022, 2023, 2024, 2025):
        assert math.isnan(S.value_or_nan("city_max_min_ratio", year))


# --- §7, Part 2 §4a, §7a: population, urbanisation, census, ages --------------


def test_population_and_urbanisation() -> None:
    """§7: residents (万) 6,468 / 6,540 / 6,577 / 6,627 / 6,670 / 6,701; urbanisation
    72.2 (C) / 72.7 / 73.4 / 74.2 / 75.5 / 76.4 %; urban / rural 2021-2024 (万)."""
    residents = {
        2020: 6_468,
        2021: 6_540,
        2022: 6_577,
        2023: 6_627,
        2024: 6_670,
        2025: 6_701,
    }
    for year, wan in residents.items():
        assert S.population(year) == wan * 10_000  # persons, not 万
    assert fig("resident_population", 2025).grade == "B"
    rates = {2020: 72.2, 2021: 72.7, 2022: 73.4, 2023: 74.2, 2024: 75.5, 2025: 76.4}
    for year, percent in rates.items():
        assert S.urbanisation_rate(year) == pytest.approx(percent / 100)  # fraction
    assert fig("urbanisation_rate", 2020).grade == "C"
    split = {
        2021: (4_752, 1_788),
        2022: (4_826, 1_751),
        2023: (4_919, 1_708),
        2024: (5_033, 1_637),
    }
    for year, (urban, rural) in split.items():
        assert fig("resident_population", year, area="urban").value == urban * 10_000
        assert fig("resident_population", year, area="rural").value == rural * 10_000


# city: (population, urban population, household size 2020, 2010, 0-14, 15-59, 60+,
# 65+ in %) -- shared file Part 2 §4a (leiii/census, grade B)
CENSUS = {
    "杭州": (11_936_010, 9_942_081, 2.36, 2.59, 13.02, 70.12, 16.87, 11.66),
    "宁波": (9_404_283, 7_335_604, 2.21, 2.47, 12.26, 69.63, 18.10, 12.59),
    "温州": (9_572_903, 6_907_989, 2.37, 2.76, 15.28, 68.22, 16.50, 11.71),
    "嘉兴": (5_400_868, 3_852_932, 2.88, 2.49, 12.08, 68.62, 19.30, 14.05),
    "湖州": (3_367_579, 2_210_571, 2.53, 2.93, 11.94, 66.72, 21.34, 15.52),
    "绍兴": (5_270_977, 3_743_366, 2.38, 2.58, 11.89, 65.52, 22.59, 16.21),
    "金华": (7_050_683, 4_808_140, 2.25, 2.45, 14.30, 69.68, 16.02, 11.59),
    "衢州": (2_276_184, 1_310_498, 2.33, 2.59, 14.75, 59.80, 25.44, 18.46),
    "舟山": (1_157_817, 832_390, 2.15, 2.39, 9.81, 65.31, 24.88, 17.09),
    "台州": (6_622_888, 4_104_712, 2.48, 2.64, 14.69, 65.74, 19.57, 13.80),
    "丽水": (2_507_396, 1_550_182, 2.35, 2.59, 15.97, 62.79, 21.24, 15.37),
}


@pytest.mark.parametrize("city", CITIES)
def test_census_by_city(city: str) -> None:
    pop, urban, size, size_2010, *ages = CENSUS[city]
    c = "census"
    assert fig("census_population", 2020, period=c, city=city).value == pop
    assert (
        fig("census_population", 2020, period=c, city=city, area="urban").value == urban
    )
    assert fig("household_size", 2020, period=c, city=city).value == size
    assert fig("household_size", 2010, period=c, city=city).value == size_2010
    for group, percent in zip(("0-14", "15-59", "60+", "65+"), ages, strict=True):
        f = fig("age_share", 2020, period=c, city=city, group=group)
        assert f.value == pytest.approx(percent / 100, abs=1e-12)
    table = S.census_table()
    assert table.loc[city, "population"] == pop
    assert table.loc[city, "urban_share"] == pytest.approx(urban / pop)


def test_census_totals_and_suspect_jiaxing_size() -> None:
    """Part 2 §4a: the cities sum to 64,567,588 (§7 census total); Jiaxing's 2.88 is
    suspect (probably 2.28)."""
    total = sum(row[0] for row in CENSUS.values())
    assert total == 64_567_588
    assert fig("census_population", 2020, period="census").value == total
    assert (
        fig("household_size", 2020, period="census", city="嘉兴").qualifier == "suspect"
    )
    assert S.census_table().loc["嘉兴", "household_size"] == 2.28
    # §7: 2010 census provincial family-household size 2.62
    assert fig("household_size", 2010, period="census").value == 2.62


def test_province_age_structure() -> None:
    """Part 2 §7a: census 13.45 / 67.85 (C) / 18.70 / 13.27 %; year-end 2021-2023
    bulletins (0-15, 16-59, 60+, 65+); 2024 60+ 22.40 %, 65+ 15.71 %."""
    census = {"0-14": 13.45, "15-59": 67.85, "60+": 18.70, "65+": 13.27}
    for group, percent in census.items():
        f = fig("age_share", 2020, period="census", group=group)
        assert f.value == pytest.approx(percent / 100, abs=1e-12)
    assert fig("age_share", 2020, period="census", group="15-59").grade == "C"
    bulletins = {
        2021: (14.1, 66.8, 19.1, 14.2),
        2022: (13.8, 66.0, 20.2, 14.9),
        2023: (13.4, 65.1, 21.5, 15.4),
    }
    for year, shares in bulletins.items():
        for group, percent in zip(("0-15", "16-59", "60+", "65+"), shares, strict=True):
            assert fig("age_share", year, group=group).value == pytest.approx(
                percent / 100
            )
    assert fig("age_share", 2024, group="60+").value == pytest.approx(0.2240)
    assert fig("age_share", 2024, group="65+").value == pytest.approx(0.1571)


def test_fujian_household_size_distribution_proxy() -> None:
    """Part 2 §4c: Fujian 2020, % of family households with 1..10+ persons."""
    f = fig("household_size_distribution", 2020, period="census", city="福建")
    expected = (27.3, 26.3, 19.4, 14.2, 6.9, 4.0, 1.1, 0.4, 0.2, 0.2)
    assert f.value == pytest.approx(tuple(p / 100 for p in expected))
    assert f.grade == "A"


# --- Part 2 §8: low-income rural households -----------------------------------


def test_low_income_rural_households() -> None:
    """§1 / Part 2 §8: province 2023 > 20,000; Ningbo 2021 19,217; Jiaxing 2022
    24,760 with ratio 1:1.87 (2021 1:1.98)."""
    f = fig("low_income_rural_income", 2023)
    assert (f.value, f.qualifier) == (20_000, "at least")
    assert fig("low_income_rural_income", 2021, city="宁波").value == 19_217
    assert fig("low_income_rural_income", 2022, city="嘉兴").value == 24_760
    assert fig("low_income_rural_ratio", 2022, city="嘉兴").value == pytest.approx(
        1 / 1.87, abs=1e-4
    )
    assert fig("low_income_rural_ratio", 2021, city="嘉兴").value == pytest.approx(
        1 / 1.98, abs=1e-4
    )
    # Part 2 §8 modelling hint: > 20,000 against a rural average of 40,311
    assert fig("low_income_rural_ratio", 2023).value == pytest.approx(
        20_000 / 40_311, abs=1e-3
    )


# --- §3, Part 2 §1: quintile tables -------------------------------------------

# (table, year): quintile means lowest to highest -- §3b and Part 2 §1a/§1b
QUINTILES = {
    ("fujian_urban", 2015): (14_231, 23_307, 31_234, 41_306, 69_131),
    ("fujian_urban", 2016): (15_831, 25_304, 34_091, 45_199, 73_392),
    ("fujian_urban", 2017): (16_508, 27_090, 36_653, 49_166, 80_839),
    ("fujian_urban", 2018): (15_856, 27_959, 40_408, 55_902, 99_664),
    ("fujian_urban", 2019): (17_839, 30_099, 42_289, 58_850, 107_291),
    ("fujian_urban", 2020): (17_838, 30_922, 44_082, 61_979, 111_439),
    ("fujian_urban", 2021): (20_897, 35_281, 48_780, 65_668, 117_539),
    ("fujian_rural", 2016): (5_588, 10_168, 13_797, 18_492, 31_015),
    ("fujian_rural", 2017): (6_069, 11_228, 15_103, 20_039, 33_444),
    ("fujian_rural", 2018): (6_422, 11_575, 16_539, 22_448, 37_903),
    ("fujian_rural", 2019): (7_831, 13_790, 18_119, 23_637, 36_954),
    ("fujian_rural", 2020): (7_900, 13_217, 18_772, 26_199, 45_754),
    ("fujian_rural", 2021): (6_860, 15_723, 21_805, 28_858, 51_640),
    ("sanming_all", 2022): (14_925, 27_518, 38_901, 53_615, 89_167),
    ("sanming_rural", 2022): (12_224, 21_475, 31_669, 43_216, 76_377),
    ("quanzhou_urban", 2016): (16_211, 26_081, 36_160, 49_279, 76_553),
    ("hangzhou_urban_districts", 2009): (11_454, 18_163, 23_656, 30_943, 53_402),
    ("national", 2021): (8_333, 18_445, 29_053, 44_949, 85_836),
    ("national", 2022): (8_601, 19_303, 30_598, 47_397, 90_116),
    ("national", 2023): (9_215, 20_442, 32_195, 50_220, 95_055),
    ("national", 2025): (10_150, 22_702, 35_536, 55_586, 103_778),
}


def test_quintile_tables() -> None:
    table = S.quintile_table()
    # National 2019, 2020 and 2024 are graded R in §3b and must not be shipped.
    assert set(table.index) == set(QUINTILES)
    for key, expected in QUINTILES.items():
        row = table.loc[key]
        assert tuple(row[f"q{i}"] for i in range(1, 6)) == expected, key
        assert row["top_bottom"] == pytest.approx(expected[4] / expected[0])
        grade = (
            "B"
            if key[0] in ("quanzhou_urban", "hangzhou_urban_districts", "national")
            else "A"
        )
        assert row["grade"] == grade, key
    size = fig(
        "quintile_household_size",
        2016,
        area="urban",
        city="泉州",
        group="quanzhou_urban",
    )
    assert size.value == (3.74, 3.46, 2.81, 3.12, 2.83)


# --- §5, Part 2 §9: Gini ------------------------------------------------------


def test_gini_figures() -> None:
    """§5: national 0.465 (2016), 0.468 (2020); The Hill 0.465 (2019). Part 2 §9:
    between-group lower bound 0.136, between-city 0.066 (both C)."""
    for year, value in ((2016, 0.465), (2019, 0.465), (2020, 0.468)):
        f = fig("gini", year, city="全国")
        assert (f.value, f.grade) == (value, "B")
    assert math.isnan(S.value_or_nan("gini", 2020))  # no Zhejiang Gini was found
    lower = fig("gini_lower_bound", 2020, period="Q1-Q3")
    assert (lower.value, lower.grade) == (0.136, "C")
    city = fig("between_city_gini", 2020, period="Q1-Q3")
    assert (city.value, city.grade) == (0.066, "C")


# --- Part 2 §5a, §7b, §6 (Part 1): wages, employment, national accounts -------


def test_average_wages() -> None:
    """Part 2 §5a (yuan per employee per year): non-private 108,645 / 122,309 /
    128,825; private 60,521 / 69,228 (C) / 71,934; all-employee 79,133 / 89,240 /
    96,237 / 99,722 (third-party, low); 2019 derived."""
    expected = {
        (2019, "urban_non_private"): (108_645 - 8_991, "C"),
        (2020, "urban_non_private"): (108_645, "B"),
        (2021, "urban_non_private"): (122_309, "B"),
        (2022, "urban_non_private"): (128_825, "B"),
        (2019, "private"): (60_521 - 4_138, "C"),
        (2020, "private"): (60_521, "B"),
        (2021, "private"): (71_934 - 2_706, "C"),
        (2022, "private"): (71_934, "B"),
        (2019, "all_employee"): (round(5_960.25 * 12), "C"),
        (2020, "all_employee"): (79_133, "low"),
        (2021, "all_employee"): (89_240, "low"),
        (2022, "all_employee"): (96_237, "low"),
        (2023, "all_employee"): (99_722, "low"),
    }
    for (year, group), (value, grade) in expected.items():
        f = fig("average_wage", year, group=group)
        assert (f.value, f.grade) == (value, grade), (year, group)
        assert "per year" in f.unit  # annual, not the monthly 8,310 etc.


def test_employment_and_national_accounts() -> None:
    """Part 2 §7b: employed ≈ 3,921万 (2023), ≈ 3,886万 (2022), unemployment 4.6 %
    (2023, A). §6: labour share of GDP 49.7 % (2020, B). §1: income / GDP per capita
    ≈ 52 % (2020) → ≈ 49 % (2024), A."""
    assert fig("employed_persons", 2023).value == pytest.approx(3_921e4, rel=1e-3)
    assert fig("employed_persons", 2022).value == pytest.approx(3_886e4, rel=1e-3)
    f = fig("urban_unemployment_rate", 2023)
    assert (f.value, f.grade) == (pytest.approx(0.046), "A")
    f = fig("labour_share_of_gdp", 2020)
    assert (f.value, f.grade) == (pytest.approx(0.497), "B")
    for year, value in ((2020, 0.52), (2024, 0.49)):
        f = fig("income_to_gdp_per_capita", year)
        assert (f.value, f.grade, f.qualifier) == (
            pytest.approx(value),
            "A",
            "approximately",
        )


def test_consumption_expenditure() -> None:
    """§1 'Other provincial facts': all / urban / rural 38,971 / 44,511 / 27,483
    (2022), 42,194 / 47,762 / 30,468 (2023), 45,107 / 50,704 / 33,043 (2024), 表5-9;
    all residents 36,668 (2021, 浙江工人日报 2022-02-16)."""
    expected = {
        2022: (38_971, 44_511, 27_483),
        2023: (42_194, 47_762, 30_468),
        2024: (45_107, 50_704, 33_043),
    }
    for year, values in expected.items():
        for area, value in zip(("all", "urban", "rural"), values, strict=True):
            f = fig("consumption_expenditure", year, area=area)
            assert (f.value, f.grade) == (value, "B")
    f = fig("consumption_expenditure", 2021)
    assert (f.value, f.source.date) == (36_668, "2022-02-16")


# --- sources ------------------------------------------------------------------


def test_sources_cite_the_documented_titles_dates_and_urls() -> None:
    """Dates and URLs of the main sources, as listed in the shared file."""
    checks = {
        ("disposable_income", 2018, "all", "浙江"): (
            "2019-01-23",
            "http://cs.zjol.com.cn/lhcs/201901/t20190123_9311558.shtml",
        ),
        ("disposable_income", 2021, "all", "浙江"): (
            "2022-02-16",
            "https://epaper.zjgrrb.com/html/2022-02/16/content_2782593.htm",
        ),
        ("disposable_income", 2021, "all", "宁波"): (
            "2022-01-28",
            "http://ningbo.chinadaily.com.cn/2022-01/28/c_706472.htm",
        ),
        ("disposable_income", 2023, "all", "台州"): (
            "2024-02-07",
            "http://fhxgcw.cn/caijing/2024-02/07/content_6938461.htm",
        ),
        ("disposable_income", 2021, "all", "丽水"): (
            "2022-01-19",
            "http://zhejiang.chinadaily.com.cn/lishui/2022-01/19/c_700342.htm",
        ),
    }
    for (series, year, area, city), (date, url) in checks.items():
        f = fig(series, year, area=area, city=city)
        assert (f.source.date, f.source.url) == (date, url)
        assert date in f.source.cite() and url in f.source.cite()
    assert "表5-5" in S.disposable_income(2024).source.title


def test_public_accessors_reach_the_same_figures() -> None:
    assert cp.statistics.disposable_income(2020, "urban").value == 62_699
    assert cp.statistics.value_or_nan("disposable_income", 2023, area="rural") == 40_311
    assert (
        cp.published.policy_values(2024)["wages.minimum_wage_monthly_tier1"].value
        == 2_490
    )


# --- policy values not covered by test_published.py ---------------------------


def test_contribution_bases_match_part_2_table() -> None:
    """Part 2 §5b (yuan per month): the bases implied by the all-employee averages of
    2021 / 2022 / 2023, in force two years later: 4,462 / 22,311; 4,812 / 24,060;
    4,986 / 24,930; for the 2020 average, 3,957 / 19,783 (the recollected Hangzhou
    2022 bases)."""
    floor, ceiling = (
        "social_insurance.base_floor_monthly",
        "social_insurance.base_ceiling_monthly",
    )
    for year, (lo, hi) in {
        2023: (4_462, 22_311),
        2024: (4_812, 24_060),
        2025: (4_986, 24_930),
    }.items():
        values = policy_values(year)
        assert (values[floor].value, values[ceiling].value) == (lo, hi), year
    values = policy_values(2022)
    assert (values[floor].value, values[ceiling].value) == (3_957, 19_783)
    # §9 and Part 2 §5b: Hangzhou 2021, carried back to 2020 as an R value
    v2020 = policy_values(2020)
    assert (v2020[floor].value, v2020[ceiling].value) == (3_321.6, 17_880.75)
    assert v2020[floor].grade == v2020[ceiling].grade == "R"
    # the medical floor 3,576 is 60 % and the ceiling 300 % of 5,960.25 a month
    assert round(0.6 * 5_960.25) == 3_576
    assert 3 * 5_960.25 == 17_880.75


def test_dibao_2020_2021_and_consumption_basis() -> None:
    """Policy dibao placeholders (Part 2 §2): 30 % of the previous year's all-resident
    consumption; 2019 and 2020 consumption scaled from 36,668 (2021) by income
    (49,899 / 57,541 and 52,397 / 57,541, §1)."""
    assert policy_values(2020)["transfers.dibao_monthly"].value == round(
        0.30 * 36_668 * 49_899 / 57_541 / 12
    )
    assert policy_values(2021)["transfers.dibao_monthly"].value == round(
        0.30 * 36_668 * 52_397 / 57_541 / 12
    )
    for year in (2022, 2023, 2024, 2025):
        previous = fig("consumption_expenditure", year - 1).value
        dibao = policy_values(year)["transfers.dibao_monthly"]
        assert dibao.value == round(0.30 * previous / 12)
        assert dibao.unit == "yuan per person per month"


def test_residents_pension_follows_the_recollection() -> None:
    """§10: Zhejiang minimum 'about 180 per month in 2020, rising to about 265-300 by
    2024-2025' (R); national minimum 123 in 2024 (B)."""
    assert policy_values(2020)["transfers.residents_pension_monthly"].value == 180
    for year in (2024, 2025):
        value = policy_values(year)["transfers.residents_pension_monthly"]
        assert 265 <= value.value <= 300
        assert value.unit == "yuan per person per month"


def test_minimum_wage_segments_and_hourly_note() -> None:
    """§10: 1 Aug 2021 2,280 / 2,070 / 1,840, hourly 22 / 20 / 18; 1 Jan 2024
    2,490 / 2,260 / 2,010 (Xinhua 2024-01-16); monthly amounts."""
    v2021 = policy_values(2021)["wages.minimum_wage_monthly_tier1"]
    assert "22 / 20 / 18" in v2021.note
    assert v2021.unit == "yuan per month"
    v2024 = policy_values(2024)
    assert [v2024[f"wages.minimum_wage_monthly_tier{t}"].value for t in (1, 2, 3)] == [
        2_490,
        2_260,
        2_010,
    ]
    assert "2024-01-16" in v2024["wages.minimum_wage_monthly_tier1"].source


# --- plan-targets.md: T1-T10 --------------------------------------------------

# id: (indicator, bound, comparison) -- plan-targets.md table
PLAN = {
    "T1": ("per_capita_disposable_income", 75_000.0, ">="),  # 达到 7.5 万元
    "T2": ("band_share_100k_500k", 0.80, ">="),  # 达到 80%
    "T3": ("band_share_200k_600k", 0.45, ">="),  # 力争达到 45%
    "T4": ("urban_rural_ratio", 1.9, "<"),  # 缩小到 1.9 以内
    "T5": ("city_max_min_ratio", 1.55, "<"),  # 缩小到 1.55 以内
    "T6": ("urbanization_rate", 0.75, ">="),  # 达到 75%
    "T7": ("labour_share_of_gdp", 0.50, ">"),  # 超过 50%
    "T8": ("dibao_growth_over_income_growth", 1.0, ">="),  # 不低于
    "T9": ("top_bottom_quintile_ratio_change", 0.0, "<"),  # 持续缩小
    "T10": ("income_to_gdp_per_capita_change", 0.0, ">"),  # 持续提高
}


def test_targets_match_the_plan() -> None:
    assert [t.id for t in TARGETS] == list(PLAN)
    for t in TARGETS:
        assert (t.indicator, t.target, t.comparison) == PLAN[t.id], t.id


@pytest.mark.parametrize(
    ("name", "at_bound_met"),
    [
        ("per_capita_disposable_income", True),
        ("band_share_100k_500k", True),
        ("band_share_200k_600k", True),
        ("urban_rural_ratio", False),  # 1.9 itself is not "within 1.9"
        ("city_max_min_ratio", False),
        ("urbanization_rate", True),
    ],
)
def test_level_targets_at_the_bound(name: str, at_bound_met: bool) -> None:
    tid = next(k for k, v in PLAN.items() if v[0] == name)
    bound = PLAN[tid][1]
    t = evaluate_targets({name: bound})
    assert bool(t.loc[tid, "met"]) is at_bound_met
    assert t.loc[tid, "gap"] == pytest.approx(0.0, abs=1e-12)
    below = bound * (1 - 1e-6)
    assert bool(evaluate_targets({name: below}).loc[tid, "met"]) is (
        PLAN[tid][2] == "<"
    )


def test_published_ratios_against_t4_and_t5() -> None:
    """§11: urban/rural 1.96, 1.94, 1.897, 1.86, 1.829 ('met from 2023' on the
    rounded 1.90 of 2022; 1.897 itself is within 1.9); city ratio 1.64 / 1.61 not
    met; 2024 income 67,013 short of 75,000 by 7,987."""
    for year, met in ((2020, False), (2021, False), (2023, True), (2024, True)):
        ratio = fig("urban_rural_ratio", year).value
        assert (
            bool(evaluate_targets({"urban_rural_ratio": ratio}).loc["T4", "met"]) is met
        )
    for year in (2020, 2021):
        ratio = fig("city_max_min_ratio", year).value
        assert not bool(
            evaluate_targets({"city_max_min_ratio": ratio}).loc["T5", "met"]
        )
    t = evaluate_targets(
        {"per_capita_disposable_income": S.disposable_income(2024).value}
    )
    assert float(t.loc["T1", "gap"]) == 75_000 - 67_013


def test_labour_share_and_trend_targets_at_the_bound() -> None:
    """T7 '超过 50%' is strict; T8 '不低于' accepts equality; T9 / T10 need a fall /
    a rise, so zero change is not met. §6: 49.7 % in 2020 does not meet T7."""
    t = evaluate_targets({}, gdp=1.0e12, labour_compensation=0.5e12)
    assert not bool(t.loc["T7", "met"])
    t = evaluate_targets({}, gdp=1.0e12, labour_compensation=0.497e12)
    assert not bool(t.loc["T7", "met"])
    assert float(t.loc["T7", "gap"]) == pytest.approx(0.003)
    t = evaluate_targets({}, trends={"T8": 1.0, "T9": 0.0, "T10": 0.0})
    assert bool(t.loc["T8", "met"])
    assert not bool(t.loc["T9", "met"]) and not bool(t.loc["T10", "met"])
