"""Second probe of sweep grids: values Python calls equal, NumPy values, options.

Every expected number comes from single :func:`simulate` runs, from the scenario
itself or from the contract, never from the sweep's own output.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, simulate, synthetic_population
from commonprosperity.errors import CommonProsperityError, ScenarioError
from commonprosperity.sweep import sweep

REL = 1e-12


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(600, seed=17)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


# ------------------------------------------- values equal to a valid one, but bool
@pytest.mark.parametrize(
    ("path", "values", "bad"),
    [
        # True == 1.0 and hash(True) == hash(1.0): the bool was never validated
        # and swept as a 100 % take-up (alone it is refused).
        ("transfers.dibao_take_up", [1.0, True], "True"),
        ("transfers.dibao_monthly", [0.0, False], "False"),
        ("transfers.dibao_take_up", [np.float64(1.0), np.True_], "True"),
        ("transfers.child_allowance_max_age", [1, True], "True"),
        (
            "income_tax.rates",
            [
                [0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 1.0],
                [0.03, 0.1, 0.2, 0.25, 0.3, 0.35, True],
            ],
            "True",
        ),
    ],
)
def test_a_bool_equal_to_a_valid_value_is_refused(pop, base, path, values, bad):
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, {path: values}, progress=False)
    msg = str(info.value)
    assert f"grid: {path} = " in msg
    assert bad in msg


# --------------------------------------------------------------- NumPy 0-d arrays
def test_zero_dimensional_array_is_one_value(pop, base):
    frame = sweep(
        pop, base, {"transfers.dibao_monthly": [np.array(900.0)]}, progress=False
    )
    assert frame["transfers.dibao_monthly"].tolist() == [900.0]
    want = simulate(pop, base.replace({"transfers.dibao_monthly": 900.0}))
    for name, value in want.indicators.items():
        got = frame[name].iloc[0]
        assert abs(got - value) <= REL * abs(value) or (
            math.isnan(got) and math.isnan(value)
        ), name


def test_zero_dimensional_array_is_not_a_list_of_values(pop, base):
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, {"transfers.dibao_monthly": np.array(900.0)}, progress=False)
    msg = str(info.value)
    assert "transfers.dibao_monthly must map to a list of values" in msg
    assert "ndarray" in msg


# -------------------------------------------------- lever columns: the scenario's
@pytest.mark.parametrize(
    ("path", "values", "dtype"),
    [
        # An integer field given whole floats holds integers ...
        ("transfers.child_allowance_max_age", [3.0, np.float32(6.0)], "int64"),
        # ... and an amount given integers holds floats.
        ("transfers.dibao_monthly", [900, np.int64(1_200)], "float64"),
    ],
)
def test_lever_columns_hold_the_values_the_scenarios_hold(
    pop, base, path, values, dtype
):
    frame = sweep(pop, base, {path: values}, progress=False)
    scenarios = [base.replace({path: v}) for v in values]
    assert frame[path].tolist() == [s.get(path) for s in scenarios]
    assert [type(v) for v in frame[path].tolist()] == [
        type(s.get(path)) for s in scenarios
    ]
    assert frame[path].dtype == dtype
    # The same scenarios as a list give the same frame, lever column included.
    listed = sweep(pop, base, scenarios, progress=False)
    pd.testing.assert_frame_equal(frame, listed, check_exact=True)


def test_lever_value_valid_only_with_another_is_shown_as_held(pop, base):
    # 20000 is above the base's ceiling: valid only with the higher ceiling.
    grid = {
        "social_insurance.base_floor_monthly": [20_000],
        "social_insurance.base_ceiling_monthly": [30_000],
    }
    frame = sweep(pop, base, grid, progress=False)
    assert frame["social_insurance.base_floor_monthly"].dtype == "float64"
    assert frame["social_insurance.base_ceiling_monthly"].dtype == "float64"
    assert frame.iloc[0, :2].tolist() == [20_000.0, 30_000.0]


# ------------------------------------------------------------------- the options
@pytest.mark.parametrize("progress", ["no", "false", 1, 0.0])
def test_progress_must_be_true_false_or_none(pop, base, progress, capsys):
    # bool("no") is True: a bar was shown for a string or a number.
    with pytest.raises(CommonProsperityError) as info:
        sweep(pop, base, {"transfers.dibao_monthly": [900.0]}, progress=progress)
    msg = str(info.value)
    assert "progress must be True, False or None" in msg
    assert repr(progress) in msg
    assert capsys.readouterr().err == ""
    # A NumPy bool is a bool.
    sweep(pop, base, {"transfers.dibao_monthly": [900.0]}, progress=np.False_)
    assert capsys.readouterr().err == ""


def test_list_grid_says_how_many_more_scenarios_are_wrong(pop, base):
    other = Scenario.status_quo(2022)
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, [other] * 12 + [base, "x"], progress=False)
    msg = str(info.value)
    # The first ten are named; the other three (two years, one type) are counted.
    assert len(re.findall(r"grid\[\d+\]", msg)) == 10
    assert "and 3 more" in msg
