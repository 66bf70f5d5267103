"""Probe of calibrate (session 34): iteration count, bounds to the last bit,
missing categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonprosperity import CalibrationError, Population, calibrate
from commonprosperity.synthetic import synthetic_population


def _six():
    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4, 5, 6],
            "weight": [1.0] * 6,
            "urban": [True, True, False, False, True, False],
            "city": ["杭州", "宁波", "杭州", "宁波", "杭州", "宁波"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4, 5, 6],
            "age": [40] * 6,
            "employed": [True] * 6,
            "wage": [1.0] * 6,
            "business": [0.0] * 6,
            "property": [0.0] * 6,
            "pension": [0.0] * 6,
        }
    )
    return Population.from_frames(hh, pp)


MARGINS = {
    "households": {"urban": {True: 60, False: 40}, "city": {"杭州": 30, "宁波": 70}}
}


def test_too_few_iterations_are_said_to_be_too_few():
    """Consistent margins that need more than max_iter=2 iterations were
    reported as "may be inconsistent", after "4 iterations": the two solvers'
    counts were added, so the max_iter hint never showed."""
    pop = _six()
    assert calibrate(pop, MARGINS).converged
    with pytest.raises(CalibrationError) as info:
        calibrate(pop, MARGINS, max_iter=2)
    message = str(info.value)
    assert "up to max_iter=2 for each of its two solvers" in message
    assert "raise max_iter" in message


def test_bounded_ratios_stay_inside_the_bounds_to_the_last_bit():
    """w = d * clip(1 + u, lo, hi) divided back by d gave 0.7999999999999999
    and 1.1800000000000002 for bounds (0.8, 1.3) and (0.88, 1.18)."""
    pop = synthetic_population(10_000, seed=11)
    w0 = pop.weight
    cities = sorted(set(pop.city))
    share = np.array([w0[pop.city == c].sum() for c in cities]) / w0.sum()
    share *= np.random.default_rng(3).uniform(0.9, 1.1, len(cities))
    share /= share.sum()
    total = w0.sum() * 1.05
    urban = w0[pop.urban].sum() / w0.sum() * 1.02
    bands = [(0, 15), (15, 60), (60, 121)]
    persons = pop.person_household_index
    in_band = [
        np.bincount(
            persons, weights=(pop.age >= lo) & (pop.age < hi), minlength=len(w0)
        )
        for lo, hi in bands
    ]
    now = [float(w0 @ b) for b in in_band]
    margins = {
        "households": {
            "urban": {True: total * urban, False: total * (1 - urban)},
            "city": {c: total * s for c, s in zip(cities, share, strict=True)},
        },
        "persons": {
            "age": {
                b: v * f for b, v, f in zip(bands, now, (0.95, 1.02, 1.1), strict=True)
            }
        },
    }
    for lo, hi in ((0.8, 1.3), (0.9, 1.2), (0.88, 1.18)):
        r = calibrate(pop, margins, method="linear", bounds=(lo, hi))
        ratio = r.weight / w0
        assert lo <= ratio.min() and ratio.max() <= hi
        assert lo <= r.weight_ratio_min and r.weight_ratio_max <= hi
        assert r.max_relative_error <= 1e-10


def test_missing_values_of_a_variable_are_named():
    """A None category was refused as "households fall in no cell ... give a
    total for every category" although its total was given: missing values
    match no key."""
    edu = np.array(["primary", "college", None, "primary", "college", "primary"])
    totals = {"primary": 30, "college": 20, None: 10}
    with pytest.raises(CalibrationError, match=r"variables\['head_edu'\] is missing"):
        calibrate(
            _six(), {"households": {"head_edu": totals}}, variables={"head_edu": edu}
        )
    # A variable with gaps that no margin uses is no problem.
    r = calibrate(_six(), MARGINS, variables={"head_edu": edu})
    assert r.converged
