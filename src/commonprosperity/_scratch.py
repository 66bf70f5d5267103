"""Work arrays a call may reuse from an earlier call on the same population.

``simulate`` needs two float64 arrays of a row per household for its Gini (the
per-capita incomes and the Gini's weights) and drops them when it returns. Fresh,
each cost the page faults of its first writes, the kernel zero-filling every page:
4 ms of a 200 ms call at 1e7 households. Here they are kept per population and
freed with it (a finalizer, not the population's cache: what a population derives
and what a call merely needs room for are different things). A call takes a spare
one or, finding none, allocates its own, so concurrent calls on one population
never share an array; callers write every row before reading it.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["give_back", "take"]

#: Spare arrays by the id of the population they belong to.
_SPARE: dict[int, list[np.ndarray]] = {}
#: At most this many spare arrays per population (simulate uses two at once).
_KEEP = 2


def take(owner: Any, n: int) -> np.ndarray:
    """A float64 array of ``n`` rows, uninitialised: a spare of ``owner``'s or new."""
    spare = _SPARE.get(id(owner))
    while spare:
        try:
            array = spare.pop()
        except IndexError:  # taken by another thread since the test
            break
        if array.shape[0] == n:
            return array
    return np.empty(n)


def give_back(owner: Any, array: np.ndarray) -> None:
    """Keep ``array`` (from :func:`take`) for a later call on ``owner``."""
    key = id(owner)
    spare = _SPARE.get(key)
    if spare is None:
        # Runs when owner is collected, before its id can be reused; a second
        # finalizer (two threads here at once) finds the key gone and does nothing.
        # Registered first: an interrupt between the two lines cannot leave an
        # entry that nothing removes.
        weakref.finalize(owner, _SPARE.pop, key, None)
        spare = _SPARE.setdefault(key, [])
    if len(spare) < _KEEP:
        spare.append(array)
