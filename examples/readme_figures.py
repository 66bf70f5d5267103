"""Regenerate the README's picture: docs/img/dashboard.png.

The same run as the README's main command (status quo of the CLI's default year on
the embedded population), at 50,000 households.

Run:  python examples/readme_figures.py [OUT_DIR]   (default: docs/img)
"""

import sys
from pathlib import Path

from _common import population

import commonprosperity as cp
from commonprosperity import plots
from commonprosperity.cli import DEFAULT_YEAR

out = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else (Path(__file__).resolve().parents[1] / "docs" / "img")
)
out.mkdir(parents=True, exist_ok=True)
pop, described = population(DEFAULT_YEAR, n_households=50_000)
result = cp.simulate(pop, cp.Scenario.status_quo(DEFAULT_YEAR))
fig = plots.target_dashboard(result, label=f"status quo {DEFAULT_YEAR}")
for path in plots.save(fig, out / "dashboard", formats=("png",)):
    print("wrote", path, "-", described)
