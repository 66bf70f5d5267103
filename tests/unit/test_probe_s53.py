"""Defects found by the session-53 probes, each with the case that showed it."""

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity.errors import ScenarioError
from commonprosperity.sweep import sweep


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("transfers.dibao_monthly", np.float16(1128.3)),  # stored as 1128.0
        ("wages.minimum_wage_monthly_tier1", np.float16(2491)),  # as 2492.0
        ("transfers.dibao_monthly", np.array(np.float16(1000.0))),  # exact, 0-d
    ],
)
def test_a_float16_policy_value_is_refused(path, value):
    """A float16 keeps about 3 significant figures: a scenario took 1128.3 as
    1128.0 and 2491 as 2492 without a word (the population refuses float16
    amounts)."""
    with pytest.raises(ScenarioError, match=rf"{path}: is a NumPy float16"):
        Scenario.status_quo(2025).replace({path: value})


def test_float16_schedule_rates_and_grid_values_are_refused():
    base = Scenario.status_quo(2025)
    rates = np.array(base.get("income_tax.rates"), dtype=np.float16)
    with pytest.raises(ScenarioError, match=r"income_tax\.rates\[0\]: is a NumPy"):
        base.replace({"income_tax.rates": rates})
    pop = synthetic_population(300, seed=1)
    for values in (
        np.array([1000.0, 1200.0], dtype=np.float16),
        pd.Series([1128.3, 1200.0], dtype="float16"),  # iterated: Python floats
        [np.float16(1128.3), np.float16(1128.1)],  # one value once rounded
    ):
        grid = {"transfers.dibao_monthly": values}
        with pytest.raises(ScenarioError, match=r"dibao_monthly holds NumPy float16"):
            sweep(pop, base, grid, progress=False)
    as_series = pd.Series(base.get("income_tax.rates"), dtype="float16")
    with pytest.raises(ScenarioError, match=r"income_tax\.rates\[0\]: is a NumPy"):
        base.replace({"income_tax.rates": as_series})
    # Other Series are read as before.
    rates = pd.Series(base.get("income_tax.rates"))
    assert base.replace({"income_tax.rates": rates}) == base
    duration = np.array(np.timedelta64(3, "ns"))  # a 0-d array of a duration
    with pytest.raises(ScenarioError, match="not a NumPy time"):
        base.replace({"transfers.child_allowance_max_age": duration})


def test_other_numpy_scalars_are_still_read_exactly():
    base = Scenario.status_quo(2025)
    for value in (np.float32(1200.5), np.float64(1200.25), np.array(1200.0)):
        assert base.replace({"transfers.dibao_monthly": value}).get(
            "transfers.dibao_monthly"
        ) == float(value)
    assert (
        base.replace({"transfers.child_allowance_max_age": np.int8(3)}).get(
            "transfers.child_allowance_max_age"
        )
        == 3
    )


def _stata_pair(tmp_path, hh_labels, **hh_columns):
    import pandas as pd

    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "weight": [100.0, 50.0, 20.0],
            "urban": [1, 0, 1],
            "city": [1, 11, 2],
            **hh_columns,
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "age": [40, 70, 35],
            "employed": [1, 0, 1],
            "wage": [96_000.0, 0.0, 80_000.0],
            "business": [0.0] * 3,
            "property": [0.0] * 3,
            "pension": [0.0] * 3,
        }
    )
    h, p = tmp_path / "hh.dta", tmp_path / "pp.dta"
    hh.to_stata(h, write_index=False, version=118, value_labels=hh_labels)
    pp.to_stata(p, write_index=False, version=118)
    return h, p


def test_stata_psu_labels_two_codes_share_are_read(tmp_path):
    """Village names repeat across counties (新村): pandas refuses such labels,
    and read_stata refused the whole file although a psu's labels are never its
    values; value_labels=False, the suggested way out, then lost the cities'."""
    from commonprosperity.survey import read_stata

    labels = {
        "urban": {1: "城镇", 0: "农村"},
        "city": {1: "杭州", 2: "宁波", 11: "丽水"},
        "psu": {101: "新村", 202: "新村", 303: "城东社区"},
    }
    h, p = _stata_pair(tmp_path, labels, psu=[101, 202, 303])
    pop = read_stata(h, p)
    assert pop.psu.tolist() == [101, 202, 303]
    assert pop.urban.tolist() == [True, False, True]
    assert pop.city.tolist() == ["杭州", "丽水", "宁波"]


def test_stata_city_labels_two_codes_share_name_one_city(tmp_path):
    """Two codes labelled 杭州 (a merged district code) are both 杭州; the other
    labels still apply, and a label that is no city is still refused."""
    from commonprosperity.errors import PopulationError
    from commonprosperity.survey import read_stata

    labels = {
        "urban": {1: "城镇", 0: "农村"},
        "city": {1: "杭州", 2: "杭州", 11: "丽水"},
    }
    h, p = _stata_pair(tmp_path, labels)
    pop = read_stata(h, p)
    assert pop.city.tolist() == ["杭州", "丽水", "杭州"]
    labels["urban"] = {1: "城镇", 0: "城镇"}  # shared, and 0 is not rural
    h, p = _stata_pair(tmp_path, labels)
    with pytest.raises(PopulationError, match="urban"):
        read_stata(h, p)


def _with_stata_missing_a(path, marker=123456.789):
    """Replace the double ``marker`` in a written .dta file by Stata's ``.a``."""
    import struct

    data = path.read_bytes()
    path.write_bytes(
        data.replace(struct.pack("<d", marker), struct.pack("<Q", 0x7FE0010000000000))
    )
    return path


def test_stata_flag_names_its_missing_code_and_the_copy_can_be_left_unread(tmp_path):
    """urban = .a was reported as "missing (.)"; on the person file's copy the
    message offered only a recode, not leaving the copy unread."""
    import pandas as pd

    from commonprosperity.errors import PopulationError
    from commonprosperity.survey import read_stata

    hh = pd.DataFrame(
        {"household_id": [1, 2], "weight": [1.0, 2.0], "urban": [1.0, 123456.789]}
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": [40, 50],
            "employed": [1, 1],
            "wage": [9e4, 8e4],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    hh.to_stata(h, write_index=False, version=118)
    pp.to_stata(p, write_index=False, version=118)
    _with_stata_missing_a(h)
    with pytest.raises(PopulationError, match=r"found missing \(\.a\) at rows \[1\]"):
        read_stata(h, p)
    hh.assign(urban=[1.0, 0.0]).to_stata(h, write_index=False, version=118)
    pp.assign(urban=[1.0, 123456.789]).to_stata(p, write_index=False, version=118)
    _with_stata_missing_a(p)
    with pytest.raises(PopulationError) as caught:
        read_stata(h, p)
    assert "missing (.a)" in str(caught.value)
    assert "columns={'persons.urban': None}" in str(caught.value)
    pop = read_stata(h, p, columns={"persons.urban": None})  # the way out works
    assert pop.urban.tolist() == [True, False]
    # The same way out for a person file's city copy of an unlabelled code.
    pp.assign(urban=[1.0, 0.0], city=[1, 99]).to_stata(
        p, write_index=False, version=118, value_labels={"city": {1: "杭州"}}
    )
    hh.assign(urban=[1.0, 0.0], city=[1, 2]).to_stata(
        h, write_index=False, version=118, value_labels={"city": {1: "杭州", 2: "宁波"}}
    )
    with pytest.raises(PopulationError, match=r"columns=\{'persons\.city': None\}"):
        read_stata(h, p)
    assert read_stata(h, p, columns={"persons.city": None}).city.tolist() == [
        "杭州",
        "宁波",
    ]


def test_a_person_rows_bad_city_copy_is_named_as_the_persons(tmp_path):
    import pandas as pd

    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    households = pd.DataFrame(
        {"household_id": [1, 2], "weight": [1.0, 1.0], "urban": [True, False]}
    ).assign(city=["杭州", "丽水"])
    persons = pd.DataFrame(
        {
            "household_id": [1, 2, 2],
            "age": [40, 50, 20],
            "employed": [True, True, False],
            "wage": [9e4, 8e4, 0.0],
            "business": [0.0] * 3,
            "property": [0.0] * 3,
            "pension": [0.0] * 3,
        }
    ).assign(city=["杭州", "丽水", "Lishui Xian"])
    with pytest.raises(PopulationError) as caught:
        Population.from_frames(households, persons)
    message = str(caught.value)
    assert "persons.city must be one of" in message
    assert "households.city must" not in message
    # A duplicated column the library does not read is no error (read_parquet
    # takes one too); a duplicated column of ours still is.
    notes = pd.DataFrame([[1, 2]] * 3, columns=["note", "note"])
    plain = persons.drop(columns="city")
    pop = Population.from_frames(households, pd.concat([plain, notes], axis=1))
    assert pop.wage.tolist() == [9e4, 8e4, 0.0]
    twice = pd.concat([plain, plain[["wage"]]], axis=1)
    with pytest.raises(PopulationError, match=r"duplicate columns \['wage'\]"):
        Population.from_frames(households, twice)


def test_a_long_list_in_a_message_is_cut_between_items():
    """A grid's 8 thresholds were shown as "(0.0, ..., 420000.0, 66000… (64
    characters)": 660000.0 read as 66000, and the count, the problem, unshown."""
    from commonprosperity._validate import quoted

    thresholds = (0.0, 36e3, 144e3, 300e3, 420e3, 660e3, 960e3, 1.2e6)
    shown = quoted(thresholds)
    assert shown.endswith(", … 8 items)")
    assert all(
        item in (repr(v) for v in thresholds) for item in shown[1:].split(", ")[:-1]
    )
    assert quoted([1, 2, 3]) == "[1, 2, 3]"
    itself = [1]
    itself.append(itself)
    assert quoted(itself) == "[1, [...]]"  # as repr, not a RecursionError
    assert quoted(("a" * 100,)).endswith(",)")  # still a tuple of one


def test_solve_on_a_list_lever_says_to_solve_for_an_element(capsys):
    from commonprosperity.cli import main
    from commonprosperity.errors import ArgumentError
    from commonprosperity.solve import solve

    with pytest.raises(ArgumentError, match=r"solve for one of its elements, e\.g\. "):
        solve(
            synthetic_population(300, seed=1),
            Scenario.status_quo(2025),
            "income_tax.rates",
            "gini <= 0.3",
            (0.0, 1.0),
        )
    argv = ["solve", "--year", "2025", "--households", "1000", "--lever"]
    code = main(
        [*argv, "income_tax.rates", "--target", "gini <= 0.3", "--bounds", "0", "1"]
    )
    assert code == 2
    assert "solve for one of its elements, e.g. income_tax.rates[6]" in (
        capsys.readouterr().err
    )


def test_the_cheapest_scenarios_label_of_three_levers_stays_in_the_axes():
    """Three levers on one line ran the label far past the axes' right edge,
    over the target line and the scenarios there; a lever a line now."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from commonprosperity.plots import fiscal_frontier

    base = Scenario.status_quo(2025)
    grid = {
        "transfers.dibao_monthly": [1_200.0, 1_800.0, 2_500.0],
        "transfers.residents_pension_monthly": [285.0, 400.0],
        "income_tax.basic_deduction": [60_000.0, 72_000.0],
    }
    frame = sweep(synthetic_population(1_000, seed=4), base, grid, progress=False)
    fig = fiscal_frontier(frame, "T4", levers=list(grid))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    (label,) = [t for t in ax.texts if "bn yuan" in t.get_text()]
    assert label.get_text().count("\n") == 3  # three levers, then the cost
    box, axes = label.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert axes.x0 <= box.x0 and box.x1 <= axes.x1


def test_cumulative_per_cent_shares_of_a_rounded_table_are_named():
    """Cumulative per-cent shares ending at 99 (a rounded table) were hinted as
    amounts only ("the groups' mean incomes")."""
    from commonprosperity.errors import MeasureError
    from commonprosperity.metrics import fit_gq_lorenz

    with pytest.raises(MeasureError, match="look cumulative in per cent, ending at 99"):
        fit_gq_lorenz([7.0, 20.0, 40.0, 65.0, 99.0])


def test_a_users_source_mentioning_the_census_definition_sets_no_note():
    """urban_definition='census' anywhere in a user's source made T6's note say
    the urban flag was the official rate (it is the generator's argument)."""
    from commonprosperity import Population, simulate

    households, persons = synthetic_population(300, seed=1).to_frames()
    own = Population.from_frames(
        households,
        persons,
        year=2024,
        source="own survey; unlike baseline(urban_definition='census') it uses "
        "the survey flag",
    )
    note = simulate(own, Scenario.status_quo(2024)).targets().loc["T6", "note"]
    assert "the population's own urban flag" in note
    assert "census definition)" not in note.split(";")[0]


def test_a_report_of_a_source_with_lone_surrogates_is_written(tmp_path):
    """A source read from a GBK file name keeps lone surrogates: report.md
    failed to encode it and the run wrote nothing."""
    from commonprosperity import Population, simulate
    from commonprosperity.report import write_run

    households, persons = synthetic_population(300, seed=1).to_frames()
    pop = Population.from_frames(households, persons, year=2024, source="x\udcd5y")
    write_run(simulate(pop, Scenario.status_quo(2024)), tmp_path / "out", heading="h")
    # Escaped, and its backslash escaped for Markdown: shown as x\udcd5y.
    assert "x\\\\udcd5y" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_provenance_of_decimal_growth_and_of_reweighting():
    """growth=Decimal('0.05') was written unreadably and listed the default's
    growth as assumed; two calibrations (and two with_weights) of one
    population had one source."""
    from decimal import Decimal

    from commonprosperity import calibrate, project
    from commonprosperity._assumed_growth import assumed_growth_values

    pop = synthetic_population(300, seed=1)
    pop = pop if pop.year == 2024 else pop.with_year(2024)
    grown = project(pop, 2026, growth=Decimal("0.05"))
    assert "growth=0.05)" in grown.source
    assert assumed_growth_values(grown.source) == []
    persons = float(np.sum(pop.weight * pop.size))
    sources = {
        calibrate(
            pop,
            {"persons": {"urban": {True: s * persons, False: (1 - s) * persons}}},
        ).population.source
        for s in (0.6, 0.7)
    }
    assert len(sources) == 2
    assert (
        pop.with_weights(pop.weight * 2).source
        != pop.with_weights(pop.weight * 3).source
    )


def test_psus_within_strata_are_numbered_as_the_sorted_pairs():
    """The PSUs were coded by factorizing (stratum, psu) pairs as a MultiIndex,
    sorting Python tuples (4.6 s at 1e6 households); the integer coding must
    number them as the sorted pairs did, so a seed draws the same replicates."""
    import pandas as pd

    from commonprosperity import bootstrap, simulate
    from commonprosperity.uncertainty import _sorted_codes

    rng = np.random.default_rng(3)
    strata = rng.integers(0, 7, 400)
    psu = np.array([f"v{k}" for k in rng.integers(0, 40, 400)], dtype=object)
    codes = _sorted_codes("strata", strata, strata)
    pairs = pd.MultiIndex.from_arrays([codes, psu])
    by_pairs = pd.factorize(pairs, sort=True)[0]
    result = simulate(synthetic_population(400, seed=2), Scenario.status_quo(2021))
    got = bootstrap(result, "gini", n=20, seed=5, strata=strata, psu=psu)
    # The same design given as the pairs' own codes (one PSU label per pair).
    same = bootstrap(result, "gini", n=20, seed=5, strata=strata, psu=by_pairs)
    assert np.array_equal(got.replicates, same.replicates)


def test_a_run_without_figures_draws_none(tmp_path, monkeypatch):
    from commonprosperity import plots, simulate
    from commonprosperity.report import write_run

    def refuse(*args, **kwargs):
        raise AssertionError("a figure was drawn")

    for name in ("target_dashboard", "lorenz_curves", "income_distribution"):
        monkeypatch.setattr(plots, name, refuse)
    monkeypatch.setattr(plots, "city_bars", refuse)
    result = simulate(synthetic_population(300, seed=1), Scenario.status_quo(2024))
    monkeypatch.setattr(plots, "sweep_heatmap", refuse)
    monkeypatch.setattr(plots, "fiscal_frontier", refuse)
    written = write_run(result, tmp_path / "out", heading="h", formats=())
    assert sorted(p.name for p in written) == [
        "deciles.csv",
        "fiscal.csv",
        "indicators.csv",
        "report.md",
        "targets.csv",
    ]
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.report import write_sweep

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1128, 1600]\n'
        '"income_tax.basic_deduction" = [60000, 72000]\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    frame = sweep(
        synthetic_population(300, seed=1), spec.base, spec.grid, progress=False
    )
    written, _ = write_sweep(frame, tmp_path / "sw", spec=spec, heading="h", formats=())
    assert sorted(p.name for p in written) == [
        "report.md",
        "sweep.csv",
        "sweep.parquet",
    ]


def test_a_subsets_urban_basis_is_its_populations():
    from commonprosperity.simulate import urban_basis_note

    source = "baseline(year=2024, n_households=2000, seed=3, urban_definition='survey')"
    assert urban_basis_note(f"subset of {source}") == urban_basis_note(source)
    assert "survey-implied" in urban_basis_note(f"subset of {source}")


def test_solve_names_the_lever_option_of_an_unknown_key(capsys):
    from commonprosperity.cli import main

    argv = ["solve", "--households", "1000", "--lever", "transfers.nope"]
    assert main([*argv, "--target", "T4", "--bounds", "1000", "2000"]) == 2
    assert "error: --lever transfers.nope: unknown scenario key" in (
        capsys.readouterr().err
    )
