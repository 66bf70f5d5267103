"""sweep(): rows equal single simulate runs; determinism; inputs and their errors."""

import importlib
import threading

import numba
import numpy as np
import pandas as pd
import pytest

import commonprosperity._sweep_engine as engine
from commonprosperity import (
    Population,
    Scenario,
    ScenarioError,
    simulate,
    synthetic_population,
)
from commonprosperity.errors import CommonProsperityError
from commonprosperity.simulate import INDICATOR_NAMES
from commonprosperity.sweep import cheapest, sweep

GRID = {
    "transfers.dibao_monthly": [700.0, 1_300.0],
    "income_tax.basic_deduction": [60_000.0, 96_000.0],
}


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(1_500, seed=11)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


@pytest.fixture(scope="module")
def exact(pop, base):
    return sweep(pop, base, GRID, progress=False)


def scenario_of(base, row, paths):
    return base.replace({p: row[p] for p in paths})


def assert_close(a, b, what):
    if np.isnan(a) or np.isnan(b):
        assert np.isnan(a) and np.isnan(b), what
    else:
        assert abs(a - b) <= 1e-12 * abs(b), f"{what}: {a!r} vs {b!r}"


def test_rows_equal_single_simulate_runs(pop, base, exact):
    assert len(exact) == 4
    assert list(exact.columns[:2]) == list(GRID)
    base_fiscal = simulate(pop, base).fiscal
    for i, row in exact.iterrows():
        r = simulate(pop, scenario_of(base, row, GRID))
        for name in INDICATOR_NAMES:
            assert_close(row[name], r.indicators[name], f"row {i} {name}")
        t = r.targets()
        for tid in t.index:
            met = t.loc[tid, "met"]
            if pd.isna(met):
                assert pd.isna(row[f"{tid}_met"])
                assert np.isnan(row[f"{tid}_gap"])
            else:
                assert bool(row[f"{tid}_met"]) == bool(met)
                assert_close(row[f"{tid}_gap"], t.loc[tid, "gap"], f"row {i} {tid} gap")
        # Revenue lost (income taxes and social insurance; the housing fund is
        # the employees' savings) plus transfers added.
        cost = (
            base_fiscal["iit_revenue"]
            - r.fiscal["iit_revenue"]
            + base_fiscal["social_insurance_fund_revenue"]
            - r.fiscal["social_insurance_fund_revenue"]
            + r.fiscal["transfer_spending"]
            - base_fiscal["transfer_spending"]
        )
        scale = base_fiscal["social_insurance_contributions"]
        assert abs(row["net_fiscal_cost"] - cost) <= 1e-12 * scale


def test_grid_is_the_cartesian_product_in_order(exact):
    got = list(
        zip(
            exact["transfers.dibao_monthly"],
            exact["income_tax.basic_deduction"],
            strict=True,
        )
    )
    assert got == [
        (700.0, 60_000.0),
        (700.0, 96_000.0),
        (1_300.0, 60_000.0),
        (1_300.0, 96_000.0),
    ]


def test_fiscal_cost_signs_follow_the_levers(exact):
    # Higher dibao costs more; a higher basic deduction loses revenue.
    c = exact["net_fiscal_cost"].to_numpy()
    assert c[2] > c[0] and c[3] > c[1]
    assert c[1] > c[0] and c[3] > c[2]


def test_base_itself_costs_nothing(pop, base):
    f = sweep(pop, base, [base], progress=False)
    assert f["net_fiscal_cost"].tolist() == [0.0]
    # No lever differs from the base: no lever columns.
    assert f.columns[0] == INDICATOR_NAMES[0]


def test_three_person_band_basis_equals_simulate(pop, base):
    f = sweep(
        pop,
        base,
        {"transfers.dibao_monthly": [1_000.0]},
        band_basis="three_person",
        progress=False,
    )
    r = simulate(
        pop,
        base.replace({"transfers.dibao_monthly": 1_000.0}),
        band_basis="three_person",
    )
    for name in ("band_share_100k_500k", "band_share_200k_600k"):
        assert_close(f[name].iloc[0], r.indicators[name], name)


def test_bracket_mode_brackets_the_exact_gini(pop, base, exact):
    f = sweep(pop, base, GRID, gini="bracket", progress=False)
    for name in INDICATOR_NAMES:
        if name != "gini":
            np.testing.assert_allclose(f[name], exact[name], rtol=1e-12, atol=0)
    lo, hi, g = f["gini_lower"], f["gini_upper"], exact["gini"]
    assert ((lo <= g) & (g <= hi)).all()
    assert ((hi - lo) <= 1e-8).all()
    assert ((lo <= f["gini"]) & (f["gini"] <= hi)).all()


def test_bracket_mode_equals_simulate_bracket_when_available(pop, base):
    simulate_module = importlib.import_module("commonprosperity.simulate")
    if "bracket" not in getattr(simulate_module, "GINI_METHODS", ()):
        pytest.skip("simulate(gini='bracket') has not landed yet")
    f = sweep(
        pop, base, {"transfers.dibao_monthly": [900.0]}, gini="bracket", progress=False
    )
    r = simulate(pop, base.replace({"transfers.dibao_monthly": 900.0}), gini="bracket")
    for name in ("gini", "gini_lower", "gini_upper"):
        assert_close(f[name].iloc[0], r.indicators[name], name)


@pytest.mark.parametrize("gini", ["exact", "bracket"])
def test_bit_identical_on_one_and_two_threads(pop, base, gini):
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sweep(pop, base, GRID, gini=gini, progress=False)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = sweep(pop, base, GRID, gini=gini, progress=False)
    finally:
        numba.set_num_threads(previous)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_result_does_not_depend_on_the_block(pop, base, monkeypatch):
    """A scenario's row is the same whatever else is in its block."""
    whole = sweep(pop, base, GRID, progress=False)
    monkeypatch.setattr(engine, "MAX_BLOCK", 1)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 1)
    small = sweep(pop, base, GRID, progress=False)
    pd.testing.assert_frame_equal(whole, small, check_exact=True)


def test_list_of_scenarios_gives_the_same_rows(pop, base, exact):
    scenarios = [scenario_of(base, row, GRID) for _, row in exact.iterrows()]
    f = sweep(pop, base, scenarios, progress=False)
    assert list(f.columns[:2]) == [
        "income_tax.basic_deduction",
        "transfers.dibao_monthly",
    ]
    pd.testing.assert_frame_equal(
        f[exact.columns[2:]], exact[exact.columns[2:]], check_exact=True
    )


def test_list_field_lever_is_a_column_of_tuples(pop, base):
    rates = list(base.income_tax.rates)
    higher = [*rates[:-1], 0.5]
    f = sweep(pop, base, {"income_tax.rates": [rates, higher]}, progress=False)
    assert f["income_tax.rates"].tolist() == [tuple(rates), tuple(higher)]
    r = simulate(pop, base.replace({"income_tax.rates": higher}))
    assert_close(f["iit_revenue"].iloc[1], r.indicators["iit_revenue"], "iit_revenue")


def test_schedules_of_different_lengths_are_padded(pop, base):
    it = base.income_tax
    short = base.replace(
        {
            "income_tax.thresholds": list(it.thresholds[:3]),
            "income_tax.rates": list(it.rates[:3]),
        }
    )
    f = sweep(pop, base, [base, short], progress=False)
    for k, s in enumerate((base, short)):
        r = simulate(pop, s)
        assert_close(f["iit_revenue"].iloc[k], r.indicators["iit_revenue"], "iit")
        assert_close(f["gini"].iloc[k], r.indicators["gini"], "gini")


@pytest.mark.parametrize(
    ("grid", "fragments"),
    [
        (
            {"transfers.dibao_montly": [1]},
            ["transfers.dibao_montly", "unknown", "transfers.dibao_monthly"],
        ),
        ({}, ["grid is empty"]),
        (
            {"transfers.dibao_monthly": 1000},
            ["transfers.dibao_monthly", "list of values", "int"],
        ),
        ({"transfers.dibao_monthly": []}, ["transfers.dibao_monthly", "no values"]),
        (  # two rows per grid point, which sweep files refuse
            {"transfers.dibao_monthly": [1000, 1200, 1000.0]},
            ["transfers.dibao_monthly repeats the value(s) [1000.0]"],
        ),
        ({"year": [2021]}, ["year cannot be a lever"]),
        (
            {"transfers.dibao_monthly": [1000, -5, -7]},
            ["transfers.dibao_monthly = -5", "transfers.dibao_monthly = -7", ">= 0"],
        ),
        ({"income_tax.rates": [0.1]}, ["income_tax.rates", "list field"]),
        ({"transfers.dibao": [1000]}, ["renamed to transfers.dibao_monthly"]),
        (42, ["grid must be a mapping", "int"]),
        ([], ["empty list"]),
        ([Scenario.status_quo(2021), "x"], ["grid[1] must be a Scenario", "str"]),
        ([Scenario.status_quo(2022)], ["grid[0].year", "2021", "2022"]),
    ],
)
def test_grid_errors_name_key_allowed_and_found(pop, base, grid, fragments):
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, grid, progress=False)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_cross_field_errors_name_the_combination(pop, base):
    grid = {
        "social_insurance.base_floor_monthly": [3_000.0, 9_000.0],
        "social_insurance.base_ceiling_monthly": [8_000.0, 20_000.0],
    }
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, grid, progress=False)
    msg = str(info.value)
    assert "social_insurance.base_floor_monthly = 9000.0" in msg
    assert "base_ceiling_monthly = 8000.0" in msg
    assert "must be <= base_ceiling_monthly" in msg


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"engine": "spark"}, "engine must be one of ('threads', 'dask'); got 'spark'"),
        ({"gini": "approx"}, "gini must be one of ('exact', 'bracket'); got 'approx'"),
        ({"band_basis": "person"}, "band_basis must be one of"),
        ({"client": "tcp://127.0.0.1:1"}, "client= is only used with engine='dask'"),
    ],
)
def test_option_errors(pop, base, kwargs, fragment):
    with pytest.raises(CommonProsperityError, match=None) as info:
        sweep(pop, base, GRID, progress=False, **kwargs)
    assert fragment in str(info.value)


def test_type_errors(pop, base):
    with pytest.raises(
        TypeError, match="population must be a Population or the path of a Parquet file"
    ):
        sweep({}, base, GRID)
    with pytest.raises(TypeError, match="base must be a Scenario; got str"):
        sweep(pop, "2021", GRID)


def test_progress_bar_only_when_asked_or_interactive(pop, base, capsys):
    sweep(pop, base, {"transfers.dibao_monthly": [800.0]})
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    sweep(pop, base, {"transfers.dibao_monthly": [800.0]}, progress=True)
    assert "sweep" in capsys.readouterr().err


def test_interrupt_leaves_no_threads_and_no_changed_state(pop, base, monkeypatch):
    before = {id(a): a.copy() for a in (pop.weight, pop.wage, pop.offsets)}
    cache_keys = set(pop._cache)
    threads_before = threading.active_count()
    calls = {"n": 0}
    real = engine._pass_sums

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # base ordering pass, a first pass, then Ctrl-C
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "MAX_BLOCK", 2)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 1)
    monkeypatch.setattr(engine, "_pass_sums", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep(pop, base, GRID, progress=False)
    monkeypatch.setattr(engine, "_pass_sums", real)
    assert threading.active_count() == threads_before
    for a in (pop.weight, pop.wage, pop.offsets):
        np.testing.assert_array_equal(a, before[id(a)])
    # Only what a population derives of itself (run alone, this test's sweep is
    # the first pass over the module's population, and derives its terms).
    derived = {"tier", "person_weight", "size", "gini_weight", "gini_exponent", "cells"}
    assert set(pop._cache) <= cache_keys | derived
    # The population still sweeps to the same numbers.
    f = sweep(pop, base, {"transfers.dibao_monthly": [700.0]}, progress=False)
    r = simulate(pop, base.replace({"transfers.dibao_monthly": 700.0}))
    assert_close(f["gini"].iloc[0], r.indicators["gini"], "gini")


def test_cheapest_orders_rows_meeting_all_targets(exact):
    f = exact.copy()
    f["T2_met"] = pd.array([True, True, False, True], dtype="boolean")
    f["T4_met"] = pd.array([True, pd.NA, True, True], dtype="boolean")
    out = cheapest(f, targets=("T2", "T4"))
    qualifying = [0, 3]
    expected = sorted(qualifying, key=lambda i: f["net_fiscal_cost"].iloc[i])
    assert out.index.tolist() == expected
    assert cheapest(f, "T4").index.tolist() == sorted(
        [0, 2, 3], key=lambda i: f["net_fiscal_cost"].iloc[i]
    )


def test_cheapest_errors(exact):
    with pytest.raises(CommonProsperityError, match="unknown target 'T11'"):
        cheapest(exact, ("T2", "T11"))
    with pytest.raises(
        CommonProsperityError, match=r"lacks column\(s\) \['net_fiscal_cost'\]"
    ):
        cheapest(exact.drop(columns="net_fiscal_cost"))
    with pytest.raises(CommonProsperityError, match="targets is empty"):
        cheapest(exact, ())
    with pytest.raises(CommonProsperityError, match="got list"):
        cheapest([1, 2])


def test_kernel_totals_equal_aggregate_pass_bit_for_bit(pop, base):
    """Households in input order: each scenario's totals are those of
    aggregate_pass, bit for bit (same chunks, same sums, same order)."""
    from commonprosperity._kernels import simulate as K
    from commonprosperity.population import CITY_LABELS
    from commonprosperity.simulate import BAND_EDGES, _tiers

    scenarios = [
        base.replace(
            {
                "transfers.dibao_monthly": 600.0 + 150 * k,
                "income_tax.rates[2]": 0.15 + 0.02 * k,
            }
        )
        for k in range(5)
    ]
    for three in (False, True):
        got = engine._pass(engine._ordered(pop), engine._stack(scenarios), three)
        for k, s in enumerate(scenarios):
            a = s.as_arrays()
            want = K.aggregate_pass(
                pop.offsets,
                pop.household_id,
                pop.weight,
                pop.urban,
                pop.city_code,
                len(CITY_LABELS),
                _tiers(pop),
                pop.age,
                pop.employed,
                pop.wage,
                pop.business,
                pop.property,
                pop.pension,
                a.params,
                a.thresholds,
                a.rates,
                a.quick_deductions,
                a.business_thresholds,
                a.business_rates,
                a.business_quick_deductions,
                BAND_EDGES,
                three,
                np.empty(0),
            )
            np.testing.assert_array_equal(got[k], want)


# ------------------------------------------------------------- staged evaluation
STAGED_GRIDS = {
    "D": (
        {
            "transfers.dibao_monthly": [700.0, 1_300.0, 2_500.0],
            "transfers.residents_pension_monthly": [200.0, 900.0],
            "transfers.child_allowance_monthly": [0.0, 300.0],
        },
        "LEVEL_D",
    ),
    "T": (
        {
            "income_tax.rates[2]": [0.15, 0.25, 0.3],
            "income_tax.property_rate": [0.1, 0.2],
        },
        "LEVEL_T",
    ),
    "C": (
        {
            "income_tax.basic_deduction": [30_000.0, 60_000.0, 96_000.0],
            "social_insurance.pension_rate": [0.06, 0.08],
            "transfers.child_allowance_max_age": [3, 6],
        },
        "LEVEL_C",
    ),
    "mixed": (
        {
            "income_tax.elderly_support_share": [0.2, 0.9],
            "income_tax.rates[1]": [0.05, 0.12],
            "transfers.dibao_monthly": [900.0, 1_800.0],
        },
        "LEVEL_C",
    ),
    "W": (
        {
            "wages.growth_rate": [0.0, 0.05],
            "transfers.dibao_monthly": [900.0, 1_800.0, 2_400.0],
        },
        "LEVEL_W",
    ),
}


@pytest.mark.parametrize("kind", list(STAGED_GRIDS))
def test_staged_level_is_the_first_varying_group(pop, base, kind):
    from commonprosperity._kernels import sweep as kernels

    grid, level = STAGED_GRIDS[kind]
    stacked = engine._stack(engine._expand_grid(base, grid).scenarios)
    assert stacked.level() == getattr(kernels, level)
    # One scenario: nothing varies.
    assert engine._stack([base]).level() == kernels.LEVEL_D


@pytest.mark.parametrize("kind", list(STAGED_GRIDS))
@pytest.mark.parametrize("three", [False, True])
def test_staged_totals_equal_full_evaluation_bit_for_bit(
    pop, base, kind, three, monkeypatch
):
    """Each staged path gives the totals of the full rules, bit for bit, also with
    the per-capita output, on a sorted and an unsorted population."""
    from commonprosperity._kernels import sweep as kernels

    grid, _ = STAGED_GRIDS[kind]
    stacked = engine._stack(engine._expand_grid(base, grid).scenarios)
    for ordered in (engine._ordered(pop), engine._ordered_for_sweep(pop, base)):
        n = ordered.n_households
        pc = np.empty((stacked.n, n))
        staged = engine._pass(ordered, stacked, three, per_capita=pc)
        staged_no_pc = engine._pass(ordered, stacked, three)
        with monkeypatch.context() as m:
            m.setattr(engine._Stacked, "level", lambda self: kernels.LEVEL_W)
            pc_full = np.empty((stacked.n, n))
            full = engine._pass(ordered, stacked, three, per_capita=pc_full)
        np.testing.assert_array_equal(staged, full)
        np.testing.assert_array_equal(staged_no_pc, full)
        np.testing.assert_array_equal(pc, pc_full)


def _lane_grid(base):
    """LANES + 5 scenarios (two lane groups, the second padded) over levers of
    every group the lane pass runs, with schedules of several lengths."""
    from commonprosperity._kernels.sweep_lanes import LANES

    it = base.income_tax
    rates = list(it.rates)
    scenarios = []
    for k in range(LANES + 5):
        changes = {
            "income_tax.basic_deduction": 40_000.0 + 3_000.0 * k,
            "social_insurance.pension_rate": 0.05 + 0.002 * (k % 5),
            "income_tax.elderly_support_share": 0.1 * (k % 9),
            "transfers.dibao_monthly": 800.0 + 90.0 * (k % 7),
            "transfers.child_allowance_max_age": 3 + k % 4,
            "income_tax.property_rate": 0.2 - 0.01 * (k % 3),
        }
        if k % 4 == 1:
            changes["income_tax.thresholds"] = list(it.thresholds[:4])
            changes["income_tax.rates"] = [*rates[:3], rates[3] + 0.01 * k]
        scenarios.append(base.replace(changes))
    return scenarios


def _lanes_against_scalar(pop, base, stacked, three, monkeypatch, in_order=True):
    """The lane pass's and the scalar pass's totals and per-capita incomes, equal
    bit for bit, with persons not in household order (gathered per chunk) and,
    if ``in_order``, in it (read in place); returns the lane pass's totals."""
    assert stacked.lanes()
    plain = engine._ordered(pop)
    shuffled = np.random.default_rng(3).permutation(plain.n_households)
    orders = [engine._reorder(plain, shuffled, copy_persons=False)]
    if in_order:
        orders.append(engine._ordered_for_sweep(pop, base))
    for ordered in orders:
        n = ordered.n_households
        pc = np.empty((stacked.n, n))
        lanes = engine._pass(ordered, stacked, three, per_capita=pc)
        with monkeypatch.context() as m:
            m.setattr(engine._Stacked, "lanes", lambda self: False)
            pc_scalar = np.empty((stacked.n, n))
            scalar = engine._pass(ordered, stacked, three, per_capita=pc_scalar)
        np.testing.assert_array_equal(lanes, scalar)
        np.testing.assert_array_equal(pc, pc_scalar)
    return lanes


def test_lane_pass_equals_the_scenario_pass_bit_for_bit(pop, base, monkeypatch):
    """Levels C and T with the scenarios as SIMD lanes give the scalar pass's
    totals and per-capita incomes, bit for bit (three-person band basis; the
    household basis is in the staged tests above)."""
    from commonprosperity._kernels import sweep as kernels

    stacked = engine._stack(_lane_grid(base))
    assert stacked.level() == kernels.LEVEL_C
    _lanes_against_scalar(pop, base, stacked, True, monkeypatch)


def _wage_lane_grid(base):
    """LANES + 5 scenarios whose wage levers vary (level W): growth, and minimum
    wages high enough to lift many wages to them (ties for the best earner), with
    a basic deduction low enough that who takes the child deductions matters."""
    from commonprosperity._kernels.sweep_lanes import LANES

    return [
        base.replace(
            {
                "wages.growth_rate": 0.01 * (k % 7) - 0.02,
                "wages.minimum_wage_monthly_tier1": 2_000.0 + 150.0 * k,
                "wages.minimum_wage_monthly_tier3": 1_800.0 + 300.0 * (k % 3),
                "income_tax.basic_deduction": 20_000.0 + 500.0 * k,
                "transfers.dibao_monthly": 900.0 + 10.0 * k,
            }
        )
        for k in range(LANES + 5)
    ]


def test_wage_lanes_equal_the_scenario_pass_bit_for_bit(pop, base, monkeypatch):
    """Level W as lanes: each lane's adjusted wages, best earner and wage sum give
    the scalar pass's totals (the wage total among them) and per-capita incomes,
    bit for bit (household band basis; the three-person one is the C/T test's,
    the same household stage)."""
    from commonprosperity._kernels import simulate as K
    from commonprosperity._kernels import sweep as kernels

    stacked = engine._stack(_wage_lane_grid(base))
    assert stacked.level() == kernels.LEVEL_W
    # One order of the persons: the C/T test reads both, through the same code.
    lanes = _lanes_against_scalar(
        pop, base, stacked, False, monkeypatch, in_order=False
    )
    # The wage total differs between the lanes: it is each lane's own.
    assert len(np.unique(lanes[:, K.S_WAGE])) > 1


def _shared_flags(stacked):
    """``_shared_stages`` of the lane workspace of ``stacked``'s scenarios."""
    from commonprosperity._kernels import sweep as kernels
    from commonprosperity._kernels import sweep_lanes as SL

    n_groups = -(-stacked.n // SL.LANES)
    W = np.zeros(n_groups * SL._GROUP)
    SL._load_lanes(stacked.P, stacked.R, stacked.Q, stacked.BR, stacked.BQ, W)
    wage_lanes = True if stacked.level() == kernels.LEVEL_W else None
    return SL._shared_stages(W, n_groups, wage_lanes)


@pytest.mark.parametrize(
    ("changes", "shared"),
    [
        # Wage growth only: every stage but wages, contributions and income tax
        # is shared by the lanes (computed once per person).
        (lambda k: {"wages.growth_rate": 0.013 * k - 0.1}, (True, True, False)),
        # Down to -50 %: a wage times 0.5 may round to 0 (a subnormal one), so
        # the business tax, which asks whether the wage is 0, is the lanes'.
        (
            lambda k: {"wages.growth_rate": -0.5 + 0.01 * (k % 3)},
            (True, False, False),
        ),
        # Contribution rates (level C): the same, without wage lanes.
        (
            lambda k: {"social_insurance.pension_rate": 0.05 + 0.002 * k},
            (True, True, False),
        ),
        # The business schedule's deduction varies: the lanes' business tax.
        (
            lambda k: {
                "social_insurance.pension_rate": 0.05 + 0.002 * k,
                "income_tax.basic_deduction": 40_000.0 + 1_000.0 * k,
            },
            (True, False, False),
        ),
        # Property rate or residents' pension vary: the lanes' levies.
        (
            lambda k: {
                "wages.growth_rate": 0.01 * k,
                "income_tax.property_rate": 0.2 - 0.01 * (k % 2),
            },
            (False, True, False),
        ),
        (
            lambda k: {
                "wages.growth_rate": 0.01 * k,
                "transfers.residents_pension_monthly": 200.0 + k,
            },
            (False, True, False),
        ),
        # The property tax alone (level T), or with the dibao: contributions
        # and income tax are shared too.
        (lambda k: {"income_tax.property_rate": 0.1 + 0.01 * k}, (False, True, True)),
        (
            lambda k: {
                "income_tax.taxable_property_share": 0.1 + 0.01 * k,
                "transfers.dibao_monthly": 1_000.0 + 10.0 * k,
            },
            (False, True, True),
        ),
        # The business schedule alone: only the business tax is the lanes'.
        (
            lambda k: {
                "income_tax.business_rates": [0.05, 0.1, 0.2, 0.3, 0.35 + 0.01 * k]
            },
            (True, False, True),
        ),
        # The income-tax schedule: the lanes' income tax.
        (
            lambda k: {
                "income_tax.rates": [0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45 + 0.01 * k]
            },
            (True, True, False),
        ),
    ],
)
def test_stages_shared_by_every_lane_are_bit_for_bit(
    pop, base, changes, shared, monkeypatch
):
    """Stages whose parameters every lane shares are computed once per person
    and give the lanes' own totals and per-capita incomes, bit for bit; the
    flags say which stages are shared."""
    from commonprosperity._kernels.sweep_lanes import LANES

    # A child allowance, so that the allowance count shows in the incomes.
    base = base.replace({"transfers.child_allowance_monthly": 300.0})
    stacked = engine._stack([base.replace(changes(k)) for k in range(LANES + 3)])
    assert _shared_flags(stacked) == shared
    _lanes_against_scalar(pop, base, stacked, False, monkeypatch)


def test_lane_pass_needs_convex_schedules_of_at_most_kmax_lines(base):
    from commonprosperity._kernels.sweep_lanes import KMAX

    it = base.income_tax
    assert engine._stack(
        [base, base.replace({"income_tax.basic_deduction": 1.0})]
    ).lanes()
    falling = list(it.rates)
    falling[-1] = falling[-2] - 0.05
    assert not engine._stack(
        [base, base.replace({"income_tax.rates": falling})]
    ).lanes()
    long = base.replace(
        {
            "income_tax.thresholds": [40_000.0 * k for k in range(KMAX + 1)],
            "income_tax.rates": [0.01 * k for k in range(KMAX + 1)],
        }
    )
    assert not engine._stack([base, long]).lanes()
    # Both still sweep, by the scalar pass, to the single runs.
    pop = synthetic_population(400, seed=5)
    f = sweep(
        pop, base, [base.replace({"income_tax.rates": falling}), long], progress=False
    )
    for k, s in enumerate((base.replace({"income_tax.rates": falling}), long)):
        r = simulate(pop, s)
        assert_close(f["iit_revenue"].iloc[k], r.indicators["iit_revenue"], "iit")


@pytest.mark.parametrize("kind", list(STAGED_GRIDS))
def test_staged_rows_equal_single_simulate_runs(pop, base, kind):
    grid, _ = STAGED_GRIDS[kind]
    f = sweep(pop, base, grid, progress=False)
    for i in (0, len(f) // 2, len(f) - 1):
        row = f.iloc[i]
        r = simulate(pop, scenario_of(base, row, grid))
        for name in INDICATOR_NAMES:
            assert_close(row[name], r.indicators[name], f"{kind} row {i} {name}")


@pytest.mark.parametrize("three", [False, True])
def test_level_d_lanes_over_several_lane_groups_are_bit_for_bit(pop, base, three):
    """37 transfer scenarios (more than two lane groups of the level-D pass, the
    last one partial) on households with up to five residents' pensioners (the
    pass adds more than three one by one) equal the full rules bit for bit."""
    from commonprosperity._kernels import sweep as kernels

    households, persons = pop.to_frames()
    new_id = int(households["household_id"].max()) + 1
    households = pd.concat(
        [households, households.iloc[[0]].assign(household_id=new_id)],
        ignore_index=True,
    )
    elderly = pd.DataFrame(
        {
            "household_id": new_id,
            "age": [66, 70, 72, 75, 81],
            "employed": False,
            "wage": 0.0,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    with_five = Population.from_frames(
        households, pd.concat([persons, elderly], ignore_index=True)
    )
    scenarios = [
        base.replace(
            {
                "transfers.dibao_monthly": 600.0 + 37.0 * i,
                "transfers.residents_pension_monthly": 150.0 + 11.0 * (i % 5),
                "transfers.child_allowance_monthly": 50.0 * (i % 3),
            }
        )
        for i in range(37)
    ]
    stacked = engine._stack(scenarios)
    assert stacked.level() == kernels.LEVEL_D
    assert stacked.n > 2 * kernels.D_LANES
    ordered = engine._ordered(with_five)
    n = ordered.n_households
    pc = np.empty((stacked.n, n))
    staged = engine._pass(ordered, stacked, three, per_capita=pc)
    full_pc = np.empty((stacked.n, n))
    full = np.stack(
        [
            engine._pass(ordered, stacked.rows(k, k + 1), three, full_pc[k : k + 1])[0]
            for k in range(stacked.n)
        ]
    )
    np.testing.assert_array_equal(staged, full)
    np.testing.assert_array_equal(pc, full_pc)
    # The five pensioners' household gets five residents' pensions.
    last = simulate(with_five, scenarios[3]).households.iloc[-1]
    assert last["residents_pension"] == 5 * 12 * (150.0 + 11.0 * 3)


def test_every_parameter_is_in_exactly_one_group():
    from commonprosperity._kernels import layout
    from commonprosperity._kernels import sweep as kernels

    groups = kernels.GROUP_W + kernels.GROUP_C + kernels.GROUP_T + kernels.GROUP_D
    assert sorted(groups) == list(range(layout.N_PARAMS))


@pytest.mark.parametrize("three", [False, True])
def test_level_d_pass_from_shared_invariants_is_bit_for_bit(pop, base, three):
    """Transfers-only scenarios run from the rules' flows computed once
    (``transfer_invariants`` under another transfer setting) give the level-D
    pass's sums, compensations and per-capita incomes, bit for bit."""
    grid = {
        "transfers.dibao_monthly": [700.0, 1_400.0],
        "transfers.residents_pension_monthly": [150.0, 600.0],
        "transfers.child_allowance_monthly": [0.0, 250.0],
    }
    stacked = engine._stack(engine._expand_grid(base, grid).scenarios)
    ordered = engine._ordered_for_sweep(pop, base)
    n = ordered.n_households
    start = engine._pass_sums(ordered, stacked.rows(0, 1), three)
    shared = engine._transfer_invariants(ordered, engine._stack([base]), three)
    pc_shared = np.empty((stacked.n, n))
    pc_plain = np.empty((stacked.n, n))
    from_shared = engine._pass_sums(
        ordered, stacked, three, pc_shared, (start[0][0], start[1][0]), shared
    )
    plain = engine._pass_sums(
        ordered, stacked, three, pc_plain, (start[0][0], start[1][0])
    )
    for a, b in zip(from_shared, plain, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pc_shared, pc_plain)


def test_bracketed_sweeps_keep_the_households_own_order(chunked_population, base):
    """The histogram takes rows in any order: a bracketed sweep neither sorts the
    households by income nor copies the persons it leaves in place; the exact
    Gini's ordering does sort them."""
    pop = chunked_population
    plain = engine._ordered(pop)
    kept = engine._ordered_for_sweep(pop, base, gini="bracket")
    np.testing.assert_array_equal(kept.household_id, plain.household_id)
    assert kept.age is plain.age  # the persons are not copied
    by_income = engine._ordered_for_sweep(pop, base)
    assert not np.array_equal(by_income.household_id, plain.household_id)
    scenarios = engine._stack(
        [base.replace({"transfers.dibao_monthly": 700.0 + 50 * k}) for k in range(3)]
    )
    split = engine._ordered_for_sweep(pop, base, scenarios, "bracket")
    assert split.head is not None
    assert split.head.n_households + split.n_households == pop.n_households
    # Each part keeps the population's order.
    position = np.empty(plain.household_id.max() + 1, dtype=np.int64)
    position[plain.household_id] = np.arange(plain.n_households)
    for part in (split.head.household_id, split.household_id):
        assert (np.diff(position[part]) > 0).all()


def test_a_set_of_lever_values_is_refused():
    # The rows followed the set's hash order, not the order the values were given.
    pop = synthetic_population(500, seed=2)
    with pytest.raises(ScenarioError, match="not a set"):
        sweep(
            pop,
            Scenario.status_quo(2024),
            {"transfers.dibao_monthly": {1_300.5, 900.25, 1_000.0}},
            progress=False,
        )
