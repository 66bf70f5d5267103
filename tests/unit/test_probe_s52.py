"""Defects found in session 52, each checked against its fix."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonprosperity import Population, PopulationError
from tests.conftest import tiny_frames


@pytest.mark.parametrize(
    ("column", "full_width"),
    [("city", "ｃｉｔｙ"), ("stratum", "ｓｔｒａｔｕｍ"), ("weight", "ｗｅｉｇｈｔ")],
)
def test_a_column_name_in_full_width_letters_is_named_not_left_unread(
    column, full_width
):
    """ｃｉｔｙ (as Chinese input methods type it) was not read: every household
    fell to the province without a word. NFKC reads it as ``city``."""
    households, persons = tiny_frames()
    if column == "stratum":
        households = households.assign(stratum=[1, 1, 2])
    renamed = households.rename(columns={column: full_width})
    with pytest.raises(PopulationError, match=rf"\['{full_width}'\].*\['{column}'\]"):
        Population.from_frames(renamed, persons)


def test_a_full_width_city_in_a_parquet_file_is_named(tmp_path):
    households, persons = tiny_frames()
    flat = persons.merge(households, on="household_id").rename(
        columns={"city": "ｃｉｔｙ"}
    )
    path = tmp_path / "flat.parquet"
    flat.to_parquet(path, index=False)
    with pytest.raises(PopulationError, match=r"flat\.parquet.*'ｃｉｔｙ'.*\['city'\]"):
        Population.read_parquet(path)


def test_multiindex_columns_and_an_id_in_the_index_are_said_to_be_so():
    """Both read "missing column(s) ['household_id', ...]" although the names were
    in sight (in the levels, in the index)."""
    households, persons = tiny_frames()
    levels = households.copy()
    levels.columns = pd.MultiIndex.from_tuples([(c, "") for c in households.columns])
    with pytest.raises(PopulationError, match=r"households has MultiIndex columns"):
        Population.from_frames(levels, persons)
    with pytest.raises(PopulationError, match=r"\['household_id'\] as its index"):
        Population.from_frames(households.set_index("household_id"), persons)
    # A named index beside the column itself is another variable, not refused.
    pop = Population.from_frames(
        households.set_index(households["household_id"].rename("household_id")),
        persons,
    )
    assert pop.n_households == 3


def test_float16_amounts_are_refused_when_storage_rounded_them(tmp_path):
    """Wages stored as float16 (40,215 read 40,224) passed without a word, while
    ids stored so were refused. Whole amounts below 2,048 are exact and pass."""
    households, persons = tiny_frames()
    with np.errstate(over="ignore"):
        wage16 = persons["wage"].astype(np.float16)
    assert np.isinf(wage16[0])  # 100,000 is beyond float16's 65,504
    with pytest.raises(PopulationError, match=r"persons\.wage is stored as float16"):
        Population.from_frames(households, persons.assign(wage=wage16))
    rounded = persons.assign(wage=[40_215.0, 0.0, 0.0, 1_000.0, 0.0, 0.0])
    with pytest.raises(PopulationError, match=r"float16.*rows \[0\].*40224"):
        Population.from_frames(households, rounded.astype({"wage": np.float16}))
    with pytest.raises(
        PopulationError, match=r"households\.weight is stored as float16"
    ):
        Population.from_frames(
            households.assign(weight=[3_001.0, 1.0, 1.0]).astype(
                {"weight": np.float16}
            ),
            persons,
        )
    small = persons.assign(pension=[0.0, 0.0, 1_500.0, 0.0, 0.0, 0.0])
    pop = Population.from_frames(households, small.astype({"pension": np.float16}))
    assert pop.pension.max() == 1_500.0
    flat = persons.merge(households, on="household_id")
    table = pa.Table.from_pandas(flat, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("business"),
        "business",
        pa.array(flat["business"].to_numpy().astype(np.float16)),
    )
    pq.write_table(table, tmp_path / "half.parquet")
    with pytest.raises(PopulationError, match=r"half\.parquet.*business.*float16"):
        Population.read_parquet(tmp_path / "half.parquet")
