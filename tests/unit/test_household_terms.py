"""The households' derived terms equal their NumPy definitions bit for bit."""

import numpy as np
import pytest

from commonprosperity import synthetic_population
from commonprosperity._kernels.household_terms import (
    household_terms,
    household_tiers,
    scaled_person_weights,
)
from commonprosperity.population import CITY_LABELS
from commonprosperity.published import minimum_wage_tier
from commonprosperity.simulate import (
    _cells,
    _gini_weight,
    _gini_weight_exponent,
    _person_weight,
    _tiers,
)


def _tier_table():
    table = np.empty((len(CITY_LABELS), 2), dtype=np.int8)
    for c, label in enumerate(CITY_LABELS):
        for u in (0, 1):
            table[c, u] = minimum_wage_tier(label, bool(u)) - 1
    return table


@pytest.mark.parametrize(
    ("low", "high"),
    [(1e-300, 1e-290), (1e-300, 1e12), (1e11, 1e12), (1.0, 1.0), (0.3, 3e4)],
)
@pytest.mark.parametrize("n", [1, 7, 70_001])
def test_kernel_equals_the_numpy_definitions(low, high, n):
    rng = np.random.default_rng(n)
    weight = np.exp(rng.uniform(np.log(low), np.log(high), n))
    size = rng.integers(1, 12, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(size)
    city = rng.integers(0, len(CITY_LABELS), n)
    urban = rng.random(n) < 0.6
    table = _tier_table()
    cells, exponent = household_terms(city, urban, weight, offsets, len(CITY_LABELS))
    tier = household_tiers(city, urban, table)
    gini_weight = scaled_person_weights(weight, offsets, exponent)
    person_weight = weight * size
    want_exponent = int(np.frexp(np.max(person_weight))[1])
    assert exponent == want_exponent
    # The scaling by a power of two is ldexp's, subnormal results included.
    np.testing.assert_array_equal(gini_weight, np.ldexp(person_weight, -want_exponent))
    assert 0.5 <= gini_weight.max() < 1.0
    np.testing.assert_array_equal(tier, table[city, urban.astype(np.int64)])
    np.testing.assert_array_equal(cells, np.unique(2 * city + urban))


@pytest.mark.parametrize(
    "present", [[0], [21], [0, 21], [3, 4, 5, 20], list(range(22))]
)
def test_cells_are_those_with_households(present):
    """Every occupied cell, the first and the last of the mask's bits included, and
    no other, from households spread over more than one task of the pass."""
    n = 200_000
    code = np.resize(np.array(present), n)
    city, urban = code // 2, (code % 2).astype(bool)
    offsets = np.arange(n + 1, dtype=np.int64)
    cells, exponent = household_terms(city, urban, np.ones(n), offsets, 11)
    np.testing.assert_array_equal(cells, sorted(present))
    assert exponent == 1


def test_population_accessors_read_the_kernels_terms():
    pop = synthetic_population(n_households=3_000, seed=5)
    table = _tier_table()
    np.testing.assert_array_equal(
        _tiers(pop), table[pop.city_code, pop.urban.astype(np.int64)]
    )
    person_weight = pop.weight * pop.size
    np.testing.assert_array_equal(_person_weight(pop), person_weight)
    exponent = int(np.frexp(np.max(person_weight))[1])
    assert _gini_weight_exponent(pop) == exponent
    np.testing.assert_array_equal(_gini_weight(pop), np.ldexp(person_weight, -exponent))
    present = sorted(set(zip(pop.city_code.tolist(), pop.urban.tolist(), strict=True)))
    assert _cells(pop) == [(CITY_LABELS[c], bool(u)) for c, u in present]
    for a in (_tiers(pop), _gini_weight(pop), _person_weight(pop)):
        assert not a.flags.writeable
