"""Defects found in session 42 (its probes and its own review), each with its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp


def _business_population(business: list[float]) -> cp.Population:
    """One non-employed 30-year-old per household with ``business`` yuan, 2023."""
    n = len(business)
    cities = list(cp.published.CITY_NAMES_EN)
    households = pd.DataFrame(
        {
            "household_id": np.arange(n),
            "weight": np.full(n, 1e5),
            "urban": [i % 2 == 0 for i in range(n)],
            "city": [cities[i % len(cities)] for i in range(n)],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": np.arange(n),
            "age": 30,
            "employed": False,
            "wage": 0.0,
            "business": business,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    return cp.Population.from_frames(households, persons, year=2023)


@pytest.mark.parametrize("gini", ["exact", "bracket"])
def test_a_gini_above_one_is_warned(gini):
    # A quarter of the households lose 300,000 yuan: the Gini of the definition
    # is above 1, which simulate returned in silence (metrics.gini warns).
    pop = _business_population(
        [-300_000.0 if i % 4 == 0 else 200_000.0 for i in range(40)]
    )
    with pytest.warns(UserWarning, match=r"above 1, because 10 household record"):
        result = cp.simulate(pop, cp.Scenario.status_quo(2023), gini=gini)
    x = result.households["disposable_income"].to_numpy()  # one person each
    # The definition: mean absolute difference over twice the mean (equal weights).
    expected = np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())
    assert expected > 1
    assert result.indicators["gini"] == pytest.approx(expected, rel=1e-12)


def test_a_few_negative_incomes_are_not_warned():
    # One household in forty below zero: the Gini stays below 1, no warning
    # (pytest turns warnings into errors).
    pop = _business_population([-5_000.0] + [50_000.0 + 1_000 * i for i in range(39)])
    result = cp.simulate(pop, cp.Scenario.status_quo(2023))
    assert result.provenance["households_with_negative_disposable_income"] == 1
    assert 0 < result.indicators["gini"] < 1


@pytest.mark.parametrize(
    ("content", "match"),
    [
        # tomllib named the place only: "Cannot overwrite a value (at line 3,
        # column 21)"; the line names the key given twice.
        (
            b"[transfers]\ndibao_monthly = 1000\ndibao_monthly = 1100\n",
            r"line 3 reads 'dibao_monthly = 1100' \(a key or table given twice",
        ),
        (
            b"[transfers]\ndibao_monthly = 1000\n[transfers]\n",
            r"line 3 reads '\[transfers\]' \(a key or table given twice",
        ),
        # UTF-16 without a byte-order mark: "Invalid statement (at line 1,
        # column 2)".
        (
            "[transfers]\ndibao_monthly = 1000\n".encode("utf-16-le"),
            r"a NUL byte on line 1 \(a UTF-16 file\? save it as UTF-8\)",
        ),
        # GBK: no line at all.
        (
            "[transfers]\n# 低保\ndibao_monthly = 1000\n".encode("gbk"),
            r"byte b'\\xb5' on line 2 is not UTF-8",
        ),
    ],
)
def test_toml_errors_name_the_line(tmp_path, content, match):
    path = tmp_path / "scenario.toml"
    path.write_bytes(content)
    with pytest.raises(cp.ScenarioError, match=match):
        cp.Scenario.from_toml(path)


def test_a_sweep_file_read_as_a_scenario_says_so(tmp_path):
    # Each of its keys was "unknown scenario key", and "year: required".
    path = tmp_path / "sweep.toml"
    path.write_text('year = 2024\n[grid]\n"transfers.dibao_monthly" = [1000, 1200]\n')
    with pytest.raises(cp.ScenarioError, match=r"is a sweep file \(it has a \[grid\]"):
        cp.Scenario.from_toml(path)
