"""commonprosperity: household income-distribution microsimulation for Zhejiang.

Hold a weighted population of households, apply a tax, transfer and wage scenario
with a fused Numba core, and read the common-prosperity plan's indicators against
its 2025 targets.

Examples
--------
>>> import commonprosperity as cp
>>> pop = cp.synthetic_population(1_000, seed=0)
>>> result = cp.simulate(pop, cp.Scenario.status_quo(2021))
>>> list(result.targets().index[:3])
['T1', 'T2', 'T3']
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from commonprosperity import metrics
from commonprosperity._validate import public_dir as _public_dir
from commonprosperity.baseline import baseline, compare_to_published
from commonprosperity.calibrate import CalibrationResult, calibrate
from commonprosperity.errors import (
    ArgumentError,
    ArgumentTypeError,
    CalibrationError,
    CommonProsperityError,
    ImplausibleDataWarning,
    MeasureError,
    PopulationError,
    ScenarioError,
    TargetUnreachableError,
)
from commonprosperity.household import household
from commonprosperity.population import Population
from commonprosperity.projection import project, simulate_path
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import Result, simulate
from commonprosperity.solve import solve
from commonprosperity.sweep import cheapest, sweep
from commonprosperity.synthetic import synthetic_population
from commonprosperity.targets import TARGETS, evaluate_targets, target_years
from commonprosperity.uncertainty import BootstrapResult, bootstrap

try:
    from importlib.metadata import version as _version

    __version__ = _version("commonprosperity")
except Exception:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "TARGETS",
    "ArgumentError",
    "ArgumentTypeError",
    "BootstrapResult",
    "CalibrationError",
    "CalibrationResult",
    "CommonProsperityError",
    "ImplausibleDataWarning",
    "MeasureError",
    "Population",
    "PopulationError",
    "Result",
    "Scenario",
    "ScenarioError",
    "TargetUnreachableError",
    "__version__",
    "baseline",
    "bootstrap",
    "calibrate",
    "cheapest",
    "compare_to_published",
    "evaluate_targets",
    "household",
    "metrics",
    "plots",
    "project",
    "published",
    "report",
    "simulate",
    "simulate_path",
    "solve",
    "statistics",
    "survey",
    "sweep",
    "synthetic_population",
    "tables",
    "target_years",
]

#: Public modules imported on first use (``cp.plots.target_dashboard(...)``):
#: matplotlib and the report writers would otherwise load with every import.
_LAZY_MODULES = ("plots", "published", "report", "tables", "survey", "statistics")


if _TYPE_CHECKING:
    # A type checker reads cp.plots.lorenz_curves through these (through the
    # __getattr__ below, every call of a lazy module's was Any, unchecked).
    from commonprosperity import (
        plots,
        published,
        report,
        statistics,
        survey,
        tables,
    )


def __getattr__(name: str) -> _Any:
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names only: not the modules the imports above bring in
    # (_sweep_engine, and population, projection ... whose public names are
    # re-exported here), which tab completion offered as if public.
    return _public_dir(globals())
