"""Inputs a probe of session 28 found mishandled: scenario values and paths,
tiny weights, subsets of a population."""

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity import synthetic_population
from commonprosperity.errors import ArgumentError, PopulationError, ScenarioError
from commonprosperity.population import MIN_WEIGHT, subsets


@pytest.fixture(scope="module")
def base():
    return cp.Scenario.status_quo(2024)


def test_an_integer_beyond_any_float_in_a_schedule_is_a_scenario_error(base, tmp_path):
    # Was a bare OverflowError from the schedule check of the raw lists.
    with pytest.raises(ScenarioError, match=r"income_tax\.rates\[0\].*401 digits"):
        base.replace({"income_tax.rates[0]": 10**400})
    text = base.to_toml().replace("thresholds = [", f"thresholds = [{10**400}, ", 1)
    path = tmp_path / "huge.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="401 digits"):
        cp.Scenario.from_toml(path)


def test_a_nan_in_a_schedule_is_not_compared_with_its_neighbours(base):
    with pytest.raises(ScenarioError) as info:
        base.replace({"income_tax.thresholds[3]": float("nan")})
    message = str(info.value)
    assert "thresholds[3]: must be a finite number" in message
    # "nan <= 144000" and "420000 <= nan" are both false: no such claims.
    assert "<= thresholds" not in message and "nan <=" not in message


def test_zero_dimensional_arrays(base):
    # A 0-d array is its item: a number is taken, a bool refused, as list refused.
    assert base.replace(
        {"transfers.dibao_monthly": np.array(1234.0)}
    ).transfers.dibao_monthly == pytest.approx(1234.0)
    for value in (np.array(True), np.asarray(np.True_), np.array(False)):
        with pytest.raises(
            ScenarioError, match="dibao_take_up: must be a valid number"
        ):
            base.replace({"transfers.dibao_take_up": value})
    with pytest.raises(ScenarioError, match=r"income_tax\.rates: must be a list"):
        base.replace({"income_tax.rates": np.array(0.1)})


def test_an_integer_field_beyond_18_digits_is_not_echoed(base):
    with pytest.raises(ScenarioError) as info:
        base.replace({"transfers.child_allowance_max_age": 10**400})
    assert "401 digits" in str(info.value) and "0" * 50 not in str(info.value)


@pytest.mark.parametrize(
    "old, words",
    [
        ("income_tax.basic_deduction_monthly", "in yuan per year: 12 ×"),
        ("transfers.dibao", "in yuan per person per month"),
        ("transfers.residents_pension", "in yuan per person per month"),
        ("wages.minimum_wage_monthly", "minimum_wage_monthly_tier2"),
    ],
)
def test_a_renamed_key_whose_unit_changed_says_so(base, old, words):
    # basic_deduction_monthly = 5000 kept as basic_deduction = 5000 would cut the
    # deduction twelvefold, silently.
    with pytest.raises(ScenarioError, match="renamed to") as info:
        base.replace({old: 5000})
    assert words in str(info.value)


@pytest.mark.parametrize("path", [5, b"x.toml"])
def test_to_toml_refuses_a_path_of_another_type(base, path):
    with pytest.raises(ScenarioError, match=r"path must be a str or pathlib\.Path"):
        base.to_toml(path)


def test_to_toml_names_a_path_with_a_nul_byte(base):
    with pytest.raises(ScenarioError, match="cannot write the scenario file"):
        base.to_toml("x\0y.toml")


def test_weights_below_the_least_are_refused_with_the_bound():
    pop = synthetic_population(50, seed=4)
    with pytest.raises(PopulationError, match=r"\[1e-300, 1e\+12\]"):
        pop.with_weights(np.full(50, 1e-320))
    hh, pp = pop.to_frames()
    hh["weight"] = 1e-310
    with pytest.raises(PopulationError, match="at least 1e-300"):
        cp.Population.from_frames(hh, pp)
    # At the bound itself the scaling property holds.
    a = cp.simulate(pop, cp.Scenario.status_quo(2024)).indicators
    scaled = pop.with_weights(pop.weight / pop.weight.min() * MIN_WEIGHT)
    b = cp.simulate(scaled, cp.Scenario.status_quo(2024)).indicators
    for name in ("per_capita_disposable_income", "gini", "band_share_100k_500k"):
        assert b[name] == pytest.approx(a[name], rel=1e-12)


@pytest.mark.parametrize(
    "group, words",
    [
        (np.array([-1]), "increasing positions in 0–49"),
        (np.array([50]), "increasing positions in 0–49"),
        (np.array([3, 1]), "increasing positions"),
        (np.array([1, 1]), "each once"),
        (np.array([1.0]), "integer positions"),
    ],
)
def test_subsets_refuse_bad_positions(group, words):
    # A negative position read past the person arrays (garbage incomes).
    pop = synthetic_population(50, seed=4)
    with pytest.raises(ArgumentError, match=words):
        subsets(pop, [group])


def test_subsets_take_the_households_asked_for():
    pop = synthetic_population(50, seed=4)
    (part,) = subsets(pop, [np.array([2, 7, 49])])
    np.testing.assert_array_equal(part.household_id, pop.household_id[[2, 7, 49]])
    np.testing.assert_array_equal(part.size, pop.size[[2, 7, 49]])


def test_persons_margins_in_wan_alone_are_refused():
    # With a households margin too the persons-per-household check caught it;
    # alone, every weight shrank 10,000-fold and converged silently.
    pop = cp.baseline(2020, n_households=3_000, seed=0)
    persons = pop.weight * pop.size
    margins = {
        "persons": {
            "urban": {
                True: persons[pop.urban].sum() / 1e4,
                False: persons[~pop.urban].sum() / 1e4,
            }
        }
    }
    with pytest.raises(cp.CalibrationError, match=r"not 万 \(10,000s\)"):
        cp.calibrate(pop, margins)
    # The same margins in units are met.
    margins = {
        "persons": {
            "urban": {k: v * 1e4 for k, v in margins["persons"]["urban"].items()}
        }
    }
    result = cp.calibrate(pop, margins)
    assert result.population.residents == pytest.approx(persons.sum(), rel=1e-9)


def _all_zero_population(n=30):
    import pandas as pd

    hh = pd.DataFrame(
        {
            "household_id": np.arange(1, n + 1),
            "weight": 1.0,
            "urban": np.arange(n) % 2 == 0,
            "city": np.where(np.arange(n) % 3 == 0, "杭州", "宁波"),
        }
    )
    pp = pd.DataFrame(
        {
            "household_id": np.arange(1, n + 1),
            "age": 40,
            "employed": False,
            "wage": 0.0,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    return cp.Population.from_frames(hh, pp, year=2024)


def test_a_sweep_row_with_every_income_zero_has_no_gini_as_simulate():
    # The exact Gini kernel raised ZeroDivisionError out of the sweep (and solve).
    pop = _all_zero_population()
    base = cp.Scenario.status_quo(2024)
    frame = cp.sweep(
        pop, base, {"transfers.dibao_monthly": [0.0, 1000.0]}, progress=False
    )
    alone = cp.simulate(pop, base.replace({"transfers.dibao_monthly": 0.0}))
    assert np.isnan(alone.indicators["gini"]) and np.isnan(frame["gini"].iloc[0])
    # Everyone gets the same dibao: a Gini of exactly 0.
    assert frame["gini"].iloc[1] == 0.0
    assert frame["per_capita_disposable_income"].iloc[1] == pytest.approx(12 * 400.0)
    x = cp.solve(
        pop,
        base,
        "transfers.dibao_monthly",
        "per_capita_disposable_income >= 1000",
        (0, 1000),
    )
    # Take-up 0.4 of the line: 1,000 a year needs 1000 / 12 / 0.4 a month.
    assert x == pytest.approx(1000 / 12 / 0.4, rel=1e-6)


def test_a_target_table_tells_a_value_just_short_of_its_bound_apart():
    # "75,000 >= 75,000 NO 0" contradicted its own verdict.
    from commonprosperity._reportformat import format_target_table

    text = format_target_table(
        cp.evaluate_targets(
            {
                "per_capita_disposable_income": 74_999.6,
                "band_share_100k_500k": 0.79996,
                "urban_rural_ratio": 1.90004,
            }
        )
    )
    lines = {line.split()[0]: line for line in text.splitlines()[2:]}
    assert "74,999.6" in lines["T1"] and "75,000.0" in lines["T1"]
    assert lines["T1"].split()[-1] == "0.4"
    assert "79.996 %" in lines["T2"] and "0.004 pp" in lines["T2"]
    assert "1.90004" in lines["T4"] and "1.90000" in lines["T4"]
    # Exactly on a strict bound: same figures, gap 0, not met.
    on = format_target_table(cp.evaluate_targets({"urban_rural_ratio": 1.9}))
    t4 = next(x for x in on.splitlines() if x.startswith("T4"))
    assert "1.900" in t4 and "NO" in t4


def test_a_population_built_by_replace_has_its_own_cache_and_frozen_arrays():
    # dataclasses.replace shared the old cache: the Gini used the old weights.
    import dataclasses

    pop = synthetic_population(2_000, seed=1)
    scenario = cp.Scenario.status_quo(2021)
    cp.simulate(pop, scenario)  # fills pop's cache
    weight = pop.weight * np.where(np.arange(pop.n_households) % 10 == 0, 50.0, 1.0)
    replaced = dataclasses.replace(pop, weight=weight)
    want = cp.simulate(pop.with_weights(weight), scenario).indicators["gini"]
    assert replaced._cache is not pop._cache
    assert cp.simulate(replaced, scenario).indicators["gini"] == want
    # The caller's array is not the population's: editing it changes nothing.
    weight[:] = 1.0
    assert not replaced.weight.flags.writeable
    assert cp.simulate(replaced, scenario).indicators["gini"] == want


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.poverty({"x": 10**400}),
        lambda r: r.winners_losers(r, 10**400),
        lambda r: r.targets(gdp=10**400, labour_compensation=10**399),
    ],
)
def test_integers_beyond_a_float_are_named_errors(call):
    result = cp.simulate(
        synthetic_population(200, seed=1), cp.Scenario.status_quo(2024)
    )
    with pytest.raises(cp.CommonProsperityError, match="finite number"):
        call(result)


def test_targets_take_fractions_as_numbers():
    from fractions import Fraction

    result = cp.simulate(
        synthetic_population(200, seed=1), cp.Scenario.status_quo(2024)
    )
    table = result.targets(
        gdp=Fraction(10**13), labour_compensation=Fraction(6 * 10**12)
    )
    assert table.loc["T7", "value"] == pytest.approx(0.6)
    assert bool(table.loc["T7", "met"])
