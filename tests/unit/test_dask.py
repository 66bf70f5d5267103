"""The Dask engine on a real LocalCluster: equal frames, population shipped once."""

import time

import pandas as pd
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity._sweep_engine import _ordered_for_sweep, _stack
from commonprosperity.errors import CommonProsperityError
from commonprosperity.sweep import sweep

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

GRID = {
    "transfers.dibao_monthly": [700.0, 1_000.0, 1_300.0],
    "income_tax.basic_deduction": [60_000.0, 96_000.0],
}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: None meant the default 8787
        worker_dashboard_address=":0",
    ) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(2_000, seed=17)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


def receipts(client):
    from commonprosperity._dask import population_receipts

    return client.run(population_receipts)


def wait_until_released(client, timeout=10.0):
    deadline = time.monotonic() + timeout
    while client.who_has() and time.monotonic() < deadline:
        time.sleep(0.05)
    return client.who_has()


@pytest.mark.parametrize("gini", ["exact", "bracket"])
def test_frames_equal_threads_engine(client, pop, base, gini):
    # The local sweep first: it compiles the kernels into the Numba cache the
    # workers share, which then load them instead of compiling them again each
    # (two more compilations on two cores took 165 s of a cold CI run).
    local = sweep(pop, base, GRID, gini=gini, progress=False)
    on_cluster = sweep(
        pop, base, GRID, engine="dask", client=client, gini=gini, progress=False
    )
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=True)


def test_tiled_bracket_frames_equal_threads_engine(client, base):
    """Wage levers: bracketed blocks run by tiles, on each task as on threads
    (the choice and the tiles are the whole sweep's, not a task's)."""
    many = synthetic_population(6_000, seed=5)
    grid = {"wages.growth_rate": [0.0, 0.02, 0.04, 0.06, 0.08]}
    local = sweep(many, base, grid, gini="bracket", progress=False)  # cache first
    on_cluster = sweep(
        many, base, grid, engine="dask", client=client, gini="bracket", progress=False
    )
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=True)


def test_population_is_transferred_once_per_worker(client, pop, base):
    before = receipts(client)
    sweep(pop, base, GRID, engine="dask", client=client, progress=False)
    after = receipts(client)
    new = {
        w: {k: v for k, v in got.items() if k not in before.get(w, {})}
        for w, got in after.items()
    }
    assert len(new) == 2
    # Every worker received this sweep's population exactly once, the same one.
    tokens = {k for got in new.values() for k in got}
    assert len(tokens) == 1
    assert all(list(got.values()) == [1] for got in new.values())
    # And nothing is left behind on the cluster.
    assert wait_until_released(client) == {}


def test_scheduler_address_string(cluster, client, pop, base):
    grid = {"transfers.dibao_monthly": [800.0, 1_100.0]}
    by_address = sweep(
        pop, base, grid, engine="dask", client=cluster.scheduler_address, progress=False
    )
    local = sweep(pop, base, grid, progress=False)
    pd.testing.assert_frame_equal(by_address, local, check_exact=True)


def test_interrupt_cancels_tasks_and_releases_the_population(client, pop, base):
    from commonprosperity._dask import evaluate_on_cluster

    stacked = _stack(
        [base]
        + [base.replace({"transfers.dibao_monthly": 600.0 + 50 * k}) for k in range(8)]
    )
    sorted_pop = _ordered_for_sweep(pop, base)

    def ctrl_c(_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate_on_cluster(sorted_pop, stacked, "exact", "household", client, ctrl_c)
    assert wait_until_released(client) == {}
    # The cluster is still usable and still gives the same numbers.
    got = sweep(pop, base, GRID, engine="dask", client=client, progress=False)
    pd.testing.assert_frame_equal(
        got, sweep(pop, base, GRID, progress=False), check_exact=True
    )


def test_bad_client_and_missing_cluster(pop, base):
    with pytest.raises(
        CommonProsperityError, match=r"client must be a distributed\.Client"
    ):
        sweep(pop, base, GRID, engine="dask", client=42, progress=False)


def test_no_current_client_is_a_clear_error(pop, base, monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    with pytest.raises(CommonProsperityError, match="needs a cluster: pass client="):
        sweep(pop, base, GRID, engine="dask", progress=False)
