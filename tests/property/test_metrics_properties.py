"""Hypothesis invariants of the inequality measures and their kernels.

Profiles: ``ci`` and ``dev`` are registered here unless ``tests/conftest.py``
already registered them; whichever profile is active, these tests run at most 50
examples each (``MAX_EXAMPLES``), without deadline (the first call compiles).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from commonprosperity import metrics as m
from commonprosperity._kernels import inequality as k
from tests.conftest import max_examples

for _name, _examples in (("ci", 50), ("dev", 25)):
    try:
        settings.get_profile(_name)
    except InvalidArgument:
        settings.register_profile(
            _name,
            max_examples=_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )

MAX_EXAMPLES = settings().max_examples
PROFILE = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _strict_floating_point():
    with np.errstate(all="raise"):
        yield


sizes = st.integers(min_value=1, max_value=40)
# incomes in yuan, with ties (multiples of 100) and without; nothing below 0.01
# yuan, so that products of incomes and weights never underflow
money = st.one_of(
    st.integers(min_value=0, max_value=2_000).map(lambda v: v * 100.0),
    st.floats(min_value=0.01, max_value=1e7, allow_nan=False),
)
weights_el = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_subnormal=False),
)


@st.composite
def weighted_data(draw, signed=False, min_size=1):
    n = draw(st.integers(min_value=min_size, max_value=40))
    el = money
    if signed:
        el = st.one_of(money, money.map(lambda v: -v / 10))
    x = draw(arrays(np.float64, n, elements=el))
    w = draw(arrays(np.float64, n, elements=weights_el))
    assume(w.sum() > 0 and np.sum(w * x) > 1e-3 * np.sum(w) * max(1.0, np.abs(x).max()))
    return x, w


def brute_gini(x, w):
    d = np.abs(x[:, None] - x[None, :])
    return float((w[:, None] * w[None, :] * d).sum() / (2 * w.sum() * np.sum(w * x)))


@PROFILE
@given(weighted_data(), st.floats(min_value=1e-3, max_value=1e3))
def test_gini_scale_invariance(data, c):
    x, w = data
    assert m.gini(c * x, w) == pytest.approx(m.gini(x, w), rel=1e-12, abs=1e-14)


@PROFILE
@given(weighted_data(), st.randoms(use_true_random=False))
def test_gini_permutation_invariance(data, rnd):
    x, w = data
    perm = np.array(rnd.sample(range(x.size), x.size), dtype=np.int64)
    assert m.gini(x[perm], w[perm]) == pytest.approx(m.gini(x, w), rel=1e-12, abs=1e-14)


@PROFILE
@given(weighted_data())
def test_gini_doubling_weights(data):
    x, w = data
    assert m.gini(x, 2 * w) == pytest.approx(m.gini(x, w), rel=1e-13, abs=1e-15)


@PROFILE
@given(weighted_data(), st.data())
def test_integer_weights_equal_repeated_rows(data, draw):
    x, _ = data
    w = draw.draw(arrays(np.int64, x.size, elements=st.integers(0, 4)))
    assume(w.sum() > 0 and np.sum(w * x) > 0)
    rep = np.repeat(x, w)
    wf = w.astype(np.float64)
    assert m.gini(x, wf) == pytest.approx(m.gini(rep), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(
        m.quantile_shares(x, wf, 4),
        m.quantile_shares(rep, None, 4),
        rtol=1e-10,
        atol=1e-13,
    )


@PROFILE
@given(weighted_data())
def test_gini_bounds_and_definition(data):
    x, w = data
    g = m.gini(x, w)
    assert 0.0 <= g < 1.0
    assert g == pytest.approx(brute_gini(x, w), rel=1e-11, abs=1e-14)
    if np.unique(x[w > 0]).size == 1:
        assert g == 0.0


@PROFILE
@given(weighted_data(min_size=2), st.data())
def test_pigou_dalton_transfer_never_raises_gini(data, draw):
    x, w = data
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    assume(x.size >= 2)
    i = draw.draw(st.integers(0, x.size - 2))
    j = draw.draw(st.integers(i + 1, x.size - 1))
    assume(x[j] > x[i])
    # total transfer t from every unit of row j to every unit of row i, small
    # enough to keep all ranks: x_i' <= x_{i+1}, x_j' >= x_{j-1}, x_i' <= x_j'
    room_i = x[i + 1] - x[i]
    room_j = x[j] - x[j - 1]
    cap = min(room_i * w[i], room_j * w[j], (x[j] - x[i]) / (1 / w[i] + 1 / w[j]))
    t = draw.draw(st.integers(0, 1000)) / 1000 * cap
    y = x.copy()
    y[i] += t / w[i]
    y[j] -= t / w[j]
    assume((np.diff(y) >= 0).all())
    assert m.gini(y, w) <= m.gini(x, w) + 1e-12


@PROFILE
@given(weighted_data(signed=True), st.integers(1, 12))
def test_quantile_shares_sum_to_one(data, n):
    x, w = data
    shares = m.quantile_shares(x, w, n)
    assert shares.shape == (n,)
    assert shares.sum() == pytest.approx(1.0, abs=1e-11)
    if (x >= 0).all():
        assert (np.diff(shares) >= -1e-12).all()


@PROFILE
@given(
    weighted_data(signed=True),
    st.lists(
        st.floats(-1e6, 1e7, allow_nan=False), min_size=1, max_size=6, unique=True
    ),
)
def test_band_shares_over_a_partition_sum_to_one(data, cuts):
    x, w = data
    edges = [-np.inf, *sorted(cuts), np.inf]
    total = sum(m.band_share(x, w, lo, hi) for lo, hi in itertools.pairwise(edges))
    assert total == pytest.approx(1.0, abs=1e-14)


@PROFILE
@given(weighted_data(signed=True))
# found by hypothesis: rounding in Q = (w x) x made a spurious within-bin spread
@example(data=(np.array([0.0] * 21 + [428079.5859375]), np.full(22, 3.0)))
def test_bracket_contains_exact(data):
    x, w = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # negative incomes are legal
        b = m.gini(x, w, method="bracket")
        g = m.gini(x, w)
    tol = 1e-14 * max(1.0, g)
    assert b.lower - tol <= g <= b.upper + tol
    assert b.lower <= b.estimate <= b.upper


@PROFILE
@given(weighted_data(signed=True))
@example(data=(np.array([0.0] * 21 + [428079.5859375]), np.full(22, 3.0)))
def test_histogram_bracket_contains_exact(data):
    """The histogram's own bracket on few rows (``gini`` uses it from 32,768)."""
    from commonprosperity._kernels.histogram import histogram_bracket

    x, w = data
    estimate, lower, upper, usable, _ = histogram_bracket(x, w)
    if not (usable and estimate == estimate):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # negative incomes are legal
        g = m.gini(x, w)
    tol = 1e-14 * max(1.0, g)
    assert lower - tol <= g <= upper + tol
    assert lower <= estimate <= upper


@PROFILE
@given(weighted_data(signed=True))
def test_lorenz_ends_and_gini_identity(data):
    x, w = data
    p, s = m.lorenz(x, w)
    assert p[0] == 0.0 and s[0] == 0.0 and p[-1] == 1.0 and s[-1] == 1.0
    assert (np.diff(p) > 0).all()
    area = 1 - np.sum(np.diff(p) * (s[1:] + s[:-1]))
    assert area == pytest.approx(brute_gini(x, w), rel=1e-9, abs=1e-12)


@PROFILE
@given(weighted_data(), st.integers(0, 3))
def test_decomposition_adds_up(data, n_groups_minus_one):
    x, w = data
    x = x + 1.0  # strictly positive for the log measures
    rng = np.random.default_rng(x.size)
    g = rng.integers(0, n_groups_minus_one + 1, x.size)
    for measure in ("theil", "mld"):
        d = m.decompose(x, w, g, measure)
        assert d.between + d.within == pytest.approx(d.total, rel=1e-9, abs=1e-13)


KERNELS = [
    ("gini_exact_from_order", lambda x, w: (x, w, np.argsort(x))),
    ("concentration_from_order", lambda x, w: (x[::-1].copy(), w, x, np.argsort(x))),
    ("lorenz_from_order", lambda x, w: (x, w, np.argsort(x))),
    ("weighted_totals", lambda x, w: (x, w)),
]


@pytest.mark.parametrize(("name", "make_args"), KERNELS)
@PROFILE
@given(data=weighted_data(signed=True))
def test_compiled_kernel_equals_py_func(name, make_args, data):
    kernel = getattr(k, name)
    if not hasattr(kernel, "py_func"):
        pytest.skip("NUMBA_DISABLE_JIT=1: kernels are plain Python already")
    x, w = data
    args = make_args(x, w)
    for got, want in zip(
        np.atleast_1d(kernel(*args)), np.atleast_1d(kernel.py_func(*args)), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@PROFILE
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_hist_bin_monotone_and_compiled_equals_python(a, b):
    lo, hi = min(a, b), max(a, b)
    assert 0 <= k.hist_bin(lo) <= k.hist_bin(hi) < k.HIST_N_BINS
    if hasattr(k.hist_bin, "py_func"):
        assert k.hist_bin(lo) == k.hist_bin.py_func(lo)
        assert k.hist_bin_bounds(k.hist_bin(lo)) == k.hist_bin_bounds.py_func(
            k.hist_bin(lo)
        )


signed_money = st.one_of(
    money,
    st.floats(min_value=-1e5, max_value=-0.01, allow_nan=False),
    st.floats(min_value=1e-3, max_value=0.99, allow_nan=False),
)


@PROFILE
@given(data=st.data(), n=sizes)
def test_bucket_gini_and_bracket_agree_with_the_pair_definition(data, n):
    from commonprosperity._kernels.buckets import gini_exact_by_buckets
    from commonprosperity._kernels.histogram import float_histogram, gini_from_bins

    x = np.array(data.draw(st.lists(signed_money, min_size=n, max_size=n)))
    w = np.array(data.draw(st.lists(weights_el, min_size=n, max_size=n)))
    total = w.sum()
    assume(total > 0 and (w * x).sum() > 1e-6 * np.abs(w * x).sum())
    mean = (w * x).sum() / total
    pairs = (np.outer(w, w) * np.abs(x[:, None] - x[None, :])).sum()
    definition = pairs / (2 * total**2 * mean)
    with np.errstate(all="ignore"):  # the kernels' own float handling
        got, n_bad, _ = gini_exact_by_buckets(x, w)
        hist, bounds, rows, bad, _ = float_histogram(x, w)
        _, lower, upper = gini_from_bins(hist, bounds, rows)
    assert n_bad == 0 and not bad
    assert got == pytest.approx(definition, rel=1e-9, abs=1e-12)
    slack = 1e-9 * abs(definition) + 1e-12
    assert lower - slack <= definition <= upper + slack


def _rational_gini(x, w):
    """The gap-form Gini of float rows in exact rational arithmetic."""
    from fractions import Fraction

    rows = sorted(
        (Fraction(float(a)), Fraction(float(b))) for a, b in zip(x, w, strict=True)
    )
    total = sum(b for _, b in rows)
    mass = sum(a * b for a, b in rows)
    below = Fraction(0)
    pairs = Fraction(0)
    for (a, b), (a_next, _) in itertools.pairwise(rows):
        below += b
        pairs += (a_next - a) * below * (total - below)
    return pairs / (total * mass)


@settings(deadline=None, max_examples=max_examples(300))
@given(
    x=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-3, 1e6)),
        min_size=2,
        max_size=12,
    ),
    decades=st.lists(st.floats(-25.0, 25.0), min_size=12, max_size=12),
)
@example(x=[0.0, 0.0, 1.0], decades=[-1.0, -0.7, -25.0] + [0.0] * 9)
def test_exact_gini_with_weights_over_fifty_decades_is_the_rational_value(x, decades):
    """W - L of the top rows lost every digit when they weighed 1e-20 of W.

    ``gini([0, 0, 1], [0.1, 0.2, 1e-25])`` gave 0.99999998873 (true 1 - 3e-25),
    and 65,535 rows with weights over 24 decades 1.0019.
    """
    x = np.array(x)
    w = 10.0 ** np.array(decades[: x.size])
    assume(float(np.dot(x, w)) > 0.0)
    want = float(_rational_gini(x, w))
    got = m.gini(x, w)
    assert got == pytest.approx(want, rel=1e-13, abs=1e-15)
    # The concentration of incomes by their own rank is the Gini (mid-ranks).
    conc = m.concentration(x, w, rank_by=x)
    assert conc == pytest.approx(want, rel=1e-13, abs=1e-15)
    b = m.gini(x, w, method="bracket")
    assert b.lower <= want <= b.upper
    # The bucket path (from 65,536 rows): each row repeated with weight / 2**13.
    big = m.gini(np.repeat(x, 2**13), np.repeat(w, 2**13) / 2**13)
    assert big == pytest.approx(want, rel=1e-12, abs=1e-14)
