"""Margins that only a household weight of 0 meets are refused, naming the household.

Raking's weights d·exp(x'λ) are never 0; it met such margins by driving a weight
towards 0 (3.7e-5 at tol=1e-6) and reported convergence: a household silently
dropped. The household every solution leaves at 0 is found by linear programmes
(_calibrate_zero.forced_to_zero), checked here against solutions by hand and
against one programme per household (the largest weight it can have).
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from commonprosperity import CalibrationError, Population, calibrate
from commonprosperity._calibrate_zero import forced_to_zero
from tests.conftest import max_examples


def three_households(ids=(11, 12, 13)):
    """Urban 杭州, rural 杭州, urban 宁波 (weights 10, 20, 30)."""
    hh = pd.DataFrame(
        {
            "household_id": list(ids),
            "weight": [10.0, 20.0, 30.0],
            "urban": [True, False, True],
            "city": ["杭州", "杭州", "宁波"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": list(ids),
            "age": [40] * 3,
            "employed": [True] * 3,
            "wage": [1.0] * 3,
            "business": [0.0] * 3,
            "property": [0.0] * 3,
            "pension": [0.0] * 3,
        }
    )
    return Population.from_frames(hh, pp)


def margins(hangzhou):
    """宁波 = 50 is household 13's weight, rural = 50 household 12's; 杭州 = urban =
    ``hangzhou`` leave ``hangzhou - 50`` for household 11."""
    return {
        "households": {
            "city": {"杭州": hangzhou, "宁波": 50.0},
            "urban": {True: hangzhou, False: 50.0},
        }
    }


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"tol": 1e-6},
        {"tol": 1e-2},
        {"tol": 1e-14},
        {"method": "linear"},
    ],
)
def test_margins_met_only_by_a_weight_of_0_are_refused(options):
    with pytest.raises(CalibrationError) as caught:
        calibrate(three_households(), margins(50.0), **options)
    text = str(caught.value)
    assert "only if 1 household gets a weight of 0 (household_id 11;" in text
    assert "households.city '杭州'" in text and "households.urban True" in text


def test_the_same_households_with_room_for_the_third_calibrate():
    """杭州 = urban = 60 leave 10 for household 11: the unique solution, by hand."""
    for method in ("raking", "linear"):
        result = calibrate(three_households(), margins(60.0), method=method)
        np.testing.assert_allclose(result.weight, [10.0, 50.0, 50.0], rtol=1e-9)
        assert result.converged


def test_bounds_cannot_help_and_say_so():
    # Reachable cells (ratios up to 3): the solvers fail, and the advice is not
    # "widen the bounds".
    with pytest.raises(CalibrationError, match="no bounds can help: these margins"):
        calibrate(three_households(), margins(50.0), bounds=(0.5, 3.0))
    # A cell out of reach (rural 50 > 2 x 20): refused before solving, same advice.
    with pytest.raises(CalibrationError, match=r"infeasible.*no bounds can help"):
        calibrate(three_households(), margins(50.0), bounds=(0.5, 2.0))


def test_a_solver_stopped_early_names_the_household_too():
    with pytest.raises(CalibrationError, match=r"did not converge.*household_id 11;"):
        calibrate(three_households(), margins(50.0), max_iter=3)


def test_person_margins_that_leave_a_household_nothing():
    """Household 1 (ages 30, 5) holds the only child: weight 4; then 10 aged 15-59
    give household 3 (40, 80) weight 6, and 6 aged 60+ leave household 2 (70) 0."""
    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "weight": [1.0, 1.0, 1.0],
            "urban": [True, True, False],
            "city": ["杭州"] * 3,
        }
    )
    ids = [1, 1, 2, 3, 3]
    pp = pd.DataFrame(
        {
            "household_id": ids,
            "age": [30, 5, 70, 40, 80],
            "employed": [False] * 5,
            "wage": [0.0] * 5,
            "business": [0.0] * 5,
            "property": [0.0] * 5,
            "pension": [0.0] * 5,
        }
    )
    pop = Population.from_frames(hh, pp)
    ages = {(0, 15): 4.0, (15, 60): 10.0, (60, 121): 6.0}
    with pytest.raises(CalibrationError, match=r"gets a weight of 0 \(household_id 2;"):
        calibrate(pop, {"persons": {"age": ages}})


def groups_population(n=3_000, seed=4):
    """Households in groups a, b, c (3:3:4), many with identical rows (merged)."""
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.3, 0.3, 0.4])
    X = sp.csr_matrix(
        np.column_stack(
            [group != "c", group == "c", group != "b", group == "b"]
        ).astype(float)
    )
    return group, X, rng.uniform(0.5, 2.0, n)


def test_forced_to_zero_finds_a_whole_group():
    """a + b = 50, c = 50, a + c = 50, b = 50: a = 0 in every solution."""
    group, X, d = groups_population()
    zero = forced_to_zero(X, d, np.array([50.0, 50.0, 50.0, 50.0]))
    np.testing.assert_array_equal(zero, np.flatnonzero(group == "a"))
    # a + b = 50, b = 30: a = 20 > 0, nothing forced.
    assert forced_to_zero(X, d, np.array([50.0, 50.0, 70.0, 30.0])).size == 0


def largest_weight(X, t, i):
    """The largest weight household ``i`` has in any solution of X'w = t, w >= 0."""
    cost = np.zeros(X.shape[0])
    cost[i] = -1.0
    found = linprog(cost, A_eq=X.T, b_eq=t, bounds=(0, None), method="highs")
    assert found.status in (0, 3)
    return np.inf if found.status == 3 else -found.fun


@settings(max_examples=max_examples(60), deadline=None)
@given(
    rows=st.lists(
        st.lists(st.integers(0, 2), min_size=4, max_size=4), min_size=2, max_size=9
    ),
    solution=st.lists(
        st.one_of(st.just(0.0), st.floats(1.0, 20.0)), min_size=9, max_size=9
    ),
)
def test_forced_to_zero_agrees_with_one_programme_per_household(rows, solution):
    """Margins made from weights with some zeros (so some solution exists): a
    household is reported exactly when the largest weight it can have is 0."""
    X = np.array(rows, dtype=float)
    w = np.array(solution[: len(rows)])
    t = X.T @ w
    zero = set(forced_to_zero(sp.csr_matrix(X), np.ones(len(rows)), t).tolist())
    for i in range(len(rows)):
        assert (i in zero) == (largest_weight(X, t, i) < 1e-6), i
    # A solution with weights > 0 where it has any: only its zeros can be forced.
    assert zero <= set(np.flatnonzero(w == 0).tolist())
