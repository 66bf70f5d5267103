"""Defects found in session 46, each with the test that failed before its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity.baseline import baseline
from commonprosperity.scenario import lever_unit


@pytest.fixture(scope="module")
def result_2024():
    pop = baseline(2024, n_households=1_500, seed=3)
    return cp.simulate(pop, cp.Scenario.status_quo(2024))


def test_targets_frame_says_t1_is_per_person_per_year(result_2024):
    """Result.targets() said "yuan" for T1, targets.csv "yuan per person per year"."""
    from commonprosperity.report import INDICATOR_UNIT_TEXT

    frame = result_2024.targets()
    assert frame.at["T1", "unit"] == "yuan per person per year"
    assert frame.at["T1", "unit"] == INDICATOR_UNIT_TEXT[frame.at["T1", "indicator"]]


def test_targets_csv_read_back_draws_a_dashboard(result_2024, tmp_path):
    """A targets frame as written to targets.csv is a frame the dashboard takes."""
    from matplotlib.figure import Figure

    from commonprosperity.plots import target_dashboard

    path = tmp_path / "targets.csv"
    result_2024.targets().to_csv(path)
    frame = pd.read_csv(path, index_col=0)
    assert frame.at["T1", "unit"] == "yuan per person per year"
    assert isinstance(target_dashboard(frame), Figure)


def test_growth_rate_is_not_called_a_share():
    """A growth rate may be negative (wages falling): "share (0-1)" said it may not."""
    assert cp.Scenario.status_quo(2024).replace(
        {"wages.growth_rate": -0.05}
    ).wages.growth_rate == pytest.approx(-0.05)
    assert "share" not in lever_unit("wages.growth_rate")
    assert "negative" in lever_unit("wages.growth_rate")
    assert lever_unit("transfers.dibao_take_up") == "share (0-1)"


def test_metrics_take_numbers_held_as_objects():
    """An object column of numbers (as pandas gives a column of mixed ints and
    floats) was refused by the measures though populations take it."""
    from fractions import Fraction

    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError

    # Gini of (1, 2, 3) with weights (1, 2, 1): mean 2, E|x - y| = 0.75.
    expected = 0.75 / (2 * 2.0)
    income = pd.Series([1, 2.0, Fraction(3)], dtype=object)
    weight = pd.Series([1, 2, 1], dtype=object)
    assert metrics.gini(income, weight) == pytest.approx(expected, rel=1e-15)
    assert metrics.gini([1.0, 2.0, 3.0], [1, 2, 1]) == pytest.approx(expected)
    from decimal import Decimal

    # Decimals too (a Parquet decimal column), as populations read them.
    assert metrics.gini([Decimal(1), Decimal("2.0"), 3], weight) == pytest.approx(
        expected, rel=1e-15
    )
    with pytest.raises(MeasureError, match=r"None at index \[1\]"):
        metrics.gini(pd.Series([1, None, 3], dtype=object))
    with pytest.raises(
        MeasureError, match=r"float64's range.*401 digits at index \[1\]"
    ):
        metrics.gini([1, 10**400, 3])


def test_sweep_file_of_whole_schedules_says_so_once(tmp_path):
    """A grid of whole schedules got "must hold finite numbers" and "is a list"."""
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.errors import ScenarioError

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2024\n[grid]\n"income_tax.rates" = '
        "[[0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45], [0.03, 0.1, 0.2, 0.25, 0.3, 0.4, "
        "0.5]]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(file)
    message = str(info.value)
    assert "holds lists" in message and "income_tax.rates[2]" in message
    assert "finite numbers" not in message


def test_with_weights_refuses_a_series_keyed_otherwise():
    """with_weights paired a Series keyed by household id in another order by
    position: household 1 got household 2's weight."""
    from commonprosperity.errors import PopulationError

    pop = cp.Population.from_arrays(
        {"household_id": [1, 2], "weight": [1.0, 2.0], "urban": [True, False]},
        {
            "household_id": [1, 2],
            "age": [40, 30],
            "employed": [True, False],
            "wage": [1e5, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        },
    )
    with pytest.raises(PopulationError, match=r"reindex\(population.household_id\)"):
        pop.with_weights(pd.Series([10.0, 20.0], index=[2, 1]))
    # By position, or by household id in the population's order: taken.
    assert pop.with_weights(pd.Series([10.0, 20.0])).weight.tolist() == [10.0, 20.0]
    by_id = pd.Series([10.0, 20.0], index=[1, 2])
    assert pop.with_weights(by_id).weight.tolist() == [10.0, 20.0]
    keyed = pd.Series([20.0, 10.0], index=[2, 1])
    aligned = pop.with_weights(keyed.reindex(pop.household_id).to_numpy())
    assert aligned.weight.tolist() == [10.0, 20.0]
    # Positions in another order (a sorted frame's column): sort_index, not
    # reindex by id (which shifted every weight by one).
    with pytest.raises(PopulationError, match=r"sort_index\(\)"):
        pop.with_weights(pd.Series([20.0, 10.0], index=[1, 0]))


def test_with_weights_refuses_positions_that_are_also_ids():
    """Ids 0…n-1 in another order: a Series labelled 0…n-1 is both by position
    and by id, and was paired by position."""
    from commonprosperity.errors import PopulationError

    ids = [2, 0, 1]
    pop = cp.Population.from_arrays(
        {"household_id": ids, "weight": [1.0] * 3, "urban": [True] * 3},
        {
            "household_id": ids,
            "age": [40] * 3,
            "employed": [True] * 3,
            "wage": [1e5] * 3,
            "business": [0.0] * 3,
            "property": [0.0] * 3,
            "pension": [0.0] * 3,
        },
    )
    with pytest.raises(PopulationError, match="both the households' positions"):
        pop.with_weights(pd.Series({0: 10.0, 1: 20.0, 2: 30.0}))
    by_id = pd.Series({0: 10.0, 1: 20.0, 2: 30.0}).reindex(pop.household_id)
    assert pop.with_weights(by_id.to_numpy()).weight.tolist() == [30.0, 10.0, 20.0]


@pytest.fixture(scope="module")
def baseline_2020():
    return baseline(2020, n_households=3_000, seed=1)


def test_compare_reads_a_calibrated_baseline_by_its_urban_share(baseline_2020):
    """A baseline raked to the official urbanisation rate was still read as the
    survey definition: its note said the urban share was 0.665 beside 0.722."""
    from commonprosperity.baseline import compare_to_published
    from commonprosperity.calibrate import calibrate
    from commonprosperity.statistics import urbanisation_rate

    rate = urbanisation_rate(2020)
    residents = baseline_2020.residents
    margins = {
        "persons": {"urban": {True: rate * residents, False: (1 - rate) * residents}}
    }
    raked = calibrate(baseline_2020, margins).population
    table = compare_to_published(raked).set_index("figure")
    row = table.loc["urbanisation rate"]
    assert row["simulated"] == pytest.approx(rate, abs=1e-9)
    assert row["role"] == "calibrated" and row["within"]
    assert "survey" not in row["note"]
    assert table.loc["survey-implied urban share", "role"] == "not reproduced"


def test_a_published_floor_missed_is_not_within(baseline_2020):
    """ "At least 0.496" against 0.35 read as within a tolerance of 0.15."""
    from commonprosperity.baseline import compare_to_published

    table = compare_to_published(baseline_2020)
    rows = table[table["figure"] == "rural bottom-quintile mean / rural mean"]
    floor = rows[np.isclose(rows["published"], 0.496)].iloc[0]
    assert floor["within"] == (floor["simulated"] >= 0.496)
    assert floor["tolerance"] == 0.0


def test_group_of_lists_is_called_not_one_dimensional():
    """[["a"], ["b"]] as group said "labels must be sortable; unhashable type"."""
    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError

    with pytest.raises(
        MeasureError, match=r"group must be 1-D.*\['a'\] at index \[0\]"
    ):
        metrics.group_mean([1.0, 2.0], None, group=[["a"], ["b"]])


@pytest.mark.parametrize("name", ["cities", "city_code", "City_Name"])
def test_a_city_column_by_another_name_is_not_left_unread(tmp_path, name):
    """A file's "cities" column was ignored: every household fell to 浙江."""
    from commonprosperity.errors import PopulationError

    path = tmp_path / "pop.parquet"
    cp.synthetic_population(30, seed=1).write_parquet(path)
    frame = pd.read_parquet(path).rename(columns={"city": name})
    frame.to_parquet(path)
    with pytest.raises(
        PopulationError, match=rf"\['{name}'\].*\['city'\].*{{'{name}': None}}"
    ):
        cp.Population.read_parquet(path)
    mapped = cp.Population.read_parquet(path, columns={name: "city"})
    assert len(set(mapped.city)) > 1
    # The other remedy the message gives: leave it unread.
    unread = cp.Population.read_parquet(path, columns={name: None})
    assert set(unread.city) == {"浙江"}


def test_cheapest_refuses_a_mapping_of_goals():
    """cheapest(frame, {"T4": 1.8}) ran as ("T4",), the 1.8 unread."""
    from commonprosperity.errors import ArgumentError

    frame = pd.DataFrame(
        {
            "T4_met": [True, False],
            "urban_rural_ratio": [1.85, 1.7],
            "net_fiscal_cost": [1.0, 2.0],
        }
    )
    with pytest.raises(ArgumentError, match=r'"T4 < 1.8"'):
        cp.cheapest(frame, {"T4": 1.8})
    assert cp.cheapest(frame, "T4 < 1.8").index.tolist() == [1]
    assert cp.cheapest(frame, ["T4"]).index.tolist() == [0]


def test_sweep_command_checks_the_scheduler_before_building(
    tmp_path, monkeypatch, capsys
):
    """--scheduler at an address where nothing listens was found out only after
    the population (up to 20 million households) was built and projected."""
    pytest.importorskip("distributed")
    import socket

    from commonprosperity import cli

    def built(*args, **kwargs):
        raise AssertionError("the population was built before the scheduler check")

    monkeypatch.setattr(cli, "_population", built)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    file = tmp_path / "s.toml"
    file.write_text(
        "year = 2024\n[population]\nhouseholds = 1000\n[grid]\n"
        '"transfers.dibao_monthly" = [1000, 1200]\n',
        encoding="utf-8",
    )
    argv = ["sweep", str(file), "--scheduler", f"tcp://127.0.0.1:{port}"]
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def _titles_inside(fig):
    fig.draw_without_rendering()
    width = fig.bbox.width
    titles = [t for ax in fig.axes for t in (ax.title, ax._left_title) if t.get_text()]
    assert titles
    return all(
        t.get_window_extent().x0 >= 0 and t.get_window_extent().x1 <= width
        for t in titles
    )


@pytest.mark.parametrize(
    "label", ["dibao_1400_pension_400_deduction_72k", "a " * 40, "x" * 90]
)
def test_figure_titles_stay_inside_the_figure(result_2024, label):
    """The dashboard's title lost "… evaluated targets met" past the right edge
    with a scenario name of 24 characters or more; the cities title too."""
    from commonprosperity.plots import city_bars, income_distribution, target_dashboard

    for draw in (target_dashboard, city_bars, income_distribution):
        fig = draw(result_2024, label=label)
        assert _titles_inside(fig), draw.__name__
        assert label.replace(" ", "")[:20] in fig.axes[0].get_title(loc="left").replace(
            "\n", ""
        ).replace(" ", "")


def test_dashboard_note_takes_at_most_two_lines(result_2024):
    """T10's unit-slip note took six lines over the row above and the axis."""
    from commonprosperity.plots import target_dashboard

    # GDP in 亿元 (10^8 yuan) where yuan are asked for.
    fig = target_dashboard(result_2024, gdp=90_131.0, labour_compensation=45_000.0)
    notes = [t.get_text() for t in fig.axes[0].texts if "not evaluated" in t.get_text()]
    assert any("this year's ratio" in n.replace("\n", " ") for n in notes)
    assert all(n.count("\n") <= 1 for n in notes)


def test_heatmap_cells_tell_the_lowest_from_the_highest():
    """Cells 1.2 yuan apart coloured yellow and purple all read "42.8"."""
    from commonprosperity._sweep_plots import sweep_heatmap

    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, 1.0, 2.0],
            "b": [1.0, 1.0, 2.0, 2.0],
            "rural_per_capita_disposable_income": [
                42_785.999996,
                42_785.999996,
                42_787.215085,
                42_787.215085,
            ],
        }
    )
    fig = sweep_heatmap(frame, "a", "b", "rural_per_capita_disposable_income")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert len(texts) == 2, texts
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert not fig.axes[1].yaxis.get_offset_text().get_text(), ticks


@pytest.mark.filterwarnings("always::UserWarning")
def test_run_report_lists_the_warnings_given(tmp_path, capsys):
    """A unit slip was warned on stderr only: report.md, which travels without
    the terminal, had no trace of it."""
    from commonprosperity import cli

    scenario = tmp_path / "slip.toml"
    scenario.write_text("year = 2024\n[transfers]\ndibao_monthly = 13536\n", "utf-8")
    out = tmp_path / "out"
    argv = ["run", str(scenario), "--households", "1000", "--out", str(out)]
    assert cli.main([*argv, "--figures", "none"]) == 0
    assert "is it a yearly amount?" in capsys.readouterr().err
    report = (out / "report.md").read_text(encoding="utf-8")
    section = report.split("## Warnings given while it ran", 1)[1].split("## ", 1)[0]
    assert "transfers.dibao_monthly = 13,536 yuan a month" in section


def test_report_warnings_must_be_text(result_2024):
    from commonprosperity.errors import ArgumentTypeError
    from commonprosperity.report import markdown_report

    text = markdown_report(result_2024, heading="h", warnings=["a\n  b"])
    assert "## Warnings given while it ran\n\n- a b\n" in text
    assert "## Warnings" not in markdown_report(result_2024, heading="h")
    with pytest.raises(ArgumentTypeError, match="warnings must be a sequence of str"):
        markdown_report(result_2024, heading="h", warnings="one")
    with pytest.raises(ArgumentTypeError, match="each of warnings must be a str"):
        markdown_report(result_2024, heading="h", warnings=[1])


def test_path_note_says_how_t8_since_start_is_judged_without_a_value():
    """When income fell since the start, T8_since_start was judged (the growths
    compared) with its value NaN and no word why, as T8 itself has."""
    pop = baseline(2024, n_households=1_000, seed=4)
    fall = cp.Scenario.status_quo(2025).replace({"wages.growth_rate": -0.3})
    path = cp.simulate_path(pop, {2024: cp.Scenario.status_quo(2024), 2025: fall})
    row = path.loc[2025]
    assert (
        row["per_capita_disposable_income"]
        < path.loc[2024, "per_capita_disposable_income"]
    )
    assert np.isnan(row["T8_since_start_value"]) and not pd.isna(row["T8_since_start"])
    assert "T8 since 2024: " in row["note"]


LONGDOUBLE_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


@pytest.mark.skipif(not LONGDOUBLE_WIDER, reason="long double is float64 here")
@pytest.mark.parametrize(
    ("first_id", "message"),
    [
        (np.longdouble(2**53) + 1, r"must be within ±2\^53"),
        (np.longdouble(1) + np.longdouble(2) ** -60, "must hold whole numbers"),
    ],
)
def test_extended_precision_ids_are_checked_as_stored(first_id, message):
    """float128 ids were cast to float64 first: 2^53 + 1 became 2^53 and
    1 + 2^-60 became 1, without a word."""
    from commonprosperity.errors import PopulationError

    hid = np.array([first_id, np.longdouble(5)])
    households = pd.DataFrame({"household_id": hid, "weight": 1.0, "urban": True})
    persons = pd.DataFrame(
        {
            "household_id": hid,
            "age": 40,
            "employed": True,
            "wage": 1e5,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    with pytest.raises(PopulationError, match=rf"household_id {message}"):
        cp.Population.from_frames(households, persons)


@pytest.mark.skipif(not LONGDOUBLE_WIDER, reason="long double is float64 here")
def test_extended_precision_beyond_float64_is_named_not_inf():
    """A float128 wage of 1e400 was "got inf", with NumPy's overflow warning."""
    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError, PopulationError

    huge = np.array([np.longdouble("1e400"), np.longdouble(1)])
    with pytest.raises(MeasureError, match=r"float64's range.*1e\+400"):
        metrics.gini(huge)
    households = pd.DataFrame({"household_id": [1, 2], "weight": 1.0, "urban": True})
    persons = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": 40,
            "employed": True,
            "wage": huge,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    with pytest.raises(PopulationError, match=r"wage holds numbers too large"):
        cp.Population.from_frames(households, persons)


def test_report_lists_the_warnings_its_own_figures_give(
    result_2024, tmp_path, monkeypatch
):
    """Warnings raised while the figures were drawn (a name drawn with '?')
    reached the terminal but not the report.md beside those figures."""
    from commonprosperity import plots
    from commonprosperity._warn import warn_user
    from commonprosperity.report import write_run

    drawn = plots.income_distribution

    def warning_figure(*args, **kwargs):
        warn_user("a figure's own warning")
        return drawn(*args, **kwargs)

    monkeypatch.setattr(plots, "income_distribution", warning_figure)
    with pytest.warns(UserWarning, match="a figure's own warning"):
        write_run(result_2024, tmp_path, heading="h", warnings=["given before"])
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = report.split("## Warnings given while it ran", 1)[1].split("## ", 1)[0]
    assert "- given before\n- a figure's own warning\n" in section


def test_format_value_takes_the_unit_a_targets_frame_states(result_2024):
    """Result.targets() says T1's unit in full; format_value refused it."""
    from commonprosperity.plots import format_value

    row = result_2024.targets().loc["T1"]
    assert format_value(row["value"], row["unit"]) == format_value(row["value"], "yuan")
    assert format_value(75_000.0, "yuan per person per year") == "75,000 yuan"


def test_negative_zero_amounts_are_zero():
    """-0.0 passed "must be >= 0" and was written back as a negative amount."""
    import math

    s = cp.Scenario.status_quo(2025).replace(
        {"income_tax.basic_deduction": -0.0, "income_tax.thresholds[0]": -0.0}
    )
    assert math.copysign(1.0, s.income_tax.basic_deduction) == 1.0
    assert math.copysign(1.0, s.income_tax.thresholds[0]) == 1.0
    assert "-0.0" not in s.to_toml()


def test_scenario_string_validation_says_scenario_once():
    from commonprosperity.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        cp.Scenario.model_validate_strings({"year": "2025"})
    assert str(info.value).count("scenario:") == 1


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_compare_reads_a_projected_baseline_by_its_urban_share():
    """A survey baseline projected to a later year was said to have "the urban
    share implied by the published means (0.6781)" beside its own 0.6875."""
    from commonprosperity.baseline import compare_to_published

    projected = cp.project(baseline(2021, n_households=2_000, seed=1), 2023)
    row = compare_to_published(projected).set_index("figure").loc["urbanisation rate"]
    assert f"{row['simulated']:.3f}" in row["note"]
    assert "urban_definition='survey'" not in row["note"]
