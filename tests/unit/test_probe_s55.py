"""Probe findings of session 55, each with the test that failed before its fix."""

import json

import pytest

import commonprosperity as cp
from commonprosperity.errors import ArgumentError


@pytest.fixture(scope="module")
def pop2024():
    return cp.synthetic_population(2_000, seed=9).with_year(2024)


@pytest.mark.parametrize(
    "growth",
    [
        json.loads('{"2025": {"urban": 0.04, "rural": 0.05}, "2026": 0.04}'),
        {2025.0: 0.04},
        {" 2026 ": 0.04},
    ],
)
def test_a_year_key_given_as_text_or_float_is_told_to_be_an_integer(pop2024, growth):
    with pytest.raises(ArgumentError, match=r"a year's key is an integer \(2025, not"):
        cp.project(pop2024, 2026, growth=growth)


def test_a_rate_key_misspelt_gets_no_year_advice(pop2024):
    with pytest.raises(ArgumentError, match="unknown key 'urbn'") as info:
        cp.project(pop2024, 2026, growth={"urbn": 0.04})
    assert "year" not in str(info.value)


def test_projecting_backwards_says_projection_runs_forward():
    pop = cp.synthetic_population(500, seed=1).with_year(2060)
    with pytest.raises(ArgumentError, match=r"runs forward from population\.year"):
        cp.project(pop, 2059)
