"""Published statistics of Zhejiang: the shipped, cited calibration data (layer 2).

The figures live in ``commonprosperity/data/statistics.toml``, each with its year,
unit, source and confidence grade (``A`` official, ``B`` secondary, ``C`` derived,
``R`` recollection, ``low`` third-party). This module reads the file once, checks it,
and offers typed accessors, plus the few *derived* quantities the baseline needs
(each derivation is stated in its docstring and graded C):

- :func:`survey_urban_share`: the urban share of residents implied by the household
  survey's all / urban / rural means;
- :func:`composition`: per-capita income by source and area for 2020–2024;
- :func:`city_income_targets`: annual urban and rural per-capita income of the 11
  cities, from the published annual values in :data:`CITY_ANCHORS` and the structure
  of the official Q1–Q3 2020 table.

Series in the file: ``disposable_income``, ``disposable_income_growth``,
``urban_rural_ratio``, ``wage_share_of_disposable_income``, ``city_max_min_ratio``,
``resident_population``, ``urbanisation_rate``, ``census_population``,
``household_size``, ``household_size_used``, ``household_size_distribution``,
``age_share``, ``low_income_rural_income``, ``low_income_rural_ratio``,
``quintile_income``, ``quintile_household_size``, ``gini``, ``gini_lower_bound``,
``between_city_gini``, ``average_wage``, ``employed_persons``,
``urban_unemployment_rate``, ``labour_share_of_gdp``, ``income_to_gdp_per_capita``.

Examples
--------
>>> from commonprosperity import statistics
>>> f = statistics.disposable_income(2020, "urban")
>>> f.value, f.grade
(62699.0, 'A')
>>> round(statistics.survey_urban_share(2020), 4)
0.6652
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from commonprosperity.errors import CommonProsperityError
from commonprosperity.published import CITIES, PROVINCE

__all__ = [
    "AREAS",
    "BASELINE_YEARS",
    "CITY_ANCHORS",
    "COMPONENTS",
    "HELD_OUT",
    "Figure",
    "Source",
    "census_table",
    "city_income_targets",
    "composition",
    "disposable_income",
    "figure",
    "figures",
    "population",
    "quintile_table",
    "survey_urban_share",
    "urbanisation_rate",
]

BASELINE_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
"""Years for which the baseline is calibrated to published income figures."""

AREAS: tuple[str, ...] = ("all", "urban", "rural")
COMPONENTS: tuple[str, ...] = ("wage", "business", "property", "transfer")
GRADES: tuple[str, ...] = ("A", "B", "C", "R", "low")
QUALIFIERS: tuple[str, ...] = ("exact", "approximately", "at least", "suspect")
PERIODS: tuple[str, ...] = ("year", "Q1-Q3", "H1", "census")

#: Annual all-resident city values the baseline is calibrated to, by year. The
#: highest city (杭州) has no published annual value: in 2020 and 2021 it is the
#: official highest/lowest ratio times the lowest city (丽水), graded C.
CITY_ANCHORS: dict[int, tuple[str, ...]] = {
    2020: ("温州", "舟山", "丽水"),
    2021: ("温州", "舟山", "丽水"),
    2022: ("绍兴", "舟山"),
    2023: (),
    2024: (),
}

#: Published figures kept out of the calibration and used to check the baseline's
#: shape: ``(series, year, area, city, group)``.
HELD_OUT: tuple[tuple[str, int, str, str, str], ...] = (
    *(
        ("disposable_income", y, a, "宁波", "")
        for y in (2020, 2021, 2022)
        for a in AREAS
    ),
    *(("disposable_income", y, "all", "台州", "") for y in (2020, 2021, 2022, 2023)),
    ("disposable_income", 2023, "urban", "台州", ""),
    ("disposable_income", 2023, "rural", "台州", ""),
    ("disposable_income", 2021, "urban", "湖州", ""),
    ("disposable_income", 2021, "rural", "湖州", ""),
    ("disposable_income", 2021, "urban", "嘉兴", ""),
    ("disposable_income", 2021, "rural", "嘉兴", ""),
    ("disposable_income", 2022, "rural", "嘉兴", ""),
    ("disposable_income", 2023, "rural", "嘉兴", ""),
    ("wage_share_of_disposable_income", 2021, "all", PROVINCE, ""),
    ("low_income_rural_ratio", 2022, "all", "嘉兴", ""),
    ("low_income_rural_ratio", 2023, "all", PROVINCE, ""),
)

_SOURCE_FIELDS = frozenset({"title", "date", "url", "note"})
_FIGURE_FIELDS = frozenset(
    {
        "series",
        "year",
        "period",
        "area",
        "city",
        "component",
        "group",
        "value",
        "unit",
        "grade",
        "source",
        "qualifier",
        "method",
        "note",
    }
)
_REQUIRED = ("series", "year", "value", "unit", "grade", "source")


@dataclass(frozen=True)
class Source:
    """Where a figure was read: title, date and URL (when known)."""

    id: str
    title: str
    date: str
    url: str = ""
    note: str = ""

    def cite(self) -> str:
        """One-line citation: title, date and URL."""
        url = f", {self.url}" if self.url else ""
        return f"{self.title} ({self.date}{url})"


@dataclass(frozen=True)
class Figure:
    """One published or derived figure with its provenance.

    ``value`` is a float, or a tuple of floats for tables (quintiles lowest first).
    """

    series: str
    year: int
    value: float | tuple[float, ...]
    unit: str
    grade: str
    source: Source
    period: str = "year"
    area: str = "all"
    city: str = PROVINCE
    component: str = "total"
    group: str = ""
    qualifier: str = "exact"
    method: str = ""
    note: str = ""

    @property
    def key(self) -> tuple[str, int, str, str, str, str, str]:
        """Identity: series, year, period, area, city, component, group."""
        return (
            self.series,
            self.year,
            self.period,
            self.area,
            self.city,
            self.component,
            self.group,
        )


@dataclass(frozen=True)
class _Data:
    figures: tuple[Figure, ...]
    index: Mapping[tuple[str, int, str, str, str, str, str], Figure]


@functools.cache
def _load() -> _Data:
    path = resources.files("commonprosperity") / "data" / "statistics.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CommonProsperityError(
            f"{path}: cannot read the statistics file: {exc}"
        ) from exc
    return _parse(raw, str(path))


def _parse(raw: Mapping[str, Any], origin: str) -> _Data:
    problems: list[str] = []
    sources: dict[str, Source] = {}
    for sid, s in dict(raw.get("sources", {})).items():
        extra = set(s) - _SOURCE_FIELDS
        if extra or "title" not in s or "date" not in s:
            problems.append(
                f"sources.{sid}: needs title and date, allows "
                f"{sorted(_SOURCE_FIELDS)}; "
                f"got keys {sorted(s)}"
            )
            continue
        sources[sid] = Source(id=sid, **{k: str(v) for k, v in s.items()})
    out: list[Figure] = []
    index: dict[tuple[str, int, str, str, str, str, str], Figure] = {}
    for i, f in enumerate(raw.get("figure", [])):
        where = f"figure[{i}] ({f.get('series', '?')} {f.get('year', '?')})"
        extra = set(f) - _FIGURE_FIELDS
        missing = [k for k in _REQUIRED if k not in f]
        if extra or missing:
            problems.append(f"{where}: missing {missing}, unknown keys {sorted(extra)}")
            continue
        if f["source"] not in sources:
            problems.append(f"{where}: source {f['source']!r} is not in [sources]")
            continue
        if f["grade"] not in GRADES:
            problems.append(
                f"{where}: grade must be one of {GRADES}; got {f['grade']!r}"
            )
        if f["grade"] == "C" and not f.get("method"):
            problems.append(f"{where}: grade C needs a method")
        for name, allowed in (
            ("area", AREAS),
            ("period", PERIODS),
            ("qualifier", QUALIFIERS),
            ("component", ("total", *COMPONENTS)),
        ):
            if name in f and f[name] not in allowed:
                problems.append(
                    f"{where}: {name} must be one of {allowed}; got {f[name]!r}"
                )
        value = f["value"]
        parsed: float | tuple[float, ...]
        if isinstance(value, list):
            parsed = tuple(float(v) for v in value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = float(value)
        else:
            problems.append(
                f"{where}: value must be a number or an array; got {value!r}"
            )
            continue
        fig = Figure(
            series=f["series"],
            year=int(f["year"]),
            value=parsed,
            unit=f["unit"],
            grade=f["grade"],
            source=sources[f["source"]],
            period=f.get("period", "year"),
            area=f.get("area", "all"),
            city=f.get("city", PROVINCE),
            component=f.get("component", "total"),
            group=f.get("group", ""),
            qualifier=f.get("qualifier", "exact"),
            method=f.get("method", ""),
            note=f.get("note", ""),
        )
        if fig.key in index:
            problems.append(f"{where}: duplicate of another figure with key {fig.key}")
        index[fig.key] = fig
        out.append(fig)
    if problems:
        raise CommonProsperityError(f"{origin}: " + "; ".join(problems))
    return _Data(figures=tuple(out), index=index)


def figures(series: str | None = None, **filters: Any) -> list[Figure]:
    """All figures of a series matching the filters (fields of :class:`Figure`).

    Examples
    --------
    >>> [f.year for f in figures("city_max_min_ratio", period="year")]
    [2013, 2020, 2021]
    """
    unknown = set(filters) - set(Figure.__dataclass_fields__)
    if unknown:
        raise CommonProsperityError(
            f"unknown figure field(s) {sorted(unknown)}; allowed: "
            f"{sorted(Figure.__dataclass_fields__)}"
        )
    return [
        f
        for f in _load().figures
        if (series is None or f.series == series)
        and all(getattr(f, k) == v for k, v in filters.items())
    ]


def figure(
    series: str,
    year: int,
    *,
    period: str = "year",
    area: str = "all",
    city: str = PROVINCE,
    component: str = "total",
    group: str = "",
) -> Figure:
    """The one figure with this identity; raises naming what exists otherwise.

    Examples
    --------
    >>> figure("resident_population", 2022).value
    65770000.0
    """
    key = (series, year, period, area, city, component, group)
    fig = _load().index.get(key)
    if fig is None:
        near = sorted(
            {
                (f.year, f.period, f.area, f.city, f.component, f.group)
                for f in figures(series)
            }
        )[:12]
        raise CommonProsperityError(
            f"statistics: no figure {series!r} for year={year}, period={period!r}, "
            f"area={area!r}, city={city!r}, component={component!r}, group={group!r}; "
            f"available (year, period, area, city, component, group): {near}"
        )
    return fig


def _float(f: Figure) -> float:
    if isinstance(f.value, tuple):
        raise CommonProsperityError(f"statistics: {f.key} holds a table, not a number")
    return f.value


def disposable_income(
    year: int,
    area: str = "all",
    component: str = "total",
    *,
    city: str = PROVINCE,
    period: str = "year",
) -> Figure:
    """Published per-capita disposable income (yuan per person per year)."""
    return figure(
        "disposable_income",
        year,
        period=period,
        area=area,
        city=city,
        component=component,
    )


def population(year: int) -> float:
    """Year-end resident population (persons), 2020–2025."""
    return _float(figure("resident_population", year))


def urbanisation_rate(year: int) -> float:
    """Urbanisation rate of the resident population (fraction), 2020–2025."""
    return _float(figure("urbanisation_rate", year))


def survey_urban_share(year: int, city: str = PROVINCE, period: str = "year") -> float:
    """Urban share of residents implied by the survey's all / urban / rural means.

    Notes
    -----
    ``(all − rural) / (urban − rural)`` (grade C). The household survey's per-capita
    means imply an urban share 5–7 points *below* the urbanisation rate (2020: 0.665
    against 0.722), so no single set of person weights reproduces the all-resident
    mean, the urban and rural means and the urbanisation rate together; see
    ``docs/baseline.md``.
    """
    a = _float(disposable_income(year, "all", city=city, period=period))
    u = _float(disposable_income(year, "urban", city=city, period=period))
    r = _float(disposable_income(year, "rural", city=city, period=period))
    return (a - r) / (u - r)


def census_table() -> pd.DataFrame:
    """2020 census by city: population, urban share, household size, age shares.

    Columns ``population``, ``urban_share`` (census), ``survey_urban_share`` (Q1–Q3
    2020 survey, C), ``household_size`` (family households; Jiaxing's suspect 2.88
    replaced by 2.28, C), ``age_0_14``, ``age_15_59``, ``age_60``. Index: the 11
    cities in :data:`commonprosperity.published.CITIES` order.
    """
    rows = {}
    for c in CITIES:
        pop = _float(figure("census_population", 2020, period="census", city=c))
        urb = _float(
            figure("census_population", 2020, period="census", city=c, area="urban")
        )
        used = figures("household_size_used", city=c)
        size = _float(
            used[0] if used else figure("household_size", 2020, period="census", city=c)
        )
        ages = [
            _float(figure("age_share", 2020, period="census", city=c, group=g))
            for g in ("0-14", "15-59", "60+")
        ]
        rows[c] = {
            "population": pop,
            "urban_share": urb / pop,
            "survey_urban_share": survey_urban_share(2020, c, "Q1-Q3"),
            "household_size": size,
            "age_0_14": ages[0],
            "age_15_59": ages[1],
            "age_60": ages[2],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def shift_shares(shares: np.ndarray, weight: np.ndarray, target: float) -> np.ndarray:
    """Shift city shares by one common logit step so their weighted mean is `target`.

    Examples
    --------
    >>> s = shift_shares(np.array([0.5, 0.8]), np.array([1.0, 1.0]), 0.7)
    >>> round(float(s.mean()), 12)
    0.7
    """
    lo, hi = -10.0, 10.0
    base = _logit(np.asarray(shares, dtype=np.float64))
    w = np.asarray(weight, dtype=np.float64) / np.sum(weight)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        mean = float(np.dot(w, 1.0 / (1.0 + np.exp(-(base + mid)))))
        if mean < target:
            lo = mid
        else:
            hi = mid
    return 1.0 / (1.0 + np.exp(-(base + 0.5 * (lo + hi))))


def city_urban_shares(year: int, definition: str = "survey") -> pd.Series:
    """Urban share of each city's residents in `year` (C).

    ``"survey"``: the Q1–Q3 2020 survey-implied city shares shifted by one logit step
    to the province's survey-implied share of `year`; ``"census"``: the 2020 census
    city shares shifted to the urbanisation rate of `year`.
    """
    table = census_table()
    if definition == "survey":
        base, target = table["survey_urban_share"], survey_urban_share(year)
    elif definition == "census":
        base, target = table["urban_share"], urbanisation_rate(year)
    else:
        raise CommonProsperityError(
            f"urban definition must be 'survey' or 'census'; got {definition!r}"
        )
    shifted = shift_shares(base.to_numpy(), table["population"].to_numpy(), target)
    return pd.Series(shifted, index=table.index, name="urban_share")


def composition(year: int) -> pd.DataFrame:
    """Per-capita disposable income by source, urban and rural, yuan (rows: areas).

    Columns :data:`COMPONENTS` plus ``total`` and ``grade``. 2022–2024: published
    (B). 2020: the Q1–Q3 2020 source shares applied to the annual urban and rural
    totals; the rural Q1–Q3 split is derived from all and urban with the survey's
    implied urban share (C). 2021: shares halfway between 2020 and 2022 (C); the
    published 2021 wage share (57.0 %) is held out to check it.

    Examples
    --------
    >>> c = composition(2022)
    >>> float(c.loc["urban", "wage"]), c.loc["urban", "grade"]
    (39718.0, 'B')
    """
    if year not in BASELINE_YEARS:
        raise CommonProsperityError(
            f"composition: year must be one of {BASELINE_YEARS}; got {year!r}"
        )
    rows: dict[str, dict[str, Any]] = {}
    if year >= 2022:
        for area in ("urban", "rural"):
            row: dict[str, Any] = {
                k: _float(disposable_income(year, area, k)) for k in COMPONENTS
            }
            row["total"] = _float(disposable_income(year, area))
            row["grade"] = "B"
            rows[area] = row
        return pd.DataFrame.from_dict(rows, orient="index")
    shares = _shares_2020()
    if year == 2021:
        later = composition(2022)
        for area in ("urban", "rural"):
            tot = later.loc[area, "total"]
            shares[area] = {
                k: 0.5 * (shares[area][k] + later.loc[area, k] / tot)
                for k in COMPONENTS
            }
    for area in ("urban", "rural"):
        total = _float(disposable_income(year, area))
        row = {k: shares[area][k] * total for k in COMPONENTS}
        row["total"] = total
        row["grade"] = "C"
        rows[area] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _shares_2020() -> dict[str, dict[str, float]]:
    q = "Q1-Q3"
    s = survey_urban_share(2020, period=q)
    all_k = {k: _float(disposable_income(2020, "all", k, period=q)) for k in COMPONENTS}
    urb_k = {
        k: _float(disposable_income(2020, "urban", k, period=q)) for k in COMPONENTS
    }
    rur_k = {k: (all_k[k] - s * urb_k[k]) / (1.0 - s) for k in COMPONENTS}
    out = {}
    for area, comp in (("urban", urb_k), ("rural", rur_k)):
        tot = sum(comp.values())
        out[area] = {k: v / tot for k, v in comp.items()}
    return out


def _anchor_values(year: int) -> dict[str, tuple[float, str, str]]:
    """All-resident anchors of `year`: city -> (value, grade, how)."""
    out = {}
    for c in CITY_ANCHORS.get(year, ()):
        f = disposable_income(year, "all", city=c)
        out[c] = (_float(f), f.grade, f"published annual value ({f.source.id})")
    ratio = figures("city_max_min_ratio", year=year, period="year")
    if ratio and "丽水" in out:
        value = ratio[0].value * out["丽水"][0]
        assert isinstance(value, float)
        out["杭州"] = (
            value,
            "C",
            f"official highest/lowest ratio {ratio[0].value} x 丽水",
        )
    return out


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
       ratio, and 衢州 (second lowest in the sources) keeps its Q1–Q3 2020 level
       relative to the lowest, 丽水.
    3. All cities' urban values are then multiplied by one common factor, and all
       rural values by another, so that the census-weighted province urban and rural
       means equal the published ones exactly.

    Step 3 is needed because the published city figures, weighted by the census
    population, average about 5 % *above* the province's own survey means (Q1–Q3
    2020: 42,289 against 40,121); the province survey weighs the cities differently.
    The targets therefore keep the cities' levels *relative to each other* (and the
    official highest/lowest ratio) and the province means, and put every city about
    4–6 % below its published level.
    """
    if year not in BASELINE_YEARS:
        raise CommonProsperityError(
            f"city_income_targets: year must be one of {BASELINE_YEARS}; got {year!r}"
        )
    table = census_table()
    pop = table["population"].to_numpy() / table["population"].sum()
    sigma = city_urban_shares(year, definition).to_numpy()
    s_survey = city_urban_shares(year, "survey").to_numpy()
    U = _float(disposable_income(year, "urban"))
    R = _float(disposable_income(year, "rural"))
    q = "Q1-Q3"
    if year == BASELINE_YEARS[0]:
        pu = _float(disposable_income(2020, "urban", period=q))
        pr = _float(disposable_income(2020, "rural", period=q))
        u = np.array(
            [
                U * _float(disposable_income(2020, "urban", city=c, period=q)) / pu
                for c in CITIES
            ]
        )
        r = np.array(
            [
                R * _float(disposable_income(2020, "rural", city=c, period=q)) / pr
                for c in CITIES
            ]
        )
    else:
        before = city_income_targets(year - 1, definition)
        u = (
            U
            * before["urban"].to_numpy()
            / _float(disposable_income(year - 1, "urban"))
        )
        r = (
            R
            * before["rural"].to_numpy()
            / _float(disposable_income(year - 1, "rural"))
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
        rel = _float(disposable_income(2020, "all", city="衢州", period=q)) / _float(
            disposable_income(2020, "all", city="丽水", period=q)
        )
        level = s_survey * u + (1.0 - s_survey) * r
        f = rel * level[ls] / level[qz]
        u[qz] *= f
        r[qz] *= f
        basis[qz] = f"Q1-Q3 2020 level relative to 丽水 ({rel:.4f})"
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


def quintile_table() -> pd.DataFrame:
    """Every quintile table in the file, one row per (table, year), with ratios (C).

    Columns ``q1``–``q5`` (yuan per person), ``top_bottom`` (q5 / q1), ``area``,
    ``region``, ``grade``, ``source``.

    Examples
    --------
    >>> t = quintile_table()
    >>> round(float(t.loc[("fujian_urban", 2020), "top_bottom"]), 2)
    6.25
    """
    rows = {}
    for f in figures("quintile_income"):
        assert isinstance(f.value, tuple)
        q = f.value
        rows[(f.group, f.year)] = {
            **{f"q{i + 1}": v for i, v in enumerate(q)},
            "top_bottom": q[4] / q[0],
            "area": f.area,
            "region": f.city,
            "grade": f.grade,
            "source": f.source.cite(),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["table", "year"])
    return frame.sort_index()


def value_or_nan(series: str, year: int, **keys: Any) -> float:
    """The figure's value, or NaN when the file has no such figure."""
    try:
        return _float(figure(series, year, **keys))
    except CommonProsperityError:
        return math.nan
