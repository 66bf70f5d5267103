"""The calibrated baseline: determinism, arguments, structure, NBS accounting."""

from __future__ import annotations

import numpy as np
import pytest

from commonprosperity import PopulationError, Scenario, simulate
from commonprosperity import statistics as S
from commonprosperity.baseline import baseline, quintile_means

N = 4_000


@pytest.fixture(scope="module")
def pop2023():
    return baseline(2023, n_households=N, seed=5)


def test_same_arguments_same_population_bit_for_bit(pop2023):
    again = baseline(2023, n_households=N, seed=5)
    for name in (
        "weight",
        "urban",
        "city_code",
        "offsets",
        "age",
        "employed",
        "wage",
        "business",
        "property",
        "pension",
    ):
        a, b = getattr(pop2023, name), getattr(again, name)
        assert a.tobytes() == b.tobytes(), name


def test_other_seed_other_population(pop2023):
    other = baseline(2023, n_households=N, seed=6)
    assert other.n_persons != pop2023.n_persons or not np.array_equal(
        other.wage, pop2023.wage
    )


def test_year_and_source(pop2023):
    assert pop2023.year == 2023
    assert "baseline(year=2023, n_households=4000, seed=5" in pop2023.source
    assert pop2023.n_households == N


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {"year": 2019},
            "year must be one of (2020, 2021, 2022, 2023, 2024); got 2019",
        ),
        (
            {"n_households": 10},
            "n_households must be an integer in 1,000–20,000,000; got 10",
        ),
        ({"seed": -1}, "seed must be a non-negative integer; got -1"),
        ({"urban_definition": "hukou"}, "urban_definition must be one of"),
    ],
)
def test_invalid_arguments(kwargs, fragment):
    with pytest.raises(PopulationError) as info:
        baseline(**kwargs)
    assert fragment in str(info.value)


def test_households_and_residents_follow_census(pop2023):
    """Σ weight × size = year-end residents; residents ÷ households = census size."""
    assert pop2023.residents == pytest.approx(S.population(2023), rel=1e-9)
    table = S.census_table()
    w, size = pop2023.weight, pop2023.size
    for i, city in enumerate(table.index):
        sel = pop2023.city_code == i
        assert np.dot(w[sel], size[sel]) / w[sel].sum() == pytest.approx(
            table.loc[city, "household_size"], rel=1e-8
        )


def test_nbs_accounting_mapping(pop2023):
    """wage + business + property + net transfer = disposable, household by household.

    The model's net transfer is pension + residents' pension + child allowance +
    dibao − contributions − IIT − business tax − property tax (NBS: transfers
    received minus taxes and social-insurance contributions paid).
    """
    hh = simulate(pop2023, Scenario.status_quo(2023)).households
    transfer = (
        hh.pension
        + hh.residents_pension
        + hh.child_allowance
        + hh.dibao
        - hh.contributions
        - hh.iit
        - hh.business_tax
        - hh.property_tax
    )
    total = hh.wage + hh.business + hh.property + transfer
    np.testing.assert_allclose(total, hh.disposable_income, rtol=1e-12, atol=1e-6)
    comp = S.composition(2023)
    urban = pop2023.urban
    w = pop2023.weight
    for area, sel in (("urban", urban), ("rural", ~urban)):
        share = np.dot(w[sel], transfer[sel]) / np.dot(
            w[sel], hh.disposable_income[sel]
        )
        published = comp.loc[area, "transfer"] / comp.loc[area, "total"]
        assert share == pytest.approx(published, abs=1e-4)


def test_quintile_means_by_hand():
    # persons: incomes 1 (weight 2), 2 (weight 2), 3 (weight 6); 10 persons, cuts at 2
    q = quintile_means(np.array([3.0, 1.0, 2.0]), np.array([6.0, 2.0, 2.0]))
    np.testing.assert_allclose(q, [1.0, 2.0, 3.0, 3.0, 3.0])
    # a household straddling a cut is split: 4 persons at 1, 1 person at 6
    q = quintile_means(np.array([1.0, 6.0]), np.array([4.0, 1.0]))
    np.testing.assert_allclose(q, [1.0, 1.0, 1.0, 1.0, 6.0])
