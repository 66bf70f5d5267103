"""Projection across years and multi-year paths with trend targets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    ArgumentError,
    CommonProsperityError,
    PopulationError,
    Scenario,
    ScenarioError,
)
from commonprosperity import statistics as S
from commonprosperity.baseline import baseline
from commonprosperity.projection import growth_rates, project, simulate_path


@pytest.fixture(scope="module")
def pop2024():
    return baseline(2024, n_households=3_000, seed=12)


def test_published_growth_by_source():
    """Rural wage 2022 → 2023: 23,825 / 22,687 (2025 yearbook table 5-5)."""
    g = growth_rates(2023)
    assert g.loc[("浙江", False), "wage"] == pytest.approx(23_825 / 22_687)
    assert g.loc[("浙江", True), "pension"] == pytest.approx(11_844 / 10_919)


def test_growth_overrides():
    g = growth_rates(2026, {"all": 0.03, "urban.wage": 0.07, "rural": 0.05})
    assert g.loc[("杭州", True), "wage"] == pytest.approx(1.07)
    assert g.loc[("杭州", True), "business"] == pytest.approx(1.03)
    assert g.loc[("杭州", False), "wage"] == pytest.approx(1.05)
    g = growth_rates(2026)
    assert g.loc[("丽水", False), "property"] == pytest.approx(1.0544)  # README: 5.44 %
    assert growth_rates(2026, {2026: 0.02}).loc[("杭州", True), "wage"] == 1.02
    with pytest.raises(CommonProsperityError, match="unknown key 'salary'"):
        growth_rates(2026, {"salary": 0.02})
    with pytest.raises(
        CommonProsperityError, match=r"must be a growth rate in \[-0.5, 1\]"
    ):
        growth_rates(2026, {"wage": 5})


def test_project_uprates_and_reweights(pop2024):
    p = project(pop2024, 2026, growth=0.05)
    assert p.year == 2026
    np.testing.assert_allclose(p.wage, pop2024.wage * 1.05**2, rtol=1e-12)
    np.testing.assert_allclose(p.business, pop2024.business * 1.05**2, rtol=1e-12)
    # population held at the 2025 value after 2025
    assert p.residents == pytest.approx(S.population(2025), rel=1e-8)

    # urban share moved by the logit change of the urbanisation rate
    def share(q):
        pw = q.weight * q.size
        return pw[q.urban].sum() / pw.sum()

    def logit(x):
        return math.log(x / (1 - x))

    p25 = project(pop2024, 2025)
    assert logit(share(p25)) - logit(share(pop2024)) == pytest.approx(
        logit(S.urbanisation_rate(2025)) - logit(S.urbanisation_rate(2024)), rel=1e-8
    )
    # households of each city x area keep their residents per household (raking
    # persons by area alone made rural households smaller year after year)
    for q in (pop2024, p25):
        assert q.households_represented > 0
    cell = [2 * q.city_code + q.urban for q in (pop2024, p25)]
    sizes = [
        np.bincount(c, q.weight * q.size, minlength=22)
        / np.bincount(c, q.weight, minlength=22)
        for c, q in zip(cell, (pop2024, p25), strict=True)
    ]
    np.testing.assert_allclose(sizes[0], sizes[1], rtol=1e-8)
    # each city keeps its share of residents
    city = [
        np.bincount(q.city_code, q.weight * q.size, minlength=11)
        for q in (pop2024, p25)
    ]
    np.testing.assert_allclose(
        city[0] / city[0].sum(), city[1] / city[1].sum(), rtol=1e-8
    )


def test_project_same_year_is_identity(pop2024):
    assert project(pop2024, 2024) is pop2024


def test_project_errors(pop2024):
    with pytest.raises(ArgumentError, match="projection runs forward"):
        project(pop2024, 2023)
    with pytest.raises(PopulationError, match=r"population\.year is None"):
        project(pop2024.with_year(None), 2025)


def test_path_evaluates_trend_targets(pop2024):
    s24 = Scenario.status_quo(2024)
    s25 = Scenario.status_quo(2025)
    generous = s25.replace(
        {"transfers.dibao_monthly": s24.transfers.dibao_monthly * 1.5}
    )
    stingy = s25.replace({"transfers.dibao_monthly": s24.transfers.dibao_monthly})
    for scen, expected in ((generous, True), (stingy, False)):
        path = simulate_path(
            pop2024, {2024: s24, 2025: scen}, gdp={2024: 9.0e12, 2025: 9.3e12}
        )
        assert list(path.index) == [2024, 2025]
        assert pd.isna(path.loc[2024, "T8"])
        g_income = (
            path.loc[2025, "per_capita_disposable_income"]
            / path.loc[2024, "per_capita_disposable_income"]
            - 1
        )
        g_dibao = path.loc[2025, "dibao_monthly"] / path.loc[2024, "dibao_monthly"] - 1
        assert path.loc[2025, "T8_value"] == pytest.approx(g_dibao / g_income)
        assert bool(path.loc[2025, "T8"]) is expected
        change = max(
            path.loc[2025, "urban_top_bottom_ratio"]
            - path.loc[2024, "urban_top_bottom_ratio"],
            path.loc[2025, "rural_top_bottom_ratio"]
            - path.loc[2024, "rural_top_bottom_ratio"],
        )
        assert path.loc[2025, "T9_value"] == pytest.approx(change)
        assert bool(path.loc[2025, "T9"]) == bool(change < 0)
        ratio = [
            path.loc[y, "per_capita_disposable_income"] / (g / path.loc[y, "residents"])
            for y, g in ((2024, 9.0e12), (2025, 9.3e12))
        ]
        assert path.loc[2025, "T10_value"] == pytest.approx(ratio[1] - ratio[0])


def test_path_note_says_why_a_target_is_not_judged(pop2024):
    """The first year has no year before it (T8-T10); T7 needs GDP and labour
    compensation, T10 GDP in both years; a year where everything is judged has an
    empty note."""
    years = (2024, 2025, 2026)
    path = simulate_path(
        pop2024,
        {y: Scenario.status_quo(2025).replace({"year": y}) for y in years},
        gdp={2025: 9.3e12, 2026: 9.7e12},
        labour_compensation={2026: 4.9e12},
    )
    first = "the path's first year: no year before it to compare with"
    notes = {
        y: dict(n.split(": ", 1) for n in path.loc[y, "note"].split("; "))
        for y in years[:2]
    }
    assert notes[2024] == {
        "T7": "needs gdp and labour_compensation (yuan, national accounts)",
        "T8": first,
        "T9": first,
        "T10": first,
    }
    assert notes[2025] == {
        "T7": "needs gdp and labour_compensation (yuan, national accounts)",
        "T10": "needs gdp for 2024",
    }
    assert path.loc[2026, "note"] == ""
    # The note lists exactly the targets that are NA.
    for y in years:
        na = [t for t in (f"T{i}" for i in range(1, 11)) if pd.isna(path.loc[y, t])]
        listed = [n.split(":")[0] for n in path.loc[y, "note"].split("; ") if n]
        assert listed == na


def test_dibao_growth_over_the_whole_path(pop2024):
    """T8 since the first year: a dibao raised once, then frozen, misses T8 in the
    frozen year but can meet it over the path (the plan's 2021-2025 reading)."""
    s24 = Scenario.status_quo(2024)
    line = s24.transfers.dibao_monthly
    raised = Scenario.status_quo(2025).replace({"transfers.dibao_monthly": 1.5 * line})
    frozen = raised.replace({"year": 2026})
    path = simulate_path(pop2024, {2024: s24, 2025: raised, 2026: frozen})
    assert pd.isna(path.loc[2024, "T8_since_start"])
    assert math.isnan(path.loc[2024, "T8_since_start_value"])
    # 2026 on its own: the dibao did not move, income did.
    assert path.loc[2026, "T8_value"] == 0.0
    assert not path.loc[2026, "T8"]
    # Over 2024-2026, by hand from the table's own columns.
    g_income = (
        path.loc[2026, "per_capita_disposable_income"]
        / path.loc[2024, "per_capita_disposable_income"]
        - 1
    )
    ratio = 0.5 / g_income
    assert ratio > 1
    assert path.loc[2026, "T8_since_start_value"] == pytest.approx(ratio, rel=1e-12)
    assert path.loc[2026, "T8_since_start"]
    # In the second year the two readings are the same.
    assert path.loc[2025, "T8_since_start_value"] == path.loc[2025, "T8_value"]
    assert path.dtypes["T8_since_start"] == "boolean"


def test_path_errors(pop2024):
    with pytest.raises(ScenarioError, match=r"scenarios_by_year\[2025\] has year 2024"):
        simulate_path(pop2024, {2025: Scenario.status_quo(2024)})
    with pytest.raises(
        ScenarioError, match=r"year 2023 is before population\.year 2024"
    ):
        simulate_path(pop2024, {2023: Scenario.status_quo(2023)})


def test_t8_is_judged_when_income_falls(pop2024):
    """Wages 30 % lower in 2025: per-capita income falls, so the growth ratio is
    undefined, but 低保标准增幅不低于人均可支配收入增幅 can still be judged: a dibao
    raised by 10 % is met, one cut by 40 % (below the fall of income) is not."""
    s24 = Scenario.status_quo(2024)
    s25 = Scenario.status_quo(2025).replace({"wages.growth_rate": -0.3})
    for factor, expected in ((1.1, True), (0.6, False)):
        scen = s25.replace(
            {"transfers.dibao_monthly": s24.transfers.dibao_monthly * factor}
        )
        path = simulate_path(pop2024, {2024: s24, 2025: scen})
        g_income = (
            path.loc[2025, "per_capita_disposable_income"]
            / path.loc[2024, "per_capita_disposable_income"]
            - 1
        )
        assert g_income < 0
        assert pd.isna(path.loc[2025, "T8_value"])
        assert bool(path.loc[2025, "T8"]) is expected
        assert bool(factor - 1 >= g_income) is expected
