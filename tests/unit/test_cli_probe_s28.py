"""The command line in a hostile environment (probe of session 28)."""

from __future__ import annotations

import os

import pytest

from commonprosperity import Scenario, cli, synthetic_population
from commonprosperity.errors import ScenarioError


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_path_in_another_encoding_is_one_line_not_a_traceback(capsys, tmp_path):
    # GBK bytes of 方案 decoded with surrogates (or any name under LC_ALL=C): the
    # figure titles, report.md and pyarrow failed on it after the whole run.
    name = os.fsdecode(b"\xb7\xbd\xb0\xb8")
    code, _, err = run(capsys, "run", "--households", 2000, "--out", tmp_path / name)
    assert code == 2
    assert "not valid text in this system's encoding" in err
    assert "Traceback" not in err and not (tmp_path / name).exists()


def test_an_unknown_users_home_is_one_line(capsys):
    code, _, err = run(capsys, "run", "--households", 2000, "--out", "~nosuchuser9/x")
    assert code == 2 and "cannot expand '~nosuchuser9/x'" in err


def test_a_broken_symlink_as_out_is_refused_before_simulating(capsys, tmp_path):
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    code, stdout, err = run(capsys, "run", "--households", 2000, "--out", link)
    assert code == 2 and "broken symbolic link" in err and stdout == ""


def test_a_sweep_does_not_overwrite_its_own_population_file(capsys, tmp_path):
    pop = synthetic_population(1_500, seed=1)
    pop.write_parquet(tmp_path / "sweep.parquet")
    before = (tmp_path / "sweep.parquet").read_bytes()
    (tmp_path / "s.toml").write_text(
        'year = 2024\n[population]\nfile = "sweep.parquet"\n[grid]\n'
        '"transfers.dibao_monthly" = [1200, 1500]\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "sweep", tmp_path / "s.toml", "--out", tmp_path)
    assert (
        code == 2
        and "its population file" in err
        and "has the name of an output" in err
    )
    assert (tmp_path / "sweep.parquet").read_bytes() == before
    # Another directory is fine.
    code, _, err = run(
        capsys, "sweep", tmp_path / "s.toml", "--out", tmp_path / "o", "--no-progress"
    )
    assert code == 0, err


def test_to_toml_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    # Written in place, a full disk left an empty file (solve --save).
    path = tmp_path / "s.toml"
    Scenario.status_quo(2023).to_toml(path)
    before = path.read_text(encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ScenarioError, match="No space left on device"):
        Scenario.status_quo(2024).to_toml(path)
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_indicators_csv_says_yuan_in_full_as_fiscal_csv(capsys, tmp_path):
    import pandas as pd

    code, _, err = run(
        capsys, "run", "--households", 2000, "--out", tmp_path / "o",
        "--figures", "none",
    )  # fmt: skip
    assert code == 0, err
    ind = pd.read_csv(tmp_path / "o" / "indicators.csv", index_col=0)
    fiscal = pd.read_csv(tmp_path / "o" / "fiscal.csv", index_col=0)
    assert ind.loc["iit_revenue", "unit"] == "yuan per year"
    assert fiscal.loc["iit_revenue", "unit"] == "yuan per year"
    assert ind.loc["per_capita_disposable_income", "unit"] == (
        "yuan per person per year"
    )
    assert ind.loc["gini", "unit"] == "ratio"
    # report.md still formats them as yuan.
    text = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    value = ind.loc["per_capita_disposable_income", "value"]
    assert f"{value:,.0f}" in text
