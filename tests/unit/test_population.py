import numpy as np
import pandas as pd
import pytest

from commonprosperity import (
    Population,
    PopulationError,
    Scenario,
    simulate,
    synthetic_population,
)
from tests.conftest import tiny_frames


def test_round_trip_frames():
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh, pp, year=2021)
    hh2, pp2 = pop.to_frames()
    again = Population.from_frames(hh2, pp2, year=2021)
    for name in (
        "household_id",
        "weight",
        "urban",
        "city_code",
        "offsets",
        "age",
        "employed",
        "wage",
        "business",
        "property",
        "pension",
    ):
        np.testing.assert_array_equal(getattr(pop, name), getattr(again, name))
    assert pop.residents == 100 * 2 + 200 * 1 + 50 * 3
    assert pop.households_represented == 350


def test_inputs_are_not_modified_and_arrays_are_read_only():
    hh, pp = tiny_frames()
    hh0, pp0 = hh.copy(), pp.copy()
    pop = Population.from_frames(
        hh.sample(frac=1, random_state=0), pp.sample(frac=1, random_state=1)
    )
    pd.testing.assert_frame_equal(hh, hh0)
    pd.testing.assert_frame_equal(pp, pp0)
    with pytest.raises(ValueError):
        pop.wage[0] = 1.0


def test_persons_grouped_in_household_input_order():
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh.iloc[::-1], pp.sample(frac=1, random_state=3))
    assert pop.household_id.tolist() == [3, 2, 1]
    assert pop.size.tolist() == [3, 1, 2]
    # the persons of household 3 keep their relative order from the shuffled input
    assert sorted(pop.age[:3].tolist()) == [1, 33, 35]


def test_column_mapping_and_english_city_names():
    hh, pp = tiny_frames()
    hh = hh.rename(columns={"weight": "hhwgt"}).assign(
        city=["Hangzhou", "lishui", "宁波"]
    )
    pp = pp.rename(columns={"wage": "wage_income"})
    pop = Population.from_frames(
        hh, pp, columns={"hhwgt": "weight", "wage_income": "wage"}
    )
    assert pop.city.tolist() == ["杭州", "丽水", "宁波"]


def test_urban_coded_zero_one_is_accepted():
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh.assign(urban=[1, 0, 1]), pp)
    assert pop.urban.tolist() == [True, False, True]


def test_negative_business_income_is_valid():
    hh, pp = tiny_frames()
    pop = Population.from_frames(hh, pp)
    assert pop.business.min() == -2_000


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda hh, pp: (hh.drop(columns="weight"), pp),
            ["households", "missing", "weight"],
        ),
        (
            lambda hh, pp: (hh, pp.drop(columns="pension")),
            ["persons", "missing", "pension"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(wage=[np.nan, 0, 0, 1, 1, 0])),
            ["persons.wage", "finite", "rows [0]"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(property=[np.inf, 0, 0, 1, 1, 0])),
            ["persons.property", "finite"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(wage=[-1.0, 0, 0, 1, 1, 0])),
            ["persons.wage", ">= 0", "-1.0"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(pension=[0, 0, -5.0, 0, 0, 0])),
            ["persons.pension", ">= 0"],
        ),
        (
            lambda hh, pp: (hh.assign(weight=[0.0, 1, 1]), pp),
            ["households.weight", "> 0"],
        ),
        (
            lambda hh, pp: (hh.assign(weight=[-3.0, 1, 1]), pp),
            ["households.weight", "-3.0"],
        ),
        (
            lambda hh, pp: (hh.assign(weight=[1e13, 1, 1]), pp),
            ["households.weight", "1e+12"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(household_id=[1, 1, 2, 3, 3, 9])),
            ["persons.household_id", "unknown", "9"],
        ),
        (
            lambda hh, pp: (hh, pp[pp.household_id != 2]),
            ["at least one person", "households.household_id"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(age=[40, 10, 121, 35, 33, 1])),
            ["persons.age", "0–120", "121"],
        ),
        (lambda hh, pp: (hh, pp.assign(age=[40, 10, -1, 35, 33, 1])), ["persons.age"]),
        (
            lambda hh, pp: (hh.assign(household_id=[1, 1, 3]), pp),
            ["household_id", "unique"],
        ),
        (lambda hh, pp: (hh.iloc[:0], pp), ["households is empty"]),
        (lambda hh, pp: (hh, pp.iloc[:0]), ["persons is empty"]),
        (
            lambda hh, pp: (hh.assign(city=["杭州", "Shanghai", "宁波"]), pp),
            ["households.city", "Shanghai"],
        ),
        (
            lambda hh, pp: (hh.assign(urban=["yes", "no", "yes"]), pp),
            ["households.urban", "boolean"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(wage=["a", "b", "c", "d", "e", "f"])),
            ["persons.wage", "numeric"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(age=[40.5, 10, 70, 35, 33, 1])),
            ["persons.age", "whole numbers"],
        ),
        (
            lambda hh, pp: (hh, pp.assign(business=[2e12, 0, 0, 0, 0, 0])),
            ["persons.business", "1e+12"],
        ),
    ],
)
def test_bad_inputs_raise_population_error_naming_the_column(change, fragments):
    hh, pp = change(*tiny_frames())
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_all_problems_reported_at_once():
    hh, pp = tiny_frames()
    hh = hh.assign(weight=[0.0, 1, 1])
    pp = pp.assign(age=[40, 10, 200, 35, 33, 1], wage=[-1.0, 0, 0, 1, 1, 0])
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, pp)
    message = str(info.value)
    assert "households.weight" in message
    assert "persons.age" in message
    assert "persons.wage" in message


def test_synthetic_population_exercises_every_rule():
    pop = synthetic_population(20_000, seed=5)
    hh = pop.person_household_index
    n = pop.n_households
    neg_business = np.bincount(hh, weights=pop.business < 0, minlength=n) > 0
    infant = np.bincount(hh, weights=pop.age < 3, minlength=n) > 0
    old_no_pension = (
        np.bincount(hh, weights=(pop.age >= 60) & (pop.pension == 0), minlength=n) > 0
    )
    assert neg_business.mean() >= 0.01
    assert infant.mean() >= 0.01
    assert old_no_pension.mean() >= 0.01
    # Below the dibao line: topped up under the status quo of the years served.
    for year in (2020, 2025):
        dibao = simulate(pop, Scenario.status_quo(year)).households["dibao"]
        assert (dibao > 0).mean() >= 0.01, year
    assert set(pop.size.tolist()) == {1, 2, 3, 4, 5, 6}
    assert len(set(pop.city.tolist())) == 11
    assert 0 < pop.urban.mean() < 1


def test_synthetic_population_is_seeded():
    a = synthetic_population(3_000, seed=9)
    b = synthetic_population(3_000, seed=9)
    c = synthetic_population(3_000, seed=10)
    np.testing.assert_array_equal(a.wage, b.wage)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, c.weight)


@pytest.mark.parametrize("n", [0, -5, 1.5, True])
def test_synthetic_population_rejects_bad_sizes(n):
    with pytest.raises(PopulationError, match="n_households"):
        synthetic_population(n, seed=0)


def test_subsets_equal_one_masked_subset_per_group():
    """``subsets`` (one gather, then slices) gives each group the population
    built from its rows of the frames, design columns included."""
    from commonprosperity.population import DATA_ARRAYS, PERSON_REQUIRED, subsets

    base = synthetic_population(400, seed=5)
    rng = np.random.default_rng(5)
    hh = {
        "household_id": base.household_id,
        "weight": base.weight,
        "urban": base.urban,
        "city": base.city,
        "stratum": rng.integers(0, 4, base.n_households),
        "psu": rng.integers(0, 9, base.n_households),
    }
    persons = {
        "household_id": np.repeat(base.household_id, base.size),
        **{c: getattr(base, c) for c in PERSON_REQUIRED[1:]},
    }
    pop = Population.from_arrays(hh, persons, year=2021, source="test")
    labels = rng.integers(0, 7, pop.n_households)
    labels[labels == 3] = 4  # a label with no households
    groups = [np.flatnonzero(labels == g) for g in range(7) if (labels == g).any()]
    for got, index in zip(subsets(pop, groups), groups, strict=True):
        ids = pop.household_id[index]
        hh_rows, person_rows = pop.to_frames()
        want = Population.from_frames(
            hh_rows[hh_rows["household_id"].isin(ids)],
            person_rows[person_rows["household_id"].isin(ids)],
            year=2021,
        )
        for name in (*DATA_ARRAYS, "stratum", "psu"):
            a, b = getattr(got, name), getattr(want, name)
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=name)
        assert (got.year, got.source) == (2021, "subset of test")
    assert subsets(pop, []) == []


# ---------------------------------------- populations built directly are checked
def _direct(**changes):
    import dataclasses

    return dataclasses.replace(synthetic_population(50, seed=1), **changes)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda p: {"weight": np.where(np.arange(50) == 0, -1e9, p.weight)},
            "households.weight must be > 0 for every row; rows [0]; got -1000000000.0",
        ),
        (
            lambda p: {"weight": np.where(np.arange(50) == 2, np.nan, p.weight)},
            "households.weight must be > 0 for every row; rows [2]; got nan",
        ),
        (
            lambda p: {"city_code": np.full(50, 99)},
            "city_code must index CITY_LABELS (0–11)",
        ),
        (lambda p: {"age": list(p.age)}, "age must be a 1-D numpy array of int64"),
        (
            lambda p: {"wage": p.wage.astype(np.float32)},
            "wage must be a 1-D numpy array of float64; got 1-D float32 array",
        ),
        (
            lambda p: {"pension": np.where(np.arange(p.n_persons) == 3, np.inf, 0.0)},
            "persons.pension must be finite and within ±1e+12",
        ),
        (lambda p: {"wage": -p.wage - 1.0}, "persons.wage must be >= 0"),
        (lambda p: {"offsets": p.offsets[::-1].copy()}, "offsets must run from 0"),
        (lambda p: {"urban": p.urban[:10]}, "urban has 10 rows, weight 50"),
        (lambda p: {"source": 123}, "source must be a string"),
        (lambda p: {"year": 1800}, "year must be an integer in 1900–2100"),
    ],
)
def test_a_population_built_directly_is_checked(change, fragment):
    """dataclasses.replace(pop, weight=...) skipped every check before."""
    pop = synthetic_population(50, seed=1)
    with pytest.raises(PopulationError) as info:
        _direct(**change(pop))
    assert fragment in str(info.value)


def test_negative_business_income_is_data_not_an_error():
    pop = synthetic_population(50, seed=1)
    loss = _direct(business=pop.business - 1e6)
    assert (loss.business < 0).all()


def test_from_frames_refuses_a_source_that_is_not_a_string():
    """source=123 was accepted and written to Parquet, whose reader then refused it."""
    hh, pp = tiny_frames()
    with pytest.raises(PopulationError, match="source must be a string"):
        Population.from_frames(hh, pp, source=123)


@pytest.mark.parametrize(
    "call",
    [
        lambda cp: cp.simulate("pop.parquet", cp.Scenario.status_quo(2024)),
        lambda cp: cp.simulate(synthetic_population(20, seed=1), {}),
        lambda cp: cp.project("pop.parquet", 2025),  # an AttributeError before
        lambda cp: cp.sweep(None, cp.Scenario.status_quo(2024), {"year": [2024]}),
        lambda cp: cp.household(2024, members=[{"age": 40}], scenario={}),
    ],
)
def test_an_argument_of_the_wrong_type_is_our_error_and_a_type_error(call):
    import commonprosperity as cp

    with pytest.raises(cp.ArgumentError) as info:
        call(cp)
    assert isinstance(info.value, TypeError)
    assert "must be a" in str(info.value)
