"""Compare every scenario file in examples/scenarios/ with the status quo of its year.

One population, one simulation per scenario: the plan's indicators, the Gini, the
net fiscal cost, and who gains in the bottom decile.

Run:  python examples/reform_comparison.py [OUT_DIR]
"""

from pathlib import Path

import pandas as pd
from _common import out_dir, population

import commonprosperity as cp

HERE = Path(__file__).resolve().parent
out = out_dir("reform-comparison-out")
pop, described = population(2024, n_households=20_000)  # the latest incomes
print(f"Population: {described}, projected to each scenario's year\n")

rows = {}
status_quo = {}
projected = {}
for path in sorted((HERE / "scenarios").glob("*.toml")):
    scenario = cp.Scenario.from_toml(path)
    year = scenario.year
    if year not in status_quo:
        # The incomes of the policy's year, as `commonprosperity run` uses: 2024
        # incomes under 2025 policy would miss a year's growth.
        projected[year] = cp.project(pop, year) if year > pop.year else pop
        status_quo[year] = cp.simulate(projected[year], cp.Scenario.status_quo(year))
    base = status_quo[year]
    result = cp.simulate(projected[year], scenario)
    ind = result.indicators
    rows[path.stem] = {
        "per_capita_income": ind["per_capita_disposable_income"],
        "band_100k_500k": ind["band_share_100k_500k"],
        "urban_rural_ratio": ind["urban_rural_ratio"],
        "city_max_min_ratio": ind["city_max_min_ratio"],
        "gini": ind["gini"],
        "targets_met": int(result.targets()["met"].fillna(False).sum()),
        "net_fiscal_cost_bn": (
            base.fiscal["net_revenue"] - result.fiscal["net_revenue"]
        )
        / 1e9,
    }
    if hasattr(base, "winners_losers"):
        wl = base.winners_losers(result)
        rows[path.stem]["bottom_decile_gaining"] = wl.loc["decile 1", "gain_share"]

table = pd.DataFrame.from_dict(rows, orient="index")
table.index.name = "scenario"
with pd.option_context("display.width", 160):
    print(table.to_string(float_format="{:,.4f}".format))
table.to_csv(out / "reform_comparison.csv")
print(f"\nWrote {out / 'reform_comparison.csv'}")
