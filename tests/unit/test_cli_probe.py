"""Probe of the command line, reports and plots: bugs found and fixed.

Each test names the input that went wrong; expected values are derived here, not
read back from the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from commonprosperity import Scenario, baseline, cli, plots, report, simulate
from commonprosperity._sweepfile import read_sweep_file
from commonprosperity.errors import ScenarioError
from commonprosperity.targets import TARGETS

N = "2000"  # households: small, and the baseline's minimum is 1,000


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _tree(path):
    return sorted(
        (str(p.relative_to(path)), p.read_bytes() if p.is_file() else b"")
        for p in path.rglob("*")
    )


# ------------------------------------------------- outputs: all or nothing
def test_interrupted_run_leaves_the_out_directory_as_it_was(
    capsys, tmp_path, monkeypatch
):
    """Ctrl-C while the figures were saved left the CSVs and half the figures."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "city_bars", interrupted)
    new = tmp_path / "new" / "out"
    code, out, err = run(capsys, "run", "--households", N, "--out", new)
    assert code == 130 and out == "" and err == "commonprosperity run: interrupted\n"
    assert not (tmp_path / "new").exists()

    old = tmp_path / "old"
    old.mkdir()
    (old / "targets.csv").write_text("from an earlier run\n", encoding="utf-8")
    (old / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = _tree(tmp_path)
    code, _, _ = run(capsys, "run", "--households", N, "--out", old)
    assert code == 130
    assert _tree(tmp_path) == before  # no new file, no scratch folder, old kept


def test_failed_sweep_write_leaves_nothing(tmp_path, monkeypatch):
    """A figure that failed after sweep.csv and sweep.parquet left both behind."""
    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1128, 1600]\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    frame = pd.DataFrame(
        {
            "transfers.dibao_monthly": [1128.0, 1600.0],
            "gini": [0.35, 0.34],
            "net_fiscal_cost": [0.0, 1e9],
        }
    )

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(plots, "fiscal_frontier", broken)
    before = _tree(tmp_path)
    with pytest.raises(RuntimeError, match="figure failed"):
        report.write_sweep(frame, tmp_path / "out", spec=spec, heading="h")
    assert _tree(tmp_path) == before


def test_write_run_returns_the_files_in_place(tmp_path):
    """The staged write still puts every file (and only those) into ``out``."""
    from commonprosperity import synthetic_population

    r = simulate(synthetic_population(300, seed=2), Scenario.status_quo(2021))
    out = tmp_path / "a" / "b"
    written = report.write_run(r, out, heading="h", formats=("png",))
    assert sorted(p.name for p in written) == sorted(p.name for p in out.iterdir())
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no scratch left


# ------------------------------------------------------------- sweep files
def test_repeated_grid_value_is_bad_input(capsys, tmp_path):
    """[1000, 1000, 1200] crashed the heatmap with a traceback after writing."""
    file = tmp_path / "s.toml"
    file.write_text(
        "year = 2025\n[grid]\n"
        '"transfers.dibao_monthly" = [1000, 1000, 1200]\n'
        '"income_tax.basic_deduction" = { start = 60000, stop = 60000, num = 2 }\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(file)
    text = str(info.value)
    assert "grid.'transfers.dibao_monthly' repeats the value(s) 1000" in text
    assert "grid.'income_tax.basic_deduction' repeats the value(s) 60000" in text
    code, out, err = run(capsys, "sweep", file, "--out", tmp_path / "o")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "repeats the value(s) 1000" in err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------- plots
def test_large_heatmap_has_a_capped_size_and_no_cell_texts():
    """A 2 x 5,000 grid made a 620,000-pixel-high PNG in minutes."""
    xs = np.linspace(1000.0, 3000.0, 40)
    ys = np.linspace(60000.0, 96000.0, 60)
    x, y = np.meshgrid(xs, ys)
    ratio = 1.7 + 0.3 * (x - 1000.0) / 2000.0
    frame = pd.DataFrame(
        {"a.x_monthly": x.ravel(), "b.y": y.ravel(), "urban_rural_ratio": ratio.ravel()}
    )
    fig = plots.sweep_heatmap(frame, "a.x_monthly", "b.y", "urban_rural_ratio")
    width, height = fig.get_size_inches()
    assert width <= 18 and height <= 14
    ax = fig.axes[0]
    assert len(ax.texts) == 0
    assert 2 <= len(ax.get_xticks()) <= 12 and 2 <= len(ax.get_yticks()) <= 12
    # Every cell below the T4 ceiling of 1.9 is still outlined.
    t4 = next(t for t in TARGETS if t.id == "T4").target
    n_met = int((ratio < t4).sum())
    assert 0 < n_met < ratio.size
    assert sum(len(c.get_paths()) for c in ax.collections) == n_met
    assert "outlined: meets T4" in ax.get_title(loc="left")


def test_lorenz_of_zero_income_is_undefined_without_a_warning():
    """All-zero gross incomes made lorenz_curves divide by zero (RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, s = plots.lorenz_points(np.zeros(4), np.ones(4), 5)
        assert p.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
        assert np.isnan(s).all()
        assert math.isnan(plots._exact_gini(np.zeros(3), np.ones(3)))


# ------------------------------------------------------------ command line
def test_empty_out_is_bad_input_not_the_current_directory(
    capsys, tmp_path, monkeypatch
):
    """--out '' is Path('.'): the report went into the current directory."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "run", "--households", N, "--out", "")
    assert code == 2 and out == ""
    assert "argument --out: must be a path; got an empty string" in err
    assert list(tmp_path.iterdir()) == []


SOLVE = ["solve", "--lever", "transfers.dibao_monthly", "--bounds", "800", "3000"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (  # 1e999 is inf: "gini <= inf" was solved at the lower bound
            ["--target", "gini <= 1e999"],
            "--target 'gini <= 1e999': the number must be finite; got 1e999",
        ),
        (  # the bisection never reached a bracket narrower than 1e-300: a hang
            ["--target", "gini <= 0.35", "--xtol", "1e-300"],
            "--xtol 1e-300: finer than floating point can resolve",
        ),
    ],
)
def test_solve_refuses_targets_and_tolerances_it_cannot_meet(capsys, extra, fragment):
    code, out, err = run(capsys, *SOLVE, *extra)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert fragment in err


def test_solve_names_the_option_of_a_bad_lever_or_bound(capsys):
    code, _, err = run(
        capsys,
        "solve",
        "--lever",
        "transfers",
        "--target",
        "gini <= 0.3",
        "--bounds",
        "0",
        "1",
    )
    assert code == 2
    assert "--lever transfers: is a section, not a lever" in err
    code, _, err = run(
        capsys,
        "solve",
        "--lever",
        "transfers.dibao_monthly",
        "--target",
        "gini <= 0.3",
        "--bounds",
        "-5",
        "3000",
    )
    assert code == 2
    assert "--bounds -5 3000: transfers.dibao_monthly: must be >= 0" in err


# ------------------------------------------------- tables against the API
def test_run_tables_agree_with_the_python_api(capsys, tmp_path):
    out = tmp_path / "o"
    code, _, err = run(
        capsys, "run", "--households", N, "--out", out, "--figures", "none"
    )
    assert code == 0, err
    r = simulate(baseline(2024, n_households=int(N), seed=0), Scenario.status_quo(2024))
    ind = pd.read_csv(out / "indicators.csv", index_col=0)
    assert list(ind.index) == list(r.indicators.index)
    np.testing.assert_allclose(ind["value"], r.indicators, rtol=1e-12)
    targets = pd.read_csv(out / "targets.csv", index_col=0)
    expected = r.targets()
    for col in ("value", "target", "gap"):
        np.testing.assert_allclose(targets[col], expected[col], rtol=1e-12)
    fiscal = pd.read_csv(out / "fiscal.csv", index_col=0)
    np.testing.assert_allclose(fiscal["value"], r.fiscal[fiscal.index], rtol=1e-12)
