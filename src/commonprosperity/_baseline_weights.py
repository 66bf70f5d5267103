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
from commonprosperity._baseline_people import (
    N_CELLS,
    N_CITIES,
    RAKING_AGE_BANDS,
    Draws,
)
from commonprosperity._calibrate_solve import solve
from commonprosperity.errors import CalibrationError

__all__ = [
    "MIN_BAND_RECORDS",
    "age_margin_dropped",
    "aged_share",
    "elderly_split_dropped",
    "old_share",
    "totals",
    "weights",
]

#: Upper ends of the raking age bands, for numpy.searchsorted.
_BAND_ENDS = [b[1] for b in RAKING_AGE_BANDS]
_N_BANDS = len(RAKING_AGE_BANDS)

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


def aged_share(year: int) -> float:
    """Province share of residents aged 65+ in ``year`` (fraction, B).

    As :func:`old_share`, group 65+: the 2020 census and the bulletins 2021–2024.
    """
    period = "census" if year == 2020 else "year"
    return S.figure("age_share", year, group="65+", period=period).value


def totals(year: int, definition: str) -> dict[str, np.ndarray]:
    """Population totals of a year: households and residents by city, area and age.

    Returns
    -------
    dict of str to ndarray
        ``"city_persons"`` (11,), ``"cell_households"`` and ``"cell_persons"``
        (11, 2: rural, urban), ``"city_households"`` (11,), ``"age_persons"``
        (11, 4: 0–14, 15–59, 60–64, 65+).

    Notes
    -----
    Residents = year-end population (A), split by the 2020 census city shares (B);
    urban share of each city: :func:`commonprosperity.statistics.city_urban_shares`
    (C); households = residents ÷ the census family-household size of the city (B);
    age bands: census shares by city with the 60+ and 65+ shares each moved by the
    province's change since 2020 (:func:`old_share`, :func:`aged_share`, C).
    """
    table = S.census_table()
    total = S.population(year)
    city_persons = total * table["population"].to_numpy() / table["population"].sum()
    share = S.city_urban_shares(year, definition).to_numpy()
    households = city_persons / table["household_size"].to_numpy()
    old = table["age_60"].to_numpy() + (old_share(year) - old_share(2020))
    aged = table["age_65"].to_numpy() + (aged_share(year) - aged_share(2020))
    young = table["age_0_14"].to_numpy()
    age_share = np.stack([young, 1.0 - young - old, old - aged, aged], axis=1)
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


def _band_records(d: Draws) -> np.ndarray:
    """Person records of each city in each raking age band (11, bands)."""
    band = np.searchsorted(_BAND_ENDS, d.age, side="right")
    return np.bincount(
        d.city[d.hh] * _N_BANDS + band, minlength=_N_BANDS * N_CITIES
    ).reshape(N_CITIES, _N_BANDS)


def age_margin_dropped(d: Draws) -> np.ndarray:
    """Cities whose residents-by-age-band margin the raking leaves out (11,) bool.

    A city with fewer than :data:`MIN_BAND_RECORDS` person records in one of the
    bands 0–14, 15–59, 60+ (only in small populations) cannot be raked to its age
    structure without extreme weights; it keeps the age structure of its draws.
    """
    records = _band_records(d)
    merged = np.column_stack([records[:, :2], records[:, 2:].sum(axis=1)])
    return np.asarray((merged < MIN_BAND_RECORDS).any(axis=1))


def elderly_split_dropped(d: Draws) -> np.ndarray:
    """Cities raked to 60+ as one band, not to 60–64 and 65+ apart (11,) bool.

    Those with :data:`MIN_BAND_RECORDS` records in each of 0–14, 15–59 and 60+
    but fewer in 60–64 or 65+ (small populations).
    """
    records = _band_records(d)
    thin = (records[:, 2:] < MIN_BAND_RECORDS).any(axis=1)
    return np.asarray(thin & ~age_margin_dropped(d))


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
    band = np.searchsorted(_BAND_ENDS, d.age, side="right")
    counts = np.bincount(d.hh * _N_BANDS + band, minlength=_N_BANDS * n).reshape(
        n, _N_BANDS
    )
    cell_n = np.bincount(cell, minlength=N_CELLS)
    design = (target["cell_households"].ravel() / np.maximum(cell_n, 1))[cell]
    # distinct design rows: (cell, persons in each age band), in mixed radix
    base = 1 + int(counts.max())
    key = cell.astype(np.int64)
    for b in range(_N_BANDS):
        key = key * base + counts[:, b]
    present = np.bincount(key, minlength=N_CELLS * base**_N_BANDS) > 0
    keys = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    inverse = lookup[key]
    g = keys.shape[0]
    g_counts = np.stack(
        [(keys // base ** (_N_BANDS - 1 - b)) % base for b in range(_N_BANDS)],
        axis=1,
    ).astype(np.float64)
    g_cell = keys // base**_N_BANDS
    g_city = g_cell // 2
    rows = np.arange(g)
    X = sp.hstack(
        [
            sp.csr_matrix((np.ones(g), (rows, g_city)), shape=(g, N_CITIES)),
            sp.csr_matrix((g_counts.sum(axis=1), (rows, g_cell)), shape=(g, N_CELLS)),
            sp.csr_matrix(
                (
                    g_counts.ravel(),
                    (
                        np.repeat(rows, _N_BANDS),
                        (g_city[:, None] * _N_BANDS + np.arange(_N_BANDS)).ravel(),
                    ),
                ),
                shape=(g, _N_BANDS * N_CITIES),
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
    # A city with too few records for 60-64 and 65+ apart is raked to 60+ (the
    # two columns added), or, with too few for that, not by age at all.
    dropped, merged = age_margin_dropped(d), elderly_split_dropped(d)
    columns: list[np.ndarray] = [np.eye(N_CITIES + N_CELLS)]
    for c in range(N_CITIES):
        if dropped[c]:
            continue
        bands = [[0], [1], [2, 3]] if merged[c] else [[0], [1], [2], [3]]
        for members in bands:
            col = np.zeros(N_CITIES + N_CELLS + _N_BANDS * N_CITIES)
            col[N_CITIES + N_CELLS + c * _N_BANDS + np.array(members)] = 1.0
            columns.append(col[:, None])
    first = np.zeros((_N_BANDS * N_CITIES, N_CITIES + N_CELLS))
    select = np.hstack([np.vstack([columns[0], first]), *columns[1:]])
    X = (X @ sp.csr_matrix(select)).tocsr()
    t = t @ select
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
