"""Probe of row-order invariance and odd inputs (session 26): bugs found and fixed.

Each test names the input that went wrong; expected values are derived here by
hand or from the definition, not read back from the code under test.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity import cli, uncertainty
from commonprosperity.errors import (
    ArgumentError,
    CommonProsperityError,
    PopulationError,
    ScenarioError,
    TargetUnreachableError,
)
from commonprosperity.household import household
from commonprosperity.survey import write_parquet


def _frames(pc_wage, sizes, ids=None):
    """Households all urban in Hangzhou, weight 1; each member earns ``pc_wage``."""
    n = len(sizes)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    hh = pd.DataFrame(
        {"household_id": ids, "weight": 1.0, "urban": True, "city": "杭州"}
    )
    pp = pd.DataFrame(
        {
            "household_id": np.repeat(ids, sizes),
            "age": 45,
            "employed": False,
            "wage": pc_wage,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    return hh, pp


# ------------------------------------------------------------ household ids
def test_a_population_built_directly_refuses_duplicate_ids():
    """Two rows of one id became one household on a Parquet round trip."""
    hh, pp = _frames(30_000.0, [1, 1])
    pop = cp.Population.from_frames(hh, pp)
    with pytest.raises(PopulationError, match="household_id must be unique"):
        dataclasses.replace(pop, household_id=np.array([7, 7]), _cache={})


def test_a_population_built_directly_refuses_ids_beyond_2_pow_53():
    hh, pp = _frames(30_000.0, [1, 1])
    pop = cp.Population.from_frames(hh, pp)
    with pytest.raises(PopulationError, match="within ±2\\^53"):
        dataclasses.replace(pop, household_id=np.array([-(2**63), 2**62]), _cache={})
    # Distinct ids in any order are fine.
    ok = dataclasses.replace(pop, household_id=np.array([9, -4]), _cache={})
    assert ok.household_id.tolist() == [9, -4]


# ------------------------------------------------------- deciles and ties
def test_deciles_of_tied_households_do_not_depend_on_row_order():
    """Ten households at the same per-capita income: ids 0-4 alone, 5-9 couples.

    Ranked by id, the persons' cumulative midpoints over 15 persons are 0.5, 1.5,
    ..., 4.5 then 6, 8, ..., 14, i.e. positions (x 10 / 15) 0.33, 1, 1.67, 2.33,
    3, 4, 5.33, 6.67, 8, 9.33: deciles 1, 2, 2, 3, 4, 5, 6, 7, 9, 10.
    """
    hh, pp = _frames(30_000.0, [1] * 5 + [2] * 5)
    scenario = cp.Scenario.status_quo(2024)
    forward = cp.simulate(cp.Population.from_frames(hh, pp), scenario)
    backward = cp.simulate(
        cp.Population.from_frames(hh.iloc[::-1].reset_index(drop=True), pp),
        scenario,
    )
    want = [1, 2, 1, 1, 1, 1, 1, 0, 1, 1]
    assert forward.deciles()["households"].tolist() == want
    assert backward.deciles()["households"].tolist() == want
    pd.testing.assert_frame_equal(
        forward.by_group("decile"), backward.by_group("decile")
    )


# -------------------------------------------------------------- bootstrap
@pytest.mark.parametrize("design", [True, False])
def test_seeded_bootstrap_does_not_depend_on_row_order(design):
    pop = cp.synthetic_population(600, seed=2)
    hh, pp = pop.to_frames()
    if design:
        hh["stratum"] = hh["household_id"] % 5
        hh["psu"] = hh["household_id"] % 40
    scenario = cp.Scenario.status_quo(2024)
    a = cp.simulate(cp.Population.from_frames(hh, pp), scenario)
    b = cp.simulate(
        cp.Population.from_frames(hh.sample(frac=1.0, random_state=3), pp), scenario
    )
    ra = uncertainty.bootstrap(a, "gini", n=40, seed=11)
    rb = uncertainty.bootstrap(b, "gini", n=40, seed=11)
    np.testing.assert_allclose(ra.replicates, rb.replicates, rtol=1e-12, atol=0.0)


def test_bootstrap_strata_of_mixed_kinds_are_refused():
    r = cp.simulate(cp.synthetic_population(200, seed=1), cp.Scenario.status_quo(2024))
    strata = np.array([1, b"x"] * 100, dtype=object)
    with pytest.raises(ArgumentError, match="strata must hold values of one kind"):
        uncertainty.bootstrap(r, "gini", n=10, seed=1, strata=strata)


# ------------------------------------------------------------- household()
@pytest.mark.parametrize("key", ["wage", "age"])
def test_household_refuses_an_integer_too_large_for_a_float(key):
    member = {"age": 40, "wage": 50_000}
    member[key] = 10**400
    with pytest.raises(PopulationError, match=rf"members\[0\]\['{key}'\] is too"):
        household(2024, members=[member])


# ------------------------------------------------------------------- CLI
def test_cli_population_path_with_a_tilde_is_expanded(tmp_path, monkeypatch):
    """`--population=~/f.parquet` reaches the CLI unexpanded (no shell at '=')."""
    write_parquet(cp.synthetic_population(300, seed=1), tmp_path / "f.parquet")
    monkeypatch.setenv("HOME", str(tmp_path))
    pop = cli._read_population_file(cli.Path("~/f.parquet"))
    assert pop.n_households == 300


# ------------------------------------------------------------ sweep grids
@pytest.mark.parametrize(
    "grid",
    [
        {
            "income_tax.thresholds": [[0, 36000], [0.0, 36000.0]],
            "income_tax.rates": [[0.1, 0.2]],
        },
        {"transfers.dibao_monthly": [Decimal("1000"), 1000]},
        {"transfers.dibao_monthly": [Fraction(1000), 1000.0]},
    ],
)
def test_sweep_grid_values_equal_as_numbers_repeat(grid):
    pop = cp.synthetic_population(300, seed=1)
    with pytest.raises(ScenarioError, match="repeats the value"):
        cp.sweep(pop, cp.Scenario.status_quo(2024), grid, progress=False)


# --------------------------------------------------------------- Scenario
def test_scenario_with_a_positional_year_says_how_to_write_it():
    with pytest.raises(ScenarioError, match="keyword arguments only"):
        cp.Scenario(2024)


def test_scenario_model_construct_is_checked():
    assert cp.Scenario.model_construct(year=2024) == cp.Scenario.status_quo(2024)
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_monthly"):
        cp.Scenario.model_construct(year=2024, transfers={"dibao_monthly": -5})


# --------------------------------------------------------------- cheapest
@pytest.mark.parametrize("targets", ["T8", ["T4", "T10"]])
def test_cheapest_refuses_targets_a_one_year_sweep_cannot_judge(targets):
    pop = cp.synthetic_population(300, seed=1)
    frame = cp.sweep(
        pop,
        cp.Scenario.status_quo(2024),
        {"transfers.dibao_monthly": [1055, 1500]},
        progress=False,
    )
    with pytest.raises(ArgumentError, match="one year's simulation"):
        cp.cheapest(frame, targets)


# ------------------------------------------------------------------ solve
def test_solve_between_adjacent_subnormal_bounds_blames_no_xtol():
    pop = cp.synthetic_population(300, seed=1)
    with pytest.raises(TargetUnreachableError):
        cp.solve(
            pop,
            cp.Scenario.status_quo(2024),
            "transfers.dibao_monthly",
            "gini <= 0.01",
            (0, 5e-324),
        )


# ----------------------------------------------------------- GDP in targets
def test_targets_refuse_gdp_in_the_wrong_units():
    """GDP of 1 yuan over 66.7 m residents put a ratio of 4e12 in T10's note.

    The ratio is now left out of the note with the reason; T7 is GDP-unit free
    (labour compensation in the same units) and is judged. Judging T10 from it
    (a trend) is refused."""
    r = cp.simulate(
        cp.baseline(2024, n_households=2_000, seed=0), cp.Scenario.status_quo(2024)
    )
    t = r.targets(gdp=1.0, labour_compensation=0.5)
    assert "not shown" in t.loc["T10", "note"]
    assert "plausible ratio" in t.loc["T10", "note"]
    assert "4e+12" not in t.loc["T10", "note"]
    assert t.loc["T7", "value"] == 0.5
    with pytest.raises(ScenarioError, match="plausible ratio"):
        cp.evaluate_targets(
            r.indicators,
            residents=r.population.residents,
            gdp=1.0,
            trends={"T10": 0.01},
        )
    # Zhejiang 2024: GDP about 9.0e12 yuan, labour about half of it.
    t = r.targets(gdp=9.0e12, labour_compensation=4.5e12)
    assert t.loc["T7", "value"] == pytest.approx(0.5)


# ------------------------------------------------------ baseline city order
def test_baseline_cities_keep_the_published_order_of_their_incomes():
    """Published all-resident values (B grade) rank 宁波 above 绍兴 in 2022
    (68,348 against 65,760); the held-out 宁波 once fell below the anchored 绍兴.
    Every year's targets keep the order of the cities with published values."""
    from commonprosperity._statistics_cities import city_income_targets
    from commonprosperity._statistics_derived import disposable_income
    from commonprosperity._statistics_file import number
    from commonprosperity.published import CITIES

    for year in (2020, 2021, 2022):
        published = {}
        for city in CITIES:
            try:
                published[city] = number(disposable_income(year, "all", city=city))
            except CommonProsperityError:  # no published value that city and year
                continue
        targets = city_income_targets(year)["all"]
        by_published = sorted(published, key=published.get)
        by_target = sorted(published, key=lambda c: targets[c])
        assert by_target == by_published, year
    for year in (2022, 2023, 2024):
        targets = city_income_targets(year)["all"]
        assert targets["宁波"] > targets["绍兴"], year


# ------------------------------------------------------- working pensioner
def test_a_working_pensioner_is_not_an_employee_by_default():
    """2024, aged 66, pension 40,000, wage 20,000: past the retirement age work is
    not under a labour contract, so no minimum wage and no contributions; IIT on
    20,000 - 60,000 < 0 is 0, so disposable income is 40,000 + 20,000 = 60,000.
    Declared employed, the wage is raised to the Hangzhou urban minimum and pays."""
    hh = household(2024, members=[{"age": 66, "pension": 40_000, "wage": 20_000}])
    total = hh.loc["household"]
    assert total["contributions"] == 0
    assert total["wage"] == 20_000
    assert total["disposable_income"] == pytest.approx(60_000)
    employed = household(
        2024,
        members=[{"age": 66, "pension": 40_000, "wage": 20_000, "employed": True}],
    ).loc["household"]
    assert employed["wage"] > 20_000 and employed["contributions"] > 0


# ------------------------------------------------------------ pickle, copy
@pytest.mark.parametrize(
    "roundtrip",
    [
        lambda p: pickle.loads(pickle.dumps(p, protocol=2)),
        lambda p: pickle.loads(pickle.dumps(p, protocol=4)),
        copy.deepcopy,
    ],
)
def test_a_copied_population_stays_read_only(roundtrip):
    pop = cp.synthetic_population(300, seed=1)
    cp.simulate(pop, cp.Scenario.status_quo(2024))  # fills the caches
    again = roundtrip(pop)
    assert not again.weight.flags.writeable and not again.wage.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        again.weight[:10] *= 1000.0
    a = cp.simulate(pop, cp.Scenario.status_quo(2024)).indicators
    b = cp.simulate(again, cp.Scenario.status_quo(2024)).indicators
    pd.testing.assert_series_equal(a, b)


# ------------------------------------------------------------------- Dask
@pytest.mark.parametrize("address", ["tls://127.0.0.1:8786", "ucx://127.0.0.1:8786"])
def test_dask_addresses_needing_settings_are_refused_at_once(address):
    pytest.importorskip("distributed")
    pop = cp.synthetic_population(300, seed=1)
    with pytest.raises(ArgumentError, match=r"open the distributed\.Client yourself"):
        cp.sweep(
            pop,
            cp.Scenario.status_quo(2024),
            {"transfers.dibao_monthly": [900]},
            engine="dask",
            client=address,
            progress=False,
        )


# ------------------------------------------------------------------ plots
def test_fiscal_frontier_takes_one_lever_as_a_string_and_refuses_unknown_ones():
    from commonprosperity import plots

    pop = cp.synthetic_population(300, seed=1)
    frame = cp.sweep(
        pop,
        cp.Scenario.status_quo(2024),
        {"transfers.dibao_monthly": [900, 1200, 1500]},
        progress=False,
    )
    fig = plots.fiscal_frontier(frame, "T4", levers="transfers.dibao_monthly")
    assert fig is not None
    with pytest.raises(ArgumentError, match=r"\['transfers.dibao'\]"):
        plots.fiscal_frontier(frame, "T4", levers=["transfers.dibao"])


def test_plot_arguments_are_library_errors():
    from commonprosperity import plots

    with pytest.raises(ArgumentError, match="n_points"):
        plots.lorenz_points(np.ones(3), np.ones(3), n_points=1)
    with pytest.raises(CommonProsperityError, match="same length"):
        plots.lorenz_points(np.ones(3), np.ones(2))
    with pytest.raises(CommonProsperityError, match=">= 0"):
        plots.lorenz_points(np.ones(2), np.array([1.0, -1.0]))
    fig = plots.lorenz_curves(
        {
            "a": cp.simulate(
                cp.synthetic_population(200, seed=1), cp.Scenario.status_quo(2024)
            )
        }
    )
    with pytest.raises(ArgumentError, match="stem"):
        plots.save(fig, "")
    with pytest.raises(ArgumentError, match="stem"):
        plots.save(fig, None)
    with pytest.raises(ArgumentError):
        plots.lorenz_curves({})


def test_city_bars_of_negative_incomes_draw_no_ceiling_and_span_the_bars():
    """All incomes negative: the highest/lowest ratio is undefined, so no T5
    ceiling; the axis reaches every bar (each below zero) and zero."""
    from commonprosperity import plots

    hh, pp = _frames(0.0, [1, 1, 1])
    hh["city"] = ["杭州", "宁波", "温州"]
    pp["business"] = -50_000.0
    zero = cp.Scenario.status_quo(2024).replace(
        {"transfers.dibao_monthly": 0, "transfers.residents_pension_monthly": 0}
    )
    r = cp.simulate(cp.Population.from_frames(hh, pp), zero)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.city_bars(r)
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert low < r.city_per_capita.dropna().min() / 1e3 and high >= 0
    assert not any("ceiling" in line.get_label() for line in ax.get_lines())


def test_plot_helpers_refuse_what_is_not_numbers():
    from commonprosperity import plots

    with pytest.raises(ArgumentError, match="format_value"):
        plots.format_value("a", "yuan")
    with pytest.raises(ArgumentError, match="one length"):
        plots.pareto_front(np.ones(2), np.ones(1))
    frame = pd.DataFrame(
        {"a": [1, 1, 2, 2], "b": [1, 2, 1, 2], "label": ["w", "x", "y", "z"]}
    )
    with pytest.raises(ArgumentError, match="numeric column"):
        plots.sweep_heatmap(frame, "a", "b", "label")
