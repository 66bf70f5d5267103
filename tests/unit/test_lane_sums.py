"""The chunks' sums formed side by side are ``_accumulate``'s, bit for bit."""

from __future__ import annotations

import os

import numpy as np
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity._kernels import flat_flows as F
from commonprosperity._kernels import lane_sums as LS
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.household_terms import gini_weight_scale
from commonprosperity.population import CITY_LABELS
from commonprosperity.simulate import (
    BAND_EDGES,
    _gini_weight,
    _gini_weight_exponent,
    _tier_table,
    _tiers,
    person_arrays,
)

N_CITIES = len(CITY_LABELS)


def _households(rng, n, size=None):
    """Sizes (unless given), weights, urban flags and cities of ``n`` households."""
    if size is None:
        size = rng.integers(1, 9, n)
    offsets = np.concatenate([[0], np.cumsum(size)]).astype(np.int64)
    weight = np.exp(rng.uniform(-3.0, 6.0, n))
    urban = rng.random(n) < 0.6
    city = rng.integers(0, N_CITIES, n).astype(np.int8)
    return offsets, weight, urban, city


def _assert_passes_agree(pop, three_person):
    """The vector pass (status quo 2025) against the household pass on ``pop``:
    totals, per-capita incomes and the Gini weights it writes, bit for bit."""
    n = pop.n_households
    kernel_args = Scenario.status_quo(2025).as_arrays().kernel_args()
    households = (
        pop.offsets,
        pop.household_id,
        pop.weight,
        pop.urban,
        pop.city_code,
        N_CITIES,
    )
    rest = (*person_arrays(pop), *kernel_args, BAND_EDGES, three_person)
    want_pc = np.full(n, np.nan)
    want = K.aggregate_pass(*households, _tiers(pop), *rest, want_pc)
    got_pc = np.full(n, np.nan)
    gini_weight = np.full(n, np.nan)
    scale = gini_weight_scale(_gini_weight_exponent(pop))
    got = F.aggregate_pass(
        *households, _tier_table().ravel(), *rest, got_pc, gini_weight, scale
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_pc, want_pc)
    np.testing.assert_array_equal(gini_weight, _gini_weight(pop))


@pytest.mark.parametrize("three_person", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_lane_sums_are_those_of_accumulate(seed, three_person):
    """LANES chunks of random flows: negative and zero incomes, dibao and none,
    incomes on the band edges; every sum, city sum and per-capita income.

    On an edge in three-person mode, five persons with 3 × 166,666.66666666666 / 5
    = 100,000 exactly, where 3 × (166,666.66666666666 / 5) is below it: the
    operations' order decides the band.
    """
    rng = np.random.default_rng(seed)
    n = LS.SPAN
    # A fifth of the households on a band edge exactly.
    edge = rng.random((LS.LANES, K.CHUNK)) < 0.2
    size = np.where(edge.reshape(-1), 5, rng.integers(1, 9, n))
    offsets, weight, urban, city = _households(rng, n, size)
    starts, ends = offsets[:-1], offsets[1:]
    work = LS.lane_workspace(True)
    city_lanes = np.empty(LS.SPAN, dtype=np.int64)
    gini_weight = np.full(n, np.nan)
    scale = gini_weight_scale(3)
    LS.load_households(
        0, starts, ends, weight, urban, city, work, city_lanes, True, gini_weight, scale
    )
    np.testing.assert_array_equal(gini_weight, (weight * np.diff(offsets)) * scale)
    flows = rng.uniform(-2e5, 6e5, (LS.LANES, 11, K.CHUNK_ROW))
    flows[:, 8][rng.random((LS.LANES, K.CHUNK_ROW)) < 0.5] = 0.0
    flows[:, 1:][rng.random((LS.LANES, 10, K.CHUNK_ROW)) < 0.3] = 0.0
    on_edge = np.zeros((LS.LANES, K.CHUNK_ROW), dtype=bool)
    on_edge[:, : K.CHUNK] = edge
    edges = rng.choice(BAND_EDGES, on_edge.sum())
    flows[:, 0][on_edge] = edges * 5 / 3 if three_person else edges
    flows[:, 1:][np.broadcast_to(on_edge[:, None, :], flows[:, 1:].shape)] = 0.0
    for lane in range(LS.LANES):
        LS.flows_of_lane(work, lane)[:] = flows[lane, :, : K.CHUNK]
    city_sums = np.empty(2 * N_CITIES * LS.LANES)
    LS.lane_sums(work, city_lanes, BAND_EDGES, three_person, city_sums)
    parts = np.full((LS.LANES + 2, K.N_STATS + 2 * N_CITIES), np.nan)
    per_capita = np.full(n + 5 * K.CHUNK, np.nan)
    LS.store_lanes(0, work, city_sums, parts, True, per_capita)
    want = np.full((LS.LANES, K.N_STATS + 2 * N_CITIES), np.nan)
    want_pc = np.full(n, np.nan)
    size = np.diff(offsets)
    for lane in range(LS.LANES):
        h0 = lane * K.CHUNK
        K._accumulate(
            h0,
            h0 + K.CHUNK,
            flows[lane],
            size[h0 : h0 + K.CHUNK],
            weight,
            urban,
            city,
            BAND_EDGES,
            three_person,
            want[lane],
            True,
            want_pc,
        )
    np.testing.assert_array_equal(parts[: LS.LANES], want)
    assert np.isnan(parts[LS.LANES :]).all()
    np.testing.assert_array_equal(per_capita[:n], want_pc)
    assert np.isnan(per_capita[n:]).all()
    assert (want[:, K.S_NEGATIVE_HOUSEHOLDS] > 0).all()
    assert (want[:, K.S_BAND_1] > 0).all() and (want[:, K.S_BAND_2] > 0).all()


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1"
    or os.environ.get("CP_TEST_SMALL") == "1",
    reason="needs 4 chunks a task (131,072 households): too slow without the JIT",
)
@pytest.mark.parametrize("three_person", [False, True])
def test_the_vector_pass_with_lanes_gives_the_household_passs_totals(three_person):
    """At 150,001 households every task has whole groups of LANES chunks, some
    chunks left over, and the last chunk is partial: totals, per-capita incomes
    and Gini weights, bit for bit."""
    n = 150_001
    n_chunks = -(-n // K.CHUNK)
    assert n_chunks // min(n_chunks, K.TASKS) >= LS.LANES
    assert n_chunks % LS.LANES != 0 and n % K.CHUNK != 0
    pop = synthetic_population(n, seed=21)
    _assert_passes_agree(pop, three_person)


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") != "1",
    reason="patches the chunk size, which compiled kernels have frozen: no-JIT only",
)
@pytest.mark.parametrize("n", [64 * 16 - 1, 64 * 16 + 1, 68 * 16 + 3, 127 * 16 + 9])
def test_lanes_group_whole_chunks_of_any_population(monkeypatch, n):
    """Chunks of 16 households, so that a few thousand households give every task
    whole groups of LANES chunks (the grouped loop runs, counted), leftovers and a
    partial last chunk: the vector pass equals the household pass bit for bit."""
    from commonprosperity.population import subsets

    chunk = 16
    for module in (K, F, LS):
        monkeypatch.setattr(module, "CHUNK", chunk)
    monkeypatch.setattr(K, "CHUNK_ROW", chunk + 8)
    for module in (F, LS):
        monkeypatch.setattr(module, "SPAN", chunk * LS.LANES)
        monkeypatch.setattr(module, "ROW", chunk * LS.LANES + 64)
    monkeypatch.setattr(LS, "_SUMS", 17 * (chunk * LS.LANES + 64))
    groups = []
    real = F.lane_sums
    monkeypatch.setattr(F, "lane_sums", lambda *a: groups.append(1) or real(*a))
    pop = subsets(synthetic_population(2_200, seed=4), [np.arange(n)])[0]
    _assert_passes_agree(pop, True)
    assert len(groups) >= K.TASKS - 1  # a task whose last chunk is partial: one less
