"""Independent checks of sweep, solve, cheapest and sweep files.

Every expected number comes from single :func:`simulate` runs or by hand, never
from the sweep's own output.
"""

from __future__ import annotations

import itertools
import math
import operator
import os
import re

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, simulate, synthetic_population
from commonprosperity._sweepfile import read_sweep_file
from commonprosperity.errors import (
    CommonProsperityError,
    ScenarioError,
    TargetUnreachableError,
)
from commonprosperity.solve import solve
from commonprosperity.sweep import cheapest, sweep
from commonprosperity.targets import TARGETS

REL = 1e-12
#: The no-JIT coverage run (CP_TEST_SMALL=1) runs the kernels as Python; the checks
#: made of many simulate runs take minutes there and cover no kernel line the rest
#: of the suite does not, so they run with JIT only.
many_simulates = pytest.mark.skipif(
    os.environ.get("CP_TEST_SMALL") == "1",
    reason="many simulate runs: JIT run only (CP_TEST_SMALL=1)",
)
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(2_000, seed=21)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= REL * max(abs(b), scale)


def _assert_rows_equal_simulate(pop, base, frame, scenarios, gini, band_basis):
    """Each row against its own simulate run: indicators, targets, fiscal cost."""
    assert len(frame) == len(scenarios)
    ref = simulate(pop, base, gini=gini, band_basis=band_basis).fiscal
    scale = max(abs(ref["iit_revenue"]), abs(ref["transfer_spending"]))
    for i, scenario in enumerate(scenarios):
        r = simulate(pop, scenario, gini=gini, band_basis=band_basis)
        for name, want in r.indicators.items():
            assert _close(frame[name].iloc[i], want), (i, name)
        targets = r.targets()
        for t in TARGETS:
            met, gap = targets.loc[t.id, "met"], targets.loc[t.id, "gap"]
            got = frame[f"{t.id}_met"].iloc[i]
            assert (pd.isna(got) and pd.isna(met)) or bool(got) == bool(met), (i, t.id)
            assert _close(frame[f"{t.id}_gap"].iloc[i], float(gap), 1.0), (i, t.id)
        f = r.fiscal
        cost = (
            (ref["iit_revenue"] - f["iit_revenue"])
            + (
                ref["social_insurance_fund_revenue"]
                - f["social_insurance_fund_revenue"]
            )
            + (f["transfer_spending"] - ref["transfer_spending"])
        )
        assert _close(frame["net_fiscal_cost"].iloc[i], cost, scale), i
        if gini == "bracket":
            exact = simulate(pop, scenario, band_basis=band_basis).indicators["gini"]
            assert frame["gini_lower"].iloc[i] <= exact <= frame["gini_upper"].iloc[i]


def _product(base, grid):
    paths = list(grid)
    return [
        base.replace(dict(zip(paths, combo, strict=True)))
        for combo in itertools.product(*grid.values())
    ]


# ------------------------------------------------------------- sweep vs simulate
MIXED_GRIDS = [
    {
        "wages.growth_rate": [0.0, 0.04],
        "wages.minimum_wage_monthly_tier2": [1500.0, 3000.0],
        "transfers.dibao_monthly": [835.0, 1400.0],
    },
    {
        "income_tax.rates[2]": [0.15, 0.3],
        "income_tax.basic_deduction": [60_000.0, 90_000.0],
        "social_insurance.base_ceiling_monthly": [17_880.75, 30_000.0],
    },
    {
        "transfers.child_allowance_max_age": [3, 17],
        "transfers.child_allowance_monthly": [0.0, 500.0],
        "transfers.dibao_take_up": [0.4, 0.9],
        "transfers.residents_pension_monthly": [200.0, 700.0],
    },
    {
        "income_tax.elderly_support_monthly": [0.0, 3_000.0],
        "social_insurance.pension_rate": [0.06, 0.1],
        "social_insurance.base_floor_monthly": [2_000.0, 5_000.0],
    },
]


@many_simulates
@pytest.mark.parametrize("grid", MIXED_GRIDS)
@pytest.mark.parametrize(
    ("gini", "band_basis"), [("exact", "household"), ("bracket", "three_person")]
)
def test_mixed_grid_rows_equal_simulate(pop, base, grid, gini, band_basis):
    frame = sweep(pop, base, grid, gini=gini, band_basis=band_basis, progress=False)
    scenarios = _product(base, grid)
    _assert_rows_equal_simulate(pop, base, frame, scenarios, gini, band_basis)
    # The lever columns hold the grid's values in product order.
    for path, column in zip(
        grid, zip(*itertools.product(*grid.values()), strict=True), strict=True
    ):
        assert frame[path].tolist() == list(column)


@many_simulates
def test_values_valid_only_together(pop, base):
    """A floor above the base's ceiling is valid with a higher ceiling."""
    grid = {
        "social_insurance.base_floor_monthly": [3_000.0, 20_000.0],
        "social_insurance.base_ceiling_monthly": [30_000.0, 40_000.0],
    }
    frame = sweep(pop, base, grid, progress=False)
    _assert_rows_equal_simulate(
        pop, base, frame, _product(base, grid), "exact", "household"
    )
    # Thresholds and rates of a new length only make sense together.
    grid = {
        "income_tax.thresholds": [[0.0, 50_000.0, 150_000.0, 300_000.0]],
        "income_tax.rates": [[0.03, 0.1, 0.2, 0.3]],
    }
    frame = sweep(pop, base, grid, gini="bracket", progress=False)
    _assert_rows_equal_simulate(
        pop, base, frame, _product(base, grid), "bracket", "household"
    )


def test_invalid_combination_names_both_values(pop, base):
    grid = {
        "social_insurance.base_floor_monthly": [3_000.0, 20_000.0],
        "social_insurance.base_ceiling_monthly": [10_000.0, 30_000.0],
    }
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, grid, progress=False)
    msg = str(info.value)
    assert "base_floor_monthly = 20000.0, social_insurance.base_ceiling_monthly" in msg
    assert "= 10000.0" in msg


def test_every_bad_value_of_several_levers_reported(pop, base):
    grid = {
        "transfers.dibao_monthly": [-1.0, 900.0, -2.0],
        "transfers.dibao_take_up": [0.5, 3.0],
    }
    with pytest.raises(ScenarioError) as info:
        sweep(pop, base, grid, progress=False)
    msg = str(info.value)
    for text in ("dibao_monthly = -1.0", "dibao_monthly = -2.0", "take_up = 3.0"):
        assert text in msg


def test_section_is_not_a_lever(pop, base):
    with pytest.raises(ScenarioError, match=r"transfers is a section.*dibao_monthly"):
        sweep(pop, base, {"transfers": [1.0]}, progress=False)


def test_list_of_scenarios_with_duplicates(pop, base):
    one = base.replace({"transfers.dibao_monthly": 1_300.0})
    both = base.replace(
        {"transfers.dibao_monthly": 1_300.0, "income_tax.rates[2]": 0.25}
    )
    scenarios = [one, one, base, both]
    frame = sweep(pop, base, scenarios, band_basis="three_person", progress=False)
    _assert_rows_equal_simulate(pop, base, frame, scenarios, "exact", "three_person")
    levers = [c for c in frame.columns if "." in c]
    assert sorted(levers) == ["income_tax.rates", "transfers.dibao_monthly"]
    assert frame["transfers.dibao_monthly"].tolist() == [1300.0, 1300.0, 835.0, 1300.0]
    # The base row costs nothing against itself.
    assert frame["net_fiscal_cost"].iloc[2] == 0.0


# -------------------------------------------------------------------------- solve
def _indicator(pop, base, lever, x, name):
    return simulate(pop, base.replace({lever: x})).indicators[name]


@many_simulates
@pytest.mark.parametrize(
    ("lever", "bounds", "name", "share"),
    [
        ("transfers.dibao_monthly", (500.0, 3_000.0), "gini", 0.4),
        ("income_tax.basic_deduction", (30_000.0, 200_000.0), "iit_revenue", 0.3),
    ],
)
def test_solve_meets_target_and_just_below_does_not(
    pop, base, lever, bounds, name, share
):
    lo, hi = bounds
    v_lo = _indicator(pop, base, lever, lo, name)
    v_hi = _indicator(pop, base, lever, hi, name)
    level = float(v_lo + share * (v_hi - v_lo))
    ops = ("<=", "<") if v_hi < v_lo else (">=", ">")
    xtol = 1e-6 * (hi - lo)
    for op in ops:
        x = solve(pop, base, lever, f"{name} {op} {level!r}", bounds)
        assert lo < x < hi
        assert _OPS[op](_indicator(pop, base, lever, x, name), level)
        assert not _OPS[op](_indicator(pop, base, lever, x - xtol, name), level)


@many_simulates
def test_solve_target_id_uses_plan_level(pop, base):
    """T1 with another level: per-capita income >= the level, by wage growth."""
    lever = "wages.growth_rate"
    level = 1.05 * float(
        _indicator(pop, base, lever, 0.0, "per_capita_disposable_income")
    )
    x = solve(pop, base, lever, f"T1 >= {level!r}", (0.0, 0.5), xtol=np.float32(1e-4))
    assert _indicator(pop, base, lever, x, "per_capita_disposable_income") >= level
    below = _indicator(pop, base, lever, x - 1e-4, "per_capita_disposable_income")
    assert below < level


def test_solve_unreachable_gives_both_bound_values(pop, base):
    lever = "transfers.dibao_monthly"
    with pytest.raises(TargetUnreachableError) as info:
        solve(pop, base, lever, "gini <= 0.05", (500.0, 3_000.0))
    for x in (500.0, 3_000.0):
        assert f"{_indicator(pop, base, lever, x, 'gini'):.10g}" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bounds": (3_000.0, 500.0)}, "lo < hi"),
        ({"bounds": (math.nan, 500.0)}, "lo < hi"),
        ({"bounds": (500.0,)}, "two numbers"),
        ({"bounds": (-100.0, 500.0)}, r"dibao_monthly = -100.0"),
        ({"xtol": True}, "xtol must be a positive number"),
        ({"xtol": -1.0}, "xtol must be a positive number"),
        ({"lever": "transfers.dibao_monthy"}, "dibao_monthly"),
        ({"lever": "income_tax.rates"}, "number field"),
        ({"target": "ginny <= 0.4"}, "unknown name 'ginny'"),
        ({"target": "gini == 0.4"}, "not understood"),
        ({"target": "gini"}, "needs a comparison"),
        ({"target": "T9"}, "cannot be judged"),
    ],
)
def test_solve_bad_arguments(pop, base, kwargs, match):
    args = {
        "lever": "transfers.dibao_monthly",
        "target": "gini <= 0.38",
        "bounds": (500.0, 3_000.0),
    } | kwargs
    with pytest.raises(CommonProsperityError, match=match):
        solve(pop, base, **args)


# ----------------------------------------------------------------------- cheapest
def test_cheapest_by_hand():
    frame = pd.DataFrame(
        {
            "T2_met": pd.array([True, True, pd.NA, True], dtype="boolean"),
            "T4_met": pd.array([True, False, True, True], dtype="boolean"),
            "net_fiscal_cost": [9.0, 1.0, 0.0, -3.0],
        }
    )
    assert cheapest(frame, ["T2", "T4"]).index.tolist() == [3, 0]
    assert cheapest(frame, "T4").index.tolist() == [3, 2, 0]
    assert cheapest(frame.iloc[:0], "T4").empty


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        (None, "targets must be a target id"),
        (4, "targets must be a target id"),
        (["T11"], "unknown target 'T11'"),
        ([], "targets is empty"),
    ],
)
def test_cheapest_bad_targets(targets, match):
    frame = pd.DataFrame({"T2_met": [True], "net_fiscal_cost": [0.0]})
    with pytest.raises(CommonProsperityError, match=match):
        cheapest(frame, targets)


def test_cheapest_needs_net_fiscal_cost():
    with pytest.raises(CommonProsperityError, match="net_fiscal_cost"):
        cheapest(pd.DataFrame({"T2_met": [True]}), "T2")


# --------------------------------------------------------------------- sweep files
def _read(tmp_path, text):
    file = tmp_path / "s.toml"
    file.write_text("year = 2021\n[grid]\n" + text)
    return read_sweep_file(file)


def test_sweep_file_values_valid_together(tmp_path):
    spec = _read(
        tmp_path,
        '"social_insurance.base_floor_monthly" = [20000]\n'
        '"social_insurance.base_ceiling_monthly" = [30000]\n',
    )
    assert spec.grid == {
        "social_insurance.base_floor_monthly": [20_000.0],
        "social_insurance.base_ceiling_monthly": [30_000.0],
    }


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('"year" = [2022]\n', "'year' cannot be a lever"),
        ('"transfers" = [3]\n', "is a section"),
        (
            '"income_tax.rates" = [3]\n',
            r"sweep one element, e\.g\. income_tax\.rates\[2\]",
        ),
        ('"transfers.dibao_take_up" = [0.5, 2, 3]\n', r"value 2:.*value 3:"),
    ],
)
def test_sweep_file_bad_grid(tmp_path, text, match):
    with pytest.raises(ScenarioError, match=match):
        _read(tmp_path, text)


@pytest.mark.parametrize(
    "grid, fragment",
    [
        (
            {"income_tax.rates[-1]": [0.4, 0.5], "income_tax.rates[6]": [0.3]},
            "both set item [6]",
        ),
        (
            {"income_tax.rates": [(0.03,) * 7], "income_tax.rates[6]": [0.3]},
            "overlap: set the whole list or its items, not both",
        ),
        (
            {"income_tax.rates[6]": [0.3], "income_tax.rates": [(0.03,) * 7]},
            "would replace the item",
        ),
    ],
)
def test_grid_paths_that_set_one_value_are_refused(pop, base, grid, fragment):
    # Each column would report a value while another path's value was simulated.
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        sweep(pop, base, grid, progress=False)


def test_cheapest_takes_conditions_on_indicators():
    """cheapest took only target ids, not solve's conditions ("gini <= 0.34")."""
    frame = pd.DataFrame(
        {
            "gini": [0.33, 0.35, np.nan, 0.34, 0.30],
            "band_share_100k_500k": [0.75, 0.9, 0.9, 0.71, 0.6],
            "T4_met": pd.array([True, True, True, False, True], dtype="boolean"),
            "net_fiscal_cost": [3.0, 1.0, 0.0, 2.0, 5.0],
        }
    )
    assert cheapest(frame, "gini <= 0.34").index.tolist() == [3, 0, 4]
    assert cheapest(frame, ["gini <= 0.34", "T4"]).index.tolist() == [0, 4]
    # T2's indicator at another level than its 80 %.
    assert cheapest(frame, "T2 >= 0.7").index.tolist() == [2, 1, 3, 0]
    with pytest.raises(CommonProsperityError, match="unknown name 'ginny'"):
        cheapest(frame, "ginny <= 0.3")
    with pytest.raises(CommonProsperityError, match=r"lacks column\(s\) \['gini'\]"):
        cheapest(frame.drop(columns="gini"), "gini <= 0.3")
