"""Value errors name a renamed column by the data's own name as well as ours.

A survey user renames ``columns={"wt": "weight"}`` and, given a bad weight, looks
for ``wt`` in the frame or file: the message must say ``column 'wt'
(households.weight)``, on every reading path.
"""

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Population
from commonprosperity.errors import PopulationError

RENAMES = {
    "hhcode": "household_id",
    "wt": "weight",
    "b1": "urban",
    "a05": "age",
    "c01": "employed",
    "inc": "wage",
}


def _frames():
    households = pd.DataFrame(
        {"hhcode": [1, 2], "wt": [1.0, -2.0], "b1": [True, False]}
    )
    persons = pd.DataFrame(
        {
            "hhcode": [1, 2, 2],
            "a05": [30, 40, 200],
            "c01": [True, False, True],
            "inc": [1e4, np.nan, 0.0],
            "business": [0.0, 0.0, 0.0],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 0.0],
        }
    )
    return households, persons


def _assert_their_names(message):
    assert "column 'wt' (households.weight) must be > 0" in message
    assert "column 'inc' (persons.wage) must be finite" in message
    assert "column 'a05' (persons.age) must be in 0–120" in message
    # A column the data already names as we do is named once, as before.
    assert "persons.business" not in message
    assert "column 'business'" not in message


def test_from_frames_names_the_frames_columns():
    households, persons = _frames()
    with pytest.raises(PopulationError) as info:
        Population.from_frames(households, persons, RENAMES, source="chip.csv")
    _assert_their_names(str(info.value))
    assert str(info.value).startswith("chip.csv: ")


def test_from_frames_without_renames_names_ours_only():
    households, persons = _frames()
    households = households.rename(columns=RENAMES)
    persons = persons.rename(columns=RENAMES)
    with pytest.raises(PopulationError) as info:
        Population.from_frames(households, persons)
    message = str(info.value)
    assert "households.weight must be > 0" in message
    assert "column '" not in message


def test_read_stata_names_each_files_variables(tmp_path):
    households, persons = _frames()
    households = households.assign(b1=households["b1"].astype(np.int8))
    persons = persons.assign(c01=persons["c01"].astype(np.int8))
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h, write_index=False, version=118)
    persons.to_stata(p, write_index=False, version=118)
    with pytest.raises(PopulationError) as info:
        Population.read_stata(
            h,
            p,
            RENAMES,
            recode={"urban": {1: True, 0: False}, "employed": {1: True, 0: False}},
        )
    _assert_their_names(str(info.value))


def test_read_parquet_names_the_files_columns(tmp_path):
    households, persons = _frames()
    flat = persons.merge(households, on="hhcode")
    path = tmp_path / "flat.parquet"
    flat.to_parquet(path)
    with pytest.raises(PopulationError) as info:
        Population.read_parquet(path, RENAMES)
    _assert_their_names(str(info.value))
    # A household column that differs between a household's person rows.
    flat.loc[2, "wt"] = 5.0
    flat.to_parquet(path)
    with pytest.raises(
        PopulationError, match=r"household column 'wt' \(weight\) must be the same"
    ):
        Population.read_parquet(path, RENAMES)
