"""The SWEEP.toml format: what it accepts, and every problem reported by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from commonprosperity import Scenario, ScenarioError
from commonprosperity._sweepfile import MAX_SCENARIOS, read_sweep_file

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples" / "sweep_dibao_deduction.toml"
)


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_is_valid():
    spec = read_sweep_file(EXAMPLE)
    assert spec.base == Scenario.status_quo(2025)
    assert spec.levers == ("transfers.dibao_monthly", "income_tax.basic_deduction")
    assert spec.grid["income_tax.basic_deduction"] == [60_000, 72_000, 84_000, 96_000]
    assert spec.n_scenarios == 20


def test_base_file_is_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "sc").mkdir()
    write(tmp_path / "sc", "year = 2024\n[transfers]\ndibao_monthly = 1200\n", "b.toml")
    spec = read_sweep_file(
        write(
            tmp_path,
            'base = "sc/b.toml"\n[grid]\n"income_tax.basic_deduction" = [60000]\n',
        )
    )
    assert spec.base.year == 2024
    assert spec.base.transfers.dibao_monthly == 1200
    assert spec.base_label == "sc/b.toml"


def test_integer_fields_get_integers_and_ranges_expand(tmp_path):
    spec = read_sweep_file(
        write(
            tmp_path,
            'year = 2025\n[grid]\n"transfers.child_allowance_max_age" = [3, 6]\n'
            '"transfers.dibao_take_up" = { start = 0.4, stop = 0.8, num = 3 }\n',
        )
    )
    assert spec.grid["transfers.child_allowance_max_age"] == [3, 6]
    assert all(
        isinstance(v, int) for v in spec.grid["transfers.child_allowance_max_age"]
    )
    assert spec.grid["transfers.dibao_take_up"] == pytest.approx([0.4, 0.6, 0.8])


def test_population_and_plots_options(tmp_path):
    pop = write(tmp_path, "", "pop.parquet")
    spec = read_sweep_file(
        write(
            tmp_path,
            'year = 2025\nband_basis = "three_person"\n[population]\n'
            'file = "pop.parquet"\n[grid]\n"transfers.dibao_monthly" = [1000]\n'
            '[plots]\nheatmap = "urban_rural_ratio"\nfrontier = "gini"\n',
        )
    )
    assert spec.population_file == pop.resolve()
    assert spec.band_basis == "three_person"
    assert (spec.heatmap, spec.frontier) == ("urban_rural_ratio", "gini")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('[grid]\n"transfers.dibao_monthly" = [1]\n', ["give exactly one of base"]),
        (
            'year = 2025\nbase = "x.toml"\n[grid]\n"transfers.dibao_monthly" = [1]\n',
            ["give exactly one of base"],
        ),
        (
            'base = "missing.toml"\n[grid]\n"transfers.dibao_monthly" = [1]\n',
            ["base: ", "missing.toml: cannot read scenario file"],
        ),
        ("year = 2025\n", ["[grid] is missing"]),
        ("year = 2025\n[grid]\n", ["[grid] must be a non-empty table"]),
        ('year = 2025\n[grid]\n"transfers.dibao_monthly" = []\n', ["is an empty list"]),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = ["a"]\n',
            ["must hold finite numbers"],
        ),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = '
            "{ start = 1, stop = 2 }\n",
            ["takes exactly start, stop, num", "missing ['num']"],
        ),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = '
            "{ start = 1, stop = 2, num = 0 }\n",
            ["num must be an integer in 1–10000"],
        ),
        (
            'year = 2025\n[grid]\n"income_tax.rates" = [0.1]\n',
            ["is a list; sweep one element"],
        ),
        (
            'year = 2025\n[grid]\n"transfers.dibao_take_up" = [0.5, 50]\n',
            ["value 50", "(rates and shares are fractions"],
        ),
        (
            "year = 2025\nextra = 1\n[population]\nsize = 5\nseed = -1\n[plots]\n"
            'heatmap = "x"\n'
            'frontier = "T9"\nstyle = 1\n[grid]\n"transfers.dibao_mnthly" = [1]\n',
            [
                "unknown key(s) ['extra']",
                "unknown key(s) population.['size']",
                "population.seed must be an integer",
                "plots.heatmap must be an indicator",
                "plots.frontier must be a target id",
                "unknown key(s) plots.['style']",
                "transfers.dibao_mnthly: unknown scenario key; did you mean "
                "transfers.dibao_monthly",
            ],
        ),
        (
            'year = 2025\n[population]\nfile = "nope.parquet"\nhouseholds = 5\n[grid]\n'
            '"transfers.dibao_monthly" = [1]\n',
            [
                "population.file 'nope.parquet': no such file",
                "population.file excludes",
            ],
        ),
        ("year = = 1\n", ["is not valid TOML"]),
        (
            # rates[-1] is rates[6] of the 2025 schedule's 7 rates.
            'year = 2025\n[grid]\n"income_tax.rates[-1]" = [0.4, 0.5]\n'
            '"income_tax.rates[6]" = [0.3]\n',
            ["income_tax.rates[-1] and income_tax.rates[6] both set item [6]"],
        ),
    ],
)
def test_every_problem_is_named(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_too_many_scenarios(tmp_path):
    n = int(MAX_SCENARIOS**0.5) + 1
    text = (
        "year = 2025\n[grid]\n"
        f'"transfers.dibao_monthly" = {{ start = 500, stop = 3000, num = {n} }}\n'
        f'"income_tax.basic_deduction" = {{ start = 0, stop = 99000, num = {n} }}\n'
    )
    with pytest.raises(ScenarioError, match=f"the grid has {n * n:,} scenarios"):
        read_sweep_file(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read sweep file"):
        read_sweep_file(tmp_path / "none.toml")


def test_population_file_that_is_no_regular_file_is_not_called_missing(tmp_path):
    # /dev/null exists: "no such file" sent the user looking for a typo.
    text = (
        'year = 2025\n[population]\nfile = "/dev/null"\n'
        '[grid]\n"transfers.dibao_monthly" = [1]\n'
    )
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(write(tmp_path, text))
    message = str(info.value)
    assert "population.file '/dev/null': is not a regular file" in message
    assert "no such file" not in message
