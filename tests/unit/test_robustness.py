"""Numerical robustness: extreme incomes and weights, tiny populations, sums at scale.

Reference values are computed independently: per-household flows from
``tests/reference/numpy_model.py``, exact sums with :func:`math.fsum`, the exact
Gini with :class:`fractions.Fraction`, and an 80-bit (``np.longdouble``) Gini at
scale. ``CP_TEST_SMALL=1`` (the no-JIT coverage run) keeps every population at
2,000 households or fewer. The precision achieved is documented in
docs/precision.md; the bounds asserted here are the documented ones.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np
import pytest

from commonprosperity import (
    Population,
    PopulationError,
    Scenario,
    simulate,
    synthetic_population,
)
from commonprosperity._kernels.simulate import CHUNK
from commonprosperity.population import MAX_INCOME
from tests.conftest import HAND_POLICY, one_household
from tests.reference import numpy_model

SMALL = os.environ.get("CP_TEST_SMALL") == "1"
U = 2.0**-53  # unit roundoff of float64
#: Documented bound of a weighted total with non-negative terms: a chunk of CHUNK
#: households is summed left to right ((CHUNK - 1) u), the chunk sums are combined
#: with Neumaier compensation (2 u).
SUM_BOUND = (CHUNK - 1) * U + 2 * U


def _single_persons(
    wage=0.0,
    business=0.0,
    property=0.0,
    pension=0.0,
    weight=1.0,
    age=40,
    employed=None,
    urban=None,
    city="杭州",
):
    """One single-person household per element of the (broadcast) arguments."""
    wage, business, property, pension, weight, age = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=float)
            for v in (wage, business, property, pension, weight, age)
        )
    )
    n = wage.shape[0]
    ids = np.arange(1, n + 1)
    urban = np.arange(n) % 2 == 0 if urban is None else np.broadcast_to(urban, (n,))
    employed = wage > 0 if employed is None else np.broadcast_to(employed, (n,))
    return Population.from_arrays(
        {
            "household_id": ids,
            "weight": weight,
            "urban": urban,
            "city": np.broadcast_to(np.asarray(city, dtype=object), (n,)),
        },
        {
            "household_id": ids,
            "age": age.astype(np.int64),
            "employed": employed,
            "wage": wage,
            "business": business,
            "property": property,
            "pension": pension,
        },
    )


def _scale(pop, scenario):
    gross = pop.wage * 2 + np.abs(pop.business) + pop.property + pop.pension + 1e6
    return np.bincount(
        pop.person_household_index, weights=gross, minlength=pop.n_households
    )


def _assert_finite_or_explained(result):
    for name, value in result.indicators.items():
        if math.isnan(value):
            assert result.undefined.get(name), name
        else:
            assert math.isfinite(value), (name, value)


# ---------------------------------------------------------------- incomes
def test_incomes_from_zero_to_1e12_match_the_reference():
    levels = np.concatenate([[0.0], np.logspace(0, 12, 25)])
    levels[-1] = MAX_INCOME  # exactly the largest income allowed
    n = levels.size
    pop = _single_persons(
        wage=levels,
        business=np.where(np.arange(n) % 3 == 0, -levels, levels[::-1]),
        property=levels[::-1],
        pension=levels / 2,
    )
    for scenario in (Scenario.status_quo(2021), Scenario.from_dict(HAND_POLICY)):
        result = simulate(pop, scenario)
        _assert_finite_or_explained(result)
        flows = numpy_model.household_flows(pop, scenario)
        got = result.households
        tol = 1e-12 * _scale(pop, scenario)
        for column, expected in flows.items():
            assert np.all(np.abs(got[column].to_numpy() - expected) <= tol), column


def test_tax_on_the_largest_income_is_the_closed_form():
    """wage 1e12, HAND_POLICY: contributions on the ceiling 0.225 × 240,000 = 54,000,
    taxable 1e12 − 54,000 − 60,000 = 999,999,886,000, tax 45 % − 181,920."""
    result = simulate(
        one_household([{"age": 40, "wage": 1e12}]), Scenario.from_dict(HAND_POLICY)
    )
    row = result.households.iloc[0]
    assert row["contributions"] == 54_000.0
    expected_tax = 0.45 * 999_999_886_000.0 - 181_920.0
    assert row["iit"] == pytest.approx(expected_tax, rel=4 * U)
    assert row["disposable_income"] == pytest.approx(
        1e12 - 54_000.0 - expected_tax, rel=8 * U
    )


@pytest.mark.parametrize("level", [0.0, 1.0, 35_000.0, 1e6, 1e12])
def test_all_equal_incomes_give_a_gini_of_exactly_zero(level):
    """Persons of 70 with equal pensions (untaxed; a zero pension gets the equal
    residents' pension instead): the gap form of the Gini has only zero gaps, so G
    is 0.0 exactly. Ratios of equal per-capita incomes are 1 up to the rounding of
    their sums (SUM_BOUND each)."""
    n = 2_000 if SMALL else 5_000
    rng = np.random.default_rng(3)
    pop = _single_persons(
        pension=level,
        age=70,
        employed=False,
        weight=rng.uniform(0.5, 2.0, n),
        city=["杭州", "宁波"] * (n // 2),
    )
    scenario = Scenario.status_quo(2021).replace({"transfers.dibao_monthly": 0.0})
    result = simulate(pop, scenario)
    assert result.indicators["gini"] == 0.0
    for name in ("urban_rural_ratio", "city_max_min_ratio"):
        assert result.indicators[name] == pytest.approx(1.0, rel=4 * SUM_BOUND)


def test_everyone_on_the_dibao_is_perfect_equality():
    """No income at all, take-up 1: everyone is topped up to the same line."""
    pop = _single_persons(wage=np.zeros(300), age=30)
    scenario = Scenario.status_quo(2023).replace({"transfers.dibao_take_up": 1.0})
    result = simulate(pop, scenario)
    assert result.indicators["gini"] == 0.0
    assert result.indicators["per_capita_disposable_income"] == 12 * 974.0


def test_negative_mean_income_leaves_the_gini_undefined_not_wrong():
    pop = _single_persons(business=[-5e5, 1e3, 2e3], age=40)
    scenario = Scenario.status_quo(2021).replace({"transfers.dibao_monthly": 0.0})
    result = simulate(pop, scenario)
    assert result.indicators["per_capita_disposable_income"] < 0
    assert math.isnan(result.indicators["gini"])
    assert result.undefined["gini"]
    _assert_finite_or_explained(result)


# ------------------------------------------------------------- tiny inputs
def test_one_household():
    result = simulate(
        one_household([{"age": 40, "wage": 90_000}, {"age": 8}]),
        Scenario.status_quo(2022),
    )
    ind = result.indicators
    assert ind["gini"] == 0.0
    assert ind["urbanization_rate"] == 1.0
    for name in (
        "rural_per_capita_disposable_income",
        "urban_rural_ratio",
        "city_max_min_ratio",
    ):
        assert math.isnan(ind[name]) and result.undefined[name]
    assert set(result.undefined) == {k for k, v in ind.items() if math.isnan(v)}
    assert ind["per_capita_disposable_income"] == (
        result.households["disposable_income"].iloc[0] / 2
    )


def test_one_person():
    result = simulate(
        one_household([{"age": 30, "wage": 60_000}], urban=False),
        Scenario.status_quo(2025),
    )
    ind = result.indicators
    assert ind["gini"] == 0.0
    assert ind["urbanization_rate"] == 0.0
    assert ind["band_share_100k_500k"] in (0.0, 1.0)
    _assert_finite_or_explained(result)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Population.from_arrays(
            {"household_id": [], "weight": [], "urban": []},
            {
                "household_id": [],
                "age": [],
                "employed": [],
                "wage": [],
                "business": [],
                "property": [],
                "pension": [],
            },
        ),
        lambda: synthetic_population(3, seed=1).with_weights(np.zeros(3)),
        lambda: synthetic_population(3, seed=1).with_weights(
            np.array([0.0, -0.0, 0.0])
        ),
        lambda: synthetic_population(3, seed=1).with_weights(
            np.array([1.0, -1.0, 0.0])
        ),
    ],
    ids=["empty", "zero_weights", "signed_zero_weights", "weights_summing_to_zero"],
)
def test_empty_and_zero_weight_sum_inputs_error_cleanly(build):
    with pytest.raises(PopulationError, match=r"empty|weight"):
        build()


# ------------------------------------------------------------------ weights
def _exact_gini(x, w):
    """The population Gini Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ) in exact rationals."""
    fx = [Fraction(float(v)) for v in x]
    fw = [Fraction(float(v)) for v in w]
    order = sorted(range(len(fx)), key=fx.__getitem__)
    total_w = sum(fw)
    total_x = sum(a * b for a, b in zip(fw, fx, strict=True))
    below = Fraction(0)
    numerator = Fraction(0)
    for k in range(len(order) - 1):
        below += fw[order[k]]
        numerator += (fx[order[k + 1]] - fx[order[k]]) * below * (total_w - below)
    return numerator / (total_w * total_x)


def test_very_skewed_weights_1e_minus_6_to_1e9():
    n = 300
    rng = np.random.default_rng(11)
    base = synthetic_population(n, seed=11)
    weight = 10.0 ** rng.uniform(-6, 9, n)
    weight[:3] = (1e-6, 1e9, 1e-6)
    pop = base.with_weights(weight)
    scenario = Scenario.status_quo(2023)
    result = simulate(pop, scenario)
    hh = result.households
    d = hh["disposable_income"].to_numpy()
    persons = pop.weight * pop.size
    exact_pc = math.fsum(pop.weight * d) / math.fsum(persons)
    assert result.indicators["per_capita_disposable_income"] == pytest.approx(
        exact_pc, rel=4 * SUM_BOUND
    )
    exact_gini = float(_exact_gini(d / pop.size, persons))
    assert result.indicators["gini"] == pytest.approx(exact_gini, rel=1e-13)
    for name, column in (
        ("iit_revenue", ("iit", "business_tax", "property_tax")),
        ("social_insurance_contributions", ("contributions",)),
    ):
        exact = math.fsum(
            np.concatenate([pop.weight * hh[c].to_numpy() for c in column])
        )
        assert result.indicators[name] == pytest.approx(exact, rel=4 * SUM_BOUND)


def test_tiny_power_of_two_weights_change_no_bit():
    """Weights scaled by 2**-500 (about 3e-151): every ratio is bit-identical."""
    pop = synthetic_population(50, seed=4)
    scenario = Scenario.status_quo(2021)
    reference = simulate(pop, scenario).indicators
    tiny = simulate(pop.with_weights(pop.weight * 2.0**-500), scenario).indicators
    assert tiny["gini"] == reference["gini"]
    assert (
        tiny["per_capita_disposable_income"]
        == reference["per_capita_disposable_income"]
    )


@pytest.mark.parametrize("weight", [1e-200, 1e-300])
def test_tiny_weights_do_not_crash(weight):
    """W * X once underflowed to 0 in the Gini kernel (a ZeroDivisionError); simulate
    now scales the Gini weights by an exact power of two. Weights below 1e-300 are
    refused (test_input_probe_s28.py)."""
    pop = synthetic_population(20, seed=4)
    result = simulate(pop.with_weights(np.full(20, weight)), Scenario.status_quo(2021))
    _assert_finite_or_explained(result)
    equal = simulate(pop.with_weights(np.ones(20)), Scenario.status_quo(2021))
    # Equal weights: the Gini of weights 1 (a non-power-of-two scale rounds the
    # weights, hence a few ulps).
    assert result.indicators["gini"] == pytest.approx(
        equal.indicators["gini"], rel=1e-14
    )


def test_too_many_threads_is_our_error():
    import numba

    from commonprosperity import CommonProsperityError

    pop = synthetic_population(10, seed=1)
    for threads in (numba.config.NUMBA_NUM_THREADS + 1, 0, -1, True, 1.5, "2"):
        with pytest.raises(CommonProsperityError, match="threads"):
            simulate(pop, Scenario.status_quo(2021), threads=threads)


@pytest.mark.parametrize("indicator", ["urban_rural_ratio", "city_max_min_ratio"])
def test_a_ratio_that_would_overflow_is_undefined_not_infinite(indicator):
    """Found by hypothesis: take-up 5e-324 makes one group's per-capita income
    subnormal (6e-323 yuan) while the other's is 4 yuan: 4 / 6e-323 = inf."""
    # Household 1: a 60-year-old with the residents' pension (12 yuan a year);
    # household 2: a baby whose only income is the dibao top-up 5e-324 × 12.
    urban = [True, False] if indicator == "urban_rural_ratio" else [False, False]
    pop = Population.from_arrays(
        {
            "household_id": [1, 2],
            "weight": [1.0, 1.0],
            "urban": urban,
            "city": ["杭州", "宁波"],
        },
        {
            "household_id": [1, 2],
            "age": [60, 0],
            "employed": [False, False],
            "wage": [0.0, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        },
    )
    scenario = Scenario.status_quo(2021).replace(
        {
            "transfers.dibao_take_up": 5e-324,
            "transfers.dibao_monthly": 1.0,
            "transfers.residents_pension_monthly": 1.0,
            "transfers.child_allowance_monthly": 0.0,
        }
    )
    result = simulate(pop, scenario)
    value = result.indicators[indicator]
    assert math.isnan(value) and result.undefined[indicator]
    _assert_finite_or_explained(result)


# ---------------------------------------------------------- sums at scale
@pytest.fixture(scope="module")
def large():
    """1,000,000 households (2,000 when small), weights 1e-6 to 1e9, largest first:
    the order in which a plain running sum loses the most digits."""
    n = 2_000 if SMALL else 1_000_000
    pop = synthetic_population(n, seed=99)
    rng = np.random.default_rng(99)
    weight = np.sort(10.0 ** rng.uniform(-6, 9, n))[::-1]
    pop = pop.with_weights(weight)
    return pop, simulate(pop, Scenario.status_quo(2023))


def _errors(terms):
    """Relative errors of a left-to-right running sum and of np.sum (pairwise)."""
    exact = math.fsum(terms)
    running = float(np.cumsum(terms)[-1])
    return (
        exact,
        abs(running - exact) / abs(exact),
        abs(np.sum(terms) - exact) / abs(exact),
    )


def test_weighted_totals_at_scale_are_within_the_documented_bound(large):
    pop, result = large
    hh = result.households
    w = pop.weight
    checks = {
        "social_insurance_contributions": w * hh["contributions"].to_numpy(),
        "transfer_spending": np.concatenate(
            [
                w * hh[c].to_numpy()
                for c in ("dibao", "residents_pension", "child_allowance")
            ]
        ),
    }
    for name, terms in checks.items():
        exact, naive, pairwise = _errors(terms)
        got = result.indicators[name]
        error = abs(got - exact) / abs(exact)
        # Non-negative terms: condition number 1.
        assert error <= SUM_BOUND + 4 * U, (name, error, naive, pairwise)
    persons = w * pop.size
    exact_pc = math.fsum(w * hh["disposable_income"].to_numpy()) / math.fsum(persons)
    cond = math.fsum(np.abs(w * hh["disposable_income"].to_numpy())) / abs(
        math.fsum(w * hh["disposable_income"].to_numpy())
    )
    got = result.indicators["per_capita_disposable_income"]
    assert abs(got - exact_pc) / abs(exact_pc) <= (cond + 1) * SUM_BOUND + 4 * U
    exact_urban = math.fsum(persons[pop.urban]) / math.fsum(persons)
    assert (
        abs(result.indicators["urbanization_rate"] - exact_urban)
        <= (2 * SUM_BOUND + 4 * U) * exact_urban
    )


def test_gini_at_scale_matches_an_extended_precision_computation(large):
    pop, result = large
    x = (result.households["disposable_income"].to_numpy() / pop.size).astype(
        np.longdouble
    )
    w = (pop.weight * pop.size).astype(np.longdouble)
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    below = np.cumsum(ws)[:-1]
    total_w = np.sum(ws)
    numerator = np.sum(np.diff(xs) * below * (total_w - below))
    reference = float(numerator / (total_w * np.sum(ws * xs)))
    # The kernel's sums are compensated: a few ulps, independent of n.
    assert result.indicators["gini"] == pytest.approx(reference, rel=1e-13)
