"""Defects found by session 57's probes (pandas inputs, reports, sweep files)."""

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity import report
from commonprosperity._sweepfile import read_sweep_file
from commonprosperity.sweep import sweep


def _frames():
    hh = pd.DataFrame(
        {
            "household_id": [30, 10, 20],
            "weight": [300.0, 100.0, 200.0],
            "urban": [True, False, True],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [30, 10, 20, 20],
            "age": [40, 50, 60, 8],
            "employed": [True, False, False, False],
            "wage": [60_000.0, 0.0, 0.0, 0.0],
            "business": [0.0, 0.0, 5_000.0, 0.0],
            "property": [0.0, 1_000.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 30_000.0, 0.0],
        }
    )
    return hh, pp


def _arrays(frame):
    return {k: v.to_numpy() for k, v in frame.items()}


def test_a_lone_series_keyed_by_household_id_in_another_order_is_refused():
    """A groupby's Series (sorted ids 10, 20, 30) beside arrays in the order
    30, 10, 20 gave household 30 the weight of household 10."""
    hh, pp = _frames()
    weight = pp.assign(pw=[300.0, 100.0, 200.0, 200.0]).groupby("household_id")["pw"]
    households = {**_arrays(hh), "weight": weight.first()}
    with pytest.raises(cp.PopulationError, match=r"households\.weight .*another order"):
        cp.Population.from_arrays(households, _arrays(pp))
    resorted = {**_arrays(hh), "weight": hh.sort_values("weight")["weight"]}
    with pytest.raises(cp.PopulationError, match=r"households\.weight .*out of order"):
        cp.Population.from_arrays(resorted, _arrays(pp))


def test_a_lone_series_in_the_population_s_order_is_paired_as_given():
    hh, pp = _frames()
    want = cp.Population.from_arrays(_arrays(hh), _arrays(pp))
    by_id = hh.set_index("household_id")["weight"]  # ids in the arrays' order
    fresh = hh["weight"]  # labels 0 … n-1: positions
    for weight in (by_id, fresh):
        got = cp.Population.from_arrays({**_arrays(hh), "weight": weight}, _arrays(pp))
        np.testing.assert_array_equal(got.weight, want.weight)
        paired = dict(zip(got.household_id, got.weight, strict=True))
        assert paired == {30: 300, 10: 100, 20: 200}


def test_a_lone_person_series_of_a_resorted_frame_is_refused():
    """One person column from a frame sorted by age gave people others' ages."""
    hh, pp = _frames()
    persons = {**_arrays(pp), "age": pp.sort_values("age")["age"]}
    with pytest.raises(cp.PopulationError, match=r"persons\.age .*out of order"):
        cp.Population.from_arrays(_arrays(hh), persons)
    # A filtered frame's labels increase with gaps: its rows in their order.
    kept = pp[pp.age >= 0]
    kept = kept.set_axis([0, 2, 5, 9])
    got = cp.Population.from_arrays(_arrays(hh), {**_arrays(pp), "age": kept["age"]})
    np.testing.assert_array_equal(got.age, pp["age"].to_numpy())


def test_columns_of_one_frame_beside_arrays_are_paired_as_before():
    """The check of session 57 refused a filtered frame's, a text-labelled
    frame's and a frame indexed by household id's columns (review)."""
    hh, pp = _frames()
    want = cp.Population.from_arrays(_arrays(hh), _arrays(pp))
    kept = hh.set_axis([0, 2, 3])  # a filtered frame's labels
    text = hh.set_axis(["d", "a", "c"])
    for frame in (kept, text):
        got = cp.Population.from_arrays(
            {**_arrays(frame), "weight": frame["weight"], "urban": frame["urban"]},
            _arrays(pp),
        )
        np.testing.assert_array_equal(got.weight, want.weight)
    by_id = pp.sort_values("household_id", kind="stable").set_index("household_id")
    persons = {
        "household_id": by_id.index.to_numpy(),
        **{c: by_id[c] for c in by_id.columns},
    }
    got = cp.Population.from_arrays(_arrays(hh), persons)
    assert sorted(got.age.tolist()) == sorted(pp.age.tolist())


def test_a_groupby_series_over_ids_that_are_positions_is_ambiguous():
    """Ids 2, 0, 1 and a groupby's labels 0, 1, 2: positions or ids? Paired by
    position, household 2 got household 0's weight."""
    hh, pp = _frames()
    hh["household_id"] = [2, 0, 1]
    pp["household_id"] = [2, 0, 1, 1]
    weight = pp.assign(pw=[300.0, 100.0, 200.0, 200.0]).groupby("household_id")["pw"]
    with pytest.raises(cp.PopulationError, match="both the households' positions"):
        cp.Population.from_arrays(
            {**_arrays(hh), "weight": weight.first()}, _arrays(pp)
        )


def test_a_missing_value_in_the_columns_mapping_is_a_population_error(tmp_path):
    """A codebook read as pandas' string dtype has pd.NA for a blank cell:
    "boolean value of NA is ambiguous" (a bare TypeError)."""
    hh, pp = _frames()
    hh = hh.rename(columns={"weight": "wt"}).assign(note="x")
    with pytest.raises(
        cp.PopulationError, match=r"unknown column\(s\) \{'note': <NA>\}"
    ):
        cp.Population.from_frames(hh, pp, columns={"wt": "weight", "note": pd.NA})
    path = tmp_path / "p.parquet"
    cp.Population.from_frames(
        hh.drop(columns="note"), pp, columns={"wt": "weight"}
    ).write_parquet(path)
    with pytest.raises(cp.PopulationError, match=r"\{'city': <NA>\}"):
        cp.Population.read_parquet(path, columns={"city": pd.NA})


def test_the_report_never_shows_a_share_that_is_not_0_as_0(tmp_path):
    """A minimum-wage cut made 2.1e-5 of the persons lose: the report read
    0.000 losers and a mean change of "-0", and no file had the figures."""
    pop = cp.synthetic_population(2_000, seed=3)
    base = cp.simulate(pop, cp.Scenario.status_quo(2024))
    # One yuan more of dibao a month: a few households gain, by far less than
    # a person's share of the table's precision.
    reform = cp.simulate(
        pop,
        base.scenario.replace(
            {"transfers.dibao_monthly": base.scenario.transfers.dibao_monthly + 1}
        ),
    )
    table = base.winners_losers(reform)
    tiny = table[(table.gain_share > 0) & (table.gain_share < 5e-4)]
    assert len(tiny), table  # the case of the probe: a gain that rounds to 0.000
    text = report.markdown_report(reform, heading="h", baseline=base)
    section = text.split("## Who gains and who loses")[1].split("## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| all |"))
    gain, lose, same, change = (c.strip() for c in row.strip("|").split("|")[1:])
    want_gain = table.loc["all", "gain_share"]
    assert gain == ("<0.001" if 0 < want_gain < 5e-4 else f"{want_gain:.3f}")
    assert lose == "0.000"
    assert same == report._share_text(table.loc["all", "no_change_share"])
    assert change == report._change_text(table.loc["all", "mean_change"])
    report.write_run(reform, tmp_path, heading="h", baseline=base, formats=())
    full = pd.read_csv(tmp_path / "winners_losers.csv", index_col=0)
    np.testing.assert_allclose(full["gain_share"], table["gain_share"], rtol=1e-15)
    np.testing.assert_allclose(
        full["mean_change_yuan_per_person"], table["mean_change"], rtol=1e-12
    )


def test_share_and_change_text_by_hand():
    assert report._share_text(0.0) == "0.000"
    assert report._share_text(2.1e-5) == "<0.001"
    assert report._share_text(0.0004999) == "<0.001"
    assert report._share_text(0.0005) in ("0.001", "<0.001")
    assert report._share_text(0.99999) == ">0.999"
    assert report._share_text(1.0) == "1.000"
    assert report._share_text(0.5) == "0.500"
    assert report._change_text(-0.004) == "-4.0e-03"
    assert report._change_text(-0.04) == "-0.04"
    assert report._change_text(-0.5) == "-0.50"
    assert report._change_text(0.5) == "0.50"
    assert report._change_text(0.0) == "0"
    assert report._change_text(-0.51) == "-1"
    assert report._change_text(-1234.4) == "-1,234"


def _sweep_file(tmp_path, body):
    path = tmp_path / "sweep.toml"
    path.write_text("year = 2024\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("year", [1999, 2019, 2051, 2060])
def test_a_sweep_file_s_population_year_is_checked_with_its_real_range(tmp_path, year):
    """2019 and 2060 passed the file's check (2,000–2,100) and were refused only
    when the command line built the population."""
    path = _sweep_file(
        tmp_path,
        f'[population]\nyear = {year}\n[grid]\n"transfers.dibao_monthly" = [1200]\n',
    )
    with pytest.raises(cp.ScenarioError) as caught:
        read_sweep_file(path)
    assert f"population.year = {year} in {path}: the embedded population " in str(
        caught.value
    )
    assert "2020–2024 (later years projected, to at most 2050)" in str(caught.value)
    ok = _sweep_file(
        tmp_path,
        '[population]\nyear = 2022\n[grid]\n"transfers.dibao_monthly" = [1200]\n',
    )
    assert read_sweep_file(ok).population_year == 2022


def test_values_their_field_refuses_are_said_without_trying_every_other_value(
    tmp_path, monkeypatch
):
    """Take-ups of 1.1-2.0 beside 10,000 dibao lines were each tried with every
    dibao line (55 s to refuse them); their own field refuses them whatever the
    others are."""
    grid = {
        "transfers.dibao_take_up": [1.1, 1.5, 2.0, 0.5],
        "transfers.dibao_monthly": [1_000.0 + k for k in range(10_000)],
    }
    path = _sweep_file(
        tmp_path,
        "[grid]\n"
        '"transfers.dibao_take_up" = [1.1, 1.5, 2.0, 0.5]\n'
        '"transfers.dibao_monthly" = { start = 1000, stop = 10999, num = 10000 }\n',
    )
    replace = cp.Scenario.replace
    calls = []

    def counted(self, *args, **kwargs):
        calls.append(1)
        return replace(self, *args, **kwargs)

    monkeypatch.setattr(cp.Scenario, "replace", counted)
    with pytest.raises(cp.ScenarioError) as caught:
        read_sweep_file(path)
    message = str(caught.value)
    assert all(f"value {v:g}:" in message for v in (1.1, 1.5, 2.0))
    assert "value 0.5" not in message
    # Each value once alone, not each bad one with all 10,000 others (30,000).
    assert len(calls) <= 10_004 + 10
    calls.clear()
    pop = cp.synthetic_population(300, seed=1)
    with pytest.raises(cp.ScenarioError) as caught:
        sweep(pop, cp.Scenario.status_quo(2024), grid, progress=False)
    assert all(f"dibao_take_up = {v}:" in str(caught.value) for v in (1.1, 1.5, 2.0))
    # Each value alone, then the combinations of the values that can be valid
    # (0.5 with each line): not the 30,000 of the refused ones too.
    assert len(calls) <= 10_004 + 10_000 + 10


def test_a_value_another_lever_can_make_valid_is_still_judged_in_combination():
    """A floor above the base's ceiling is valid beside a higher ceiling."""
    base = cp.Scenario.status_quo(2024)
    ceiling = base.social_insurance.base_ceiling_monthly
    grid = {
        "social_insurance.base_floor_monthly": [ceiling + 100.0],
        "social_insurance.base_ceiling_monthly": [ceiling + 500.0],
    }
    frame = sweep(cp.synthetic_population(300, seed=1), base, grid, progress=False)
    assert len(frame) == 1


@pytest.mark.filterwarnings("always::UserWarning")
def test_the_command_line_s_solve_says_each_unit_slip_once(capsys, tmp_path):
    """solve warned of a monthly basic deduction, then simulate of the solved
    scenario warned of it again."""
    from commonprosperity import cli

    source = tmp_path / "slip.toml"
    source.write_text(
        "year = 2025\n[income_tax]\nbasic_deduction = 5000\n", encoding="utf-8"
    )
    code = cli.main(
        [
            "solve",
            str(source),
            "--households",
            "2000",
            "--lever",
            "transfers.dibao_monthly",
            "--target",
            "gini <= 0.5",
            "--bounds",
            "1000",
            "4000",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert err.count("income_tax.basic_deduction has 5,000 yuan") == 1, err


def test_a_path_ending_in_a_space_is_quoted_and_said(tmp_path):
    """ "sc/bom.toml : cannot read scenario file (No such file …)": the space
    was invisible and no hint given."""
    path = tmp_path / "s.toml"
    cp.Scenario.status_quo(2024).to_toml(path)
    with pytest.raises(cp.ScenarioError) as caught:
        cp.Scenario.from_toml(f"{path} ")
    message = str(caught.value)
    assert message.startswith(repr(f"{path} "))
    assert f"ends with white space: was {str(path)!r} meant?" in message
    sweep_file = _sweep_file(
        tmp_path, 'base = "s.toml "\n[grid]\n"transfers.dibao_monthly" = [1200]\n'
    )
    sweep_file.write_text(
        sweep_file.read_text(encoding="utf-8").replace("year = 2024\n", ""),
        encoding="utf-8",
    )
    with pytest.raises(cp.ScenarioError, match=r"was 's\.toml' meant"):
        read_sweep_file(sweep_file)


def test_an_integer_too_long_for_python_is_placed_in_the_file(tmp_path):
    """5,000 digits: "use sys.set_int_max_str_digits() to increase the limit"."""
    path = tmp_path / "huge.toml"
    path.write_text("year = 2024\n[transfers]\ndibao_monthly = " + "9" * 5_000 + "\n")
    with pytest.raises(cp.ScenarioError) as caught:
        cp.Scenario.from_toml(path)
    message = str(caught.value)
    assert "not valid TOML: line 3 holds an integer of 5,000 digits" in message
    # The longest run, not the first: a comment of 1,200 digits on line 2.
    path.write_text(
        "year = 2024\n# "
        + "1" * 1_200
        + "\n[transfers]\ndibao_monthly = "
        + "9" * 5_000
        + "\n"
    )
    with pytest.raises(cp.ScenarioError, match="line 4 holds an integer of 5,000"):
        cp.Scenario.from_toml(path)
    assert "set_int_max_str_digits" not in message


def test_the_urbanisation_recipe_of_the_error_keeps_each_area_s_mean():
    """The message said calibrate persons by area: large urban households grew
    heavier and rural ones lighter, and T4 fell 0.05 with no income changed."""
    with pytest.raises(cp.ScenarioError) as caught:
        cp.Scenario.status_quo(2024).replace({"urbanization_rate": 0.8})
    message = str(caught.value)
    assert "'households': {'urban'" in message and "'persons': {'urban'" in message
    pop = cp.synthetic_population(3_000, seed=4)
    hh, pp = pop.to_frames()
    size = pp.groupby("household_id").size().reindex(hh.household_id).to_numpy()
    w, urban = hh.weight.to_numpy(), hh.urban.to_numpy()
    households = {True: w[urban].sum(), False: w[~urban].sum()}
    persons = {True: (w * size)[urban].sum(), False: (w * size)[~urban].sum()}
    residents = persons[True] + persons[False]
    f = {True: 0.8 * residents / persons[True], False: 0.2 * residents / persons[False]}
    moved = cp.calibrate(
        pop,
        {
            "households": {"urban": {k: households[k] * f[k] for k in f}},
            "persons": {"urban": {k: persons[k] * f[k] for k in f}},
        },
    ).population
    scenario = cp.Scenario.status_quo(2024)
    before = cp.simulate(pop, scenario).indicators
    after = cp.simulate(moved, scenario).indicators
    assert after["urbanization_rate"] == pytest.approx(0.8, abs=1e-9)
    for name in ("urban_per_capita_disposable_income", "urban_rural_ratio"):
        assert after[name] == pytest.approx(before[name], rel=1e-9)


def test_zero_weight_rows_at_the_float_limit_are_ignored_by_the_indices():
    """kakwani, reynolds_smolensky and gini_by_source gave NaN (or a misleading
    error) for a zero-weight row at 1e308; gini already ignored it."""
    from commonprosperity import metrics as m

    x = np.array([10.0, 20.0, 1e308, -1e308])
    w = np.array([1.0, 1.0, 0.0, 0.0])
    tax = np.array([1.0, 3.0, 0.0, 0.0])
    # By hand: G_X = 1/6 (10, 20); taxes 1, 3 ranked by x: C_T = 1/4.
    assert m.kakwani(x, tax, w) == pytest.approx(0.25 - 1 / 6, rel=1e-12)
    # Post-tax 9, 17 (both orders kept): C = (17 - 9) / (2 * 26) = 2/13.
    assert m.reynolds_smolensky(x, x - tax, w) == pytest.approx(
        1 / 6 - 2 / 13, rel=1e-12
    )
    parts = m.gini_by_source({"net": x - tax, "tax": tax}, w)
    assert parts.attrs["gini"] == pytest.approx(1 / 6, rel=1e-12)
    assert parts["contribution"].sum() == pytest.approx(1 / 6, rel=1e-12)
    huge = m.gini_by_source({"a": [1.0, 2.0, 1.7e308], "b": [1.0, 1.0, 1.7e308]}, w[:3])
    assert huge.attrs["gini"] == pytest.approx(0.1, rel=1e-12)  # totals 2 and 3
    assert m.concentration(
        np.array([1.0, 2.0, 1.7e308]), [1.0, 1.0, 0.0], rank_by=[1.0, 2.0, 1.7e308]
    ) == pytest.approx(1 / 6, rel=1e-12)


def test_a_list_of_sources_is_refused_not_read_as_rows():
    """[wage, transfer] was read as 2 rows of 3 sources: Gini 0.3, not 0.2667."""
    from commonprosperity import metrics as m

    wage, transfer = np.array([0.0, 4.0, 8.0]), np.array([2.0, 1.0, 0.0])
    with pytest.raises(cp.MeasureError, match="could hold the sources or the rows"):
        m.gini_by_source([wage, transfer])
    columns = m.gini_by_source(np.column_stack([wage, transfer]))
    assert columns.attrs["gini"] == pytest.approx(4 / 15, rel=1e-12)


def test_a_grouped_fit_s_bad_share_is_shown_as_a_number():
    from commonprosperity import metrics as m

    fit = m.fit_gq_lorenz([0.06, 0.11, 0.16, 0.23, 0.44])
    with pytest.raises(cp.MeasureError, match=r"got 1\.5 \(1 such value"):
        fit.lorenz(1.5)


def test_another_thread_s_warning_given_again_here_is_not_recorded_as_this_one_s():
    """Another library's catch_warnings(record=True) in a thread writing a report
    caught a warning another thread gave meanwhile and gave it again from the
    writing thread: the report listed another scenario's unit slip."""
    import threading
    import warnings

    from commonprosperity._warn import this_threads_warnings, warn_user

    given: list[warnings.WarningMessage] = []

    def other_thread() -> None:
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            warn_user("simulate: a slip of another scenario")
        given.extend(log)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    (other,) = given
    passed_on = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *a, **k: passed_on.append(message)
        with this_threads_warnings() as caught:
            warnings.warn(other.message, stacklevel=1)  # a third party's again
            warn_user("this thread's own")
    assert [str(w.message) for w in caught] == ["this thread's own"]
    assert [str(m) for m in passed_on] == ["simulate: a slip of another scenario"]


@pytest.mark.filterwarnings("always::UserWarning")
def test_solve_still_says_the_slip_of_the_lever_s_own_base_value(capsys, tmp_path):
    """solve never runs the lever's base value, so it does not warn of it; the
    command line prints results at it and must say it once (review)."""
    from commonprosperity import cli

    source = tmp_path / "slip.toml"
    source.write_text(
        "year = 2025\n[income_tax]\nbasic_deduction = 5000\n", encoding="utf-8"
    )
    args = ["solve", str(source), "--households", "2000", "--target", "gini <= 0.5"]
    code = cli.main(
        [*args, "--lever", "income_tax.basic_deduction", "--bounds", "50000", "80000"]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert err.count("income_tax.basic_deduction has 5,000 yuan") == 1, err


def test_a_sweep_says_every_bad_value_at_once(tmp_path):
    """A take-up its field refuses stopped the check before a floor no ceiling
    of the grid allows was said (review)."""
    base = cp.Scenario.status_quo(2024)
    ceiling = base.social_insurance.base_ceiling_monthly
    grid = {
        "transfers.dibao_take_up": [1.1, 0.5],
        "social_insurance.base_floor_monthly": [ceiling + 100.0, 1000.0],
    }
    with pytest.raises(cp.ScenarioError) as caught:
        sweep(cp.synthetic_population(300, seed=1), base, grid, progress=False)
    message = str(caught.value)
    assert "dibao_take_up = 1.1" in message
    assert f"base_floor_monthly = {ceiling + 100.0}" in message
