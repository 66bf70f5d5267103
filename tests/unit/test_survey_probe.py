"""Hostile survey inputs found by probing the readers (frames, arrays, Parquet, CLI).

Each test pins one bug that was fixed: the expected value or message fragment comes
from the rule it checks (the house rules: every bad input is a PopulationError that
names the column, the rows and the bad value; nothing is silently ignored), not
from running the code. Every population here has at most three households and no
test simulates, so ``CP_TEST_SMALL=1`` and ``NUMBA_DISABLE_JIT=1`` need no smaller
variant.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonprosperity import Population, Scenario, cli, simulate, synthetic_population
from commonprosperity.errors import PopulationError
from commonprosperity.survey import read_parquet
from tests.conftest import tiny_frames


def _one_row_per_person(tmp_path, name="people.parquet", **changes):
    hh, pp = tiny_frames()
    frame = pp.merge(hh, on="household_id")
    for column, values in changes.items():
        frame[column] = values
    path = tmp_path / name
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


# ---------------------------------------------------------- column renames
def test_from_frames_rename_of_an_absent_column_is_an_error():
    # The frames have no "wage_income": the rename would change nothing, so the
    # user's intent (read wages from wage_income) would be silently lost.
    hh, pp = tiny_frames()
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp, columns={"wage_income": "wage"}, source="s.csv")
    message = str(info.value)
    assert message.startswith("s.csv: ")
    assert "['wage_income']" in message and "neither" in message


def test_from_frames_rename_onto_an_unknown_column_is_an_error():
    # "wages" is not a library column: renaming wage to it drops the wage column.
    hh, pp = tiny_frames()
    wanted = r"unknown column\(s\) \{'wage': 'wages'\}"
    with pytest.raises(PopulationError, match=wanted):
        Population.from_frames(hh, pp, columns={"wage": "wages"})


@pytest.mark.parametrize("columns", ["abc", 5, [("wage", "wage")]])
def test_from_frames_columns_must_be_a_mapping(columns):
    # Was a raw ValueError / TypeError from dict(columns).
    hh, pp = tiny_frames()
    with pytest.raises(PopulationError, match="columns must be a mapping"):
        Population.from_frames(hh, pp, columns=columns)


def test_from_frames_valid_renames_still_work():
    hh, pp = tiny_frames()
    pop = Population.from_frames(
        hh.rename(columns={"weight": "权重"}),
        pp.rename(columns={"wage": "工资"}),
        columns={"权重": "weight", "工资": "wage"},
    )
    # Σ weight × size by hand: 100 × 2 + 200 × 1 + 50 × 3.
    assert pop.residents == 550.0
    assert pop.wage.sum() == 330_000.0


def test_read_parquet_rename_of_an_absent_column_is_an_error(tmp_path):
    path = _one_row_per_person(tmp_path)
    with pytest.raises(PopulationError) as info:
        read_parquet(path, {"hh_weight": "weight"})
    message = str(info.value)
    assert str(path) in message and "['hh_weight']" in message
    assert "'household_id'" in message  # lists what the file has


def test_from_arrays_unknown_key_is_an_error():
    # A misspelt optional column ("stratm") used to vanish without a word.
    persons = {
        "household_id": [7],
        "age": [30],
        "employed": [True],
        "wage": [1.0],
        "business": [0.0],
        "property": [0.0],
        "pension": [0.0],
    }
    with pytest.raises(PopulationError) as info:
        Population.from_arrays(
            {"household_id": [7], "weight": [1.0], "urban": [True], "stratm": [1]},
            {**persons, "city": ["杭州"]},
        )
    message = str(info.value)
    assert "households has unknown column(s) ['stratm']" in message
    assert "persons has unknown column(s) ['city']" in message


def test_from_arrays_needs_mappings():
    with pytest.raises(PopulationError, match="households must be a mapping"):
        Population.from_arrays([1, 2], {})


# ------------------------------------------------------- message contents
@pytest.mark.parametrize(
    ("urban", "rows", "value"),
    [
        (["yes", "no", "yes"], "rows [0, 1, 2]", "'yes'"),
        (pd.array([True, None, False], dtype="boolean"), "rows [1]", "<NA>"),
        (pd.Series([True, 1, "maybe"], dtype=object), "rows [2]", "'maybe'"),
    ],
)
def test_boolean_column_of_text_or_na_names_rows_and_value(urban, rows, value):
    # Was "must be boolean (True/False or 1/0); got dtype object": no row, no value.
    hh, pp = tiny_frames()
    hh["urban"] = urban
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "households.urban must be boolean" in message
    assert rows in message and f"got {value}" in message


def test_pd_na_in_an_object_income_column_is_reported_as_missing_with_rows():
    # Was "must be numeric; got non-numeric values (dtype object)": no row.
    hh, pp = tiny_frames()
    pp["wage"] = pd.Series([1.0, pd.NA, 0.0, 0.0, 0.0, 0.0], dtype=object)
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "persons.wage must be finite (no missing values" in message
    assert "rows [1]" in message


def test_messages_quote_plain_values_not_numpy_reprs():
    hh, pp = tiny_frames()
    hh["weight"] = [100.0, 0.0, 50.0]
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "households.weight must be > 0" in message and "got 0.0" in message
    assert "np.float64" not in message


# -------------------------------------------------------------- large ids
def test_int64_max_household_id_is_quoted_exactly():
    # The old message quoted the float 9.223372036854776e+18, not the stored id.
    big = np.iinfo(np.int64).max
    hh, pp = tiny_frames()
    hh["household_id"] = np.array([big, 2, 3], dtype=np.int64)
    pp["household_id"] = np.array([big, big, 2, 3, 3, 3], dtype=np.int64)
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "households.household_id must be within ±2^53" in message
    assert "got 9223372036854775807" in message


def test_household_id_limit_is_exact_at_2_to_the_53():
    # ±2^53 is inclusive; 2^53 + 1 is outside, though as a float it rounds to 2^53.
    def frames(top):
        hh, pp = tiny_frames()
        hh["household_id"] = np.array([top, 2, 3], dtype=np.int64)
        pp["household_id"] = np.array([top, top, 2, 3, 3, 3], dtype=np.int64)
        return hh, pp

    pop = Population.from_frames(*frames(2**53))
    assert pop.household_id[0] == 2**53
    with pytest.raises(PopulationError, match="got 9007199254740993"):
        Population.from_frames(*frames(2**53 + 1))


# ------------------------------------------------------------- file details
@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_parquet_metadata_format_version_must_be_the_integer_1(tmp_path, version):
    # JSON true and 1.0 compare equal to 1 in Python; neither is format version 1.
    path = _one_row_per_person(tmp_path)
    table = pq.read_table(path).replace_schema_metadata(
        {b"commonprosperity": json.dumps({"format_version": version}).encode()}
    )
    pq.write_table(table, path)
    with pytest.raises(PopulationError, match="format_version must be 1"):
        read_parquet(path)


def test_cli_population_that_is_a_directory_says_so(tmp_path, capsys):
    code = cli.main(["run", "--population", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"--population {tmp_path}: is a directory" in err
    assert "no such file" not in err


def test_order_of_person_and_household_rows_does_not_change_results():
    """The same households in another row order, persons shuffled inside and across
    households: every indicator equal up to the order of additions (1e-12). The
    elderly-support draw is keyed by household and age, not by row position."""
    pop = synthetic_population(2_000, seed=3)
    hh, persons = pop.to_frames()
    rng = np.random.default_rng(0)
    shuffled = Population.from_frames(
        hh.iloc[rng.permutation(len(hh))].reset_index(drop=True),
        persons.iloc[rng.permutation(len(persons))].reset_index(drop=True),
    )
    scenario = Scenario.status_quo(2024)
    a = simulate(pop, scenario).indicators
    b = simulate(shuffled, scenario).indicators
    np.testing.assert_allclose(b[a.index].to_numpy(), a.to_numpy(), rtol=1e-12)
