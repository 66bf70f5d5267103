"""Your own survey data: map a survey extract onto the library's columns.

The frames below stand in for a household survey extract with its own variable
names (CHIP-like: ``hhcode``, ``wt``, ``urbrur`` ...). ``Population.from_frames``
renames with ``columns={"theirs": "ours"}`` and checks everything; the population
can then be saved as one Parquet file and read back exactly.

Run:  python examples/custom_population.py [OUT_DIR]
"""

import numpy as np
import pandas as pd
from _common import out_dir

import commonprosperity as cp

out = out_dir("custom-population-out")
rng = np.random.default_rng(2024)
n = 3_000

households = pd.DataFrame(
    {
        "hhcode": np.arange(1, n + 1),
        "wt": rng.uniform(500, 1_500, n),  # households each record represents
        "urbrur": rng.random(n) < 0.7,  # True = urban
        "prefecture": rng.choice(
            ["Hangzhou", "Ningbo", "Wenzhou", "Lishui", "Quzhou"], n
        ),
    }
)
size = rng.integers(1, 5, n)
persons = pd.DataFrame(
    {
        "hhcode": np.repeat(households["hhcode"], size),
        "age_years": rng.integers(0, 90, size.sum()),
    }
)
adult = persons["age_years"].between(18, 64).to_numpy()
persons["works"] = adult & (rng.random(len(persons)) < 0.8)
persons["wage_income"] = np.where(
    persons["works"], rng.lognormal(11.0, 0.6, len(persons)), 0.0
)
persons["self_employment"] = np.where(
    adult & (rng.random(len(persons)) < 0.15),
    rng.normal(30_000, 20_000, len(persons)),
    0.0,
)
persons["rent_interest"] = rng.exponential(2_000, len(persons))
persons["pension_income"] = np.where(
    persons["age_years"] >= 60, rng.lognormal(10.0, 0.5, len(persons)), 0.0
)

columns = {
    "hhcode": "household_id",
    "wt": "weight",
    "urbrur": "urban",
    "prefecture": "city",
    "age_years": "age",
    "works": "employed",
    "wage_income": "wage",
    "self_employment": "business",
    "rent_interest": "property",
    "pension_income": "pension",
}
pop = cp.Population.from_frames(
    households, persons, columns, year=2024, source="example survey extract"
)
print(pop)

result = cp.simulate(pop, cp.Scenario.status_quo(2024))
print(result)
print(result.city_per_capita.rename(index=cp.published.CITY_NAMES_EN).round(0))

# Save and read back: one Parquet file, one row per person.
path = out / "my_survey.parquet"
pop.write_parquet(path)
back = cp.Population.read_parquet(path)
assert np.array_equal(back.wage, pop.wage) and back.year == 2024
print(f"wrote and re-read {path}: {back}")
print(f"run it:  commonprosperity run --population {path} --year 2024")
