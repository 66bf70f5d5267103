"""Crossed grids (transfer levers × policy levers) in bracket mode: three parts.

Each crossed grid must take the crossed path (``_sweep_crossed.crossed_outcome``)
and give every indicator of single ``simulate`` runs to 1e-12; a scenario's numbers
must not depend on which other scenarios are evaluated with it (Dask tasks); grids
that are not crossed take the usual path.
"""

import numpy as np
import pandas as pd
import pytest

import commonprosperity._sweep_crossed as crossed
import commonprosperity._sweep_engine as engine
from commonprosperity import Scenario, simulate
from commonprosperity.simulate import INDICATOR_NAMES
from commonprosperity.sweep import sweep

CROSSED = {
    "dibao x deduction": {
        "transfers.dibao_monthly": [800.0, 1_100.0, 1_500.0],
        "income_tax.basic_deduction": [60_000.0, 96_000.0],
    },
    # A contribution rate changes poor earners too: policy households that a
    # transfer setting changes (part 3's varying households).
    "pension and dibao x contribution rate": {
        "transfers.residents_pension_monthly": [200.0, 900.0],
        "transfers.dibao_monthly": [800.0, 1_500.0],
        "social_insurance.pension_rate": [0.06, 0.08],
    },
    "allowance and take-up x schedule": {
        "transfers.child_allowance_monthly": [0.0, 300.0],
        "transfers.dibao_take_up": [0.6, 1.0],
        "income_tax.rates[2]": [0.15, 0.3],
    },
    "dibao x property tax": {
        "transfers.dibao_monthly": [800.0, 1_500.0],
        "income_tax.property_rate": [0.1, 0.2, 0.3],
    },
    # Wage growth changes every household with a wage: those without one
    # (pensioners) are transfer-only.
    "dibao x wage growth": {
        "transfers.dibao_monthly": [800.0, 1_500.0],
        "wages.growth_rate": [0.02, 0.06],
    },
}

NOT_CROSSED = {
    "transfers only": {"transfers.dibao_monthly": [800.0, 1_100.0, 1_500.0]},
    "policy only": {"income_tax.basic_deduction": [60_000.0, 72_000.0, 96_000.0]},
}


# The histogram paths under test run from 32,768 rows; these populations are smaller.
pytestmark = pytest.mark.usefixtures("bins_at_any_size")


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


@pytest.fixture
def taken(monkeypatch):
    """Whether each call of the crossed path returned results."""
    calls = []
    original = crossed.crossed_outcome

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(crossed, "crossed_outcome", spy)
    return calls


def _assert_close(a, b, what):
    assert abs(a - b) <= 1e-12 * abs(b), f"{what}: {a!r} vs {b!r}"


def _check_against_simulate(chunked_population, base, grid):
    frame = sweep(chunked_population, base, grid, gini="bracket", progress=False)
    scenarios = engine._expand_grid(base, grid).scenarios
    for i, scenario in enumerate(scenarios):
        r = simulate(chunked_population, scenario, gini="bracket")
        for name in (*INDICATOR_NAMES, "gini_lower", "gini_upper"):
            _assert_close(frame[name].iloc[i], r.indicators[name], f"{i} {name}")
        exact = simulate(chunked_population, scenario).indicators["gini"]
        assert frame["gini_lower"].iloc[i] <= exact <= frame["gini_upper"].iloc[i]
    return frame


@pytest.mark.parametrize("kind", list(CROSSED))
def test_crossed_grids_take_the_crossed_path_and_equal_simulate(
    chunked_population, base, kind, taken
):
    _check_against_simulate(chunked_population, base, CROSSED[kind])
    assert taken == [True]


@pytest.mark.parametrize("kind", list(NOT_CROSSED))
def test_other_grids_take_the_usual_path(chunked_population, base, kind, taken):
    _check_against_simulate(chunked_population, base, NOT_CROSSED[kind])
    assert taken == [False]


def test_distinct_transfer_settings_take_the_usual_path(
    chunked_population, base, taken
):
    """A list in which no two scenarios share a transfer setting: nothing to share."""
    grid = [
        base.replace({"transfers.dibao_monthly": d, "income_tax.basic_deduction": b})
        for d, b in ((800.0, 60_000.0), (900.0, 60_000.0), (1_000.0, 96_000.0))
    ]
    sweep(chunked_population, base, grid, gini="bracket", progress=False)
    assert taken == [False]


def test_a_scenario_does_not_depend_on_the_others_evaluated_with_it(
    chunked_population, base
):
    """Parts of the grid (as Dask tasks get them) give the whole grid's numbers,
    bit for bit."""
    grid = CROSSED["pension and dibao x contribution rate"]
    scenarios = engine._expand_grid(base, grid).scenarios
    universe = engine._stack(scenarios)
    ordered = engine._ordered_for_sweep(chunked_population, base, universe, "bracket")
    whole = engine._evaluate(ordered, universe, "bracket", "household")
    for part in (np.array([5, 0, 6]), np.array([3]), np.array([7, 1, 2, 4])):
        some = engine._evaluate(
            ordered, universe.select(part), "bracket", "household", universe=universe
        )
        np.testing.assert_array_equal(some.totals, whole.totals[part])
        for field in ("gini", "lower", "upper"):
            np.testing.assert_array_equal(
                getattr(some, field), getattr(whole, field)[part]
            )


def test_a_bracket_too_wide_falls_back_to_all_the_rows(
    chunked_population, base, monkeypatch
):
    from commonprosperity._kernels import histogram

    monkeypatch.setattr(histogram, "BRACKET_WIDTH", 0.0)
    grid = CROSSED["dibao x deduction"]
    frame = sweep(chunked_population, base, grid, gini="bracket", progress=False)
    for i, s in enumerate(engine._expand_grid(base, grid).scenarios):
        g = simulate(chunked_population, s).indicators["gini"]
        _assert_close(frame["gini"].iloc[i], g, f"row {i}")
        assert frame["gini_lower"].iloc[i] <= g <= frame["gini_upper"].iloc[i]


def test_histograms_beyond_the_budget_take_the_usual_path(
    chunked_population, base, monkeypatch, taken
):
    monkeypatch.setattr(crossed, "HISTOGRAM_BYTES", 0)
    _check_against_simulate(chunked_population, base, CROSSED["dibao x deduction"])
    assert taken == [False]


def test_three_person_bands_and_progress(chunked_population, base):
    """The band basis reaches every part; progress counts every scenario once."""
    grid = CROSSED["dibao x deduction"]
    frame = sweep(
        chunked_population, base, grid, gini="bracket", band_basis="three_person"
    )
    scenarios = engine._expand_grid(base, grid).scenarios
    for i, scenario in enumerate(scenarios):
        r = simulate(
            chunked_population, scenario, gini="bracket", band_basis="three_person"
        )
        for name in INDICATOR_NAMES:
            _assert_close(frame[name].iloc[i], r.indicators[name], f"{i} {name}")
    universe = engine._stack([base, *scenarios])
    ordered = engine._ordered_for_sweep(chunked_population, base, universe, "bracket")
    counted = []
    engine._evaluate(ordered, universe, "bracket", "household", counted.append)
    assert sum(counted) == universe.n


def test_transfer_settings_in_blocks_share_the_rules(
    chunked_population, base, monkeypatch
):
    """More transfer settings than a block: the blocks start from the rules'
    flows computed once, bit for bit the numbers of computing them per block."""
    grid = {
        "transfers.dibao_monthly": [800.0 + 90.0 * i for i in range(7)],
        "income_tax.basic_deduction": [60_000.0, 96_000.0],
    }
    monkeypatch.setattr(crossed, "_block_size", lambda *args: 4)
    calls = []
    original = crossed._transfer_invariants
    monkeypatch.setattr(
        crossed,
        "_transfer_invariants",
        lambda *args: calls.append(1) or original(*args),
    )
    shared = _check_against_simulate(chunked_population, base, grid)
    assert calls
    monkeypatch.setattr(crossed, "_shares_invariants", lambda *args: False)
    alone = sweep(chunked_population, base, grid, gini="bracket", progress=False)
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
