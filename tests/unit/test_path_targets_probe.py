"""Probe of the multi-year answers: simulate_path's trend targets T8–T10.

Each test failed before its fix.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity.errors import ScenarioError
from commonprosperity.projection import simulate_path


@pytest.fixture(scope="module")
def pop2021():
    return cp.baseline(2021, n_households=5_000, seed=0)


@pytest.fixture(scope="module")
def status_quo():
    return {y: cp.Scenario.status_quo(y) for y in (2021, 2022, 2023)}


def test_gdp_in_yi_yuan_is_refused(pop2021, status_quo):
    """GDP given in 亿元 (73,516 for 7.35e12 yuan) made per-capita GDP 0.001 yuan,
    income ÷ GDP per capita about 5e7 and T10 a meaningless verdict."""
    sc = {y: status_quo[y] for y in (2021, 2022)}
    with pytest.raises(ScenarioError, match=r"gdp\[2021\].*1 亿元 = 1e8 yuan"):
        simulate_path(pop2021, sc, gdp={2021: 73_516.0, 2022: 77_715.0})


def test_gdp_over_sample_weights_is_refused(pop2021, status_quo):
    """A first year not projected keeps the population's own weights: with sample
    weights (13 k residents) per-capita GDP was 4,000 times too high, and the
    jump to the projected (province) residents the year after read as T10 met."""
    sample = dataclasses.replace(
        pop2021, weight=np.ones(pop2021.n_households), _cache={}
    )
    with pytest.raises(ScenarioError, match=r"gdp\[2021\].*residents"):
        simulate_path(
            sample,
            {y: status_quo[y] for y in (2021, 2022)},
            gdp={2021: 7.35e12, 2022: 7.77e12},
        )
    # GDP in yuan over the province's residents is accepted: about 0.5
    path = simulate_path(
        pop2021,
        {y: status_quo[y] for y in (2021, 2022)},
        gdp={2021: 7.35e12, 2022: 7.77e12},
    )
    assert 0.4 < path.loc[2021, "income_to_gdp_per_capita"] < 0.6


def test_path_with_a_gap_is_refused(pop2021, status_quo):
    """T9 and T10 compare each year with the year before: a path 2021, 2023 judged
    them over two years (and said nothing of 2022), labelled year on year."""
    with pytest.raises(ScenarioError, match=r"missing year\(s\) \[2022\]"):
        simulate_path(pop2021, {y: status_quo[y] for y in (2021, 2023)})


def test_labour_compensation_without_gdp_is_refused(pop2021, status_quo):
    """T7 is labour compensation ÷ GDP: labour compensation of a year without GDP
    was silently ignored (T7 NA, no note in the path)."""
    with pytest.raises(ScenarioError, match=r"labour_compensation\[2022\].*gdp"):
        simulate_path(
            pop2021,
            {y: status_quo[y] for y in (2021, 2022)},
            gdp={2021: 7.35e12},
            labour_compensation={2021: 3.5e12, 2022: 3.7e12},
        )


def test_evaluate_targets_refuses_unknown_trends_and_verdicts():
    """A misspelt trend ('t8', 'T11'), a non-trend one ('T1') or an unknown verdict
    was silently ignored (the target read NA or its own value); a text value was a
    raw ValueError naming nothing."""
    ind = {"per_capita_disposable_income": 60_000.0}
    cases = [
        ({"trends": {"t8": 1.2}}, r"trends\['t8'\].*T8, T9, T10"),
        ({"trends": {"T1": 1.2}}, r"trends\['T1'\].*T8, T9, T10"),
        ({"trends": {"T8": "high"}}, r"trends\['T8'\] must be a number.*'high'"),
        ({"verdicts": {"T11": (True, "x")}}, r"verdicts\['T11'\].*T1"),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(ScenarioError, match=pattern):
            cp.evaluate_targets(ind, **kwargs)
    # the trends a path gives are accepted: exactly 1 meets T8 (≥ 1)
    t = cp.evaluate_targets(ind, trends={"T8": 1.0, "T9": -0.01, "T10": 0.001})
    assert t.loc[["T8", "T9", "T10"], "met"].tolist() == [True, True, True]
