"""The parallel Gini kernels: bucketed exact Gini and the float histogram bracket.

References are independent of the kernels under test: the O(n^2) definition on
small data, and on large data numpy's stable argsort with the gap-form pass
(``gini_exact_from_order``), which microdf agrees with (tests/unit/test_metrics.py).
"""

from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pytest

from commonprosperity._kernels import buckets as B
from commonprosperity._kernels import histogram as H
from commonprosperity._kernels.buckets import (
    BUCKET_MIN_ROWS,
    exact_gini,
    gini_exact_by_buckets,
)
from commonprosperity._kernels.inequality import (
    gini_checked_from_order,
    gini_exact_from_order,
    resort_stable,
)
from commonprosperity._kernels.threads import numba_threads
from commonprosperity.errors import MeasureError
from commonprosperity.metrics import gini

#: Large inputs are minutes of pure Python under NUMBA_DISABLE_JIT=1 (the no-JIT
#: coverage run); there they shrink to sizes that still cross every branch.
JIT = not numba.config.DISABLE_JIT
LARGE = 300_000 if JIT else 3_000


def _pairs_gini(x, w):
    """The definition: sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu), O(n^2)."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    total = w.sum()
    mean = (w * x).sum() / total
    return (np.outer(w, w) * np.abs(x[:, None] - x[None, :])).sum() / (
        2 * total**2 * mean
    )


def _sorted_gini(x, w):
    return float(gini_exact_from_order(x, w, np.argsort(x, kind="stable")))


def _on_one_and_all_threads(compute):
    """``compute()`` on one Numba thread, then on the pool's current count."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = compute()
    finally:
        numba.set_num_threads(before)
    return one, compute()


def _cases(rng, n):
    lognormal = 30_000.0 * rng.lognormal(0.0, 0.8, n)
    mass = lognormal.copy()
    mass[: n // 10] = 25_000.0
    mixed = lognormal.copy()
    mixed[: n // 20] = -rng.uniform(0, 5_000, n // 20)  # business losses
    mixed[n // 20 : n // 10] = 0.0
    mixed[n // 10 : n // 8] = rng.uniform(0, 1, n // 8 - n // 10)  # |x| < 1
    return {
        "lognormal": lognormal,
        "mass point": mass,
        "negative, zero and sub-unit": mixed,
        "pareto": 1_000.0 * (1 + rng.pareto(1.5, n)),
        "crowded": 1.0 + rng.uniform(0, 1e-10, n),  # one bin, one value range
        "integers": rng.integers(1, 5, n).astype(float),  # heavy ties
        "huge range": np.exp(rng.uniform(-5, 600, n)),
    }


@pytest.mark.parametrize("n", [1, 2, 7, 60, 400])
def test_bucket_gini_equals_the_pair_definition(n):
    rng = np.random.default_rng(n)
    for name, x in _cases(rng, max(n, 8)).items():
        x = x[:n]
        w = rng.uniform(0.0, 3.0, n)
        w[0] = 1.0
        if (w * x).sum() <= 0:
            continue
        got, n_bad, _ = gini_exact_by_buckets(x, w)
        assert n_bad == 0
        assert got == pytest.approx(_pairs_gini(x, w), rel=1e-12, abs=1e-15), name


def test_bucket_gini_equals_a_sorted_reference_at_scale():
    rng = np.random.default_rng(7)
    n = LARGE
    for name, x in _cases(rng, n).items():
        w = rng.uniform(0.0, 2.0, n)
        got, n_bad, n_negative = gini_exact_by_buckets(x, w)
        assert n_bad == 0
        assert n_negative == int(((x < 0) & (w > 0)).sum())
        assert got == pytest.approx(_sorted_gini(x, w), rel=1e-12), name


def test_bucket_layout_equals_prefix_sums_over_the_occupied_bins():
    # The positions written by one kernel loop against NumPy's prefix sums (the
    # layout's former implementation), on counts with empty bins inside and
    # outside the occupied span.
    rng = np.random.default_rng(11)
    for n_blocks, n_bins in ((1, 1), (1, 40), (3, 25), (4, 300)):
        counts = np.zeros((n_blocks, n_bins + 4), dtype=np.int64)
        counts[:, 2:-2] = rng.integers(0, 4, (n_blocks, n_bins)) * (
            rng.random(n_bins) < 0.6
        )
        counts[0, 2] = counts[-1, -3] = 1
        lo, hi = 2, n_bins + 2
        n = int(counts.sum())
        starts, positions, task_bins = B._layout(counts, lo, hi, n)
        span = counts[:, lo:hi]
        want_starts = np.concatenate(([0], np.cumsum(span.sum(axis=0))))
        np.testing.assert_array_equal(starts, want_starts)
        np.testing.assert_array_equal(
            positions, want_starts[:-1] + np.cumsum(span, axis=0) - span
        )
        assert task_bins[0] == 0 and task_bins[-1] == hi - lo
        assert (np.diff(task_bins) >= 0).all()
        # Every task but the last ends once its share of the rows is reached.
        for t in range(1, B._BIN_TASKS):
            end = task_bins[t]
            assert end == hi - lo or starts[end] > (t * n) // B._BIN_TASKS


def test_bucket_gini_of_no_rows_is_nan():
    got, n_bad, n_negative = gini_exact_by_buckets(np.empty(0), np.empty(0))
    assert np.isnan(got) and n_bad == 0 and n_negative == 0


def test_bucket_sorted_rows_and_order_equal_numpy_sorting():
    # Above SORT_BUCKET_MIN_ROWS the rows are bucket sorted; signed incomes, ties,
    # zero weights and a wide range, against np.sort and np.lexsort.
    rng = np.random.default_rng(19)
    n = B.SORT_BUCKET_MIN_ROWS + 7 if JIT else 600
    for name, x in _cases(rng, n).items():
        w = rng.uniform(0.0, 2.0, n) * (rng.random(n) < 0.9)
        xs, ws = B.sorted_rows(x, w)
        np.testing.assert_array_equal(xs, np.sort(x), err_msg=name)
        # Each row keeps its own weight: the same (income, weight) pairs.
        ref = np.lexsort((w, x))
        got = np.lexsort((ws, xs))
        np.testing.assert_array_equal(ws[got], w[ref], err_msg=name)
        order = B.income_order(x)
        np.testing.assert_array_equal(np.sort(order), np.arange(n), err_msg=name)
        np.testing.assert_array_equal(x[order], np.sort(x), err_msg=name)


def test_bucket_income_order_is_stable():
    # Heavy ties (a mass point, integers, a crowded bin) in the bucket path: the
    # order equals numpy's stable argsort, ties in position order.
    rng = np.random.default_rng(29)
    n = B.SORT_BUCKET_MIN_ROWS + 3 if JIT else 500
    cases = _cases(rng, n)
    for name in ("mass point", "integers", "crowded", "negative, zero and sub-unit"):
        x = cases[name]
        for stable in (True, False):
            order = B.income_order(x, stable=stable)
            if stable or n >= B.SORT_BUCKET_MIN_ROWS:
                want = np.argsort(x, kind="stable")
                np.testing.assert_array_equal(order, want, err_msg=name)
            np.testing.assert_array_equal(x[order], np.sort(x), err_msg=name)


def test_bucket_gini_counts_bad_rows():
    x = np.linspace(1.0, 2.0, 1_000)
    w = np.ones(1_000)
    x[3] = np.nan
    w[5] = -1.0
    w[7] = np.inf
    assert gini_exact_by_buckets(x, w)[1] == 3


def test_bucket_gini_does_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    x = 30_000.0 * rng.lognormal(0.0, 0.8, 2_500_000 if JIT else 5_000)
    w = rng.uniform(0.5, 2.0, x.size)
    one, two = _on_one_and_all_threads(lambda: gini_exact_by_buckets(x, w)[0])
    assert one == two


def _refuses_what_the_full_validation_refuses(x, w):
    """``gini``'s fast paths name the problems the full validation names."""
    for value in (np.inf, np.nan):
        bad = x.copy()
        bad[11] = value
        with pytest.raises(MeasureError, match=r"income must be finite.*index \[11\]"):
            gini(bad, w)
    neg_w = w.copy()
    neg_w[4] = -2.0
    with pytest.raises(MeasureError, match=r"weight must be >= 0.*index \[4\]"):
        gini(x, neg_w)
    with pytest.raises(MeasureError, match="positive sum"):
        gini(x, np.zeros_like(w))
    with pytest.raises(MeasureError, match="positive weighted mean"):
        gini(x - x.max(), w)
    losses = x.copy()
    losses[:3] = -1.0
    with pytest.warns(UserWarning, match="3 negative value"):
        assert gini(losses, w) == exact_gini(losses, w)


def test_metrics_gini_uses_buckets_and_validates_from_the_fast_path():
    rng = np.random.default_rng(5)
    x = rng.lognormal(10.0, 0.7, BUCKET_MIN_ROWS + 5 if JIT else 500)
    w = rng.uniform(0.5, 2.0, x.size)
    assert gini(x, w) == pytest.approx(_sorted_gini(x, w), rel=1e-12)
    _refuses_what_the_full_validation_refuses(x, w)


def test_checked_gini_equals_the_plain_kernel_and_counts_the_rows():
    rng = np.random.default_rng(17)
    x = np.round(rng.normal(20.0, 15.0, 3_000))  # ties and negative incomes
    w = rng.uniform(0.0, 3.0, x.size)
    w[::7] = 0.0
    order = np.argsort(x)
    g, n_bad, n_negative, top, total = gini_checked_from_order(x, w, order)
    assert g == gini_exact_from_order(x, w, order)  # bit for bit
    assert n_bad == 0
    assert n_negative == int(((x < 0) & (w > 0)).sum()) > 0
    assert top == np.abs(x[w > 0]).max()
    assert total == pytest.approx(w.sum(), rel=1e-15)
    x[[3, 9]] = [np.nan, -np.inf]
    w[[4, 9, 12]] = [-1.0, np.inf, np.nan]
    with np.errstate(all="ignore"):  # without JIT numpy warns about the nan rows
        g, n_bad, *_ = gini_checked_from_order(x, w, np.argsort(x))
    assert np.isnan(g) and n_bad == 4  # rows 3, 4, 9, 12: row 9 counts once
    for mean_sign in (0.0, -1.0):  # no positive mean: nan, as the validation says
        y = np.array([-1.0, 1.0 + mean_sign])
        assert np.isnan(gini_checked_from_order(y, np.ones(2), np.argsort(y))[0])


def test_metrics_gini_checks_small_arrays_on_the_fast_path():
    rng = np.random.default_rng(8)
    x = rng.lognormal(10.0, 0.7, 2_000)
    w = rng.uniform(0.5, 2.0, x.size)
    assert gini(x, w) == exact_gini(x, w)
    assert gini(x) == exact_gini(x, np.ones(x.size))
    # Data of an extreme scale takes the full path, which rescales it exactly.
    assert gini(x * 2.0**900, w) == gini(x, w)
    assert gini(x, w * 2.0**-900) == gini(x, w)
    _refuses_what_the_full_validation_refuses(x, w)
    with pytest.raises(MeasureError, match=r"got mean 0\.0"):
        gini(np.array([-2.0, 1.0, 1.0]))


@pytest.mark.parametrize("n", [50, 5_000, LARGE])
def test_bracket_contains_the_exact_gini_and_is_narrow(n):
    rng = np.random.default_rng(n)
    for name, x in _cases(rng, n).items():
        w = rng.uniform(0.0, 2.0, n)
        exact = _sorted_gini(x, w)
        hist, bounds, rows, bad, negative = H.float_histogram(x, w)
        assert negative == bool(((x < 0) & (w > 0)).any())
        if name == "huge range":
            assert bad  # offsets beyond 1e154 overflow when squared
        else:
            assert not bad
            estimate, lower, upper = H.gini_from_bins(hist, bounds, rows)
            assert lower <= exact <= upper, name
            assert lower <= estimate <= upper
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # negative incomes
            b = gini(x, w, method="bracket")
        assert b.lower <= exact <= b.upper, name
        assert b.width <= H.BRACKET_WIDTH, name


def test_bracket_width_on_survey_like_incomes():
    # Lognormal incomes with 5 % on a mass point: the histogram alone (no exact
    # fallback) stays well inside the default width.
    rng = np.random.default_rng(11)
    n = 1_000_000 if JIT else 4_000
    x = 30_000.0 * rng.lognormal(0.0, 0.8, n)
    x[: n // 20] = 25_000.0
    w = rng.uniform(0.5, 2.0, x.size)
    hist, bounds, rows, _, _ = H.float_histogram(x, w)
    _, lower, upper = H.gini_from_bins(hist, bounds, rows)
    assert upper - lower < 5e-9
    assert lower <= _sorted_gini(x, w) <= upper


def test_crowded_incomes_fall_back_to_the_exact_gini():
    rng = np.random.default_rng(2)
    x = 1.0 + rng.uniform(0, 1e-6, 200_000 if JIT else 2_000)
    w = rng.uniform(0.5, 2.0, x.size)
    b = gini(x, w, method="bracket")
    exact = _sorted_gini(x, w)
    assert b.estimate == pytest.approx(exact, rel=1e-13)
    assert b.lower <= exact <= b.upper
    assert b.width == pytest.approx(2 * H.EXACT_SLACK * exact)


def test_a_histogram_filled_part_by_part_equals_one_of_all_the_rows():
    """add_rows/collect_rows (a sweep's histograms, filled tile by tile): the
    same bins and sums as one histogram of all the rows, a depth covering every
    addition, and a bracket holding the exact Gini; bad rows are flagged."""
    rng = np.random.default_rng(8)
    n = 40_000 if JIT else 3_000
    x = 30_000.0 * rng.lognormal(0.0, 0.8, n)
    x[:30] = -x[:30] / 9  # business losses
    x[100:300] = 12_000.0
    w = rng.uniform(0.5, 2.0, n)
    totals, evers = H.running_sums(1)
    least = 0.0
    cuts = [0, n // 7, n // 7 + 1, n // 2, n]
    for a, b in itertools.pairwise(cuts):
        least = min(least, H.add_rows(x[None, a:b], w[a:b], totals, evers)[0])
    counts = list(np.diff(cuts))
    hist, keys, rows, bad, negative = H.collect_rows(totals[0], evers[0], least, counts)
    h_all, k_all, _, _, _ = H.binned(x, w, serial=True)
    np.testing.assert_array_equal(keys, k_all)
    np.testing.assert_allclose(hist, h_all, rtol=1e-12, atol=1e-6)
    # Within each part's sub-block, one flush per part, one to collect.
    assert rows == max(counts) + len(counts) + 1
    assert not bad and negative
    _, lower, upper = H.binned_bracket((hist, keys, rows, bad, negative), n)
    assert lower <= _sorted_gini(x, w) <= upper
    # Emptied: the next rows start from zero sums.
    assert not totals.any() and not evers.any()
    least = H.add_rows(x[None, :10], -w[:10], totals, evers)[0]
    assert H.collect_rows(totals[0], evers[0], least, [10])[3]


@pytest.mark.parametrize("threads", [1, 2])
def test_histograms_filled_together_equal_each_filled_alone(threads):
    """add_rows of several rows at once (Numba's threads take runs of the
    histograms): each histogram's bits are those of its row filled alone, on any
    thread count, and each row's least weight is returned."""
    rng = np.random.default_rng(81)
    n, count = (30_000, 5) if JIT else (2_000, 3)
    x = 30_000.0 * rng.lognormal(0.0, 0.8, (count, n))
    x[1] = np.sort(x[1])  # clustered: summed a run at a time
    w = rng.uniform(0.5, 2.0, n)
    alone = []
    for k in range(count):
        t1, e1 = H.running_sums(1)
        for a, b in ((0, n // 3), (n // 3, n)):
            H.add_rows(x[None, k, a:b], w[a:b], t1, e1)
        alone.append(H.collect_rows(t1[0], e1[0], 0.0, [n // 3, n - n // 3]))
    totals, evers = H.running_sums(count + 1)  # more histograms than rows
    with numba_threads(threads):
        for a, b in ((0, n // 3), (n // 3, n)):
            least = H.add_rows(x[:, a:b], w[a:b], totals, evers)
            assert (least == 0.0).all()
    for k in range(count):
        got = H.collect_rows(totals[k], evers[k], 0.0, [n // 3, n - n // 3])
        np.testing.assert_array_equal(got[0], alone[k][0])
        np.testing.assert_array_equal(got[1], alone[k][1])
    assert not totals.any() and not evers.any()
    w_bad = w.copy()
    w_bad[5] = -1.0
    least = H.add_rows(x[:, :10], w_bad[:10], totals, evers)
    np.testing.assert_array_equal(least, np.full(count, -1.0))


def test_histogram_flags_bad_rows():
    x = np.linspace(1.0, 9.0, 100)
    w = np.ones(100)
    for i, (xv, wv) in enumerate([(np.nan, 1.0), (np.inf, 0.0), (1.0, -1.0)]):
        xb = x.copy()
        wb = w.copy()
        xb[i], wb[i] = xv, wv
        assert H.float_histogram(xb, wb)[3]
        with pytest.raises(MeasureError):
            gini(xb, wb, method="bracket")
    assert not H.float_histogram(x, w)[3]


def test_histogram_does_not_depend_on_the_thread_count():
    rng = np.random.default_rng(4)
    x = 30_000.0 * rng.lognormal(0.0, 0.8, 1_500_000 if JIT else 3_000)
    w = rng.uniform(0.5, 2.0, x.size)
    one, two = _on_one_and_all_threads(lambda: H.float_histogram(x, w)[0])
    assert np.array_equal(one, two)


def test_bins_are_ordered_intervals_of_relative_width_two_to_minus_twelve():
    # Every bin, from the negative overflow to the positive one: contiguous,
    # increasing, anchored at the edge nearest zero (0 for the central bin).
    # (Without JIT: the ends and the middle of the layout, 12,000 bins.)
    keys = np.arange(H.N_BINS)
    if not JIT:
        keys = np.concatenate(
            [keys[:4_000], keys[H.CENTER - 2_000 :][:4_000], keys[-4_000:]]
        )
    lo, hi, anchor = H._bounds_of(keys).T
    step = np.diff(keys) == 1
    assert (hi > lo).all() and np.array_equal(hi[:-1][step], lo[1:][step])
    assert np.array_equal(anchor, np.where(lo >= 0, lo, np.where(hi <= 0, hi, 0.0)))
    inner = (np.abs(lo) >= 1.0) & np.isfinite(lo) & np.isfinite(hi)
    relative = ((hi - lo) / np.minimum(np.abs(lo), np.abs(hi)))[inner]
    # 2**-12 at an octave's first bin, 2**-12 / (1 + 4095/4096) at its last
    assert relative.max() <= 2.0**-12 and relative.min() > 2.0**-13
    assert H.bin_bounds(H.CENTER) == (-(2.0**H.LOW_EXP), 2.0**H.LOW_EXP, 0.0)
    assert H.bin_bounds(H.N_BINS - 1)[1] == np.inf
    assert H.bin_bounds(0)[0] == -np.inf
    # 30,000 yuan: the bin [30000, 30004) (2**14 * (1 + 3372/4096) = 30,000)
    x = np.array([30_000.0])
    hist, bounds, _, _, _ = H.float_histogram(x, np.ones(1))
    assert tuple(bounds[0]) == (30_000.0, 30_004.0, 30_000.0)
    assert tuple(hist[0]) == (1.0, 0.0, 0.0)


def test_every_value_falls_in_its_bin():
    rng = np.random.default_rng(9)
    x = np.concatenate(
        [
            rng.lognormal(10, 3, 3_000) * rng.choice([-1.0, 1.0], 3_000),
            [0.0, -0.0, 2.0**-17, -(2.0**-16), 2.0**-16, 1.0, 2.0**48, -(2.0**48)],
            [np.nextafter(2.0**48, 0), 1e300, -1e300, 5e-324],
        ]
    )
    for v in x:
        hist, bounds, _, bad, _ = H.float_histogram(np.array([v]), np.array([2.0]))
        lo, hi, anchor = bounds[0]
        assert lo <= v <= hi and (v != hi or v <= 0) and (v != lo or v >= 0), v
        if abs(v) < 1e150:  # larger offsets overflow when squared: flagged
            assert not bad
            assert hist[0, 0] == 2.0 and hist[0, 1] == 2.0 * (v - anchor)


def test_exact_gini_dispatch_agrees_below_and_above_the_bucket_threshold():
    rng = np.random.default_rng(9)
    if not JIT:
        pytest.skip("NUMBA_DISABLE_JIT=1: the dispatch is the same, the size is not")
    for n in (BUCKET_MIN_ROWS - 1, BUCKET_MIN_ROWS):
        x = rng.lognormal(10.0, 1.0, n)
        w = rng.uniform(0.5, 2.0, n)
        assert exact_gini(x, w) == pytest.approx(_sorted_gini(x, w), rel=1e-12)


def test_concurrent_calls_from_python_threads_agree():
    # The parallel kernels may be launched from several Python threads at once
    # (a notebook's executor, a threaded Dask worker); each thread has its own
    # histogram workspace.
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(12)
    x = rng.lognormal(10.0, 1.0, LARGE)
    w = rng.uniform(0.5, 2.0, x.size)
    want = (gini(x, w), gini(x, w, method="bracket"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(
            pool.map(lambda _: (gini(x, w), gini(x, w, method="bracket")), range(8))
        )
    assert all(g == want for g in got)


@pytest.mark.parametrize("seed", range(4))
def test_resort_from_any_start_gives_the_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    n = 2_000
    # Ties (rounded incomes) and a few negatives: the order among ties is the
    # rows' own, as numpy's stable sort puts them.
    income = np.round(rng.lognormal(10, 1, n), -3) - 5_000.0
    expected = np.argsort(income, kind="stable")
    shuffled = rng.permutation(n)
    near = expected.copy()
    # A nearby order: neighbours swapped here and there.
    swap = 2 * rng.choice(n // 2, 200, replace=False)
    near[swap], near[swap + 1] = near[swap + 1], near[swap].copy()
    for start in (np.arange(n), shuffled, near, expected):
        order = start.copy()
        assert resort_stable(income, order, np.empty(n), n * n)
        assert np.array_equal(order, expected)


def test_resort_gives_up_beyond_its_budget_or_on_non_finite_incomes():
    n = 1_000
    income = np.arange(n, 0, -1, dtype=np.float64)  # reversed: n(n-1)/2 moves
    order = np.arange(n)
    assert not resort_stable(income, order, np.empty(n), n)
    assert np.array_equal(np.sort(order), np.arange(n))  # still a permutation
    order = np.arange(n)
    assert resort_stable(income, order, np.empty(n), n * (n - 1) // 2)
    assert np.array_equal(order, np.arange(n)[::-1])
    income[7] = np.nan
    assert not resort_stable(income, np.arange(n), np.empty(n), n * n)
