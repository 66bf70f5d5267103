"""evaluate_targets on malformed input: errors that name the key and value."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (  # float(pd.NA) raised a raw TypeError
            {"indicators": {"urban_rural_ratio": pd.NA}},
            "indicators['urban_rural_ratio'] must be a number (NaN when undefined)",
        ),
        (  # 'bool' object is not subscriptable
            {"indicators": {}, "verdicts": {"T8": True}},
            "verdicts['T8'] must be a (met: bool, note: str) pair; got True",
        ),
        (  # tuple index out of range
            {"indicators": {}, "verdicts": {"T8": (True,)}},
            "verdicts['T8'] must be a (met: bool, note: str) pair",
        ),
    ],
)
def test_malformed_indicators_and_verdicts_are_named(kwargs, fragment):
    from commonprosperity import ScenarioError, evaluate_targets

    with pytest.raises(ScenarioError) as info:
        evaluate_targets(**kwargs)
    assert fragment in str(info.value)


def test_a_population_of_another_year_is_noted_on_the_level_targets():
    # 2020 incomes judged against 2025 targets miss T1 for want of growth, not
    # of policy: the table says whose incomes they are, and how to get the others.
    from commonprosperity import Scenario, baseline, project, simulate

    pop = baseline(2020, 2_000, seed=0)
    notes = simulate(pop, Scenario.status_quo(2025)).targets()["note"]
    said = "incomes of the 2020 population under 2025 policy"
    assert all(said in notes[t] for t in ("T1", "T2", "T3", "T4", "T5", "T6"))
    assert not any(said in notes[t] for t in ("T7", "T8", "T9", "T10"))
    same_year = simulate(pop, Scenario.status_quo(2020)).targets()["note"]
    assert not same_year.str.contains("population under").any()
    projected = project(pop, 2025)
    notes = simulate(projected, Scenario.status_quo(2025)).targets()["note"]
    assert not notes.str.contains("population under").any()
