"""Derived statistics (grade C) the baseline needs, from the cited figures.

Private part of :mod:`commonprosperity.statistics` (which re-exports the public
names): the province's accessors, the survey-implied urban share, the 2020 census
table by city, urban shares by city, the composition of income by source and area,
and the employee-pension and coverage evidence. Each derivation is stated in its
docstring.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from commonprosperity._statistics_file import (
    BASELINE_YEARS,
    COMPONENTS,
    Figure,
    figure,
    figures,
    number,
    table_cache,
)
from commonprosperity._validate import (
    finite_float,
    is_integer,
    masked_problem,
    quoted,
)
from commonprosperity.errors import ArgumentError, CommonProsperityError
from commonprosperity.published import CITIES, PROVINCE

__all__ = [
    "census_table",
    "city_urban_shares",
    "composition",
    "covered_share",
    "disposable_income",
    "pension_target",
    "population",
    "shift_shares",
    "survey_urban_share",
    "urbanisation_rate",
]


def disposable_income(
    year: int,
    area: str = "all",
    component: str = "total",
    *,
    city: str = PROVINCE,
    period: str = "year",
) -> Figure:
    """Published per-capita disposable income (yuan per person per year).

    Parameters
    ----------
    year : int
        The year of the figure (the file's years: :func:`figures` lists them).
    area : {"all", "urban", "rural"}
        All residents, or the urban or rural ones.
    component : str
        ``"total"`` or one of :data:`COMPONENTS` (the income sources).
    city : str, keyword-only
        The province (default), or a city in Chinese or English.
    period : str, keyword-only
        ``"year"`` (default) or a part of the year the file holds (``"Q1-Q3"``).

    Returns
    -------
    Figure
        Its ``value`` in yuan per person per year (of the period), ``grade``,
        ``source`` and ``qualifier`` (``"at least"`` for a figure published as a
        floor, such as 2025's "above 70,000", a result reported in the 2026
        government work report, not a plan target).

    Raises
    ------
    ArgumentError
        For a year that is not an integer, or an area, component, city or period
        the file does not know (naming those it does).
    CommonProsperityError
        If the file has no figure of that identity (listing the ones it has).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> f = statistics.disposable_income(2022, "rural")
    >>> f.value, f.unit, f.grade
    (37565.0, 'yuan per person per year', 'B')
    >>> statistics.disposable_income(2022, "urban", "wage").value
    39718.0
    >>> statistics.disposable_income(2021, city="Ningbo").value
    65436.0
    """
    return figure(
        "disposable_income",
        year,
        period=period,
        area=area,
        city=city,
        component=component,
    )


def population(year: int) -> float:
    """Year-end resident population (persons), 2020–2025.

    Parameters
    ----------
    year : int

    Returns
    -------
    float
        Persons (常住人口, year end).

    Raises
    ------
    CommonProsperityError
        For a year the file has no figure of (an :class:`ArgumentError` if not an
        integer).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> statistics.population(2022)
    65770000.0
    """
    return number(figure("resident_population", year))


def urbanisation_rate(year: int) -> float:
    """Urbanisation rate of the resident population (fraction), 2020–2025.

    Parameters
    ----------
    year : int

    Returns
    -------
    float
        The urban share of the year-end resident population, between 0 and 1
        (0.722 is 72.2 %).

    Raises
    ------
    CommonProsperityError
        For a year the file has no figure of (an :class:`ArgumentError` if not an
        integer).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> rate = statistics.urbanisation_rate(2022)
    >>> rate, round(rate * statistics.population(2022))  # urban residents
    (0.734, 48275180)
    """
    return number(figure("urbanisation_rate", year))


def survey_urban_share(year: int, city: str = PROVINCE, period: str = "year") -> float:
    """Urban share of residents implied by the survey's all / urban / rural means.

    Parameters
    ----------
    year : int
    city : str
        The province (default), or a city in Chinese or English.
    period : str
        ``"year"`` (default) or ``"Q1-Q3"`` (the 2020 city table's period).

    Returns
    -------
    float
        The share, a fraction (grade C).

    Raises
    ------
    ArgumentError
        If any of the three incomes is published as a floor ("at least"), not a
        survey mean, or for an unknown city or period.
    CommonProsperityError
        If the file lacks one of the three incomes.

    Notes
    -----
    ``(all − rural) / (urban − rural)`` (grade C). The household survey's per-capita
    means imply an urban share 5–7 points *below* the urbanisation rate (2020: 0.665
    against 0.722), so no single set of person weights reproduces the all-resident
    mean, the urban and rural means and the urbanisation rate together; see
    ``docs/baseline.md``.

    Examples
    --------
    2022: (60,302 − 37,565) / (71,268 − 37,565), 5.9 points below the
    urbanisation rate of 0.734:

    >>> from commonprosperity import statistics
    >>> share = statistics.survey_urban_share(2022)
    >>> round(share, 4), round(statistics.urbanisation_rate(2022) - share, 3)
    (0.6746, 0.059)
    >>> round(statistics.survey_urban_share(2020, "杭州", "Q1-Q3"), 3)
    0.762
    """
    figures = [
        disposable_income(year, area, city=city, period=period)
        for area in ("all", "urban", "rural")
    ]
    floors = [
        f"{area} {f.value:,.0f}"
        for area, f in zip(("all", "urban", "rural"), figures, strict=True)
        if f.qualifier == "at least"
    ]
    if floors:
        # Floors such as 2025's reported "above 70,000" are no survey means: their
        # ratio (0.714) is no urban share.
        raise ArgumentError(
            f"survey_urban_share({year}): the per-capita incomes {', '.join(floors)} "
            "are published as floors ('at least'), not survey means; the share "
            "needs the three measured means"
        )
    a, u, r = (number(f) for f in figures)
    return (a - r) / (u - r)


@table_cache
def census_table() -> pd.DataFrame:
    """2020 census by city: population, urban share, household size, age shares.

    Returns
    -------
    pandas.DataFrame
        One row per city. Columns ``population``, ``urban_share`` (census),
        ``survey_urban_share`` (Q1–Q3 2020 survey, C), ``household_size`` (family
        households; Jiaxing's suspect 2.88 replaced by 2.28, R), ``age_0_14``,
        ``age_15_59``, ``age_60``, ``age_65`` (the 60+ and 65+ shares overlap);
        population in persons, shares as fractions, household size in persons.
        Index: the 11 cities in :data:`commonprosperity.published.CITIES` order.

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> t = statistics.census_table()
    >>> t.shape, list(t.index[:3])
    ((11, 8), ['杭州', '宁波', '温州'])
    >>> round(float(t.loc["杭州", "urban_share"]), 3)
    0.833
    >>> float(t.loc["嘉兴", "household_size"])  # 2.88 in the census, read as 2.28
    2.28

    Every city's survey-implied urban share is below its census share:

    >>> bool((t["survey_urban_share"] < t["urban_share"]).all())
    True
    """
    rows = {}
    for c in CITIES:
        pop = number(figure("census_population", 2020, period="census", city=c))
        urb = number(
            figure("census_population", 2020, period="census", city=c, area="urban")
        )
        used = figures("household_size_used", city=c)
        size = number(
            used[0] if used else figure("household_size", 2020, period="census", city=c)
        )
        ages = [
            number(figure("age_share", 2020, period="census", city=c, group=g))
            for g in ("0-14", "15-59", "60+", "65+")
        ]
        rows[c] = {
            "population": pop,
            "urban_share": urb / pop,
            "survey_urban_share": survey_urban_share(2020, c, "Q1-Q3"),
            "household_size": size,
            "age_0_14": ages[0],
            "age_15_59": ages[1],
            "age_60": ages[2],
            "age_65": ages[3],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def shift_shares(shares: Any, weight: Any, target: float) -> np.ndarray:
    """Shift city shares by one common logit step so their weighted mean is `target`.

    Parameters
    ----------
    shares : array_like of float
        Shares strictly between 0 and 1 (one per city).
    weight : array_like of float
        Their weights (e.g. populations), finite, >= 0, not all 0; as many.
    target : float
        The weighted mean wanted, strictly between 0 and 1.

    Returns
    -------
    numpy.ndarray
        ``1 / (1 + exp(-(logit(shares) + step)))`` with the one ``step`` that
        gives the weighted mean ``target``.

    Raises
    ------
    ArgumentError
        For shares, weights or a target outside what is allowed above.

    Examples
    --------
    >>> s = shift_shares(np.array([0.5, 0.8]), np.array([1.0, 1.0]), 0.7)
    >>> round(float(s.mean()), 12)
    0.7
    """
    p, w, t = _shift_arguments(shares, weight, target)
    base = _logit(p)
    # Moving every share by the target's logit less the largest (smallest) of
    # theirs brackets the step: the mean is then at most (at least) the target.
    # (-10, 10) alone missed it for extreme shares, and the shares came back
    # short of the target without a word.
    goal = float(_logit(np.array(t)))
    lo = min(-10.0, goal - float(base.max()))
    hi = max(10.0, goal - float(base.min()))
    w = w / np.sum(w)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        mean = float(np.dot(w, 1.0 / (1.0 + np.exp(-(base + mid)))))
        if mean < t:
            lo = mid
        else:
            hi = mid
    return 1.0 / (1.0 + np.exp(-(base + 0.5 * (lo + hi))))


def _shift_arguments(
    shares: Any, weight: Any, target: Any
) -> tuple[np.ndarray, np.ndarray, float]:
    """The arguments of :func:`shift_shares` as float arrays, checked."""
    where = "shift_shares"
    arrays = []
    for name, given in (("shares", shares), ("weight", weight)):
        if (problem := masked_problem(name, given)) is not None:
            raise ArgumentError(f"{where}: {problem}")
        try:
            raw = np.asarray(given)
        except (TypeError, ValueError):  # a ragged list
            raw = None
        if raw is None or raw.ndim != 1 or raw.size == 0 or raw.dtype.kind not in "iuf":
            raise ArgumentError(
                f"{where}: {name} must be a non-empty 1-D array of numbers; "
                f"got {quoted(given)}"
            )
        arrays.append(raw.astype(np.float64))
    p, w = arrays
    if w.shape != p.shape:
        raise ArgumentError(
            f"{where}: weight has {w.size} values, shares {p.size}: one each"
        )
    bad = ~((p > 0.0) & (p < 1.0))
    if bad.any():
        k = int(np.argmax(bad))
        raise ArgumentError(
            f"{where}: shares must be strictly between 0 and 1; "
            f"shares[{k}] = {float(p[k])!r}"
        )
    bad = ~(np.isfinite(w) & (w >= 0.0))
    if bad.any() or not 0.0 < np.sum(w) < np.inf:
        k = int(np.argmax(bad))
        raise ArgumentError(
            f"{where}: weight must be finite, >= 0 and not all 0; "
            + (f"weight[{k}] = {float(w[k])!r}" if bad.any() else "all are 0")
        )
    t = finite_float(target)
    if t is None or not 0.0 < t < 1.0:
        raise ArgumentError(
            f"{where}: target must be a number strictly between 0 and 1; "
            f"got {quoted(target)}"
        )
    return p, w, t


@table_cache
def city_urban_shares(year: int, definition: str = "survey") -> pd.Series:
    """Urban share of each city's residents in `year` (C).

    Parameters
    ----------
    year : int
    definition : {"survey", "census"}
        ``"survey"``: the Q1–Q3 2020 survey-implied city shares shifted by one
        logit step (:func:`shift_shares`) to the province's survey-implied share of
        `year`; ``"census"``: the 2020 census city shares shifted to the
        urbanisation rate of `year`.

    Returns
    -------
    pandas.Series
        Named ``urban_share``: a fraction per city, indexed by the 11 cities; their
        census-population-weighted mean is the province's share of `year`.

    Raises
    ------
    ArgumentError
        For another definition.
    CommonProsperityError
        For a year the file lacks the province's share of.

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> shares = statistics.city_urban_shares(2022)
    >>> round(float(shares["杭州"]), 3), round(float(shares["丽水"]), 3)
    (0.769, 0.574)
    >>> weight = statistics.census_table()["population"]
    >>> mean = float((shares * weight).sum() / weight.sum())
    >>> abs(mean - statistics.survey_urban_share(2022)) < 1e-9
    True
    >>> census = statistics.city_urban_shares(2022, "census")
    >>> round(float((census * weight).sum() / weight.sum()), 4)  # the urbanisation rate
    0.734
    """
    table = census_table()
    if definition not in ("survey", "census"):
        raise ArgumentError(
            f"urban definition must be 'survey' or 'census'; got {quoted(definition)}"
        )
    try:
        if definition == "survey":
            base, target = table["survey_urban_share"], survey_urban_share(year)
        else:
            base, target = table["urban_share"], urbanisation_rate(year)
    except CommonProsperityError as exc:
        # Named by the call the user made, not by the figure it looked up
        # (2025's incomes are floors; a year the file lacks).
        text = str(exc).removeprefix("statistics: ")
        text = text.removeprefix(f"survey_urban_share({year}): ")
        if not isinstance(exc, ArgumentError):
            # The figure's own years listed 2025, whose survey incomes are
            # floors: a year this call refuses too.
            text = (
                f"no {definition} urban share for {year}; the file serves "
                + "; ".join(
                    f"definition={d!r} for the years {_years_text(_served_years(d))}"
                    for d in (definition, *({"survey", "census"} - {definition}))
                )
            )
        elif (
            definition == "survey"
            and is_integer(year)
            and year in _served_years("census")
        ):
            text += f" (definition='census' serves {year})"
        raise type(exc)(f"city_urban_shares({quoted(year)}): {text}") from None
    shifted = shift_shares(base.to_numpy(), table["population"].to_numpy(), target)
    return pd.Series(shifted, index=table.index, name="urban_share")


def _served_years(definition: str) -> list[int]:
    """The years :func:`city_urban_shares` gives shares of by ``definition``."""
    series = "disposable_income" if definition == "survey" else "urbanisation_rate"
    share = survey_urban_share if definition == "survey" else urbanisation_rate
    served = []
    for year in sorted({f.year for f in figures(series)}):
        try:
            share(year)
        except CommonProsperityError:
            continue
        served.append(year)
    return served


def _years_text(years: list[int]) -> str:
    """``2018–2024`` for consecutive years, else the years listed; "none"."""
    if not years:
        return "none"
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 2:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


@table_cache
def composition(year: int) -> pd.DataFrame:
    """Per-capita disposable income by source, urban and rural, yuan (rows: areas).

    Parameters
    ----------
    year : int
        One of :data:`BASELINE_YEARS`.

    Returns
    -------
    pandas.DataFrame
        Rows ``urban`` and ``rural``; columns :data:`COMPONENTS` and ``total``
        (yuan per person per year) and ``grade``.

    Raises
    ------
    ArgumentError
        For a year not in :data:`BASELINE_YEARS`.

    Notes
    -----
    2022–2024: published
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
        raise ArgumentError(
            f"composition: year must be one of {BASELINE_YEARS}; got {quoted(year)}"
        )
    rows: dict[str, dict[str, Any]] = {}
    if year >= 2022:
        for area in ("urban", "rural"):
            row: dict[str, Any] = {
                k: number(disposable_income(year, area, k)) for k in COMPONENTS
            }
            row["total"] = number(disposable_income(year, area))
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
        total = number(disposable_income(year, area))
        row = {k: shares[area][k] * total for k in COMPONENTS}
        row["total"] = total
        row["grade"] = "C"
        rows[area] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _shares_2020() -> dict[str, dict[str, float]]:
    q = "Q1-Q3"
    s = survey_urban_share(2020, period=q)
    all_k = {k: number(disposable_income(2020, "all", k, period=q)) for k in COMPONENTS}
    urb_k = {
        k: number(disposable_income(2020, "urban", k, period=q)) for k in COMPONENTS
    }
    rur_k = {k: (all_k[k] - s * urb_k[k]) / (1.0 - s) for k in COMPONENTS}
    out = {}
    for area, comp in (("urban", urb_k), ("rural", rur_k)):
        tot = sum(comp.values())
        out[area] = {k: v / tot for k, v in comp.items()}
    return out


#: Average employee pension relative to the average wage of the previous year (R):
#: the national formula (国发〔2005〕38号) gives a full-career retiree with an average
#: contribution index about 35 % (basic pension: 1 % of the base per year of
#: contributions at 35 years) plus 10-15 % (individual account ÷ 139 months) of the
#: pension calculation base, which is the average wage of the previous year.
PENSION_REPLACEMENT = 0.5

#: The average wage whose half is the employee pension of each area (see
#: :func:`pension_target`).
PENSION_WAGE_GROUP = MappingProxyType({"urban": "all_employee", "rural": "private"})


def _wage(year: int, group: str) -> tuple[float, str, str]:
    """Average wage of a group and year: (value, grade, how)."""
    found = figures("average_wage", year=year, group=group)
    if found:
        f = found[0]
        return number(f), f.grade, f"{group} average wage {year} ({f.source.id})"
    later = figures("average_wage", group=group)
    last = max(later, key=lambda f: f.year) if later else None
    ref = figures("average_wage", year=year, group="all_employee")
    ref_before = figures(
        "average_wage", year=last.year if last else year, group="all_employee"
    )
    if last is None or last.year >= year or not ref or not ref_before:
        raise CommonProsperityError(
            f"statistics: no {group!r} average wage for {year} and no way to derive "
            f"it; available years: {sorted(f.year for f in later)}"
        )
    growth = number(ref[0]) / number(ref_before[0])
    value = number(last) * growth
    how = (
        f"{group} average wage {last.year} x all-employee growth "
        f"{last.year}-{year} ({growth:.4f})"
    )
    return value, "C", how


def pension_target(year: int, area: str) -> tuple[float, str, str]:
    """Average employee pension per pensioner, yuan per year: (value, grade, basis).

    Parameters
    ----------
    year : int
        One of :data:`BASELINE_YEARS`.
    area : {"urban", "rural"}
        Urban pensioners: half the all-employee (全口径) average wage of the previous
        year (the pension calculation base, 计发基数); rural pensioners (mostly
        private-sector and flexible-employment careers): half the private-unit
        average wage of the previous year.

    Returns
    -------
    tuple of (float, str, str)
        The value, its grade (``"R"``: the replacement ratio is an assumption on
        wage figures graded B, C or low) and a one-line basis.

    Notes
    -----
    No Zhejiang figure of the average pension or of the number of retirees was found
    (shared file §8). The ratio :data:`PENSION_REPLACEMENT` = 0.5 follows the national
    pension formula (国发〔2005〕38号) for a full career at the average wage. The
    wages: 2019 from the Hangzhou 2021 contribution bases (12 × 5,960.25, C);
    2020–2023 all-employee (third-party, low); private units 2020–2022 (B, 2021
    C); the private wage of 2023 grows the 2022 value with the all-employee
    average (C).

    The lag of one year is an assumption too (part of the R): the calculation
    base of year t is taken as the average wage of t − 1, announced during t and
    applied from January. The contribution bases of ``data/policy.toml`` use the
    wage of t − 2, set at the start of t before that of t − 1 is published. The
    two third-party tables of calculation bases (shared statistics file, Part 2
    §5a) date the same bases with no lag and with a lag of two years; with two,
    the urban targets of 2021–2024 would be 3.5–11 % lower, and the other
    transfers the calibration leaves as a residual higher.

    Examples
    --------
    >>> value, grade, basis = pension_target(2022, "urban")
    >>> round(value), grade
    (44620, 'R')
    """
    if area not in PENSION_WAGE_GROUP:
        raise ArgumentError(
            f"pension_target: area must be one of {tuple(PENSION_WAGE_GROUP)}; "
            f"got {quoted(area)}"
        )
    # An integer first: 2021.0 is "in" the years, and the year before it was
    # then refused as "got 2020.0", a year the caller never gave.
    if not is_integer(year) or year not in BASELINE_YEARS:
        raise ArgumentError(
            f"pension_target: year must be one of {BASELINE_YEARS}; got {quoted(year)}"
        )
    wage, _, how = _wage(year - 1, PENSION_WAGE_GROUP[area])
    return (
        PENSION_REPLACEMENT * wage,
        "R",
        f"{PENSION_REPLACEMENT} x {how} (the previous year's wage: the lag, "
        "too, is an assumption)",
    )


def covered_share(year: int) -> tuple[float, str, str]:
    """Share of wage earners with employee social insurance: (value, grade, basis).

    Parameters
    ----------
    year : int
        One of :data:`BASELINE_YEARS` (the value is the same for each).

    Returns
    -------
    tuple of (float, str, str)
        The share (a fraction), its grade (``"C"``) and a one-line basis.

    Raises
    ------
    ArgumentError
        For a year not in :data:`BASELINE_YEARS`.

    Notes
    -----
    The employment weight of urban non-private units (城镇非私营单位), whose
    employees are covered as a rule, in the all-employee average wage:
    ``(all − private) / (non-private − private)``, averaged over 2020 and 2021
    (0.387 and 0.377; grade C from wage figures graded B and low, the grade the
    shared statistics file gives these implied weights, Part 2 §5a). The same value
    is used for every year: 2022 gives 0.427 from an all-employee wage the shared
    file calls unconfirmed, and 2023–2024 lack the split.

    Taken as the province's covered share of *all* wage earners: private-unit
    employees who are covered and informal wage earners outside the unit statistics
    (not covered) are assumed to offset each other (R).

    Examples
    --------
    >>> value, grade, basis = covered_share(2022)
    >>> round(value, 3), grade
    (0.382, 'C')
    """
    if not is_integer(year) or year not in BASELINE_YEARS:
        raise ArgumentError(
            f"covered_share: year must be one of {BASELINE_YEARS}; got {quoted(year)}"
        )
    shares = []
    for y in (2020, 2021):
        total = _wage(y, "all_employee")[0]
        private = _wage(y, "private")[0]
        public = _wage(y, "urban_non_private")[0]
        shares.append((total - private) / (public - private))
    value = float(np.mean(shares))
    basis = (
        "employment weight of urban non-private units in the all-employee average "
        f"wage, mean of 2020 ({shares[0]:.3f}) and 2021 ({shares[1]:.3f})"
    )
    return value, "C", basis
