"""Defects found in session 47, each with the test that failed before its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity.errors import PopulationError


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    hh = pd.DataFrame(
        {"household_id": [11, 12, 13], "weight": [1.0, 2.0, 1.5], "urban": [0, 1, 0]}
    )
    pp = pd.DataFrame(
        {
            "household_id": [11, 12, 13],
            "age": [41, 67, 35],
            "employed": [1, 0, 1],
            "wage": [96000.0, 0.0, 50000.0],
            "business": [0.0, 0.0, 0.0],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 24000.0, 0.0],
        }
    )
    return hh, pp


def test_stata_114_cut_before_its_value_labels_is_refused(tmp_path):
    """A format-114 file cut off before its value labels (it has no end marker)
    was read as unlabelled: urban labelled 0 = urban read as 0 = rural."""
    from commonprosperity.survey import read_stata

    hh, pp = _frames()
    h, p, cut = tmp_path / "h.dta", tmp_path / "p.dta", tmp_path / "cut.dta"
    hh.to_stata(
        h,
        write_index=False,
        version=114,
        value_labels={"urban": {1: "Urban", 0: "Rural"}},
    )
    pp.to_stata(p, write_index=False, version=114)
    whole = h.read_bytes()
    # The value-label table is the file's last part: 4 bytes of length, then
    # the label's name.
    start = whole.rfind(b"urban\x00") - 4
    cut.write_bytes(whole[:start])
    pop = read_stata(h, p, year=2021)
    assert list(pop.urban) == [False, True, False]
    with pytest.raises(PopulationError) as info:
        read_stata(cut, p, year=2021)
    text = str(info.value)
    assert str(cut) in text and "'urban'" in text and "truncated" in text
    # Read without labels, the codes are taken as given (the documented way out).
    assert list(read_stata(cut, p, year=2021, value_labels=False).urban) == [
        False,
        True,
        False,
    ]


def test_parquet_hint_for_a_required_column_left_unread_speaks_of_one_file(tmp_path):
    """read_parquet said columns= "applies to both files" of its one file."""
    from commonprosperity.survey import read_parquet, write_parquet

    path = tmp_path / "pop.parquet"
    write_parquet(cp.synthetic_population(50, seed=1), path)
    with pytest.raises(PopulationError) as info:
        read_parquet(path, columns={"weight": None})
    text = str(info.value)
    assert "['weight'] left unread by columns=" in text
    assert "both files" not in text


def test_other_year_note_advises_project_only_where_project_runs():
    """A 2018 population was told to use project(population, 2021), which refuses
    years before 2020."""
    from commonprosperity.projection import FIRST_YEAR
    from commonprosperity.simulate import PROJECTABLE_FROM, other_year_note

    assert PROJECTABLE_FROM == FIRST_YEAR
    note = other_year_note(2018, 2021)
    assert "project(population" not in note and "2020" in note
    assert "project(population, 2021)" in other_year_note(2020, 2021)
    old = cp.synthetic_population(300, seed=2).with_year(2018)
    with pytest.raises(PopulationError, match="2020 or later"):
        cp.project(old, 2021)


@pytest.fixture(scope="module")
def result_2021():
    return cp.simulate(
        cp.synthetic_population(1_500, seed=4), cp.Scenario.status_quo(2021)
    )


def test_poverty_warns_of_a_monthly_line_a_twelfth_of_the_yearly(result_2021):
    """The 2024 dibao a month (1,128 yuan) as a line under 2021 policy (835 a
    month, 10,020 a year) is over a tenth of the yearly line and passed unwarned."""
    import warnings

    with pytest.warns(UserWarning, match=r"\['2024 dibao'\] are under a quarter"):
        result_2021.poverty({"2024 dibao": 1_128.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Yearly lines, the README's and the 2020 national line in 2020 prices.
        result_2021.poverty({"2024 dibao": 12 * 1_128.0, "national": 4_000.0})


def test_bootstrap_refuses_strata_keyed_by_id_in_another_order(result_2021):
    """A design table indexed by household id, in another order, was paired by
    position: every household got another's stratum and PSU."""
    from commonprosperity.uncertainty import bootstrap

    pop = result_2021.population
    n = pop.n_households
    design = pd.DataFrame(
        {"stratum": np.arange(n) % 4, "psu": np.arange(n) // 3},
        index=pop.household_id,
    )
    shuffled = design.sample(frac=1.0, random_state=1)
    with pytest.raises(cp.ArgumentError, match=r"strata.*reindex\(population"):
        bootstrap(result_2021, "gini", n=10, seed=1, strata=shuffled.stratum)
    with pytest.raises(cp.ArgumentError, match=r"psu.*reindex\(population"):
        bootstrap(result_2021, "gini", n=10, seed=1, psu=shuffled.psu)
    # Keyed by id in the population's order, or as arrays: the same replicates.
    keyed = bootstrap(
        result_2021, "gini", n=10, seed=1, strata=design.stratum, psu=design.psu
    )
    plain = bootstrap(
        result_2021,
        "gini",
        n=10,
        seed=1,
        strata=design.stratum.to_numpy(),
        psu=design.psu.to_numpy(),
    )
    assert np.array_equal(keyed.replicates, plain.replicates)


def test_project_warns_of_a_growth_factor_given_as_a_rate():
    """growth_rates returns factors; growth=1.0 passed back ("no growth") doubled
    every income without a word."""
    import warnings

    pop = cp.synthetic_population(400, seed=5).with_year(2024)
    with pytest.warns(UserWarning, match=r"\+100% a year: growth factors"):
        cp.project(pop, 2025, growth=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp.project(pop, 2025, growth={"urban": 0.05, "rural": 0.5})


def test_unit_slip_of_a_benefit_the_year_has_not_yet():
    """The child allowance's yearly 3,600 typed into a 2024 scenario (status quo
    0) passed unwarned; in 2025 (300 a month) it warned."""
    from commonprosperity._unit_slips import unit_slips

    slip = cp.Scenario.status_quo(2024).replace(
        {"transfers.child_allowance_monthly": 3_600.0}
    )
    ((path, note),) = unit_slips(slip)
    assert path == "transfers.child_allowance_monthly"
    assert "12× the 2025 status quo, 300; 0 in 2024" in note
    infant = cp.Scenario.status_quo(2020).replace(
        {"income_tax.infant_care_monthly": 12_000.0}
    )
    assert [p for p, _ in unit_slips(infant)] == ["income_tax.infant_care_monthly"]
    # A benefit brought forward at a monthly amount is no slip.
    early = cp.Scenario.status_quo(2024).replace(
        {"transfers.child_allowance_monthly": 500.0}
    )
    assert unit_slips(early) == []


def test_cli_exit_code_when_standard_output_cannot_be_written(
    capsys, monkeypatch, tmp_path
):
    """`run > /dev/full` exited 2, "bad input ... nothing written", though the
    input was fine (and the files were written)."""
    import errno

    from commonprosperity import cli

    def printing_fails(args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli, "_cmd_run", printing_fails)
    code = cli.main(["run", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OUTPUT == 74
    assert "writing to standard output: No space left on device" in err

    # A file the system refuses is still bad input (2).
    def file_fails(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/x/report.md")

    monkeypatch.setattr(cli, "_cmd_run", file_fails)
    assert cli.main(["run", "--out", str(tmp_path / "o")]) == cli.EXIT_USAGE


def test_city_figure_names_a_partial_populations_mean_as_its_own():
    """A population of Hangzhou's households drew its mean as "province"."""
    from commonprosperity.plots import city_bars

    pop = cp.synthetic_population(800, seed=6)
    hh, pp = pop.to_frames()
    keep = hh[hh.city.isin(["杭州", "宁波"])]
    part = cp.Population.from_frames(keep, pp[pp.household_id.isin(keep.household_id)])
    scenario = cp.Scenario.status_quo(2024)

    def legend(p):
        fig = city_bars(cp.simulate(p, scenario))
        return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]

    assert any(t.startswith("all households: ") for t in legend(part))
    assert not any(t.startswith("province") for t in legend(part))
    assert any(t.startswith("province: ") for t in legend(pop))


def test_result_household_columns_hand_out_no_writeable_view():
    """np.asarray(households[c].array) was a writeable view of the Result's own
    table: halving it halved the Result's deciles."""
    pop = cp.synthetic_population(600, seed=7)
    r = cp.simulate(pop, cp.Scenario.status_quo(2024))
    before = r.deciles()["disposable_income"].to_numpy().copy()
    frame = r.households
    for column in frame.columns:
        values = frame[column].array
        for view in (np.asarray(values), values.to_numpy()):
            if view.dtype.kind in "fiub":
                with pytest.raises(ValueError, match="read-only"):
                    view *= 2
    assert np.array_equal(r.deciles()["disposable_income"].to_numpy(), before)


def test_report_names_a_reference_scenario_that_is_not_the_status_quo(tmp_path):
    """Reform B against reform A: A's numbers were headed "status quo" in every
    table, text and figure, and A's settings were written nowhere."""
    from commonprosperity import report

    pop = cp.synthetic_population(800, seed=8)
    sq = cp.Scenario.status_quo(2025)
    a = sq.replace({"transfers.dibao_monthly": 1_300.0})
    b = a.replace({"income_tax.basic_deduction": 72_000.0})
    ra, rb = cp.simulate(pop, a), cp.simulate(pop, b)
    written = report.write_run(
        rb, tmp_path / "o", heading="B vs A", baseline=ra, label="package B"
    )
    names = {p.name for p in written}
    targets = pd.read_csv(tmp_path / "o" / "targets.csv", index_col=0)
    assert "reference" in targets.columns and "status_quo" not in targets.columns
    assert targets.at["T1", "reference"] == pytest.approx(
        ra.indicators["per_capita_disposable_income"]
    )
    text = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "status quo 0." not in text and "vs the status quo" not in text
    usual = sq.transfers.dibao_monthly
    assert f"transfers.dibao_monthly = 1300.0 (status quo {usual})" in text
    assert "### Reference scenario compared with" in text
    assert "dibao_monthly = 1300.0" in text.split("### Reference scenario")[1]
    summary = report.summary_text(rb, heading="B vs A", baseline=ra)
    assert "net fiscal cost vs the reference" in summary
    assert "reference" in summary.splitlines()[4]
    assert "report.md" in names
    # The status quo as baseline keeps its name.
    rs = cp.simulate(pop, sq)
    assert "status_quo" in report.target_table(rb, rs).columns
    assert "net fiscal cost vs the status quo" in report.summary_text(
        rb, heading="B", baseline=rs
    )


def test_evaluate_targets_refuses_input_it_would_not_read():
    """A verdict beside T1's value replaced it (T1 "met" at 39,669 yuan); gdp with
    neither labour_compensation nor residents and a misspelt undefined key gave
    the table as without them."""
    from commonprosperity.targets import evaluate_targets

    ind = {"per_capita_disposable_income": 39_669.0, "urban_rural_ratio": 1.8}
    with pytest.raises(cp.errors.ScenarioError, match=r"verdicts\['T1'\]: T1 has a"):
        evaluate_targets(ind, verdicts={"T1": (True, "override")})
    with pytest.raises(cp.errors.ScenarioError, match="gdp is given but neither"):
        evaluate_targets(ind, gdp=8.2e12)
    with pytest.raises(cp.errors.ScenarioError, match=r"undefined\['ginni'\]"):
        evaluate_targets(ind, undefined={"ginni": "x"})
    # Judged without a value, and GDP with what reads it: taken.
    table = evaluate_targets(ind, verdicts={"T8": (True, "income fell")})
    assert bool(table.at["T8", "met"]) is True
    table = evaluate_targets(ind, gdp=8.2e12, labour_compensation=4.0e12)
    assert table.at["T7", "value"] == pytest.approx(4.0 / 8.2)
    assert not pd.isna(
        evaluate_targets(ind, gdp=8.2e12, residents=6.6e7).at["T1", "value"]
    )


def test_public_modules_and_bootstrap_result_are_in_all():
    """The README's `from commonprosperity import plots, report` and survey's
    readers, and bootstrap's return type, were public but not in __all__."""
    import subprocess
    import sys

    for name in ("plots", "report", "tables", "survey", "BootstrapResult"):
        assert name in cp.__all__ and name in dir(cp)
    assert isinstance(
        cp.bootstrap(
            cp.simulate(
                cp.synthetic_population(300, seed=9), cp.Scenario.status_quo(2021)
            ),
            "gini",
            n=10,
            seed=1,
        ),
        cp.BootstrapResult,
    )
    # Importing the package still leaves matplotlib unloaded.
    code = "import sys, commonprosperity; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_result_targets_errors_name_result_targets():
    """Result.targets(gdp=-1) answered "evaluate_targets: ...", a function the
    caller did not call."""
    r = cp.simulate(cp.synthetic_population(300, seed=10), cp.Scenario.status_quo(2021))
    with pytest.raises(cp.ScenarioError, match=r"^Result.targets: gdp") as info:
        r.targets(gdp=-1.0, labour_compensation=1.0)
    assert "evaluate_targets" not in str(info.value)
