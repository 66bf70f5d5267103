"""Defects found in session 44's probes, each with the test that shows it fixed."""

import warnings

import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity.sweep import sweep

GRID = {"transfers.dibao_monthly": [900.0, 1_100.0]}


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(800, seed=44)


# ------------------------------------------------------------------ sweeps
@pytest.mark.dask
def test_dask_sweep_of_a_parquet_path_warns_about_the_populations_year(pop, tmp_path):
    """sweep() warns when T1–T6 are judged on another year's incomes; given a
    Parquet path and the Dask engine (only the workers read the file) it did not."""
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "population 2021.parquet"
    pop.with_year(2021).write_parquet(path)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.warns(
            UserWarning, match="incomes of the 2021 population under 2025 policy"
        ):
            sweep(
                str(path),
                Scenario.status_quo(2025),
                GRID,
                engine="dask",
                client=client,
                progress=False,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sweep(
                path,
                Scenario.status_quo(2021),
                GRID,
                engine="dask",
                client=client,
                progress=False,
            )
