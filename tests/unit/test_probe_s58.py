"""Defects found in session 58."""

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity import _calibrate_design


def test_calibrate_codes_each_variable_once_when_rows_fall_in_no_cell(monkeypatch):
    """The sample of rows that fall in no cell re-coded the whole population for
    every sampled row and variable (up to 2,000 × names full passes: 3.7 s at 2e5
    households, minutes at 1e6, to say an error). Each margin variable is now coded
    once, and the message still shows the uncovered categories."""
    pop = cp.synthetic_population(3_000, seed=2)
    calls = []
    real = _calibrate_design._household_codes

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(_calibrate_design, "_household_codes", counted)
    urban = pop.urban
    with pytest.raises(cp.CalibrationError) as info:
        cp.calibrate(
            pop,
            {
                "persons": {
                    ("city", "urban"): {(pop.city[0], bool(urban[0])): 1e6},
                }
            },
        )
    message = str(info.value)
    assert "fall in no cell" in message
    # Every uncovered person is in another city or area than the one cell given.
    other = ~((pop.city == pop.city[0]) & (urban == urban[0]))
    # A persons margin on household variables counts households (by their size).
    assert f"{int(other.sum())} households fall in no cell" in message
    assert sorted(calls) == ["city", "urban"]


def test_calibrate_person_margin_on_household_variables_as_before():
    """Coding household variables once per household and spreading the codes to
    persons gives the persons margins the household's size, as counting persons."""
    pop = cp.synthetic_population(2_000, seed=3)
    pw = pop.weight * pop.size
    totals = {
        (c, bool(u)): float(pw[(pop.city == c) & (pop.urban == u)].sum()) * 1.1
        for c in np.unique(pop.city)
        for u in (False, True)
        if ((pop.city == c) & (pop.urban == u)).any()
    }
    res = cp.calibrate(pop, {"persons": {("city", "urban"): totals}})
    np.testing.assert_allclose(res.weight, pop.weight * 1.1, rtol=1e-9)
