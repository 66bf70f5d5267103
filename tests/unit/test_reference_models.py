"""The benchmark references (NumPy and pandas models) equal ``simulate``.

Both references in ``tests/reference/`` are written from the rules' text,
independently of the Numba kernel; the benchmarks time the library against them, so
they must compute the same numbers. Agreement is to 1e-9 relative on every contract
indicator, for several scenarios and both band bases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, simulate, synthetic_population
from commonprosperity.errors import CommonProsperityError
from commonprosperity.simulate import INDICATOR_NAMES
from tests.reference import numpy_model, pandas_model

RTOL = 1e-9

SCENARIOS = {
    "status_quo_2021": (2021, {}),
    "status_quo_2025": (2025, {}),
    "reform": (
        2021,
        {
            "wages.growth_rate": 0.05,
            "income_tax.basic_deduction": 80_000.0,
            "income_tax.rates[2]": 0.18,
            "income_tax.elderly_support_share": 0.5,
            "transfers.dibao_monthly": 1_500.0,
            "transfers.child_allowance_monthly": 200.0,
            "transfers.child_allowance_max_age": 6,
        },
    ),
    "generous_dibao_no_property_tax": (
        2023,
        {
            "transfers.dibao_monthly": 3_000.0,
            "transfers.dibao_take_up": 1.0,
            "income_tax.property_rate": 0.0,
            "social_insurance.base_ceiling_monthly": 40_000.0,
        },
    ),
    "austere": (
        2020,
        {
            "wages.growth_rate": -0.1,
            "transfers.dibao_monthly": 0.0,
            "transfers.residents_pension_monthly": 0.0,
            "income_tax.basic_deduction": 0.0,
            "income_tax.elderly_support_share": 1.0,
        },
    ),
}


def _scenario(name: str) -> Scenario:
    year, changes = SCENARIOS[name]
    base = Scenario.status_quo(year)
    return base.replace(changes) if changes else base


@pytest.fixture(
    scope="module", params=[(4_000, 7), (2_500, 2024)], ids=["n4000", "n2500"]
)
def population(request):
    n, seed = request.param
    return synthetic_population(n, seed=seed)


@pytest.fixture(scope="module")
def frames(population):
    return pandas_model.frames(population)


def _assert_indicators_equal(expected: pd.Series, got: dict, label: str) -> None:
    assert set(INDICATOR_NAMES) <= set(got), f"{label}: missing indicators"
    exp = expected[list(INDICATOR_NAMES)].to_numpy()
    act = np.array([got[k] for k in INDICATOR_NAMES], dtype=np.float64)
    # NaN where simulate's indicator is undefined, and only there.
    bad = ~np.isclose(act, exp, rtol=RTOL, atol=0.0, equal_nan=True)
    assert not bad.any(), f"{label} differs from simulate: " + ", ".join(
        f"{INDICATOR_NAMES[i]} {act[i]!r} != {exp[i]!r}" for i in np.flatnonzero(bad)
    )


@pytest.mark.parametrize("band_basis", ["household", "three_person"])
@pytest.mark.parametrize("scenario_name", list(SCENARIOS))
def test_numpy_model_equals_simulate(population, scenario_name, band_basis):
    scenario = _scenario(scenario_name)
    result = simulate(population, scenario, band_basis=band_basis)
    got = numpy_model.indicators(population, scenario, band_basis)
    _assert_indicators_equal(result.indicators, got, f"numpy_model[{scenario_name}]")


@pytest.mark.parametrize("band_basis", ["household", "three_person"])
@pytest.mark.parametrize("scenario_name", list(SCENARIOS))
def test_pandas_model_equals_simulate(population, frames, scenario_name, band_basis):
    scenario = _scenario(scenario_name)
    result = simulate(population, scenario, band_basis=band_basis)
    got = pandas_model.indicators(frames, scenario, band_basis)
    _assert_indicators_equal(result.indicators, got, f"pandas_model[{scenario_name}]")


@pytest.mark.parametrize("scenario_name", ["status_quo_2021", "reform", "austere"])
def test_household_flows_equal_simulate(population, frames, scenario_name):
    """Per-household flows of both references equal ``Result.households``."""
    scenario = _scenario(scenario_name)
    expected = simulate(population, scenario).households
    from_pandas = pandas_model.household_flows(frames, scenario)
    from_numpy = numpy_model.household_flows(population, scenario)
    np.testing.assert_array_equal(from_pandas["household_id"], expected["household_id"])
    np.testing.assert_array_equal(from_pandas["size"], expected["size"])
    for column in [*pandas_model.FLOW_COLUMNS, "dibao", "disposable_income"]:
        # Yuan amounts: relative 1e-9 with a 1e-6 yuan floor for exact zeros.
        np.testing.assert_allclose(
            from_pandas[column],
            expected[column],
            rtol=RTOL,
            atol=1e-6,
            err_msg=f"pandas_model {column}",
        )
        np.testing.assert_allclose(
            from_numpy[column],
            expected[column],
            rtol=RTOL,
            atol=1e-6,
            err_msg=f"numpy_model {column}",
        )


def test_pandas_model_accepts_population_and_does_not_modify_frames(population, frames):
    households, persons = frames
    before = (households.copy(), persons.copy())
    scenario = _scenario("reform")
    from_frames = pandas_model.indicators(frames, scenario)
    from_population = pandas_model.indicators(population, scenario)
    assert from_frames == from_population
    pd.testing.assert_frame_equal(households, before[0])
    pd.testing.assert_frame_equal(persons, before[1])


def test_bracket_mode_brackets_the_references(population):
    """``gini="bracket"`` (when available) brackets the references' exact Gini."""
    scenario = _scenario("reform")
    try:
        result = simulate(population, scenario, gini="bracket")
    except CommonProsperityError as exc:  # pragma: no cover - before bracket mode
        pytest.skip(f"gini='bracket' not available: {exc}")
    exact = numpy_model.indicators(population, scenario)
    ind = result.indicators
    assert ind["gini_lower"] <= exact["gini"] <= ind["gini_upper"]
    assert ind["gini_upper"] - ind["gini_lower"] <= 1e-8
    others = {k: v for k, v in exact.items() if k != "gini"}
    for name, value in others.items():
        assert np.isclose(ind[name], value, rtol=RTOL, atol=0.0), name


def _edge_population(kind: str):
    """Small populations where indicators are undefined or weights extreme."""
    from commonprosperity import Population

    rng = np.random.default_rng(5)
    n = 60
    cities = ["Hangzhou", "Ningbo", "Lishui"]
    households = pd.DataFrame(
        {
            "household_id": np.arange(n),
            "weight": 10 ** rng.uniform(0, 3, n),
            "urban": rng.random(n) < 0.6,
            "city": [cities[i % 3] for i in range(n)],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": np.repeat(np.arange(n), 2),
            "age": np.tile([40, 8], n),
            "employed": np.tile([True, False], n),
            "wage": np.tile([60_000.0, 0.0], n) * rng.uniform(0.5, 3, 2 * n),
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    if kind == "all urban":
        households["urban"] = True
    elif kind == "all rural":
        households["urban"] = False
    elif kind == "one city":
        households["city"] = "Ningbo"
    elif kind == "weights near 1e-300":
        households["weight"] *= 1e-300
    elif kind == "negative mean":
        # Business losses (legitimate data) larger than all other income.
        persons["business"] = -400_000.0
    elif kind == "rural income negative":
        persons.loc[
            persons["household_id"].isin(
                households.loc[~households["urban"], "household_id"]
            ),
            "business",
        ] = -900_000.0
    return Population.from_frames(households, persons)


@pytest.mark.parametrize(
    "kind",
    [
        "all urban",
        "all rural",
        "one city",
        "weights near 1e-300",
        "negative mean",
        "rural income negative",
    ],
)
def test_references_follow_simulate_where_indicators_are_undefined(kind):
    pop = _edge_population(kind)
    scenario = Scenario.status_quo(2024).replace({"transfers.dibao_take_up": 0.0})
    result = simulate(pop, scenario)
    # Each case leaves the indicator it is about undefined (or, for tiny
    # weights, defined): the references must agree either way.
    expected_nan = {
        "all urban": "urban_rural_ratio",
        "all rural": "urban_rural_ratio",
        "one city": "city_max_min_ratio",
        "negative mean": "gini",
        "rural income negative": "urban_rural_ratio",
    }
    if kind in expected_nan:
        assert expected_nan[kind] in result.undefined
    else:
        assert np.isfinite(result.indicators["gini"])
    for label, got in (
        ("numpy_model", numpy_model.indicators(pop, scenario)),
        ("pandas_model", pandas_model.indicators(pop, scenario)),
    ):
        _assert_indicators_equal(result.indicators, got, f"{label}[{kind}]")
