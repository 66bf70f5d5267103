"""Defects found in session 51, each checked against its fix."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from commonprosperity import PopulationError
from commonprosperity.survey import read_stata

_PERSONS = {
    "hhid": [1, 1, 2],
    "age": [40, 12, 35],
    "employed": [1, 0, 1],
    "wage": [6e4, 0.0, 8e4],
    "business": [0.0, 0.0, -1e3],
    "property": [0.0, 0.0, 0.0],
    "pension": [0.0, 0.0, 0.0],
}


def _stata_files(tmp_path, households, persons):
    h_path, p_path = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h_path, write_index=False, version=118)
    persons.to_stata(p_path, write_index=False, version=118)
    return h_path, p_path


def test_a_city_synonym_on_the_person_file_beside_the_household_city(tmp_path):
    """read_stata refused a person file's 城市 (a person's own city, say) as a
    misnamed city although the household file has ``city``; from_frames reads
    it as another variable. Without a city in the household file it is still
    refused: every household would fall to the province."""
    households = pd.DataFrame(
        {"hhid": [1, 2], "wt": [1.0, 2.0], "urban": [1, 0], "city": ["杭州", "丽水"]}
    )
    persons = pd.DataFrame(_PERSONS).assign(城市=["宁波", "宁波", "宁波"])
    renames = {"hhid": "household_id", "wt": "weight"}
    pop = read_stata(*_stata_files(tmp_path, households, persons), renames)
    assert list(pop.city) == ["杭州", "丽水"]
    assert np.array_equal(pop.wage, _PERSONS["wage"])
    paths = _stata_files(tmp_path, households.drop(columns="city"), persons)
    with pytest.raises(PopulationError, match=r"\['城市'\].*city"):
        read_stata(*paths, renames)


def test_a_held_back_warning_under_python_c(tmp_path):
    """A warning held back by each_once (project's) was issued with __main__'s
    globals as module_globals: under ``python -c`` (or a script on stdin) the
    warnings machinery asked __main__'s loader for its source and raised
    ImportError, losing the result."""
    code = (
        "import warnings, commonprosperity as cp\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    pop = cp.project(cp.baseline(2024, n_households=3000, seed=0), 2025)\n"
        "print(pop.year, any('does not move' in str(w.message) for w in seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2025", "True"]
