"""Report tables, text and files: the numbers are the result's own."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, report, simulate, synthetic_population
from commonprosperity._sweepfile import read_sweep_file


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(3_000, seed=7)


@pytest.fixture(scope="module")
def base(pop):
    return simulate(pop, Scenario.status_quo(2025))


@pytest.fixture(scope="module")
def reform(pop):
    return simulate(
        pop, Scenario.status_quo(2025).replace({"income_tax.basic_deduction": 80_000})
    )


def test_target_table_has_value_target_met_gap(base, reform):
    table = report.target_table(reform, base)
    assert list(table.index) == [f"T{i}" for i in range(1, 11)]
    for col in ("value", "target", "met", "gap", "status_quo"):
        assert col in table.columns
    assert table.loc["T1", "value"] == reform.indicators["per_capita_disposable_income"]
    assert (
        table.loc["T1", "status_quo"] == base.indicators["per_capita_disposable_income"]
    )
    assert table.loc["T1", "gap"] == pytest.approx(75_000 - table.loc["T1", "value"])


def test_format_target_table_is_ascii_and_one_row_per_target(base):
    text = report.format_target_table(report.target_table(base))
    text.encode("ascii")
    lines = text.splitlines()
    assert len(lines) == 12
    assert lines[0].split()[:2] == ["indicator", "value"]
    t1 = lines[2]
    assert t1.startswith("T1 ")
    assert f"{base.indicators['per_capita_disposable_income']:,.0f}" in t1
    assert ">= 75,000" in t1


def test_indicator_and_fiscal_changes(base, reform):
    ind = report.indicator_table(reform, base)
    assert np.allclose(ind["change"], ind["value"] - ind["status_quo"], equal_nan=True)
    assert ind.loc["gini", "unit"] == "ratio"
    fiscal = report.fiscal_table(reform, base)
    cost = fiscal.loc["net_fiscal_cost", "change"]
    assert cost == pytest.approx(
        base.fiscal["net_revenue"] - reform.fiscal["net_revenue"]
    )
    assert cost > 0  # a higher basic deduction costs income-tax revenue


def test_weak_values_are_listed_with_sources(base):
    weak = report.weak_values_table(base)
    assert len(weak) == len(base.provenance["weak_values"]) > 0
    assert set(weak["grade"]) <= {"C", "R"}
    text = report.summary_text(base, heading="h")
    for key in weak["key"]:
        assert key in text


def _deciles_by_hand(result):
    """Deciles from the definition (pandas groupby): reference for Result.deciles."""
    hh = result.households
    size = hh["size"].to_numpy(dtype=np.float64)
    pc = hh["disposable_income"].to_numpy(dtype=np.float64) / size
    w = result.population.weight
    pw = w * size
    order = np.argsort(pc, kind="stable")
    cum = np.cumsum(pw[order])
    mid = (cum - 0.5 * pw[order]) / cum[-1]
    group = np.empty(pc.shape[0], dtype=np.int64)
    group[order] = np.minimum((mid * 10).astype(np.int64), 9) + 1
    frame = pd.DataFrame(
        {"decile": group, "persons": pw, "households": w, "pc": pc, "income": pw * pc}
    )
    g = frame.groupby("decile")
    out = pd.DataFrame(
        {
            "population_share": g["persons"].sum() / pw.sum(),
            "households": g["households"].sum(),
            "min_per_capita": g["pc"].min(),
            "max_per_capita": g["pc"].max(),
            "disposable_income": g["income"].sum() / g["persons"].sum(),
            "income_share": g["income"].sum() / frame["income"].sum(),
        }
    )
    return out.reindex(pd.RangeIndex(1, 11, name="decile"))


def test_reference_deciles_partition_persons(base):
    dec = _deciles_by_hand(base)
    assert list(dec.index) == list(range(1, 11))
    assert dec["population_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert dec["income_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(dec["disposable_income"]) > 0)
    assert np.all(
        dec["max_per_capita"].to_numpy()[:-1] <= dec["min_per_capita"].to_numpy()[1:]
    )
    hh = base.households
    pw = base.population.weight * base.population.size
    mean = float(np.sum(base.population.weight * hh["disposable_income"]) / pw.sum())
    overall = float(np.sum(dec["population_share"] * dec["disposable_income"]))
    assert overall == pytest.approx(mean, rel=1e-12)


def test_report_deciles_agree_with_the_definition(base):
    mine = _deciles_by_hand(base)
    theirs = report.deciles(base)
    for col in (
        "population_share",
        "households",
        "min_per_capita",
        "max_per_capita",
        "disposable_income",
    ):
        assert np.allclose(mine[col], theirs[col], rtol=1e-12), col


def test_markdown_table_escapes_pipes():
    text = report.markdown_table(
        pd.DataFrame({"a": ["x|y"], "b": [1.23456]}), formats={"b": ".2f"}
    )
    assert text.splitlines()[2] == "| 0 | x\\|y | 1.23 |"


def test_markdown_report_has_provenance_and_the_full_scenario(base, reform):
    text = report.markdown_report(
        reform,
        heading="deduction 80k",
        baseline=base,
        figures=["dashboard.png"],
        command="commonprosperity run",
    )
    for section in (
        "## Plan targets for 2025",
        "## Indicators",
        "## Fiscal totals",
        "## Deciles",
        "## Figures",
        "## Provenance",
        "### Scenario",
    ):
        assert section in text
    assert "![dashboard](dashboard.png)" in text
    assert reform.provenance["data_version"] in text
    toml = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    assert Scenario.from_dict(tomllib.loads(toml)) == reform.scenario
    for v in reform.provenance["weak_values"]:
        assert v["key"] in text
    assert "T1" in text and "net_fiscal_cost" in text
    # no timestamps: the same run gives the same report
    assert text == report.markdown_report(
        reform,
        heading="deduction 80k",
        baseline=base,
        figures=["dashboard.png"],
        command="commonprosperity run",
    )


def test_write_run_writes_tables_figures_and_report(base, reform, tmp_path):
    out = tmp_path / "deep" / "out"
    written = report.write_run(reform, out, heading="h", baseline=base)
    names = {p.name for p in written}
    assert names == {
        "indicators.csv",
        "targets.csv",
        "fiscal.csv",
        "deciles.csv",
        "winners_losers.csv",
        "report.md",
        *(
            f"{f}.{ext}"
            for f in ("dashboard", "lorenz", "income_distribution", "cities")
            for ext in ("png", "svg")
        ),
    }
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    targets = pd.read_csv(out / "targets.csv", index_col=0)
    assert list(targets.index) == [f"T{i}" for i in range(1, 11)]
    assert targets.loc["T4", "value"] == pytest.approx(
        reform.indicators["urban_rural_ratio"], rel=1e-9
    )
    deciles = pd.read_csv(out / "deciles.csv", index_col=0)
    assert len(deciles) == 10


def _sweep_frame(pop, base_result, grid):
    rows = []
    for dibao in grid["transfers.dibao_monthly"]:
        for deduction in grid["income_tax.basic_deduction"]:
            s = Scenario.status_quo(2025).replace(
                {
                    "transfers.dibao_monthly": dibao,
                    "income_tax.basic_deduction": deduction,
                }
            )
            r = simulate(pop, s)
            rows.append(
                {
                    "transfers.dibao_monthly": dibao,
                    "income_tax.basic_deduction": deduction,
                    **r.indicators.to_dict(),
                    "net_fiscal_cost": base_result.fiscal["net_revenue"]
                    - r.fiscal["net_revenue"],
                }
            )
    return pd.DataFrame(rows)


def test_write_sweep_and_its_summary(pop, base, tmp_path):
    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1128, 1600]\n'
        '"income_tax.basic_deduction" = [60000, 80000]\n'
        '[plots]\nfrontier = "T4"\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    frame = _sweep_frame(pop, base, spec.grid)
    written, summary = report.write_sweep(
        frame, tmp_path / "out", spec=spec, heading="test sweep"
    )
    assert {p.name for p in written} == {
        "sweep.csv",
        "sweep.parquet",
        "heatmap.png",
        "heatmap.svg",
        "frontier.png",
        "frontier.svg",
        "report.md",
    }
    back = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    pd.testing.assert_frame_equal(back, frame)
    table = report.sweep_summary(frame, spec.levers)
    n_t4 = int((frame["urban_rural_ratio"] < 1.9).sum())
    assert table.loc["T4", "scenarios_meeting"] == n_t4
    assert f"T4 urban / rural income ratio: met in {n_t4} of 4 scenarios" in summary
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Cheapest scenarios meeting T4" in md
    assert "`transfers.dibao_monthly`: 1,128, 1,600" in md


def test_write_sweep_with_a_list_lever_after_the_first_two(pop, tmp_path):
    """A third lever holding whole rate schedules is fixed at the base's schedule.

    It was converted to one float per grid value (a TypeError on a list).
    """
    import dataclasses

    from commonprosperity import sweep

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1128, 1600]\n'
        '"income_tax.basic_deduction" = [60000, 80000]\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    status_quo = [0.03, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45]  # the IIT law, 2019
    higher = [r + 0.01 for r in status_quo]
    grid = {**spec.grid, "income_tax.rates": [higher, status_quo]}
    spec = dataclasses.replace(spec, grid=grid, levers=tuple(grid))
    frame = sweep(pop, spec.base, grid, progress=False)
    written, _ = report.write_sweep(
        frame, tmp_path / "out", spec=spec, heading="h", formats=("png",)
    )
    assert "heatmap.png" in {p.name for p in written}
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert (
        "other levers fixed at income_tax.rates = "
        "[0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45]" in md
    )
