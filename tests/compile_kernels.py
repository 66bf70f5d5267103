"""Compile the library's kernels into the Numba cache, one part per process.

``python tests/compile_kernels.py PART`` runs the public calls of part ``PART``
(0 or 1) on small populations, so that Numba compiles the kernels they reach
into its cache (``NUMBA_CACHE_DIR``, or ``__pycache__`` beside the sources) and
processes started afterwards load them instead of compiling them.

Why: pytest-xdist hands both workers tests of the same modules at first, and
both compiled every kernel at once, each taking both cores' time; compiling took
about 250 s of a 800 s suite on a 2-core AVX2 machine. ``tests/conftest.py``
starts the two parts beside the workers when the whole suite runs on two or more
workers; the four processes compile each kernel once between them
(``tests/compile_once.py``). Part 0 compiles the kernels every sweep shares
(about 105 s alone on that machine, after a few the first tests reach), part 1
the rest. The calls are those whose kernels took longest to compile (a sweep by
lever kind and Gini mode, simulate, the result's tables, the baseline,
household, bootstrap); tests reaching others compile those themselves.
"""

from __future__ import annotations

import os
import sys


def _part_0() -> None:
    import numpy as np

    import commonprosperity as cp

    # First what the first tests reach; the sweeps' kernels take longest.
    x = np.random.default_rng(0).lognormal(10.0, 1.0, 5_000)
    cp.metrics.gini(x, np.ones_like(x))
    cp.household(2021, members=[{"age": 40, "wage": 100_000.0}])
    pop = cp.synthetic_population(2_000, seed=17)
    base = cp.Scenario.status_quo(2021)
    dibao = {"transfers.dibao_monthly": [700.0, 1_300.0]}
    for gini in ("exact", "bracket"):
        cp.sweep(pop, base, dibao, gini=gini, progress=False)
    # Wages in lanes, by tiles (a lane pass of its own).
    growth = {"wages.growth_rate": [0.0, 0.02, 0.04, 0.06, 0.08]}
    many = cp.synthetic_population(6_000, seed=5)
    cp.sweep(many, base, growth, gini="bracket", progress=False)


def _part_1() -> None:
    import numpy as np

    import commonprosperity as cp

    pop = cp.synthetic_population(2_000, seed=17)
    base = cp.Scenario.status_quo(2021)
    result = cp.simulate(pop, base, gini="exact")
    cp.simulate(pop, base, gini="bracket")
    result.deciles()
    cp.baseline(2023, n_households=2_000, seed=1)
    cp.bootstrap(result, "gini", n=10, seed=1)
    # Last: the lane pass (more than 24 scenarios in lanes), after part 0 has
    # compiled (or while it compiles) the kernels every sweep shares.
    deductions = list(np.linspace(60e3, 96e3, 30))
    tax = {"income_tax.basic_deduction": deductions}
    cp.sweep(pop, base, tax, gini="bracket", progress=False)


PARTS = (_part_0, _part_1)


if __name__ == "__main__":
    import warnings

    # Small populations give the library's warnings (too few households to
    # rake, ...): this only compiles.
    warnings.simplefilter("ignore")
    from compile_once import FOLDER, share_compiling

    if os.environ.get(FOLDER):
        share_compiling(os.environ[FOLDER])
    PARTS[int(sys.argv[1])]()
