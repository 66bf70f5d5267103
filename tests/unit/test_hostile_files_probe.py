"""Hostile and unusual input files and frames: each gives our error naming it.

Found by an independent review of the readers (``Population.from_frames``,
``read_parquet``, ``read_stata``) and the command line. Each test failed before
its fix.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from commonprosperity import cli
from commonprosperity._survey_file import check_parquet, check_stata
from commonprosperity.errors import PopulationError
from commonprosperity.population import Population
from commonprosperity.survey import read_stata


def _households(**changes):
    table = {
        "household_id": [1, 2],
        "weight": [10.0, 5.0],
        "urban": [True, False],
    }
    table.update(changes)
    return pd.DataFrame(table)


def _persons(**changes):
    table = {
        "household_id": [1, 1, 2],
        "age": [40, 8, 70],
        "employed": [True, False, False],
        "wage": [90_000.0, 0.0, 0.0],
        "business": [0.0, 0.0, -500.0],
        "property": [0.0, 0.0, 0.0],
        "pension": [0.0, 0.0, 0.0],
    }
    table.update(changes)
    return pd.DataFrame(table)


def _objects(*values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # Was read as 18262.0 yuan (days since 1970) without a word.
        ("wage", np.datetime64("2020-01-01")),
        # Was read as 5.0 yuan.
        ("wage", np.timedelta64(5, "D")),
        # Was a raw TypeError from int() in the whole-number check.
        ("age", np.datetime64(40, "D")),
        ("age", datetime.date(2020, 1, 1)),
    ],
)
def test_dates_and_durations_in_object_columns_are_not_numbers(column, value):
    good = _persons()[column].tolist()
    values = _objects(value, *good[1:])
    with pytest.raises(PopulationError) as info:
        Population.from_frames(_households(), _persons(**{column: values}))
    message = str(info.value)
    assert f"persons.{column} must be numeric" in message
    assert "rows [0]" in message


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([[1.0], 0.0, 0.0]),  # a list in a cell
        pd.Series([{}, 0.0, 0.0]),  # a dict in a cell
        pd.Series([pd.Timedelta(1), 0.0, 0.0], dtype=object),
    ],
)
def test_non_numeric_objects_are_named_with_rows_and_value(values):
    # Was "must be numeric; got non-numeric values (dtype object)": no row, no value.
    with pytest.raises(PopulationError) as info:
        Population.from_frames(_households(), _persons(wage=values))
    message = str(info.value)
    assert "persons.wage must be numeric" in message
    assert "rows [0]; got" in message


def test_complex_boolean_column_is_a_wrong_dtype():
    # A complex128 'employed' was accepted, the imaginary part dropped with only
    # NumPy's ComplexWarning (1+5j read as True).
    employed = np.array([1 + 5j, 0, 0])
    with pytest.raises(PopulationError, match=r"persons\.employed must be boolean"):
        Population.from_frames(_households(), _persons(employed=employed))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PAR1\x15\x04\x15 \x15$L\x15\x04\x15\x00\x12\x00\x00", "a Parquet file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"\x00\x01\x02\x03\x04abc", "binary data"),
    ],
)
def test_foreign_binary_file_is_not_called_csv_text(tmp_path, content, words):
    # A Parquet file given as .dta was described as "text, probably CSV".
    path = tmp_path / "survey.dta"
    path.write_bytes(content + b"\x00" * 64)
    with pytest.raises(PopulationError) as info:
        check_stata(path)
    message = str(info.value)
    assert "CSV" not in message
    assert words in message


def test_stata_file_given_as_parquet_is_named_a_stata_file(tmp_path):
    path = tmp_path / "survey.parquet"
    _households().to_stata(path, write_index=False, version=118)
    with pytest.raises(PopulationError, match="a Stata file"):
        check_parquet(path)


def test_cli_population_that_is_no_regular_file_is_not_called_missing():
    # /dev/null exists; "no such file" sent the user looking for a typo.
    with pytest.raises(PopulationError) as info:
        cli._read_population_file(cli.Path("/dev/null"))
    message = str(info.value)
    assert "no such file" not in message
    assert "not a regular file" in message


def test_stata_recode_with_a_nan_key_is_an_error(tmp_path):
    # {nan: 0.0} can never match (Stata missing values are looked up as None), so
    # the recode was ignored and the error blamed the file's missing values.
    h, p = tmp_path / "hh.dta", tmp_path / "pp.dta"
    _households(urban=[1, 0]).to_stata(h, write_index=False, version=118)
    _persons(employed=[1, 0, 0], wage=[np.nan, 0.0, 0.0]).to_stata(
        p, write_index=False, version=118
    )
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, recode={"wage": {float("nan"): 0.0}})
    message = str(info.value)
    assert "recode['wage']" in message
    assert "None" in message


def _person_arrays(n=2):
    return {
        "household_id": list(range(1, n + 1)),
        "age": [30] * n,
        "employed": [True] * n,
        "wage": [1.0] * n,
        "business": [0.0] * n,
        "property": [0.0] * n,
        "pension": [0.0] * n,
    }


def test_masked_values_are_missing_not_data():
    # np.asarray dropped the mask: the masked weight 2.0 was read as data.
    weight = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    households = {"household_id": [1, 2], "weight": weight, "urban": [True, True]}
    with pytest.raises(PopulationError) as info:
        Population.from_arrays(households, _person_arrays())
    message = str(info.value)
    assert "households.weight must be finite (no missing values" in message
    assert "rows [1]" in message


def test_masked_array_without_masked_values_is_read():
    weight = np.ma.masked_array([1.0, 2.0], mask=[False, False])
    households = {"household_id": [1, 2], "weight": weight, "urban": [True, True]}
    pop = Population.from_arrays(households, _person_arrays())
    assert pop.weight.tolist() == [1.0, 2.0]


def test_ragged_column_is_our_error_naming_it():
    # Was a raw ValueError ("inhomogeneous shape") from np.asarray.
    households = {"household_id": [1, [2]], "weight": [1.0, 1.0], "urban": [1, 1]}
    with pytest.raises(PopulationError, match=r"households\.household_id must be"):
        Population.from_arrays(households, _person_arrays())


def test_with_weights_masked_or_ragged_weights_are_our_error():
    pop = Population.from_frames(_households(), _persons())
    # The masked weight was read as data; the ragged list was a raw ValueError.
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(PopulationError, match=r"weight must be finite.*rows \[1\]"):
        pop.with_weights(masked)
    with pytest.raises(PopulationError, match="weight must be a one-dimensional"):
        pop.with_weights([1.0, [2.0]])


def test_old_stata_city_in_gb18030_without_encoding_suggests_it(tmp_path):
    # Was only "city must be one of the 11 ...; got 'º¼ÖÝÊÐ'": no word of the
    # file's format or of encoding=.
    h, p = tmp_path / "hh.dta", tmp_path / "pp.dta"
    _households(urban=[1, 0], city=["Hangzhou", "Lishui"]).to_stata(
        h, write_index=False, version=114
    )
    _persons(employed=[1, 0, 0]).to_stata(p, write_index=False, version=114)
    raw = bytearray(h.read_bytes())
    at = raw.find(b"Hangzhou")
    raw[at : at + 8] = "杭州市".encode("gb18030") + b"\x00\x00"
    h.write_bytes(bytes(raw))
    with pytest.raises(PopulationError) as info:
        read_stata(h, p)
    message = str(info.value)
    assert str(h) in message
    assert "encoding='gb18030'" in message
    assert read_stata(h, p, encoding="gb18030").city.tolist() == ["杭州", "丽水"]


def _from_arrays(ids, wage):
    """A population of households ``ids``, one person each earning ``wage``."""
    n = len(ids)
    return Population.from_arrays(
        {"household_id": ids, "weight": [1.0] * n, "urban": [True] * n},
        {
            "household_id": ids,
            "age": [30] * n,
            "employed": [True] * n,
            "wage": wage,
            "business": [0.0] * n,
            "property": [0.0] * n,
            "pension": [0.0] * n,
        },
    )


@pytest.mark.parametrize(
    ("ids", "hint"),
    [
        (["0101", "0102"], "pandas.to_numeric"),
        (np.array(["0101", "0102"], dtype=object), "pandas.to_numeric"),
        (["A01", "B02"], "numbered the same way in both tables"),
        (np.array(["A01", 7], dtype=object), "numbered the same way in both tables"),
    ],
)
def test_text_household_ids_come_with_a_way_to_convert_them(ids, hint):
    """Survey files store ids as text; the error says how to make them numbers."""
    with pytest.raises(PopulationError) as info:
        _from_arrays(ids, [1.0, 2.0])
    message = str(info.value)
    assert message.count(hint) == 2  # households' and persons' ids
    assert "household_id must be numeric" in message


def test_text_in_other_columns_gets_no_id_hint():
    with pytest.raises(PopulationError) as info:
        _from_arrays([1], ["60000"])
    assert "persons.wage must be numeric" in str(info.value)
    assert "to_numeric" not in str(info.value)


def test_float32_ids_above_two_to_the_24_are_an_error():
    """9-digit ids saved as 4-byte floats were rounded to multiples of 8."""
    ids = np.array([110_101_001, 110_101_003], dtype=np.float32)
    # Two households became one: the file can no longer tell them apart.
    assert ids[0] == ids[1] == 110_101_000
    with pytest.raises(PopulationError) as info:
        _from_arrays(ids, [1.0, 2.0])
    message = str(info.value)
    assert message.count("stored as float32") == 2  # both tables' ids
    assert "16,777,216" in message and "long or double" in message


def test_float32_ids_below_two_to_the_24_are_exact_and_read():
    # 2^24 itself is refused: float32 stores 2^24 + 1 as 2^24 (session 49).
    ids = np.array([1, 16_777_215], dtype=np.float32)
    pop = _from_arrays(ids, [1.0, 2.0])
    assert pop.household_id.tolist() == [1, 16_777_215]


def test_stata_float_household_ids_above_two_to_the_24_are_an_error(tmp_path):
    h, p = tmp_path / "hh.dta", tmp_path / "pp.dta"
    big = [110_101_000.0, 110_101_008.0]  # multiples of 8: exact in float32
    households = _households(household_id=np.array(big, dtype=np.float32))
    persons = _persons(household_id=np.array(big[:1] * 2 + big[1:], dtype=np.float32))
    households.to_stata(h, write_index=False, version=118)
    persons.to_stata(p, write_index=False, version=118)
    with pytest.raises(PopulationError, match="stored as float32") as info:
        read_stata(h, p)
    assert "household_id" in str(info.value)
    # Stored as double, the same ids are read.
    households.astype({"household_id": np.float64}).to_stata(
        h, write_index=False, version=118
    )
    persons.astype({"household_id": np.float64}).to_stata(
        p, write_index=False, version=118
    )
    assert read_stata(h, p).household_id.tolist() == [110_101_000, 110_101_008]
