"""The bootstrap's replicate kernels against NumPy's documented scheme.

A replicate draws ``rng.integers(0, sizes)`` (one bound per draw, in stratum order),
counts each PSU's picks with ``np.bincount``, scales them and gathers them per
household. The faster paths (a call per stratum with a scalar bound, the counting
kernel, the weights in income order) must give the same numbers bit for bit and
leave the generator where the scheme leaves it.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonprosperity._kernels.resample import psu_multipliers, sorted_replicate_weights
from commonprosperity.uncertainty import _Design
from tests.conftest import max_examples


def _design(strata, psu, rescaled, relabel):
    """The design of ``bootstrap``; PSUs numbered in stratum order, or not."""
    strata_codes = np.unique(strata, return_inverse=True)[1]
    cluster = np.unique(np.c_[strata_codes, psu], axis=0, return_inverse=True)[1]
    cluster = relabel.permutation(cluster.max() + 1)[cluster.reshape(-1)]
    cluster_stratum = np.zeros(cluster.max() + 1, dtype=np.int64)
    cluster_stratum[cluster] = strata_codes
    return _Design.of(cluster, cluster_stratum, rescaled)


def _scheme_multipliers(design, rng):
    """The scheme written with NumPy: one call with the array of bounds."""
    picked = design.clusters[design.first + rng.integers(0, design.size)]
    counts = np.bincount(picked, minlength=design.scale.size) * design.scale
    counts[design.certain] = 1.0
    return counts


@settings(max_examples=max_examples(60), deadline=None)
@given(
    n_strata=st.integers(1, 80),
    n_households=st.integers(1, 3_000),
    max_psu=st.integers(0, 12),  # 0: each household its own PSU
    seed=st.integers(0, 2**32),
    rescaled=st.booleans(),
)
def test_multipliers_equal_the_scheme_and_leave_the_generator_alike(
    n_strata, n_households, max_psu, seed, rescaled
):
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, n_strata, n_households)
    psu = rng.integers(0, max_psu, n_households) if max_psu else np.arange(n_households)
    design = _design(strata, psu, rescaled, np.random.default_rng(seed + 2))
    ours, theirs = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    for _ in range(3):
        np.testing.assert_array_equal(
            design.psu_multipliers(ours), _scheme_multipliers(design, theirs)
        )
    # The same state after: the next replicate draws the same numbers.
    assert ours.integers(0, 2**62) == theirs.integers(0, 2**62)


def test_the_counting_kernel_takes_the_picks_through_the_psu_order():
    """PSUs numbered out of stratum order (``in_order`` false) and in it."""
    draws = np.array([0, 2, 2, 1, 0])
    first = np.array([0, 0, 0, 3, 3])
    certain = np.zeros(5, dtype=bool)
    clusters = np.array([4, 0, 3, 1, 2])  # stratum 0: PSUs 4, 0, 3; stratum 1: 1, 2
    scale = np.array([1.5, 2.0, 2.0, 1.5, 1.5])  # per PSU: its stratum's
    out = psu_multipliers(draws, clusters, first, scale, certain, False)
    # picks: 4, 3, 3, 2, 1 -> counts 0, 1, 1, 2, 1
    np.testing.assert_array_equal(out, [0.0, 2.0, 2.0, 3.0, 1.5])
    scale = np.array([1.5, 1.5, 1.5, 2.0, 2.0])  # stratum 0: PSUs 0-2; 1: 3, 4
    out = psu_multipliers(draws, np.arange(5), first, scale, certain, True)
    # picks: 0, 2, 2, 4, 3 -> counts 1, 0, 2, 1, 1
    np.testing.assert_array_equal(out, [1.5, 0.0, 3.0, 2.0, 2.0])
    certain[1] = True
    assert psu_multipliers(draws, np.arange(5), first, scale, certain, True)[1] == 1.0


@pytest.mark.parametrize("n", [1, 7, 65_536, 200_003])
def test_sorted_replicate_weights_are_the_gathered_products(n):
    rng = np.random.default_rng(n)
    weight = rng.uniform(0.5, 3.0, n)
    psu = rng.integers(0, max(1, n // 3), n)
    size = rng.integers(1, 6, n).astype(np.float64)
    income = rng.normal(50_000.0, 30_000.0, n)
    multiplier = rng.integers(0, 4, psu.max() + 1) * 1.25
    out, total = sorted_replicate_weights(weight, psu, size, income, multiplier)
    w = weight * multiplier[psu]
    np.testing.assert_array_equal(out, w * size)
    assert total == pytest.approx(float(np.sum(w * income)), rel=1e-12, abs=1e-6)


@pytest.mark.parametrize("n_strata", [1, 3])
def test_many_draws_per_stratum_take_a_call_per_stratum(n_strata):
    """Both ways of drawing are exercised: here one call per stratum."""
    strata = np.repeat(np.arange(n_strata), [1_000, 800, 1_300][:n_strata])
    design = _design(strata, np.arange(strata.size), True, np.random.default_rng(1))
    assert design.runs is not None and len(design.runs) == n_strata
    ours, theirs = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(
        design.psu_multipliers(ours), _scheme_multipliers(design, theirs)
    )
    assert ours.integers(0, 2**62) == theirs.integers(0, 2**62)
