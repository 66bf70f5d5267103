"""Defects found by the session-48 probes, each checked against its fix."""

import json

import pytest

from commonprosperity import Scenario, ScenarioError


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def test_the_scenario_schema_names_bounds_as_json_schema_does():
    """Pydantic wrote the amounts' bounds as ``ge``/``le``, which JSON Schema
    tools ignore: a schema-checked TOML file could hold a negative dibao."""
    schema = Scenario.model_json_schema()
    keys = {key for _, key, _ in _walk(schema)}
    assert not keys & {"ge", "le", "gt", "lt"}
    props = schema["$defs"]["Wages"]["properties"]
    assert props["growth_rate"]["minimum"] == -0.5
    assert props["growth_rate"]["maximum"] == 1.0
    dibao = schema["$defs"]["Transfers"]["properties"]["dibao_monthly"]
    assert dibao["minimum"] == 0.0
    # The bounds the schema states are the ones the model enforces.
    Scenario(year=2024, wages={"growth_rate": -0.5})
    with pytest.raises(ScenarioError, match="growth_rate"):
        Scenario(year=2024, wages={"growth_rate": -0.5000001})
    with pytest.raises(ScenarioError, match="dibao_monthly"):
        Scenario(year=2024, transfers={"dibao_monthly": -1.0})
    json.dumps(schema)  # still plain JSON


# ---------------------------------------------------------------- read_stata
_STATA_A = 0x7FE0010000000000  # Stata's double missing value .a (.b: +0x0100...)
_MARK = 987654321.0  # a double written by pandas, then replaced by a missing code


def _stata_pair(tmp_path, households, persons, missing=None):
    import struct

    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h, write_index=False, version=118)
    persons.to_stata(p, write_index=False, version=118)
    for path, code in (missing or {}).items():
        path = {"households": h, "persons": p}[path]
        raw = path.read_bytes()
        assert raw.count(struct.pack("<d", _MARK)) == 1
        path.write_bytes(raw.replace(struct.pack("<d", _MARK), struct.pack("<Q", code)))
    return h, p


def _persons(**columns):
    import pandas as pd

    base = {
        "hhcode": [1, 1, 2],
        "age": [40, 8, 70],
        "employed": [1, 0, 0],
        "wage": [90_000.0, 0.0, 0.0],
        "business": [0.0, 0.0, 0.0],
        "property": [0.0, 0.0, 0.0],
        "pension": [0.0, 0.0, 0.0],
    }
    return pd.DataFrame({**base, **columns})


def test_read_stata_renames_in_one_file_with_a_prefixed_name(tmp_path):
    """A person file's ``wt`` (a person weight) beside the household file's
    ``wt`` could not be read: a rename applied to both files, and the error's
    advice (drop or rename it in persons) could not be followed."""
    import pandas as pd

    from commonprosperity import PopulationError
    from commonprosperity.survey import read_stata

    households = pd.DataFrame({"hhcode": [1, 2], "wt": [10.0, 5.0], "b1": [1, 0]})
    h, p = _stata_pair(tmp_path, households, _persons(wt=[9.0, 9.5, 4.0]))
    both = {"hhcode": "household_id", "wt": "weight", "b1": "urban"}
    with pytest.raises(PopulationError, match=r"columns=\{'persons.wt': None\}"):
        read_stata(h, p, both)
    pop = read_stata(h, p, {**both, "persons.wt": None})
    assert pop.weight.tolist() == [10.0, 5.0]
    assert pop.n_persons == 3
    # The household file's own name, the person file's left unprefixed: the
    # same population.
    only = {"hhcode": "household_id", "households.wt": "weight", "b1": "urban"}
    assert read_stata(h, p, only).weight.tolist() == [10.0, 5.0]
    with pytest.raises(PopulationError, match=r"'people.wt'.*'persons.'"):
        read_stata(h, p, {**both, "people.wt": None})
    with pytest.raises(PopulationError, match=r"'persons.wtx'.*no variable"):
        read_stata(h, p, {**both, "persons.wtx": None})


def test_read_stata_names_extended_missing_codes(tmp_path):
    """Stata's .a, .b ... were all reported as "missing (.)": a user searching
    the file for "." found nothing, and surveys give each code a meaning."""
    import pandas as pd

    from commonprosperity import PopulationError
    from commonprosperity.survey import read_stata

    columns = {"hhcode": "household_id", "wt": "weight", "b1": "urban"}
    households = pd.DataFrame({"hhcode": [1, 2], "wt": [10.0, 5.0], "b1": [1.0, _MARK]})
    h, p = _stata_pair(tmp_path, households, _persons(), {"households": _STATA_A})
    with pytest.raises(
        PopulationError, match=r"missing \.a \(1 row, e\.g\. rows \[1\]\)"
    ):
        read_stata(h, p, columns, recode={"urban": {1: True, 0: False}})
    households = pd.DataFrame({"hhcode": [1, 2], "wt": [10.0, 5.0], "b1": [1, 0]})
    persons = _persons(wage=[90_000.0, _MARK, float("nan")])
    h, p = _stata_pair(tmp_path, households, persons, {"persons": _STATA_A + (1 << 40)})
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, columns)
    message = str(info.value)
    assert "persons.wage must be finite" in message
    assert ". (1 row, e.g. rows [2]); .b (1 row, e.g. rows [1])" in message
    pop = read_stata(h, p, columns, recode={"wage": {None: 0.0}})
    assert pop.wage.tolist() == [90_000.0, 0.0, 0.0]


# ------------------------------------------------------------- simulate_path
def test_a_paths_wage_growth_is_carried_into_the_later_years():
    """``wages.growth_rate`` (extra wage growth of its year) vanished the next
    year of a path: income fell back to the path without it, T8 was judged on
    that fall, and 5 % in each of two years gave 5 % in all."""
    import dataclasses
    import warnings

    from commonprosperity import project, simulate, simulate_path
    from commonprosperity.baseline import baseline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pop = baseline(2024, n_households=1_500, seed=1)
    s25 = Scenario.status_quo(2025)
    s26 = s25.replace({"year": 2026})
    plain = {2024: Scenario.status_quo(2024), 2025: s25, 2026: s26}
    once = {**plain, 2025: s25.replace({"wages.growth_rate": 0.05})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = simulate_path(pop, plain)
        b = simulate_path(pop, once)
        # By hand: 2025's wages grown by 5 %, then projected to 2026 and
        # simulated under 2026's scenario (no extra growth of its own).
        p25 = project(pop, 2025)
        grown = dataclasses.replace(p25, wage=p25.wage * 1.05, _cache={})
        expected = simulate(project(grown, 2026), s26).indicators
    income = "per_capita_disposable_income"
    assert b.loc[2026, income] == pytest.approx(expected[income], rel=1e-12)
    assert b.loc[2026, income] > a.loc[2026, income] * 1.01
    assert b.loc[2025, income] == pytest.approx(
        simulate(p25, once[2025]).indicators[income], rel=1e-12
    )


def test_cli_advice_for_a_year_after_the_projections_last(tmp_path, capsys):
    """``run --year 2051`` advised a scenario file alone, which the embedded
    population (projected to 2050 at most) then refused."""
    from commonprosperity import cli

    assert cli.main(["run", "--year", "2051", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--population FILE.parquet" in err and "2050" in err
    assert cli.main(["run", "--year", "2040", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "give a scenario file (run on the projected population)" in err
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------- calibrate
def test_raking_to_person_totals_alone_does_not_depend_on_the_weights_scale():
    """Person margins alone made raking choose the number of households from
    the design weights' scale: sample weights of 1 raked to 64 million persons
    gave households of 5.6 persons, weights of 1e-6 of 2.5, both "converged"."""
    import numpy as np
    from scipy.optimize import brentq

    from commonprosperity import calibrate, synthetic_population

    pop = synthetic_population(400, seed=4)
    size = pop.size.astype(float)
    targets = {True: 0.722 * 64.68e6, False: 0.278 * 64.68e6}
    margins = {"persons": {"urban": targets}}
    # By hand: the design weights scaled to the persons total, then each area's
    # factor exp(size * lambda) solved on its own (its equation involves only
    # its households).
    d = np.ones(pop.n_households)
    c = sum(targets.values()) / np.sum(d * size)
    expected = np.empty(pop.n_households)
    for area, total in targets.items():
        m = pop.urban == area
        lam = brentq(
            lambda v, m=m, total=total: (
                np.sum(c * d[m] * size[m] * np.exp(size[m] * v)) - total
            ),
            -5.0,
            5.0,
            xtol=1e-15,
        )
        expected[m] = c * d[m] * np.exp(size[m] * lam)
    for scale in (1.0, 1e-6, 1e3):
        q = pop.with_weights(np.full(pop.n_households, scale))
        raked = calibrate(q, margins).weight
        np.testing.assert_allclose(raked, expected, rtol=1e-9)
        linear = calibrate(q, margins, method="linear").weight
        if scale == 1.0:
            reference = linear
        np.testing.assert_allclose(linear, reference, rtol=1e-12)


# ------------------------------------------------------------ reports, plots
def _two_city_urban_result():
    import pandas as pd

    from commonprosperity import Population, simulate

    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "weight": [100.0, 120.0, 90.0, 110.0],
            "urban": [True] * 4,
            "city": ["杭州", "杭州", "宁波", "宁波"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 3, 4, 4],
            "age": [40, 10, 35, 50, 30, 60],
            "employed": [True, False, True, True, True, False],
            "wage": [120_000.0, 0.0, 90_000.0, 150_000.0, 80_000.0, 0.0],
            "business": [0.0] * 6,
            "property": [0.0] * 6,
            "pension": [0.0, 0.0, 0.0, 0.0, 0.0, 40_000.0],
        }
    )
    return simulate(
        Population.from_frames(hh, pp, year=2024), Scenario.status_quo(2024)
    )


def test_figure_formats_given_twice_are_written_and_listed_once(tmp_path):
    """("png", "png", "PNG") drew every figure three times and listed each
    file three times among "the files written"; None was quoted as 'none'."""
    import matplotlib.pyplot as plt

    from commonprosperity import ArgumentError, plots, report

    result = _two_city_urban_result()
    written = report.write_run(
        result, tmp_path / "o", heading="h", formats=("png", "png", "PNG")
    )
    assert len(written) == len(set(written))
    assert sum(p.suffix == ".png" for p in written) == 4
    fig = plots.target_dashboard(result)
    assert plots.save(fig, tmp_path / "d", ("svg", "SVG")) == [tmp_path / "d.svg"]
    plt.close(fig)
    with pytest.raises(ArgumentError, match=r"got None$"):
        report.write_run(result, tmp_path / "p", heading="h", formats=("png", None))


def test_an_svg_only_report_links_its_figures(tmp_path):
    """report.md linked figures only when PNGs were written."""
    from commonprosperity import report

    result = _two_city_urban_result()
    report.write_run(result, tmp_path / "o", heading="h", formats=("svg",))
    text = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "![dashboard](dashboard.svg)" in text
    assert "![cities](cities.svg)" in text


def test_the_printout_says_why_a_target_is_not_judged_and_t5_over_which_cities():
    """T4 of an all-urban population printed "n/a" with its reason in report.md
    only; the dashboard and the city figure showed T5 "met" over 2 of the 11
    cities without a word."""
    import matplotlib.pyplot as plt

    from commonprosperity import plots, report

    result = _two_city_urban_result()
    text = report.summary_text(result, heading="h")
    assert "T4 needs both urban and rural households" in text
    fig = plots.target_dashboard(result)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("T5") and "(over 2 of the 11 cities)" in t for t in labels)
    plt.close(fig)
    fig = plots.target_dashboard(result.targets())  # a table, as read back
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("T5") and "(over 2 of the 11 cities)" in t for t in labels)
    plt.close(fig)
    fig = plots.city_bars(result)
    assert "over 2 of the 11 cities" in fig.axes[0].get_title(loc="left")
    plt.close(fig)


# ------------------------------------------------------------------- metrics
def _exact_top_share(x, w, p):
    """The top ``p``'s share in exact rational arithmetic (rows split at the cut)."""
    from fractions import Fraction

    total_w = sum(Fraction(v) for v in w)
    total_x = sum(Fraction(a) * Fraction(b) for a, b in zip(x, w, strict=True))
    need, taken, held = Fraction(p) * total_w, Fraction(0), Fraction(0)
    for i in sorted(range(len(x)), key=lambda i: x[i], reverse=True):
        take = min(Fraction(w[i]), need - taken)
        if take <= 0:
            break
        held += take * Fraction(x[i])
        taken += take
    return held / total_x


def test_a_small_top_share_keeps_its_precision():
    """The top group was measured as W - (1 - p) W: the top 1e-15 of equal
    incomes held 1.02e-15, the top 2**-60 held 0, and S80/S20 of equal incomes
    was below 1, which its docstring rules out."""
    import numpy as np

    from commonprosperity import metrics

    equal = np.ones(1000)
    for p in (1e-8, 1e-13, 1e-15, 2.0**-60):
        assert metrics.top_share(equal, None, p) == pytest.approx(p, rel=1e-14)
    assert metrics.s80_s20([5.0, 5.0, 5.0]) >= 1.0
    assert metrics.s80_s20([5.0, 5.0, 5.0]) == pytest.approx(1.0, rel=1e-15)
    assert metrics.palma([5.0, 5.0, 5.0]) == pytest.approx(0.25, rel=1e-15)
    rng = np.random.default_rng(48)
    for _ in range(60):
        n = int(rng.integers(1, 12))
        x = rng.lognormal(10.0, 1.0, n)
        w = rng.choice([1.0, 2.0, 3.5, 1e-3, 7.0], n)
        for p in (1e-9, 0.01, 0.1, 0.37, 0.9):
            exact = float(_exact_top_share(list(x), list(w), p))
            assert metrics.top_share(x, w, p) == pytest.approx(exact, rel=1e-13)


def test_margins_no_weights_can_meet_are_said_to_be_so():
    """Margins that contradict the data (an urban total below a city whose
    households are all urban) were answered "pass bounds or use raking", and
    bounds too narrow with "raise max_iter": neither could help."""
    import pandas as pd

    from commonprosperity import CalibrationError, Population, calibrate

    hh = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "weight": [40.0, 50.0, 45.0, 45.0],
            "urban": [True, False, True, True],
            "city": ["杭州", "杭州", "宁波", "宁波"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "age": [40] * 4,
            "employed": [True] * 4,
            "wage": [1.0] * 4,
            "business": [0.0] * 4,
            "property": [0.0] * 4,
            "pension": [0.0] * 4,
        }
    )
    pop = Population.from_frames(hh, pp)
    # 宁波's 80 households are all urban: an urban total of 10 cannot hold.
    margins = {
        "households": {
            "urban": {True: 10.0, False: 170.0},
            "city": {"杭州": 100.0, "宁波": 80.0},
        }
    }
    for method in ("raking", "linear"):
        with pytest.raises(CalibrationError, match="no weights >= 0 meet") as info:
            calibrate(pop, margins, method=method)
        assert "raise max_iter" not in str(info.value)
        assert "pass bounds" not in str(info.value)
    # Every cell reachable within the bounds, not all together: the urban
    # totals force 2 x and 0.5 x every weight, so 杭州 holds 25, not 30; weights
    # outside the bounds meet them (25, 5, 15, 5).
    equal = Population.from_frames(
        hh.assign(urban=[True, False, True, False], weight=10.0), pp
    )
    urban_then_city = {
        "households": {
            "urban": {True: 40.0, False: 10.0},
            "city": {"杭州": 30.0, "宁波": 20.0},
        }
    }
    assert calibrate(equal, urban_then_city, method="linear").converged
    for method in ("raking", "linear"):
        with pytest.raises(CalibrationError, match="widen the bounds") as info:
            calibrate(equal, urban_then_city, method=method, bounds=(0.5, 2.0))
        assert "outside them do" in str(info.value)


def test_a_section_built_directly_raises_a_scenario_error():
    """``Transfers(dibao_take_up=7)`` raised pydantic's ValidationError (no
    library error), while model_validate and model_copy raised ScenarioError."""
    s = Scenario.status_quo(2025)
    transfers = type(s.transfers)
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_take_up: must be <= 1"):
        transfers(**{**s.transfers.model_dump(), "dibao_take_up": 7})
    assert transfers(**s.transfers.model_dump()) == s.transfers
    # Nested in a Scenario the section's problems are named as before.
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_take_up"):
        Scenario(year=2025, transfers={"dibao_take_up": 7})


def test_a_paths_wage_carry_stops_at_its_last_year_and_names_itself():
    """The carry of wages.growth_rate ran after a path's last year too (a
    one-year path whose year simulate runs failed), and its error blamed "the
    projection to <year>"; project to 2050 with growth 0.9 warned 22 times."""
    import warnings

    import numpy as np

    from commonprosperity import Population, PopulationError, project, simulate_path
    from commonprosperity.baseline import baseline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pop = baseline(2024, n_households=1_500, seed=11)
    hh, pp = pop.to_frames()
    pp.loc[pp.index[0], "wage"] = 6e11
    big = Population.from_frames(hh, pp).with_year(2024)
    doubled = Scenario.status_quo(2024).replace({"wages.growth_rate": 1.0})
    one_year = simulate_path(big, {2024: doubled})
    assert np.isfinite(one_year.loc[2024, "per_capita_disposable_income"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            PopulationError,
            match=r"simulate_path: wages.growth_rate = 1.0 of 2024, carried into 2025",
        ):
            simulate_path(big, {2024: doubled, 2025: Scenario.status_quo(2025)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project(pop, 2030, growth=0.9)
    said = [str(w.message) for w in caught if "read as growth" in str(w.message)]
    assert len(said) == 1 and said[0].startswith("growth: ")


def test_sample_weights_against_population_totals_are_told_to_be_scaled():
    """Weights of 1 against totals in millions were told to widen the bounds,
    which would have had to reach 1e4."""
    import numpy as np

    from commonprosperity import CalibrationError, calibrate, synthetic_population

    pop = synthetic_population(500, seed=2).with_weights(np.ones(500))
    # Each city's households in the sample, times 20,000 and a little more or
    # less: totals of a population, not of the sample.
    cities, counts = np.unique(pop.city, return_counts=True)
    bump = np.where(np.arange(cities.size) % 2 == 0, 1.1, 0.9)
    totals = dict(zip(cities.tolist(), (counts * 20_000 * bump).tolist(), strict=True))
    with pytest.raises(CalibrationError) as info:
        calibrate(pop, {"households": {"city": totals}}, bounds=(0.2, 5.0))
    factor = sum(totals.values()) / 500
    assert f"population.weight * {factor:.6g}" in str(info.value)
    scaled = pop.with_weights(pop.weight * factor)
    assert calibrate(scaled, {"households": {"city": totals}}, bounds=(0.2, 5.0))


def test_cli_an_unknown_option_points_at_its_commands_help(capsys):
    """``run --bogus`` said "see commonprosperity --help", which lists no
    option of run."""
    from commonprosperity import cli

    assert cli.main(["run", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus (see commonprosperity run --help)" in (
        capsys.readouterr().err
    )


# -------------------------------------------------------------------- sweeps
def _sweep_frame(costs, ratios, dibao):
    import pandas as pd

    return pd.DataFrame(
        {
            "transfers.dibao_monthly": dibao,
            "urban_rural_ratio": ratios,
            "net_fiscal_cost": costs,
        }
    )


def test_sweep_figures_read_with_ranges_equal_costs_and_offsets():
    """A {start, stop, num} range labelled its ticks with six decimals each,
    equal costs drew an axis of 1e-17 bn yuan with the target "off the chart"
    beside its own tick, and a Gini axis read "1e-5+3.504e-1"."""
    import matplotlib.pyplot as plt
    import numpy as np

    from commonprosperity import plots
    from commonprosperity._sweep_plots import _tick_labels

    labels, _ = _tick_labels(list(np.linspace(1128.0, 4000.0, 20)))
    assert labels[:3] == ["1,128", "1,279", "1,430"]
    assert _tick_labels([1128.0, 1128.5, 1200.0])[0] == [
        "1,128.0",
        "1,128.5",
        "1,200.0",
    ]
    assert _tick_labels([0.05])[0] == ["0.05"]

    same = _sweep_frame(
        [1e-8, -1e-8, 0.0], [1.8154, 1.8154, 1.8154], [1128, 1200, 1300]
    )
    fig = plots.fiscal_frontier(same, "T4", levers=["transfers.dibao_monthly"])
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert high - low >= 1.0  # billion yuan, not the noise of the differences
    texts = " ".join(t.get_text() for t in ax.texts)
    shown = ax.get_xlim()
    assert ("off the chart" in texts) == (not min(shown) <= 1.9 <= max(shown))
    plt.close(fig)
    gini = _sweep_frame([0.0, 1.6e8], [0.3504357, 0.3504571], [1128, 1300])
    gini = gini.rename(columns={"urban_rural_ratio": "gini"})
    fig = plots.fiscal_frontier(gini, "gini")
    fig.canvas.draw()
    assert fig.axes[0].xaxis.get_offset_text().get_text() == ""
    plt.close(fig)


def test_sweep_report_says_the_cost_leaves_the_housing_fund_out():
    """The table's contributions include the housing fund and the cost does
    not: rebuilt from the table's columns the cost came out 70 % higher, and
    nothing said why."""
    from commonprosperity._sweep_report import column_units

    units = dict(
        column_units(["social_insurance_contributions", "net_fiscal_cost"], [])
    )
    assert "housing fund" in units["social_insurance_contributions"]
    assert "housing fund" in units["net_fiscal_cost"]


def test_heatmap_cells_tell_neighbouring_values_apart():
    """Cells of 60.18 to 60.23 % in four colours all read "60.2": the decimals
    told only the lowest cell from the highest (60.48)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from commonprosperity import plots

    frame = pd.DataFrame(
        {
            "transfers.dibao_monthly": [1100, 1100, 1500, 1500, 2000, 2000],
            "income_tax.basic_deduction": [60000, 72000] * 3,
            "band_share_100k_500k": [
                0.602066,
                0.601849,
                0.602290,
                0.602073,
                0.604777,
                0.604560,
            ],
        }
    )
    fig = plots.sweep_heatmap(
        frame,
        "transfers.dibao_monthly",
        "income_tax.basic_deduction",
        "band_share_100k_500k",
    )
    cells = {t.get_text() for t in fig.axes[0].texts}
    assert {"60.18", "60.23", "60.46", "60.48"} <= cells
    plt.close(fig)


def test_sweep_report_ranks_an_indicator_frontier_and_keeps_lever_digits(tmp_path):
    """A frontier given as urban_rural_ratio was judged against T4 in the figure
    but report.md listed no cheapest scenarios; lever values read "1279.16"
    beside "1,128" and the cheapest's 2,790.736842 as "2,790.74"; an SVG-only
    sweep linked no figure."""
    from commonprosperity import cheapest, report, sweep, synthetic_population
    from commonprosperity._sweepfile import read_sweep_file

    file = tmp_path / "s.toml"
    file.write_text(
        "year = 2024\n[grid]\n"
        '"transfers.dibao_monthly" = [1128, 1279.157895]\n'
        '"income_tax.basic_deduction" = [60000, 72000]\n'
        '[plots]\nfrontier = "urban_rural_ratio"\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    pop = synthetic_population(800, seed=2)
    frame = sweep(pop, spec.base, spec.grid, progress=False)
    report.write_sweep(
        frame,
        tmp_path / "out",
        spec=spec,
        heading="h",
        cheapest=cheapest,
        formats=("svg",),
    )
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Cheapest scenarios meeting T4" in md
    assert "1,279.157895" in md and "1279.16" not in md
    assert "![frontier](frontier.svg)" in md


# ---------------------------------------------------------------- Population
def test_a_population_year_is_an_int_its_pickle_has_no_cache_and_equals(tmp_path):
    """A NumPy year (dataclasses.replace, a frame's column) stayed one and
    write_parquet failed with a bare TypeError; a simulated population pickled
    its cache (12 % larger), which unpickling drops; == is identity, and the
    README's exact round trip had nothing to check it with."""
    import dataclasses
    import pickle

    import numpy as np

    from commonprosperity import simulate, synthetic_population
    from commonprosperity.survey import read_parquet, write_parquet

    pop = synthetic_population(300, seed=1)
    dated = dataclasses.replace(pop, year=np.int64(2021))
    assert type(dated.year) is int and dated.year == 2021
    write_parquet(dated, tmp_path / "p.parquet")
    back = read_parquet(tmp_path / "p.parquet")
    assert back.equals(dated) and not back.equals(pop)
    assert back != dated  # identity, as documented
    before = len(pickle.dumps(pop))
    simulate(pop, Scenario.status_quo(2024))
    assert pop._cache  # derived terms kept for the next call
    assert len(pickle.dumps(pop)) == before
    assert pickle.loads(pickle.dumps(pop)).equals(pop)
