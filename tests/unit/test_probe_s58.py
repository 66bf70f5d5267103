"""Defects found in session 58."""

import numpy as np
import pytest

import commonprosperity as cp


def test_calibrate_codes_each_variable_once_when_rows_fall_in_no_cell(monkeypatch):
    """The sample of rows that fall in no cell re-coded the whole population for
    every sampled row and variable (up to 2,000 × names full passes: 3.7 s at 2e5
    households, minutes at 1e6, to say an error). Each margin variable is now coded
    once, and the message still shows the uncovered categories."""
    pop = cp.synthetic_population(3_000, seed=2)
    urban = pop.urban
    city = pop.city
    reads = []
    real = cp.Population.city

    def read(self):
        reads.append(1)
        return real.fget(self)

    monkeypatch.setattr(cp.Population, "city", property(read))
    with pytest.raises(cp.CalibrationError) as info:
        cp.calibrate(
            pop,
            {
                "persons": {
                    ("city", "urban"): {(city[0], bool(urban[0])): 1e6},
                }
            },
        )
    message = str(info.value)
    assert "fall in no cell" in message
    # Every uncovered person is in another city or area than the one cell given.
    other = ~((city == city[0]) & (urban == urban[0]))
    # A persons margin on household variables counts households (by their size).
    assert f"{int(other.sum())} households fall in no cell" in message
    # At most once for the design, not once per sampled household.
    assert len(reads) <= 1


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


@pytest.mark.parametrize("names", [("a",), ("a", "b")])
def test_calibrate_cells_found_by_table_and_by_search_alike(names):
    """Cells are found by a table of code combinations when it is small and by a
    search of the cells otherwise (two variables of 1,000 categories each); both
    give each household its cell: totals 1.2 × the current ones give weights
    1.2 × the current ones."""
    pop = cp.synthetic_population(2_000, seed=4)
    n = pop.n_households
    variables = {"a": np.arange(n) % 1_000, "b": (np.arange(n) // 2) % 1_000}
    keys = list(zip(*(variables[v] for v in names), strict=True))
    totals: dict = {}
    for key, w in zip(keys, pop.weight, strict=True):
        cell = key if len(names) > 1 else key[0]
        totals[cell] = totals.get(cell, 0.0) + 1.2 * w
    margin = names if len(names) > 1 else names[0]
    res = cp.calibrate(pop, {"households": {margin: totals}}, variables=variables)
    np.testing.assert_allclose(res.weight, pop.weight * 1.2, rtol=1e-9)
