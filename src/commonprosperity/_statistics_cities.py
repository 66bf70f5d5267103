"""Annual per-capita income targets of the 11 cities (grade C).

Private part of :mod:`commonprosperity.statistics` (which re-exports the public
names): :data:`CITY_ANCHORS` and :func:`city_income_targets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

import numpy as np
import pandas as pd

from commonprosperity._statistics_derived import (
    census_table,
    city_urban_shares,
    disposable_income,
)
from commonprosperity._statistics_file import (
    BASELINE_YEARS,
    figures,
    number,
    table_cache,
)
from commonprosperity._validate import quoted
from commonprosperity.errors import ArgumentError
from commonprosperity.published import CITIES

__all__ = ["CITY_ANCHORS", "city_income_targets"]

#: Annual all-resident city values the baseline is calibrated to, by year. The
#: highest city (杭州) has no published annual value: in 2020 and 2021 it is the
#: official highest/lowest ratio times the lowest city (丽水), graded C. 宁波 is an
#: anchor: held out, it kept the 2020 structure and fell 4.7 % below its 2022
#: value while the anchored 绍兴 sat 0.4 % below its own, which put 绍兴 above
#: 宁波 from 2022 (published 2022: 宁波 68,348, 绍兴 65,760); its urban and rural
#: values stay held out (``statistics.HELD_OUT``).
CITY_ANCHORS: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        2020: ("宁波", "温州", "舟山", "丽水"),
        2021: ("宁波", "温州", "舟山", "丽水"),
        2022: ("宁波", "绍兴", "舟山"),
        2023: (),
        2024: (),
    }
)


def _anchor_values(year: int) -> dict[str, tuple[float, str, str]]:
    """All-resident anchors of `year`: city -> (value, grade, how)."""
    out = {}
    for c in CITY_ANCHORS.get(year, ()):
        f = disposable_income(year, "all", city=c)
        # The target is not the published value: every city is scaled after to
        # the province's means (step 3 of city_income_targets), so say so.
        out[c] = (
            number(f),
            f.grade,
            f"anchored to the published annual value ({f.source.id}), then scaled "
            "with every city to the province's means",
        )
    ratio = figures("city_max_min_ratio", year=year, period="year")
    if ratio and "丽水" in out:
        value = cast(float, ratio[0].value) * out["丽水"][0]
        assert isinstance(value, float)
        out["杭州"] = (
            value,
            "C",
            f"official highest/lowest ratio {ratio[0].value} x 丽水",
        )
    return out


@table_cache
def city_income_targets(year: int, definition: str = "survey") -> pd.DataFrame:
    """Annual urban, rural and all-resident per-capita income of the 11 cities (C).

    Parameters
    ----------
    year : int
        One of :data:`BASELINE_YEARS`.
    definition : {"survey", "census"}
        Which urban shares (:func:`city_urban_shares`) weigh the cities' urban and
        rural residents when the province totals are closed.

    Returns
    -------
    pandas.DataFrame
        Index: the 11 cities. Columns ``urban``, ``rural``, ``all`` (yuan per person),
        ``urban_share``, ``population_share``, ``grade`` and ``basis``.

    Notes
    -----
    1. Seed: the province's annual urban and rural means times each city's relative
       level: in 2020 that of the official Q1–Q3 2020 table (A), in later years that
       of the previous year's targets (so the 2021 official ratio carries forward).
    2. Anchored cities (:data:`CITY_ANCHORS`) scale both areas by one factor so that
       their all-resident value (weighted by the survey-implied urban share) equals
       the published annual value. In 2020 and 2021 杭州 (no published annual value)
       is scaled so that 杭州 / (lowest city) equals the official highest/lowest
       ratio, and 衢州 (second lowest in the sources) is set to its Q1–Q3 2020
       level relative to the lowest, 丽水 (1.0069; step 3's separate urban and
       rural factors then move it a little, to 1.0050 in 2020 and 1.0072 in
       2021, since 衢州 is more rural than 丽水).
    3. All cities' urban values are then multiplied by one common factor, and all
       rural values by another, so that the census-weighted province urban and rural
       means equal the published ones exactly.

    Step 3 is needed because the published city figures, weighted by the census
    population, average about 5 % *above* the province's own survey means (Q1–Q3
    2020: 42,291 against 40,121 for the all-resident city means; 43,460 for the 22
    urban and rural city means, shared file Part 2 §9); the province survey weighs
    the cities differently.
    The targets therefore keep the cities' levels *relative to each other* (and the
    official highest/lowest ratio) and the province means: the anchored cities sit
    at a common offset below their published levels (−4.1 to −4.3 % in 2020, −2.5 %
    in 2021, −0.8 % in 2022), the others 14 % below to 1 % above theirs
    (docs/baseline.md).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> t = statistics.city_income_targets(2022)
    >>> list(t.columns)
    ['urban', 'rural', 'all', 'urban_share', 'population_share', 'grade', 'basis']
    >>> round(float(t.loc["杭州", "all"])), t.loc["杭州", "grade"]
    (68477, 'C')
    >>> round(float(t["all"].max() / t["all"].min()), 3)  # highest / lowest city
    1.603

    Step 3: weighted by their urban residents, the cities' urban means are the
    province's published one:

    >>> urban = t["population_share"] * t["urban_share"]
    >>> round(float((t["urban"] * urban).sum() / urban.sum()), 6)
    71268.0
    >>> statistics.disposable_income(2022, "urban").value
    71268.0
    """
    if year not in BASELINE_YEARS:
        raise ArgumentError(
            f"city_income_targets: year must be one of {BASELINE_YEARS}; "
            f"got {quoted(year)}"
        )
    table = census_table()
    pop = table["population"].to_numpy() / table["population"].sum()
    sigma = city_urban_shares(year, definition).to_numpy()
    s_survey = city_urban_shares(year, "survey").to_numpy()
    U = number(disposable_income(year, "urban"))
    R = number(disposable_income(year, "rural"))
    q = "Q1-Q3"
    if year == BASELINE_YEARS[0]:
        pu = number(disposable_income(2020, "urban", period=q))
        pr = number(disposable_income(2020, "rural", period=q))
        u = np.array(
            [
                U * number(disposable_income(2020, "urban", city=c, period=q)) / pu
                for c in CITIES
            ]
        )
        r = np.array(
            [
                R * number(disposable_income(2020, "rural", city=c, period=q)) / pr
                for c in CITIES
            ]
        )
    else:
        before = city_income_targets(year - 1, definition)
        u = (
            U
            * before["urban"].to_numpy()
            / number(disposable_income(year - 1, "urban"))
        )
        r = (
            R
            * before["rural"].to_numpy()
            / number(disposable_income(year - 1, "rural"))
        )
    anchors = _anchor_values(year)
    grade = np.array(["C"] * len(CITIES), dtype=object)
    basis = np.array(
        ["Q1-Q3 2020 structure" if year == 2020 else f"{year - 1} structure"]
        * len(CITIES),
        dtype=object,
    )
    ratio_target = anchors.pop("杭州", None)
    for i, c in enumerate(CITIES):
        if c in anchors:
            value, _, how = anchors[c]
            f = value / (s_survey[i] * u[i] + (1.0 - s_survey[i]) * r[i])
            u[i] *= f
            r[i] *= f
            basis[i] = how
    if ratio_target is not None and "丽水" in anchors:
        # The sources: 丽水 has been the lowest city and 衢州 the second lowest. Keep
        # 衢州 at its Q1-Q3 2020 level relative to 丽水 (the province's urban and
        # rural growth would otherwise put the more rural 衢州 below 丽水).
        qz, ls = CITIES.index("衢州"), CITIES.index("丽水")
        rel = number(disposable_income(2020, "all", city="衢州", period=q)) / number(
            disposable_income(2020, "all", city="丽水", period=q)
        )
        level = s_survey * u + (1.0 - s_survey) * r
        f = rel * level[ls] / level[qz]
        u[qz] *= f
        r[qz] *= f
        # Before step 3, whose separate urban and rural factors move it a little.
        basis[qz] = (
            f"Q1-Q3 2020 level relative to 丽水 ({rel:.4f}) before the common "
            "urban and rural scaling"
        )
    wu, wr = pop * sigma, pop * (1.0 - sigma)
    hz = CITIES.index("杭州")
    for _ in range(100):
        g_u = U * wu.sum() / np.dot(wu, u)
        g_r = R * wr.sum() / np.dot(wr, r)
        u *= g_u
        r *= g_r
        if ratio_target is None:
            break
        level = s_survey * u + (1.0 - s_survey) * r
        step = ratio_target[0] / anchors["丽水"][0] * level.min() / level[hz]
        if (
            abs(step - 1.0) < 1e-13
            and abs(g_u - 1.0) < 1e-13
            and abs(g_r - 1.0) < 1e-13
        ):
            break
        u[hz] *= step
        r[hz] *= step
    if ratio_target is not None:
        basis[hz] = ratio_target[2]
    return pd.DataFrame(
        {
            "urban": u,
            "rural": r,
            "all": sigma * u + (1.0 - sigma) * r,
            "urban_share": sigma,
            "population_share": pop,
            "grade": grade,
            "basis": basis,
        },
        index=pd.Index(CITIES, name="city"),
    )
