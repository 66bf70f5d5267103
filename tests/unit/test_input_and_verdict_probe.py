"""Regression tests for session 27's probes: paths, Stata flags, scenario keys,
sweep files, verdicts on a bound, report pairs and the Lorenz helper.

Each expected value is derived by hand in its test.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity import cli, report
from commonprosperity._reportformat import _gap
from commonprosperity.errors import ArgumentError, PopulationError, ScenarioError
from commonprosperity.plots import lorenz_points
from commonprosperity.survey import read_stata, write_parquet
from commonprosperity.targets import TARGET_BY_ID, _met, evaluate_targets


# ------------------------------------------------------------------- paths
def test_every_path_option_and_scenario_file_expands_the_home_directory(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli._path("~/out") == tmp_path / "out"
    base = cp.Scenario.status_quo(2024)
    base.to_toml("~/s.toml")
    assert (tmp_path / "s.toml").is_file()
    assert cp.Scenario.from_toml("~/s.toml") == base


def test_write_parquet_names_a_directory_or_a_missing_folder(tmp_path):
    pop = cp.synthetic_population(20, seed=1)
    with pytest.raises(PopulationError, match="is a directory"):
        write_parquet(pop, tmp_path)
    with pytest.raises(PopulationError, match="does not exist"):
        write_parquet(pop, tmp_path / "nowhere" / "x.parquet")


# -------------------------------------------------------------------- stata
def _stata_pair(tmp_path, urban_labels=None, city_name="city"):
    households = pd.DataFrame(
        {
            "hid": np.array([1, 2, 3], dtype=np.int32),
            "w": [1.0, 1.0, 1.0],
            "urban": np.array([0, 1, 0], dtype=np.int8),
            city_name: np.array([1, 2, 1], dtype=np.int8),
        }
    )
    persons = pd.DataFrame(
        {
            "hid": np.array([1, 2, 3], dtype=np.int32),
            "age": np.array([40, 50, 30], dtype=np.int16),
            "employed": np.array([1, 1, 0], dtype=np.int8),
            "wage": [50_000.0, 60_000.0, 0.0],
            "business": [0.0, 0.0, 0.0],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 0.0],
        }
    )
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    labels = {"urban": urban_labels} if urban_labels else None
    households.to_stata(h, write_index=False, version=118, value_labels=labels)
    persons.to_stata(p, write_index=False, version=118)
    return h, p


COLUMNS = {"hid": "household_id", "w": "weight"}


def test_a_flag_labelled_against_one_meaning_true_needs_a_recode(tmp_path):
    # 0 城镇, 1 农村: read as 1 = True, every household would swap areas.
    h, p = _stata_pair(tmp_path, {0: "城镇", 1: "农村"})
    with pytest.raises(PopulationError) as err:
        read_stata(h, p, COLUMNS, recode={"city": {1: "杭州", 2: "宁波"}})
    message = str(err.value)
    assert "the file labels 0 '城镇', 1 '农村'" in message
    assert "recode={'urban'" in message
    # The same codes with their recode are read as the labels say.
    pop = read_stata(
        h,
        p,
        COLUMNS,
        recode={"urban": {"城镇": True, "农村": False}, "city": {1: "杭州", 2: "宁波"}},
    )
    assert pop.urban.tolist() == [True, False, True]
    # Labels that agree with 1 = True need none.
    h, p = _stata_pair(tmp_path, {0: "农村", 1: "城镇"})
    pop = read_stata(h, p, COLUMNS, recode={"city": {1: "杭州", 2: "宁波"}})
    assert pop.urban.tolist() == [False, True, False]


def test_a_recode_of_a_column_neither_file_has_is_an_error(tmp_path):
    h, p = _stata_pair(tmp_path, city_name="zone")
    with pytest.raises(PopulationError, match=r"recode for column\(s\) \['city'\]"):
        read_stata(h, p, COLUMNS, recode={"city": {1: "杭州", 2: "宁波"}})


# ---------------------------------------------------------- population values
def _persons(ids: list[int], wages: list[float]) -> dict[str, list]:
    """One employed person aged 40 per id, with these wages."""
    zeros = [0.0] * len(ids)
    return {
        "household_id": ids,
        "age": [40] * len(ids),
        "employed": [True] * len(ids),
        "wage": wages,
        "business": zeros,
        "property": zeros,
        "pension": zeros,
    }


def test_a_decimal_next_to_one_is_no_true():
    households = {
        "household_id": [1],
        "weight": [1.0],
        "urban": np.array([Decimal("1.0000000000000001")], dtype=object),
    }
    persons = _persons([1], [1.0])
    with pytest.raises(PopulationError, match="urban must be boolean"):
        cp.Population.from_arrays(households, persons)
    households["urban"] = np.array([Decimal("1")], dtype=object)
    assert cp.Population.from_arrays(households, persons).urban.tolist() == [True]


def test_an_unknown_city_of_kilobytes_is_shown_shortened():
    long_name = "x" * 3_000
    households = {"household_id": [1], "weight": [1.0], "urban": [True]}
    households["city"] = [long_name]
    persons = _persons([1], [1.0])
    with pytest.raises(PopulationError) as err:
        cp.Population.from_arrays(households, persons)
    assert "(3,000 characters)" in str(err.value)
    assert len(str(err.value)) < 1_000


# ---------------------------------------------------------------- scenarios
def test_an_index_of_thousands_of_digits_is_a_scenario_error():
    base = cp.Scenario.status_quo(2024)
    path = "income_tax.rates[" + "9" * 5_000 + "]"
    for call in (lambda: base.replace({path: 0.1}), lambda: base.get(path)):
        with pytest.raises(ScenarioError, match="at most 18 digits; got 5000"):
            call()


def test_an_unknown_key_with_nothing_close_lists_what_there_is():
    base = cp.Scenario.status_quo(2024)
    with pytest.raises(ScenarioError, match="the sections are wages, social_ins"):
        base.replace({"zzz": 1})
    with pytest.raises(ScenarioError, match=r"the keys of \[transfers\] are dibao"):
        base.replace({"transfers.qqq": 1})


def test_a_sweep_file_with_an_invalid_combination_names_the_file(tmp_path):
    from commonprosperity._sweepfile import read_sweep_file

    path = tmp_path / "sweep.toml"
    # 30,000 is a valid floor with the 40,000 ceiling, not with 24,930.
    path.write_text(
        "year = 2024\n[grid]\n"
        '"social_insurance.base_floor_monthly" = [4986, 30000]\n'
        '"social_insurance.base_ceiling_monthly" = [24930, 40000]\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        read_sweep_file(path)
    message = str(err.value)
    assert str(path) in message
    assert "base_floor_monthly = 30000.0" in message
    assert "base_ceiling_monthly = 24930.0 is invalid" in message


def test_a_policy_year_past_the_projection_names_the_file(tmp_path, capsys):
    path = tmp_path / "y.toml"
    cp.Scenario.status_quo(2025).replace({"year": 2060}).to_toml(path)
    assert cli.main(["run", str(path), "--households", "1000"]) == 2
    err = capsys.readouterr().err
    assert f"year of {path}" in err
    assert "projected from 2024 to at most 2050" in err


# ------------------------------------------------------------------ verdicts
def test_values_a_rounding_away_from_a_bound_count_as_on_it():
    # Three households at exactly 75,000 yuan with weight 0.1 average to
    # 74,999.99999999999 in floating point: on the bound, T1 (>=) is met.
    t = evaluate_targets(
        {
            "per_capita_disposable_income": 74_999.99999999999,
            "band_share_100k_500k": 0.7999999999999999,
            "urban_rural_ratio": 1.8999999999999997,
            "city_max_min_ratio": 1.5500000000000003,
        }
    )
    assert t.loc["T1", "met"] and t.loc["T1", "gap"] == 0.0
    assert t.loc["T2", "met"] and t.loc["T2", "gap"] == 0.0
    # Strict "< 1.9" and "< 1.55": on the bound is not met, gap 0.
    assert not t.loc["T4", "met"] and t.loc["T4", "gap"] == 0.0
    assert not t.loc["T5", "met"] and t.loc["T5", "gap"] == 0.0
    # One part in 1e9 off the bound is a real difference.
    met, gap = _met(1.9 * (1 - 1e-9), TARGET_BY_ID["T4"])
    assert met and gap == pytest.approx(-1.9e-9)
    # Arrays (the sweep's path) the same.
    met, gap = _met(np.array([1.8999999999999997, 1.8]), TARGET_BY_ID["T4"])
    assert met.tolist() == [False, True]
    assert gap[0] == 0.0


def test_a_strict_target_on_its_bound_shows_a_zero_gap():
    assert _gap(0.0, "ratio", False) == "0.0000"
    assert _gap(0.0, "share", np.False_) == "0.0 pp"
    assert _gap(0.0, "ratio", True) == "-"
    assert _gap(-0.2, "ratio", True) == "-"


def test_report_refuses_a_status_quo_on_another_band_basis():
    pop = cp.synthetic_population(300, seed=2)
    base = cp.Scenario.status_quo(2024)
    household = cp.simulate(pop, base)
    three = cp.simulate(pop, base, band_basis="three_person")
    with pytest.raises(ArgumentError, match="band_basis='three_person'"):
        report.target_table(household, baseline=three)
    assert len(report.target_table(household, baseline=household)) == 10


def test_lorenz_points_of_a_negative_total_are_undefined():
    # Incomes -3 and 1: shares [0, 1.5, 1] would lie above the line of equality.
    p, s = lorenz_points(np.array([-3.0, 1.0]), np.array([1.0, 1.0]), 3)
    assert p.tolist() == [0.0, 0.5, 1.0]
    assert np.isnan(s).all()


def test_path_helpers_keep_plain_paths():
    assert cli._path("out") == Path("out")


# ------------------------------------------------------- minimum-wage tiers
def _one_city_population(city: str, urban: bool) -> cp.Population:
    households = {
        "household_id": [1, 2],
        "weight": [1.0, 1.0],
        "urban": [urban, urban],
        "city": [city, city],
    }
    return cp.Population.from_arrays(households, _persons([1, 2], [10_000.0, 90_000.0]))


def test_results_list_the_unverified_minimum_wage_tiers_of_their_areas():
    base = cp.Scenario.status_quo(2024)
    # Urban Hangzhou's tier 1 is sourced (B): nothing listed for it.
    weak = cp.simulate(_one_city_population("杭州", True), base).provenance
    assert not [w for w in weak["weak_values"] if w["key"].startswith("minimum_wage")]
    # Rural Hangzhou's tier 2 is the library's rule (R, policy.toml).
    weak = cp.simulate(_one_city_population("Hangzhou", False), base).provenance
    tiers = [w for w in weak["weak_values"] if w["key"].startswith("minimum_wage")]
    assert tiers == [
        {
            "key": "minimum_wage_tier (rural areas)",
            "value": "杭州 2",
            "grade": "R",
            "source": "Rule of this library",
        }
    ]
    # And the report prints it with the scenario's values.
    lishui = cp.simulate(_one_city_population("丽水", False), base)
    assert "丽水 3" in report.weak_values_table(lishui)["value"].tolist()


# ------------------------------------------------------------- trend targets
def test_trend_values_within_rounding_of_zero_are_no_change():
    # Unchanged quintile ratios differ by 1e-17 after re-weighting: the gap did
    # not narrow (T9 "< 0") and the income share did not rise (T10 "> 0").
    t = evaluate_targets({}, trends={"T9": -1e-17, "T10": 1e-17})
    assert not t.loc["T9", "met"] and not t.loc["T10", "met"]
    t = evaluate_targets({}, trends={"T9": -1e-9, "T10": 1e-9})
    assert t.loc["T9", "met"] and t.loc["T10", "met"]


def test_t8_with_income_unchanged_but_for_rounding_compares_the_growths():
    from commonprosperity.projection import _t8

    start = {"year": 2030, "per_capita_disposable_income": 80_000.0}
    end = {"year": 2031, "per_capita_disposable_income": 80_000.0 * (1 + 2e-16)}
    start["dibao_monthly"] = end["dibao_monthly"] = 1_200.0
    # Dibao growth 0 is "not below" income growth 0: met, and no ratio of 0.
    ratio, verdict = _t8(start, end)
    assert np.isnan(ratio) and verdict[0] is True


def test_a_path_says_why_t8_is_not_judged_when_the_first_dibao_is_zero():
    pop = cp.baseline(2024, n_households=1_000, seed=0)
    scenarios = {
        2024: cp.Scenario.status_quo(2024).replace({"transfers.dibao_monthly": 0}),
        2025: cp.Scenario.status_quo(2025).replace({"transfers.dibao_monthly": 0}),
        2026: cp.Scenario.status_quo(2025).replace({"year": 2026}),
    }
    path = cp.simulate_path(pop, scenarios)
    assert pd.isna(path.loc[2025, "T8"])
    assert (
        "T8: the dibao line of 2024 is 0 yuan a month, so its growth is undefined"
        in path.loc[2025, "note"]
    )
    # A line introduced (0 in 2025, then 1,128) is judged since session 51:
    # it rises faster than any income (test_probe_s51).
    assert path.loc[2026, "T8"]
    assert path.loc[2026, "T8_since_start"]
    assert "T8 since 2024: the dibao line rose from 0" in path.loc[2026, "note"]


# --------------------------------------------------- one judgement on a bound
def _on_t1_bound() -> cp.Population:
    # Three one-person households aged 70 with a pension of 75,000 and weight
    # 0.1: per-capita income 75,000 exactly, 74,999.99999999999 in floating point.
    households = {
        "household_id": [1, 2, 3],
        "weight": [0.1, 0.1, 0.1],
        "urban": [True, True, True],
    }
    persons = _persons([1, 2, 3], [0.0, 0.0, 0.0])
    persons["age"] = [70, 70, 70]
    persons["employed"] = [False, False, False]
    persons["pension"] = [75_000.0] * 3
    return cp.Population.from_arrays(households, persons)


def test_targets_sweep_solve_cheapest_and_figures_agree_on_a_bound():
    from commonprosperity._sweep_report import _met_column
    from commonprosperity.sweep import cheapest, sweep
    from commonprosperity.targets import meets

    pop = _on_t1_bound()
    base = cp.Scenario.status_quo(2024)
    result = cp.simulate(pop, base)
    assert result.targets().loc["T1", "met"]
    frame = sweep(pop, base, {"transfers.dibao_monthly": [1_000.0, 1_100.0]})
    assert frame["T1_met"].tolist() == [True, True]
    assert cheapest(frame, "T1").index.tolist() == [0, 1]
    assert cheapest(frame, "T1 >= 75000").index.tolist() == [0, 1]
    value = result.indicators["per_capita_disposable_income"]
    t1 = TARGET_BY_ID["T1"]
    assert meets(value, t1.comparison, t1.target)  # the figures' judgement
    assert _met_column(frame.drop(columns="T1_met"), "T1").tolist() == [True, True]
    solved = cp.solve(pop, base, "transfers.dibao_monthly", "T1", (1_000.0, 2_000.0))
    assert solved == 1_000.0


def test_a_malformed_condition_says_which_part_is_wrong():
    from commonprosperity.solve import _parse_target

    for text, part in [
        ("gini =< 0.35", "the comparison '=<' is not one of <=, >=, <, >"),
        ("gini ≤ 0.35", "the comparison '≤' is not one of"),
        ("gini <= abc", "after '<=', 'abc' is not a number"),
        ("gini <=", "no number after '<='"),
        ("gini 0.3", "no comparison before '0.3'"),
    ]:
        with pytest.raises(ArgumentError, match=re.escape(part)):
            _parse_target(text)


def test_websocket_addresses_fail_at_once_or_ask_for_a_client():
    pytest.importorskip("distributed")
    from commonprosperity.errors import CommonProsperityError
    from commonprosperity.sweep import sweep

    pop = cp.synthetic_population(50, seed=1)
    base = cp.Scenario.status_quo(2024)
    grid = {"transfers.dibao_monthly": [900.0, 1_000.0]}
    # Nothing listens on port 1: refused at once ("timed out" after 30 s before).
    with pytest.raises(CommonProsperityError, match=r"cannot reach .*refused"):
        sweep(pop, base, grid, engine="dask", client="ws://127.0.0.1:1")
    with pytest.raises(ArgumentError, match="a wss:// address"):
        sweep(pop, base, grid, engine="dask", client="wss://127.0.0.1:1")


def test_bootstrap_replicates_do_not_depend_on_the_order_of_the_households():
    from commonprosperity.uncertainty import bootstrap

    pop = cp.baseline(2024, n_households=3_000, seed=0)
    households, persons = pop.to_frames()
    shuffled = cp.Population.from_frames(
        households.sample(frac=1, random_state=1).reset_index(drop=True),
        persons,
        year=pop.year,
    )
    base = cp.Scenario.status_quo(2024)
    for indicator in ("band_share_100k_500k", "urban_rural_ratio", "gini"):
        a = bootstrap(cp.simulate(pop, base), indicator, n=30, seed=4)
        b = bootstrap(cp.simulate(shuffled, base), indicator, n=30, seed=4)
        # Bit for bit: the sums take the households in id order.
        assert np.array_equal(a.replicates, b.replicates), indicator


def test_workers_without_the_package_get_an_install_hint(monkeypatch):
    pytest.importorskip("distributed")
    import contextlib
    import types

    from commonprosperity import _dask
    from commonprosperity.errors import CommonProsperityError

    class Client:  # what evaluate_on_cluster uses of a distributed.Client
        def as_current(self):
            return contextlib.nullcontext()

        def cancel(self, futures):
            pass

    def ship(*args, **kwargs):
        # distributed re-raises a worker's unpickling error as a bare Exception.
        raise Exception("ModuleNotFoundError(\"No module named 'commonprosperity'\")")

    monkeypatch.setattr(_dask, "_connect", lambda client: (Client(), False))
    monkeypatch.setattr(_dask, "_live_workers", lambda client: ["tcp://w:1"])
    monkeypatch.setattr(_dask, "_ship", ship)
    with pytest.raises(CommonProsperityError, match="install it on every worker"):
        stacked = types.SimpleNamespace(n=2)  # two scenarios
        _dask.evaluate_on_cluster("p.parquet", stacked, "exact", "household", None)
