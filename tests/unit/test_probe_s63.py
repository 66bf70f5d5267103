"""Behaviours found unpinned by session 63's probes, each with a test."""

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity.errors import CalibrationError


def test_a_name_clash_is_said_first_when_more_than_ten_problems_are_cut():
    """Mutant K1 of session 62: the clash line was put after eleven shape
    problems, past the ten a message shows, and vanished."""
    pop = cp.synthetic_population(50, seed=1)
    variables = {f"v{i}": np.zeros(3) for i in range(11)}
    variables["urban"] = np.zeros(pop.n_households)
    margins = {"households": {"city": {c: 1.0 for c in np.unique(pop.city)}}}
    with pytest.raises(CalibrationError) as info:
        cp.calibrate(pop, margins, variables=variables)
    message = str(info.value)
    assert "['urban'] have the name of a variable the library defines" in message
    assert message.index("['urban']") < message.index("variables['v0']")
    assert "and 2 more such problems" in message


def test_household_says_every_problem_of_a_call_at_once():
    """DESIGN.md: all problems of one input are reported at once. household()
    said a mistyped key first, and the age out of range and the unknown city
    only when the key was mended (two rounds)."""
    with pytest.raises(cp.PopulationError) as info:
        cp.household(
            2024,
            members=[{"age": 40, "wage": 1.0}, {"age": 400, "wagee": 3.0}],
            city="Nowhere",
            urban="yes",
        )
    message = str(info.value)
    assert "members[1] has unknown key 'wagee' (did you mean 'wage'?)" in message
    assert "urban must be True or False; got 'yes'" in message
    assert "persons.age must be in 0–120; rows [1]; got 400" in message
    assert "got 'Nowhere'" in message


def test_household_keeps_good_values_beside_a_bad_one():
    """The defaults put in place of bad values are not reported themselves: a
    non-number age is one problem, not also a range or an employment one."""
    with pytest.raises(cp.PopulationError) as info:
        cp.household(2024, members=[{"age": "forty", "wage": -1.0}])
    message = str(info.value)
    wanted = "members[0]['age'] must be a number (completed years); got 'forty'"
    assert wanted in message
    assert "persons.wage must be >= 0" in message
    assert "persons.age" not in message


def test_a_sweep_file_takes_a_target_id_for_its_heatmap(tmp_path):
    """plots.sweep_heatmap and the file's frontier take a target id; the file's
    heatmap refused one ("must be an indicator")."""
    from commonprosperity.sweep import read_sweep_file

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1200, 1400]\n'
        '"income_tax.basic_deduction" = [60000, 72000]\n[plots]\nheatmap = "T4"\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    assert spec.heatmap == "urban_rural_ratio"  # T4's indicator (the plan's)
