"""Defects found by session 56's probes of the reports, plots and command line."""

import numpy as np

import commonprosperity as cp
from commonprosperity import cli
from commonprosperity.plots import city_bars
from commonprosperity.report import markdown_report


def _part(pop, keep_household):
    hh, pp = pop.to_frames()
    kept = hh[keep_household(hh)]
    return cp.Population.from_frames(kept, pp[pp.household_id.isin(kept.household_id)])


def _legend(result):
    fig = city_bars(result)
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_city_figure_names_a_rural_or_urban_mean_as_theirs():
    """The rural households of all 11 cities drew their mean as "province"."""
    pop = cp.synthetic_population(3_000, seed=6)
    scenario = cp.Scenario.status_quo(2024)
    rural = cp.simulate(_part(pop, lambda hh: ~hh.urban), scenario)
    urban = cp.simulate(_part(pop, lambda hh: hh.urban), scenario)
    assert len(rural.city_per_capita) == len(urban.city_per_capita) == 11
    mean = rural.indicators["per_capita_disposable_income"]
    assert f"rural households: {mean:,.0f} yuan" in _legend(rural)
    assert any(t.startswith("urban households: ") for t in _legend(urban))
    assert any(t.startswith("province: ") for t in _legend(cp.simulate(pop, scenario)))


def test_winners_table_leaves_out_a_group_without_persons_and_says_so():
    """An urban-only population's report had a blank "| rural |  |  |  |  |" row."""
    pop = _part(cp.synthetic_population(2_000, seed=2), lambda hh: hh.urban)
    base = cp.Scenario.status_quo(2024)
    cut = base.replace({"transfers.dibao_monthly": 900.0})
    text = markdown_report(
        cp.simulate(pop, cut), heading="cut", baseline=cp.simulate(pop, base)
    )
    section = text.split("## Who gains and who loses")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert any(r.startswith("| urban ") for r in rows)
    assert not any(r.startswith("| rural ") for r in rows)
    assert "No row for rural: the population has no persons there." in section
    # Every row shown has its four numbers.
    for r in rows[2:]:
        cells = [c.strip() for c in r.strip("|").split("|")]
        assert all(cells), r


def test_solve_refuses_to_save_over_the_scenario_it_solves(capsys, tmp_path):
    source = tmp_path / "mine.toml"
    cp.Scenario.status_quo(2024).to_toml(source)
    text = "# my notes\n" + source.read_text(encoding="utf-8")
    source.write_text(text, encoding="utf-8")
    code = cli.main(
        [
            "solve",
            str(source),
            "--households",
            "2000",
            "--lever",
            "transfers.dibao_monthly",
            "--target",
            "gini <= 0.5",
            "--bounds",
            "500",
            "4000",
            "--save",
            str(source),
        ]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "is the scenario file being solved" in err
    assert source.read_text(encoding="utf-8") == text
    assert np.isfinite(cp.Scenario.from_toml(source).transfers.dibao_monthly)
