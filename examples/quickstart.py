"""Quickstart: the status quo of 2024 and a reform, against the plan's 2025 targets.

Run:  python examples/quickstart.py
"""

from _common import population

import commonprosperity as cp
from commonprosperity import report

pop, described = population(2024, n_households=20_000)
print(pop, "-", described)

base = cp.Scenario.status_quo(2024)  # cited status-quo policy of 2024
reform = base.replace(
    {
        "transfers.dibao_monthly": 1_300,  # yuan per person per month
        "income_tax.basic_deduction": 72_000,  # yuan per year
    }
)

before = cp.simulate(pop, base)
after = cp.simulate(pop, reform)

print("\nIndicators: status quo, reform, change")
table = report.indicator_table(after, before)
print(
    table[["status_quo", "value", "change", "unit"]].to_string(
        float_format="{:,.4g}".format
    )
)

print("\nPlan targets for 2025 under the reform")
print(report.format_target_table(report.target_table(after, before)))

cost = before.fiscal["net_revenue"] - after.fiscal["net_revenue"]
print(f"\nNet fiscal cost of the reform: {cost / 1e9:,.1f} billion yuan a year")
print(f"Gini: {before.indicators['gini']:.4f} -> {after.indicators['gini']:.4f}")
print(after.households.head())
