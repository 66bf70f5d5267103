"""Defects found in session 59."""

import io

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity import metrics


@pytest.fixture(scope="module")
def path():
    pop = cp.baseline(2021, n_households=2_000, seed=0)
    return cp.simulate_path(
        pop, {y: cp.Scenario.status_quo(y) for y in range(2021, 2024)}
    )


def test_target_years_refuses_row_positions_for_years(path):
    """A path whose year became a column (reset_index; a CSV or Parquet file
    written without its index) has 0, 1, 2 as index, consecutive integers that
    were answered as the years a target is first met (1 for 2022)."""
    assert cp.target_years(path)["first_met"].dropna().min() >= 2021
    with pytest.raises(cp.ScenarioError, match=r"got 0–2; path has a 'year' col"):
        cp.target_years(path.reset_index())
    read = pd.read_csv(io.StringIO(path.to_csv())).convert_dtypes()
    with pytest.raises(cp.ScenarioError, match="set_index"):
        cp.target_years(read)
    with pytest.raises(cp.ScenarioError, match=r"policy years 2000–2100; got 0–2$"):
        cp.target_years(path.reset_index(drop=True))
    # The years themselves, back as the index, answer as before.
    assert cp.target_years(read.set_index("year")).equals(cp.target_years(path))


@pytest.fixture(scope="module")
def sweeps():
    pop = cp.synthetic_population(800, seed=5)
    base = cp.Scenario.status_quo(2024)
    levers = ["transfers.dibao_monthly", "income_tax.basic_deduction"]
    one = cp.sweep(pop, base, {levers[0]: [1128, 1500], levers[1]: [60000, 72000]})
    two = cp.sweep(pop, base, {levers[0]: [2000, 2300], levers[1]: [60000, 72000]})
    cheap = cp.sweep(pop, base, {levers[0]: [900, 1000]})
    return pop, base, levers, one, two, cheap


def test_sweep_summary_reads_frames_pandas_gives_back(sweeps, tmp_path):
    """Two sweeps concatenated (a repeated index), a lever one of them lacked as
    pd.NA (convert_dtypes), a list lever read back from Parquet (arrays), and
    T*_met as text crashed sweep_summary with bare TypeErrors."""
    from commonprosperity.report import sweep_summary

    pop, base, levers, one, two, cheap = sweeps
    both = pd.concat([one, two])
    assert both.index.duplicated().any()
    summary = sweep_summary(both, levers)
    at = both.reset_index(drop=True)
    for tid, row in summary.iterrows():
        if row["scenarios_meeting"]:
            best = cp.cheapest(at, tid).iloc[0]
            assert row["cheapest_cost"] == best["net_fiscal_cost"]
    nullable = pd.concat([one, cheap], ignore_index=True).convert_dtypes()
    assert nullable[levers[1]].isna().any()
    text = sweep_summary(nullable, levers)["cheapest_levers"]
    assert text.str.contains(f"{levers[1]} = n/a").any()
    rates = [
        (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45),
        (0.02, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45),
    ]
    listed = cp.sweep(pop, base, {"income_tax.rates": rates, levers[0]: [1128, 1500]})
    listed.to_parquet(tmp_path / "s.parquet")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert isinstance(back["income_tax.rates"].iloc[0], np.ndarray)
    ours = sweep_summary(back, ["income_tax.rates", levers[0]])
    assert ours.equals(sweep_summary(listed, ["income_tax.rates", levers[0]]))
    fig = cp.plots.sweep_heatmap(back, "income_tax.rates", levers[0], "gini")
    assert fig.axes
    texts = one.assign(T4_met=one["T4_met"].astype(str))
    with pytest.raises(cp.ArgumentError, match="sweep_summary: frame column T4_met"):
        sweep_summary(texts, levers)
    with pytest.raises(cp.ArgumentError, match="cheapest: frame column T4_met"):
        cp.cheapest(texts, "T4")


def test_sweep_figures_say_t5_is_over_some_cities(sweeps):
    """The frame records that a population of two cities judges T5 over two of
    the 11; the frontier's title said "4 of 4 scenarios meet T5" and the
    heatmap's "outlined: meets T5" without it (cheapest warns, the dashboard
    says it: the figures travel without report.md)."""
    pop, base, levers, *_ = sweeps
    households, persons = pop.to_frames()
    kept = households[households["city"].isin(["杭州", "宁波"])]
    two = cp.Population.from_frames(
        kept, persons[persons["household_id"].isin(kept["household_id"])]
    )
    frame = cp.sweep(two, base, {levers[0]: [1128, 1500], levers[1]: [60000, 72000]})
    assert frame.attrs["cities"].startswith("over 2 of the 11 cities")
    fig = cp.plots.fiscal_frontier(frame, "T5", levers=levers)
    assert "over 2 of the 11 cities" in fig.axes[0].get_title(loc="left")
    fig = cp.plots.sweep_heatmap(frame, levers[0], levers[1], "city_max_min_ratio")
    assert "over 2 of the 11 cities" in fig.axes[0].get_title(loc="left")
    whole = cp.sweep(pop, base, {levers[0]: [1128, 1500], levers[1]: [60000, 72000]})
    fig = cp.plots.fiscal_frontier(whole, "T5", levers=levers)
    assert "of the 11 cities" not in fig.axes[0].get_title(loc="left")


@pytest.mark.parametrize(
    ("value", "target", "unit"),
    [
        (1.9 + 2.5e-12 * 1.9 * 2, 1.9, "ratio"),  # just beyond the tolerance
        (1.9 - 4e-12, 1.9, "ratio"),
        (74_999.99999966, 75_000.0, "yuan"),
        (0.500000000005, 0.5, "share"),
        (3e-12, 0.0, "ratio change"),
    ],
)
def test_a_value_judged_apart_from_its_target_is_shown_apart(value, target, unit):
    """Values 2e-12 to 5e-10 from a bound, judged met or not by the targets'
    tolerance (BOUND_TOLERANCE), were shown equal to it: "1.900 < 1.900 yes",
    "75,000 >= 75,000 NO 0", "50.0 % > 50.0 % yes"."""
    from commonprosperity._reportformat import _values_and_goal
    from commonprosperity.targets import on_bound

    assert on_bound(value, target) != target  # judged as apart
    (shown,), goal, _ = _values_and_goal([value], target, unit)
    assert shown != goal


def test_a_value_within_the_tolerance_is_shown_as_its_target():
    """Within the tolerance a value is judged on its bound: shown as it too."""
    from commonprosperity._reportformat import _values_and_goal

    (shown,), goal, extra = _values_and_goal([1.9 - 1e-12], 1.9, "ratio")
    assert shown == goal and extra == 0


@pytest.mark.parametrize(
    "value", [0.7001113891601562, 0.7001110, 2 / 3, 1279.157895, 2790.7368421052633]
)
def test_sweep_lever_values_are_shown_as_they_type_back(value):
    """Six figures of the growth rate solve found (0.7001113891601562) read
    0.700111 in the sweep report, the cheapest line and the heatmap, a value that
    misses T4; grid values 0.700111 and 0.7001114 shared one label. Shown now to
    the targets' rounding tolerance (1e-12 relative), no closer: a linspace
    value 0.30000000000000004 is 0.3."""
    from commonprosperity._plotstyle import _tick
    from commonprosperity._reportformat import _number
    from commonprosperity.targets import BOUND_TOLERANCE

    for text in (_number(value), _tick(value)):
        back = float(text.replace(",", ""))
        assert abs(back - value) <= BOUND_TOLERANCE * abs(value)
    assert _number(0.05) == "0.05" and _number(1279.157895) == "1,279.157895"
    grid = np.linspace(0.1, 0.5, 5)
    assert [_number(v) for v in grid] == ["0.1", "0.2", "0.3", "0.4", "0.5"]
    assert [_tick(v) for v in grid] == ["0.1", "0.2", "0.3", "0.4", "0.5"]


def test_masked_entries_are_missing_everywhere():
    """np.asarray drops a mask: bootstrap's strata and psu, calibrate's
    variables, a 2-D masked gini_by_source and a fitted curve's p read the values
    under it, where every other argument refuses masked entries."""
    pop = cp.synthetic_population(300, seed=4)
    res = cp.simulate(pop, cp.Scenario.status_quo(2021))
    n = pop.n_households
    psu = np.arange(n) // 5 % 12
    with pytest.raises(cp.ArgumentError, match="psu must have a value for every"):
        cp.bootstrap(res, "gini", n=20, seed=1, psu=np.ma.masked_array(psu, psu < 3))
    with pytest.raises(cp.ArgumentError, match="strata must have a value for every"):
        cp.bootstrap(res, "gini", n=20, seed=1, strata=np.ma.masked_array(psu, psu < 3))
    # No mask set: the values themselves.
    plain = cp.bootstrap(res, "gini", n=20, seed=1, psu=psu)
    unmasked = cp.bootstrap(res, "gini", n=20, seed=1, psu=np.ma.masked_array(psu))
    assert np.array_equal(unmasked.replicates, plain.replicates)
    total = float(pop.weight.sum())
    margins = {"households": {"grp": {0: total * 0.3, 1: total * 0.5, 2: total * 0.2}}}
    group = np.ma.masked_array(np.arange(n) % 3, mask=np.arange(n) == 0)
    with pytest.raises(cp.CalibrationError, match=r"variables\['grp'\] is missing"):
        cp.calibrate(pop, margins, variables={"grp": group})
    table = np.column_stack([np.arange(1.0, 11), np.arange(10.0, 0, -1) ** 2])
    masked = np.ma.masked_array(table, mask=np.zeros_like(table, dtype=bool))
    assert metrics.gini_by_source(masked).equals(metrics.gini_by_source(table))
    masked[0, 1] = np.ma.masked
    with pytest.raises(cp.MeasureError, match=r"components\[:, 1\] must not have mask"):
        metrics.gini_by_source(masked)
    fit = metrics.fit_gq_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437], mean=5e4)
    p = np.ma.masked_array([0.25, 0.5, 0.9], mask=[0, 0, 1])
    for method in (fit.quantile, fit.lorenz):
        with pytest.raises(cp.MeasureError, match="p must not have masked"):
            method(p)


def test_a_fitted_curve_gives_a_float_for_one_share():
    """Documented as an ndarray, a scalar p gave a numpy.float64 (len() failed);
    now a float for a scalar, an array for an array, as NumPy's functions."""
    for fit in (
        metrics.fit_gq_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437], mean=5e4),
        metrics.fit_beta_lorenz([0.0616, 0.1086, 0.1574, 0.2287, 0.4437], mean=5e4),
    ):
        for method in (fit.quantile, fit.lorenz):
            one = method(0.5)
            many = method([0.25, 0.5])
            assert type(one) is float and isinstance(many, np.ndarray)
            assert one == many[1]
            assert method(np.array([0.5])).shape == (1,)


def test_float16_group_labels_are_groups():
    """pandas has no float16 index: a bare NotImplementedError."""
    x = np.array([1.0, 2.0, 3.0, 7.0])
    labels = np.array([0, 0, 1.5, 1.5])
    want = metrics.group_mean(x, None, labels)
    got = metrics.group_mean(x, None, labels.astype(np.float16))
    assert got.to_numpy().tolist() == want.to_numpy().tolist()
    assert got.index.tolist() == want.index.tolist()
    same = metrics.decompose(x, None, pd.Series(labels.astype(np.float16)))
    assert same.between == metrics.decompose(x, None, labels).between


def test_top_tail_given_as_arrays_is_said_to_need_numbers():
    """0-d arrays of 0.0625 and 2.0 were said to be outside (0, 0.2] and (1, 10]."""
    with pytest.raises(cp.PopulationError) as info:
        cp.baseline(2021, top_tail={"share": np.array(0.0625), "alpha": np.array(2.0)})
    message = str(info.value)
    assert "top_tail['share'] must be a number in (0, 0.2]" in message
    assert "top_tail['alpha'] must be a number in (1, 10]" in message
    with pytest.raises(cp.PopulationError, match=r"'share'\] must be in \(0, 0.2\]"):
        cp.baseline(2021, top_tail={"share": 0.5, "alpha": 2.0})


def test_solve_quotes_an_integer_bound_as_given():
    """Through a float, 123456789012345678901 was said as 123456789012345683968."""
    pop = cp.synthetic_population(200, seed=4)
    base = cp.Scenario.status_quo(2025)
    lever = "transfers.child_allowance_max_age"
    for bound in (123456789012345678901, 2**64 - 1):
        with pytest.raises(cp.ScenarioError, match=f"= {bound} is not a valid value"):
            cp.solve(pop, base, lever, "gini <= 0.3", (0, bound))


def test_urban_flags_of_the_tier_lookups_are_true_or_false():
    """weak_minimum_wage_tiers read the text "False" (and NaN) as urban with
    bool(); minimum_wage_tier let 1, 1.0 and 0.0 pass its True/False check."""
    from commonprosperity import published

    rural = published.weak_minimum_wage_tiers([("丽水", False)])
    assert published.weak_minimum_wage_tiers([("丽水", np.False_)]) == rural
    assert published.minimum_wage_tier("丽水", np.bool_(False)) == 3
    for bad in ("False", float("nan"), 0):
        with pytest.raises(cp.PopulationError, match="urban must be True or False"):
            published.weak_minimum_wage_tiers([("丽水", bad)])
    for bad in (1, 1.0, np.float64(0.0)):
        with pytest.raises(cp.PopulationError, match="urban must be True or False"):
            published.minimum_wage_tier("丽水", bad)


def test_a_type_checker_reads_what_the_docs_allow(tmp_path):
    """columns={... : None} (documented: leave the column unread) was refused by
    the annotations; calls through a lazy module (cp.plots...) were Any, and a
    fitted curve's quantile(0.5) was typed an array."""
    from tests.unit.test_typing import mypy_of

    lines, said = mypy_of(
        """
        import pandas as pd
        import commonprosperity as cp
        from commonprosperity import metrics

        h = pd.DataFrame()
        cp.Population.from_frames(h, h, columns={"hw": "weight", "weight": None})
        cp.Population.read_parquet("p.parquet", columns={"pw": None})
        cp.survey.read_stata("h.dta", "p.dta", columns={"pw": None})
        fit = metrics.fit_gq_lorenz([0.1, 0.2, 0.3, 0.4], mean=5e4)
        one: float = fit.quantile(0.5)
        cp.plots.no_such_function()
        """,
        tmp_path,
    )
    assert lines == [
        'error: Module has no attribute "no_such_function"  [attr-defined]'
    ], said


def test_cli_solve_names_its_band_basis(capsys, tmp_path):
    """solve --band-basis three_person printed an answer for T2 that holds on that
    basis only (T2 is about 14 points higher on it), and nothing of the output or
    the saved file said which basis; run reads the file on the household one."""
    from commonprosperity import cli

    saved = tmp_path / "solved.toml"
    args = ["solve", "--year", "2025", "--households", "2000", "--band-basis"]
    args += ["three_person", "--lever", "transfers.dibao_monthly", "--target"]
    args += ["gini <= 0.9", "--bounds", "500", "4000", "--save", str(saved)]
    code = cli.main(args)
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].endswith("; band basis: three_person")
    assert "give --band-basis three_person to run it" in out
    code = cli.main([*args[:6], "household", *args[7:]])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[0].endswith("; band basis: household")
    assert "give --band-basis" not in out


def test_masked_entries_of_pareto_front_and_shift_shares():
    """pareto_front put a masked (missing) row on the front; shift_shares moved
    the share under a mask and weighed by a masked weight."""
    from commonprosperity import plots, statistics

    masked = np.ma.masked_array([0.1, 0.9, 0.15], mask=[0, 1, 0])
    cost = np.array([1.0, 0.5, 4.0])
    undefined = np.array([0.1, np.nan, 0.15])
    assert plots.pareto_front(masked, cost).tolist() == [0, 2]
    assert plots.pareto_front(masked, cost).tolist() == (
        plots.pareto_front(undefined, cost).tolist()
    )
    assert plots.pareto_front(cost, masked).tolist() == (
        plots.pareto_front(cost, undefined).tolist()
    )
    for shares, weight in (
        (np.ma.masked_array([0.3, 0.99, 0.5], mask=[0, 1, 0]), [1, 1, 1]),
        ([0.3, 0.4, 0.5], np.ma.masked_array([1.0, 100.0, 1.0], mask=[0, 1, 0])),
    ):
        with pytest.raises(cp.ArgumentError, match="must not have masked"):
            statistics.shift_shares(shares, weight, 0.6)


def test_sweep_heatmap_fixes_a_lever_given_as_a_0d_array(sweeps):
    """fixed={lever: np.array(60000.0)} raised "iteration over a 0-d array"."""
    _, _, levers, one, *_ = sweeps
    frame = one.assign(extra=one[levers[1]])
    want = cp.plots.sweep_heatmap(frame, levers[0], "extra", "gini")
    fig = cp.plots.sweep_heatmap(
        frame.assign(extra=[1, 2, 3, 4]),
        levers[0],
        "extra",
        "gini",
        fixed={levers[1]: np.array(60000.0)},
    )
    assert "basic_deduction = 60,000" in fig.axes[0].get_title(loc="left")
    assert want.axes


def test_cli_sweep_names_its_band_basis(capsys, tmp_path):
    """A sweep on the three-person basis printed "T3 ... met in 4 of 4" with no
    word of the basis (only report.md had it)."""
    from commonprosperity import cli

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\nband_basis = "three_person"\n[population]\n'
        'households = 2000\n[grid]\n"transfers.dibao_monthly" = [1128, 1600]\n',
        encoding="utf-8",
    )
    code = cli.main(["sweep", str(file), "--out", str(tmp_path / "o"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].endswith("; band basis: three_person")
    assert "band basis: 3 × per-capita disposable income" in out
    args = ["solve", "--year", "2025", "--households", "2000", "--band-basis"]
    args += ["three_person", "--lever", "income_tax.basic_deduction", "--target"]
    args += ["T2 >= 0.999", "--bounds", "60000", "120000"]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 1 and err.rstrip().endswith("; band basis: three_person)")


def test_band_figures_and_tables_name_the_three_person_basis(sweeps):
    """The sweep figures of T2/T3, the dashboard of a targets table read back,
    indicators.csv's band rows and by_group's frame showed three-person shares
    (about 14 points above the household ones) without naming the basis."""
    from commonprosperity import report

    pop, base, levers, *_ = sweeps
    grid = {levers[0]: [1128, 1500], levers[1]: [60000, 72000]}
    three = cp.sweep(pop, base, grid, band_basis="three_person")
    household = cp.sweep(pop, base, grid)
    for frame, named in ((three, True), (household, False)):
        fig = cp.plots.fiscal_frontier(frame, "T2", levers=levers)
        title = fig.axes[0].get_title(loc="left")
        assert ("(3 × per-capita income)" in title) is named
        fig = cp.plots.sweep_heatmap(frame, levers[0], levers[1], "T3")
        title = fig.axes[0].get_title(loc="left")
        assert ("(3 × per-capita income)" in title) is named
    result = cp.simulate(pop, base, band_basis="three_person")

    def labels(fig):
        return " ".join(
            t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))
        )

    table = result.targets()
    assert labels(cp.plots.target_dashboard(table)).count("3 × per-capita") == 2
    plain = cp.simulate(pop, base).targets()
    assert "3 × per-capita" not in labels(cp.plots.target_dashboard(plain))
    notes = report.indicator_table(result)["note"]
    assert notes["band_share_100k_500k"].startswith("band basis: 3 × per-capita")
    assert notes["band_share_200k_600k"].startswith("band basis: 3 × per-capita")
    assert notes["gini"] == ""
    groups = result.by_group("urban")
    assert groups.attrs == {"band_basis": "three_person", "gini_method": "exact"}


def test_reports_refuse_a_status_quo_of_another_gini_method(sweeps):
    """A bracket result beside an exact status quo gave NaN status-quo bounds
    with no word, the provenance naming the result's method only."""
    from commonprosperity import report

    pop, base, *_ = sweeps
    bracket = cp.simulate(pop, base, gini="bracket")
    exact = cp.simulate(pop, base)
    for table in (report.indicator_table, report.fiscal_table):
        with pytest.raises(cp.ArgumentError, match="gini='exact' and result with"):
            table(bracket, exact)
    with pytest.raises(cp.ArgumentError, match="gini='exact' and result with"):
        report.summary_text(bracket, heading="h", baseline=exact)
    assert len(report.indicator_table(bracket, cp.simulate(pop, base, gini="bracket")))


def test_the_report_records_the_national_accounts_given(sweeps):
    """T7's verdict rests on a GDP and a labour compensation the user gives;
    report.md showed neither."""
    from commonprosperity import report

    pop, base, *_ = sweeps
    result = cp.simulate(pop, base)
    text = report.markdown_report(
        result, heading="h", gdp=9e12, labour_compensation=4.5e12
    )
    assert (
        "- national accounts as given: GDP 9,000,000,000,000 yuan, labour "
        "compensation 4,500,000,000,000 yuan"
    ) in text
    plain = report.markdown_report(result, heading="h")
    assert "national accounts as given" not in plain


def test_t1_notes_the_census_urban_basis():
    """On the census urban basis the all-resident mean is 3–4 % above the
    published one (README); T1's row said nothing of it."""
    census = cp.baseline(2024, n_households=1_500, seed=0, urban_definition="census")
    survey = cp.baseline(2024, n_households=1_500, seed=0)
    base = cp.Scenario.status_quo(2024)
    note = cp.simulate(census, base).targets().loc["T1", "note"]
    assert "3–4 % above the published one" in note
    assert cp.simulate(survey, base).targets().loc["T1", "note"] == ""
    reweighted = census.with_weights(census.weight)
    assert "3–4 %" not in cp.simulate(reweighted, base).targets().loc["T1", "note"]


@pytest.fixture(scope="module")
def status_quo_2024():
    pop = cp.synthetic_population(1_500, seed=7)
    return pop, cp.simulate(pop, cp.Scenario.status_quo(2024))


def test_a_fifth_lorenz_curve_is_not_drawn_as_the_reference(status_quo_2024):
    """Four styles in a cycle: a fifth result was solid blue as the status quo,
    its difference line indistinguishable from the reference's 0."""
    pop, base = status_quo_2024
    results = {"status quo": base}
    for d in (1500, 2000, 3000, 5000, 6000, 7000, 8000):
        reform = cp.Scenario.status_quo(2024).replace({"transfers.dibao_monthly": d})
        results[f"dibao {d}"] = cp.simulate(pop, reform)
    fig = cp.plots.lorenz_curves(results)
    lines = [
        line
        for line in fig.axes[0].get_lines()
        if line.get_label() != "line of equality"
    ]
    styles = [(line.get_color(), str(line.get_linestyle())) for line in lines]
    assert len(styles) == 8 and len(set(styles)) == 8


def test_city_bars_of_one_city_hatch_nothing(status_quo_2024):
    """One city was drawn in the 'highest' style, hatched, with no legend entry
    to say why."""
    pop, _ = status_quo_2024
    households, persons = pop.to_frames()
    kept = households[households["city"] == "杭州"]
    one = cp.Population.from_frames(
        kept, persons[persons["household_id"].isin(kept["household_id"])]
    )
    fig = cp.plots.city_bars(cp.simulate(one, cp.Scenario.status_quo(2024)))
    (bar,) = fig.axes[0].patches[:1]
    assert not bar.get_hatch()


def test_income_distribution_keeps_its_texts_off_the_bars_and_axis(status_quo_2024):
    """With upper=2,000,000 the band labels, centred on bands in the left tenth,
    ran off the figure's left edge; the note of incomes in the last bin sat in
    the plot, over the bars of a population whose incomes are at the right."""
    pop, base = status_quo_2024
    rich = cp.Scenario.status_quo(2024).replace(
        {"transfers.dibao_monthly": 20_000, "transfers.dibao_take_up": 1.0}
    )
    with pytest.warns(UserWarning, match="is it a yearly amount"):
        lifted = cp.simulate(pop, rich)
    fig = cp.plots.income_distribution(lifted)
    ax = fig.axes[0]
    assert "at or above 800k shown in the last bin" in ax.get_xlabel()
    assert not [t for t in ax.texts if "last bin" in t.get_text()]
    fig = cp.plots.income_distribution(base, bin_width=50_000, upper=2_000_000)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    axes_left = fig.axes[0].get_window_extent(renderer).x0
    labels = [t for t in fig.axes[0].texts if "% of households" in t.get_text()]
    assert len(labels) == 2
    for text in labels:
        assert text.get_window_extent(renderer).x0 >= axes_left


def test_the_dashboard_says_whose_verdicts_a_partial_population_gives(
    status_quo_2024,
):
    """On urban households only, T1, T5 and T6 read "met" as the province's."""
    pop, base = status_quo_2024
    households, persons = pop.to_frames()

    def dashboard_title(kept):
        sub = cp.Population.from_frames(
            kept, persons[persons["household_id"].isin(kept["household_id"])]
        )
        result = cp.simulate(sub, cp.Scenario.status_quo(2024))
        return cp.plots.target_dashboard(result).axes[0].get_title(loc="left")

    assert "not the province's" not in cp.plots.target_dashboard(base).axes[
        0
    ].get_title(loc="left")
    urban = dashboard_title(households[households["urban"]])
    assert "on urban households only, not the province's" in urban
    two = dashboard_title(households[households["city"].isin(["杭州", "宁波"])])
    assert "on households of 2 of the 11 cities only" in two


def test_a_heatmap_keys_lists_that_differ_in_many_elements(sweeps):
    """Rate schedules differing in four elements were printed whole as ticks,
    which ran into each other beyond reading; they are keyed x1, x2 ... with
    the key under the axis."""
    pop, base, levers, *_ = sweeps
    rates = [
        (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45),
        (0.02, 0.12, 0.2, 0.25, 0.3, 0.38, 0.5),
        (0.05, 0.1, 0.2, 0.25, 0.33, 0.36, 0.45),
    ]
    frame = cp.sweep(pop, base, {"income_tax.rates": rates, levers[0]: [1128, 1500]})
    fig = cp.plots.sweep_heatmap(frame, "income_tax.rates", levers[0], "iit_revenue")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x1", "x2", "x3"]
    # In the axis's order (sorted), each key names its whole list.
    for k, schedule in enumerate(sorted(rates)):
        listed = ", ".join(f"{r:g}" for r in schedule)
        assert f"x{k + 1} = [{listed}]" in ax.get_xlabel()
    # Lists differing in three elements or fewer keep their element labels.
    two = [rates[0], (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4)]
    frame = cp.sweep(pop, base, {"income_tax.rates": two, levers[0]: [1128, 1500]})
    fig = cp.plots.sweep_heatmap(frame, "income_tax.rates", levers[0], "iit_revenue")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["[6] 0.4", "[6] 0.45"]


def test_census_t1_note_reaches_the_printed_table_and_the_dashboard():
    """The T1 note reached targets.csv and report.md only: the printed summary
    and the dashboard, read first, said nothing of the census basis."""
    from commonprosperity import report

    census = cp.baseline(2024, n_households=1_500, seed=0, urban_definition="census")
    result = cp.simulate(census, cp.Scenario.status_quo(2024))
    text = report.summary_text(result, heading="h")
    assert "T1 urban basis: the official (census) rate" in text
    labels = " ".join(
        t.get_text()
        for t in cp.plots.target_dashboard(result).findobj(
            lambda a: hasattr(a, "get_text")
        )
    )
    assert "census urban basis: 3–4 % high" in labels
    survey = cp.simulate(cp.baseline(2024, n_households=1_500, seed=0), result.scenario)
    assert "T1 urban basis" not in report.summary_text(survey, heading="h")


def test_a_population_without_cities_is_not_said_to_be_of_none(status_quo_2024):
    """City is optional: a province-wide survey without it was "on households of
    0 of the 11 cities only, not the province's"."""
    pop, _ = status_quo_2024
    households, persons = pop.to_frames()
    no_city = cp.Population.from_frames(households.drop(columns=["city"]), persons)
    result = cp.simulate(no_city, cp.Scenario.status_quo(2024))
    title = cp.plots.target_dashboard(result).axes[0].get_title(loc="left")
    assert "not the province's" not in title
    urban = households[households["urban"]].drop(columns=["city"])
    only = cp.Population.from_frames(
        urban, persons[persons["household_id"].isin(urban["household_id"])]
    )
    result = cp.simulate(only, cp.Scenario.status_quo(2024))
    title = cp.plots.target_dashboard(result).axes[0].get_title(loc="left")
    assert "on urban households only, not the province's" in title
