"""Probe of the report and plot front ends: undefined values, bad arguments, files.

Each test reproduces a failure found by probing (named in its docstring) and checks
the value or property that must hold instead.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from commonprosperity import Population, Scenario, plots, report, simulate
from commonprosperity.synthetic import synthetic_population
from commonprosperity.targets import evaluate_targets

RATES_LOW = (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45)
RATES_HIGH = (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.5)


@pytest.fixture(scope="module")
def result():
    # 1,000 households: far below the 2,000 of CP_TEST_SMALL=1.
    return simulate(synthetic_population(1_000, seed=1), Scenario.status_quo(2025))


@pytest.fixture(scope="module")
def broke():
    """Two households whose business losses make per-capita income negative."""
    hh = pd.DataFrame(
        {
            "household_id": [1, 2],
            "weight": [10.0, 5.0],
            "urban": [True, False],
            "city": ["杭州", "Lishui"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 1, 2],
            "age": [40, 8, 40],
            "employed": [False, False, False],
            "wage": [0.0, 0.0, 0.0],
            "business": [-5e6, 0.0, -5e6],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 0.0],
        }
    )
    return simulate(Population.from_frames(hh, pp), Scenario.status_quo(2025))


def _texts(fig):
    FigureCanvasAgg(fig).draw()
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _sweep_frame():
    """Two levers, one of list type; the indicator and cost set by hand."""
    rows = []
    for rates in (RATES_LOW, RATES_HIGH):
        for dibao, ratio, cost in ((1_128, 1.80, 0.0), (1_500, 1.70, 2e10)):
            extra = 0.01 if rates is RATES_HIGH else 0.0
            rows.append(
                {
                    "income_tax.rates": rates,
                    "transfers.dibao_monthly": dibao,
                    "urban_rural_ratio": ratio - extra,
                    "gini": 0.35 - extra,
                    "net_fiscal_cost": cost + 1e9 * (rates is RATES_HIGH),
                }
            )
    return pd.DataFrame(rows)


# ----------------------------------------------------------- undefined values
def test_undefined_gini_is_written_as_undefined_not_nan(broke):
    """summary_text and markdown_report printed "Gini ...: nan"."""
    assert np.isnan(broke.indicators["gini"])
    why = broke.undefined["gini"]
    text = report.summary_text(broke, heading="h", baseline=broke)
    line = next(x for x in text.splitlines() if x.startswith("Gini"))
    assert f": undefined ({why})" in line
    assert f"(status quo undefined ({why}))" in line
    assert "nan" not in line
    md = report.markdown_report(broke, heading="h")
    line = next(x for x in md.splitlines() if x.startswith("Gini"))
    assert f"over persons: undefined ({why});" in line and "nan" not in line


def test_dashboard_title_says_the_gini_is_undefined(broke):
    """The dashboard's title read "Gini nan (no target in the plan)"."""
    title = plots.target_dashboard(broke).axes[0].get_title(loc="left")
    assert title.endswith(f"Gini undefined: {broke.undefined['gini']}")
    assert "nan" not in title


def test_dashboard_writes_the_value_of_trend_targets():
    """T9 and T10 (target 0) showed "NOT MET: " and "met: " without their value."""
    frame = evaluate_targets(
        {"per_capita_disposable_income": 80_000.0},
        trends={"T9": 0.03, "T10": 0.01},
    )
    texts = _texts(plots.target_dashboard(frame))
    # T9: +0.03 is not < 0, gap 0.03 - 0 = 0.03; T10: +0.01 > 0 is met.
    # The gap to 4 decimals, as the target tables show it.
    assert "+0.0300 (target < 0 (trend)): NOT MET, gap 0.0300" in texts
    assert "+0.0100 (target > 0 (trend)): met" in texts
    assert "NOT MET: " not in texts and "met: " not in texts


# --------------------------------------------------------------------- files
def test_save_appends_the_suffix_to_a_dotted_stem(result, tmp_path):
    """save(fig, "run.v2") wrote run.png: with_suffix replaced ".v2"."""
    fig = plots.city_bars(result)
    assert plots.save(fig, tmp_path / "run.v2", ["png"]) == [tmp_path / "run.v2.png"]
    assert plots.save(fig, tmp_path / "x.png", ["svg"]) == [tmp_path / "x.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.v2.png", "x.svg"]


def test_save_takes_one_format_string_and_checks_all_formats_first(result, tmp_path):
    """formats="png" was read as "p", "n", "g"; ("png", "gif") left a PNG behind."""
    fig = plots.city_bars(result)
    assert plots.save(fig, tmp_path / "a", "png") == [tmp_path / "a.png"]
    with pytest.raises(ValueError, match=r"formats .*png, svg or pdf; got 'gif'"):
        plots.save(fig, tmp_path / "b", ("png", "gif"))
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
    with pytest.raises(FileNotFoundError, match="directory of stem"):
        plots.save(fig, tmp_path / "missing" / "c", "png")


def test_write_run_refuses_a_file_as_out_dir_and_leaves_it(result, tmp_path):
    """A file as out_dir failed after every figure, naming the scratch folder."""
    file = tmp_path / "taken"
    file.write_text("keep", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"out_dir '.*taken' exists and is not"):
        report.write_run(result, file, heading="h", formats="png")
    with pytest.raises(NotADirectoryError, match=r"'.*taken' is a file"):
        report.write_run(result, file / "sub", heading="h", formats="png")
    assert file.read_text(encoding="utf-8") == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # no scratch folder


def test_markdown_report_takes_one_figure_name(result):
    """figures="dashboard.png" embedded one image per character."""
    md = report.markdown_report(result, heading="h", figures="dashboard.png")
    images = [x for x in md.splitlines() if x.startswith("![")]
    assert images == ["![dashboard](dashboard.png)"]


# ------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: report.target_table("x"), "target_table: result must be a Result"),
        (lambda r: report.fiscal_table(r, r.fiscal), "baseline must be a Result"),
        (lambda r: report.deciles(None), "deciles: result must be a Result"),
        (lambda r: report.summary_text(r, heading=None), "heading must be a str"),
        (lambda r: plots.city_bars(None), "city_bars: result must be a Result"),
        (lambda r: plots.lorenz_curves(r), "results must be a mapping of label"),
        (lambda r: plots.target_dashboard("x"), "result must be a Result"),
    ],
)
def test_wrong_argument_types_name_the_argument(result, call, message):
    """Each raised AttributeError ("'str' object has no attribute ...")."""
    with pytest.raises(TypeError, match=message):
        call(result)


def test_value_errors_name_the_argument_and_what_is_allowed(result):
    """ZeroDivisionError, "arange: cannot compute length", KeyError, or a hang."""
    cases = [
        (lambda: plots.income_distribution(result, bin_width=0), "bin_width must be"),
        (lambda: plots.income_distribution(result, upper=np.nan), "upper must be"),
        # 800,000 bins took minutes
        (lambda: plots.income_distribution(result, bin_width=1), "at most 2,000"),
        (
            lambda: plots.lorenz_curves({"a": result}, gross="a"),
            "gross='a' is also a label",
        ),
        (
            lambda: plots.target_dashboard(pd.DataFrame({"value": [1.0]})),
            r"lacks the columns \['target'",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


# -------------------------------------------------------------------- sweeps
def test_heatmap_errors_name_the_argument():
    """x == y, an unknown fixed key and a fixed value without rows each crashed."""
    frame = _sweep_frame()
    d, r = "transfers.dibao_monthly", "income_tax.rates"
    with pytest.raises(ValueError, match="x and y must be two different levers"):
        plots.sweep_heatmap(frame, d, d, "gini")
    with pytest.raises(ValueError, match=r"fixed\['nope'\] not in the sweep frame"):
        plots.sweep_heatmap(frame, d, r, "gini", fixed={"nope": 1})
    with pytest.raises(ValueError, match=r"values present are .*1,128', '1,500'"):
        plots.sweep_heatmap(frame, d, r, "gini", fixed={d: 99})


def test_heatmap_and_frontier_take_list_levers():
    """float() of a tuple lever raised in the tick labels and the frontier label."""
    frame = _sweep_frame()
    d, r = "transfers.dibao_monthly", "income_tax.rates"
    ax = plots.sweep_heatmap(frame, d, r, "gini").axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # The element the lists differ in (whole lists overlapped; session 41).
    assert labels == ["[6] 0.45", "[6] 0.5"]
    assert ax.get_ylabel().endswith(": elements that differ")
    # A list lever held fixed: astype(float) of its tuples raised.
    g = "wages.growth_rate"
    three = pd.concat([frame.assign(**{g: 0.0}), frame.assign(**{g: 0.05})])
    fig = plots.sweep_heatmap(three, d, g, "gini", fixed={r: list(RATES_HIGH)})
    # every RATES_HIGH row has gini 0.35 - 0.01
    assert np.allclose(fig.axes[0].images[0].get_array(), 0.34, rtol=0, atol=1e-15)
    texts = _texts(plots.fiscal_frontier(frame, "T4", levers=[r, d]))
    # every row meets T4 (< 1.9); the cheapest costs 0: low rates, dibao 1,128
    assert any(
        "rates = [0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45]\ndibao_monthly = 1,128" in t
        for t in texts
    )


def test_heatmap_takes_a_target_id_as_fiscal_frontier_does():
    """indicator="T4" was "not in the sweep frame"; fiscal_frontier accepts it."""
    frame = _sweep_frame()
    d, r = "transfers.dibao_monthly", "income_tax.rates"
    by_id = plots.sweep_heatmap(frame, d, r, "T4").axes[0]
    by_name = plots.sweep_heatmap(frame, d, r, "urban_rural_ratio").axes[0]
    assert np.array_equal(by_id.images[0].get_array(), by_name.images[0].get_array())
    assert "outlined: meets T4" in by_id.get_title(loc="left")


def test_frontier_label_and_note_stay_clear_and_inside_the_figure():
    """The cheapest scenario's label ran off the right edge and was cut, and the
    off-the-chart note covered the circled scenario."""
    frame = pd.DataFrame(
        {
            "urban_rural_ratio": [1.60, 1.65, 1.70],
            "net_fiscal_cost": [4e10, 2e10, 0.0],
            "transfers.dibao_monthly": [1_900, 1_500, 1_128],
        }
    )
    fig = plots.fiscal_frontier(frame, "T4", levers=["transfers.dibao_monthly"])
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    page = fig.bbox
    label = next(t for t in ax.texts if "cost 0.0 bn yuan" in t.get_text())
    box = label.get_bbox_patch().get_window_extent(renderer)
    assert page.x0 <= box.x0 and box.x1 <= page.x1
    assert page.y0 <= box.y0 and box.y1 <= page.y1
    note = next(t for t in ax.texts if "off the chart" in t.get_text())
    # the cheapest scenario meeting T4 (< 1.9) is the last: 1.70 at cost 0
    point = ax.transData.transform((1.70, 0.0))
    assert not note.get_bbox_patch().get_window_extent(renderer).contains(*point)


def test_sweep_summary_of_concatenated_sweeps_with_missing_levers():
    """Two sweeps over different levers, concatenated, leave NaN lever cells:
    the cheapest scenario's lever list raised "cannot convert float NaN"."""
    a = pd.DataFrame(
        {"transfers.dibao_monthly": [1_128.0, 1_500.0], "urban_rural_ratio": [1.8, 1.7]}
    )
    b = pd.DataFrame(
        {"income_tax.basic_deduction": [80_000.0], "urban_rural_ratio": [1.85]}
    )
    frame = pd.concat(
        [a.assign(net_fiscal_cost=[0.0, 2e10]), b.assign(net_fiscal_cost=[-1e9])]
    )
    frame = frame.reset_index(drop=True)
    levers = ["transfers.dibao_monthly", "income_tax.basic_deduction"]
    table = report.sweep_summary(frame, levers)
    # All three meet T4 (< 1.9); the cheapest is b's row at -1e9 yuan.
    assert table.loc["T4", "scenarios_meeting"] == 3
    assert table.loc["T4", "cheapest_cost"] == -1e9
    assert table.loc["T4", "cheapest_levers"] == (
        "transfers.dibao_monthly = n/a, income_tax.basic_deduction = 80,000"
    )


def test_small_fiscal_totals_keep_their_digits():
    """Two households of weight 1: the totals are thousands of yuan, which read
    "0.00 bn" (and "-0.00 bn" for a net cost); they keep 3 significant digits."""
    hh = pd.DataFrame({"household_id": [1, 2], "weight": [1.0, 1.0], "urban": True})
    pp = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": [40, 40],
            "employed": [True, True],
            "wage": [300_000.0, 20_000.0],
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    r = simulate(Population.from_frames(hh, pp), Scenario.status_quo(2025))
    iit = float(r.fiscal["iit_revenue"])
    assert 0 < iit < 5e6  # below 0.005 bn
    text = report.summary_text(r, heading="small")
    net = float(r.fiscal["net_revenue"])
    assert 0 < abs(net) < 5e6
    for label, yuan in (("income tax revenue", iit), ("net revenue", net)):
        line = next(x for x in text.splitlines() if x.strip().startswith(label))
        shown = float(re.search(r"(-?[\d.]+) bn", line).group(1))
        # Three significant figures (the table's decimals, session 52).
        assert abs(shown - yuan / 1e9) <= 0.005 * abs(yuan / 1e9)
    assert "-0.00 bn" not in text


def test_a_baseline_on_another_population_is_refused(tmp_path):
    """A 2025 result with a 2024 "status quo" on another population got a status
    quo column, a change and a net fiscal cost mixing policy and population."""
    from commonprosperity import ArgumentError, Scenario, simulate, synthetic_population

    a = simulate(synthetic_population(300, seed=1), Scenario.status_quo(2024))
    b = simulate(synthetic_population(300, seed=2), Scenario.status_quo(2025))
    for call in (
        lambda: report.summary_text(b, heading="h", baseline=a),
        lambda: report.fiscal_table(b, a),
        lambda: report.write_run(b, tmp_path / "out", heading="h", baseline=a),
    ):
        with pytest.raises(ArgumentError, match="same population as result"):
            call()
    assert not (tmp_path / "out").exists()
    # The same population under two policies is the intended use.
    c = simulate(a.population, Scenario.status_quo(2025))
    assert report.fiscal_table(c, a).loc["net_fiscal_cost", "change"] == (
        a.fiscal["net_revenue"] - c.fiscal["net_revenue"]
    )


def test_a_scenario_labelled_like_the_status_quo_keeps_both_curves(
    tmp_path, monkeypatch
):
    """`run "status quo 2025.toml"`: one dict key overwrote the other, and the
    Lorenz figure showed the reform alone, labelled as the status quo."""
    pop = synthetic_population(800, seed=4)
    base = simulate(pop, Scenario.status_quo(2024))
    reform = simulate(
        pop, Scenario.status_quo(2024).replace({"transfers.dibao_monthly": 2_000})
    )
    seen = {}
    original = plots.lorenz_curves

    def spy(curves, **kwargs):
        seen.update(curves)
        return original(curves, **kwargs)

    monkeypatch.setattr(plots, "lorenz_curves", spy)
    report.write_run(
        reform,
        tmp_path / "o",
        heading="h",
        baseline=base,
        formats=("png",),
        label="status quo 2024",
    )
    assert set(seen) == {"status quo 2024", "status quo 2024 (scenario file)"}
    assert (
        seen["status quo 2024"] is base
        and seen["status quo 2024 (scenario file)"] is reform
    )


def _one_city_less(pop):
    """The same population with every household in no known city."""
    import dataclasses

    from commonprosperity.population import CITY_LABELS

    return dataclasses.replace(
        pop,
        city_code=np.full(pop.n_households, len(CITY_LABELS) - 1),
        _cache={},
    )


def test_a_rerun_removes_the_earlier_runs_figures_it_did_not_write(tmp_path):
    """cities.png of a run with cities stayed beside a rerun without them."""
    pop = synthetic_population(800, seed=4)
    sq = Scenario.status_quo(2024)
    out = tmp_path / "o"
    (out).mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    first = report.write_run(simulate(pop, sq), out, heading="h", formats=("png",))
    assert "cities.png" in {p.name for p in first}
    second = report.write_run(
        simulate(_one_city_less(pop), sq), out, heading="h", formats=("png",)
    )
    assert "cities.png" not in {p.name for p in second}
    assert not (out / "cities.png").exists()
    # Files that are not the library's outputs stay.
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(p.name for p in second), "notes.txt"]
    )


def test_a_directory_in_the_way_changes_nothing(tmp_path):
    """A folder named report.md: two new files had been moved in before it failed."""
    pop = synthetic_population(800, seed=4)
    out = tmp_path / "o"
    report.write_run(
        simulate(pop, Scenario.status_quo(2023)), out, heading="h", formats=("png",)
    )
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (out / "report.md").unlink()
    (out / "report.md").mkdir()
    del before["report.md"]
    with pytest.raises(IsADirectoryError, match=r"cannot write report\.md"):
        report.write_run(
            simulate(pop, Scenario.status_quo(2024)), out, heading="h", formats=("png",)
        )
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_markdown_tables_show_floats_as_people_write_them():
    """The sweep report's cheapest scenarios printed 1000.0 and 0.35230727215800284."""
    from commonprosperity._reportformat import markdown_table

    frame = pd.DataFrame(
        {
            "transfers.dibao_monthly": [1000.0, 72_000.0],
            "gini": [0.35230727215800284, 1e-7],
        }
    )
    text = markdown_table(frame, index=False)
    assert "| 1,000 | 0.352307 |" in text
    assert "| 72,000 | 1e-07 |" in text
