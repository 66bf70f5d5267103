"""Every figure the library draws, written as PNG and SVG.

Run:  python examples/plots_gallery.py [OUT_DIR]
"""

from pathlib import Path

from _common import out_dir, population

import commonprosperity as cp
from commonprosperity import plots

out = out_dir("plots-gallery-out")
pop, described = population(2024, n_households=20_000)
if pop.year is not None:
    # 2025 policy on 2025 incomes: the 2024 baseline projected a year.
    pop = cp.project(pop, 2025)
status_quo = cp.simulate(pop, cp.Scenario.status_quo(2025))
scenarios = Path(__file__).resolve().parent / "scenarios"
package = cp.simulate(pop, cp.Scenario.from_toml(scenarios / "package_2025.toml"))

figures = {
    "dashboard": plots.target_dashboard(package, label="package 2025"),
    "lorenz": plots.lorenz_curves(
        {"status quo 2025": status_quo, "package 2025": package},
        gross="gross income, status quo",
    ),
    "income_distribution": plots.income_distribution(package),
    "cities": plots.city_bars(package),
}

# A 4 x 3 sweep of two levers.
grid = {
    "transfers.dibao_monthly": [1_128, 1_500, 1_900, 2_300],
    "income_tax.basic_deduction": [60_000, 78_000, 96_000],
}
base = cp.Scenario.status_quo(2025)
frame = cp.sweep(pop, base, grid, progress=False)

levers = list(grid)
figures["heatmap"] = plots.sweep_heatmap(frame, *levers, "urban_rural_ratio")
figures["frontier"] = plots.fiscal_frontier(frame, "T5", levers=levers)

for name, fig in figures.items():
    for path in plots.save(fig, out / name):
        print("wrote", path)
