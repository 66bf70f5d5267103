"""A scheduler given by its address, with no current Dask client (the README's case).

The other Dask tests hold a default client, which hid that a client opened from an
address (never made the default) was not the one ``distributed.wait`` asked: the
sweep raised "No clients found", and the CLI's ``--scheduler`` printed a traceback.
"""

import os
import subprocess
import sys

import pandas as pd
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity.sweep import sweep

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

GRID = {"transfers.dibao_monthly": [800.0, 1_100.0, 1_400.0]}


@pytest.fixture(scope="module")
def address():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        worker_dashboard_address=":0",
    ) as cluster:
        yield cluster.scheduler_address


def no_current_client():
    try:
        distributed.get_client()
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("gini", ["exact", "bracket"])
def test_sweep_by_address_without_a_current_client(address, gini):
    assert no_current_client()
    pop = synthetic_population(2_000, seed=5)
    base = Scenario.status_quo(2024)
    on_cluster = sweep(
        pop, base, GRID, engine="dask", client=address, gini=gini, progress=False
    )
    local = sweep(pop, base, GRID, gini=gini, progress=False)
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=True)
    # The client opened for the call is closed, not left current.
    assert no_current_client()


def test_cli_sweep_with_scheduler_address(address, tmp_path):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        "year = 2024\n"
        "[population]\nhouseholds = 2_000\nseed = 5\n"
        '[grid]\n"transfers.dibao_monthly" = [800, 1_100, 1_400]\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "commonprosperity",
            "sweep",
            str(sweep_file),
            "--scheduler",
            address,
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert frame["transfers.dibao_monthly"].tolist() == [800, 1_100, 1_400]
