"""Reproductions of the faults found in session 30, each beside a check that the
valid input still passes."""

from __future__ import annotations

import pytest

from commonprosperity import Scenario, ScenarioError


def test_minimum_wage_keys_are_the_core_issues_names():
    # The core issue names the fields exactly: minimum_wage_monthly_tier1..3.
    s = Scenario.status_quo(2024).replace(
        {
            "wages.minimum_wage_monthly_tier1": 2600,
            "wages.minimum_wage_monthly_tier2": 2400,
            "wages.minimum_wage_monthly_tier3": 2200,
        }
    )
    assert s.wages.minimum_wage_monthly_tier1 == 2600
    assert s.wages.minimum_wage_monthly_tier3 == 2200


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_words_in_another_order_suggest_that_key_first(tier):
    with pytest.raises(ScenarioError) as info:
        Scenario.status_quo(2024).replace(
            {f"wages.minimum_wage_tier{tier}_monthly": 2500}
        )
    assert f"did you mean wages.minimum_wage_monthly_tier{tier}?" in str(info.value)
