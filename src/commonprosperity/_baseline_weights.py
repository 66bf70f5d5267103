"""Household weights of the Zhejiang baseline: raking to the year's population totals.

Private part of :mod:`commonprosperity.baseline`. The margins are those a user would
pass to :func:`~commonprosperity.calibrate.calibrate` (households by city, residents
by city × area and by city × age band), and the solution is the same raking
solution ``w = d · exp(x'λ)``; but the design is built directly from the draws and
compressed to its distinct rows (city × area × persons per age band: a few thousand
rows for any number of households), so a million households take milliseconds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from commonprosperity import statistics as S
from commonprosperity._baseline_people import AGE_BANDS, N_CELLS, N_CITIES, Draws
from commonprosperity._calibrate_solve import solve
from commonprosperity.errors import CalibrationError

__all__ = ["MIN_BAND_RECORDS", "age_margin_dropped", "old_share", "totals", "weights"]

#: Persons a city needs in each age band for its age margin to be used.
MIN_BAND_RECORDS = 30


def old_share(year: int) -> float:
    """Province share of residents aged 60+ in ``year`` (fraction, B).

    From data/statistics.toml (series ``age_share``, group 60+): the 2020 census
    (source ``census_age_2021``) and the Zhejiang population bulletins 2021–2024
    (source ``age_bulletins``). Read when asked: the statistics file is not
    parsed at import.
    """
    period = "census" if year == 2020 else "year"
    return S.figure("age_share", year, group="60+", period=period).value


def totals(year: int, definition: str) -> dict[str, np.ndarray]:
    """Population totals of a year: households and residents by city, area and age.

    Returns
    -------
    dict of str to ndarray
        ``"city_persons"`` (11,), ``"cell_households"`` and ``"cell_persons"``
        (11, 2: rural, urban), ``"city_households"`` (11,), ``"age_persons"``
        (11, 3: 0–14, 15–59, 60+).

    Notes
    -----
    Residents = year-end population (A), split by the 2020 census city shares (B);
    urban share of each city: :func:`commonprosperity.statistics.city_urban_shares`
    (C); households = residents ÷ the census family-household size of the city (B);
    age bands: census shares by city with the 60+ share moved by the province's
    change since 2020 (:func:`old_share`, C).
    """
    table = S.census_table()
    total = S.population(year)
    city_persons = total * table["population"].to_numpy() / table["population"].sum()
    share = S.city_urban_shares(year, definition).to_numpy()
    households = city_persons / table["household_size"].to_numpy()
    old = table["age_60"].to_numpy() + (old_share(year) - old_share(2020))
    young = table["age_0_14"].to_numpy()
    age_share = np.stack([young, 1.0 - young - old, old], axis=1)
    return {
        "city_persons": city_persons,
        "city_households": households,
        "cell_households": np.stack(
            [households * (1.0 - share), households * share], axis=1
        ),
        "cell_persons": np.stack(
            [city_persons * (1.0 - share), city_persons * share], axis=1
        ),
        "age_persons": city_persons[:, None] * age_share,
    }


def age_margin_dropped(d: Draws) -> np.ndarray:
    """Cities whose residents-by-age-band margin the raking leaves out (11,) bool.

    A city with fewer than :data:`MIN_BAND_RECORDS` person records in one of its
    age bands (only in small populations) cannot be raked to its age structure
    without extreme weights; it keeps the age structure of its draws.
    """
    band = np.searchsorted([b[1] for b in AGE_BANDS], d.age, side="right")
    records = np.bincount(d.city[d.hh] * 3 + band, minlength=3 * N_CITIES).reshape(
        N_CITIES, 3
    )
    return np.asarray((records < MIN_BAND_RECORDS).any(axis=1))


def weights(d: Draws, year: int, target: dict[str, np.ndarray]) -> np.ndarray:
    """Raked household weights (Σ weight = households, Σ weight × size = residents).

    Design weights are the cell's households ÷ its records; the margins are
    households by city, residents by city × area and residents by city × age band.

    A city with fewer than :data:`MIN_BAND_RECORDS` persons in an age band (only in
    small populations) keeps the age structure of its draws.

    Raises
    ------
    CalibrationError
        If the raking does not converge.
    """
    n = d.size.shape[0]
    cell = d.cell
    band = np.searchsorted([b[1] for b in AGE_BANDS], d.age, side="right")
    counts = np.bincount(d.hh * 3 + band, minlength=3 * n).reshape(n, 3)
    cell_n = np.bincount(cell, minlength=N_CELLS)
    design = (target["cell_households"].ravel() / np.maximum(cell_n, 1))[cell]
    # distinct design rows: (cell, persons aged 0-14, 15-59, 60+)
    base = 1 + int(counts.max())
    key = ((cell * base + counts[:, 0]) * base + counts[:, 1]) * base + counts[:, 2]
    present = np.bincount(key, minlength=N_CELLS * base**3) > 0
    keys = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    inverse = lookup[key]
    g = keys.shape[0]
    g_counts = np.stack(
        [
            (keys // base**2) % base,
            (keys // base) % base,
            keys % base,
        ],
        axis=1,
    ).astype(np.float64)
    g_cell = keys // base**3
    g_city = g_cell // 2
    rows = np.arange(g)
    X = sp.hstack(
        [
            sp.csr_matrix((np.ones(g), (rows, g_city)), shape=(g, N_CITIES)),
            sp.csr_matrix((g_counts.sum(axis=1), (rows, g_cell)), shape=(g, N_CELLS)),
            sp.csr_matrix(
                (
                    g_counts.ravel(),
                    (np.repeat(rows, 3), (g_city[:, None] * 3 + np.arange(3)).ravel()),
                ),
                shape=(g, 3 * N_CITIES),
            ),
        ],
        format="csr",
    )
    t = np.concatenate(
        [
            target["city_households"],
            target["cell_persons"].ravel(),
            target["age_persons"].ravel(),
        ]
    )
    # a small population may have (almost) no record in a city x age band: drop
    # that city's age margin (its age structure is then the draws'), keep the rest;
    # baseline() names those cities in the Population's source
    complete = ~age_margin_dropped(d)
    keep = np.concatenate(
        [np.ones(N_CITIES + N_CELLS, dtype=bool), np.repeat(complete, 3)]
    )
    X, t = X[:, keep], t[keep]
    D = np.bincount(inverse, weights=design, minlength=g)
    sol = solve(X, D, t, "raking", None, max_iter=50, tol=1e-10)
    if sol.max_relative_error > 1e-10:
        j = int(np.argmax(np.abs(sol.residual) / np.abs(t)))
        raise CalibrationError(
            f"baseline {year}: household weights did not converge: margin cell {j} "
            f"of {t.shape[0]} (households by city, residents by city x area, "
            f"residents by city x age band), relative error "
            f"{sol.max_relative_error:.2e}; use more households"
        )
    return design * sol.factor[inverse]
