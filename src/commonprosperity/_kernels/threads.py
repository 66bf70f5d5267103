"""Numba's thread pool, sized for one call (DESIGN.md: only the kernels use Numba)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba


def max_threads() -> int:
    """The size of Numba's thread pool (``NUMBA_NUM_THREADS`` when Numba loaded)."""
    # numba.config sets its options at runtime: no attribute for a type checker.
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


@contextmanager
def numba_threads(threads: int | None) -> Iterator[None]:
    """Run the block on ``threads`` of the pool (all of them if None), then restore."""
    if threads is None:
        yield
        return
    previous = numba.get_num_threads()
    try:
        # Inside the try: an interrupt arriving just after Numba took the new
        # count left the caller's thread at it for the rest of the session.
        numba.set_num_threads(int(threads))
        yield
    finally:
        numba.set_num_threads(previous)
