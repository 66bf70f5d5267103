"""Household weights of the Zhejiang baseline: raking to the year's population totals.

Private part of :mod:`commonprosperity.baseline`. The margins are those a user would
pass to :func:`~commonprosperity.calibrate.calibrate` (households by city, residents
by city × area and by city × age band), and the solution is the same raking
solution ``w = d · exp(x'λ)``; but the design is built directly from the draws and
compressed to its distinct rows (city × area × persons per age band: a few thousand
rows for any number of households), so a million households take milliseconds.
"""

from __future__ import annotations

from typing import cast

import numpy as np

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
    "age_margins",
    "aged_share",
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
    """Province share of residents aged 60+ in ``year`` (fraction; B, 2024 low).

    From data/statistics.toml (series ``age_share``, group 60+): the 2020 census
    (source ``census_age_2021``) and the Zhejiang population bulletins 2021–2024
    (source ``age_bulletins``). Read when asked: the statistics file is not
    parsed at import.
    """
    period = "census" if year == 2020 else "year"
    return cast("float", S.figure("age_share", year, group="60+", period=period).value)


def aged_share(year: int) -> float:
    """Province share of residents aged 65+ in ``year`` (fraction; B, 2024 low).

    As :func:`old_share`, group 65+: the 2020 census and the bulletins 2021–2024.
    """
    period = "census" if year == 2020 else "year"
    return cast("float", S.figure("age_share", year, group="65+", period=period).value)


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


def age_margins(d: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Cities whose age margin the raking leaves out, and those raked to 60+ whole.

    Returns ``(dropped, merged)``, (11,) bool each. A city with fewer than
    :data:`MIN_BAND_RECORDS` person records in one of the bands 0–14, 15–59, 60+
    (only in small populations) cannot be raked to its age structure without
    extreme weights: it keeps the age structure of its draws (``dropped``). One
    with enough in those but fewer in 60–64 or 65+ is raked to 60+ as one band
    (``merged``).
    """
    band = np.searchsorted(_BAND_ENDS, d.age, side="right")
    records = np.bincount(
        d.city[d.hh] * _N_BANDS + band, minlength=_N_BANDS * N_CITIES
    ).reshape(N_CITIES, _N_BANDS)
    whole = np.column_stack([records[:, :2], records[:, 2:].sum(axis=1)])
    dropped = (whole < MIN_BAND_RECORDS).any(axis=1)
    merged = (records[:, 2:] < MIN_BAND_RECORDS).any(axis=1) & ~dropped
    return cast("np.ndarray", dropped), cast("np.ndarray", merged)


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
    import scipy.sparse as sp

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
    # The age column of each (city, band): a merged city's 65+ joins its 60-64
    # (the sparse matrix and the bincount add them); a dropped city has none.
    dropped, merged = age_margins(d)
    band_column = np.tile(np.arange(_N_BANDS), (N_CITIES, 1))
    band_column[merged, 3] = 2
    age_column = np.arange(N_CITIES)[:, None] * _N_BANDS + band_column
    X = sp.hstack(
        [
            sp.csr_matrix((np.ones(g), (rows, g_city)), shape=(g, N_CITIES)),
            sp.csr_matrix((g_counts.sum(axis=1), (rows, g_cell)), shape=(g, N_CELLS)),
            sp.csr_matrix(
                (
                    g_counts.ravel(),
                    (np.repeat(rows, _N_BANDS), age_column[g_city].ravel()),
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
            np.bincount(
                age_column.ravel(),
                weights=target["age_persons"].ravel(),
                minlength=_N_BANDS * N_CITIES,
            ),
        ]
    )
    used = ~dropped[:, None] & (band_column == np.arange(_N_BANDS))
    keep = np.concatenate([np.ones(N_CITIES + N_CELLS, dtype=bool), used.ravel()])
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
    return cast("np.ndarray", design * sol.factor[inverse])
