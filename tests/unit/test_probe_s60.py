"""Session 60: carried defects mended, each test failing on the code before."""

import itertools
import sys

import numpy as np
import pandas as pd
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


def _nested_list(depth, leaf=1):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


@pytest.fixture(scope="module")
def small():
    pop = synthetic_population(300, seed=62)
    return pop, Scenario.status_quo(2024)


def _self_holding():
    values = [0.1]
    values.append(values)
    return values


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("transfers.dibao_monthly", {"a": 1}),
        ("transfers.dibao_monthly", _nested_list(500)),
        ("income_tax.rates", _self_holding()),
        ("income_tax.rates", [0.03, [0.1], 0.2, 0.25, 0.3, 0.35, 0.45]),
        ("income_tax.rates", [[0.03, 0.1], [0.2, 0.3]]),
    ],
)
def test_a_grid_value_of_nested_lists_is_a_scenario_error(small, path, value):
    """Grid values were read before any scenario check: a dict raised a bare
    "unhashable type", lists 500 deep or holding themselves RecursionError,
    a ragged list NumPy's "inhomogeneous shape"."""
    import commonprosperity as cp

    pop, base = small
    with pytest.raises(cp.ScenarioError) as info:
        cp.sweep(pop, base, {path: [value]}, progress=False)
    text = str(info.value)
    assert text.startswith(f"grid: {path}[0] must be a number, or for a list lever")
    assert len(text) < 400


def test_replace_with_a_ragged_list_names_the_item(small):
    """Scenario.replace raised NumPy's bare ValueError for a ragged list, where
    Scenario.from_dict named the item."""
    import commonprosperity as cp

    _, base = small
    rates = [0.03, [0.1, 0.2], 0.2, 0.25, 0.3, 0.35, 0.45]
    with pytest.raises(cp.ScenarioError) as replaced:
        base.replace({"income_tax.rates": rates})
    with pytest.raises(cp.ScenarioError) as given:
        Scenario.from_dict({"year": 2024, "income_tax": {"rates": rates}})
    assert "income_tax.rates[1]: must be a valid number" in str(replaced.value)
    assert str(replaced.value) == str(given.value)
    with pytest.raises(cp.ScenarioError, match=r"transfers\.dibao_monthly: must be"):
        base.replace({"transfers.dibao_monthly": [[1], [1, 2]]})


def test_a_columns_mapping_onto_a_list_is_a_population_error(small, tmp_path):
    """from_frames raised a bare "unhashable type: 'list'" for a column mapped
    onto a list (read_parquet named it); a list 5,000 deep raised repr's
    RecursionError in read_parquet's message."""
    import commonprosperity as cp
    from commonprosperity.survey import read_parquet, write_parquet

    pop, _ = small
    with pytest.raises(cp.PopulationError) as info:
        cp.Population.from_frames(*pop.to_frames(), columns={"weight": ["weight"]})
    assert "columns maps to unknown column(s) {'weight': ['weight']}" in str(info.value)
    path = tmp_path / "pop.parquet"
    write_parquet(pop, path)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default (a worker's may be raised)
    try:
        with pytest.raises(cp.PopulationError) as info:
            read_parquet(path, columns={"weight": _nested_list(5000, "w")})
    finally:
        sys.setrecursionlimit(limit)
    assert "{'weight': a list nested too deep to show}" in str(info.value)


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (lambda n: [[i % 2] for i in range(n - 1)] + [[0, 1]], "[0]"),
        (lambda n: [{"a": i % 2} for i in range(n)], "{'a': 0}"),
    ],
    ids=["lists", "dicts"],
)
def test_calibrate_variables_of_containers_are_a_calibration_error(
    small, values, shown
):
    """A ragged column of lists raised NumPy's bare ValueError, a column of
    dicts a bare "unhashable type"."""
    import commonprosperity as cp

    pop, _ = small
    margins = {"households": {"x": {0: 1e6, 1: 1e6}}}
    with pytest.raises(cp.CalibrationError) as info:
        cp.calibrate(pop, margins, variables={"x": values(pop.n_households)})
    assert str(info.value) == (
        "variables['x'] must hold one category per household (a number, text or "
        f"a tuple of them); got {shown} at row 0"
    )


def test_ragged_tuples_are_categories_and_labels_as_tuples_are(small):
    """A ragged list of tuples raised NumPy's bare ValueError in calibrate and
    bootstrap; tuples are categories (calibrate) and composite labels
    (bootstrap) as an object column of them was, lists are neither."""
    import commonprosperity as cp

    pop, base = small
    n = pop.n_households
    ragged = [(i % 2,) if i > 1 else (0, 1) for i in range(n)]  # two (0, 1)
    held = np.empty(n, dtype=object)
    held[:] = ragged
    # Each category's weight now, a tenth more: reachable, on the weights' scale.
    per_category = (
        pd.Series(pop.weight).groupby(pd.Series(held)).sum().mul(1.1).to_dict()
    )
    fitted = cp.calibrate(
        pop, {"households": {"x": per_category}}, variables={"x": ragged}
    )
    assert fitted.converged
    alike = cp.calibrate(
        pop, {"households": {"x": per_category}}, variables={"x": held}
    )
    np.testing.assert_array_equal(fitted.weight, alike.weight)

    result = simulate(pop, base)
    # The same strata as integers in the tuples' sorted order: the same draws.
    codes = pd.factorize(pd.Series(held), sort=True)[0]
    by_tuple = cp.bootstrap(result, "gini", n=20, seed=5, strata=ragged)
    by_code = cp.bootstrap(result, "gini", n=20, seed=5, strata=codes)
    np.testing.assert_array_equal(by_tuple.replicates, by_code.replicates)
    lists = [[i % 3] if i else [0, 1] for i in range(n)]
    with pytest.raises(cp.ArgumentError, match="strata must hold values of one"):
        cp.bootstrap(result, "gini", n=10, strata=lists)


def test_messages_listing_thousands_of_problems_are_counted(small):
    """Messages listing every problem ran to megabytes (10,000 unknown growth
    keys: 2.4 MB); they list ten and count the rest, as Scenario.replace's."""
    import commonprosperity as cp

    pop, base = small
    pop = pop.with_year(2024)
    calls = {
        "project": lambda: cp.project(
            pop, 2025, growth={f"k{i}": 0.1 for i in range(10_000)}
        ),
        "simulate_path": lambda: cp.simulate_path(
            pop, {y: base for y in range(10_000)}
        ),
        "calibrate": lambda: cp.calibrate(
            pop, {"households": {f"v{i}": {1: 1.0} for i in range(10_000)}}
        ),
        "from_frames": lambda: cp.Population.from_frames(
            *pop.to_frames(), columns={f"c{i}": None for i in range(10_000)}
        ),
        "sweep": lambda: cp.sweep(
            pop, base, {"transfers.dibao_monthly": {i: i for i in range(10_000)}}
        ),
        "solve": lambda: cp.solve(
            pop,
            base,
            "transfers.dibao_monthly",
            "gini <= 0.5 " + "x" * 10**5,
            (1000, 2000),
        ),
    }
    for name, call in calls.items():
        with pytest.raises(cp.CommonProsperityError) as info:
            call()
        assert len(str(info.value)) < 3_000, name


def test_a_long_word_is_wrapped_in_linear_time():
    """Each line of a long word measured the whole rest of the word: time grew
    with the square of its length (50 s for a 16,000-character title). The
    lines are the same greedy ones: each the longest prefix that fits."""
    from commonprosperity._plotstyle import _wrapped

    class Text:
        measured = 0

        def set_text(self, s):
            self.s = s

        def get_window_extent(self):
            Text.measured += len(self.s)

            class Extent:
                width = sum(3 + ord(c) % 7 for c in self.s)

            return Extent()

    def width(s):
        return sum(3 + ord(c) % 7 for c in s)

    word = "".join("abcWi你好x"[i * 7 % 8] for i in range(16_000))
    lines = _wrapped(Text(), word, 300).split("\n")
    assert "".join(lines) == word
    for line, after in itertools.pairwise(lines):
        assert width(line) <= 300 < width(line + after[0])
    assert width(lines[-1]) <= 300
    assert Text.measured < 30 * len(word)


def _cli(capsys, *args):
    from commonprosperity.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_warning_made_an_error_is_one_line_and_exit_2(capsys, tmp_path):
    """Under `python -W error` the library's own warning of a small baseline
    escaped as a traceback with exit 1, which reads "target unreachable"."""
    import warnings

    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = _cli(capsys, "run", "--households", 3000, "--out", out)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("commonprosperity run: error: a warning made an error")
    assert not out.exists()


def test_an_unexpected_error_is_exit_70_with_its_traceback(
    capsys, tmp_path, monkeypatch
):
    """An error the library did not foresee (here a broken simulate) was
    re-raised: exit 1, "target unreachable" to a script."""
    import sys

    def broken(*args, **kwargs):
        raise RuntimeError("Intel TBB is required")

    # The module (the package re-exports a function of the same name).
    monkeypatch.setattr(sys.modules["commonprosperity.simulate"], "simulate", broken)
    code, _, err = _cli(capsys, "run", "--households", 2000, "--out", tmp_path / "o")
    assert code == 70
    assert "Traceback" in err
    assert err.rstrip().endswith(
        "commonprosperity run: unexpected error (exit 70): RuntimeError: Intel TBB "
        "is required"
    )


def test_figures_ignore_a_users_usetex(tmp_path):
    """A matplotlibrc with text.usetex (common in academia) sent the figures'
    titles to LaTeX: without LaTeX, no figure (a bare RuntimeError)."""
    import matplotlib as mpl

    import commonprosperity as cp

    result = simulate(synthetic_population(500, seed=63), Scenario.status_quo(2024))
    with mpl.rc_context({"text.usetex": True}):
        fig = cp.plots.target_dashboard(result)
        written = cp.plots.save(fig, tmp_path / "dash", ("png",))
    assert [p.suffix for p in written] == [".png"]
    assert all(not t.get_usetex() for t in fig.findobj(mpl.text.Text))


def test_a_name_in_another_encoding_is_shown_as_its_bytes(capsys, tmp_path):
    """The name was shown as "'\\\\udcb7\\\\udcbd...'" (surrogates escaped twice),
    matching no file a user can see: it is shown as the bytes given."""
    import os

    name = os.fsdecode(b"\xb7\xbd\xb0\xb8.toml")
    code, _, err = _cli(capsys, "run", tmp_path / name, "--households", 2000)
    assert code == 2
    assert repr(os.fsencode(str(tmp_path / name))) in err
    assert "udc" not in err


def test_review_of_the_sessions_fixes(small):
    """The review of this session's change: a year that is no integer got the
    census hint (an array a bare ValueError); an object with only __array__
    was "one value" as strata; problems of another kind were counted away
    behind ten of one kind; a long name in a target was quoted whole."""
    import commonprosperity as cp
    from commonprosperity import statistics
    from commonprosperity.solve import _parse_target

    for year in (np.array([2024, 2025]), 2024.0):
        with pytest.raises(cp.ArgumentError) as info:
            statistics.city_urban_shares(year, "survey")
        assert "year must be an integer" in str(info.value)
        assert "serves" not in str(info.value)

    pop, base = small
    result = simulate(pop, base)

    class Column:
        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.values, dtype=dtype)

    strata = np.arange(pop.n_households) % 3
    by_array = cp.bootstrap(result, "gini", n=20, seed=1, strata=Column(strata))
    plain = cp.bootstrap(result, "gini", n=20, seed=1, strata=strata)
    np.testing.assert_array_equal(by_array.replicates, plain.replicates)

    frame = pd.DataFrame({"T2_met": [True]})
    with pytest.raises(cp.ArgumentError) as info:
        cp.cheapest(frame, [f"bogus{i} <= 1" for i in range(12)] + ["T4"])
    assert str(info.value).startswith("frame lacks column(s) ['T4_met'")
    shapes = {f"v{i}": np.zeros(3) for i in range(11)}
    with pytest.raises(cp.CalibrationError) as info:
        cp.calibrate(
            pop,
            {"households": {"v0": {0: 1.0}}},
            variables={**shapes, "urban": np.zeros(pop.n_households)},
        )
    assert str(info.value).startswith("variables ['urban'] have the name")

    for target in ("x" * 100_000 + " <= 0.4", "gini <= " + "9" * 100_000):
        with pytest.raises(cp.ArgumentError) as info:
            _parse_target(target)
        assert len(str(info.value)) < 1_000


def test_recode_and_statistics_keys_are_quoted_short():
    """A recode key or a statistics key of 1 MB was quoted whole, and a
    recode table of 10,000 keys listed in full."""
    import commonprosperity as cp
    from commonprosperity import statistics
    from commonprosperity._stata import check_recode

    with pytest.raises(cp.PopulationError) as info:
        check_recode({"c" * 10**6: {1: 2}})
    assert len(str(info.value)) < 1_000
    with pytest.raises(cp.ArgumentError) as info:
        statistics.value_or_nan("disposable_income", 2021, **{"k" * 10**6: 1})
    assert len(str(info.value)) < 1_000
    from commonprosperity._validate import quoted_items

    # The helper the recode message lists a table's keys with (twenty of them).
    assert quoted_items(list(range(10_000)), 20).endswith(", 19, … 10,000 in all]")


def test_statistics_scalar_options_are_checked_at_the_boundary():
    """A 0-d array for an area raised a bare "unhashable type"; pension_target
    of 2021.0 named 2020.0, a year not given (covered_share took 2021.0 where
    its siblings refuse it); a year of 401 digits was printed whole; cheapest
    read b"T2" as the byte 84."""
    import commonprosperity as cp
    from commonprosperity import statistics

    with pytest.raises(cp.ArgumentError, match="unknown area array"):
        statistics.disposable_income(2021, np.array("urban"))
    with pytest.raises(cp.ArgumentError, match="unknown area array"):
        statistics.value_or_nan("disposable_income", 2021, area=np.array("urban"))
    for share in (
        lambda y: statistics.pension_target(y, "urban"),
        statistics.covered_share,
    ):
        with pytest.raises(cp.ArgumentError, match=r"got 2021\.0$"):
            share(2021.0)
        assert share(np.int64(2021)) == share(2021)
    with pytest.raises(cp.CommonProsperityError) as info:
        statistics.population(10**400)
    assert "year=an integer of 401 digits" in str(info.value)
    with pytest.raises(cp.ArgumentError, match=r"got bytes b'T2'$"):
        cp.cheapest(pd.DataFrame({"T2_met": [True]}), targets=b"T2")
