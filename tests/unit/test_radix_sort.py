"""A sweep's radix sort of incomes is NumPy's stable argsort (``radix_sort``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from commonprosperity._kernels.inequality import descents
from commonprosperity._kernels.radix_sort import (
    sort_work,
    sorted_values,
    stable_sorted_rows,
)
from tests.conftest import max_examples

SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e308, -1e308]


def _check(x):
    # Weights differing by row (the sort without the order carries them).
    w = np.linspace(0.5, 2.0, x.size)
    expected = np.argsort(x, kind="stable")
    order, xs, ws = stable_sorted_rows(x, w, sort_work(x.size))
    np.testing.assert_array_equal(order, expected)
    # The values themselves, bit for bit (the sign of a zero, a NaN's payload).
    np.testing.assert_array_equal(xs.view(np.int64), x[expected].view(np.int64))
    np.testing.assert_array_equal(ws, w[expected])
    # Without the order: the same weights, bit for bit, and the same values but
    # zeros as +0.0 and NaNs as np.nan.
    xs, ws = sorted_values(x, w, sort_work(x.size))
    np.testing.assert_array_equal(ws.view(np.int64), w[expected].view(np.int64))
    values = x[expected] + 0.0  # -0.0 as +0.0
    values[np.isnan(values)] = np.nan
    np.testing.assert_array_equal(xs.view(np.int64), values.view(np.int64))


@settings(max_examples=max_examples(200), deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from(SPECIALS),
            # Ties: a few values many rows share.
            st.sampled_from([12_345.0, -3.5, 1e5]),
        ),
    )
)
def test_equals_numpys_stable_argsort(x):
    _check(x)


def _sharing_top_bits(high, low):
    """Floats whose bits are ``high`` (top 32 bits) and ``low`` (the rest)."""
    bits = (np.asarray(high, dtype=np.uint64) << np.uint64(32)) | np.asarray(
        low, dtype=np.uint64
    )
    return bits.view(np.float64)


#: Top 32 bits of 1.0, 12,345.0, -3.5 and -0.0 (sign only): rows sharing
#: them differ in their low bits only, which the sort orders run by run.
HIGHS = [0x3FF0_0000, 0x40C8_1C80, 0xC00C_0000, 0x8000_0000]


@settings(max_examples=max_examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(HIGHS),
            # Few low parts (ties within a run) or any (long unsorted runs).
            st.one_of(st.integers(0, 3), st.integers(0, 2**32 - 1)),
        ),
        max_size=400,
    )
)
def test_rows_sharing_their_top_bits_in_any_order(pairs):
    high = [h for h, _ in pairs]
    low = [lo for _, lo in pairs]
    _check(_sharing_top_bits(high, low))


@pytest.mark.parametrize("length", [2, 31, 32, 33, 5_000])
def test_a_run_sharing_top_bits_sorted_by_insertion_or_by_its_low_digits(length):
    # Runs up to 32 rows long are sorted by insertion, longer ones by the low
    # digits; among other incomes, with ties inside the run.
    rng = np.random.default_rng(length)
    run = _sharing_top_bits(
        np.full(length, HIGHS[1]), rng.integers(0, max(2, length // 3), length)
    )
    x = np.concatenate([run, rng.lognormal(9.4, 1.0, 3 * length)])
    rng.shuffle(x)
    _check(x)


@pytest.mark.parametrize("seed", [0, 1])
def test_many_incomes_with_ties_losses_and_zeros(seed):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(10.5, 0.8, 50_000)
    x[:500] = -x[:500] / 9  # business losses
    x[500:3_000] = 0.0
    x[3_000:3_050] = -0.0
    x[3_050:9_000] = 12_660.0  # a dibao line many households sit on
    rng.shuffle(x)
    _check(x)


def test_work_arrays_of_more_rows_serve_and_of_fewer_are_refused():
    x = np.random.default_rng(3).lognormal(10.0, 1.0, 1_000)
    w = np.ones(x.size)
    order, xs, _ = stable_sorted_rows(x, w, sort_work(5_000))
    np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(xs, np.sort(x))
    for sort in (stable_sorted_rows, sorted_values):
        with pytest.raises(ValueError, match="shorter than the rows"):
            sort(x, w, sort_work(999))
        with pytest.raises(ValueError, match="not one per row"):
            sort(x, w[:-1], sort_work(1_000))


def test_a_nan_payload_and_negative_nan_sort_last_in_index_order():
    payload = np.array([0x7FF8_0000_0000_0001, 0xFFF8_0000_0000_0000], dtype=np.uint64)
    x = np.array([1.0, np.nan, -2.0, *payload.view(np.float64), 0.5])
    _check(x)
    order = stable_sorted_rows(x, np.ones(x.size), sort_work(x.size))[0]
    assert list(order) == [2, 5, 0, 1, 3, 4]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([], 0),
        ([1.0], 0),
        ([1.0, 1.0, 2.0], 0),
        ([3.0, 2.0, 1.0], 2),
        ([1.0, -0.0, 0.0, -1.0], 2),
        # A NaN is below nothing and nothing is below it.
        ([2.0, np.nan, 1.0, np.nan], 0),
    ],
)
def test_descents_count_rows_below_the_one_before(x, expected):
    assert descents(np.array(x, dtype=np.float64)) == expected
