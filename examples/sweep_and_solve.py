"""Sweeps and goal seeking from Python: a grid of levers, the cheapest scenario that
meets a target, and the smallest dibao that brings the urban/rural ratio under 1.9.

Run:  python examples/sweep_and_solve.py
"""

import math

from _common import population

import commonprosperity as cp
from commonprosperity.solve import solve
from commonprosperity.sweep import cheapest, sweep

pop, described = population(2021, n_households=20_000)
base = cp.Scenario.status_quo(2021)
print(f"{described}; status quo 2021")

frame = sweep(
    pop,
    base,
    {
        "transfers.dibao_monthly": [835, 1_200, 1_600, 2_000, 2_400],
        "transfers.residents_pension_monthly": [200, 300, 400],
    },
    progress=False,
)
columns = [
    "transfers.dibao_monthly",
    "transfers.residents_pension_monthly",
    "urban_rural_ratio",
    "gini",
    "net_fiscal_cost",
]
shown = frame[columns].assign(net_fiscal_cost=frame["net_fiscal_cost"] / 1e9)
print(
    shown.rename(columns={"net_fiscal_cost": "net_fiscal_cost_bn"}).to_string(
        float_format="{:,.4f}".format
    )
)

best = cheapest(frame, targets=("T4",))
if len(best):
    row = best.iloc[0]
    print(
        f"\nCheapest scenario meeting T4 (urban/rural < 1.9): "
        f"{row[columns[:2]].to_dict()}, {row['net_fiscal_cost'] / 1e9:,.1f} bn yuan"
    )
else:
    print("\nNo scenario of the grid meets T4")

try:
    dibao = solve(
        pop,
        base,
        lever="transfers.dibao_monthly",
        target="urban_rural_ratio < 1.9",
        bounds=(835, 4_000),
    )
except cp.TargetUnreachableError as exc:
    print(f"\nsolve: {exc}")
else:
    # Rounded up: every value from the answer up meets the target; rounded to
    # the nearest yuan (1,848 for 1,848.09) it missed it.
    print(
        f"\nSmallest dibao with urban/rural < 1.9, in whole yuan: "
        f"{math.ceil(dibao):,} yuan per month"
    )
