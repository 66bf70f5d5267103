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


# ---------------------------------------------------------- renamed columns
def _frames():
    import pandas as pd

    hh = pd.DataFrame(
        {"household_id": [1, 2, 3], "weight": [1.0, 2.0, 1.5], "urban": [1, 0, 1]}
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 3, 3],
            "age": [40, 10, 70, 30, 31],
            "employed": [True, False, False, True, True],
            "wage": [5e4, 0.0, 0.0, 6e4, 1e4],
            "business": [0.0, 0.0, 0.0, -100.0, 0.0],
            "property": [0.0] * 5,
            "pension": [0.0, 0.0, 2e4, 0.0, 0.0],
        }
    )
    return hh, pp


def _advised(message):
    import ast
    import re

    return ast.literal_eval(re.search(r"e\.g\. columns=(\{[^}]*\})", message)[1])


@pytest.mark.parametrize("in_households_too", [False, True])
def test_the_fix_advised_for_two_columns_mapped_onto_one_works(in_households_too):
    """columns= applies to both frames: the advice for persons' household_id and
    hh_id (renamed onto it) was {'hh_id': 'household_id', 'household_id': None},
    which left the households frame without its household_id."""
    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    hh, pp = _frames()
    pp = pp.assign(hh_id=pp.household_id)
    if in_households_too:
        hh = hh.assign(hh_id=hh.household_id)
    with pytest.raises(PopulationError, match="all map to 'household_id'") as err:
        Population.from_frames(hh, pp, columns={"hh_id": "household_id"})
    fixed = Population.from_frames(hh, pp, columns=_advised(str(err.value)))
    assert fixed.household_id.tolist() == [1, 2, 3]
    assert fixed.offsets.tolist() == [0, 2, 3, 5]


def test_the_fix_advised_for_stata_files_keeps_the_other_files_column(tmp_path):
    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    hh, pp = _frames()
    hh.to_stata(tmp_path / "h.dta", write_index=False, version=118)
    pp.assign(hh_id=pp.household_id, employed=pp.employed.astype("int8")).to_stata(
        tmp_path / "p.dta", write_index=False, version=118
    )
    files = (tmp_path / "h.dta", tmp_path / "p.dta")
    with pytest.raises(PopulationError, match="applies to both files") as err:
        Population.read_stata(*files, columns={"hh_id": "household_id"})
    advised = _advised(str(err.value))
    assert advised == {"hh_id": None}
    assert Population.read_stata(*files, columns=advised).household_id.tolist() == [
        1,
        2,
        3,
    ]


# ------------------------------------------------------------ command line
@pytest.mark.parametrize(
    "args, shown",
    [
        (["run", "--year", "2021", "--year", "2025"], "--year 2021 and --year 2025"),
        (
            ["run", "--households", "1000", "--households=2000"],
            "--households 1000 and --households 2000",
        ),
        (
            ["solve", "--lever", "a", "--target", "gini<1", "--bounds", "0", "1",
             "--bounds", "2", "3"],
            "--bounds 0.0 1.0 and --bounds 2.0 3.0",
        ),
        (["baseline", "--year", "2021", "--year", "2022", "--households", "9",
          "--out", "x.parquet"], "--year 2021 and --year 2022"),
    ],
)  # fmt: skip
def test_an_option_given_twice_is_refused(args, shown, capsys):
    """argparse kept the last of two values: one year the user typed was dropped
    without a word."""
    from commonprosperity import cli

    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert f"given twice ({shown}); give it once" in err
