"""Behaviours found unpinned by session 63's probes, each with a test."""

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity.errors import CalibrationError


def test_a_name_clash_is_said_first_when_more_than_ten_problems_are_cut():
    """Mutant K1 of session 62: the clash line was put after eleven shape
    problems, past the ten a message shows, and vanished."""
    pop = cp.synthetic_population(50, seed=1)
    variables = {f"v{i}": np.zeros(3) for i in range(11)}
    variables["urban"] = np.zeros(pop.n_households)
    margins = {"households": {"city": {c: 1.0 for c in np.unique(pop.city)}}}
    with pytest.raises(CalibrationError) as info:
        cp.calibrate(pop, margins, variables=variables)
    message = str(info.value)
    assert "['urban'] have the name of a variable the library defines" in message
    assert message.index("['urban']") < message.index("variables['v0']")
    assert "and 2 more such problems" in message
