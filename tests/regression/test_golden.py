"""Golden files: every ``examples/scenarios/*.toml`` simulated on a fixed population.

Each scenario's indicators, fiscal totals and decile table are compared with
``tests/regression/golden/<scenario>.csv`` with zero tolerance on the stored
text: every number is written with 10 significant digits (``{:.10g}``), so that
the last bits a machine's vector width or maths library may change do not count,
while any change of a rule, a parameter or the population does. The population
is the embedded baseline's 2024 households (5,000, seed 0) projected to the
scenario's year, which is what ``python -m commonprosperity`` runs on.

A failure names the file and the first line that differs. If the change is
intended, rewrite the golden files and review their diff before committing::

    CP_UPDATE_GOLDEN=1 python -m pytest tests/regression/test_golden.py
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import pytest

import commonprosperity as cp

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.toml"))
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CP_UPDATE_GOLDEN") == "1"


@functools.cache
def _population(year: int) -> cp.Population:
    pop = cp.baseline(2024, n_households=5_000, seed=0)
    if year == pop.year:
        return pop
    with warnings.catch_warnings():
        # The assumed growth beyond the published years is warned about.
        warnings.simplefilter("ignore", UserWarning)
        return cp.project(pop, year)


def _number(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    return f"{float(value):.10g}"  # type: ignore[arg-type]


def golden_lines(scenario_file: Path) -> list[str]:
    """The golden file's lines for a scenario file: ``section,name,value``."""
    scenario = cp.Scenario.from_toml(scenario_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = cp.simulate(_population(scenario.year), scenario)
    lines = ["section,name,value"]
    lines += [f"indicator,{k},{_number(v)}" for k, v in result.indicators.items()]
    lines += [f"fiscal,{k},{_number(v)}" for k, v in result.fiscal.items()]
    deciles = result.deciles()
    for decile, row in deciles.iterrows():
        lines += [f"decile {decile},{k},{_number(v)}" for k, v in row.items()]
    return lines


@pytest.mark.skipif(not SCENARIOS, reason="no example scenarios")
@pytest.mark.parametrize("scenario_file", SCENARIOS, ids=lambda p: p.stem)
def test_example_scenario_matches_its_golden_file(scenario_file):
    golden = GOLDEN / f"{scenario_file.stem}.csv"
    got = golden_lines(scenario_file)
    if UPDATE:
        golden.write_text("\n".join(got) + "\n", encoding="utf-8")
    if not golden.exists():
        pytest.fail(
            f"{golden.relative_to(ROOT)} is missing for "
            f"{scenario_file.relative_to(ROOT)}; write it with "
            "CP_UPDATE_GOLDEN=1 python -m pytest tests/regression/test_golden.py"
        )
    want = golden.read_text(encoding="utf-8").splitlines()
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b:
            pytest.fail(
                f"{scenario_file.relative_to(ROOT)}: {golden.relative_to(ROOT)} "
                f"line {number} is {a!r}, the code now gives {b!r}. If the change "
                f"is intended, replace that line with {b!r} (or rewrite every golden "
                "file with CP_UPDATE_GOLDEN=1 python -m pytest "
                "tests/regression/test_golden.py) and review the diff."
            )
    assert len(want) == len(got), (
        f"{golden.relative_to(ROOT)} has {len(want)} lines, the code now gives "
        f"{len(got)}; rewrite it with CP_UPDATE_GOLDEN=1 python -m pytest "
        "tests/regression/test_golden.py and review the diff"
    )
