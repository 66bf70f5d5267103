"""Defects found in session 45, each with the test that failed before its fix."""

from __future__ import annotations

import contextlib
import importlib

import numpy as np
import pandas as pd
import pytest

# Public module-level tables: a user's write to one changed every later run
# (the growth after 2024 of every projection, the band edges of every band share,
# the renamed keys every scenario file is read with).
PUBLIC_TABLES = [
    ("commonprosperity.projection", "DEFAULT_GROWTH_AFTER_2024", "urban"),
    ("commonprosperity.report", "INDICATOR_UNITS", "gini"),
    ("commonprosperity.report", "INDICATOR_UNIT_TEXT", "gini"),
    ("commonprosperity.targets", "TARGET_BY_ID", "T1"),
    ("commonprosperity.published", "CITY_NAMES_EN", "杭州"),
    ("commonprosperity.scenario", "RENAMED", "transfers.dibao"),
    ("commonprosperity.scenario", "RENAMED_NOTES", "transfers.dibao"),
    ("commonprosperity.scenario", "SECTIONS", "transfers"),
    ("commonprosperity.statistics", "CITY_ANCHORS", 2021),
    ("commonprosperity.survey", "ADMINISTRATIVE_CITY_CODES", 330100),
]


@pytest.mark.parametrize(("module", "name", "key"), PUBLIC_TABLES)
def test_public_tables_cannot_be_changed_in_place(module, name, key):
    table = getattr(importlib.import_module(module), name)
    before = dict(table)
    with pytest.raises(TypeError):
        table[key] = before[key]
    with pytest.raises(TypeError):
        table["new key"] = 1
    assert dict(table) == before


def test_band_edges_cannot_be_changed_in_place():
    from commonprosperity.simulate import BAND_EDGES

    with pytest.raises(ValueError, match="read-only"):
        BAND_EDGES[0] = 0.0
    np.testing.assert_array_equal(
        BAND_EDGES, [100_000.0, 500_000.0, 200_000.0, 600_000.0]
    )


def test_solve_calls_a_goal_met_nowhere_unreachable_though_the_indicator_dips():
    """The band share of these two households falls and rises again with wage
    growth (0.5, 0, 0.5) and never reaches 0.9: an ArgumentError "not monotone"
    was raised, which a caller catching TargetUnreachableError missed. The
    message still says the indicator is not monotone."""
    from commonprosperity import Scenario, TargetUnreachableError
    from commonprosperity.solve import solve
    from tests.unit.test_solve import two_household_population

    with pytest.raises(TargetUnreachableError) as caught:
        solve(
            two_household_population(),
            Scenario.status_quo(2021),
            "wages.growth_rate",
            "band_share_100k_500k >= 0.9",
            bounds=(-0.5, 1.0),
        )
    message = str(caught.value)
    assert "is not met for wages.growth_rate in [-0.5, 1]" in message
    assert "not monotone in wages.growth_rate" in message


@pytest.mark.parametrize(
    ("definition", "caveat"), [("survey", True), ("census", False)]
)
def test_dashboard_says_when_t6_reads_the_survey_urban_share(definition, caveat):
    """The default baseline's urban share is the survey's, several points below
    the official urbanisation rate the 75 % target refers to. Result.targets()
    said so in T6's note; the dashboard showed a bare "NOT MET"."""
    import commonprosperity as cp
    from commonprosperity import plots

    pop = cp.baseline(2024, 3_000, seed=1, urban_definition=definition)
    result = cp.simulate(pop, cp.Scenario.status_quo(2024))
    fig = plots.target_dashboard(result)
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    (t6,) = [t for t in texts if t.startswith("T6")]
    assert ("survey urban share, not the official rate" in t6) is caveat


HUGE = 10**5000  # beyond Python's 4,300-digit limit for turning an int into text


@pytest.mark.parametrize(
    "call",
    [
        lambda cp, pop: cp.simulate(pop, cp.Scenario.status_quo(2021), threads=HUGE),
        lambda cp, pop: cp.baseline(HUGE, 100),
        lambda cp, pop: cp.baseline(2021, HUGE),
        lambda cp, pop: cp.bootstrap(
            cp.simulate(pop, cp.Scenario.status_quo(2021)), "gini", n=HUGE
        ),
    ],
    ids=["simulate threads", "baseline year", "baseline households", "bootstrap n"],
)
def test_an_integer_too_long_for_text_gets_the_librarys_error(call):
    """Messages showed the bad value with repr(), which raises ValueError for an
    integer of more than 4,300 digits: the caller got Python's "Exceeds the
    limit for integer string conversion" instead of the error naming the
    argument."""
    import commonprosperity as cp
    from commonprosperity.errors import CommonProsperityError

    pop = cp.synthetic_population(200, seed=1)
    with pytest.raises(CommonProsperityError, match="an integer of about 5,001"):
        call(cp, pop)


def test_a_long_option_is_shortened_in_the_message():
    import commonprosperity as cp
    from commonprosperity.errors import ArgumentError

    pop = cp.synthetic_population(200, seed=1)
    with pytest.raises(ArgumentError) as caught:
        cp.simulate(pop, cp.Scenario.status_quo(2021), gini="x" * 100_000)
    assert len(str(caught.value)) < 300
    assert "100,000 characters" in str(caught.value)


def test_shift_shares_reaches_a_target_beyond_ten_logit_steps():
    """The step was searched in (-10, 10): shares of 1e-6 shifted to a mean of
    0.9 came back at 0.0216 without a word. Here the weighted mean is the
    target, as the docstring says."""
    from commonprosperity.statistics import shift_shares

    out = shift_shares(np.array([1e-6, 2e-6]), np.array([1.0, 3.0]), 0.9)
    assert np.dot(out, [0.25, 0.75]) == pytest.approx(0.9, rel=1e-12)
    # The common step is one logit shift: the logits keep their distance.
    logit = np.log(out / (1 - out))
    assert logit[1] - logit[0] == pytest.approx(
        np.log(2e-6 / (1 - 2e-6) / 1e-6 * (1 - 1e-6))
    )


@pytest.mark.parametrize(
    ("shares", "weight", "target", "fragment"),
    [
        ([0.5, 1.0], [1.0, 1.0], 0.7, r"strictly between 0 and 1; shares\[1\] = 1\.0"),
        ([0.5, np.nan], [1.0, 1.0], 0.7, r"shares\[1\] = nan"),
        ([0.5, 0.6], [1.0, -1.0], 0.7, r"weight\[1\] = -1\.0"),
        ([0.5, 0.6], [0.0, 0.0], 0.7, "all are 0"),
        ([0.5, 0.6], [1.0], 0.7, "weight has 1 values, shares 2"),
        ([0.5, 0.6], [1.0, 1.0], 1.0, "target must be a number strictly between"),
        ([0.5, 0.6], [1.0, 1.0], "0.7", "target must be a number"),
        ([], [], 0.7, "non-empty 1-D array"),
        ("ab", [1.0], 0.7, "shares must be"),
        ([True, False], [1.0, 1.0], 0.7, "array of numbers"),
    ],
)
def test_shift_shares_refuses_bad_arguments_by_name(shares, weight, target, fragment):
    """It checked none: a share of 1 gave NaN shares, a target of 1 shares of 1,
    weights of another length a bare NumPy error."""
    from commonprosperity.errors import ArgumentError
    from commonprosperity.statistics import shift_shares

    with pytest.raises(ArgumentError, match=fragment):
        shift_shares(shares, weight, target)


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_a_yearly_minimum_wage_in_its_monthly_field_warns(tier):
    """The unit-slip check read only names ending in _monthly; the minimum wages
    (minimum_wage_monthly_tier1 ...) are monthly too (lever_unit says so), and
    2,490 × 12 a month ran without a word, per-capita income up from 39,390 to
    70,385 yuan."""
    import warnings

    import commonprosperity as cp
    from commonprosperity._unit_slips import unit_slips

    base = cp.Scenario.status_quo(2025)
    path = f"wages.minimum_wage_monthly_tier{tier}"
    monthly = getattr(base.wages, f"minimum_wage_monthly_tier{tier}")
    slipped = base.replace({path: 12 * monthly})
    assert [p for p, _ in unit_slips(slipped)] == [path]
    pop = cp.synthetic_population(300, seed=2)
    with pytest.warns(UserWarning, match=rf"{path} = .*is it a yearly amount"):
        cp.simulate(pop, slipped)
    # A real raise (a fifth) does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp.simulate(pop, base.replace({path: 1.2 * monthly}))


def test_value_or_nan_is_nan_only_for_a_figure_the_file_lacks():
    """It turned every error of figure() into NaN: a misspelt series, area or
    city read as "no data"; a misspelt key raised a bare TypeError. English city
    names (calibrate's convention) matched nothing."""
    from commonprosperity import statistics as S
    from commonprosperity.errors import ArgumentError

    # 宁波 2022: 68,348 yuan (docs/baseline.md, the city's statistical bulletin)
    assert S.value_or_nan("disposable_income", 2022, city="Ningbo") == 68_348.0
    assert S.figure("disposable_income", 2022, city="NINGBO").city == "宁波"
    assert np.isnan(S.value_or_nan("disposable_income", 2030))  # not in the file
    for series, keys, fragment in [
        ("disposable_incme", {}, "did you mean 'disposable_income'"),
        ("disposable_income", {"area": "urbn"}, "unknown area 'urbn'"),
        ("disposable_income", {"city": "Paris"}, "unknown city 'Paris'"),
        ("disposable_income", {"aera": "all"}, r"unknown key\(s\) \['aera'\]"),
    ]:
        with pytest.raises(ArgumentError, match=fragment):
            S.value_or_nan(series, 2022, **keys)


def test_an_undefined_trend_target_says_why_it_is_not_judged():
    """trends={"T8": nan} (allowed: NaN when undefined) gave T8 met=NA with an
    empty note; every other NA row says why."""
    from commonprosperity import evaluate_targets

    t = evaluate_targets(
        {"per_capita_disposable_income": 70_000.0}, trends={"T8": float("nan")}
    )
    assert pd.isna(t.loc["T8", "met"])
    assert t.loc["T8", "note"] == "trend undefined (NaN) over the path given"


def test_cli_solve_restates_the_goal_as_given(capsys):
    """The answer line printed the goal with :g, six significant digits:
    ">= 67196.14544" came back as ">= 67196.1", a target never asked for."""
    from commonprosperity import cli

    goal = "per_capita_disposable_income >= 45123.45678"
    code = cli.main(
        [
            "solve",
            "--households",
            "1000",
            "--seed",
            "3",
            "--year",
            "2024",
            "--lever",
            "income_tax.basic_deduction",
            "--target",
            goal,
            "--bounds",
            "60000.25",
            "1234567.5",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"in [60000.25, 1234567.5] with {goal}" in out


def test_from_arrays_refuses_series_paired_by_position_against_their_labels():
    """Series with the same labels in another order were paired by position:
    household 1 got household 2's weight (pandas aligns them by label)."""
    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    persons = {
        "household_id": [1, 2],
        "age": [40, 40],
        "employed": [True, True],
        "wage": [50_000.0, 90_000.0],
        "business": [0.0, 0.0],
        "property": [0.0, 0.0],
        "pension": [0.0, 0.0],
    }
    households = {
        "household_id": pd.Series([1, 2], index=["a", "b"]),
        "weight": pd.Series([5.0, 1.0], index=["b", "a"]),
        "urban": [True, False],
    }
    with pytest.raises(PopulationError, match=r"\['weight'\] have another index"):
        Population.from_arrays(households, persons)
    # One index (or arrays) is fine: position is then the only pairing.
    households["weight"] = pd.Series([5.0, 1.0], index=["a", "b"])
    pop = Population.from_arrays(households, persons)
    np.testing.assert_array_equal(pop.weight, [5.0, 1.0])


def _band_edge_population(weights, wage=0.0):
    """Households of 150,000 and 50,000 yuan of pension (T2's band has the first),
    and one with ``wage``; weights as given, 2024."""
    from commonprosperity import Population

    n = len(weights)
    ids = list(range(1, n + 1))
    return Population.from_arrays(
        {"household_id": ids, "weight": list(weights), "urban": [True] * n},
        {
            "household_id": ids,
            "age": [40] * n,
            "employed": [i == 0 and wage > 0 for i in range(n)],
            "wage": [wage] + [0.0] * (n - 1),
            "business": [0.0] * n,
            "property": [0.0] * n,
            "pension": ([0.0] if n == 3 else []) + [150_000.0, 50_000.0],
        },
        year=2024,
    )


def test_income_distribution_does_not_show_a_missed_band_target_as_met():
    """The band labels printed one decimal: a T2 share of 79.996 % read
    "80.0 % of households (target ≥ 80 %)"."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    import commonprosperity as cp
    from commonprosperity import plots

    r = cp.simulate(
        _band_edge_population([0.79996, 0.20004]), cp.Scenario.status_quo(2024)
    )
    assert r.indicators["band_share_100k_500k"] == pytest.approx(0.79996)
    fig = plots.income_distribution(r)
    try:
        (label,) = [
            t.get_text() for t in fig.findobj(Text) if "100k–500k:" in t.get_text()
        ]
    finally:
        plt.close(fig)
    assert "79.996 % of households (target ≥ 80.000 %)" in label


def test_target_table_shows_a_missed_status_quo_apart_from_the_goal():
    """The status-quo column kept the usual decimals: a status quo of 79.996 %
    showed as "80.0 %" beside ">= 80.0 %", read as met."""
    import commonprosperity as cp
    from commonprosperity import report

    pop = _band_edge_population([0.01, 0.79996, 0.19004], wage=129_500.0)
    sq = cp.Scenario.status_quo(2024)
    before = cp.simulate(pop, sq)
    after = cp.simulate(pop, sq.replace({"income_tax.basic_deduction": 120_000}))
    assert before.indicators["band_share_100k_500k"] == pytest.approx(0.79996)
    assert not before.targets().loc["T2", "met"]
    text = report.summary_text(after, heading="h", baseline=before)
    (t2,) = [line for line in text.splitlines() if line.startswith("T2")]
    assert "79.996 %" in t2 and ">= 80.000 %" in t2


def test_bootstrap_gini_replicates_do_not_depend_on_the_household_order():
    """Tied per-capita incomes kept their row order in the sort, so shuffled
    household rows summed their weights in another order: replicates moved by
    5.6e-17 though the docstring promises the same replicates in any order."""
    import warnings

    import commonprosperity as cp
    from commonprosperity.uncertainty import bootstrap

    pop = cp.synthetic_population(2000, seed=9)
    hh, pp = pop.to_frames()
    perm = np.random.default_rng(0).permutation(len(hh))
    shuffled = cp.Population.from_frames(hh.iloc[perm].reset_index(drop=True), pp)
    sq = cp.Scenario.status_quo(2021)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = bootstrap(cp.simulate(pop, sq), "gini", n=30, seed=5)
        b = bootstrap(cp.simulate(shuffled, sq), "gini", n=30, seed=5)
    np.testing.assert_array_equal(a.replicates, b.replicates)


def _person_rows(household_id):
    n = len(household_id)
    return pd.DataFrame(
        {
            "household_id": household_id,
            "weight": [50.0, 50.0, 80.0, 10.0, 10.0, 10.0][:n],
            "urban": [True] * n,
            "city": ["杭州"] * n,
            "age": [40] * n,
            "employed": [True] * n,
            "wage": [1.0] * n,
            "business": [0.0] * n,
            "property": [0.0] * n,
            "pension": [0.0] * n,
        }
    )


def test_read_parquet_blames_float32_ids_not_the_weights(tmp_path):
    """Ids stored as float32 above 2**24 rounded to one value grouped two
    households into one, and the disagreeing weights were blamed ("weight must
    be the same on every person row"), not the id's storage."""
    from commonprosperity.errors import PopulationError
    from commonprosperity.survey import read_parquet

    ids = np.array([2**24 + 1] * 2 + [2**24 + 3] + [2**24 + 5] * 3, dtype=np.float32)
    path = tmp_path / "f32.parquet"
    _person_rows(ids).to_parquet(path, index=False)
    with pytest.raises(PopulationError, match="stored as float32") as caught:
        read_parquet(path)
    assert "weight" not in str(caught.value)


def test_a_file_in_the_path_is_named_as_such(tmp_path):
    """ "good.parquet/x" read "no such Parquet file" and "directory good.parquet
    does not exist", though good.parquet exists, as a file."""
    import commonprosperity as cp
    from commonprosperity.errors import PopulationError
    from commonprosperity.survey import read_parquet, write_parquet

    pop = cp.synthetic_population(20, seed=1)
    good = tmp_path / "good.parquet"
    write_parquet(pop, good)
    with pytest.raises(PopulationError, match=r"good\.parquet is a file, not a dir"):
        read_parquet(good / "x.parquet")
    with pytest.raises(PopulationError, match=r"good\.parquet is a file, not a dir"):
        write_parquet(pop, good / "x.parquet")
    with pytest.raises(PopulationError, match=r"no such Parquet file$"):
        read_parquet(tmp_path / "nowhere" / "x.parquet")


def test_text_not_utf8_in_a_format_118_file_warns_once(tmp_path):
    """Each of pandas' passes over the file (names, codes, labels) wrapped the
    latin-1 fallback warning: the same warning came two or three times."""
    import warnings

    from commonprosperity.survey import read_stata

    hh = pd.DataFrame(
        {
            "household_id": [11, 12],
            "weight": [120.0, 80.0],
            "urban": [1, 0],
            "city": ["HZSHI1", "LSSHI1"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [11, 12],
            "age": [41, 67],
            "employed": [1, 0],
            "wage": [96000.0, 0.0],
            "business": [0.0, -3000.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    hh.to_stata(h, write_index=False, version=118)
    pp.to_stata(p, write_index=False, version=118)
    data = h.read_bytes()
    for placeholder, city in ((b"HZSHI1", "杭州市"), (b"LSSHI1", "丽水市")):
        data = data.replace(placeholder, city.encode("gbk"))
    h.write_bytes(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Whether the file then reads is not the point: the warnings are.
        with contextlib.suppress(Exception):
            read_stata(h, p)
    latin1 = [w for w in caught if "read as latin-1" in str(w.message)]
    assert len(latin1) == 1, [str(w.message) for w in caught]


def test_a_labelled_code_in_the_id_column_gets_advice_for_ids(tmp_path):
    """A value label on a household id was met with the advice for amounts,
    "map them with recode=... (e.g. 0 for 'not applicable')": a false id."""
    from commonprosperity.errors import PopulationError
    from commonprosperity.survey import read_stata

    hh = pd.DataFrame({"household_id": [11, 12], "weight": [1.0, 2.0], "urban": [1, 0]})
    pp = pd.DataFrame(
        {
            "household_id": [11, 12],
            "age": [41, 67],
            "employed": [1, 0],
            "wage": [96000.0, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    hh.to_stata(
        h, write_index=False, version=118, value_labels={"household_id": {11: "a"}}
    )
    pp.to_stata(p, write_index=False, version=118)
    with pytest.raises(
        PopulationError, match="must identify each record's household"
    ) as caught:
        read_stata(h, p)
    assert "not applicable" not in str(caught.value)


def test_household_warns_of_a_unit_slip_as_simulate_does():
    """The household calculator ran a dibao line of 13,536 a month (the year's
    amount) without the warning simulate gives."""
    import warnings

    import commonprosperity as cp

    sq = cp.Scenario.status_quo(2024)
    slipped = sq.replace({"transfers.dibao_monthly": 12 * sq.transfers.dibao_monthly})
    with pytest.warns(UserWarning, match=r"household: transfers\.dibao_monthly"):
        cp.household(members=[{"age": 70}], scenario=slipped)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp.household(members=[{"age": 70}], scenario=sq)
