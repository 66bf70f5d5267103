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
pop, described = population(2024, n_households=20_000)  # 2024 incomes, 2025 policies
print(f"Population: {described}\n")

rows = {}
status_quo = {}
for path in sorted((HERE / "scenarios").glob("*.toml")):
    scenario = cp.Scenario.from_toml(path)
    if scenario.year not in status_quo:
        status_quo[scenario.year] = cp.simulate(
            pop, cp.Scenario.status_quo(scenario.year)
        )
    base = status_quo[scenario.year]
    result = cp.simulate(pop, scenario)
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
