"""Shared by the example scripts: the population they run on, and where they write.

Uses the calibrated Zhejiang baseline (``commonprosperity.baseline``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import commonprosperity as cp


def population(year: int = 2024, n_households: int = 20_000, seed: int = 0):
    """Return ``(population, description)`` for an income year (2020-2024)."""
    pop = cp.baseline(year, n_households=n_households, seed=seed)
    return pop, f"calibrated Zhejiang baseline {year} ({n_households:,} households)"


def out_dir(default: str) -> Path:
    """The output folder: the first command-line argument, else ``default``."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path
