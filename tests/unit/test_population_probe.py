"""Hostile probe of Population.from_frames and calibrate: each test is a bug found
and fixed, with the expected behaviour derived from DESIGN.md's rules (bad input is
a clear error of our type naming the column and value; nothing silently dropped or
ignored; all problems of one input reported at once)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Population, calibrate, synthetic_population
from commonprosperity.errors import CalibrationError, PopulationError


def _frames():
    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "weight": [10.0, 20.0, 30.0],
            "urban": [True, False, True],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [3, 1, 2, 1],
            "age": [30, 40, 50, 5],
            "employed": [True, True, False, False],
            "wage": [1.0, 2.0, 3.0, 0.0],
            "business": [0.0, -1.0, 0.0, 0.0],
            "property": [0.0] * 4,
            "pension": [0.0] * 4,
        }
    )
    return hh, pp


# ------------------------------------------------------------ from_frames


@pytest.mark.parametrize("text", [["1", "0", "1"], ["1.0", "0", "1e0"]])
def test_boolean_column_of_text_digits_is_a_type_error(text):
    """Text in a boolean column is a wrong type, as in numeric columns.

    Before: "1"/"0" (and "1.0", "1e0") were read as True/False through float(),
    while "True"/"yes" were refused, so a text column was half read.
    """
    hh, pp = _frames()
    hh["urban"] = pd.Series(text, dtype=object)
    with pytest.raises(PopulationError, match=r"households\.urban must be boolean"):
        Population.from_frames(hh, pp)


def test_household_column_on_person_rows_is_not_silently_dropped():
    """A city column on the persons frame only used to vanish: every household
    fell to the province label '浙江' without a word."""
    hh, pp = _frames()
    pp["city"] = ["杭州", "宁波", "温州", "宁波"]
    with pytest.raises(PopulationError, match=r"persons has household column.*city"):
        Population.from_frames(hh, pp)
    # with the column where it belongs, it is read
    hh["city"] = ["宁波", "温州", "杭州"]
    pop = Population.from_frames(hh, pp.drop(columns="city"))
    assert pop.city.tolist() == ["宁波", "温州", "杭州"]


def test_unknown_persons_and_empty_households_are_reported_together():
    """Household 4 is unknown and households 2 and 3 have no persons: both problems
    in one message (before, the empty households were only found after the unknown
    ids were fixed)."""
    hh, pp = _frames()
    pp = pp[pp.household_id == 1].copy()
    pp.loc[pp.index[0], "household_id"] = 4
    with pytest.raises(PopulationError) as err:
        Population.from_frames(hh, pp)
    msg = str(err.value)
    assert "unknown at rows [0]; got 4" in msg
    assert "no persons for households.household_id at rows [1, 2]" in msg
    # valid input is still grouped in household input order
    hh, pp = _frames()
    pop = Population.from_frames(hh.iloc[::-1], pp)
    assert pop.household_id.tolist() == [3, 2, 1]
    assert pop.offsets.tolist() == [0, 1, 2, 4]
    assert pop.age.tolist() == [30, 50, 40, 5]


def test_duplicate_ids_do_not_hide_the_other_id_problems():
    hh, pp = _frames()
    hh["household_id"] = [1, 1, 3]  # row 1 duplicates id 1; id 2 is gone
    with pytest.raises(PopulationError) as err:
        Population.from_frames(hh, pp)
    msg = str(err.value)
    assert "must be unique; duplicated at rows [1]" in msg
    # the person of household 2 (persons row 2) now names no household
    assert "unknown at rows [2]; got 2" in msg


# --------------------------------------------------------------- calibrate


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(400, seed=3)


def _age_margin(pop, high):
    young = float(np.dot(pop.weight, np.add.reduceat(pop.age < 18, pop.offsets[:-1])))
    total = pop.residents
    return {"persons": {"age": {(0, 18): 1.1 * young, (18, high): total - 1.1 * young}}}


def test_open_ended_age_interval(pop):
    """(18, inf) means "18 and over": before, int(inf) raised a bare OverflowError.
    Ages stop at 120, so it is the same margin as (18, 121)."""
    a = calibrate(pop, _age_margin(pop, np.inf))
    b = calibrate(pop, _age_margin(pop, 121))
    np.testing.assert_array_equal(a.weight, b.weight)
    c = calibrate(pop, _age_margin(pop, 121), method="linear")
    d = calibrate(
        pop,
        {
            "persons": {
                "age": {
                    (-np.inf, np.int64(18)): _age_margin(pop, 121)["persons"]["age"][
                        (0, 18)
                    ],
                    (np.int64(18), float("inf")): _age_margin(pop, 121)["persons"][
                        "age"
                    ][(18, 121)],
                }
            }
        },
        method="linear",
    )
    np.testing.assert_array_equal(c.weight, d.weight)


@pytest.mark.parametrize("key", [(18, float("nan")), (float("nan"), 18), (True, 60)])
def test_bad_age_bounds_are_calibration_errors(pop, key):
    """NaN passed "low < high" (NaN compares false) and then raised a bare
    ValueError; a bool is not an age."""
    with pytest.raises(CalibrationError, match="margin on 'age'"):
        calibrate(pop, {"persons": {"age": {(0, 18): 1.0, key: 2.0}}})


@pytest.mark.parametrize("name", ["age", "urban", "city", "size", "employed"])
def test_variables_named_like_the_library_variables_are_refused(pop, name):
    """variables={"age": head_age} was ignored (the margin counted persons by their
    own ages) and variables={"urban": ...} silently replaced the population's."""
    head = pop.age[pop.offsets[:-1]]
    with pytest.raises(CalibrationError, match=f"variables \\['{name}'\\]"):
        calibrate(
            pop,
            {"households": {"total": {"all": 1e7}}},
            variables={name: head},
        )
    # under a name of its own the same column is a household variable
    old = head >= 60
    res = calibrate(
        pop,
        {"households": {"head_old": {True: 4e6, False: 6e6}}},
        variables={"head_old": old},
    )
    assert res.weight[old].sum() == pytest.approx(4e6, rel=1e-9)
    assert res.weight[~old].sum() == pytest.approx(6e6, rel=1e-9)


@pytest.mark.parametrize("total", [1e15, 1e20, 1e300])
def test_totals_beyond_what_any_weights_allow_name_the_cell(pop, total):
    """400 households at the largest weight a Population allows (1e12) hold at most
    4e14. Before: a PopulationError about "weight" (a column the user never gave)
    or a LinAlgError from the solver."""
    with pytest.raises(CalibrationError, match=r"households\.total cell 'all'"):
        calibrate(pop, {"households": {"total": {"all": total}}})


@pytest.mark.parametrize("persons", [6_468.0, 2.0e7, 2.0e8])
def test_households_and_persons_totals_in_different_units(pop, persons):
    """25 million households and 6,468 (万) persons: 0.0003 persons per household,
    impossible with sizes 1-6; likewise 0.8 and 8. Before: 100 Newton iterations
    and "did not converge ... may be inconsistent", naming no cause."""
    with pytest.raises(CalibrationError, match="persons per household"):
        calibrate(
            pop,
            {
                "households": {"total": {"all": 2.5e7}},
                "persons": {"total": {"all": persons}},
            },
        )
    # 2.6 persons per household is fine
    res = calibrate(
        pop,
        {
            "households": {"total": {"all": 2.5e7}},
            "persons": {"total": {"all": 6.5e7}},
        },
    )
    assert res.population.households_represented == pytest.approx(2.5e7, rel=1e-9)
    assert res.population.residents == pytest.approx(6.5e7, rel=1e-9)
