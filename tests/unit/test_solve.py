"""solve(): smallest lever value meeting a target, checked with simulate()."""

import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    Population,
    Scenario,
    ScenarioError,
    TargetUnreachableError,
    simulate,
    synthetic_population,
)
from commonprosperity.errors import CommonProsperityError
from commonprosperity.solve import solve
from commonprosperity.targets import BOUND_TOLERANCE, meets


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(1_200, seed=5)


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


def indicator(pop, base, lever, x, name):
    return simulate(pop, base.replace({lever: x})).indicators[name]


def test_dibao_lever_meets_gini_target(pop, base):
    lever, lo, hi = "transfers.dibao_monthly", 500.0, 2_500.0
    g_lo = indicator(pop, base, lever, lo, "gini")
    g_hi = indicator(pop, base, lever, hi, "gini")
    assert g_hi < g_lo  # more dibao, less inequality
    level = round(0.5 * (g_lo + g_hi), 4)
    xtol = 0.5
    x = solve(pop, base, lever, f"gini <= {level}", bounds=(lo, hi), xtol=xtol)
    assert lo < x <= hi
    assert indicator(pop, base, lever, x, "gini") <= level
    assert indicator(pop, base, lever, x - xtol, "gini") > level


def test_basic_deduction_lever_with_a_plan_target_id(pop, base):
    lever, lo, hi = "income_tax.basic_deduction", 40_000.0, 120_000.0
    pc_lo = indicator(pop, base, lever, lo, "per_capita_disposable_income")
    pc_hi = indicator(pop, base, lever, hi, "per_capita_disposable_income")
    assert pc_hi > pc_lo  # a higher deduction leaves more disposable income
    level = round(pc_lo + 0.3 * (pc_hi - pc_lo), 2)
    x = solve(pop, base, lever, f"T1 >= {level}", bounds=(lo, hi))
    xtol = 1e-6 * (hi - lo)  # the default
    assert indicator(pop, base, lever, x, "per_capita_disposable_income") >= level
    assert indicator(pop, base, lever, x - xtol, "per_capita_disposable_income") < level


def test_plan_target_alone_uses_its_own_level(pop, base):
    """T4: urban/rural ratio < 1.9. The synthetic population already meets it, so
    the smallest value in the bounds is the lower bound."""
    r = simulate(pop, base.replace({"transfers.dibao_monthly": 500.0}))
    assert r.indicators["urban_rural_ratio"] < 1.9
    x = solve(pop, base, "transfers.dibao_monthly", "T4", bounds=(500.0, 900.0))
    assert x == 500.0


def test_unreachable_target_names_both_bound_values(pop, base):
    lever, lo, hi = "transfers.dibao_monthly", 500.0, 1_000.0
    with pytest.raises(TargetUnreachableError) as info:
        solve(pop, base, lever, "gini <= 0.05", bounds=(lo, hi))
    msg = str(info.value)
    for x in (lo, hi):
        g = indicator(pop, base, lever, x, "gini")
        assert f"{g:.10g}" in msg
    assert "gini <= 0.05" in msg and "[500, 1000]" in msg


def two_household_population():
    """Wages 700,000 and 110,000: with wage growth -50 % the first household is in
    the 100k-500k band; at 0 % it is above it and the second below; at +25 % the
    second has moved in. The band share falls and rises again."""
    hh = pd.DataFrame(
        {
            "household_id": [1, 2],
            "weight": [1.0, 1.0],
            "urban": [True, True],
            "city": ["杭州", "杭州"],
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": [40, 40],
            "employed": [True, True],
            "wage": [700_000.0, 110_000.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    return Population.from_frames(hh, pp)


def test_non_monotone_indicator_is_detected(base):
    pop = two_household_population()
    lever = "wages.growth_rate"
    shares = [
        indicator(pop, base, lever, g, "band_share_100k_500k")
        for g in (-0.5, 0.0, 0.25)
    ]
    assert shares == [0.5, 0.0, 0.5]
    with pytest.raises(
        CommonProsperityError, match=r"not monotone in wages\.growth_rate"
    ):
        solve(pop, base, lever, "band_share_100k_500k >= 0.9", bounds=(-0.5, 1.0))
    # Met at lo already: lo is the smallest value meeting it, monotone or not.
    assert solve(pop, base, lever, "band_share_100k_500k >= 0.5", (-0.5, 1.0)) == -0.5


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("gini == 0.4", "is not understood"),
        ("gini", "needs a comparison and a number"),
        ("ginni <= 0.4", "unknown name 'ginni'"),
        ("T8", "cannot be judged from one year's simulation"),
        ("__import__('os').system('x')", "is not understood"),
        (0.4, "target must be a string"),
        # inf is met by anything: it returned the lower bound
        ("gini <= 1e999", "the number must be finite; got 1e999"),
        ("T2 >= 1e400", "the number must be finite"),
    ],
)
def test_target_errors(pop, base, target, fragment):
    with pytest.raises(CommonProsperityError) as info:
        solve(pop, base, "transfers.dibao_monthly", target, bounds=(500, 900))
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("lever", "bounds", "xtol", "fragment"),
    [
        ("year", (2020, 2022), None, "lever must be the dotted path of a number"),
        ("income_tax.rates", (0, 1), None, "must be a number field"),
        ("transfers.child_allowance_max_age", (0, 6), 0.5, "answer is exact"),
        ("transfers.child_allowance_max_age", (0.2, 0.8), None, "hold no integer"),
        ("transfers.dibao_monthly", (900, 500), None, "lo < hi"),
        ("transfers.dibao_monthly", (500, np.inf), None, "finite"),
        ("transfers.dibao_monthly", ("a", 1), None, "two numbers"),
        ("transfers.dibao_monthly", (500, 900), -1.0, "xtol must be a positive"),
    ],
)
def test_lever_and_bounds_errors(pop, base, lever, bounds, xtol, fragment):
    with pytest.raises(CommonProsperityError) as info:
        solve(pop, base, lever, "gini <= 0.4", bounds=bounds, xtol=xtol)
    assert fragment in str(info.value)


def test_invalid_bound_value_is_a_scenario_error(pop, base):
    with pytest.raises(ScenarioError, match=r"bounds: transfers.dibao_take_up = 1.5"):
        solve(pop, base, "transfers.dibao_take_up", "gini <= 0.4", bounds=(0.5, 1.5))


def test_unknown_lever_path_is_a_scenario_error(pop, base):
    with pytest.raises(ScenarioError, match=r"did you mean transfers\.dibao_monthly"):
        solve(pop, base, "transfers.dibao_montly", "gini <= 0.4", bounds=(500, 900))


def test_xtol_finer_than_the_floats_ends_at_adjacent_floats(pop, base):
    """xtol = 1e-300 cannot be met between floats near 1,000 (spacing 1.1e-13): the
    search stops at the smallest float meeting the target (it used to loop forever)."""
    lever, lo, hi = "transfers.dibao_monthly", 500.0, 2_500.0
    level = round(
        0.5
        * (
            indicator(pop, base, lever, lo, "gini")
            + indicator(pop, base, lever, hi, "gini")
        ),
        4,
    )
    x = solve(pop, base, lever, f"gini <= {level}", bounds=(lo, hi), xtol=1e-300)
    # Met as the target table judges (within BOUND_TOLERANCE of the bound is on
    # it: the smallest such x has a Gini about 1e-12 above the level).
    assert meets(indicator(pop, base, lever, x, "gini"), "<=", level)
    assert indicator(pop, base, lever, x, "gini") <= level + BOUND_TOLERANCE
    # 1e-3 yuan lower moves the Gini by about 5e-9, far above its rounding
    assert indicator(pop, base, lever, x - 1e-3, "gini") > level + 1e-9


def test_integer_lever_gives_the_smallest_integer(pop):
    """An integer lever (the child allowance's age limit) is searched over the
    integers; the answer is checked against simulate at every age in the bounds.
    """
    lever = "transfers.child_allowance_max_age"
    base = Scenario.status_quo(2025).replace(
        {"transfers.child_allowance_monthly": 800.0}
    )
    spending = {
        a: float(indicator(pop, base, lever, a, "transfer_spending"))
        for a in range(0, 18)
    }
    assert all(spending[a + 1] >= spending[a] for a in range(17))
    for want in (1, 8, 17):
        assert spending[want] > spending[want - 1]
        level = 0.5 * (spending[want - 1] + spending[want])
        x = solve(pop, base, lever, f"transfer_spending >= {level!r}", bounds=(0, 17))
        assert x == want and isinstance(x, int)
    # Fractional bounds take the integers inside them: 2.5 starts at 3 (the
    # level a hair below age 3's: solve's sums match simulate's to 1e-12).
    level = spending[3] * (1 - 1e-9)
    assert solve(pop, base, lever, f"transfer_spending >= {level!r}", (2.5, 17)) == 3
    with pytest.raises(TargetUnreachableError):
        solve(pop, base, lever, f"transfer_spending >= {2 * spending[17]!r}", (0, 17))


def test_a_lever_that_moves_nothing_is_named_as_such(base):
    """No wage reaches the top bracket (960k taxable): its rate changes no one.

    "not met" alone read as if the rate were too low.
    """
    from commonprosperity import Population

    few = Population.from_arrays(
        {"household_id": [1, 2], "weight": [10.0, 20.0], "urban": [True, False]},
        {
            "household_id": [1, 2],
            "age": [40, 35],
            "employed": [True, True],
            "wage": [150_000.0, 90_000.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        },
    )
    revenue = simulate(few, base).indicators["iit_revenue"]
    with pytest.raises(TargetUnreachableError) as info:
        solve(
            few,
            base,
            "income_tax.rates[6]",
            f"iit_revenue >= {2 * revenue}",
            bounds=(0.45, 0.9),
        )
    assert "the lever may change no household's income" in str(info.value)
    # A lever that moves the indicator but not enough says nothing of the kind.
    with pytest.raises(TargetUnreachableError) as info:
        solve(
            few,
            base,
            "income_tax.rates[1]",
            f"iit_revenue >= {100 * revenue}",
            bounds=(0.1, 0.15),
        )
    assert "changes no household" not in str(info.value)
