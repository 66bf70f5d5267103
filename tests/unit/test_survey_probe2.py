"""Hostile survey inputs, second probe: exact ids, near-miss column names, dates.

Each test pins one bug that was fixed, with the expected value or message derived
from the rule it checks (every bad input is a PopulationError naming the file,
column, rows and bad value; nothing is silently dropped, rounded or ignored), not
from running the code. Every population has at most three households and nothing
is simulated, so ``CP_TEST_SMALL=1`` and ``NUMBA_DISABLE_JIT=1`` need no smaller
variant.
"""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonprosperity import Population
from commonprosperity.errors import PopulationError
from commonprosperity.survey import read_parquet, read_stata, write_parquet
from tests.conftest import tiny_frames

BIG = 2**53 + 1  # the first integer a float64 cannot hold: it rounds to 2^53


def _write_table(path, frame, **columns):
    """``frame`` as one Parquet file, some columns replaced by Arrow arrays."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name, array in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, array)
    pq.write_table(table, path)
    return path


def _person_rows():
    """tiny_frames() in read_parquet's layout: one row per person."""
    hh, pp = tiny_frames()
    return pp.merge(hh, on="household_id")


def _write_stata(tmp_path, hh, pp, **person_kwargs):
    h, p = tmp_path / "hh.dta", tmp_path / "pp.dta"
    hh.assign(urban=hh.urban.astype("int8")).to_stata(h, write_index=False, version=118)
    pp.assign(employed=pp.employed.astype("int8")).to_stata(
        p, write_index=False, version=118, **person_kwargs
    )
    return h, p


# ------------------------------------------------------- exact integer ids
def test_object_household_id_beyond_2_to_the_53_does_not_join_another_household():
    # Household 2^53 and a person of household 2^53 + 1 (ids as Python ints, as a
    # mixed or JSON-read column holds them). As floats both are 2^53, so the person
    # was silently counted in household 2^53 (size 2) instead of being an orphan.
    hh, pp = tiny_frames()
    hh["household_id"] = pd.Series([BIG - 1, 2, 3], dtype=object)
    pp["household_id"] = pd.Series([BIG - 1, BIG, 2, 3, 3, 3], dtype=object)
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "persons.household_id must be within ±2^53" in message
    assert "rows [1]; got 9007199254740993" in message  # the stored id, unrounded


def test_parquet_decimal_ids_are_read_exactly(tmp_path):
    # pyarrow hands decimal128 columns over as Decimal objects. Ids inside ±2^53
    # are read exactly; 2^53 + 1 and a fractional id were rounded into range.
    frame = _person_rows()
    path = tmp_path / "dec.parquet"

    def write(ids, scale=0):
        values = [decimal.Decimal(i) for i in ids]
        _write_table(
            path, frame, household_id=pa.array(values, type=pa.decimal128(20, scale))
        )

    write([2**53, 2**53, 2, 3, 3, 3])
    assert read_parquet(path).household_id.tolist() == [2**53, 2, 3]

    write([BIG, BIG, 2, 3, 3, 3])
    with pytest.raises(PopulationError) as info:
        read_parquet(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "households.household_id must be within ±2^53" in message
    assert "rows [0]; got Decimal('9007199254740993')" in message

    near_one = "1.0000000000000001"  # 1.0 as a float
    write([near_one, near_one, 2, 3, 3, 3], scale=16)
    with pytest.raises(PopulationError) as info:
        read_parquet(path)
    message = str(info.value)
    assert "households.household_id must hold whole numbers" in message
    assert near_one in message


@pytest.mark.parametrize(
    ("table", "column"), [("persons", "wage"), ("households", "urban")]
)
def test_integers_too_large_for_a_float_are_our_error(table, column):
    # float(10**400) raises OverflowError, which escaped as a raw exception.
    hh, pp = tiny_frames()
    frame = pp if table == "persons" else hh
    values = pd.Series(frame[column].astype(int).tolist(), dtype=object)
    values[1] = 10**400
    frame[column] = values
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert f"{table}.{column}" in message and "rows [1]" in message


# ------------------------------------------ names differing in case or spaces
@pytest.mark.parametrize("name", ["City", "city ", " CITY"])
def test_frame_column_named_like_city_is_not_silently_ignored(name):
    # "City" was ignored: every household fell back to the province (浙江), so the
    # city indicators were lost without a word.
    hh, pp = tiny_frames()
    hh = hh.rename(columns={"city": name})
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp, source="survey.csv")
    message = str(info.value)
    assert message.startswith("survey.csv: households has column(s) [")
    assert repr(name) in message and "['city']" in message
    assert f"columns={{{name!r}: 'city'}}" in message
    # The suggested mapping reads it.
    pop = Population.from_frames(hh, pp, columns={name: "city"})
    assert pop.city.tolist() == ["杭州", "丽水", "宁波"]
    # Beside an exact "city" it is just another column of the frame: no error.
    both = Population.from_frames(hh.assign(city=["温州"] * 3), pp)
    assert both.city.tolist() == ["温州"] * 3


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("cty", "city"),
        ("citi", "city"),
        ("ctiy", "city"),
        ("stratm", "stratum"),
        ("Strata", "stratum"),
        ("stratumm", "stratum"),
    ],
)
def test_frame_column_one_letter_from_an_optional_one_is_an_error(name, ours):
    # "cty" was read as nothing: every household fell to the province.
    hh, pp = tiny_frames()
    hh = hh.drop(columns=["city"]).assign(**{name: ["杭州", "丽水", "宁波"]})
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert f"[{name!r}], which look like the library's [{ours!r}]" in message
    assert f"columns={{{name!r}: {ours!r}}}" in message


@pytest.mark.parametrize("name", ["cities", "town", "wage2", "ps", "strat", "notes"])
def test_other_columns_are_not_guessed(name):
    """Two letters away, or a column that is not optional: other data, no error."""
    hh, pp = tiny_frames()
    Population.from_frames(hh.assign(**{name: 1}), pp.assign(**{name: 1}))


def test_parquet_column_named_like_ours_is_not_silently_ignored(tmp_path):
    path = _write_table(
        tmp_path / "p.parquet",
        _person_rows().rename(columns={"city": "City", "age": "Age "}),
    )
    with pytest.raises(PopulationError) as info:
        read_parquet(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the file has column(s) [")
    assert "'Age '" in message and "'City'" in message
    assert "missing column(s) ['age']" in message
    pop = read_parquet(path, {"City": "city", "Age ": "age"})
    assert pop.city.tolist() == ["杭州", "丽水", "宁波"]
    assert pop.age.tolist() == [40, 10, 70, 35, 33, 1]


def test_stata_variable_named_like_ours_is_not_silently_ignored(tmp_path):
    hh, pp = tiny_frames()
    h, p = _write_stata(tmp_path, hh.rename(columns={"city": "City"}), pp)
    with pytest.raises(PopulationError) as info:
        read_stata(h, p)
    message = str(info.value)
    assert message.startswith(f"{h}: the file has column(s) ['City']")
    assert read_stata(h, p, {"City": "city"}).city.tolist() == ["杭州", "丽水", "宁波"]


# -------------------------------------------------------- missing household ids
def test_parquet_rows_without_a_household_id_are_reported_as_such(tmp_path):
    # Rows 2 and 3 (of households 2 and 3) lack an id. They were grouped into one
    # "household" and reported as weight/urban/city differing within it.
    frame = _person_rows()
    frame["household_id"] = [1.0, 1.0, np.nan, np.nan, 3.0, 3.0]
    path = _write_table(tmp_path / "p.parquet", frame)
    with pytest.raises(PopulationError) as info:
        read_parquet(path)
    message = str(info.value)
    assert "must be the same on every person row" not in message
    assert "persons.household_id must be finite (no missing values" in message
    assert "rows [2, 3]; got nan" in message


# ------------------------------------------------------------------ ~ in paths
def test_tilde_in_paths_is_the_home_directory(tmp_path, monkeypatch):
    # write_parquet (through pyarrow) expanded "~"; read_parquet said "no such file"
    # for the file just written, and read_stata did the same.
    monkeypatch.setenv("HOME", str(tmp_path))
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh, pp)
    write_parquet(pop, "~/pop.parquet")
    assert (tmp_path / "pop.parquet").is_file()
    assert read_parquet("~/pop.parquet").wage.tolist() == pop.wage.tolist()
    _write_stata(tmp_path, hh, pp)
    assert read_stata("~/hh.dta", "~/pp.dta").household_id.tolist() == [1, 2, 3]


# ------------------------------------------------------------------ Stata dates
def test_stata_date_variable_is_not_read_as_a_number(tmp_path):
    # A %td date is stored as days since 1960-01-01: 1960-03-01 is 60, which was
    # read as age 60 without a word.
    hh, pp = tiny_frames()
    pp = pp.drop(columns="age").assign(birth=pd.to_datetime(["1960-03-01"] * 6))
    h, p = _write_stata(tmp_path, hh, pp, convert_dates={"birth": "td"})
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, {"birth": "age"})
    message = str(info.value)
    assert message.startswith(f"{p}: column 'birth' (persons.age)")
    assert "date" in message and "1960-03-01" in message


# ---------------------------------------------------------- city spellings
def test_every_reader_accepts_the_same_city_spellings(tmp_path):
    # read_stata accepted "Hangzhou Shi" and "杭州 市"; from_frames and read_parquet
    # refused them, so the same data read in one format and not in another.
    spellings = ["Hangzhou Shi", "Lìshuǐ City", "宁波 市"]
    hh, pp = tiny_frames()
    hh["city"] = spellings
    expected = ["杭州", "丽水", "宁波"]
    assert Population.from_frames(hh, pp).city.tolist() == expected
    path = _write_table(tmp_path / "p.parquet", pp.merge(hh, on="household_id"))
    assert read_parquet(path).city.tolist() == expected
    assert read_stata(*_write_stata(tmp_path, hh, pp)).city.tolist() == expected


@pytest.mark.parametrize("bad", [None, b"pop.parquet", 3])
def test_a_path_that_is_no_path_names_the_argument(bad):
    """pathlib raised a bare TypeError for None, bytes or a number."""
    from commonprosperity.survey import read_parquet, read_stata

    with pytest.raises(PopulationError, match="path must be a file path"):
        read_parquet(bad)
    with pytest.raises(PopulationError, match="households_path must be a file path"):
        read_stata(bad, "persons.dta")
