"""Figures: each shows what its title says, with the model's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from commonprosperity import Scenario, plots, simulate, synthetic_population
from commonprosperity.published import CITY_NAMES_EN
from commonprosperity.targets import TARGETS


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(3_000, seed=11)


@pytest.fixture(scope="module")
def base(pop):
    return simulate(pop, Scenario.status_quo(2025))


@pytest.fixture(scope="module")
def reform(pop):
    scenario = Scenario.status_quo(2025).replace(
        {"transfers.dibao_monthly": 1_600, "transfers.dibao_take_up": 0.8}
    )
    return simulate(pop, scenario)


@pytest.fixture(scope="module")
def sweep_frame(pop, base):
    """A small sweep frame built from single simulations (the sweep's layout)."""
    rows = []
    for dibao in (1_128, 1_500, 1_900):
        for deduction in (60_000, 80_000):
            s = Scenario.status_quo(2025).replace(
                {
                    "transfers.dibao_monthly": dibao,
                    "income_tax.basic_deduction": deduction,
                }
            )
            r = simulate(pop, s)
            rows.append(
                {
                    "transfers.dibao_monthly": dibao,
                    "income_tax.basic_deduction": deduction,
                    **r.indicators.to_dict(),
                    "net_fiscal_cost": base.fiscal["net_revenue"]
                    - r.fiscal["net_revenue"],
                }
            )
    return pd.DataFrame(rows)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# ---------------------------------------------------------------- Lorenz
def test_lorenz_points_are_the_exact_weighted_curve():
    income = np.array([4.0, 1.0, 3.0, 2.0])
    weight = np.array([1.0, 2.0, 1.0, 0.5])
    p, s = plots.lorenz_points(income, weight, n_points=5)
    assert p.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert s[0] == 0.0 and s[-1] == pytest.approx(1.0)
    # sorted incomes 1 (w 2), 2 (w .5), 3 (w 1), 4 (w 1): total weight 4.5, income 11
    cum_w = np.array([0, 2, 2.5, 3.5, 4.5]) / 4.5
    cum_x = np.array([0, 2, 3, 6, 10]) / 10
    assert np.allclose(s, np.interp(p, cum_w, cum_x), rtol=0, atol=1e-15)
    assert np.all(np.diff(s) >= 0) and np.all(s <= p + 1e-15)


def test_lorenz_gini_in_legend_matches_the_indicator(base, reform):
    fig = plots.lorenz_curves(
        {"status quo": base, "reform": reform}, gross="gross income"
    )
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"status quo (Gini {base.indicators['gini']:.4f})" in labels
    assert f"reform (Gini {reform.indicators['gini']:.4f})" in labels
    assert any(label.startswith("gross income (Gini") for label in labels)
    assert "Lorenz curves" in fig.get_suptitle()
    # the difference panel: the reform curve minus the status quo, in points of 100
    diff = fig.axes[1].lines
    ref_line = diff[1].get_ydata()
    assert np.allclose(ref_line, 0.0)
    # a larger dibao moves income to the bottom: its Lorenz curve is above
    assert diff[2].get_ydata()[1:-1].min() >= -1e-9
    assert diff[2].get_ydata().max() > 0


def test_exact_gini_of_gross_income_is_the_population_gini():
    x = np.array([0.0, 0.0, 10.0])
    assert plots._exact_gini(x, np.ones(3)) == pytest.approx(2 / 3, abs=1e-15)


def test_lorenz_needs_a_result():
    with pytest.raises(ValueError, match="at least one result"):
        plots.lorenz_curves({})


# ---------------------------------------------------------- distribution
def test_income_distribution_writes_the_band_shares(base):
    fig = plots.income_distribution(base)
    ax = fig.axes[0]
    assert ax.get_title(loc="left").startswith("Household disposable income,\n2025")
    texts = _texts(fig)
    ind = base.indicators
    assert any(
        t.startswith(
            f"100k–500k: {100 * ind['band_share_100k_500k']:.1f} % of households"
        )
        for t in texts
    )
    assert any(
        t.startswith(
            f"200k–600k: {100 * ind['band_share_200k_600k']:.1f} % of households"
        )
        for t in texts
    )
    bars = ax.containers[0]
    # every household is in one bin (negatives in the first, the top in the last)
    assert sum(b.get_height() for b in bars) == pytest.approx(100.0, rel=1e-9)


def test_three_person_basis_changes_the_axis(pop):
    r = simulate(pop, Scenario.status_quo(2025), band_basis="three_person")
    fig = plots.income_distribution(r)
    assert "three-person basis" in fig.axes[0].get_xlabel()


# -------------------------------------------------------------- dashboard
def test_dashboard_states_each_target_and_verdict(reform):
    table = reform.targets()
    fig = plots.target_dashboard(reform, label="reform")
    ax = fig.axes[0]
    texts = _texts(fig)
    for tid in table.index:
        assert any(t.startswith(f"{tid}  ") for t in texts), tid
    evaluated = table[table["met"].notna()]
    n_met = int(evaluated["met"].astype(bool).sum())
    assert f"{n_met} of {len(evaluated)} evaluated targets met" in ax.get_title(
        loc="left"
    )
    assert "reform" in ax.get_title(loc="left")
    assert sum("NOT MET" in t for t in texts) == len(evaluated) - n_met
    assert sum(t.startswith("not evaluated") for t in texts) == len(table) - len(
        evaluated
    )
    # one bar per evaluated target, its length the value as a share of the target
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0.3]
    assert len(bars) == len(evaluated)
    expected = sorted((evaluated["value"] / evaluated["target"]).clip(lower=0).tolist())
    got = sorted(b.get_width() for b in bars)
    assert np.allclose(got, expected, rtol=1e-12)
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.lines)
    # the targets are published figures: the figure cites the plan and its date
    source = fig.get_supxlabel()
    assert "Common Prosperity Demonstration Zone Implementation Plan" in source
    assert "2021–2025" in source and "25 June 2021" in source


def test_dashboard_with_gdp_evaluates_t7(base):
    fig = plots.target_dashboard(base, gdp=1e13, labour_compensation=5.2e12)
    assert any(t.startswith("52.0 % (target > 50.0 %): met") for t in _texts(fig))


# ----------------------------------------------------------------- cities
def test_city_bars_show_every_city_and_the_ratio(base):
    fig = plots.city_bars(base)
    ax = fig.axes[0]
    cities = base.city_per_capita
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == len(cities) == 11
    assert sorted(b.get_width() for b in bars) == pytest.approx(
        sorted(cities.to_numpy() / 1e3), rel=1e-12
    )
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert set(names) == {CITY_NAMES_EN[c] for c in cities.index}
    ratio = base.indicators["city_max_min_ratio"]
    assert f"highest/lowest = {ratio:.3f}" in ax.get_title(loc="left")
    assert cities.max() / cities.min() == pytest.approx(ratio, rel=1e-12)


@pytest.mark.parametrize("households", [3_000, 20_000])
def test_city_bars_legend_covers_no_bar_or_label(households):
    # The legend sat over the lowest bars and their yuan labels when the lowest
    # city's bar reached past the middle of the axes.
    result = simulate(
        synthetic_population(households, seed=1), Scenario.status_quo(2024)
    )
    fig = plots.city_bars(result)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text().strip().replace(",", "").isdigit()]
    assert len(labels) == 11
    for artist in [*labels, *(p for p in ax.patches if isinstance(p, Rectangle))]:
        assert not legend.overlaps(artist.get_window_extent(renderer))


# ---------------------------------------------------------------- sweeps
def test_heatmap_cells_are_the_indicator(sweep_frame):
    fig = plots.sweep_heatmap(
        sweep_frame, "transfers.dibao_monthly", "income_tax.basic_deduction", "gini"
    )
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    table = sweep_frame.pivot(
        index="income_tax.basic_deduction",
        columns="transfers.dibao_monthly",
        values="gini",
    )
    assert np.allclose(np.asarray(image), table.to_numpy(), rtol=0, atol=0)
    assert "gini by dibao_monthly and basic_deduction" in ax.get_title(loc="left")
    assert len(ax.texts) == table.size


def test_heatmap_outlines_cells_meeting_a_target(sweep_frame):
    fig = plots.sweep_heatmap(
        sweep_frame,
        "transfers.dibao_monthly",
        "income_tax.basic_deduction",
        "urban_rural_ratio",
    )
    ax = fig.axes[0]
    t4 = next(t for t in TARGETS if t.id == "T4")
    n_met = int((sweep_frame["urban_rural_ratio"] < t4.target).sum())
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(outlines) == n_met
    assert sum(t.get_text().endswith("\nmet") for t in ax.texts) == n_met
    assert "outlined: meets T4" in ax.get_title(loc="left")


def test_heatmap_rejects_bad_columns_and_ambiguous_pairs(sweep_frame):
    with pytest.raises(ValueError, match="'nope' not in the sweep frame"):
        plots.sweep_heatmap(sweep_frame, "transfers.dibao_monthly", "nope", "gini")
    doubled = pd.concat([sweep_frame, sweep_frame.assign(extra=1)])
    with pytest.raises(ValueError, match="several rows share each"):
        plots.sweep_heatmap(
            doubled, "transfers.dibao_monthly", "income_tax.basic_deduction", "gini"
        )


def test_pareto_front_is_undominated():
    rng = np.random.default_rng(5)
    v = rng.random(200)
    c = rng.random(200)
    front = plots.pareto_front(v, c)
    assert np.all(np.diff(c[front]) >= 0)
    for i in front:
        dominated = (v > v[i]) & (c < c[i])
        assert not dominated.any()
    others = np.setdiff1d(np.arange(200), front)
    for j in others:
        assert ((v >= v[j]) & (c <= c[j]) & ((v > v[j]) | (c < c[j]))).any()


def test_frontier_circles_the_cheapest_scenario_meeting_the_target(sweep_frame):
    fig = plots.fiscal_frontier(
        sweep_frame,
        "T4",
        levers=["transfers.dibao_monthly", "income_tax.basic_deduction"],
    )
    ax = fig.axes[0]
    title = ax.get_title(loc="left")
    assert title.startswith("Fiscal cost against urban_rural_ratio over 6 scenarios")
    meets = sweep_frame[sweep_frame["urban_rural_ratio"] < 1.9]
    if len(meets):
        cheapest = meets["net_fiscal_cost"].min() / 1e9
        assert f"the cheapest costs {cheapest:,.1f} bn yuan" in title
        assert any(f"cost {cheapest:,.1f} bn yuan" in t.get_text() for t in ax.texts)
    else:
        assert "no scenario of the sweep meets T4" in title
    assert "lower is better" in ax.get_xlabel()


def test_frontier_notes_a_target_far_off_the_chart(sweep_frame):
    fig = plots.fiscal_frontier(sweep_frame, "T1")
    texts = _texts(fig)
    assert any("T1 target ≥ 75,000 yuan: off the chart →" in t for t in texts)


# ------------------------------------------------------------------ save
def test_save_writes_png_and_svg_reproducibly(base, tmp_path):
    fig = plots.target_dashboard(base)
    first = plots.save(fig, tmp_path / "a")
    second = plots.save(plots.target_dashboard(base), tmp_path / "b")
    assert [p.name for p in first] == ["a.png", "a.svg"]
    assert first[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in first[1].read_bytes()[:500]
    assert first[0].read_bytes() == second[0].read_bytes()
    assert first[1].read_bytes() == second[1].read_bytes()


def test_save_rejects_unknown_format(base, tmp_path):
    with pytest.raises(ValueError, match="png, svg or pdf; got 'gif'"):
        plots.save(plots.city_bars(base), tmp_path / "x", formats=("gif",))
    assert not list(tmp_path.iterdir())


def test_format_value_units():
    assert plots.format_value(75_000.0, "yuan") == "75,000 yuan"
    assert plots.format_value(0.456, "share") == "45.6 %"
    assert plots.format_value(1.23456, "ratio") == "1.235"
    assert plots.format_value(float("nan"), "share") == "n/a"


def test_dashboard_shows_a_target_judged_without_a_value():
    from commonprosperity.targets import evaluate_targets

    frame = evaluate_targets(
        {"per_capita_disposable_income": 80_000.0},
        verdicts={"T8": (True, "income growth -2.00 % is not positive")},
    )
    fig = plots.target_dashboard(frame)
    texts = _texts(fig)
    assert "met: income growth -2.00 % is not positive" in texts
    assert frame.loc["T8", "met"] and np.isnan(frame.loc["T8", "value"])


# ------------------------------------------------------------------ sources
def test_every_figure_drawing_a_target_cites_the_plan(base, sweep_frame):
    """The targets are published figures: each figure drawing one cites the plan."""
    levers = ("transfers.dibao_monthly", "income_tax.basic_deduction")
    with_target = {
        "dashboard": plots.target_dashboard(base),
        "income bands": plots.income_distribution(base),
        "cities (T5)": plots.city_bars(base),
        "heatmap of a target": plots.sweep_heatmap(
            sweep_frame, *levers, "urban_rural_ratio"
        ),
        "frontier": plots.fiscal_frontier(sweep_frame, "T4"),
    }
    for name, fig in with_target.items():
        source = fig.get_supxlabel()
        assert "Implementation Plan (2021–2025)" in source, name
        assert "25 June 2021" in source, name
    # A figure without a plan target cites none.
    assert plots.sweep_heatmap(sweep_frame, *levers, "gini").get_supxlabel() == ""
    assert plots.lorenz_curves({"base": base}).get_supxlabel() == ""
