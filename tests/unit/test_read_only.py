"""Kernel inputs are read-only arrays, whichever way they were made.

Numba compiles a kernel once per argument type and types a read-only array apart
from a writable one; the sweep's gathered copies of a population (writable) and the
population's own arrays (read-only) compiled each sweep kernel up to four times.
"""

import dataclasses

import numpy as np

import commonprosperity._sweep_engine as engine
from commonprosperity import synthetic_population
from commonprosperity._kernels import read_only


def test_read_only_is_a_view_of_the_same_data_and_leaves_the_array_writable():
    a = np.arange(5.0)
    v = read_only(a)
    assert not v.flags.writeable
    assert a.flags.writeable
    assert np.shares_memory(a, v)
    a[0] = 7.0
    assert v[0] == 7.0
    frozen = v
    assert read_only(frozen) is frozen


def _array_fields(ordered):
    return {
        f.name: getattr(ordered, f.name)
        for f in dataclasses.fields(ordered)
        if isinstance(getattr(ordered, f.name), np.ndarray)
    }


def test_every_ordering_of_a_population_hands_the_kernels_read_only_arrays():
    pop = synthetic_population(300, seed=4)
    order = np.random.default_rng(0).permutation(pop.n_households)
    for ordered in (
        engine._ordered(pop),
        engine._ordered(pop, order),
        engine._compact(pop, order[:100]),
        engine._reorder(engine._ordered(pop), order[:50], copy_persons=False),
    ):
        fields = _array_fields(ordered)
        assert len(fields) == 14  # 8 household columns, 6 person columns
        writable = [name for name, a in fields.items() if a.flags.writeable]
        assert writable == []
    # The population's arrays themselves are unchanged and still read-only.
    assert not pop.wage.flags.writeable
