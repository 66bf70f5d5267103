"""Survey files: exact Parquet round trips, CHIP/CFPS-style Stata files, hostile files.

The Stata files are written by pandas with the variable names and value labels of
the two surveys: CHIP (household ``hhcode``, urban ``b1`` coded 1 = 城镇 / 2 = 农村,
labelled city codes, employment status ``c01`` codes) and CFPS (``fid18``,
``urban18`` coded 0 = 乡村 / 1 = 城镇, ``employ`` with the special code -8 不适用,
income variables carrying -8 不适用, cities as pinyin strings).
"""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from commonprosperity import Population, PopulationError, Scenario, simulate
from commonprosperity.survey import (
    ADMINISTRATIVE_CITY_CODES,
    METADATA_KEY,
    read_parquet,
    read_stata,
    write_parquet,
)
from tests.conftest import tiny_frames

ARRAYS = (
    "household_id",
    "weight",
    "urban",
    "city_code",
    "offsets",
    "age",
    "employed",
    "wage",
    "business",
    "property",
    "pension",
)

CITIES_ZH = [
    "杭州",
    "宁波",
    "温州",
    "嘉兴",
    "湖州",
    "绍兴",
    "金华",
    "衢州",
    "舟山",
    "台州",
    "丽水",
]


def assert_same_population(a, b):
    for name in (*ARRAYS, "stratum", "psu"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.year == b.year
    assert a.source == b.source


def tiny_population(**kw):
    hh, pp = tiny_frames()
    return Population.from_frames(hh, pp, **kw)


# -------------------------------------------------------------------- parquet
def test_parquet_round_trip_is_exact(tmp_path, rng):
    """Arrays, dtypes, order, year and source survive write + read unchanged, with
    survey design columns and awkward floats (sub-fen, huge, negative business)."""
    hh, pp = tiny_frames()
    hh["stratum"] = [3, 1, 3]
    hh["psu"] = [30, 10, 31]
    pp["wage"] = pp["wage"] + rng.random(len(pp)) / 7
    pp.loc[4, "business"] = -12_345.678901234567
    pp.loc[0, "property"] = 9.87654321e11
    pop = Population.from_frames(
        hh.iloc[::-1], pp, year=2019, source="CHIP 2018 (test)"
    )
    file = tmp_path / "pop.parquet"
    write_parquet(pop, file)
    back = read_parquet(file)
    assert_same_population(pop, back)
    schema = pq.read_schema(file)
    assert [str(t) for t in schema.types] == [
        "int64",
        "double",
        "bool",
        "string",
        "int64",
        "int64",
        "int64",
        "bool",
        "double",
        "double",
        "double",
        "double",
    ]
    meta = json.loads(schema.metadata[METADATA_KEY])
    assert meta["year"] == 2019 and meta["source"] == "CHIP 2018 (test)"


def test_parquet_round_trip_of_a_synthetic_population(tmp_path):
    """Property: any valid population round-trips, and simulates identically."""
    from commonprosperity import synthetic_population

    pop = synthetic_population(300, seed=11)
    file = tmp_path / "synthetic.parquet"
    write_parquet(pop, file)
    back = read_parquet(file)
    assert_same_population(pop, back)
    s = Scenario.status_quo(2022)
    pd.testing.assert_series_equal(
        simulate(pop, s).indicators, simulate(back, s).indicators
    )


def test_parquet_one_row_per_person_with_household_columns_repeated(tmp_path):
    pop = tiny_population(year=2021)
    file = tmp_path / "pop.parquet"
    write_parquet(pop, file)
    frame = pd.read_parquet(file)
    assert len(frame) == pop.n_persons
    assert frame["weight"].tolist() == [100.0, 100.0, 200.0, 50.0, 50.0, 50.0]
    assert frame["city"].tolist() == ["杭州", "杭州", "丽水", "宁波", "宁波", "宁波"]


def test_parquet_without_year_or_city(tmp_path):
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh.drop(columns="city"), pp)
    write_parquet(pop, tmp_path / "p.parquet")
    back = read_parquet(tmp_path / "p.parquet")
    assert back.year is None and back.source == ""
    assert back.city.tolist() == ["浙江"] * 3


def test_parquet_foreign_layout_with_renames_and_interleaved_rows(tmp_path):
    """A file written by another tool: own column names, persons of households not
    contiguous. Households come in order of first appearance; persons keep file
    order within a household; source is the path, year unknown."""
    frame = pd.DataFrame(
        {
            "hh": [20, 10, 20, 10],
            "wt": [5.0, 7.0, 5.0, 7.0],
            "is_urban": [False, True, False, True],
            "city": ["Lishui", "杭州市", "Lishui", "杭州市"],
            "age": [70, 40, 68, 9],
            "employed": [False, True, False, False],
            "wage": [0.0, 90_000.0, 0.0, 0.0],
            "business": [0.0, 0.0, 1_000.0, 0.0],
            "property": [0.0, 0.0, 0.0, 0.0],
            "pension": [20_000.0, 0.0, 0.0, 0.0],
            "ignored": ["a", "b", "c", "d"],
        }
    )
    file = tmp_path / "foreign.parquet"
    frame.to_parquet(file, index=False)
    # Grouped with a warning: ids repeating across counties would merge
    # different households the same way.
    with pytest.warns(UserWarning, match="not on consecutive rows"):
        pop = read_parquet(
            file, columns={"hh": "household_id", "wt": "weight", "is_urban": "urban"}
        )
    assert pop.household_id.tolist() == [20, 10]
    assert pop.city.tolist() == ["丽水", "杭州"]
    assert pop.age.tolist() == [70, 68, 40, 9]
    assert pop.source == str(file) and pop.year is None


def test_parquet_inconsistent_household_columns_name_household_and_rows(tmp_path):
    frame = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 2, 2],
            "weight": [10.0, 10.0, 4.0, 4.5, 4.0],
            "urban": [True, False, True, True, True],
            "age": [40, 38, 30, 3, 60],
            "employed": [True] * 5,
            "wage": [1.0] * 5,
            "business": [0.0] * 5,
            "property": [0.0] * 5,
            "pension": [0.0] * 5,
        }
    )
    file = tmp_path / "bad.parquet"
    frame.to_parquet(file, index=False)
    with pytest.raises(PopulationError) as err:
        read_parquet(file)
    message = str(err.value)
    assert str(file) in message
    assert "'weight' must be the same on every person row" in message
    assert "household_id 2 has weight [4.0, 4.5] at rows [2, 3, 4]" in message
    assert "household_id 1 has urban [True, False] at rows [0, 1]" in message


def test_parquet_invalid_values_name_the_path_and_rows(tmp_path):
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh, pp)
    write_parquet(pop, tmp_path / "ok.parquet")
    frame = pd.read_parquet(tmp_path / "ok.parquet").assign(
        age=[40, 10, 70, 35, 133, 1]
    )
    frame.to_parquet(tmp_path / "age.parquet", index=False)
    with pytest.raises(
        PopulationError,
        match=r"age\.parquet.*persons\.age must be in "
        r"0–120; rows \[4\]",
    ):
        read_parquet(tmp_path / "age.parquet")


def test_parquet_missing_column_names_path_and_column(tmp_path):
    frame = pd.read_parquet(_written(tmp_path)).drop(columns="pension")
    frame.to_parquet(tmp_path / "nopension.parquet", index=False)
    with pytest.raises(PopulationError) as err:
        read_parquet(tmp_path / "nopension.parquet")
    message = str(err.value)
    assert "nopension.parquet" in message
    assert "missing column(s) ['pension']" in message
    assert "columns={'theirs': 'ours'}" in message


def _written(tmp_path):
    file = tmp_path / "good.parquet"
    write_parquet(tiny_population(year=2021), file)
    return file


@pytest.mark.parametrize(
    "damage",
    ["truncated", "csv", "empty", "garbage", "head_only", "missing", "directory"],
)
def test_parquet_hostile_files_name_the_path(tmp_path, damage):
    good = _written(tmp_path).read_bytes()
    file = tmp_path / f"{damage}.parquet"
    if damage == "truncated":
        file.write_bytes(good[: len(good) // 2])
    elif damage == "csv":
        file.write_text("household_id,weight,urban\n1,10.0,1\n", encoding="utf-8")
    elif damage == "empty":
        file.write_bytes(b"")
    elif damage == "garbage":
        file.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    elif damage == "head_only":
        file.write_bytes(good[:4])
    elif damage == "directory":
        file.mkdir()
    with pytest.raises(PopulationError) as err:
        read_parquet(file)
    assert str(file) in str(err.value)
    expected = {
        "truncated": "truncated",
        "csv": "not a Parquet file",
        "empty": "empty",
        "garbage": "Parquet",
        "head_only": "truncated",
        "missing": "no such",
        "directory": "not a file",
    }[damage]
    assert expected in str(err.value)


def test_parquet_csv_renamed_is_recognised_as_csv(tmp_path):
    file = tmp_path / "people.parquet"
    file.write_text("household_id,age\n1,40\n", encoding="utf-8")
    with pytest.raises(PopulationError, match="probably CSV"):
        read_parquet(file)


def test_parquet_corrupt_metadata(tmp_path):
    table = pq.read_table(_written(tmp_path))
    bad = table.replace_schema_metadata({METADATA_KEY: b"{not json"})
    pq.write_table(bad, tmp_path / "meta.parquet")
    with pytest.raises(
        PopulationError,
        match=r"meta\.parquet: metadata key "
        "'commonprosperity' is not valid JSON",
    ):
        read_parquet(tmp_path / "meta.parquet")
    wrong = table.replace_schema_metadata(
        {METADATA_KEY: json.dumps({"format_version": 1, "year": "2021"}).encode()}
    )
    pq.write_table(wrong, tmp_path / "year.parquet")
    with pytest.raises(
        PopulationError, match="year must be an integer or null; got '2021'"
    ):
        read_parquet(tmp_path / "year.parquet")


def test_parquet_metadata_with_an_unknown_key_is_an_error(tmp_path):
    table = pq.read_table(_written(tmp_path))
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    pq.write_table(
        table.replace_schema_metadata(
            {METADATA_KEY: json.dumps({**meta, "yaer": 2021}).encode()}
        ),
        tmp_path / "typo.parquet",
    )
    with pytest.raises(PopulationError, match=r"unknown key\(s\) \['yaer'\]"):
        read_parquet(tmp_path / "typo.parquet")


def test_parquet_metadata_written_is_read_back_without_complaint(tmp_path):
    table = pq.read_table(_written(tmp_path))
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    assert set(meta) == {
        "format_version",
        "layout",
        "year",
        "source",
        "library_version",
    }


def test_write_parquet_needs_a_population(tmp_path):
    with pytest.raises(TypeError, match="must be a Population"):
        write_parquet(pd.DataFrame(), tmp_path / "x.parquet")


# ---------------------------------------------------------------- CHIP style
CHIP_COLUMNS = {
    "hhcode": "household_id",
    "weight_hh": "weight",
    "b1": "urban",
    "coder": "city",
    "a05": "age",
    "c01": "employed",
    "c_wage": "wage",
    "c_business": "business",
    "c_property": "property",
    "c_pension": "pension",
}
CHIP_EMPLOYMENT = {
    1: "雇员",
    2: "雇主",
    3: "自营劳动者",
    4: "家庭帮工",
    5: "失业",
    6: "离退休",
    7: "在校学生",
    8: "其他",
}
CHIP_RECODE = {
    "urban": {1: True, 2: False},
    "employed": {
        "雇员": True,
        2: False,
        3: False,
        4: False,
        5: False,
        6: False,
        7: False,
        8: False,
    },
}


def write_chip(tmp_path, *, version=118, persons=None):
    """Two CHIP-like files: 3 households, 6 persons, labelled codes."""
    hh = pd.DataFrame(
        {
            "hhcode": np.array([330101, 331102, 330203], dtype=np.int32),
            "weight_hh": [1_200.5, 800.0, 950.0],
            "b1": np.array([1, 2, 1], dtype=np.int8),
            "coder": np.array([1, 11, 2], dtype=np.int8),
        }
    )
    labels = {
        "b1": {1: "城镇", 2: "农村"},
        "coder": {k + 1: f"{c}市" for k, c in enumerate(CITIES_ZH)},
    }
    pp = (
        persons
        if persons is not None
        else pd.DataFrame(
            {
                "hhcode": np.array(
                    [330101, 330101, 330101, 331102, 330203, 330203], dtype=np.int32
                ),
                "a03": np.array([1, 2, 3, 1, 1, 3], dtype=np.int8),
                "a05": np.array([42, 40, 12, 70, 35, 1], dtype=np.int16),
                "c01": np.array([1, 3, 7, 6, 1, 8], dtype=np.int8),
                "c_wage": [120_000.0, 0.0, 0.0, 0.0, 65_000.0, 0.0],
                "c_business": [0.0, 80_000.0, 0.0, 0.0, 0.0, 0.0],
                "c_property": [5_000.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                "c_pension": [0.0, 0.0, 0.0, 36_000.0, 0.0, 0.0],
            }
        )
    )
    h, p = tmp_path / "chip_hh.dta", tmp_path / "chip_person.dta"
    hh.to_stata(
        h,
        write_index=False,
        version=version,
        value_labels=labels,
        variable_labels={"b1": "urban/rural", "coder": "city"},
    )
    pp.to_stata(
        p,
        write_index=False,
        version=version,
        value_labels={"c01": CHIP_EMPLOYMENT} if "c01" in pp else None,
    )
    return h, p


def test_chip_style_files_map_with_labels_and_recodes(tmp_path):
    h, p = write_chip(tmp_path)
    pop = read_stata(h, p, CHIP_COLUMNS, recode=CHIP_RECODE, year=2018)
    assert pop.household_id.tolist() == [330101, 331102, 330203]
    assert pop.weight.tolist() == [1_200.5, 800.0, 950.0]
    assert pop.urban.tolist() == [True, False, True]
    assert pop.city.tolist() == [
        "杭州",
        "丽水",
        "宁波",
    ]  # from the value labels 杭州市 ...
    assert pop.age.tolist() == [42, 40, 12, 70, 35, 1]
    assert pop.employed.tolist() == [True, False, False, False, True, False]
    assert pop.business.tolist() == [0.0, 80_000.0, 0.0, 0.0, 0.0, 0.0]
    assert pop.year == 2018
    assert str(h) in pop.source and str(p) in pop.source
    assert (
        simulate(pop, Scenario.status_quo(2021)).indicators[
            "per_capita_disposable_income"
        ]
        > 0
    )


def test_chip_urban_coded_1_2_without_recode_is_an_error_with_a_hint(tmp_path):
    h, p = write_chip(tmp_path)
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, CHIP_COLUMNS, recode={"employed": CHIP_RECODE["employed"]})
    message = str(err.value)
    assert f"{h}: column 'b1' (households.urban)" in message
    assert "found 2 '农村' at rows [1]" in message
    assert "the file labels 1 '城镇', 2 '农村'" in message
    # Every code of the column, as a recode must map each (the bad 2 alone was
    # then refused for the 1s).
    assert "recode={'urban': {1: True or False, 2: True or False}}" in message
    recode = {"urban": {1: True, 2: False}, "employed": CHIP_RECODE["employed"]}
    # b1 is 1, 2, 1 (write_chip).
    assert read_stata(h, p, CHIP_COLUMNS, recode=recode).urban.tolist() == [
        True,
        False,
        True,
    ]


def test_unknown_code_is_named_with_label_rows_and_keys(tmp_path):
    h, p = write_chip(tmp_path)
    recode = {"urban": {1: True, 2: False}, "employed": {1: True, 3: False, 6: False}}
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, CHIP_COLUMNS, recode=recode)
    message = str(err.value)
    assert (
        f"{p}: column 'c01' (persons.employed): value(s) not in recode['employed']"
        in message
    )
    assert "7 '在校学生' (1 row, e.g. rows [2])" in message
    assert "8 '其他' (1 row, e.g. rows [5])" in message
    assert "recode['employed'] has keys [1, 3, 6]" in message


def test_administrative_city_codes(tmp_path):
    """GB/T 2260 six-digit codes, unlabelled, read through the shipped table."""
    hh = pd.DataFrame(
        {
            "hhid": [1, 2],
            "w": [1.0, 2.0],
            "urban": [1, 0],
            "prefecture": np.array([330100, 331100], dtype=np.int32),
        }
    )
    pp = pd.DataFrame(
        {
            "hhid": [1, 2],
            "age": [30, 60],
            "employed": [1, 0],
            "wage": [50_000.0, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 20_000.0],
        }
    )
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    hh.to_stata(h, write_index=False, version=118)
    pp.to_stata(p, write_index=False, version=118)
    columns = {"hhid": "household_id", "w": "weight", "prefecture": "city"}
    with pytest.raises(
        PopulationError, match=r"numeric city code.*330100.*ADMINISTRATIVE_CITY_CODES"
    ):
        read_stata(h, p, columns)
    pop = read_stata(h, p, columns, recode={"city": ADMINISTRATIVE_CITY_CODES})
    assert pop.city.tolist() == ["杭州", "丽水"]
    assert ADMINISTRATIVE_CITY_CODES[331000] == "台州"
    assert ADMINISTRATIVE_CITY_CODES[3305] == "湖州"


def test_old_stata_format_with_gb18030_text(tmp_path):
    """Stata 10/11 (format 114) files store bytes without an encoding; Chinese
    files of that age are GB18030. The bytes are written through latin-1 here."""
    hh = pd.DataFrame(
        {
            "hhcode": [1, 2],
            "weight_hh": [3.0, 4.0],
            "b1": np.array([1, 2], dtype=np.int8),
            "cityname": [
                "杭州市".encode("gb18030").decode("latin-1"),
                "温州".encode("gb18030").decode("latin-1"),
            ],
        }
    )
    pp = pd.DataFrame(
        {
            "hhcode": [1, 2],
            "a05": [30, 40],
            "c01": [1, 5],
            "c_wage": [60_000.0, 0.0],
            "c_business": [0.0, 0.0],
            "c_property": [0.0, 0.0],
            "c_pension": [0.0, 0.0],
        }
    )
    labels = {
        "b1": {
            1: "城镇".encode("gb18030").decode("latin-1"),
            2: "农村".encode("gb18030").decode("latin-1"),
        }
    }
    h, p = tmp_path / "old_hh.dta", tmp_path / "old_p.dta"
    hh.to_stata(h, write_index=False, version=114, value_labels=labels)
    pp.to_stata(p, write_index=False, version=114)
    columns = {**CHIP_COLUMNS, "cityname": "city"}
    del columns["coder"]
    pop = read_stata(
        h,
        p,
        columns,
        encoding="gb18030",
        recode={
            "urban": {"城镇": True, "农村": False},
            "employed": {1: True, 5: False},
        },
    )
    assert pop.city.tolist() == ["杭州", "温州"]
    assert pop.urban.tolist() == [True, False]


def test_value_labels_false_reads_codes_only(tmp_path):
    h, p = write_chip(tmp_path)
    recode = {
        "urban": {1: True, 2: False},
        "employed": {1: True, **{k: False for k in range(2, 9)}},
        "city": {k + 1: c for k, c in enumerate(CITIES_ZH)},
    }
    pop = read_stata(h, p, CHIP_COLUMNS, recode=recode, value_labels=False)
    assert pop.city.tolist() == ["杭州", "丽水", "宁波"]
    with pytest.raises(
        PopulationError,
        match=r"value\(s\) not in recode\['employed'\]: "
        "1 \\(2 rows, e.g. rows \\[0, 4\\]\\); 7 \\(1 row",
    ):
        read_stata(
            h,
            p,
            CHIP_COLUMNS,
            value_labels=False,
            recode={**recode, "employed": {"雇员": True, 3: False, 6: False, 8: False}},
        )


def test_missing_values_recode_with_none(tmp_path):
    """A Stata missing value (.) in an income variable is an error unless mapped
    by the key None."""
    persons = pd.DataFrame(
        {
            "hhcode": np.array([330101, 331102, 330203], dtype=np.int32),
            "a05": [30, 50, 60],
            "c01": np.array([1, 1, 6], dtype=np.int8),
            "c_wage": [40_000.0, np.nan, 0.0],
            "c_business": [0.0] * 3,
            "c_property": [0.0] * 3,
            "c_pension": [0.0, 0.0, 9_000.0],
        }
    )
    h, p = write_chip(tmp_path, persons=persons)
    with pytest.raises(
        PopulationError,
        match=r"column 'c_wage' \(persons\.wage\) must be finite.*rows \[1\]",
    ):
        read_stata(h, p, CHIP_COLUMNS, recode=CHIP_RECODE)
    pop = read_stata(h, p, CHIP_COLUMNS, recode={**CHIP_RECODE, "wage": {None: 0.0}})
    assert pop.wage.tolist() == [40_000.0, 0.0, 0.0]


def test_missing_column_names_file_and_column(tmp_path):
    h, p = write_chip(tmp_path)
    columns = {k: v for k, v in CHIP_COLUMNS.items() if k != "c_pension"}
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, columns, recode=CHIP_RECODE)
    message = str(err.value)
    assert f"{p}: missing column(s) ['pension']" in message
    assert "'c_pension'" in message  # the file's variables are listed


def test_problems_of_both_files_are_reported_together(tmp_path):
    h, p = write_chip(tmp_path)
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, CHIP_COLUMNS)
    message = str(err.value)
    assert f"{h}: column 'b1'" in message and f"{p}: column 'c01'" in message


def test_unused_rename_is_an_error(tmp_path):
    """A rename naming no variable would leave the one it meant unread."""
    h, p = write_chip(tmp_path)
    with pytest.raises(PopulationError, match=r"columns renames \['stratum_var'\]"):
        read_stata(h, p, {**CHIP_COLUMNS, "stratum_var": "stratum"}, recode=CHIP_RECODE)


def test_household_variable_in_the_person_file_only_is_an_error(tmp_path):
    """A city or stratum on the person rows alone would vanish (as in from_frames)."""
    pp = pd.DataFrame(
        {
            "hhcode": np.array([330101, 331102, 330203], dtype=np.int32),
            "a05": np.array([42, 70, 35], dtype=np.int16),
            "c01": np.array([1, 6, 1], dtype=np.int8),
            "c_wage": [120_000.0, 0.0, 65_000.0],
            "c_business": [0.0, 0.0, -3_000.0],
            "c_property": [0.0, 0.0, 0.0],
            "c_pension": [0.0, 36_000.0, 0.0],
            "stratum": np.array([1, 1, 2], dtype=np.int8),
        }
    )
    h, p = write_chip(tmp_path, persons=pp)
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, CHIP_COLUMNS, recode=CHIP_RECODE)
    assert f"{p}: has household variable(s) ['stratum'] that {h} lacks" in str(
        err.value
    )


def test_misspelt_optional_variable_is_an_error(tmp_path):
    h, p = write_chip(tmp_path)
    hh = pd.read_stata(h, convert_categoricals=False).assign(stratm=1)
    hh.to_stata(h, write_index=False, version=118)
    with pytest.raises(PopulationError, match=r"\['stratm'\], which look like"):
        read_stata(h, p, CHIP_COLUMNS, recode=CHIP_RECODE)


def test_recode_and_columns_arguments_are_validated(tmp_path):
    h, p = write_chip(tmp_path)
    with pytest.raises(PopulationError, match="recode names unknown column 'urbn'"):
        read_stata(h, p, CHIP_COLUMNS, recode={"urbn": {1: True}})
    with pytest.raises(PopulationError, match=r"recode\['urban'\] must be a mapping"):
        read_stata(h, p, CHIP_COLUMNS, recode={"urban": [1, 2]})
    with pytest.raises(PopulationError, match="columns maps to unknown column"):
        read_stata(h, p, {"b1": "is_urban"})
    with pytest.raises(PopulationError, match="unknown encoding"):
        read_stata(h, p, CHIP_COLUMNS, encoding="klingon")


# ---------------------------------------------------------------- CFPS style
def write_cfps(tmp_path):
    fam = pd.DataFrame(
        {
            "fid18": np.array([100051, 100160, 100286], dtype=np.int32),
            "fswt_natcs18n": [3_512.25, 2_877.0, 4_101.5],
            "urban18": np.array([1, 0, 1], dtype=np.int8),
            "cityname": ["Hangzhou Shi", "QUZHOU", "Wēnzhōu"],
        }
    )
    person = pd.DataFrame(
        {
            "pid": np.arange(1, 7, dtype=np.int32),
            "fid18": np.array(
                [100051, 100051, 100160, 100160, 100286, 100286], dtype=np.int32
            ),
            "age": np.array([45, 16, 66, 64, 29, 27], dtype=np.int16),
            "employ": np.array([1, -8, 3, 0, 1, 1], dtype=np.int8),
            "income": [98_000.0, -8.0, -8.0, 0.0, 150_000.0, 72_000.0],
            "fn_business": [0.0, 0.0, 12_000.0, 0.0, 0.0, 0.0],
            "fn_property": [3_000.0, 0.0, 0.0, 0.0, 0.0, 800.0],
            "pension_inc": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    f, p = tmp_path / "cfps2018famecon.dta", tmp_path / "cfps2018person.dta"
    fam.to_stata(
        f,
        write_index=False,
        version=118,
        value_labels={"urban18": {0: "乡村", 1: "城镇"}},
    )
    person.to_stata(
        p,
        write_index=False,
        version=118,
        value_labels={
            "employ": {1: "在业", 0: "失业", 3: "退出劳动力市场", -8: "不适用"},
            "income": {-8: "不适用", -1: "不知道"},
        },
    )
    return f, p


CFPS_COLUMNS = {
    "fid18": "household_id",
    "fswt_natcs18n": "weight",
    "urban18": "urban",
    "cityname": "city",
    "employ": "employed",
    "income": "wage",
    "fn_business": "business",
    "fn_property": "property",
    "pension_inc": "pension",
}


def test_cfps_style_files_with_special_codes_and_pinyin_cities(tmp_path):
    f, p = write_cfps(tmp_path)
    recode = {
        "employed": {
            "在业": True,
            "失业": False,
            "退出劳动力市场": False,
            "不适用": False,
        },
        "wage": {"不适用": 0.0},
    }
    pop = read_stata(f, p, CFPS_COLUMNS, recode=recode, year=2017)
    assert pop.urban.tolist() == [True, False, True]  # 0/1 codes need no recode
    assert pop.city.tolist() == ["杭州", "衢州", "温州"]
    assert pop.employed.tolist() == [True, False, False, False, True, True]
    assert pop.wage.tolist() == [98_000.0, 0.0, 0.0, 0.0, 150_000.0, 72_000.0]
    assert pop.weight.tolist() == [3_512.25, 2_877.0, 4_101.5]


def test_cfps_special_code_in_income_without_recode_is_an_error(tmp_path):
    """-8 不适用 is a special code, not an income of −8 yuan."""
    f, p = write_cfps(tmp_path)
    recode = {"employed": {1: True, 0: False, 3: False, -8: False}}
    with pytest.raises(PopulationError) as err:
        read_stata(f, p, CFPS_COLUMNS, recode=recode)
    message = str(err.value)
    assert (
        f"{p}: column 'income' (persons.wage): labelled special code(s) -8 '不适用' "
        "(2 rows, e.g. rows [1, 2])" in message
    )
    assert "recode={'wage': {code: amount}}" in message


# --------------------------------------------------------------- hostile dta
@pytest.mark.parametrize(
    "damage", ["truncated", "truncated_late", "csv", "empty", "missing", "parquet"]
)
def test_stata_hostile_files_name_the_path(tmp_path, damage):
    h, p = write_chip(tmp_path)
    good = p.read_bytes()
    bad = tmp_path / f"{damage}.dta"
    if damage == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    elif damage == "truncated_late":
        bad.write_bytes(good[:-30])
    elif damage == "csv":
        bad.write_text("hhcode,a05\n1,40\n", encoding="utf-8")
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "parquet":
        write_parquet(tiny_population(), bad)
    with pytest.raises(PopulationError) as err:
        read_stata(h, bad, CHIP_COLUMNS, recode=CHIP_RECODE)
    assert str(bad) in str(err.value)
    expected = {
        "truncated": "truncated",
        "truncated_late": "truncated",
        "csv": "probably CSV",
        "empty": "empty",
        "missing": "no such",
        "parquet": "not a Stata .dta file",
    }[damage]
    assert expected in str(err.value)


def test_stata_damaged_body_names_the_path(tmp_path):
    """Intact signature and end marker, garbage inside: pandas' error is wrapped."""
    h, p = write_chip(tmp_path)
    data = bytearray(p.read_bytes())
    start = data.index(b"<map>") + 5
    data[start : start + 40] = b"\xff" * 40
    bad = tmp_path / "scrambled.dta"
    bad.write_bytes(bytes(data))
    with pytest.raises(PopulationError, match=r"scrambled\.dta"):
        read_stata(h, bad, CHIP_COLUMNS, recode=CHIP_RECODE)


def test_every_truncation_is_a_population_error_naming_the_path(tmp_path):
    """Property: a file cut at any point fails cleanly (no pandas or pyarrow
    exception escapes, nothing is silently read)."""
    h, p = write_chip(tmp_path)
    parquet = _written(tmp_path)
    for good, read in (
        (p.read_bytes(), lambda f: read_stata(h, f, CHIP_COLUMNS, recode=CHIP_RECODE)),
        (parquet.read_bytes(), read_parquet),
    ):
        cut_file = tmp_path / "cut.bin"
        for cut in range(0, len(good) - 1, 53):
            cut_file.write_bytes(good[:cut])
            with pytest.raises(PopulationError, match=r"cut\.bin"):
                read(cut_file)
