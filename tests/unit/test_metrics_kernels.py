"""The kernel API of commonprosperity._kernels.inequality and .histogram.

Checks the fixed bucket layout (monotone bins, contiguous bounds), the bracket's
rigour on independently accumulated sums, the measured bracket width on typical
income data, accuracy of the exact kernel at scale, and compiled == py_func.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from commonprosperity._kernels import histogram as H
from commonprosperity._kernels import inequality as k

JIT = not numba.config.DISABLE_JIT
#: 10^6-10^7 rows are minutes of pure Python under NUMBA_DISABLE_JIT=1.
BIG = [pytest.mark.slow, pytest.mark.skipif(not JIT, reason="pure Python too slow")]


@pytest.fixture(autouse=True)
def _strict_floating_point():
    with np.errstate(all="raise"):
        yield


def bins_of(x):
    return np.array([k.hist_bin(v) for v in x], dtype=np.int64)


def independent_histogram(x, w):
    """The float histogram's sums by numpy, from its definition (``frexp``, not bits).

    Only the occupied bins, in increasing order, with their ``(lo, hi, anchor)``.
    """
    mant, exp = np.frexp(np.abs(x))  # |x| = mant * 2**exp, 0.5 <= mant < 1
    octave = exp - 1
    assert ((octave >= H.LOW_EXP) & (octave < H.HIGH_EXP)).all()
    steps = 2**H.BITS
    j = np.floor((2 * mant - 1) * steps).astype(np.int64)
    low = np.ldexp(1 + j / steps, octave)
    high = np.ldexp(1 + (j + 1) / steps, octave)
    mag = (octave - H.LOW_EXP) * steps + j
    keys, first, inverse = np.unique(
        np.where(x < 0, -(mag + 1), mag + 1), return_index=True, return_inverse=True
    )
    d = x - np.sign(x) * low
    hist = np.zeros((keys.size, 3))
    np.add.at(hist[:, 0], inverse, w)
    np.add.at(hist[:, 1], inverse, w * d)
    np.add.at(hist[:, 2], inverse, w * d * d)
    lo, hi = low[first], high[first]
    bounds = np.where((keys > 0)[:, None], np.c_[lo, hi, lo], np.c_[-hi, -lo, -lo])
    return hist, bounds


def exact(x, w):
    return k.gini_exact_from_order(x, w, np.argsort(x))


def typical_income(n, seed, mass_share=0.05, sigma=0.7):
    """Lognormal(σ) incomes around 50,000 yuan plus a mass point (a top-up line)."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(math.log(50_000), sigma, n)
    x[rng.random(n) < mass_share] = 36_123.45
    w = rng.uniform(0.5, 2.0, n)
    return x, w


def test_layout_constants():
    assert k.HIST_N_BINS == 2 * k.HIST_CENTER + 1
    assert k.HIST_N_BINS <= 200_000


def test_hist_bin_is_monotone_and_in_range():
    rng = np.random.default_rng(3)
    specials = [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        0.999999,
        1.0,
        -1.0,
        2.0**24,
        2.0**64,
        1e300,
    ]
    x = np.concatenate(
        [
            rng.lognormal(10, 3, 2000),
            -rng.lognormal(8, 3, 500),
            rng.uniform(-2, 2, 500),
            specials,
            np.negative(specials),
            [np.finfo(float).max, -np.finfo(float).max],
        ]
    )
    x.sort()
    b = bins_of(x)
    assert b.min() >= 0 and b.max() < k.HIST_N_BINS
    assert (np.diff(b) >= 0).all()
    assert k.hist_bin(0.5) == k.hist_bin(-0.5) == k.HIST_CENTER
    assert k.hist_bin(-np.finfo(float).max) == 0
    assert k.hist_bin(np.finfo(float).max) == k.HIST_N_BINS - 1


def test_hist_bin_bounds_contain_their_values():
    rng = np.random.default_rng(4)
    x = np.concatenate(
        [rng.lognormal(9, 4, 3000), -rng.lognormal(9, 4, 1000), [1.0, -1.0]]
    )
    for v in x:
        lo, hi = k.hist_bin_bounds(k.hist_bin(v))
        if v > 0 and lo > 0:
            assert lo <= v < hi
        elif v < 0 and hi < 0:
            assert lo < v <= hi
        else:
            assert -1.0 < v < 1.0 and (lo, hi) == (-1.0, 1.0)


def test_hist_bins_tile_the_real_line():
    lo = np.empty(k.HIST_N_BINS)
    hi = np.empty(k.HIST_N_BINS)
    for b in range(k.HIST_N_BINS):
        lo[b], hi[b] = k.hist_bin_bounds(b)
    assert lo[0] == -np.inf and hi[-1] == np.inf
    np.testing.assert_array_equal(hi[:-1], lo[1:])
    assert (hi > lo).all()
    # relative width 2**-12 in the fine range, e.g. [30000, 30004) around 30,000 yuan
    b = k.hist_bin(30_000.0)
    assert k.hist_bin_bounds(b) == (30_000.0, 30_004.0)


def test_independent_sums_bracket_the_exact_gini():
    x, w = typical_income(20_000, seed=5)
    x[:50] = -x[:50] / 10  # a few business losses
    hist, bounds = independent_histogram(x, w)
    est, lo, hi = H.gini_from_bins(hist, bounds, x.size)
    g = exact(x, w)
    assert lo <= g <= hi
    assert lo <= est <= hi
    assert hi - lo < 1e-8
    # the kernel's blocked accumulation gives the same bins, sums and bracket
    hist2, bounds2, rows, bad, negative = H.float_histogram(x, w)
    assert not bad and negative
    np.testing.assert_array_equal(bounds2, bounds)  # the occupied bins only
    np.testing.assert_allclose(hist2, hist, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        H.gini_from_bins(hist2, bounds2, rows), (est, lo, hi), rtol=1e-10
    )


def test_sparse_far_bins_are_summed_and_the_workspace_is_left_clean():
    """Rows scattered over far-apart bins (losses, zeros, tiny and huge incomes,
    across sub-blocks when compiled) give the independent sums, and the reusable
    accumulators are all zero afterwards, so the next call starts clean."""
    rng = np.random.default_rng(12)
    n = 2 * H.SUB_ROWS + 5_000 if JIT else 4_000
    x, w = typical_income(n, seed=12)
    spots = rng.choice(n, 60, replace=False)
    x[spots[:20]] = -rng.uniform(0.01, 1e5, 20)  # losses, far below the rest
    x[spots[20:30]] = rng.uniform(1e9, 1e12, 10)
    hist, bounds = independent_histogram(x, w)
    got, got_bounds, _, bad, negative = H.float_histogram(x, w)
    assert not bad and negative
    np.testing.assert_array_equal(got_bounds, bounds)
    np.testing.assert_allclose(got, hist, rtol=1e-12, atol=1e-9)
    n_grp, _ = H._groups(n)
    assert not H._work(n_grp).any()
    # zeros, tiny magnitudes and overflowing incomes share the three special bins
    x[spots[30:40]] = 0.0
    x[spots[40:50]] = 1e-9
    x[spots[50:]] = 3e15
    got, got_bounds, _, bad, _ = H.float_histogram(x, w)
    assert not bad
    assert not H._work(n_grp).any()
    special = np.isin(got_bounds[:, 2], [0.0, 2.0**H.HIGH_EXP])
    assert special.sum() == 2
    np.testing.assert_allclose(
        got[special, 0], [w[spots[30:50]].sum(), w[spots[50:]].sum()]
    )
    np.testing.assert_array_equal(H.float_histogram(x, w)[0], got)


def test_sorted_rows_with_mass_points_take_the_run_path_and_give_the_same_sums():
    """Sorted incomes (as a sweep's, ordered by base income) with long runs of one
    value (a top-up line) and losses: the data are recognised as clustered,
    the run-by-run sums equal the independent histogram, the workspace is left
    clean and the bracket holds the exact Gini; shuffled rows take the row path
    and give the same histogram up to rounding."""
    rng = np.random.default_rng(21)
    n = H.SUB_ROWS + 70_000 if JIT else 3_000
    x, w = typical_income(n, seed=21)
    # Mass points (a top-up line, a flat pension, a minimum wage): long runs of
    # one value once sorted, which make the rows clustered (9 pairs in 10 shared).
    u = rng.random(n)
    x[u < 0.5] = 10_020.0
    x[(u >= 0.5) & (u < 0.8)] = 24_000.0
    x[(u >= 0.8) & (u < 0.97)] = 31_080.0
    x[:40] = -rng.uniform(1.0, 5e4, 40)
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    assert H._clustered(xs)
    shuffle = rng.permutation(n)
    assert not H._clustered(xs[shuffle])
    hist, bounds = independent_histogram(xs, ws)
    got, got_bounds, _, bad, negative = H.float_histogram(xs, ws)
    assert not bad and negative
    np.testing.assert_array_equal(got_bounds, bounds)
    np.testing.assert_allclose(got, hist, rtol=1e-12, atol=1e-9)
    n_grp, _ = H._groups(n)
    assert not H._work(n_grp).any()
    mixed = H.float_histogram(xs[shuffle], ws[shuffle])[0]
    np.testing.assert_allclose(mixed, got, rtol=1e-12, atol=1e-9)
    # One group on the calling thread: the same bins, its own depth, clean after.
    serial, keys, rows, bad, _ = H.binned(xs, ws, serial=True)
    np.testing.assert_array_equal(keys, H.binned(xs, ws)[1])
    np.testing.assert_allclose(serial, got, rtol=1e-12, atol=1e-9)
    assert not bad and rows == H.sum_depth(n, serial=True) >= H.sum_depth(n)
    assert not H._serial_work().any()
    _, lower, upper, usable, _ = H.histogram_bracket(xs, ws)
    # The argsort-and-cumsum definition (xs is sorted).
    lorenz = np.cumsum(ws * xs)
    exact = 1.0 - np.sum(ws * (2.0 * lorenz - ws * xs)) / (ws.sum() * lorenz[-1])
    assert usable and lower <= exact <= upper and upper - lower <= H.BRACKET_WIDTH


def test_clustered_needs_two_rows():
    assert not H._clustered(np.empty(0))
    assert not H._clustered(np.array([5.0]))
    assert H._clustered(np.array([5.0, 5.0]))


def test_gini_from_bins_degenerate_inputs():
    zeros = np.zeros((5, 3))
    bounds = np.array([[1.0, 2.0, 1.0]] * 5)
    assert all(math.isnan(v) for v in H.gini_from_bins(zeros, bounds, 1))


@pytest.mark.parametrize(
    "n",
    [100_000, pytest.param(1_000_000, marks=BIG), pytest.param(10_000_000, marks=BIG)],
)
def test_bracket_width_on_typical_income_data(n):
    """Default resolution: width <= 1e-8 on lognormal(σ = 0.7) incomes with 5 % of
    the rows on one mass point. Measured widths (histogram alone, no exact
    fallback): 2.8e-9 (1e5), 3.3e-9 (1e6) and 3.9e-9 (1e7) rows."""
    x, w = typical_income(n, seed=6)
    hist, bounds, rows, _, _ = H.float_histogram(x, w)
    est, lo, hi = H.gini_from_bins(hist, bounds, rows)
    g = exact(x, w)
    assert lo <= g <= hi
    assert hi - lo <= 5e-9
    assert abs(est - g) <= 5e-9


def test_exact_kernel_accuracy_against_pairwise_reference():
    """On 10^6 rows (2 x 10^5 without JIT) the gap form agrees to 1e-12 relative
    with the microdf formula evaluated by numpy on the sorted data."""
    rng = np.random.default_rng(7)
    n = 1_000_000 if JIT else 200_000
    x = rng.lognormal(10.5, 0.8, n).round(0)
    w = rng.uniform(0.2, 3.0, n)
    o = np.argsort(x, kind="stable")
    xs, ws = x[o], w[o]
    cw = np.cumsum(ws)
    cx = np.cumsum(xs * ws)
    ref = np.sum(cx[1:] * cw[:-1] - cx[:-1] * cw[1:]) / (cx[-1] * cw[-1])
    assert k.gini_exact_from_order(x, w, np.argsort(x)) == pytest.approx(ref, rel=1e-12)


def test_exact_kernel_does_not_depend_on_tie_order():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 20, 500).astype(float)
    w = rng.uniform(0, 2, 500)
    a = k.gini_exact_from_order(x, w, np.argsort(x, kind="stable"))
    b = k.gini_exact_from_order(x, w, np.argsort(-x, kind="stable")[::-1].copy())
    assert a == pytest.approx(b, rel=1e-14)


def test_weighted_sums_are_compensated():
    # 1 + 1e-16 * 10^5 : a naive left-to-right sum loses every small term
    v = np.concatenate([[1.0], np.full(100_000, 1e-16)])
    w = np.ones_like(v)
    assert k.weighted_sum(v, w) == pytest.approx(1.0 + 1e-11, rel=1e-15)
    assert k.weighted_totals(v, w)[1] == pytest.approx(1.0 + 1e-11, rel=1e-15)


def test_grouped_totals():
    codes = np.array([0, 1, 0, 2], dtype=np.int64)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    v = np.array([10.0, 20.0, 30.0, 40.0])
    gw, gv = k.grouped_totals(codes, 3, w, v)
    np.testing.assert_array_equal(gw, [4.0, 2.0, 4.0])
    np.testing.assert_array_equal(gv, [100.0, 40.0, 160.0])


KERNEL_CASES = [
    ("gini_exact_from_order", lambda x, w: (x, w, np.argsort(x))),
    ("concentration_from_order", lambda x, w: (x[::-1].copy(), w, x, np.argsort(x))),
    ("lorenz_from_order", lambda x, w: (x, w, np.argsort(x))),
    ("weighted_totals", lambda x, w: (x, w)),
]


@pytest.mark.parametrize(("name", "make_args"), KERNEL_CASES)
def test_compiled_kernels_match_python(name, make_args):
    kernel = getattr(k, name)
    if not hasattr(kernel, "py_func"):
        pytest.skip("NUMBA_DISABLE_JIT=1: kernels are plain Python already")
    rng = np.random.default_rng(9)
    x = rng.lognormal(10, 1, 50).round(-3)
    w = rng.integers(0, 4, 50).astype(float)
    w[0] = 1.0
    args = make_args(x, w)
    got = kernel(*args)
    want = kernel.py_func(*args)
    for a, b in zip(np.atleast_1d(got), np.atleast_1d(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_compiled_histogram_kernels_match_python():
    if not hasattr(k.hist_bin, "py_func"):
        pytest.skip("NUMBA_DISABLE_JIT=1")
    for v in (0.0, -0.0, 0.5, 1.0, -1.0, 3e4, -7.7e6, 2.0**24, 1e19, 1e30, -1e30):
        assert k.hist_bin(v) == k.hist_bin.py_func(v)
    for b in (0, 1, 5_000, k.HIST_CENTER, k.HIST_CENTER + 1, k.HIST_N_BINS - 1):
        assert k.hist_bin_bounds(b) == k.hist_bin_bounds.py_func(b)
    x, w = typical_income(2_000, seed=10)
    hist, bounds, rows, _, _ = H.float_histogram(x, w)
    work = np.zeros((2, H.N_BINS, 3))
    py_hist, _, _ = H._accumulate.py_func(x, w, 1, x.size, work, False)
    np.testing.assert_array_equal(hist, py_hist)
    xs = np.sort(x)
    for clustered in (False, True):
        got = H._accumulate(xs, w, 1, x.size, work, clustered)[0]
        want = H._accumulate.py_func(xs, w, 1, x.size, work, clustered)[0]
        np.testing.assert_array_equal(got, want)
    for key in (0, 1, H.CENTER - 7, H.CENTER, H.CENTER + 9_000, H.N_BINS - 1):
        assert H.bin_bounds(key) == H.bin_bounds.py_func(key)
    np.testing.assert_allclose(
        H.gini_from_bins(hist, bounds, rows),
        H.gini_from_bins.py_func(hist, bounds, rows),
        rtol=1e-12,
    )
