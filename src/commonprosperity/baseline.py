"""The Zhejiang baseline: a synthetic population calibrated to published statistics.

:func:`baseline` generates households from the 2020 census structure, draws incomes
by source from seeded lognormal shapes, rakes the weights to the year's population
totals with :func:`~commonprosperity.calibrate.calibrate`, and then solves income
scale factors so that the *status-quo simulation* of the year reproduces the
published per-capita disposable income by area, city and source. Every figure it is
calibrated to, and every figure held out to check it, is in
``data/statistics.toml`` (:mod:`commonprosperity.statistics`);
:func:`compare_to_published` puts them side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from commonprosperity import statistics as S
from commonprosperity._kernels import simulate as K
from commonprosperity.calibrate import calibrate
from commonprosperity.errors import CalibrationError, PopulationError
from commonprosperity.population import CITY_LABELS, Population
from commonprosperity.published import CITIES, minimum_wage_tier
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import simulate

__all__ = ["URBAN_DEFINITIONS", "baseline", "compare_to_published", "quintile_means"]

URBAN_DEFINITIONS = ("survey", "census")
AGE_BANDS = ((0, 15), (15, 60), (60, 121))
MAX_SIZE = 8
_N_CITIES = len(CITIES)

# Province share of residents aged 60+ by year (census 2020; bulletins 2021-2024, B).
_OLD_SHARE = {2020: 0.1870, 2021: 0.191, 2022: 0.202, 2023: 0.215, 2024: 0.224}


@dataclass(frozen=True)
class _Shape:
    """Modelling assumptions of the income draws (R: chosen, then checked)."""

    household_sigma: float = 0.22  # common log-level of a household's incomes
    wage_sigma: float = 0.30
    business_share = (0.30, 0.12)  # adults 20-74 with business income: rural, urban
    business_sigma: float = 0.7
    loss_share: float = 0.03
    property_share = (0.35, 0.75)  # adults with property income: rural, urban
    property_sigma: float = 1.0
    pension_share = (0.85, 0.92)  # persons 60+ (not covered employees) with transfers
    pension_sigma: float = 0.4
    formal_share = (0.30, 0.55)  # wage earners covered by employee insurance


SHAPE = _Shape()


def _largest_remainder(n: int, p: np.ndarray) -> np.ndarray:
    raw = n * p / p.sum()
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    if short:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _size_distribution(mean: float) -> np.ndarray:
    """Fujian 2020 family-household sizes (1..8+), exponentially tilted to `mean`."""
    base = np.asarray(
        S.figure(
            "household_size_distribution", 2020, period="census", city="福建"
        ).value
    )
    q = np.append(base[: MAX_SIZE - 1], base[MAX_SIZE - 1 :].sum())
    k = np.arange(1, MAX_SIZE + 1)
    lo, hi = -5.0, 5.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        p = q * np.exp(mid * k)
        if np.dot(p, k) / p.sum() < mean:
            lo = mid
        else:
            hi = mid
    p = q * np.exp(0.5 * (lo + hi) * k)
    return p / p.sum()


def _ages(
    rng: np.random.Generator, size: np.ndarray, hh: np.ndarray, position: np.ndarray
) -> np.ndarray:
    n = size.shape[0]
    m = hh.shape[0]
    elderly_head = rng.random(n) < np.where(
        size == 1, 0.42, np.where(size == 2, 0.38, 0.22)
    )
    head_age = np.where(elderly_head, rng.integers(60, 91, n), rng.integers(20, 60, n))
    age = np.empty(m, dtype=np.int64)
    h_age = head_age[hh]
    is_head = position == 0
    age[is_head] = h_age[is_head]
    spouse = position == 1
    age[spouse] = np.clip(
        h_age[spouse] + np.rint(rng.normal(-1.0, 3.0, m))[spouse], 18, 100
    ).astype(np.int64)
    other = position >= 2
    old = elderly_head[hh]
    u = rng.random(m)
    # young head: children (0 .. head-20) or an elderly parent; old head: grandchild
    # or adult child.
    child_age = np.floor(rng.random(m) * np.clip(h_age - 19, 1, 30)).astype(np.int64)
    parent_age = np.clip(h_age + rng.integers(24, 33, m), 55, 100)
    grandchild = rng.integers(0, 16, m)
    adult_child = np.clip(h_age - rng.integers(25, 36, m), 18, 70)
    young_other = np.where(u < 0.78, child_age, parent_age)
    old_other = np.where(u < 0.45, grandchild, adult_child)
    age[other] = np.where(old, old_other, young_other)[other]
    return age


def _age_profile(age: np.ndarray) -> np.ndarray:
    """Relative wage by age (peak at 35-50); a modelling assumption."""
    a = age.astype(np.float64)
    return np.exp(-(((a - 42.0) / 22.0) ** 2))


@dataclass(frozen=True)
class _Draws:
    city: np.ndarray
    urban: np.ndarray
    size: np.ndarray
    offsets: np.ndarray
    hh: np.ndarray
    age: np.ndarray
    employed: np.ndarray
    raw: np.ndarray  # (4, m): wage, business, property, pension at unit scale


def _draw(
    n: int, seed: int, cell_households: np.ndarray, size_dist: np.ndarray
) -> _Draws:
    rng = np.random.default_rng(seed)
    counts = _largest_remainder(n, cell_households.ravel())
    cell = np.repeat(np.arange(counts.shape[0]), counts)
    city = cell // 2
    urban = (cell % 2).astype(bool)
    size = np.empty(n, dtype=np.int64)
    for c in range(_N_CITIES):
        idx = np.flatnonzero(city == c)
        size[idx] = 1 + rng.choice(MAX_SIZE, size=idx.shape[0], p=size_dist[c])
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    m = int(offsets[-1])
    hh = np.repeat(np.arange(n), size)
    position = np.arange(m) - offsets[hh]
    age = _ages(rng, size, hh, position)

    s = SHAPE
    p_urban = urban[hh]
    ui = p_urban.astype(np.int64)
    z = rng.normal(0.0, s.household_sigma, n)[hh]
    works = rng.random(m) < np.select(
        [age < 16, age < 20, age < 25, age < 55, age < 60, age < 65, age < 75],
        [
            0.0,
            0.15,
            0.60,
            np.where(p_urban, 0.91, 0.90),
            0.70,
            np.where(p_urban, 0.25, 0.45),
            np.where(p_urban, 0.04, 0.15),
        ],
        default=0.0,
    )
    formal = works & (rng.random(m) < np.asarray(s.formal_share)[ui]) & (age < 65)
    wage = np.where(
        works,
        np.exp(z + rng.normal(0.0, s.wage_sigma, m))
        * (0.35 + _age_profile(age))
        * np.where(formal, 1.0, 0.7),
        0.0,
    )
    adult = (age >= 20) & (age < 75)
    has_business = adult & (rng.random(m) < np.asarray(s.business_share)[ui])
    business = np.exp(1.2 * z + rng.normal(0.0, s.business_sigma, m))
    loss = rng.random(m) < s.loss_share
    business = np.where(has_business, np.where(loss, -0.25 * business, business), 0.0)
    has_property = (age >= 18) & (rng.random(m) < np.asarray(s.property_share)[ui])
    prop = np.where(
        has_property, np.exp(1.5 * z + rng.normal(0.0, s.property_sigma, m)), 0.0
    )
    retired = (age >= 60) & ~formal
    has_pension = retired & (rng.random(m) < np.asarray(s.pension_share)[ui])
    pension = np.where(
        has_pension, np.exp(0.5 * z + rng.normal(0.0, s.pension_sigma, m)), 0.0
    )
    return _Draws(
        city=city,
        urban=urban,
        size=size,
        offsets=offsets,
        hh=hh,
        age=age,
        employed=formal,
        raw=np.stack([wage, business, prop, pension]),
    )


def _weights(
    d: _Draws, year: int, definition: str, cell_households: np.ndarray
) -> np.ndarray:
    table = S.census_table()
    total = S.population(year)
    city_persons = total * table["population"].to_numpy() / table["population"].sum()
    share = S.city_urban_shares(year, definition).to_numpy()
    households = city_persons / table["household_size"].to_numpy()
    old = table["age_60"].to_numpy() + (_OLD_SHARE[year] - _OLD_SHARE[2020])
    young = table["age_0_14"].to_numpy()
    age_share = np.stack([young, 1.0 - young - old, old], axis=1)
    cell_n = np.bincount(d.city * 2 + d.urban, minlength=2 * _N_CITIES)
    initial = (cell_households.ravel() / np.maximum(cell_n, 1))[d.city * 2 + d.urban]
    hh_city = {CITIES[c]: households[c] for c in range(_N_CITIES)}
    persons_cell = {}
    persons_age = {}
    for c, name in enumerate(CITIES):
        persons_cell[(name, True)] = city_persons[c] * share[c]
        persons_cell[(name, False)] = city_persons[c] * (1.0 - share[c])
        for b, band in enumerate(AGE_BANDS):
            persons_age[(name, band)] = city_persons[c] * age_share[c, b]
    pop = _population(d, initial, np.zeros_like(d.raw), year, "")
    result = calibrate(
        pop,
        {
            "households": {"city": hh_city},
            "persons": {("city", "urban"): persons_cell, ("city", "age"): persons_age},
        },
        method="raking",
        max_iter=50,
        tol=1e-10,
    )
    return result.weight


def _population(
    d: _Draws, weight: np.ndarray, income: np.ndarray, year: int, source: str
) -> Population:
    n = d.size.shape[0]
    ids = np.arange(1, n + 1, dtype=np.int64)
    return Population.from_arrays(
        {
            "household_id": ids,
            "weight": weight,
            "urban": d.urban,
            "city": np.asarray(CITIES, dtype=object)[d.city],
        },
        {
            "household_id": ids[d.hh],
            "age": d.age,
            "employed": d.employed,
            "wage": income[0],
            "business": income[1],
            "property": income[2],
            "pension": income[3],
        },
        year=year,
        source=source,
    )


def _solve_scales(
    d: _Draws,
    weight: np.ndarray,
    year: int,
    definition: str,
    scenario: Scenario,
    max_iter: int = 60,
    tol: float = 1e-7,
) -> tuple[np.ndarray, dict[str, float]]:
    """Scale the raw draws so the status-quo simulation hits the year's targets."""
    comp = S.composition(year)
    cities = S.city_income_targets(year, definition)
    target_cell = np.stack(
        [cities["rural"].to_numpy(), cities["urban"].to_numpy()], axis=1
    )  # (city, urban)
    a = scenario.as_arrays()
    n = d.size.shape[0]
    ids = np.arange(1, n + 1, dtype=np.int64)
    tier_table = np.array(
        [
            [minimum_wage_tier(label, bool(u)) - 1 for u in (0, 1)]
            for label in CITY_LABELS
        ],
        dtype=np.int64,
    )
    tiers = tier_table[d.city, d.urban.astype(np.int64)]
    cell = d.city * 2 + d.urban
    pcell = cell[d.hh]
    n_cells = 2 * _N_CITIES
    persons = np.bincount(cell, weights=weight * d.size, minlength=n_cells)
    area_persons = np.bincount(np.arange(n_cells) % 2, weights=persons, minlength=2)
    raw_pc = np.stack(
        [
            np.bincount(pcell, weights=weight[d.hh] * d.raw[k], minlength=n_cells)
            / persons
            for k in range(4)
        ]
    )
    targets = np.array(
        [[comp.loc[area, k] for k in S.COMPONENTS] for area in ("rural", "urban")]
    )  # (urban, component)
    # the published components add up to the total within ±1 yuan (rounding):
    # spread the difference proportionally so that the targets are consistent
    totals = np.array([comp.loc["rural", "total"], comp.loc["urban", "total"]])
    targets *= (totals / targets.sum(axis=1))[:, None]
    # start: components at their area targets, transfers from pensions alone
    scale = np.ones((2, 4))
    for u in (0, 1):
        for k in range(4):
            mean = (
                np.dot(raw_pc[k].reshape(-1, 2)[:, u], persons.reshape(-1, 2)[:, u])
                / area_persons[u]
            )
            scale[u, k] = targets[u, k] / mean if mean else 1.0
    mult = np.ones(n_cells)
    report: dict[str, float] = {}
    indicator = sp.csr_matrix((weight, (cell, np.arange(n))), shape=(n_cells, n))
    area_of_cell = np.arange(n_cells) % 2
    for it in range(1, max_iter + 1):
        table = scale[area_of_cell] * mult[:, None]  # (cell, component)
        income = np.stack([d.raw[k] * table[pcell, k] for k in range(4)])
        out = K.detail_pass(
            d.offsets,
            ids,
            tiers,
            d.age,
            d.employed,
            income[0],
            income[1],
            income[2],
            income[3],
            a.params,
            a.thresholds,
            a.rates,
            a.quick_deductions,
            a.business_thresholds,
            a.business_rates,
            a.business_quick_deductions,
        )
        sums = np.asarray(indicator @ out)  # weighted sums by cell, (cell, column)

        def cell_sum(col: int, sums: np.ndarray = sums) -> np.ndarray:
            return sums[:, col]

        disp = cell_sum(K.D_DISPOSABLE)
        flows = np.stack(
            [
                cell_sum(K.D_WAGE),
                cell_sum(K.D_BUSINESS),
                cell_sum(K.D_PROPERTY),
                cell_sum(K.D_PENSION),
            ]
        )
        other = (
            cell_sum(K.D_RESIDENTS_PENSION)
            + cell_sum(K.D_CHILD_ALLOWANCE)
            + cell_sum(K.D_DIBAO)
            - cell_sum(K.D_CONTRIBUTIONS)
            - cell_sum(K.D_IIT)
            - cell_sum(K.D_BUSINESS_TAX)
            - cell_sum(K.D_PROPERTY_TAX)
        )

        def area(x: np.ndarray) -> np.ndarray:
            return np.bincount(area_of_cell, weights=x, minlength=2) / area_persons

        sim = np.stack(
            [
                area(flows[0]),
                area(flows[1]),
                area(flows[2]),
                area(flows[3]) + area(other),
            ],
            axis=1,
        )  # (urban, component)
        disp_pc = disp / persons
        cell_err = disp_pc / target_cell.ravel() - 1.0
        comp_err = (sim - targets) / targets.sum(axis=1, keepdims=True)
        err = max(float(np.max(np.abs(cell_err))), float(np.max(np.abs(comp_err))))
        report = {"iterations": it, "max_relative_error": err}
        if err < tol:
            break
        pension_pc = np.stack([area(flows[3])]).ravel()
        needed = targets[:, 3] - area(other)
        for u in (0, 1):
            for k in range(3):
                scale[u, k] *= targets[u, k] / sim[u, k]
            if needed[u] <= 0:
                raise CalibrationError(
                    f"baseline {year}: the {('rural', 'urban')[u]} net transfer target "
                    f"{targets[u, 3]:,.0f} is below what contributions and taxes take "
                    "even with no pensions; the status-quo rules cannot reach it"
                )
            scale[u, 3] *= needed[u] / pension_pc[u]
        step = target_cell.ravel() / disp_pc
        gross = flows.sum(axis=0)
        new = mult * step
        for u in (0, 1):
            sel = np.arange(n_cells) % 2 == u
            new[sel] /= np.dot(gross[sel], step[sel]) / gross[sel].sum()
        mult = new
    else:
        raise CalibrationError(
            f"baseline {year}: income scales did not converge in {max_iter} "
            f"iterations (max relative error {report['max_relative_error']:.2e})"
        )
    pensioners = np.bincount(
        d.urban[d.hh].astype(np.int64),
        weights=weight[d.hh] * (income[3] > 0),
        minlength=2,
    )
    pension_total = np.bincount(
        d.urban[d.hh].astype(np.int64), weights=weight[d.hh] * income[3], minlength=2
    )
    report["pension_per_pensioner_rural"] = pension_total[0] / pensioners[0]
    report["pension_per_pensioner_urban"] = pension_total[1] / pensioners[1]
    return income, report


def baseline(
    year: int = 2020,
    n_households: int = 200_000,
    seed: int = 0,
    *,
    urban_definition: str = "survey",
) -> Population:
    """Generate the calibrated Zhejiang baseline population of a year (2020–2024).

    Parameters
    ----------
    year : int
        Income year, 2020–2024. Incomes reproduce that year's published figures
        under ``Scenario.status_quo(year)``.
    n_households : int
        Household records (1,000 to 20,000,000). Weights scale to the province.
    seed : int
        Seed of ``numpy.random.default_rng``: the same arguments give the same
        population, bit for bit.
    urban_definition : {"survey", "census"}
        Which urban share of residents the weights follow. ``"survey"`` (default):
        the share implied by the household survey's all / urban / rural means
        (2020: 66.5 %), so the per-capita means all three match the published
        ones and the ``urbanization_rate`` indicator reads the survey's share.
        ``"census"``: the urbanisation rate (2020: 72.2 %); urban and rural means
        still match but the all-resident mean is then about 3 % above the
        published one. The published figures cannot all hold at once; see
        ``docs/baseline.md``.

    Returns
    -------
    Population
        With ``year`` set and ``source`` describing the call.

    Raises
    ------
    PopulationError
        On invalid arguments.
    CalibrationError
        If the weights or income scales cannot be calibrated.

    Notes
    -----
    1. Households: 22 city × area cells with census household counts (family
       household size by city, 2020 census); sizes from Fujian's 2020 distribution
       tilted to each city's mean size; ages from household roles.
    2. Incomes (per person, unit scale): a common household log-level plus
       lognormal wage, business (with some losses), property and pension draws;
       employee social insurance (``employed``) covers a share of wage earners.
    3. Weights: raking to households by city, persons by city × area and persons by
       city × age band (0–14, 15–59, 60+; the 60+ share moved by the province's
       yearly bulletins).
    4. Scales: fixed-point iteration of the status-quo rules (one Numba pass per
       iteration) on per-area component scales and per-cell level factors until the
       simulated per-capita disposable income of every city × area cell and the
       area composition by source (NBS mapping: transfer = pension + residents'
       pension + child allowance + dibao − contributions − taxes) match to 1e-7.

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate
    >>> pop = baseline(2022, n_households=5_000, seed=1)
    >>> r = simulate(pop, Scenario.status_quo(2022))
    >>> round(r.indicators["per_capita_disposable_income"])
    60302
    """
    problems = []
    if (
        isinstance(year, bool)
        or not isinstance(year, int | np.integer)
        or (year not in S.BASELINE_YEARS)
    ):
        problems.append(f"year must be one of {S.BASELINE_YEARS}; got {year!r}")
    if (
        isinstance(n_households, bool)
        or not isinstance(n_households, int | np.integer)
        or (not 1_000 <= n_households <= 20_000_000)
    ):
        problems.append(
            f"n_households must be an integer in 1,000–20,000,000; got {n_households!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(f"seed must be a non-negative integer; got {seed!r}")
    if urban_definition not in URBAN_DEFINITIONS:
        problems.append(
            f"urban_definition must be one of {URBAN_DEFINITIONS}; got "
            f"{urban_definition!r}"
        )
    if problems:
        raise PopulationError("baseline: " + "; ".join(problems))
    year, n = int(year), int(n_households)
    table = S.census_table()
    total = S.population(year)
    city_persons = total * table["population"].to_numpy() / table["population"].sum()
    share = S.city_urban_shares(year, urban_definition).to_numpy()
    households = city_persons / table["household_size"].to_numpy()
    cell_households = np.stack([households * (1.0 - share), households * share], axis=1)
    size_dist = np.stack([_size_distribution(s) for s in table["household_size"]])
    d = _draw(n, int(seed), cell_households, size_dist)
    weight = _weights(d, year, urban_definition, cell_households)
    income, _ = _solve_scales(
        d, weight, year, urban_definition, Scenario.status_quo(year)
    )
    source = (
        f"baseline(year={year}, n_households={n}, seed={seed}, "
        f"urban_definition={urban_definition!r}): synthetic Zhejiang households "
        "calibrated to published statistics (docs/baseline.md)"
    )
    return _population(d, weight, income, year, source)


def quintile_means(per_capita: np.ndarray, person_weight: np.ndarray) -> np.ndarray:
    """Mean per-capita income of the five person-weighted quintile groups.

    Households are sorted by per-capita income and cut at every 20 % of persons; a
    household straddling a cut is split between the two groups by weight.

    Examples
    --------
    >>> quintile_means(np.arange(1.0, 11.0), np.ones(10)).round(6).tolist()
    [1.5, 3.5, 5.5, 7.5, 9.5]
    """
    x = np.asarray(per_capita, dtype=np.float64)
    w = np.asarray(person_weight, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cx = np.concatenate([[0.0], np.cumsum(w * x)])
    total = cw[-1]
    cuts = total * np.linspace(0.0, 1.0, 6)
    mass = np.interp(cuts, cw, cx)  # piecewise linear inside a household
    return np.diff(mass) / np.diff(cuts)


def compare_to_published(
    population: Population, scenario: Scenario | None = None
) -> pd.DataFrame:
    """Simulate a baseline population and set each figure beside its published value.

    Parameters
    ----------
    population : Population
        A population with ``year`` in 2020–2024 (typically from :func:`baseline`).
    scenario : Scenario, optional
        Defaults to ``Scenario.status_quo(population.year)``.

    Returns
    -------
    pandas.DataFrame
        One row per figure: ``figure, area, city, role`` (``calibrated``,
        ``held out`` or ``shape``), ``published, simulated, difference`` (relative,
        or absolute for shares), ``tolerance, within, grade, source``.
    """
    year = population.year
    if year not in S.BASELINE_YEARS:
        raise PopulationError(
            f"compare_to_published: population.year must be one of {S.BASELINE_YEARS}; "
            f"got {year!r}"
        )
    assert year is not None
    scenario = scenario or Scenario.status_quo(year)
    res = simulate(population, scenario)
    ind = res.indicators
    hh = res.households
    w = population.weight
    size = population.size
    pw = w * size
    pc = hh["disposable_income"].to_numpy() / size
    rows: list[dict[str, object]] = []

    def add(
        fig: str,
        area: str,
        city: str,
        role: str,
        published: float,
        simulated: float,
        tol: float,
        grade: str,
        source: str,
        absolute: bool = False,
    ) -> None:
        diff = simulated - published if absolute else simulated / published - 1.0
        rows.append(
            {
                "figure": fig,
                "area": area,
                "city": city,
                "role": role,
                "published": published,
                "simulated": simulated,
                "difference": diff,
                "tolerance": tol,
                "within": bool(abs(diff) <= tol),
                "grade": grade,
                "source": source,
            }
        )

    for area, name in (
        ("all", "per_capita_disposable_income"),
        ("urban", "urban_per_capita_disposable_income"),
        ("rural", "rural_per_capita_disposable_income"),
    ):
        f = S.disposable_income(year, area)
        add(
            "per-capita disposable income",
            area,
            "浙江",
            "calibrated",
            f.value,
            ind[name],
            0.005,
            f.grade,
            f.source.id,
        )
    ratio = S.figures("urban_rural_ratio", year=year, city="浙江")[0]
    add(
        "urban/rural ratio",
        "all",
        "浙江",
        "calibrated",
        ratio.value,
        ind["urban_rural_ratio"],
        0.01,
        ratio.grade,
        ratio.source.id,
    )
    comp = S.composition(year)
    urban = population.urban
    for area in ("urban", "rural"):
        sel = urban if area == "urban" else ~urban
        persons = pw[sel].sum() / size[sel].sum() * 0  # placeholder never used
        del persons
        npers = np.dot(w[sel], size[sel])
        flows = {
            k: np.dot(w[sel], hh[k].to_numpy()[sel]) / npers
            for k in (
                "wage",
                "business",
                "property",
                "pension",
                "residents_pension",
                "child_allowance",
                "dibao",
                "contributions",
                "iit",
                "business_tax",
                "property_tax",
                "disposable_income",
            )
        }
        model = {
            "wage": flows["wage"],
            "business": flows["business"],
            "property": flows["property"],
            "transfer": (
                flows["pension"]
                + flows["residents_pension"]
                + flows["child_allowance"]
                + flows["dibao"]
                - flows["contributions"]
                - flows["iit"]
                - flows["business_tax"]
                - flows["property_tax"]
            ),
        }
        for k in S.COMPONENTS:
            add(
                f"share of {k} income",
                area,
                "浙江",
                "calibrated",
                comp.loc[area, k] / comp.loc[area, "total"],
                model[k] / flows["disposable_income"],
                0.02,
                comp.loc[area, "grade"],
                "composition",
                absolute=True,
            )
    targets = S.city_income_targets(year)
    city_pc = res.city_per_capita
    anchors = set(S.CITY_ANCHORS.get(year, ()))
    for c in CITIES:
        add(
            "city per-capita income (target)",
            "all",
            c,
            "calibrated",
            targets.loc[c, "all"],
            city_pc[c],
            0.005,
            targets.loc[c, "grade"],
            targets.loc[c, "basis"],
        )
        if c in anchors:
            f = S.disposable_income(year, "all", city=c)
            add(
                "city per-capita income (published)",
                "all",
                c,
                "calibrated",
                f.value,
                city_pc[c],
                0.07,
                f.grade,
                f.source.id,
            )
    maxmin = S.figures("city_max_min_ratio", year=year, period="year")
    if maxmin:
        add(
            "highest/lowest city ratio",
            "all",
            "浙江",
            "calibrated",
            maxmin[0].value,
            ind["city_max_min_ratio"],
            0.01,
            maxmin[0].grade,
            maxmin[0].source.id,
        )
    add(
        "resident population",
        "all",
        "浙江",
        "calibrated",
        S.population(year),
        population.residents,
        1e-6,
        S.figure("resident_population", year).grade,
        "pop_bulletins",
    )
    urb = S.figure("urbanisation_rate", year)
    add(
        "urbanisation rate",
        "all",
        "浙江",
        "calibrated",
        urb.value,
        ind["urbanization_rate"],
        0.005,
        urb.grade,
        urb.source.id,
        absolute=True,
    )
    table = S.census_table()
    city_households = np.bincount(
        population.city_code, weights=w, minlength=len(CITY_LABELS)
    )
    city_persons = np.bincount(
        population.city_code, weights=pw, minlength=len(CITY_LABELS)
    )
    for i, c in enumerate(CITIES):
        add(
            "household size (census)",
            "all",
            c,
            "calibrated",
            table.loc[c, "household_size"],
            city_persons[i] / city_households[i],
            1e-6,
            "C" if c == "嘉兴" else "B",
            "leiii_census",
        )
    # held out: city values not used in the calibration
    for series, y, area, city, _ in S.HELD_OUT:
        if y != year or series != "disposable_income":
            continue
        f = S.disposable_income(year, area, city=city)
        sel = population.city_code == CITY_LABELS.index(city)
        if area != "all":
            sel &= urban if area == "urban" else ~urban
        sim = np.dot(w[sel], hh["disposable_income"].to_numpy()[sel]) / pw[sel].sum()
        add(
            "city per-capita income",
            area,
            city,
            "held out",
            f.value,
            sim,
            0.12,
            f.grade,
            f.source.id,
        )
    if year == 2021:
        f = S.figure("wage_share_of_disposable_income", 2021)
        tot = np.dot(w, hh["disposable_income"].to_numpy())
        add(
            "wage share of income",
            "all",
            "浙江",
            "held out",
            f.value,
            np.dot(w, hh["wage"].to_numpy()) / tot,
            0.02,
            f.grade,
            f.source.id,
            absolute=True,
        )
    rural = ~urban
    q_rural = quintile_means(pc[rural], pw[rural])
    q_urban = quintile_means(pc[urban], pw[urban])
    mean_rural = np.dot(pw[rural], pc[rural]) / pw[rural].sum()
    add(
        "top/bottom quintile ratio",
        "urban",
        "浙江",
        "shape",
        6.0,
        q_urban[4] / q_urban[0],
        1.0 / 6.0,
        "C",
        "quintile tables (5-7)",
    )
    add(
        "top/bottom quintile ratio",
        "rural",
        "浙江",
        "shape",
        6.0,
        q_rural[4] / q_rural[0],
        1.0 / 6.0,
        "C",
        "quintile tables (5-7)",
    )
    low = S.figure("low_income_rural_ratio", 2022, city="嘉兴")
    add(
        "rural bottom-quintile mean / rural mean",
        "rural",
        "浙江",
        "held out",
        low.value,
        q_rural[0] / mean_rural,
        0.15,
        low.grade,
        low.source.id,
        absolute=True,
    )
    add(
        "Gini (between 0.136 and 0.465)",
        "all",
        "浙江",
        "shape",
        0.30,
        ind["gini"],
        0.165,
        "C",
        "gini_lower_bound / national gini",
        absolute=True,
    )
    return pd.DataFrame(rows)
