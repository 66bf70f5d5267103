"""Second probe of project(): a population whose urban share cannot move."""

from __future__ import annotations

import pandas as pd
import pytest

from commonprosperity import Population
from commonprosperity.errors import CalibrationError
from commonprosperity.projection import project


def _two_cities(cities):
    hh = pd.DataFrame(
        {
            "household_id": [1, 2],
            "weight": [1.0, 2.0],
            "urban": [True, False],
            "city": cities,
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": [30, 40],
            "employed": [True, True],
            "wage": [50_000.0, 30_000.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    return Population.from_frames(hh, pp, year=2020)


def test_urban_share_that_cannot_move_is_explained():
    """杭州 all urban, 宁波 all rural: keeping each city's households and residents
    fixes the urban share, which project must move by the published change. Before,
    the error was calibrate's "did not converge ... the margins may be inconsistent"
    about margins the caller never gave."""
    pop = _two_cities(["杭州", "宁波"])
    with pytest.raises(CalibrationError) as err:
        project(pop, 2021)
    msg = str(err.value)
    assert msg.startswith("project: cannot reweight the population to 2021")
    assert "no city has both urban and rural households" in msg


@pytest.mark.parametrize("population", [None, "pop.parquet"])
def test_simulate_path_of_a_non_population_is_our_error(population):
    """It raised AttributeError: ... has no attribute 'year'."""
    import commonprosperity as cp

    with pytest.raises(cp.ArgumentError, match="population must be a Population"):
        cp.simulate_path(population, {2024: cp.Scenario.status_quo(2024)})
