"""Income levels of the Zhejiang baseline: solved so the status quo hits the targets.

Private part of :mod:`commonprosperity.baseline`. Each person's income from source
``k`` is ``draw_k × scale[area, k] × level[cell]`` (sources: wage, business,
property, employee pension, other transfers received; 22 city × area cells). The
unknowns are solved by a fixed-point iteration of the status-quo rules (one Numba
pass of :func:`~commonprosperity._kernels.simulate.detail_pass` per iteration) until

- the simulated per-capita disposable income of every cell equals its target
  (:func:`commonprosperity.statistics.city_income_targets`),
- each area's per-capita wage, business, property and *net transfer* income equal
  the published composition (NBS accounting: transfers received − contributions −
  taxes),
- each area's employee pension per pensioner equals
  :func:`commonprosperity.statistics.pension_target`; the other transfers received
  close the net transfer.

Large populations are solved on a systematic subsample of about
:data:`SUBSAMPLE` households (every k-th record of each cell, denser in small
cells), then the levels are applied to the full
population and corrected by full passes until the error is below
:data:`FULL_TOLERANCE`. Everything is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from commonprosperity import statistics as S
from commonprosperity._baseline_people import N_CELLS, SHAPE, Draws
from commonprosperity._kernels import layout as L
from commonprosperity._kernels import read_only
from commonprosperity._kernels import simulate as K
from commonprosperity.errors import CalibrationError
from commonprosperity.population import CITY_LABELS
from commonprosperity.published import minimum_wage_tier
from commonprosperity.scenario import Scenario

__all__ = ["FULL_TOLERANCE", "SOURCES", "SUBSAMPLE", "Targets", "solve_levels"]

#: Income sources of the level table, in order.
SOURCES = ("wage", "business", "property", "pension", "other")
#: Households of the subsample on which the levels are solved.
SUBSAMPLE = 50_000
#: Convergence of the subsample solve (relative, every target).
SAMPLE_TOLERANCE = 1e-9
#: Convergence of the full-population correction (relative, every target).
FULL_TOLERANCE = 1e-4
MAX_ITER = 80
MAX_FULL_PASSES = 4
_AREA = np.arange(N_CELLS) % 2


@dataclass(frozen=True)
class Targets:
    """What the levels are solved to, per area (rows: rural, urban).

    Attributes
    ----------
    cell : ndarray of float64, shape (22,)
        Per-capita disposable income of each cell (``2 * city + urban``).
    composition : ndarray of float64, shape (2, 4)
        Per-capita wage, business, property and net transfer income.
    pension : ndarray of float64, shape (2,)
        Employee pension per pensioner.
    """

    cell: np.ndarray
    composition: np.ndarray
    pension: np.ndarray

    @classmethod
    def of_year(cls, year: int, definition: str) -> Targets:
        """The published (or derived) targets of a year."""
        comp = S.composition(year)
        cities = S.city_income_targets(year, definition)
        cell = np.stack(
            [cities["rural"].to_numpy(), cities["urban"].to_numpy()], axis=1
        ).ravel()
        composition = np.array(
            [[comp.loc[a, k] for k in S.COMPONENTS] for a in ("rural", "urban")]
        )
        # the published components add up to the total within ±1 yuan (rounding):
        # spread the difference proportionally so that the targets are consistent
        total = np.array([comp.loc["rural", "total"], comp.loc["urban", "total"]])
        composition *= (total / composition.sum(axis=1))[:, None]
        pension = np.array([S.pension_target(year, a)[0] for a in ("rural", "urban")])
        return cls(cell=cell, composition=composition, pension=pension)


@dataclass
class _Sample:
    """Households (all, or a subsample) with everything a rules pass needs.

    Households are sorted by cell (the draws allot records cell by cell), so every
    cell is a contiguous block of households and of persons.
    """

    offsets: np.ndarray
    ids: np.ndarray
    tiers: np.ndarray
    cell: np.ndarray
    weight: np.ndarray
    age: np.ndarray
    employed: np.ndarray
    raw: np.ndarray  # (5, m): unit-scale draws of SOURCES
    pcell: np.ndarray  # (m,) cell of each person's household
    pweight: np.ndarray  # (m,) household weight of each person
    pensioner: np.ndarray  # (m,) bool
    persons: np.ndarray = field(init=False)  # (22,) weighted residents
    pensioners: np.ndarray = field(init=False)  # (2,) weighted pensioners
    starts: np.ndarray = field(init=False)  # (23,) household block of each cell
    pstarts: np.ndarray = field(init=False)  # (23,) person block of each cell

    def __post_init__(self) -> None:
        if np.any(np.diff(self.cell) < 0):
            raise RuntimeError("baseline: households must be sorted by cell")
        cells = np.arange(N_CELLS + 1)
        self.starts = np.searchsorted(self.cell, cells, side="left")
        self.pstarts = np.searchsorted(self.pcell, cells, side="left")
        size = np.diff(self.offsets)
        self.persons = self.household_sum(self.weight * size)
        self.pensioners = np.bincount(
            _AREA, weights=self.cell_sum(self.pensioner), minlength=2
        )

    def household_sum(self, x: np.ndarray) -> np.ndarray:
        """Sums of a household array (n,) or (n, k) by cell."""
        return _segment_sums(x, self.starts)

    def cell_sum(self, x: np.ndarray) -> np.ndarray:
        """Weighted sum of a person array by cell."""
        return _segment_sums(self.pweight * x, self.pstarts)

    def incomes(self, table: np.ndarray) -> np.ndarray:
        """Incomes (5, m) for a level table (22, 5)."""
        # C order whatever the draws' layout: each row is then a contiguous
        # array, as the rules pass takes them (see _run).
        out = np.empty(self.raw.shape)
        for c in range(N_CELLS):
            a, b = self.pstarts[c], self.pstarts[c + 1]
            np.multiply(self.raw[:, a:b], table[c][:, None], out=out[:, a:b])
        return out


def _segment_sums(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of the blocks ``x[starts[c]:starts[c + 1]]`` along the first axis."""
    out = np.zeros((starts.shape[0] - 1, *x.shape[1:]))
    full = np.flatnonzero(starts[1:] > starts[:-1])
    if full.shape[0]:
        out[full] = np.add.reduceat(x, starts[full], axis=0)
    return out


def _tiers(d: Draws) -> np.ndarray:
    table = np.array(
        [[minimum_wage_tier(c, bool(u)) - 1 for u in (0, 1)] for c in CITY_LABELS],
        dtype=np.int8,
    )
    return cast("np.ndarray", table[d.city, d.urban.astype(np.int64)])


def _full(d: Draws, weight: np.ndarray, employed: np.ndarray) -> _Sample:
    """All households; wages of uncovered earners get the uncovered factor.

    The draws are used once: their ``raw`` array is scaled in place, not copied.
    """
    n = d.size.shape[0]
    raw = d.raw
    raw[0, ~employed] *= SHAPE.uncovered_wage_factor
    pcell = d.cell[d.hh]
    return _Sample(
        offsets=d.offsets,
        ids=np.arange(1, n + 1, dtype=np.int64),
        tiers=_tiers(d),
        cell=d.cell,
        weight=weight,
        age=d.age,
        employed=employed,
        raw=raw,
        pcell=pcell,
        pweight=weight[d.hh],
        pensioner=d.pensioner,
    )


def _subsample(full: _Sample, stride: int, min_per_cell: int) -> _Sample:
    """Every ``stride``-th household of each cell, reweighted to the cell's residents.

    Small cells are sampled more densely (at least ``min_per_cell`` records, or
    all), since the error of the cell's level is what the full passes must correct.
    """
    n = full.cell.shape[0]
    keep = np.zeros(n, dtype=bool)
    for c in range(N_CELLS):
        a, b = full.starts[c], full.starts[c + 1]
        step = max(1, min(stride, (b - a) // min_per_cell))
        keep[a:b:step] = True
    size = np.diff(full.offsets)
    persons = np.repeat(keep, size)
    sub_size = size[keep]
    offsets = np.zeros(sub_size.shape[0] + 1, dtype=np.int64)
    np.cumsum(sub_size, out=offsets[1:])
    cell = full.cell[keep]
    weight = full.weight[keep]
    got = np.bincount(cell, weights=weight * sub_size, minlength=N_CELLS)
    weight = weight * (full.persons / np.where(got > 0, got, 1.0))[cell]
    hh = np.repeat(np.arange(sub_size.shape[0]), sub_size)
    return _Sample(
        offsets=offsets,
        ids=full.ids[keep],
        tiers=full.tiers[keep],
        cell=cell,
        weight=weight,
        age=full.age[persons],
        employed=full.employed[persons],
        raw=full.raw[:, persons],
        pcell=full.pcell[persons],
        pweight=weight[hh],
        pensioner=full.pensioner[persons],
    )


@dataclass
class _Pass:
    """Weighted cell totals of one rules pass, and the derived per-capita flows."""

    disposable: np.ndarray  # (22,) per capita
    flows: np.ndarray  # (5, 22) weighted sums of the SOURCES incomes
    rest: np.ndarray  # (22,) transfers other than SOURCES, net of payments
    sums: np.ndarray  # (22, N_DETAIL)

    def area(self, x: np.ndarray, persons: np.ndarray) -> np.ndarray:
        """Per-capita value of a (22,) weighted sum by area."""
        return np.bincount(_AREA, weights=x, minlength=2) / np.bincount(
            _AREA, weights=persons, minlength=2
        )


def _run(s: _Sample, income: np.ndarray, a: Any) -> _Pass:
    # The argument types of simulate's detail pass (read-only, contiguous, int8
    # tiers): Numba compiles a kernel once per argument types, and these took 10 s
    # each (znver3) for a baseline's first call, twice.
    out = K.detail_pass(
        read_only(s.offsets),
        read_only(s.ids),
        read_only(s.tiers),
        read_only(s.age),
        read_only(s.employed),
        read_only(income[0]),
        read_only(income[1]),
        read_only(income[2]),
        read_only(income[3] + income[4]),
        a.params,
        a.thresholds,
        a.rates,
        a.quick_deductions,
        a.business_thresholds,
        a.business_rates,
        a.business_quick_deductions,
    )
    out *= s.weight[:, None]
    sums = s.household_sum(out)  # reduceat: sequential, so bit-reproducible
    flows = np.stack([s.cell_sum(income[k]) for k in range(5)])
    flows[0] = sums[:, K.D_WAGE]  # after the minimum wage
    rest = (
        sums[:, K.D_RESIDENTS_PENSION]
        + sums[:, K.D_CHILD_ALLOWANCE]
        + sums[:, K.D_DIBAO]
        - sums[:, K.D_CONTRIBUTIONS]
        - sums[:, K.D_IIT]
        - sums[:, K.D_BUSINESS_TAX]
        - sums[:, K.D_PROPERTY_TAX]
    )
    return _Pass(sums[:, K.D_DISPOSABLE] / s.persons, flows, rest, sums)


def _error(p: _Pass, s: _Sample, t: Targets) -> float:
    cell_err = np.max(np.abs(p.disposable / t.cell - 1.0))
    sim = _composition(p, s)
    comp_err = np.max(np.abs(sim - t.composition) / t.composition.sum(axis=1)[:, None])
    return float(max(cell_err, comp_err))


def _composition(p: _Pass, s: _Sample) -> np.ndarray:
    """Simulated per-capita wage, business, property, net transfer (2, 4)."""
    f = [p.area(p.flows[k], s.persons) for k in range(5)]
    return np.stack([f[0], f[1], f[2], f[3] + f[4] + p.area(p.rest, s.persons)], axis=1)


def _table(scale: np.ndarray, level: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", scale[_AREA] * level[:, None])


def _update(
    scale: np.ndarray, level: np.ndarray, p: _Pass, s: _Sample, t: Targets, year: int
) -> tuple[np.ndarray, np.ndarray]:
    """One fixed-point step: new (scale, level)."""
    scale = scale.copy()
    sim = _composition(p, s)
    scale[:, :3] *= t.composition[:, :3] / sim[:, :3]
    step = t.cell / p.disposable
    gross = p.flows.sum(axis=0)
    level = level * step
    for u in (0, 1):
        sel = np.arange(N_CELLS) % 2 == u
        level[sel] /= np.dot(gross[sel], step[sel]) / gross[sel].sum()
    # pensions: the target per pensioner, exactly, at the new levels
    raw_pension = np.bincount(_AREA, weights=s.cell_sum(s.raw[3]) * level, minlength=2)
    scale[:, 3] = t.pension * s.pensioners / raw_pension
    # other transfers close the net transfer
    persons = np.bincount(_AREA, weights=s.persons, minlength=2)
    raw_other = np.bincount(_AREA, weights=s.cell_sum(s.raw[4]) * level, minlength=2)
    pension_pc = scale[:, 3] * raw_pension / persons
    needed = t.composition[:, 3] - pension_pc - p.area(p.rest, s.persons)
    for u in (0, 1):
        if needed[u] <= 0:
            raise CalibrationError(
                f"baseline {year}: the {('rural', 'urban')[u]} net transfer target "
                f"{t.composition[u, 3]:,.0f} yuan per person is below employee "
                f"pensions ({pension_pc[u]:,.0f}) net of contributions and taxes "
                f"({-p.area(p.rest, s.persons)[u]:,.0f}); other transfers would have "
                "to be negative"
            )
    scale[:, 4] = needed * persons / raw_other
    return scale, level


def _start(s: _Sample, t: Targets) -> tuple[np.ndarray, np.ndarray]:
    """Levels that put each source at its area target before any rules pass."""
    scale = np.ones((2, 5))
    level = np.ones(N_CELLS)
    persons = np.bincount(_AREA, weights=s.persons, minlength=2)
    for k in range(5):
        raw = np.bincount(_AREA, weights=s.cell_sum(s.raw[k]), minlength=2) / persons
        goal = t.composition[:, min(k, 3)]
        if k == 3:
            goal = t.pension * s.pensioners / persons
        elif k == 4:
            goal = 0.25 * t.composition[:, 3]
        scale[:, k] = np.where(raw != 0, goal / np.where(raw != 0, raw, 1.0), 1.0)
    return scale, level


def solve_levels(
    d: Draws,
    weight: np.ndarray,
    employed: np.ndarray,
    year: int,
    targets: Targets,
    scenario: Scenario,
    subsample: int = SUBSAMPLE,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Solve the income levels; return the incomes (5, m) and a report.

    Populations above 1.5 × ``subsample`` households are solved on a subsample of
    about ``subsample`` records (at least ``subsample // 25`` per cell), then
    corrected on the full population.

    Raises
    ------
    CalibrationError
        If the solve does not converge (on the subsample; or on the full population
        within :data:`MAX_FULL_PASSES` passes to 10 × :data:`FULL_TOLERANCE`), or the
        net transfer target is unreachable (other transfers would be negative).
    """
    a = scenario.as_arrays()
    full = _full(d, weight, employed)
    n = d.size.shape[0]
    stride = max(1, n // subsample) if n > 1.5 * subsample else 1
    s = _subsample(full, stride, max(1, subsample // 25)) if stride > 1 else full
    scale, level = _start(s, targets)
    iterations = 0
    while True:
        iterations += 1
        p = _run(s, s.incomes(_table(scale, level)), a)
        err = _error(p, s, targets)
        if err < SAMPLE_TOLERANCE:
            break
        if iterations == MAX_ITER:
            raise CalibrationError(
                f"baseline {year}: income levels did not converge in {MAX_ITER} "
                f"iterations (max relative error {err:.2e})"
            )
        scale, level = _update(scale, level, p, s, targets, year)
    passes = 0
    if s is not full:
        while True:
            passes += 1
            p = _run(full, full.incomes(_table(scale, level)), a)
            err = _error(p, full, targets)
            if err < FULL_TOLERANCE:
                break
            if passes == MAX_FULL_PASSES:
                if err < 10 * FULL_TOLERANCE:
                    break
                raise CalibrationError(
                    f"baseline {year}: income levels solved on a subsample of "
                    f"{s.cell.shape[0]:,} households did not carry over to all "
                    f"{n:,} (max relative error {err:.2e} after {passes} passes)"
                )
            scale, level = _update(scale, level, p, full, targets, year)
    income = full.incomes(_table(scale, level))
    report = _report(full, p, income, targets, a, employed)
    report.update(
        iterations=iterations,
        full_passes=passes,
        subsample_stride=stride,
        max_relative_error=err,
    )
    return income, report


def _report(
    s: _Sample,
    p: _Pass,
    income: np.ndarray,
    t: Targets,
    a: Any,
    employed: np.ndarray,
) -> dict[str, Any]:
    """Per-area facts of the solved population (transfers, coverage, pensions)."""

    def area(x: np.ndarray) -> np.ndarray:
        return np.bincount(_AREA, weights=s.cell_sum(x), minlength=2)

    persons = np.bincount(_AREA, weights=s.persons, minlength=2)
    earner = income[0] > 0
    earners = area(earner)
    covered = area(employed)
    wage_covered = area(income[0] * employed) / np.maximum(covered, 1.0)
    wage_uncovered = area(income[0] * (earner & ~employed)) / np.maximum(
        earners - covered, 1.0
    )
    pension = area(income[3])
    other = area(income[4])
    recipients = area((income[3] + income[4]) > 0)
    contributions = np.bincount(
        _AREA, weights=p.sums[:, K.D_CONTRIBUTIONS], minlength=2
    )
    out: dict[str, Any] = {}
    for u, name in ((0, "rural"), (1, "urban")):
        out[name] = {
            "covered_share_of_earners": float(covered[u] / earners[u]),
            "covered_per_capita": float(covered[u] / persons[u]),
            "pensioners_per_capita": float(s.pensioners[u] / persons[u]),
            "pension_per_pensioner": float(pension[u] / s.pensioners[u]),
            "pension_target": float(t.pension[u]),
            "pension_per_capita": float(pension[u] / persons[u]),
            "other_transfers_per_capita": float(other[u] / persons[u]),
            "gross_transfers_per_capita": float((pension[u] + other[u]) / persons[u]),
            "gross_transfers_per_recipient": float(
                (pension[u] + other[u]) / recipients[u]
            ),
            "contributions_per_capita": float(contributions[u] / persons[u]),
            "contributions_per_covered": float(contributions[u] / max(covered[u], 1.0)),
            "covered_to_uncovered_wage": float(wage_covered[u] / wage_uncovered[u]),
        }
    out["contribution_rate"] = float(a.params[L.CONTRIBUTION_RATE])
    return out
