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
