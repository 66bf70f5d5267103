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
  of the official Q1–Q3 2020 table;
- :func:`covered_share`: the share of wage earners covered by employee social
  insurance, from the employment weight of non-private units in the average wage;
- :func:`pension_target`: the average employee pension per pensioner, from the
  average wage of the previous year.

Series in the file: ``disposable_income``, ``disposable_income_growth``,
``urban_rural_ratio``, ``wage_share_of_disposable_income``, ``city_max_min_ratio``,
``resident_population``, ``urbanisation_rate``, ``census_population``,
``household_size``, ``household_size_used``, ``household_size_distribution``,
``age_share``, ``low_income_rural_income``, ``low_income_rural_ratio``,
``quintile_income``, ``quintile_household_size``, ``gini``, ``gini_lower_bound``,
``between_city_gini``, ``average_wage``, ``employed_persons``,
``urban_unemployment_rate``, ``labour_share_of_gdp``, ``income_to_gdp_per_capita``,
``consumption_expenditure``.

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

import math
from typing import Any

import pandas as pd

from commonprosperity._statistics_cities import CITY_ANCHORS, city_income_targets
from commonprosperity._statistics_derived import (
    census_table,
    city_urban_shares,
    composition,
    covered_share,
    disposable_income,
    pension_target,
    population,
    shift_shares,
    survey_urban_share,
    urbanisation_rate,
)
from commonprosperity._statistics_file import (
    AREAS,
    BASELINE_YEARS,
    COMPONENTS,
    GRADES,
    PERIODS,
    QUALIFIERS,
    Figure,
    Source,
    check_year,
    figure,
    figures,
    number,
)
from commonprosperity._validate import quoted_items
from commonprosperity.errors import ArgumentError, CommonProsperityError
from commonprosperity.published import PROVINCE

__all__ = [
    "AREAS",
    "BASELINE_YEARS",
    "CITY_ANCHORS",
    "COMPONENTS",
    "GRADES",
    "HELD_OUT",
    "PERIODS",
    "QUALIFIERS",
    "Figure",
    "Source",
    "census_table",
    "city_income_targets",
    "city_urban_shares",
    "composition",
    "covered_share",
    "disposable_income",
    "figure",
    "figures",
    "pension_target",
    "population",
    "quintile_table",
    "shift_shares",
    "survey_urban_share",
    "urbanisation_rate",
    "value_or_nan",
]

#: Published figures kept out of the calibration and used to check the baseline's
#: shape: ``(series, year, area, city, group)``.
HELD_OUT: tuple[tuple[str, int, str, str, str], ...] = (
    *(
        ("disposable_income", y, a, "宁波", "")
        for y in (2020, 2021, 2022)
        for a in ("urban", "rural")  # its all-resident values are anchors
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
    *(
        ("disposable_income", 2021, a, c, "")
        for c in ("温州", "金华", "舟山", "丽水")
        for a in ("urban", "rural")
    ),
    ("disposable_income", 2022, "urban", "绍兴", ""),
    ("disposable_income", 2022, "rural", "绍兴", ""),
    ("disposable_income", 2022, "rural", "舟山", ""),
    ("wage_share_of_disposable_income", 2021, "all", PROVINCE, ""),
    ("low_income_rural_ratio", 2022, "all", "嘉兴", ""),
    ("low_income_rural_ratio", 2023, "all", PROVINCE, ""),
)


def quintile_table() -> pd.DataFrame:
    """Every quintile table in the file, one row per (table, year), with ratios (C).

    Returns
    -------
    pandas.DataFrame
        Index (``table``, ``year``), sorted. Columns ``q1``–``q5`` (per-capita
        disposable income of each quintile group, yuan per person per year),
        ``top_bottom`` (q5 / q1), ``area``, ``region``, ``grade``, ``source``.

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
    """The figure's value, or NaN when the file has no such figure.

    Parameters
    ----------
    series : str
    year : int
    **keys
        Those of :func:`figure`: ``period``, ``area``, ``city``, ``component``,
        ``group``.

    Returns
    -------
    float
        The value in the figure's unit (:func:`figure`'s ``unit``), or NaN.

    Raises
    ------
    ArgumentError
        For an unknown series, key or key value, a year that is not an integer,
        or a table asked for as a number.

    Notes
    -----
    Only a figure the file lacks is NaN: an unknown
    series, key or key value, or a table asked for as a number, raises
    ArgumentError naming it. A value the source gives as a floor or a ceiling
    ("over 70,000") is returned as that bound (``figure(...).qualifier`` says
    which).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> statistics.value_or_nan("disposable_income", 2022, area="urban")
    71268.0
    >>> statistics.value_or_nan("gini", 2022)  # no Zhejiang Gini in the file
    nan
    >>> statistics.value_or_nan("gini", 2019, city="全国")  # the national one
    0.465
    """
    check_year(year)  # a year of the wrong type is no missing figure
    allowed = ("period", "area", "city", "component", "group")
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ArgumentError(
            f"statistics.value_or_nan: unknown key(s) {quoted_items(unknown)}; "
            "allowed: " + ", ".join(allowed)
        )
    try:
        f = figure(series, year, **keys)
    except ArgumentError:
        raise
    except CommonProsperityError:
        return math.nan
    return number(f)
