"""Work arrays on cache lines (``_kernels.aligned``)."""

import numpy as np
import pytest

from commonprosperity._kernels.aligned import CACHE_LINE, aligned_empty, aligned_zeros


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1000, 6000])
def test_work_arrays_start_on_a_cache_line_with_the_length_asked(n, dtype):
    # Several allocations in a row: the allocator's state moves between them,
    # as Numba's 32-byte alignment left half of them mid-line.
    for _ in range(4):
        empty = aligned_empty(n, dtype)
        zeros = aligned_zeros(n, dtype)
        for a in (empty, zeros):
            assert a.shape == (n,)
            assert a.dtype == dtype
            # An empty array has no element to place (NumPy may point it anywhere).
            assert n == 0 or a.ctypes.data % CACHE_LINE == 0
        assert not zeros.any()


def test_the_default_type_is_float64():
    assert aligned_empty(3).dtype == np.float64
    assert aligned_zeros(3).dtype == np.float64
