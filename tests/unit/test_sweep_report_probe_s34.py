"""Probe of a sweep's summary where a target cannot be judged (session 34).

On a population without rural households T4 (urban/rural ratio) is NA in every
row: the summary said "met in 0 of 4 scenarios", which reads as "no scenario
reaches it", and a frontier on T4 discarded the whole sweep with an error that
named neither the file nor ``plots.frontier``.
"""

from __future__ import annotations

import pandas as pd

from commonprosperity import Population, cli, report, synthetic_population

GRID = (
    '[grid]\n"transfers.dibao_monthly" = [1000, 1200]\n'
    '"income_tax.basic_deduction" = [60000, 70000]\n'
)


def test_summary_counts_the_scenarios_judged():
    frame = pd.DataFrame(
        {
            "transfers.dibao_monthly": [1000.0, 1200.0, 1400.0],
            "urban_rural_ratio": [float("nan"), 1.8, 2.0],
            "T4_met": pd.array([pd.NA, True, False], dtype="boolean"),
            "T5_met": pd.array([pd.NA, pd.NA, pd.NA], dtype="boolean"),
            "net_fiscal_cost": [0.0, 1e9, 2e9],
        }
    )
    table = report.sweep_summary(frame, ["transfers.dibao_monthly"])
    assert table.loc["T4", "scenarios_meeting"] == 1
    assert table.loc["T4", "scenarios_judged"] == 2
    assert table.loc["T5", "scenarios_meeting"] == 0
    assert table.loc["T5", "scenarios_judged"] == 0
    # Recomputed from the indicator where the frame has no T*_met: NaN is unjudged.
    bare = frame.drop(columns=["T4_met", "T5_met"])
    assert report.sweep_summary(bare, [])["scenarios_judged"].to_dict() == {"T4": 2}


def _all_urban(tmp_path):
    hh, pp = synthetic_population(1_500, seed=1).to_frames()
    hh["urban"] = True
    path = tmp_path / "urban.parquet"
    Population.from_frames(hh, pp).with_year(2024).write_parquet(path)
    return path


def test_cli_says_a_target_is_not_judged_and_skips_its_frontier(capsys, tmp_path):
    _all_urban(tmp_path)
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        f'year = 2024\n[population]\nfile = "urban.parquet"\n{GRID}'
        '[plots]\nfrontier = "T4"\n',
        encoding="utf-8",
    )
    out = tmp_path / "o"
    code = cli.main(["sweep", str(spec), "--no-progress", "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    t4 = next(line for line in stdout.splitlines() if line.lstrip().startswith("T4"))
    assert "not judged in any of 4 scenarios" in t4 and "met in" not in t4
    # The sweep is kept; the frontier it cannot draw is said in the report.
    assert (out / "sweep.parquet").exists() and (out / "heatmap.png").exists()
    assert not (out / "frontier.png").exists()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "frontier: not drawn: T4 (urban_rural_ratio) is undefined" in md
    frame = pd.read_parquet(out / "sweep.parquet")
    assert frame["T4_met"].isna().all()
