"""Exact Gini of a fixed sorted part and varying rows (``gini_exact_split``).

References: the O(n^2) definition on small data; on larger data the gap form over
all the rows sorted by numpy (``gini_exact_from_order``), independent of the
split's decomposition into G(F) + G(V) + P(F, V).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonprosperity._kernels.inequality import gini_exact_from_order
from commonprosperity._kernels.split_gini import (
    fixed_part_sums,
    gini_exact_split,
    row_weights,
)
from commonprosperity._sweep_engine import SPLIT_ERROR, _Fixed
from tests.conftest import max_examples

#: Pure Python under NUMBA_DISABLE_JIT=1 (the no-JIT coverage run): smaller.
LARGE = 200_000 if not numba.config.DISABLE_JIT else 5_000


def _pairs_gini(x, w):
    """sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu), O(n^2)."""
    d = np.abs(x[:, None] - x[None, :])
    return float((w[:, None] * w[None, :] * d).sum() / (2 * w.sum() * (w * x).sum()))


def _split(x1, w1, x2, w2):
    order = np.argsort(x1, kind="stable")
    f_income = np.ascontiguousarray(x1[order])
    f_weight = np.ascontiguousarray(w1[order])
    sums = fixed_part_sums(f_income, f_weight)
    order = np.argsort(x2, kind="stable")
    return gini_exact_split(f_income, *sums, x2, w2, order, row_weights(w2))


def test_by_hand():
    """Fixed {1, 3} and rows {2, 6}, unit weights: sum_ij |x_i - x_j| = 2 *
    (2+1+5+1+3+4) = 32, W = 4, mu = 3: G = 32 / (2 * 16 * 3) = 1/3."""
    g, error = _split(
        np.array([3.0, 1.0]), np.ones(2), np.array([6.0, 2.0]), np.ones(2)
    )
    assert g == pytest.approx(1 / 3, rel=1e-15)
    assert 0 <= error < 1e-14


@settings(max_examples=max_examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-1e4, 1e6, allow_nan=False, allow_subnormal=False),
            st.one_of(st.just(0.0), st.floats(1e-3, 50.0)),
            st.booleans(),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_equals_the_definition(rows):
    x = np.array([r[0] for r in rows])
    w = np.array([r[1] for r in rows])
    fixed = np.array([r[2] for r in rows])
    if (
        fixed.all()
        or not fixed.any()
        or w.sum() <= 0
        or (w * x).sum() <= 1e-6 * (w * np.abs(x)).sum()
    ):
        return  # both parts non-empty, a positive mean not lost in rounding
    g, error = _split(x[fixed], w[fixed], x[~fixed], w[~fixed])
    expected = _pairs_gini(x, w)
    if error < SPLIT_ERROR:
        assert g == pytest.approx(expected, rel=1e-9, abs=1e-12)
    else:  # the caller takes the merged walk: still a number
        assert np.isfinite(g) or expected == 0


@pytest.mark.parametrize("case", ["lognormal", "losses and a mass point", "crowded"])
def test_large_rows_against_the_sorted_gap_form(case):
    rng = np.random.default_rng(7)
    n = LARGE
    x = 30_000.0 * rng.lognormal(0.0, 0.8, n)
    w = rng.uniform(0.5, 3.0, n)
    if case == "losses and a mass point":
        x[:300] = -x[:300] / 5
        x[300:20_000] = 12_000.0
    if case == "crowded":  # nearly everyone at one income: a Gini near 0
        x = 50_000.0 + rng.uniform(0.0, 1e-6, n)
    fixed = rng.random(n) < 0.66
    g, error = _split(x[fixed], w[fixed], x[~fixed], w[~fixed])
    whole = gini_exact_from_order(x, w, np.argsort(x, kind="stable"))
    if case == "crowded":
        # The cross terms cancel: the bound says so and the merged walk is used.
        assert error >= SPLIT_ERROR
        return
    assert error < SPLIT_ERROR
    assert abs(g - whole) <= 1e-13 * whole


def test_fixed_part_falls_back_to_the_merged_walk():
    """_Fixed.exact_gini: the split value when its bound is small, else the merged
    walk (both equal the gap form over all the rows)."""
    rng = np.random.default_rng(11)
    for crowded in (False, True):
        x = 50_000.0 + (
            rng.uniform(0, 1e-6, 5_000) if crowded else rng.lognormal(9, 1, 5_000)
        )
        w = rng.uniform(0.5, 2.0, x.size)
        order = np.argsort(x[:3_000], kind="stable")
        part = _Fixed(income=x[:3_000][order].copy(), weight=w[:3_000][order].copy())
        rest = np.ascontiguousarray(x[3_000:])
        got = part.exact_gini(rest, w[3_000:].copy(), np.argsort(rest, kind="stable"))
        whole = gini_exact_from_order(x, w, np.argsort(x, kind="stable"))
        assert abs(got - whole) <= 1e-12 * whole
