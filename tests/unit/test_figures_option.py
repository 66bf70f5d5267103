"""`--figures`: the figure formats a run or a sweep writes, or none."""

from __future__ import annotations

import pytest

from commonprosperity import cli

TABLES = {"indicators.csv", "targets.csv", "fiscal.csv", "deciles.csv", "report.md"}
RUN_FIGURES = ("dashboard", "lorenz", "income_distribution", "cities")


def _main(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _written(stdout):
    """The file names of the "Wrote N files to DIR/: a, b, c" line."""
    line = next(x for x in stdout.splitlines() if x.startswith("Wrote "))
    return line.split(": ", 1)[1].split(", ")


def test_none_writes_the_tables_and_report_only(capsys, tmp_path):
    out = tmp_path / "o"
    code, stdout, err = _main(
        capsys, "run", "--households", 1000, "--figures", "none", "--out", out
    )
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == TABLES
    assert sorted(_written(stdout)) == sorted(TABLES)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "![" not in report
    assert "--figures none" in report  # the command, as given


def test_formats_are_written_each_once_in_any_case(capsys, tmp_path):
    out = tmp_path / "o"
    code, stdout, err = _main(
        capsys, "run", "--households", 1000, "--figures", "PDF, png,pdf", "--out", out
    )
    assert code == 0, err
    figures = {f"{f}.{ext}" for f in RUN_FIGURES for ext in ("pdf", "png")}
    assert {p.name for p in out.iterdir()} == TABLES | figures
    written = _written(stdout)
    assert len(written) == len(set(written)) == len(TABLES | figures)
    for name in figures:
        assert (out / name).stat().st_size > 0


def test_a_run_without_figures_leaves_none_of_an_earlier_runs(capsys, tmp_path):
    """A folder holds one output: the figures of an earlier run in it are not
    left beside tables they were not drawn from."""
    out = tmp_path / "o"
    code, _, err = _main(
        capsys, "run", "--households", 1000, "--figures", "svg", "--out", out
    )
    assert code == 0, err
    assert (out / "dashboard.svg").is_file()
    code, _, err = _main(
        capsys, "run", "--households", 1000, "--figures", "none", "--out", out
    )
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == TABLES


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("pnj", "got 'pnj' ('pnj' is not one)"),
        ("png,,svg", "got 'png,,svg' ('' is not one)"),
        ("jpg,tiff", "got 'jpg,tiff' ('jpg', 'tiff' are not)"),
        ("", "got '' ('' is not one)"),
        ("none,png", "none (no figures) goes alone; got 'none,png'"),
    ],
)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_bad_value_is_refused_naming_the_option_and_what_is_allowed(
    capsys, tmp_path, command, value, said
):
    out = tmp_path / "o"
    first = ["run", "--households", 1000] if command == "run" else ["sweep", "s.toml"]
    code, stdout, err = _main(capsys, *first, "--figures", value, "--out", out)
    assert code == 2
    assert stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "argument --figures: " in lines[0]
    assert said in lines[0]
    if "none," not in value:
        assert "png, svg, pdf (several separated by commas) or none" in lines[0]
    assert not out.exists()


def test_help_names_the_formats_and_the_default(capsys):
    code, stdout, _ = _main(capsys, "sweep", "--help")
    assert code == 0
    text = " ".join(stdout.split())
    assert (
        "--figures FORMATS figure file formats, separated by commas: png, svg, pdf"
        in text
    )
    assert "(default png,svg), or none" in text


def test_a_sweep_writes_the_formats_asked_for(capsys, tmp_path):
    file = tmp_path / "s.toml"
    file.write_text(
        "year = 2025\n[population]\nhouseholds = 1000\n[grid]\n"
        '"transfers.dibao_monthly" = [1128, 1600]\n'
        '"income_tax.basic_deduction" = [60000, 70000]\n'
        '[plots]\nheatmap = "urban_rural_ratio"\nfrontier = "T4"\n',
        encoding="utf-8",
    )
    out = tmp_path / "o"
    sweep_files = {"sweep.csv", "sweep.parquet", "report.md"}
    for figures, drawn in (("none", set()), ("svg", {"heatmap.svg", "frontier.svg"})):
        code, _, err = _main(
            capsys, "sweep", file, "--out", out, "--no-progress", "--figures", figures
        )
        assert code == 0, err
        assert {p.name for p in out.iterdir()} == sweep_files | drawn
