"""Behaviours found by session 70's probes (survey readers, measures, scenario
messages), each with a test."""

from decimal import Decimal, localcontext

import numpy as np
import pytest

import commonprosperity as cp
from commonprosperity import metrics
from commonprosperity.survey import read_stata
from tests.unit.test_probe_s54 import _frames as _two_households


def _frames():
    """Two households of one person each, the households' frame with a head's
    age and an employment flag beside its own columns."""
    households, persons = _two_households()
    return households.assign(head_age=[50, 60], emp=[1, 0]), persons


@pytest.mark.parametrize(("theirs", "ours"), [("head_age", "age"), ("emp", "employed")])
def test_a_households_column_mapped_onto_a_person_column_is_refused(theirs, ours):
    """The mapping was ignored without a word: the persons' own column was read."""
    households, persons = _frames()
    with pytest.raises(cp.PopulationError) as info:
        cp.Population.from_frames(households, persons, columns={theirs: ours})
    message = str(info.value)
    assert f"households column(s) ['{theirs}'] onto ['{ours}']" in message
    assert "read from the persons frame only" in message


def test_a_persons_column_mapped_onto_a_person_column_is_read():
    households, persons = _frames()
    persons = persons.rename(columns={"age": "alter"})
    pop = cp.Population.from_frames(households, persons, columns={"alter": "age"})
    assert pop.age.tolist() == [40, 70]


def test_read_stata_refuses_a_household_variable_mapped_onto_age(tmp_path):
    households, persons = _frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h, write_index=False, version=118)
    persons.to_stata(p, write_index=False, version=118)
    with pytest.raises(cp.PopulationError) as info:
        read_stata(h, p, columns={"head_age": "age"})
    message = str(info.value)
    assert f"{h}: columns maps variable(s) ['head_age'] onto ['age']" in message
    assert f"read from {p} only" in message
    # The same files without the mapping read, ages from the person file.
    assert read_stata(h, p).age.tolist() == [40, 70]


@pytest.mark.parametrize("age", [2**53 + 1, 10**17 + 3])
def test_household_quotes_a_bad_age_as_given(age):
    """It quoted the age after a conversion to float ("got 9007199254740992.0")."""
    with pytest.raises(cp.PopulationError) as info:
        cp.household(2021, members=[{"age": age}])
    assert f"got {age}" in str(info.value)


def _atkinson_reference(x, w, epsilon):
    """Atkinson's index at 50 digits for epsilon 0.5 (1 - (sum p sqrt(x))**2 / mu)
    or 2 (1 - harmonic mean / mu), from the definition."""
    with localcontext() as ctx:
        ctx.prec = 50
        xs = [Decimal(float(v)) for v in x]
        ws = [Decimal(float(v)) for v in w]
        total = sum(ws)
        mu = sum(a * b for a, b in zip(xs, ws, strict=True)) / total
        if epsilon == 0.5:
            xi = (sum(b * a.sqrt() for a, b in zip(xs, ws, strict=True)) / total) ** 2
        else:
            xi = total / sum(b / a for a, b in zip(xs, ws, strict=True))
        return float(1 - xi / mu)


@pytest.mark.parametrize(
    ("x", "w", "epsilon"),
    [
        # One income far below 999,999 equal ones: a log-sum-exp of the power
        # mean made the index 7e-11 off, relative.
        ([50_000.0, 2_500.0], [999_999.0, 1.0], 0.5),
        ([50_000.0, 1_000_000.0], [999_999.0, 1.0], 0.5),
        # One row weighing 1e12: 4e-5 (0.5) and 7e-6 (2) off.
        ([1.0, 10.0, 0.05], [1e12, 1.0, 1.0], 0.5),
        ([1.0, 10.0, 0.05], [1e12, 1.0, 1.0], 2.0),
    ],
)
def test_atkinson_keeps_its_relative_accuracy_with_an_income_far_from_the_mean(
    x, w, epsilon
):
    got = metrics.atkinson(np.array(x), np.array(w), epsilon)
    assert got == pytest.approx(_atkinson_reference(x, w, epsilon), rel=1e-14, abs=0.0)


def test_atkinson_of_replicated_rows_is_that_of_their_weights():
    x = np.full(1_000_000, 50_000.0)
    x[-1] = 2_500.0
    weighted = metrics.atkinson(
        np.array([50_000.0, 2_500.0]), np.array([999_999.0, 1.0])
    )
    assert metrics.atkinson(x) == pytest.approx(weighted, rel=1e-14, abs=0.0)


def test_gq_lorenz_of_a_pareto_curve_ends_at_one():
    """A Pareto(2) curve, L = 1 - sqrt(1 - p), fits with a + c = 1, where the
    curve's square root cancelled at p = 1: L(1) was 0.99999998."""
    p = np.linspace(0.0, 1.0, 6)
    fit = metrics.fit_gq_lorenz(np.diff(1.0 - np.sqrt(1.0 - p)), mean=1_000.0)
    assert fit.lorenz(1.0) == pytest.approx(1.0, abs=1e-15)
    near = np.array([0.99, 0.9999, 1.0 - 1e-9])
    assert np.allclose(fit.lorenz(near), 1.0 - np.sqrt(1.0 - near), rtol=0, atol=1e-14)


def test_changing_a_section_in_place_points_to_its_keys():
    """The advice was replace({'transfers': value}), which replace refuses."""
    scenario = cp.Scenario.status_quo(2024)
    with pytest.raises(cp.ScenarioError) as info:
        scenario.transfers = scenario.transfers
    message = str(info.value)
    assert "scenario.replace({'transfers.dibao_monthly': value, ...})" in message
    # The advice, followed, works.
    changed = scenario.replace({"transfers.dibao_monthly": 1_300.0})
    assert changed.transfers.dibao_monthly == 1_300.0


def test_a_dotted_keyword_in_python_points_to_replace():
    scenario = cp.Scenario.status_quo(2024)
    with pytest.raises(cp.ScenarioError) as info:
        scenario.model_copy(update={"transfers.dibao_monthly": 1_300})
    assert "in Python, scenario.replace({'transfers.dibao_monthly': value})" in str(
        info.value
    )


def test_a_quoted_item_path_in_a_file_says_files_give_whole_lists():
    """It said "did you mean income_tax.rates?", and rates = 0.18 then failed."""
    data = {"year": 2024, "income_tax.rates[2]": 0.18}
    with pytest.raises(cp.ScenarioError) as info:
        cp.Scenario.from_dict(data, source="s.toml")
    message = str(info.value)
    assert "'income_tax.rates[2]': an item path is not a key" in message
    assert "rates = [...] under [income_tax]" in message


def test_a_scenario_that_is_not_a_table_names_the_value():
    with pytest.raises(cp.ScenarioError, match=r"must be a table of keys .*; got 'x'"):
        cp.Scenario.model_validate("x")
