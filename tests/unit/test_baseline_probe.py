"""Probe of the baseline, calibration, projection and published comparison.

Each test pins a bug found by probing; expected values come from the shared file
``zhejiang-statistics.md`` (cited per test) or are worked out by hand. Populations
stay at <= 2,000 households so the file runs quickly with and without the JIT.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    CalibrationError,
    CommonProsperityError,
    Population,
    PopulationError,
    Scenario,
    ScenarioError,
    calibrate,
)
from commonprosperity import statistics as S
from commonprosperity.baseline import baseline, compare_to_published
from commonprosperity.projection import project, simulate_path
from commonprosperity.synthetic import synthetic_population


@pytest.fixture(scope="module")
def pop2020():
    return baseline(2020, n_households=2_000, seed=0)


@pytest.fixture(scope="module")
def pop2023():
    return baseline(2023, n_households=2_000, seed=0)


def _tiny() -> Population:
    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "weight": [10.0, 20.0, 30.0, 40.0],
            "urban": [True, True, False, False],
            "city": ["杭州", "宁波", "杭州", "宁波"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "age": [40] * 4,
            "employed": [True] * 4,
            "wage": [1.0] * 4,
            "business": [0.0] * 4,
            "property": [0.0] * 4,
            "pension": [0.0] * 4,
        }
    )
    return Population.from_frames(hh, pp)


# --- calibrate ---------------------------------------------------------------


def test_calibrate_refuses_two_totals_for_one_city():
    """ "杭州" and "Hangzhou" are one cell; the second total used to replace the first.

    By hand: with 杭州 50 and 宁波 50 the weights would sum to 100; the silently kept
    70 made them sum to 120 with no error.
    """
    pop = _tiny()
    margins = {"households": {"city": {"杭州": 50.0, "Hangzhou": 70.0, "宁波": 50.0}}}
    with pytest.raises(CalibrationError) as info:
        calibrate(pop, margins)
    message = str(info.value)
    assert "'杭州' and 'Hangzhou' name the same cell" in message
    assert "50 and 70" in message
    with pytest.raises(CalibrationError, match="'宁波' and '宁波市'"):
        calibrate(pop, {"households": {"city": {"宁波": 50.0, "宁波市": 50.0}}})


def test_calibrate_argument_errors_are_library_errors():
    pop = _tiny()
    m = {"households": {"total": {"all": 100.0}}}
    # the docstring says 0 < lo; lo = 0 would allow zero weights
    for bounds in ((0.5, 2.0, 3.0), (0.0, 2.0), ("a", 2.0), 0.5, (True, 2.0)):
        with pytest.raises(CalibrationError, match=r"bounds must be \(lo, hi\)"):
            calibrate(pop, m, bounds=bounds)
    for tol in ("x", 0.0, 1.0, math.inf, math.nan):
        with pytest.raises(CalibrationError, match=r"tol must be a relative error"):
            calibrate(pop, m, tol=tol)
    with pytest.raises(CalibrationError, match="max_iter must be a positive"):
        calibrate(pop, m, max_iter=True)
    with pytest.raises(CalibrationError, match="the total of 'all' must be a number"):
        calibrate(pop, {"households": {"total": {"all": "100"}}})
    # NumPy integers are integers: 100 / 100 = 1, every weight unchanged
    res = calibrate(pop, m, max_iter=np.int64(5))
    np.testing.assert_allclose(res.weight, [10.0, 20.0, 30.0, 40.0], rtol=1e-12)


# --- compare_to_published ----------------------------------------------------


def test_compare_ratio_rows_use_the_documented_absolute_tolerance(pop2020):
    """docs/baseline.md (Tolerances): the urban/rural and city ratios within 0.005.

    2020: urban 62,699 / rural 31,930 = 1.96363 against the reported 1.96; city
    highest/lowest 1.64 (ezhejiang.gov.cn 2021-01-25; zjol 2021-09-07; shared file
    §1 and §2c). The check used to be 1 % relative (±0.0196 at 1.96).
    """
    table = compare_to_published(pop2020)
    r = table[table["figure"] == "urban/rural ratio"].iloc[0]
    assert r["published"] == 1.96
    assert r["simulated"] == pytest.approx(62_699 / 31_930, rel=1e-8)
    assert r["tolerance"] == 0.005
    assert r["difference"] == pytest.approx(62_699 / 31_930 - 1.96, abs=1e-8)
    assert bool(r["within"])
    m = table[table["figure"] == "highest/lowest city ratio"].iloc[0]
    assert m["published"] == 1.64
    assert m["tolerance"] == 0.005
    assert m["difference"] == pytest.approx(m["simulated"] - 1.64, abs=1e-15)


def test_compare_cites_title_and_date_of_published_figures(pop2020):
    """Shared file §1: 2020 all residents 52,397, ezhejiang.gov.cn 2021-01-25."""
    table = compare_to_published(pop2020)
    r = table[table["figure"] == "per-capita disposable income"].iloc[0]
    assert r["published"] == 52_397
    assert "2021-01-25" in r["citation"]
    assert "http://www.ezhejiang.gov.cn/2021-01/25/c_585166.htm" in r["citation"]
    published = table[table["role"].isin(["calibrated", "held out"])]
    ids = {f.source.id for f in S.figures()}
    cited = published[published["source"].isin(ids)]
    assert len(cited) > 20 and (cited["citation"] != "").all()


def test_compare_refuses_a_scenario_of_another_year(pop2020):
    with pytest.raises(ScenarioError, match=r"year 2020 .* got 2024"):
        compare_to_published(pop2020, Scenario.status_quo(2024))
    with pytest.raises(PopulationError, match="must be a Population; got str"):
        compare_to_published("pop")


# --- statistics file -----------------------------------------------------------


def test_household_size_2010_is_cited_to_zhejiang_daily_2011():
    """Shared file §7: 2.62 persons (2010 census), 浙江日报 2011-05-09; it was cited
    to the 2020 census source."""
    f = S.figure("household_size", 2010, period="census")
    assert f.value == 2.62
    assert f.source.date == "2011-05-09"
    assert f.source.url == (
        "http://zjnews.zjol.com.cn/05zjnews/system/2011/05/09/017502987.shtml"
    )


# --- baseline and synthetic arguments ----------------------------------------


def test_baseline_names_cities_whose_age_margin_is_dropped():
    """With 1,000 households some cities have too few records in an age band.

    Their age totals were silently unmet; the source now names them. Cities that
    are raked hit the census shares by hand: 杭州 2024 residents 60+ =
    66,700,000 × 11,936,010 / 64,567,588 × (16.87 % + 22.40 % − 18.70 %)
    (population bulletin 2024, census 2020 §4a, ageing bulletins §7a).
    """
    from commonprosperity.population import CITY_LABELS

    pop = baseline(2024, n_households=1_000, seed=0)
    pw = pop.weight[pop.person_household_index]
    city = pop.city_code[pop.person_household_index]
    # The cities with fewer than 30 person records in an age band (0-14, 15-59,
    # 60+), counted here from the records.
    band = np.digitize(pop.age, [15, 60])
    counts = np.zeros((len(CITY_LABELS), 3), dtype=np.int64)
    np.add.at(counts, (city, band), 1)
    short = [
        CITY_LABELS[c]
        for c in range(len(CITY_LABELS))
        if counts[c].sum() and counts[c].min() < 30  # the 11 cities with records
    ]
    assert short
    said = "residents by age band NOT raked in " + ", ".join(short)
    assert said + " (" in pop.source, pop.source
    hz = pw[(city == 0) & (pop.age >= 60)].sum()
    expected = 66_700_000 * 11_936_010 / 64_567_588 * (0.1687 + 0.2240 - 0.1870)
    assert hz == pytest.approx(expected, rel=1e-8)
    assert "NOT raked" not in baseline(2024, n_households=5_000, seed=0).source


def test_baseline_refuses_a_non_string_urban_definition():
    with pytest.raises(PopulationError, match="urban_definition must be one of"):
        baseline(2022, 1_000, 0, urban_definition=np.array(["survey", "census"]))


def test_synthetic_population_refuses_a_seed_that_is_not_reproducible():
    """seed=None drew fresh entropy: another population on every call."""
    for seed in (None, -1, 1.5, True):
        with pytest.raises(PopulationError, match="seed must be a non-negative"):
            synthetic_population(100, seed=seed)
    a = synthetic_population(100, seed=np.int64(3))
    assert a.weight.tobytes() == synthetic_population(100, seed=3).weight.tobytes()


# --- projection and paths ------------------------------------------------------


def test_growth_years_outside_the_projection_are_refused(pop2023):
    """Year y of a year-keyed growth is the growth to y; other years were ignored."""
    with pytest.raises(CommonProsperityError, match=r"year\(s\) \[2019\] outside"):
        project(pop2023, 2024, growth={2019: 0.05})
    with pytest.raises(CommonProsperityError, match=r"year\(s\) \[2026\] outside"):
        project(pop2023, 2025, growth={2024: 0.05, 2026: 0.05})
    with pytest.raises(CommonProsperityError, match=r"year\(s\) \[2023\] outside"):
        simulate_path(
            pop2023,
            {y: Scenario.status_quo(y) for y in (2023, 2024)},
            growth={2023: 0.05},
        )
    # a year-keyed mapping on a path: 2024 grows by exactly 5 % (by hand: × 1.05)
    path_pop = project(pop2023, 2024, growth={2024: 0.05})
    np.testing.assert_allclose(path_pop.wage, pop2023.wage * 1.05, rtol=1e-12)
    path = simulate_path(
        pop2023,
        {y: Scenario.status_quo(y) for y in (2023, 2024, 2025)},
        growth={2024: 0.05, 2025: 0.02},
    )
    assert list(path.index) == [2023, 2024, 2025]


def test_path_refuses_bad_gdp_and_labour_compensation(pop2023):
    """Bad national accounts were silently ignored (T7/T10 NA) or used (T7 met with
    an infinite labour compensation)."""
    sc = {y: Scenario.status_quo(y) for y in (2023, 2024)}
    cases = [
        ({"gdp": {"2023": 8.2e12, "2024": 9.0e12}}, r"gdp\['2023'\]: not a year"),
        ({"gdp": {2023: float("nan"), 2024: 9.0e12}}, r"gdp\[2023\] must be a finite"),
        ({"gdp": {2023: -8.2e12, 2024: 9.0e12}}, r"gdp\[2023\] must be a finite"),
        ({"gdp": {2023: 8.2e12, 2030: 9.0e12}}, r"gdp\[2030\]: not a year"),
        ({"gdp": [8.2e12, 9.0e12]}, "gdp must be a mapping"),
        (
            {"gdp": {2023: 8.2e12}, "labour_compensation": {2024: float("inf")}},
            r"labour_compensation\[2024\] must be a finite",
        ),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(ScenarioError, match=pattern):
            simulate_path(pop2023, sc, **kwargs)
    # valid accounts: T7 = labour / GDP by hand, 4.1e12 / 8.2e12 = 0.5, not > 0.5
    path = simulate_path(
        pop2023,
        sc,
        gdp={2023: 8.2e12, 2024: 9.0e12},
        labour_compensation={np.int64(2023): 4.1e12},
    )
    assert not bool(path.loc[2023, "T7"])
    assert pd.isna(path.loc[2024, "T7"])
