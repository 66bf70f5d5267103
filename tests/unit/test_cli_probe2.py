"""Probe of the command line around scenario and sweep files (second round).

Each test names the command line that went wrong before its fix: a Python
traceback, or a message that blamed the wrong thing.
"""

from __future__ import annotations

import pytest

from commonprosperity import cli


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, out, err):
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("command", ["run", "solve", "sweep", "baseline"])
def test_an_option_before_the_command_is_named(capsys, tmp_path, monkeypatch, command):
    """`--households 1000 solve` said "solve: cannot read scenario file"."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--households", "1000", command)
    one_line_error(code, out, err)
    assert f"--households comes before the command {command!r}" in err
    assert "cannot read scenario file" not in err
    assert list(tmp_path.iterdir()) == []
    # An existing file of that name is still the scenario of an implied run.
    (tmp_path / command).write_text("year = = 1\n", encoding="utf-8")
    code, out, err = run(capsys, "--households", "1000", command)
    one_line_error(code, out, err)
    assert f"{command}: is not valid TOML" in err


def test_solve_integer_lever_errors_before_building_the_population(capsys, monkeypatch):
    """An integer lever's own mistakes are named before the population is built."""

    def no_population(*args, **kwargs):
        raise AssertionError("the population was built")

    monkeypatch.setattr(cli, "_population", no_population)
    lever = "transfers.child_allowance_max_age"
    for extra, fragment in (
        (["--bounds", "0", "17", "--xtol", "0.5"], "--xtol 0.5: " + lever),
        (["--bounds", "0.2", "0.8"], "no whole number of " + lever),
    ):
        code, out, err = run(
            capsys, "solve", "--lever", lever, "--target", "gini <= 0.3", *extra
        )
        one_line_error(code, out, err)
        assert fragment in err


def test_solve_integer_lever_prints_the_integer_solve_finds(capsys):
    """The command line's answer is solve()'s, an integer age limit."""
    from commonprosperity import Scenario, simulate, solve

    lever = "transfers.child_allowance_max_age"
    pop, _ = cli._population(None, 1_000, 4, 2025)  # the CLI's own population
    base = Scenario.status_quo(2025)
    level = float(
        0.5
        * sum(
            simulate(pop, base.replace({lever: a})).indicators["transfer_spending"]
            for a in (6, 7)
        )
    )
    target = f"transfer_spending >= {level!r}"
    want = solve(pop, base, lever, target, bounds=(0, 17))
    code, out, err = run(
        capsys,
        "solve",
        "--year",
        "2025",
        "--households",
        "1000",
        "--seed",
        "4",
        "--lever",
        lever,
        "--target",
        target,
        "--bounds",
        "0",
        "17",
    )
    assert code == 0, err
    assert f"{lever} = {want} is the smallest value in [0, 17]" in out


GRID = '[grid]\n"transfers.dibao_monthly" = [1000, 1200]\n'


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("year = 2025\n" + GRID + '[plots]\nfrontier = ["T2"]\n', "plots.frontier"),
        (
            'year = 2025\n[population]\nfile = "a\\u0000b"\n' + GRID,
            "population.file must be a path string",
        ),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = [' + "9" * 5000 + "]\n",
            "is not valid TOML",
        ),
        ("year = 2025\nx = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = [' + "9" * 400 + "]\n",
            "must hold finite numbers",
        ),
    ],
)
def test_bad_sweep_files_are_one_line_not_a_traceback(capsys, tmp_path, text, fragment):
    file = tmp_path / "sweep.toml"
    file.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "sweep", file, "--out", tmp_path / "o")
    one_line_error(code, out, err)
    assert fragment in err
    assert not (tmp_path / "o").exists()


def test_run_reads_a_scenario_file_with_a_byte_order_mark(capsys, tmp_path):
    file = tmp_path / "reform.toml"
    file.write_bytes("\ufeffyear = 2024\n[transfers]\ndibao_monthly = 1300\n".encode())
    code, out, err = run(
        capsys, "run", file, "--households", "1000", "--out", tmp_path / "o",
        "--figures", "none",
    )  # fmt: skip
    assert code == 0, err
    assert "reform (2024 policy)" in out


LONG = "a" * 300  # longer than a file name may be: the system refuses it


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--households", "1000", "--out", LONG],
        ["run", "--population", LONG + ".parquet"],
        [
            "solve",
            "--population",
            LONG + ".parquet",
            "--lever",
            "transfers.dibao_monthly",
            "--target",
            "gini <= 0.3",
            "--bounds",
            "1",
            "2",
        ],
        [
            "baseline",
            "--year",
            "2024",
            "--households",
            "1000",
            "--out",
            LONG + ".parquet",
        ],
    ],
)
def test_a_path_the_system_refuses_is_one_line(capsys, tmp_path, monkeypatch, args):
    """OSError (File name too long) escaped as a traceback with exit code 1."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    one_line_error(code, out, err)
    assert "File name too long" in err
    assert list(tmp_path.iterdir()) == []


def test_seed_with_a_population_file_is_an_error(capsys, tmp_path):
    """--seed draws the embedded population: with --population it was ignored."""
    code, out, err = run(
        capsys, "run", "--population", tmp_path / "p.parquet", "--seed", "7"
    )
    one_line_error(code, out, err)
    assert "--seed 7 applies to the embedded population" in err


def test_a_year_before_the_embedded_population_names_its_origin(capsys, tmp_path):
    """It said only "baseline: year must be one of (2020, ...); got 2019"."""
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        "year = 2025\n[population]\nyear = 2019\n" + GRID, encoding="utf-8"
    )
    code, out, err = run(capsys, "sweep", sweep_file, "--out", tmp_path / "o")
    one_line_error(code, out, err)
    assert f"population.year = 2019 in {sweep_file}: the embedded population" in err
    assert 'give population.file = "FILE.parquet" in its [population] table' in err


def test_ten_thousand_bad_values_make_one_short_line(capsys, tmp_path):
    """Every bad value of a range was listed: an error line of 1.1 MB."""
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = '
        "{ start = -10000, stop = -1, num = 10000 }\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "sweep", sweep_file, "--out", tmp_path / "o")
    one_line_error(code, out, err)
    assert len(err) < 3_000
    assert "value -10000: transfers.dibao_monthly: must be >= 0" in err
    assert "; and 9,990 more such problems" in err


def test_an_option_value_named_like_a_command_is_a_value(capsys, tmp_path, monkeypatch):
    """`--households 2000 --out sweep` said "--households comes before the
    command 'sweep'": sweep is the output folder of the implied run."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(
        capsys, "--households", "2000", "--out", "sweep", "--figures", "none"
    )
    assert code == 0, err
    assert "Wrote" in out
    assert (tmp_path / "sweep" / "targets.csv").exists()
