"""simulate's work arrays: reused across calls on a population, never shared."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pandas as pd

from commonprosperity import Scenario, _scratch, simulate, synthetic_population


def test_take_gives_a_spare_of_the_same_owner_and_length_only():
    class Owner:
        pass

    a, b = Owner(), Owner()
    first = _scratch.take(a, 10)
    _scratch.give_back(a, first)
    assert _scratch.take(b, 10) is not first
    assert _scratch.take(a, 11) is not first  # the wrong length: dropped
    assert _scratch.take(a, 10) is not first
    spare = np.empty(10)
    _scratch.give_back(a, spare)
    assert _scratch.take(a, 10) is spare
    # At most two kept.
    arrays = [np.empty(10) for _ in range(3)]
    for x in arrays:
        _scratch.give_back(a, x)
    assert len(_scratch._SPARE[id(a)]) == 2


def test_spares_are_freed_with_their_population():
    pop = synthetic_population(3_000, seed=8)
    simulate(pop, Scenario.status_quo(2024), gini="bracket")
    key = id(pop)
    assert len(_scratch._SPARE[key]) == 2
    del pop
    gc.collect()
    assert key not in _scratch._SPARE


def test_repeated_and_concurrent_calls_give_the_first_calls_numbers():
    """A call after others on the population (its spares hold their incomes), and
    calls on threads at once (each with arrays of its own), give the indicators
    of a first call on a fresh copy, bit for bit."""
    pop = synthetic_population(40_000, seed=3)
    base = Scenario.status_quo(2024)
    scenarios = [
        base.replace({"transfers.dibao_monthly": 900.0 + 50 * i}) for i in range(6)
    ]
    want = [
        simulate(synthetic_population(40_000, seed=3), s, gini=g).indicators
        for s in scenarios
        for g in ("exact", "bracket")
    ]
    for _ in range(2):
        got = [
            simulate(pop, s, gini=g).indicators
            for s in scenarios
            for g in ("exact", "bracket")
        ]
        for a, b in zip(got, want, strict=True):
            pd.testing.assert_series_equal(a, b, check_exact=True)
    results: dict[int, pd.Series] = {}

    def run(i: int) -> None:
        results[i] = simulate(
            pop, scenarios[i // 2], gini=("exact", "bracket")[i % 2]
        ).indicators

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(want))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, b in enumerate(want):
        pd.testing.assert_series_equal(results[i], b, check_exact=True)
