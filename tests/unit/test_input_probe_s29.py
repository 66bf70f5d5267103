"""Reproductions of the input faults found by session 29's probes, now refused."""

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity.errors import PopulationError
from commonprosperity.survey import read_stata

# Two survey ids above 2**24 as a 4-byte float stores them: 20000001 and
# 20000003 were rounded to 20000000 and 20000004 before the file was written.
ROUNDED_IDS = np.array([20000001, 20000003], dtype=np.float32)


def _stata_pair(tmp_path, version, id_labels=None):
    households = pd.DataFrame(
        {"hid": ROUNDED_IDS, "wt": [1.0, 1.0], "urb": np.array([1, 0], np.int8)}
    )
    persons = pd.DataFrame(
        {
            "hid": ROUNDED_IDS,
            "age": [40, 50],
            "emp": np.array([1, 0], np.int8),
            "wage": [1e5, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    labels = {"hid": id_labels} if id_labels else None
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h, write_index=False, version=version, value_labels=labels)
    persons.to_stata(p, write_index=False, version=version, value_labels=labels)
    return h, p


COLUMNS = {"hid": "household_id", "wt": "weight", "urb": "urban", "emp": "employed"}


@pytest.mark.parametrize(
    ("version", "options", "id_labels"),
    [
        (118, {}, None),
        (118, {"recode": {"household_id": {None: -1}}}, None),
        (118, {}, {-9: "refused"}),
        (114, {"encoding": "gb18030"}, None),
        (117, {"encoding": "gb18030"}, None),
    ],
    ids=["plain", "recode", "value-labels", "encoding-114", "encoding-117"],
)
def test_float32_ids_beyond_2_24_are_refused_on_every_reading_path(
    tmp_path, version, options, id_labels
):
    # A recode, value labels or encoding= read the column as objects, which
    # hid its float32 storage: the rounded ids were accepted, silently.
    h, p = _stata_pair(tmp_path, version, id_labels)
    with pytest.raises(
        PopulationError,
        match=r"column 'hid' \(households\.household_id\) is stored as float32",
    ):
        read_stata(h, p, COLUMNS, **options)


def _frames(ids):
    households = pd.DataFrame({"household_id": ids, "weight": 1.0, "urban": True})
    persons = pd.DataFrame(
        {
            "household_id": ids,
            "age": 40,
            "employed": True,
            "wage": 1e5,
            "business": 0.0,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    return households, persons


def test_float16_ids_beyond_2048_are_refused():
    # float16 holds whole numbers exactly up to 2**11: 4097 is stored as 4096.
    ids = np.array([4097, 4099], dtype=np.float16)
    with pytest.raises(PopulationError, match=r"float16 \(2 bytes\).*2,048"):
        cp.Population.from_frames(*_frames(ids))


def test_an_object_column_of_float32_ids_is_refused():
    ids = np.empty(2, dtype=object)
    ids[:] = list(ROUNDED_IDS)
    with pytest.raises(PopulationError, match=r"float32"):
        cp.Population.from_frames(*_frames(ids))


def test_narrow_float_ids_below_their_exact_limit_are_read():
    # The limit itself is refused: it may be a rounded limit + 1 (session 49).
    pop = cp.Population.from_frames(*_frames(np.array([7, 2047], dtype=np.float16)))
    assert pop.household_id.tolist() == [7, 2047]
    pop = cp.Population.from_frames(
        *_frames(np.array([1, 2**24 - 1], dtype=np.float32))
    )
    assert pop.household_id.tolist() == [1, 2**24 - 1]


# Weights scaled so that the largest is near 1 underflowed where they were more
# than about 1e308 times smaller, and those rows counted as unweighted: a CV of
# 0.0 where the exact one is 1.0 (two points of weights 1e300 and 1e-300 whose
# contributions w·x are 1e300 and 1e300 · 1e-300 = 1, mean 1, variance 1).
@pytest.mark.parametrize(
    "measure",
    [
        lambda: cp.metrics.coefficient_of_variation([1.0, 1e300], [1e300, 1e-300]),
        lambda: cp.metrics.gini([0.3, 0.0], weight=[1e-300, 1e300]),
        lambda: cp.metrics.gini([0.3, 0.0], weight=[1e-300, 1e300], method="bracket"),
        lambda: cp.metrics.top_share([0.3, 0.0], weight=[1e-300, 1e300]),
        lambda: cp.metrics.theil([0.3, 1.0], weight=[1e-300, 1e300]),
    ],
    ids=["cv", "gini", "gini-bracket", "top-share", "theil"],
)
def test_weights_beyond_a_floats_range_side_by_side_are_refused(measure):
    with pytest.raises(cp.MeasureError, match=r"weight spans more than a float"):
        measure()


def test_weights_one_scale_apart_within_range_still_measure():
    # 1e300 and 1e-5: scaled by 2**-997 both stay exact.
    x = np.array([1.0, 3.0])
    assert cp.metrics.gini(x, weight=[1e300, 1e300]) == pytest.approx(0.25)
    assert cp.metrics.coefficient_of_variation(x, [1e300, 1e300]) == pytest.approx(0.5)


# --- compare_to_published and calibrate (the baseline probe) -------------------


@pytest.fixture(scope="module")
def baseline_2024():
    return cp.baseline(2024, n_households=5_000, seed=1)


def test_published_income_composition_rows_are_cited(baseline_2024):
    # 2022-2024's composition is published (grade B, 2025 浙江统计年鉴 表5-5):
    # its rows had the source "composition" and no citation.
    table = cp.compare_to_published(baseline_2024)
    rows = table[table["figure"].str.startswith("share of")]
    assert len(rows) == 8
    assert set(rows["grade"]) == {"B"}
    assert set(rows["source"]) == {"yearbook_2025_t5_5"}
    assert rows["citation"].str.contains("表5-5").all()


def test_low_income_rows_say_whose_figure_they_compare(baseline_2024):
    table = cp.compare_to_published(baseline_2024)
    rows = table[table["figure"] == "rural bottom-quintile mean / rural mean"]
    # Jiaxing's published 1 : 1.87, and the province's 2023 floor (> 20,000 /
    # 40,311), once each, the simulated ratio the province's.
    assert sorted(rows["published"].round(4)) == [0.496, 0.5348]
    assert rows["simulated"].nunique() == 1
    jiaxing = rows[rows["source"] == "jiaxing_low_income"]
    assert "Jiaxing" in jiaxing["note"].iloc[0]
    assert "at least" in rows[rows["published"] == 0.496]["note"].iloc[0]


def test_a_margin_key_of_another_type_is_named(baseline_2024):
    pop = baseline_2024
    pw = pop.weight * pop.size
    margins = {
        "persons": {
            "urban": {True: float(pw[pop.urban].sum()), "False": 1.0},
        }
    }
    with pytest.raises(cp.CalibrationError, match=r"its cells \['False'\] match no"):
        cp.calibrate(pop, margins)


def test_a_bad_total_is_quoted_with_the_key_as_given(baseline_2024):
    with pytest.raises(cp.CalibrationError, match=r"got \{True: nan\}"):
        cp.calibrate(
            baseline_2024, {"persons": {"urban": {True: float("nan"), False: 1e6}}}
        )


def test_a_columns_missing_values_and_range_problems_are_reported_at_once():
    # A NaN stopped the column's checks: the negative wage came only on the
    # next run. Each problem is now named once, in one error.
    households = pd.DataFrame(
        {"household_id": [1, 2, 3], "weight": [1.0, np.nan, -2.0], "urban": True}
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "age": 40,
            "employed": True,
            "wage": [-1.0, 0.0, np.nan],
            "business": [np.inf, -5.0, 0.0],
            "property": 0.0,
            "pension": 0.0,
        }
    )
    with pytest.raises(PopulationError) as info:
        cp.Population.from_frames(households, persons)
    text = str(info.value)
    for part in (
        "households.weight must be finite (no missing values, NaN or inf); rows [1]",
        "households.weight must be > 0 for every row; rows [2]",
        "persons.wage must be finite (no missing values, NaN or inf); rows [2]",
        "persons.wage must be >= 0 (only business income may be negative); rows [0]",
        "persons.business must be finite (no missing values, NaN or inf); rows [0]",
    ):
        assert text.count(part) == 1, part
    # The NaN weight and the infinite business income are not named twice.
    assert "must be <= " not in text and "within ±" not in text


# --- scenario (the TOML probe) ---------------------------------------------------


def test_a_scenario_moved_to_another_year_keeps_listing_its_weak_values():
    # status_quo(2024).replace({"year": 2021}) keeps 2024's dibao (1,055, C/R);
    # it was compared with 2021's (835) and counted as the user's own value.
    moved = cp.Scenario.status_quo(2024).replace({"year": 2021})
    keys = [v.key for v in moved.weak_values()]
    assert keys == [v.key for v in cp.Scenario.status_quo(2024).weak_values()]
    dibao = next(v for v in moved.weak_values() if v.key == "transfers.dibao_monthly")
    assert dibao.value == 1055.0 and dibao.source.startswith("2024 status quo: ")
    # The README's recipe for years after 2025 listed none of 2025's 13.
    later = cp.Scenario.status_quo(2025).replace({"year": 2026})
    assert len(later.weak_values()) == len(cp.Scenario.status_quo(2025).weak_values())
    # A value the user changed is still not listed.
    changed = later.replace({"transfers.dibao_monthly": 1234.5})
    assert "transfers.dibao_monthly" not in [v.key for v in changed.weak_values()]


def test_contribution_rules_are_reported_with_a_failing_field():
    base = cp.Scenario.status_quo(2024)
    with pytest.raises(cp.ScenarioError) as info:
        base.replace(
            {
                "social_insurance.unemployment_rate": -0.01,
                "social_insurance.base_floor_monthly": 90_000,
                "social_insurance.pension_rate": 0.9,
                "social_insurance.medical_rate": 0.9,
            }
        )
    text = str(info.value)
    assert "unemployment_rate: must be >= 0" in text
    assert "base_floor_monthly must be <= base_ceiling_monthly" in text
    assert "must add up to at most 1" in text


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("social_insurance.dibao_monthly", "transfers.dibao_monthly"),
        ("wages.pension_rate", "social_insurance.pension_rate"),
        ("income_tax.dibao_take_up", "transfers.dibao_take_up"),
    ],
)
def test_a_key_in_the_wrong_section_suggests_its_section(wrong, right):
    with pytest.raises(cp.ScenarioError, match=rf"did you mean {right}\?"):
        cp.Scenario.status_quo(2024).replace({wrong: 1})


@pytest.mark.parametrize(
    "call",
    [
        lambda: cp.Scenario.status_quo(2024).replace({"year": 10**400}),
        lambda: cp.Scenario.status_quo(10**400),
        lambda: cp.Scenario.status_quo(2024).replace(
            {"transfers.child_allowance_max_age": 1e300}
        ),
    ],
    ids=["year", "status-quo-year", "whole-float"],
)
def test_huge_integers_are_named_by_their_size(call):
    with pytest.raises(cp.ScenarioError, match=r"an integer of \d+ digits") as info:
        call()
    assert len(str(info.value)) < 200


# --- the economist's workflow probe ------------------------------------------------


def test_a_path_carries_the_fiscal_split_of_each_year():
    # "taxes + contributions - transfers" from the path counted the housing fund
    # (employees' savings) as revenue; each row now has Result.fiscal's split.
    pop = cp.baseline(2023, n_households=2_000, seed=2)
    scenarios = {y: cp.Scenario.status_quo(y) for y in (2023, 2024)}
    path = cp.simulate_path(pop, scenarios)
    for year in (2023, 2024):
        fiscal = cp.simulate(cp.project(pop, year), scenarios[year]).fiscal
        for key in ("social_insurance_fund_revenue", "housing_fund", "net_revenue"):
            assert path.loc[year, key] == fiscal[key], (year, key)
        assert path.loc[year, "social_insurance_contributions"] == pytest.approx(
            fiscal["social_insurance_fund_revenue"] + fiscal["housing_fund"],
            rel=1e-12,
        )


def test_the_command_line_says_why_t7_to_t10_cannot_be_solved_for(capsys):
    from commonprosperity.cli import main

    code = main(
        [
            "solve",
            "--year",
            "2025",
            "--households",
            "1000",
            "--lever",
            "transfers.dibao_monthly",
            "--target",
            "T9",
            "--bounds",
            "1128",
            "3000",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot be judged from one year's simulation" in err
    assert "unknown indicator" not in err


def test_a_heatmap_says_where_it_holds_the_other_levers():
    frame = pd.DataFrame(
        {
            "transfers.dibao_monthly": [1000.0, 1000.0, 1200.0, 1200.0] * 2,
            "transfers.residents_pension_monthly": [200.0, 300.0] * 4,
            "transfers.child_allowance_monthly": [300.0] * 4 + [1000.0] * 4,
            "band_share_100k_500k": np.linspace(0.5, 0.6, 8),
        }
    )
    from commonprosperity import plots

    fig = plots.sweep_heatmap(
        frame,
        "transfers.dibao_monthly",
        "transfers.residents_pension_monthly",
        "band_share_100k_500k",
        fixed={"transfers.child_allowance_monthly": 300.0},
    )
    assert "at child_allowance_monthly = 300" in fig.axes[0].get_title(loc="left")


# --- extreme valid populations ------------------------------------------------------


def _weighted(pop, weight):
    return pop.with_weights(np.full(pop.n_households, weight))


@pytest.mark.parametrize("weight", [1e-160, 1e-170, 1e-300])
def test_sweep_and_bootstrap_gini_hold_for_tiny_weights(weight):
    # The sweep and the bootstrap took the Gini on unscaled person weights: it
    # drifted from 1e-158 on (its bracket missing the exact value) and was NaN
    # below 1e-168, while simulate scales them by a power of two.
    pop = _weighted(cp.synthetic_population(300, seed=4), weight)
    base = cp.Scenario.status_quo(2024)
    expected = cp.simulate(pop, base).indicators["gini"]
    exact = cp.sweep(pop, base, {"transfers.dibao_monthly": [1055.0]}, progress=False)
    assert exact["gini"].iloc[0] == expected
    bracket = cp.sweep(
        pop,
        base,
        {"transfers.dibao_monthly": [1055.0]},
        gini="bracket",
        progress=False,
    )
    assert bracket["gini_lower"].iloc[0] <= expected <= bracket["gini_upper"].iloc[0]
    reference = cp.bootstrap(
        cp.simulate(_weighted(pop, 1.0), base), "gini", n=20, seed=1
    )
    tiny = cp.bootstrap(cp.simulate(pop, base), "gini", n=20, seed=1)
    np.testing.assert_allclose(tiny.replicates, reference.replicates, rtol=1e-12)


def test_a_bootstraps_standard_error_of_tiny_totals_does_not_underflow():
    pop = _weighted(cp.synthetic_population(300, seed=4), 1e-170)
    result = cp.simulate(pop, cp.Scenario.status_quo(2024))
    boot = cp.bootstrap(result, "iit_revenue", n=20, seed=1)
    spread = np.std(np.ldexp(boot.replicates, 560), ddof=1)
    assert boot.std_error > 0
    assert np.ldexp(boot.std_error, 560) == pytest.approx(spread, rel=1e-12)


def test_the_lorenz_legend_says_undefined_for_a_gross_income_of_negative_mean():
    from commonprosperity import plots

    pop = cp.synthetic_population(300, seed=4)
    households, persons = pop.to_frames()
    persons["business"] = -1e6  # losses everywhere: the mean gross income < 0
    losses = cp.Population.from_frames(households, persons)
    fig = plots.lorenz_curves(
        {"status quo": cp.simulate(losses, cp.Scenario.status_quo(2024))},
        gross="gross income",
    )
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "gross income (Gini undefined)" in labels
    assert not any("Gini -" in label for label in labels)


# --- concurrency and resources ------------------------------------------------------


def test_a_failed_parquet_write_keeps_the_old_file(tmp_path, monkeypatch):
    # write_parquet wrote in place: a full disk deleted the old population and an
    # interrupt could leave 0 bytes.
    import commonprosperity.survey as survey

    pop = cp.synthetic_population(200, seed=1)
    path = tmp_path / "pop.parquet"
    pop.write_parquet(path)
    before = path.read_bytes()
    real = survey.pq.write_table

    def full_disk(table, where, **kwargs):
        real(table.slice(0, 10), where, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(survey.pq, "write_table", full_disk)
    with pytest.raises(PopulationError, match="cannot write"):
        cp.synthetic_population(300, seed=2).write_parquet(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop.parquet"]
    monkeypatch.undo()
    assert survey.read_parquet(path).n_households == 200


def test_an_interrupt_while_setting_threads_restores_the_count(monkeypatch):
    import numba

    from commonprosperity._kernels.threads import numba_threads

    previous = numba.get_num_threads()
    real = numba.set_num_threads
    calls = []

    def set_then_interrupt(n):
        real(n)
        calls.append(n)
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(numba, "set_num_threads", set_then_interrupt)
    with pytest.raises(KeyboardInterrupt), numba_threads(1):
        pass
    assert numba.get_num_threads() == previous
