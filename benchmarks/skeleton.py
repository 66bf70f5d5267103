"""A rules-free pass: ``simulate(gini="bracket")``'s structure with no policy rules.

What a pass built like the library's costs before any tax or transfer rule: the
households' derived terms (the Gini's weights: ``simulate`` writes them in its
pass after a pass for their scale, here a pass of their own follows that one),
a parallel pass over chunks of ``CHUNK`` households that reads every person and
household array and forms one sum per household in person order, the library's
own accumulation of the chunk totals (``_kernels.simulate._accumulate``, the sums
``simulate`` and every sweep share bit for bit) with the per-capita incomes
written, and the bracketed Gini of those incomes. Its time against the memory
floor shows how much of the distance between ``simulate`` and the floor is the
structure and how much the rules.

The "incomes" are the households' market incomes: the employed count, the
summed ages and the id (integers, so exactly) are each taken off as a levy and
given back as a benefit, so that no read can be optimised away (the totals keep
them) and the Gini sees market incomes, households without any at exactly 0.
(Scaled to a few yuan and only taken off, they gave those households tiny
negative incomes, an extreme scale for the histogram, and the Gini fell back to
the exact sort.)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from commonprosperity._kernels.simulate import (
    CHUNK,
    CHUNK_ROW,
    N_STATS,
    TASKS,
    _accumulate,
    neumaier_column_sums,
)


@njit(cache=True, parallel=True)
def rules_free_totals(
    offsets,
    household_id,
    weight,
    is_urban,
    city,
    n_cities,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    band_edges,
    per_capita,
):
    """Totals of the rules-free pass; ``per_capita[h]`` receives household h's."""
    n = weight.shape[0]
    starts = offsets[:-1]
    ends = offsets[1:]
    n_chunks = (n + CHUNK - 1) // CHUNK
    parts = np.zeros((n_chunks, N_STATS + 2 * n_cities))
    n_tasks = min(n_chunks, TASKS)
    for task in prange(n_tasks):
        flows = np.zeros((11, CHUNK_ROW))
        size = np.empty(CHUNK, dtype=np.int64)
        for c in range(task * n_chunks // n_tasks, (task + 1) * n_chunks // n_tasks):
            h0 = c * CHUNK
            h1 = min(n, h0 + CHUNK)
            for i in range(h1 - h0):
                a0 = starts[h0 + i]
                a1 = ends[h0 + i]
                size[i] = a1 - a0
                income = 0.0
                employed = 0.0
                years = 0.0
                for j in range(a0, a1):
                    u = np.uint64(j)
                    income += wage[u] + business[u] + property_income[u] + pension[u]
                    employed += 1.0 if is_employed[u] else 0.0
                    years += age[u]
                # Each read value taken off as a levy and given back as a benefit
                # (see the module text): the income stays the market income.
                flows[0, i] = income
                flows[4, i] = employed
                flows[9, i] = employed
                flows[5, i] = years
                flows[10, i] = years
                flows[7, i] = household_id[h0 + i]
                flows[8, i] = household_id[h0 + i]
            _accumulate(
                h0,
                h1,
                flows,
                size,
                weight,
                is_urban,
                city,
                band_edges,
                False,
                parts[c],
                True,
                per_capita,
            )
    return neumaier_column_sums(parts)


def rules_free_totals_of(pop, per_capita: np.ndarray) -> np.ndarray:
    """:func:`rules_free_totals` of the population ``pop``."""
    from commonprosperity.population import CITY_LABELS
    from commonprosperity.simulate import BAND_EDGES

    return rules_free_totals(
        pop.offsets,
        pop.household_id,
        pop.weight,
        pop.urban,
        pop.city_code,
        len(CITY_LABELS),
        pop.age,
        pop.employed,
        pop.wage,
        pop.business,
        pop.property,
        pop.pension,
        BAND_EDGES,
        per_capita,
    )


def rules_free_pass(pop) -> tuple[float, float, float]:
    """The rules-free pass on ``pop`` and its bracketed Gini ``(est, lower, upper)``.

    Derives the households' terms as ``simulate`` does when the population has
    forgotten them (:func:`benchmarks.common.forget_derived`).
    """
    from commonprosperity._kernels.histogram import bracket_gini
    from commonprosperity.simulate import _gini_weight

    # The households' terms simulate derives (cells, the Gini's scale), and the
    # Gini's weights.
    gini_weight = _gini_weight(pop)
    per_capita = np.empty(pop.n_households)
    rules_free_totals_of(pop, per_capita)
    return bracket_gini(per_capita, gini_weight)
