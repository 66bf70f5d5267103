"""Defects found in session 47, each with the test that failed before its fix."""

from __future__ import annotations

import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity.errors import PopulationError


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    hh = pd.DataFrame(
        {"household_id": [11, 12, 13], "weight": [1.0, 2.0, 1.5], "urban": [0, 1, 0]}
    )
    pp = pd.DataFrame(
        {
            "household_id": [11, 12, 13],
            "age": [41, 67, 35],
            "employed": [1, 0, 1],
            "wage": [96000.0, 0.0, 50000.0],
            "business": [0.0, 0.0, 0.0],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 24000.0, 0.0],
        }
    )
    return hh, pp


def test_stata_114_cut_before_its_value_labels_is_refused(tmp_path):
    """A format-114 file cut off before its value labels (it has no end marker)
    was read as unlabelled: urban labelled 0 = urban read as 0 = rural."""
    from commonprosperity.survey import read_stata

    hh, pp = _frames()
    h, p, cut = tmp_path / "h.dta", tmp_path / "p.dta", tmp_path / "cut.dta"
    hh.to_stata(
        h,
        write_index=False,
        version=114,
        value_labels={"urban": {1: "Urban", 0: "Rural"}},
    )
    pp.to_stata(p, write_index=False, version=114)
    whole = h.read_bytes()
    # The value-label table is the file's last part: 4 bytes of length, then
    # the label's name.
    start = whole.rfind(b"urban\x00") - 4
    cut.write_bytes(whole[:start])
    pop = read_stata(h, p, year=2021)
    assert list(pop.urban) == [False, True, False]
    with pytest.raises(PopulationError) as info:
        read_stata(cut, p, year=2021)
    text = str(info.value)
    assert str(cut) in text and "'urban'" in text and "truncated" in text
    # Read without labels, the codes are taken as given (the documented way out).
    assert list(read_stata(cut, p, year=2021, value_labels=False).urban) == [
        False,
        True,
        False,
    ]


def test_parquet_hint_for_a_required_column_left_unread_speaks_of_one_file(tmp_path):
    """read_parquet said columns= "applies to both files" of its one file."""
    from commonprosperity.survey import read_parquet, write_parquet

    path = tmp_path / "pop.parquet"
    write_parquet(cp.synthetic_population(50, seed=1), path)
    with pytest.raises(PopulationError) as info:
        read_parquet(path, columns={"weight": None})
    text = str(info.value)
    assert "['weight'] left unread by columns=" in text
    assert "both files" not in text


def test_other_year_note_advises_project_only_where_project_runs():
    """A 2018 population was told to use project(population, 2021), which refuses
    years before 2020."""
    from commonprosperity.projection import FIRST_YEAR
    from commonprosperity.simulate import PROJECTABLE_FROM, other_year_note

    assert PROJECTABLE_FROM == FIRST_YEAR
    note = other_year_note(2018, 2021)
    assert "project(population" not in note and "2020" in note
    assert "project(population, 2021)" in other_year_note(2020, 2021)
    old = cp.synthetic_population(300, seed=2).with_year(2018)
    with pytest.raises(PopulationError, match="2020 or later"):
        cp.project(old, 2021)
