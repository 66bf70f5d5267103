"""Defects found by the session-53 probes, each with the case that showed it."""

import numpy as np
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity.errors import ScenarioError
from commonprosperity.sweep import sweep


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("transfers.dibao_monthly", np.float16(1128.3)),  # stored as 1128.0
        ("wages.minimum_wage_monthly_tier1", np.float16(2491)),  # as 2492.0
        ("transfers.dibao_monthly", np.array(np.float16(1000.0))),  # exact, 0-d
    ],
)
def test_a_float16_policy_value_is_refused(path, value):
    """A float16 keeps about 3 significant figures: a scenario took 1128.3 as
    1128.0 and 2491 as 2492 without a word (the population refuses float16
    amounts)."""
    with pytest.raises(ScenarioError, match=rf"{path}: is a NumPy float16"):
        Scenario.status_quo(2025).replace({path: value})


def test_float16_schedule_rates_and_grid_values_are_refused():
    base = Scenario.status_quo(2025)
    rates = np.array(base.get("income_tax.rates"), dtype=np.float16)
    with pytest.raises(ScenarioError, match=r"income_tax\.rates\[0\]: is a NumPy"):
        base.replace({"income_tax.rates": rates})
    grid = {"transfers.dibao_monthly": np.array([1000.0, 1200.0], dtype=np.float16)}
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_monthly: is a NumPy"):
        sweep(synthetic_population(300, seed=1), base, grid, progress=False)


def test_other_numpy_scalars_are_still_read_exactly():
    base = Scenario.status_quo(2025)
    for value in (np.float32(1200.5), np.float64(1200.25), np.array(1200.0)):
        assert base.replace({"transfers.dibao_monthly": value}).get(
            "transfers.dibao_monthly"
        ) == float(value)
    assert (
        base.replace({"transfers.child_allowance_max_age": np.int8(3)}).get(
            "transfers.child_allowance_max_age"
        )
        == 3
    )
