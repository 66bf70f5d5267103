"""Probe of solve, cheapest, the targets table and the Dask engine's client checks.

Expected values come from single :func:`simulate` runs or by hand, never from the
code under test.
"""

from __future__ import annotations

import importlib
import os
import threading

import numba
import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, simulate, synthetic_population
from commonprosperity.errors import CommonProsperityError, ScenarioError
from commonprosperity.solve import solve
from commonprosperity.sweep import cheapest, sweep
from commonprosperity.targets import evaluate_targets

#: Checks made of many simulate runs: JIT run only (see test_sweep_probe.py).
many_simulates = pytest.mark.skipif(
    os.environ.get("CP_TEST_SMALL") == "1",
    reason="many simulate runs: JIT run only (CP_TEST_SMALL=1)",
)

# commonprosperity.sweep, the module (the package's attribute is the function)
sweep_module = importlib.import_module("commonprosperity.sweep")


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(2_000, seed=23)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


# -------------------------------------------------------------------------- solve
@pytest.mark.parametrize(
    "bounds",
    [
        "12",  # was read as (1, 2)
        (True, 3_000.0),  # was read as (1, 3000)
        ("500", "3000"),
        {500.0: "lo", 3_000.0: "hi"},
    ],
)
def test_solve_bounds_must_be_two_numbers(pop, base, bounds):
    with pytest.raises(CommonProsperityError, match=r"bounds must be two numbers"):
        solve(pop, base, "transfers.dibao_monthly", "gini <= 0.38", bounds=bounds)


def test_solve_huge_bounds_name_the_bound_not_the_default_xtol(pop, base):
    """hi - lo overflowed to inf: "xtol must be a positive number; got inf" for an
    xtol the caller never gave, instead of the invalid bound."""
    with pytest.raises(ScenarioError, match=r"dibao_monthly = -1e\+308"):
        solve(pop, base, "transfers.dibao_monthly", "gini <= 0.38", (-1e308, 1.7e308))


@many_simulates
def test_solve_numpy_bounds_still_accepted(pop, base):
    lever, lo, hi = "transfers.dibao_monthly", 500.0, 3_000.0
    level = 0.5 * float(
        sum(
            simulate(pop, base.replace({lever: x})).indicators["gini"] for x in (lo, hi)
        )
    )
    x = solve(pop, base, lever, f"gini <= {level!r}", np.array([lo, hi]), xtol=1.0)
    assert simulate(pop, base.replace({lever: x})).indicators["gini"] <= level
    assert simulate(pop, base.replace({lever: x - 1.0})).indicators["gini"] > level


# ---------------------------------------------------------------------- targets
@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        # T10's note divided by gdp / residents: ZeroDivisionError
        ({"gdp": 0.0, "residents": 10.0}, "gdp must be a finite number of yuan > 0"),
        ({"gdp": -1e12, "labour_compensation": 5e11}, "got -1000000000000.0"),
        ({"gdp": 1e12, "labour_compensation": np.nan}, "labour_compensation must"),
        ({"gdp": True, "labour_compensation": 5e11}, "got True"),
        # swapped inputs: a labour share of 5.5 was "met"
        ({"gdp": 1e13, "labour_compensation": 5.5e13}, "exceeds gdp"),
        # Zhejiang's 2022 GDP in 亿元 (77,715), labour compensation in yuan: the
        # ratio would be above 1 and is refused above; GDP in yuan, labour in
        # 亿元 (a share of 4.5e-9) is the mix-up the lower bound names.
        ({"gdp": 7.77e12, "labour_compensation": 35_000.0}, "give both in yuan"),
        ({"gdp": 1e13, "labour_compensation": 9.9e10}, "below the least plausible"),
    ],
)
def test_evaluate_targets_refuses_bad_national_accounts(kwargs, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        evaluate_targets({"per_capita_disposable_income": 70_000.0}, **kwargs)


def test_result_targets_with_zero_gdp_is_a_clear_error(pop, base):
    r = simulate(pop, base)
    with pytest.raises(ScenarioError, match=r"gdp must be .* > 0; got 0\.0"):
        r.targets(gdp=0.0, labour_compensation=1e12)


def test_evaluate_targets_t7_by_hand():
    t = evaluate_targets({}, gdp=1e12, labour_compensation=6e11, residents=1e6)
    assert t.loc["T7", "value"] == 0.6
    assert bool(t.loc["T7", "met"])
    assert t.loc["T7", "gap"] == pytest.approx(-0.1, rel=1e-12)


# ----------------------------------------------------------------------- cheapest
@pytest.mark.parametrize("values", [["yes", "no"], [1.0, 2.0]])
def test_cheapest_met_column_not_boolean(values):
    frame = pd.DataFrame({"T4_met": values, "net_fiscal_cost": [1.0, 0.0]})
    with pytest.raises(CommonProsperityError, match=r"column T4_met must hold True"):
        cheapest(frame, "T4")


# ---------------------------------------------------------- interrupting a sweep
@many_simulates
def test_interrupted_threads_sweep_leaves_no_threads_and_same_frame(
    pop, base, monkeypatch
):
    grid = {
        "transfers.dibao_monthly": [600.0 + 100.0 * k for k in range(12)],
        "wages.growth_rate": [0.0, 0.05],
    }
    before = sweep(pop, base, grid, progress=False)
    threads = {t.ident for t in threading.enumerate()}
    n_numba = numba.get_num_threads()

    class CtrlC:
        closed = False
        evaluating = False

        def update(self, n):
            # Ctrl-C once the scenarios are checked and the kernels run.
            if self.evaluating:
                raise KeyboardInterrupt

        def reset(self, total):
            self.evaluating = True

        def set_description(self, desc):
            pass

        def close(self):
            CtrlC.closed = True

    monkeypatch.setattr(
        sweep_module, "_progress_bar", lambda progress, total, desc="sweep": CtrlC()
    )
    with pytest.raises(KeyboardInterrupt):
        sweep(pop, base, grid, progress=True)
    monkeypatch.undo()
    assert CtrlC.closed
    assert {t.ident for t in threading.enumerate()} <= threads
    assert numba.get_num_threads() == n_numba
    pd.testing.assert_frame_equal(
        sweep(pop, base, grid, progress=False), before, check_exact=True
    )


# ---------------------------------------------------------------- Dask clients
@pytest.mark.parametrize("address", ["not an address", "", "foo://1.2.3.4:1"])
def test_malformed_scheduler_address_is_clear_and_leaves_no_client(pop, base, address):
    """distributed raised a bare ValueError from a half-started client, which stayed
    the current Dask client (and dask's scheduler) after the failed sweep."""
    distributed = pytest.importorskip("distributed")
    dask = pytest.importorskip("dask")
    from distributed.client import _get_global_client

    scheduler = dask.config.get("scheduler", None)
    with pytest.raises(CommonProsperityError, match="is not a Dask scheduler address"):
        sweep(
            pop,
            base,
            {"transfers.dibao_monthly": [900.0]},
            engine="dask",
            client=address,
            progress=False,
        )
    assert _get_global_client() is None
    assert dask.config.get("scheduler", None) == scheduler
    assert isinstance(distributed.Client, type)


@pytest.mark.dask
def test_closed_client_is_a_clear_error(pop, base):
    """A closed client was reported as "the Dask cluster has no workers"; a cluster
    given for a client gets a hint."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",  # a free port: None meant the default 8787
    ) as cluster:
        with pytest.raises(CommonProsperityError, match=r"wrap a cluster in"):
            sweep(
                pop,
                base,
                {"transfers.dibao_monthly": [900.0]},
                engine="dask",
                client=cluster,
                progress=False,
            )
        client = distributed.Client(cluster, set_as_default=False)
        client.close()
        with pytest.raises(CommonProsperityError, match=r"Client is closed"):
            sweep(
                pop,
                base,
                {"transfers.dibao_monthly": [900.0]},
                engine="dask",
                client=client,
                progress=False,
            )
