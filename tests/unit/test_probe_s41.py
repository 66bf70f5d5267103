"""Defects found in session 41 (its probes and its own review), each with its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp


def _flat_population(business: float) -> cp.Population:
    """40 households of one non-employed 30-year-old with ``business`` yuan, 2023."""
    n = 40
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


# A tiny population: the projection's warnings about its few records are expected.
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("business", "dibao_2023", "income_2023"),
    [
        # No income and no dibao: the growth from 0 divided by zero (a raw
        # ZeroDivisionError from simulate_path).
        (0.0, 0.0, "0"),
        # A negative base: -8,800 to +13,270 yuan is no growth rate; T8 was
        # judged met on a "growth of -250.80 %".
        (-10_000.0, 100.0, "-8,800"),
    ],
)
def test_t8_is_undefined_from_a_start_income_not_positive(
    business, dibao_2023, income_2023
):
    pop = _flat_population(business)
    scenarios = {
        2023: cp.Scenario.status_quo(2023).replace(
            {"transfers.dibao_monthly": dibao_2023, "transfers.dibao_take_up": 1.0}
        ),
        2024: cp.Scenario.status_quo(2024).replace(
            {"transfers.dibao_monthly": 2000.0, "transfers.dibao_take_up": 1.0}
        ),
    }
    path = cp.simulate_path(pop, scenarios)
    assert path.loc[2023, "per_capita_disposable_income"] == pytest.approx(
        float(income_2023.replace(",", ""))
    )
    assert pd.isna(path.loc[2024, "T8"])
    assert pd.isna(path.loc[2024, "T8_since_start"])
    assert np.isnan(path.loc[2024, "T8_value"])
    note = path.loc[2024, "note"]
    assert (
        f"per-capita disposable income of 2023 is {income_2023}, so its growth is "
        "undefined" in note
    )
    assert "is not positive, so the growth ratio is undefined" not in note
