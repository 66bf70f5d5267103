"""Command line: ``commonprosperity`` / ``python -m commonprosperity``."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from commonprosperity.errors import CommonProsperityError
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import Result, simulate
from commonprosperity.synthetic import synthetic_population

__all__ = ["main"]

DEFAULT_HOUSEHOLDS = 200_000
DEFAULT_YEAR = 2021


def _format_result(result: Result, heading: str) -> str:
    lines = [heading, ""]
    targets = result.targets()
    table = targets[["indicator", "value", "comparison", "target", "met", "gap"]].copy()
    with pd.option_context("display.width", 120, "display.max_colwidth", 40,
                           "display.float_format", "{:,.4g}".format):
        lines.append("Plan targets (2025)")
        lines.append(table.to_string())
        lines.append("")
        lines.append(f"Gini (per-capita disposable income, persons): "
                     f"{result.indicators['gini']:.4f}")
        lines.append("")
        lines.append("Fiscal totals (yuan per year)")
        lines.append(result.fiscal.map("{:,.0f}".format).to_string())
    weak = result.provenance["weak_values"]
    if weak:
        lines.append("")
        lines.append("Policy values used that are derived (C) or unverified (R):")
        for v in weak:
            lines.append(f"  {v['key']} = {v['value']} [{v['grade']}] {v['source']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="commonprosperity",
        description="Zhejiang common-prosperity microsimulation: plan targets of a "
        "scenario on the embedded default population.",
    )
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    try:
        pop = synthetic_population(args.households, seed=0)
        result = simulate(pop, Scenario.status_quo(args.year))
    except CommonProsperityError as exc:
        if args.debug:
            raise
        print(f"commonprosperity: error: {exc}", file=sys.stderr)
        return 2
    heading = (f"commonprosperity — status quo {args.year} on a synthetic, uncalibrated "
               f"population of {pop.n_households:,} households")
    print(_format_result(result, heading))
    return 0
