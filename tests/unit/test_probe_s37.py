"""Reproductions of the faults found by the probes of session 37, each beside a
check that the valid input still passes."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from commonprosperity import Population, Scenario, ScenarioError, simulate
from commonprosperity.metrics import gini


def _fraction_gini(income, weight) -> Fraction:
    """The weighted Gini from its definition, in exact rational arithmetic."""
    x = [Fraction(float(v)) for v in income]
    w = [Fraction(float(v)) for v in weight]
    total = sum(w)
    rows = list(zip(w, x, strict=True))
    mean = sum(wi * xi for wi, xi in rows) / total
    gaps = sum(wi * wj * abs(xi - xj) for wi, xi in rows for wj, xj in rows)
    return gaps / (2 * total * total * mean)


def _pensioners(weights, pensions) -> Population:
    n = len(weights)
    ids = list(range(1, n + 1))
    return Population.from_arrays(
        {"household_id": ids, "weight": weights, "urban": [True] * n},
        {
            "household_id": ids,
            "age": [30] * n,
            "employed": [False] * n,
            "wage": [0.0] * n,
            "business": [0.0] * n,
            "property": [0.0] * n,
            "pension": pensions,
        },
    )


@pytest.mark.parametrize(
    "weights, pensions",
    [
        # Weights 1e-300 and 1e12 are valid; scaled so that the largest person
        # weight is below 1, the smallest became 1e-313, and the histogram's
        # "bracket" lay entirely above the true Gini (and above 1).
        ([1e-300, 1e12], [1e9, 0.0]),
        ([1e-300, 1e12, 1e12], [1e9, 0.0, 1e5]),
        ([1e-290, 3.0, 5e11, 1e12], [1e9, 7.0, 0.0, 1e5]),
        # Ordinary weights: the histogram's own bracket, unchanged.
        ([1.0, 2.0, 3.0], [1e4, 5e4, 2e5]),
    ],
)
def test_bracketed_gini_holds_the_true_gini_at_weights_far_apart(weights, pensions):
    scenario = Scenario.status_quo(2024).replace({"transfers.dibao_monthly": 0.0})
    result = simulate(_pensioners(weights, pensions), scenario, gini="bracket")
    households = result.households
    assert np.array_equal(households["disposable_income"], pensions)
    truth = _fraction_gini(pensions, weights)
    low, high = result.indicators["gini_lower"], result.indicators["gini_upper"]
    assert Fraction(low) <= truth <= Fraction(high)
    assert high - low <= 1e-8
    bracket = gini(np.array(pensions), weight=np.array(weights), method="bracket")
    assert Fraction(bracket.lower) <= truth <= Fraction(bracket.upper)


@pytest.mark.parametrize(
    "value",
    [np.complex128(1200 + 5j), np.complex64(1200), np.array(1200 + 0j), 1200 + 5j],
)
def test_complex_numbers_are_refused_as_scenario_values(value):
    base = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError, match="must be a real number"):
        base.replace({"transfers.dibao_monthly": value})
    with pytest.raises(ScenarioError, match=r"income_tax\.rates\[2\]"):
        base.replace({"income_tax.rates[2]": value})
    # Real NumPy scalars still pass.
    assert base.replace({"transfers.dibao_monthly": np.float32(1200)}) is not None


@pytest.mark.parametrize(
    "path", ["transfers.income_tax.basic_deduction", "wages.transfers.dibao_monthly"]
)
def test_a_section_nested_in_another_is_named_as_a_section(path):
    with pytest.raises(ScenarioError) as info:
        Scenario.status_quo(2024).replace({path: 1})
    inner = path.split(".")[1]
    outer = path.split(".")[0]
    assert f"{inner} is a section of its own, not part of {outer}" in str(info.value)
    assert f"[{inner}] at the top level" in str(info.value)


def test_a_section_nested_in_another_in_a_file_is_named(tmp_path):
    text = "year = 2024\n[transfers.income_tax]\nbasic_deduction = 72000\n"
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="income_tax is a section of its own"):
        Scenario.from_toml(tmp_path / "s.toml")
