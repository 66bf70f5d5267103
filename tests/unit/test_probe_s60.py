"""Session 60: carried defects mended, each test failing on the code before."""

import pytest

from commonprosperity import Scenario, report, simulate, synthetic_population


@pytest.fixture(scope="module")
def pair():
    pop = synthetic_population(3_000, seed=60)
    base = simulate(pop, Scenario.status_quo(2023))
    reform = simulate(
        pop, Scenario.status_quo(2023).replace({"transfers.dibao_monthly": 1500.0})
    )
    return base, reform


def test_write_run_ranks_the_winners_once(pair, tmp_path, monkeypatch):
    """write_run wrote winners_losers.csv and the report's winners section from
    two calls of winners_losers (a sort of every person's income each): one
    call now serves both, and the report is the one markdown_report gives."""
    base, reform = pair
    calls = []
    kind = type(base)
    original = kind.winners_losers

    def counted(self, other, *args, **kwargs):
        calls.append(1)
        return original(self, other, *args, **kwargs)

    monkeypatch.setattr(kind, "winners_losers", counted)
    report.write_run(
        reform, tmp_path / "run", heading="dibao 1,500", baseline=base, formats=()
    )
    assert len(calls) == 1
    text = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    expected = report.markdown_report(reform, heading="dibao 1,500", baseline=base)
    # The same sections: only the figure list (none here) could differ.
    assert text == expected
    assert "## Who gains and who loses" in text
    assert len(calls) == 2  # markdown_report on its own ranks them itself


def test_city_urban_shares_lists_the_years_it_serves():
    """A year the file lacks listed the years of the all-resident income,
    2025 among them, whose survey incomes are floors that the survey definition
    refuses: the message now lists the years each definition serves, from the
    file's own figures."""
    import re

    from commonprosperity import statistics

    def serves(definition):
        ok = []
        for year in range(2000, 2031):
            try:
                statistics.city_urban_shares(year, definition)
            except Exception:
                continue
            ok.append(year)
        return ok

    survey, census = serves("survey"), serves("census")
    assert 2025 not in survey and 2025 in census
    with pytest.raises(Exception) as info:
        statistics.city_urban_shares(1999)
    text = str(info.value)
    found = re.findall(r"definition='(\w+)' for the years (\d{4})–(\d{4})", text)
    listed = {d: (int(a), int(b)) for d, a, b in found}
    assert listed["survey"] == (survey[0], survey[-1])
    assert listed["census"] == (census[0], census[-1])
    assert survey == list(range(survey[0], survey[-1] + 1))
    # A year of floors points to the definition that serves it.
    with pytest.raises(Exception) as info:
        statistics.city_urban_shares(2025, "survey")
    assert "definition='census' serves 2025" in str(info.value)


def test_a_bootstrapped_band_share_names_its_basis():
    """A band share's interval did not say which basis it was banded on (the
    two bases differ by 10-20 points): the result now carries the basis and
    shows it; other indicators carry none."""
    import pickle

    from commonprosperity import bootstrap

    pop = synthetic_population(2_000, seed=61)
    scenario = Scenario.status_quo(2023)
    for basis in ("household", "three_person"):
        result = simulate(pop, scenario, band_basis=basis)
        share = bootstrap(result, "band_share_200k_600k", n=40, seed=3)
        assert share.band_basis == basis
        assert repr(share).endswith(f", band basis {basis})")
        assert pickle.loads(pickle.dumps(share)).band_basis == basis
    gini = bootstrap(result, "gini", n=40, seed=3)
    assert gini.band_basis is None and "band basis" not in repr(gini)


@pytest.mark.parametrize("depth", [600, 990, 5000])
def test_metadata_nested_deep_but_parsed_is_our_error(tmp_path, depth):
    """Metadata that json parses (nested less deep than the recursion limit)
    but that is some hundreds of lists deep: quoting it in the message raised
    repr's bare RecursionError instead of the file's PopulationError."""
    import sys

    import pyarrow as pa
    import pyarrow.parquet as pq

    import commonprosperity as cp
    from commonprosperity.survey import read_parquet

    path = tmp_path / "deep.parquet"
    blob = b'{"format_version":1,"source":' + b"[" * depth + b"]" * depth + b"}"
    rows = pa.table({"household_id": [1], "age": [40], "wage": [1.0]})
    pq.write_table(rows.replace_schema_metadata({b"commonprosperity": blob}), path)
    before = sys.getrecursionlimit()
    # Room for json to parse it (pytest's own frames come first); the limit of
    # a script that raised it, or Python's 1,000 for the first two depths.
    sys.setrecursionlimit(depth + 400)
    try:
        with pytest.raises(cp.PopulationError) as info:
            read_parquet(path)
    finally:
        sys.setrecursionlimit(before)
    text = str(info.value)
    assert text.startswith(f"{path}: metadata 'commonprosperity': source must be")
    assert len(text) < 400


def test_a_pyarrow_null_is_missing_in_the_measures():
    """A pyarrow array's null was reported as "nan" ("must be finite"), where
    the same column in pandas was "missing (NA)": both say missing now, with
    the count and the first position, chunked arrays included."""
    pa = pytest.importorskip("pyarrow")
    import numpy as np

    import commonprosperity as cp

    income = pa.chunked_array([[1.0, 2.0], [None, 4.0, None]])
    with pytest.raises(cp.MeasureError) as info:
        cp.metrics.gini(income)
    assert str(info.value) == (
        "income must not have missing (NA) elements; got 2 missing, the first at "
        "index [2]"
    )
    with pytest.raises(cp.MeasureError, match=r"^weight must not have missing"):
        cp.metrics.gini(np.array([1.0, 2.0, 3.0]), pa.array([1.0, None, 2.0]))
    # Without nulls, the same numbers as NumPy's.
    assert cp.metrics.gini(pa.array([1.0, 2.0, 6.0])) == cp.metrics.gini(
        np.array([1.0, 2.0, 6.0])
    )
