"""Map a CHIP-like pair of Stata files onto the library's columns, then simulate.

CHIP (the China Household Income Project) and similar surveys ship as Stata files:
one file of households, one of persons, question codes as variable names
(``hhcode``, ``b1``, ``a05``, ``c01`` ...) and value labels on coded answers
(``b1``: 1 = 城镇, 2 = 农村). This example writes a small, seeded, synthetic pair in
that style with pandas (the names and codes are illustrative, not the official
codebook), reads it with :func:`commonprosperity.survey.read_stata`, and simulates
the 2021 status quo.

Run: ``python examples/chip_like.py`` (a few seconds).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from commonprosperity import Scenario, simulate
from commonprosperity.household import household
from commonprosperity.published import CITIES
from commonprosperity.survey import read_stata

EMPLOYMENT = {
    1: "雇员",
    2: "雇主",
    3: "自营劳动者",
    4: "家庭帮工",
    5: "失业",
    6: "离退休",
    7: "在校学生",
    8: "其他",
}


def write_chip_like(folder: Path, n_households: int = 400, seed: int = 2018):
    """Write ``chip_hh.dta`` and ``chip_person.dta``; return their paths."""
    rng = np.random.default_rng(seed)
    hhcode = np.arange(1, n_households + 1, dtype=np.int32) + 330_000
    urban = rng.choice([1, 2], size=n_households, p=[0.72, 0.28]).astype(np.int8)
    city = rng.integers(1, len(CITIES) + 1, size=n_households).astype(np.int8)
    households = pd.DataFrame(
        {
            "hhcode": hhcode,
            "weight_hh": rng.uniform(4_000, 9_000, n_households).round(1),
            "b1": urban,
            "coder": city,
        }
    )
    rows = []
    for h in range(n_households):
        level = 1.0 if urban[h] == 1 else 0.55
        for position in range(int(rng.integers(1, 6))):
            age = (
                int(rng.integers(30, 60)) if position < 2 else int(rng.integers(0, 90))
            )
            if age < 16:
                status = 7
            elif age >= 60:
                status = 6 if rng.random() < 0.6 else 8
            else:
                status = int(rng.choice([1, 3, 5, 8], p=[0.62, 0.2, 0.06, 0.12]))
            wage = (
                rng.lognormal(np.log(75_000 * level), 0.55) if status == 1 else np.nan
            )
            rows.append(
                {
                    "hhcode": hhcode[h],
                    "a05": age,
                    "c01": status,
                    "c_wage": round(
                        float(wage), 0
                    ),  # '.' (missing) when not an employee
                    "c_business": round(float(rng.normal(60_000 * level, 40_000)), 0)
                    if status == 3
                    else 0.0,
                    "c_property": round(float(rng.exponential(4_000 * level)), 0)
                    if position == 0
                    else 0.0,
                    "c_pension": round(float(rng.uniform(30_000, 70_000) * level), 0)
                    if status == 6
                    else 0.0,
                }
            )
    persons = pd.DataFrame(rows).astype({"a05": np.int16, "c01": np.int8})
    h_path, p_path = folder / "chip_hh.dta", folder / "chip_person.dta"
    households.to_stata(
        h_path,
        write_index=False,
        version=118,
        value_labels={
            "b1": {1: "城镇", 2: "农村"},
            "coder": {k + 1: f"{c}市" for k, c in enumerate(CITIES)},
        },
        variable_labels={"b1": "城乡 (1 城镇 2 农村)", "coder": "地级市"},
    )
    persons.to_stata(
        p_path,
        write_index=False,
        version=118,
        value_labels={"c01": EMPLOYMENT},
        variable_labels={"a05": "年龄", "c01": "就业状况"},
    )
    return h_path, p_path


def _number(x: float) -> str:
    return f"{x:,.4f}" if abs(x) < 10 else f"{x:,.0f}"


def main() -> None:
    """Write the files, map them, simulate the 2021 status quo and print the results."""
    with tempfile.TemporaryDirectory() as tmp:
        h_path, p_path = write_chip_like(Path(tmp))
        # Their names -> ours. Cities need no mapping: the labels (杭州市 ...) are read.
        columns = {
            "hhcode": "household_id",
            "weight_hh": "weight",
            "b1": "urban",
            "coder": "city",
            "a05": "age",
            "c01": "employed",
            "c_wage": "wage",
            "c_business": "business",
            "c_property": "property",
            "c_pension": "pension",
        }
        # Explicit value recodes. Only employees (雇员) pay employee contributions and
        # get the minimum wage; a missing wage ('.') of a non-employee is 0.
        recode = {
            "urban": {"城镇": True, "农村": False},
            "employed": {"雇员": True, **{code: False for code in range(2, 9)}},
            "wage": {None: 0.0},
        }
        population = read_stata(h_path, p_path, columns, recode=recode, year=2021)

    print(population)
    result = simulate(population, Scenario.status_quo(2021))
    print("\nIndicators (2021 status quo, uncalibrated example data):")
    print(result.indicators.to_string(float_format=_number))
    print("\nFiscal totals, yuan per year (dibao_households: households represented):")
    print(result.fiscal.to_string(float_format=lambda x: f"{x:,.0f}"))

    first = slice(population.offsets[0], population.offsets[1])
    members = [
        {
            "age": int(a),
            "employed": bool(e),
            "wage": float(w),
            "business": float(b),
            "property": float(p),
            "pension": float(s),
        }
        for a, e, w, b, p, s in zip(
            population.age[first],
            population.employed[first],
            population.wage[first],
            population.business[first],
            population.property[first],
            population.pension[first],
            strict=True,
        )
    ]
    family = household(
        2021,
        members=members,
        urban=bool(population.urban[0]),
        city=str(population.city[0]),
        household_id=int(population.household_id[0]),
    )
    print(f"\nThe first household ({population.city[0]}), every flow:")
    shown = [
        "age",
        "wage",
        "business",
        "property",
        "pension",
        "contributions",
        "iit_total",
        "transfers",
        "disposable_income",
    ]
    print(family[shown].to_string(float_format=lambda x: f"{x:,.0f}"))


if __name__ == "__main__":
    main()
