"""Compile the Numba kernels into the cache before the tests, half in each process.

CI starts from an empty cache (``NUMBA_CACHE_DIR``), and under ``pytest -n 2`` both
workers compiled nearly every kernel, each on its own core: about 350 s of the
test stage on a 2-core AVX2 machine, the same compilation twice. Here two
processes (``python .ci/warm_numba.py 1 & python .ci/warm_numba.py 2``) compile
disjoint halves at once through the public API on tiny populations, and the
tests then load the kernels from the cache. Nothing here is checked: the tests
check.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np


def simulations() -> None:
    """simulate, the result tables, bootstrap, sweeps of every kind."""
    import commonprosperity as cp
    from commonprosperity.uncertainty import bootstrap

    pop = cp.synthetic_population(3_000, seed=1)
    base = cp.Scenario.status_quo(2021)
    for gini in ("exact", "bracket"):
        for basis in ("household", "three_person"):
            r = cp.simulate(pop, base, gini=gini, band_basis=basis)
    r.households  # noqa: B018 (the detail pass)
    other = cp.simulate(pop, base.replace({"transfers.dibao_monthly": 1_200}))
    r.deciles()
    r.winners_losers(other)
    r.by_group("city", "urban")
    r.poverty()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.decompose("theil", by="city")
        bootstrap(r, "gini", n=10, seed=1)
    dibao = float(base.transfers.dibao_monthly)
    basic = float(base.income_tax.basic_deduction)
    growth = float(base.wages.growth_rate)
    grids = (
        {
            "transfers.dibao_monthly": [dibao, dibao + 100],
            "income_tax.basic_deduction": [basic, basic + 6_000],
        },
        {"income_tax.basic_deduction": [basic + 1_000 * k for k in range(30)]},
        {"wages.growth_rate": [growth + 0.001 * k for k in range(30)]},
    )
    for grid in grids:
        for gini in ("exact", "bracket"):
            cp.sweep(pop, base, grid, gini=gini, progress=False)


def measures_and_baseline() -> None:
    """The inequality measures, the baseline, calibration, projection, household."""
    import commonprosperity as cp
    from commonprosperity import metrics as m

    rng = np.random.default_rng(1)
    x = rng.lognormal(10, 0.7, 5_000)
    w = rng.uniform(0.5, 2.0, 5_000)
    g = rng.integers(0, 4, 5_000)
    m.gini(x, w)
    m.gini(x, w, method="bracket")
    m.gini(x)
    m.lorenz(x, w)
    m.theil(x, w)
    m.mld(x, w)
    m.decompose(x, w, g)
    m.atkinson(x, w, 0.5)
    m.fgt(x, w, 20_000.0, 1.0)
    m.s80_s20(x, w)
    m.palma(x, w)
    m.top_share(x, w, 0.1)
    m.gini_by_source({"a": x * 0.6, "b": x * 0.4}, w)
    m.kakwani(x, x * 0.1, w)
    m.reynolds_smolensky(x, x * 0.9, w)
    pop = cp.baseline(2023, n_households=3_000, seed=1)
    cp.project(pop, 2024)
    cp.simulate_path(pop, {2024: cp.Scenario.status_quo(2024)})


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else ""
    if part not in ("1", "2"):
        raise SystemExit("usage: python .ci/warm_numba.py 1|2")
    (simulations if part == "1" else measures_and_baseline)()
