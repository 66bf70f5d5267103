"""Move a population across years, and simulate a multi-year path with trend targets.

:func:`project` is the only way across years: it uprates incomes by source, area
and city and reweights households to the year's population, urbanisation and
residents aged 60+ (with :func:`~commonprosperity.calibrate.calibrate`).
:func:`simulate_path` runs one scenario per year on the projected populations and
evaluates the trend targets T8 (dibao growth ≥ income growth), T9 (top/bottom
quintile ratio falling inside urban and inside rural residents) and T10 (income /
GDP per capita rising, with GDP given).
"""

from __future__ import annotations

import dataclasses
import decimal
import numbers
import re
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity import statistics as S
from commonprosperity._assumed_growth import (
    DEFAULT_GROWTH_AFTER_2024,
    LAST_PUBLISHED,
    growth_key,
)
from commonprosperity._baseline_people import AGE_BANDS
from commonprosperity._baseline_weights import MIN_BAND_RECORDS, old_share
from commonprosperity._interrupt import interruptible
from commonprosperity._statistics_file import table_cache
from commonprosperity._validate import (
    finite_float,
    income_to_gdp_problem,
    is_integer,
    is_number,
    joined_problems,
    labour_share_problem,
    positive_yuan_problem,
    quoted,
)
from commonprosperity._warn import warn_user, warnings_once
from commonprosperity.baseline import quintile_means
from commonprosperity.calibrate import calibrate
from commonprosperity.errors import (
    ArgumentError,
    ArgumentTypeError,
    CalibrationError,
    PopulationError,
    ScenarioError,
)
from commonprosperity.population import (
    CITY_LABELS,
    INCOME_COLUMNS,
    Population,
    sealed,
)
from commonprosperity.published import CITIES, PROVINCE
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import (
    INDICATOR_NAMES,
    check_band_basis,
    simulate,
    target_verdicts,
)
from commonprosperity.targets import (
    BOUND_TOLERANCE,
    TARGET_BY_ID,
    _met,
    evaluate_targets,
)

__all__ = ["DEFAULT_GROWTH_AFTER_2024", "growth_rates", "project", "simulate_path"]

#: T8, whose threshold also judges T8 since the path's first year.
_T8 = TARGET_BY_ID["T8"]

_COMPONENT_OF = {
    "wage": "wage",
    "business": "business",
    "property": "property",
    "pension": "transfer",
}
#: Result.fiscal totals in each row of :func:`simulate_path` (beside the indicators).
PATH_FISCAL = ("social_insurance_fund_revenue", "housing_fund", "net_revenue")
FIRST_YEAR = 2020  # first year of the published population and growth figures
MAX_YEAR = 2050


def _plain(spec: Any) -> Any:
    """A growth spec in plain Python (float, int, str, dict) for the source text.

    NumPy numbers and read-only mappings printed as np.float64(0.05) and
    mappingproxy({...}), which the source's reader (``ast.literal_eval``)
    cannot take back.
    """
    if isinstance(spec, Mapping):
        return {_plain(k): _plain(v) for k, v in spec.items()}
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool):
        return int(spec)
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return float(spec)
    if isinstance(spec, decimal.Decimal) and spec.is_finite():
        # Not a numbers.Real: Decimal('0.05') was written as such, unreadable,
        # and the growth it set was listed as the default's assumption.
        return int(spec) if spec == spec.to_integral_value() else float(spec)
    return spec


def _logit(p: Any) -> Any:
    """log(p / (1 − p)) of a share or an array of shares."""
    return np.log(p / (1.0 - p))


def _expit(x: Any) -> Any:
    """The share whose logit is ``x`` (elementwise for arrays)."""
    return 1.0 / (1.0 + np.exp(-x))


#: A growth rate above which ``project`` warns of a factor given as a rate: half
#: as much again in a year is no nominal income growth of a province.
FACTOR_LIKE_RATE = 0.5


def _year_like(key: object) -> bool:
    """Whether ``key`` is a year written as text or a float (``"2025"``, 2025.0)."""
    if isinstance(key, str):
        text = key.strip()
        return text.isascii() and text.isdigit()
    number = finite_float(key) if is_number(key) else None
    return number is not None and number.is_integer()


def _check_spec(spec: Any, where: str) -> dict[str, float]:
    if is_number(spec):
        # The rate's own check below says what is allowed (float(10**400) raised
        # a bare OverflowError).
        number = finite_float(spec)
        spec = {"all": spec if number is None else number}
    if not isinstance(spec, Mapping):
        raise ArgumentError(
            f"{where} must be a number or a mapping of key to rate; got {quoted(spec)}"
        )
    allowed = {
        "all",
        "urban",
        "rural",
        *INCOME_COLUMNS,
        *(f"{a}.{c}" for a in ("urban", "rural") for c in INCOME_COLUMNS),
    }
    out = {}
    problems = []
    for k, v in spec.items():
        if k not in allowed:
            problems.append(f"{where}: unknown key {k!r}; allowed: {sorted(allowed)}")
        elif (
            # NumPy scalars and Decimals too (a rate read from an array or frame)
            (rate := finite_float(v)) is None or not -0.5 <= rate <= 1.0
        ):
            problems.append(
                f"{where}[{k!r}] must be a growth rate in [-0.5, 1] "
                f"(0.05 = +5 %); got {quoted(v)}"
            )
        else:
            out[k] = rate
    if problems:
        advice = ""
        if any(_year_like(k) for k in spec if k not in allowed):
            # Keys read from JSON or TOML are text: "2025" was told it is no
            # rate key, and not that a year key is an integer.
            advice = (
                "; a year's key is an integer (2025, not '2025' or 2025.0; keys "
                "read from JSON or TOML are text: convert them with "
                "{int(year): rates for year, rates in growth.items()})"
            )
        # Counted past ten: 10,000 unknown keys made a message of 2.4 MB.
        raise ArgumentError(joined_problems(problems) + advice)
    factors = {k: v for k, v in out.items() if v > FACTOR_LIKE_RATE}
    if factors:
        # growth_rates() returns factors: one passed back (1.0 for "no growth")
        # doubled every income without a word.
        warn_user(
            f"{where}: {factors} read as growth of "
            f"{', '.join(f'{v:+.0%}' for v in factors.values())} a year: growth "
            "factors (1.05 = +5 %, as growth_rates returns)? Give rates "
            "(0.05 = +5 %)"
        )
    return out


def _is_by_year(growth: Any) -> bool:
    """Whether ``growth`` is a mapping keyed by year (``{2025: {...}}``)."""
    return (
        isinstance(growth, Mapping)
        and bool(growth)
        and all(is_integer(k) for k in growth)
    )


def _check_growth_years(growth: Any, first: int, last: int, where: str) -> None:
    """Refuse year keys of ``growth`` that no projection step from/to uses.

    Year ``y`` of a year-keyed mapping is the growth from ``y - 1`` to ``y``, so only
    ``first..last`` are used; any other key would be silently ignored, as would
    any growth when no year is projected (``first > last``).
    """
    if growth is not None and first > last:
        # A plain rate or an area mapping was dropped without a word.
        raise ArgumentError(
            f"{where}: growth is given but no year is projected (the population "
            f"is already of year {first - 1}); it would be ignored"
        )
    if not _is_by_year(growth):
        return
    empty = sorted(y for y, g in growth.items() if g is None)
    if empty:
        # {2025: None} silently took the default growth of that year.
        raise ArgumentError(
            f"{where}: growth[{empty[0]}] is None; give that year's growth (a "
            "number or a mapping) or leave the year out for the default"
        )
    unused = sorted(y for y in growth if not first <= y <= last)
    if unused:
        raise ArgumentError(
            f"{where}: growth has year(s) {unused} outside the years projected "
            f"({first}–{last}; the key is the year grown *to*); they would be ignored"
        )


def _year_spec(year: int, growth: Any) -> dict[str, float]:
    """The rates ``growth`` gives for ``year`` (checked); {} for the default."""
    # Problems of a rate given for every year name no year: a step repeated
    # year by year then says them once (project's warnings_once).
    where = "growth"
    if _is_by_year(growth):
        where = f"growth[{year}]"
        by_year = {int(y): g for y, g in growth.items()}
        if year in by_year and by_year[year] is None:
            # It took the default growth of the year without a word.
            raise ArgumentError(
                f"growth[{year}] is None; give that year's growth (a number or a "
                "mapping) or leave the year out for the default"
            )
        growth = by_year.get(year)
    elif isinstance(growth, Mapping) and any(is_integer(k) for k in growth):
        # Read as rates of one year: "growth[2025]: unknown key 2025".
        years = [k for k in growth if is_integer(k)]
        others = [k for k in growth if not is_integer(k)]
        raise ArgumentError(
            f"growth mixes year keys {years} with rate keys {others}; give one "
            "kind: rates ({'urban': 0.05}) or years of rates ({2025: {'urban': "
            "0.05}})"
        )
    return _check_spec(growth, where) if growth is not None else {}


def growth_rates(year: int, growth: Any = None) -> pd.DataFrame:
    """Growth of each income source from ``year - 1`` to ``year``, by city and area.

    Parameters
    ----------
    year : int
        The year grown *to* (2021–2050).
    growth : float or mapping, optional
        Overrides. A number applies to every source and area; a mapping takes keys
        ``"all"``, ``"urban"``, ``"rural"``, a source (``"wage"``, ``"business"``,
        ``"property"``, ``"pension"``) or ``"<area>.<source>"``; the first
        given of ``"<area>.<source>"``, the source, the area and ``"all"``
        applies (``{"urban": 0.1, "wage": 0.2}`` grows urban wages by 20 %); a
        mapping keyed by year (``{2025: {...}}``) applies per year, and a year
        it omits keeps the default growth (published, then
        :data:`DEFAULT_GROWTH_AFTER_2024`).

    Returns
    -------
    pandas.DataFrame
        Index ``(city, urban)`` for the 11 cities and the province label; columns
        the four person income sources; values are growth factors (1.05 = +5 %).

    Notes
    -----
    Through 2024 (published): source s in area a grows as the published per-capita
    component (``statistics.composition``; pensions follow net transfers), times
    the city's growth relative to its area (``statistics.city_income_targets``).
    :func:`project` keeps these per-capita rates through its reweighting (each
    source of each city × area scaled so its per-capita amount grows so); rates
    given and those assumed after 2024 grow each person's income.
    After 2024: :data:`DEFAULT_GROWTH_AFTER_2024` for every source and city.

    Examples
    --------
    >>> g = growth_rates(2023)
    >>> round(float(g.loc[("浙江", False), "wage"]), 4)  # 23,825 / 22,687
    1.0502
    """
    if not is_integer(year) or not FIRST_YEAR + 1 <= year <= MAX_YEAR:
        raise ArgumentError(
            f"year must be an integer in {FIRST_YEAR + 1}–{MAX_YEAR}; "
            f"got {quoted(year)}"
        )
    year = int(year)
    return _growth_table(year, _year_spec(year, growth))


def _growth_table(year: int, spec: Mapping[str, float]) -> pd.DataFrame:
    """:func:`growth_rates` of ``year`` for the rates ``spec`` (checked) gives."""
    out = _growth_before_given_rates(year)
    for c, u in out.index:
        for col in INCOME_COLUMNS:
            key = growth_key(spec, "urban" if u else "rural", col)
            if key is not None:
                out.loc[(c, u), col] = 1.0 + spec[key]
    return out


@table_cache
def _growth_before_given_rates(year: int) -> pd.DataFrame:
    """Growth factors of ``year`` before any rate a caller gives.

    From the statistics file (the assumed ones after it): the same at every call,
    so kept (about two thirds of a three-year projection of 2,000 households went
    to forming them).
    """
    index = pd.MultiIndex.from_tuples(
        [(c, u) for c in CITY_LABELS for u in (True, False)], names=["city", "urban"]
    )
    out = pd.DataFrame(1.0, index=index, columns=list(INCOME_COLUMNS))
    if year <= LAST_PUBLISHED:
        before, after = S.composition(year - 1), S.composition(year)
        t0, t1 = S.city_income_targets(year - 1), S.city_income_targets(year)
        for c in CITY_LABELS:
            for u in (True, False):
                area = "urban" if u else "rural"
                rel = 1.0
                if c in t0.index:
                    rel = (t1.loc[c, area] / t0.loc[c, area]) / (
                        after.loc[area, "total"] / before.loc[area, "total"]
                    )
                for col in INCOME_COLUMNS:
                    k = _COMPONENT_OF[col]
                    out.loc[(c, u), col] = (
                        after.loc[area, k] / before.loc[area, k] * rel
                    )
    else:
        for c, u in index:
            out.loc[(c, u), :] = (
                1.0 + DEFAULT_GROWTH_AFTER_2024["urban" if u else "rural"]
            )
    return out


def _population_target(year: int) -> tuple[float, float]:
    """Residents and urbanisation rate of `year` (held at 2025 values after)."""
    last = 2025
    if year <= last:
        return S.population(year), S.urbanisation_rate(year)
    step = (_logit(S.urbanisation_rate(last)) - _logit(S.urbanisation_rate(2020))) / 5.0
    return S.population(last), _expit(
        _logit(S.urbanisation_rate(last)) + step * (year - last)
    )


def _old_share_change(year: int) -> float:
    """Change of the province's share of residents aged 60+ from ``year - 1``.

    Published through 2024 (B: the 2020 census and the 2021-2024 bulletins);
    after, the average change of 2020-2024 (R assumption).
    """
    if year <= LAST_PUBLISHED:
        return old_share(year) - old_share(year - 1)
    return (old_share(LAST_PUBLISHED) - old_share(FIRST_YEAR)) / (
        LAST_PUBLISHED - FIRST_YEAR
    )


def _cities_share(city_code: np.ndarray) -> tuple[float, list[str]]:
    """The province's residents a population's cities hold, and which cities.

    ``(share, cities)``: the 2020-census share of the province's residents living
    in the cities the population has households in (1.0 when it has every city,
    or households without one, which stand for the province), and those cities.
    """
    present = np.unique(city_code)
    province = CITY_LABELS.index(PROVINCE)
    cities = [CITY_LABELS[c] for c in present if c != province]
    if province in present or len(cities) == len(CITIES):
        return 1.0, cities
    census = S.census_table()["population"]
    return float(census[cities].sum() / census.sum()), cities


#: How near its cities' residents a population of some cities must be weighted
#: to stand for them (relative): survey weights summing to 21.7 m for Hangzhou and
#: Ningbo (21.6 m) do; sample weights (1 each) or province weights do not.
CITIES_WEIGHT_TOLERANCE = 0.25


def _stands_for(pop: Population) -> tuple[float, str]:
    """The share of the province's residents ``pop`` is raked to, and why.

    1.0 (all of Zhejiang) unless the population has households in some of the
    cities only, none without a city, and weights that add up to those cities'
    residents (within ``CITIES_WEIGHT_TOLERANCE`` of their 2020-census share of
    the published residents of ``pop.year``, and nearer them than the
    province's): it then stands for those cities. A survey of two cities was
    raked to every resident of the province (weights tripled, fiscal totals with
    them). The second item says what was chosen ("" for a whole-province one).
    """
    share, cities = _cities_share(pop.city_code)
    if share == 1.0:
        return 1.0, ""
    published = _population_target(int(cast("int", pop.year)))[0]
    own = pop.residents
    theirs = published * share
    listed = f"{len(cities)} of the {len(CITIES)} cities ({', '.join(cities)})"
    if abs(own / theirs - 1.0) <= CITIES_WEIGHT_TOLERANCE and abs(
        np.log(own / theirs)
    ) < abs(np.log(own / published)):
        return share, (
            f"the population has households in {listed} only, and its weights add "
            f"up to their residents ({own:,.0f} against {theirs:,.0f}, their "
            f"2020-census share {share:.1%} of the province's): it is raked to "
            "their residents, not to all of Zhejiang's"
        )
    return 1.0, (
        f"the population has households in {listed} only, but its weights "
        f"({own:,.0f} residents) do not add up to their residents ({theirs:,.0f}): "
        "it is taken as a sample of the province and raked to all of Zhejiang's "
        f"residents ({published:,.0f} in {pop.year}); weight it to those cities' "
        "residents to project them alone"
    )


def _sums_by(
    row: np.ndarray,
    column: np.ndarray,
    weight: np.ndarray | None,
    shape: tuple[int, int],
) -> np.ndarray:
    """Sums of ``weight`` (counts if None) by cell ``(row, column)`` of ``shape``.

    Added in row order within each cell, as ``np.add.at`` adds, and as fast as
    a count.
    """
    cell = row * shape[1] + column
    return np.bincount(cell, weight, shape[0] * shape[1]).reshape(shape)


def _composition_kept(
    pop: Population, weight: np.ndarray, year: int, spec: Mapping[str, float]
) -> np.ndarray:
    """Factors that keep each published source's per-capita amount through reweighting.

    A published rate (through :data:`LAST_PUBLISHED`, not overridden by
    ``spec``) is the growth of a per-capita amount, and so already holds the
    year's change of composition: more residents aged 60+, who draw pensions
    and earn no wages, and more urban residents. Reweighting to that
    composition again moved it twice: from 2020 to 2024 urban wages per capita
    came out 5 % under the published ones and net transfers 13 % over. So,
    inside each city × area, such a source is scaled by (its per-capita amount
    under the old weights) ÷ (under ``weight``), amounts taken as magnitudes:
    a net amount where losses nearly cancel gains (business income) changed
    by a factor of 8 when its records' weights moved by a few per cent, where
    the magnitudes' factor is inside the range of those moves.

    Returns
    -------
    ndarray, shape (len(CITY_LABELS), 2, len(INCOME_COLUMNS))
        By city code, urban and source, as the growth table of ``_project``; 1
        where nothing is kept (a rate given, a year after the published ones,
        no such income in the cell).
    """
    shape = (len(CITY_LABELS), 2)
    out = np.ones((*shape, len(INCOME_COLUMNS)))
    if year > LAST_PUBLISHED:
        return out
    hh = pop.person_household_index
    urban = pop.urban.astype(np.intp)
    person_city, person_urban = pop.city_code[hh], urban[hh]
    residents_before = _sums_by(pop.city_code, urban, pop.weight * pop.size, shape)
    residents_after = _sums_by(pop.city_code, urban, weight * pop.size, shape)
    for i, source in enumerate(INCOME_COLUMNS):
        x = np.abs(getattr(pop, source))
        before = _sums_by(person_city, person_urban, pop.weight[hh] * x, shape)
        after = _sums_by(person_city, person_urban, weight[hh] * x, shape)
        kept = (before > 0.0) & (after > 0.0)
        out[kept, i] = (before[kept] / residents_before[kept]) / (
            after[kept] / residents_after[kept]
        )
        for u in (0, 1):
            if growth_key(spec, "urban" if u else "rural", source) is not None:
                out[:, u, i] = 1.0  # a rate given grows each person's income
    return out


def _on_survey_share(pop: Population) -> bool:
    """Whether ``pop``'s urban share is the survey's, not the urbanisation rate.

    Through 2024 both are published for each city (the survey's, implied by
    its all / urban / rural means, is 5-7 points lower); the population is on
    the one its own urban share is nearer to, each city's taken at its weight
    in the population (a population of some cities was compared with the
    province's two shares: Hangzhou's survey share, 0.76, lies nearer the
    province's official rate, 0.72, than its survey share, 0.67). The default
    baselines are on the survey's, ``urban_definition="census"`` ones on the
    official rate.
    """
    if pop.year is None or not FIRST_YEAR <= pop.year <= LAST_PUBLISHED:
        return False
    pw = pop.weight * pop.size
    residents = np.bincount(pop.city_code, pw, len(CITY_LABELS))
    own = float(pw[pop.urban].sum() / residents.sum())
    nearer = {}
    for definition in ("survey", "census"):
        shares = S.city_urban_shares(pop.year, definition)
        by_code = np.array(
            [
                shares.get(
                    label,
                    S.survey_urban_share(pop.year)
                    if definition == "survey"
                    else S.urbanisation_rate(pop.year),
                )
                for label in CITY_LABELS
            ]
        )
        nearer[definition] = abs(own - float(residents @ by_code / residents.sum()))
    return nearer["survey"] < nearer["census"]


def _margins(
    pop: Population, year: int, share: float = 1.0, survey: bool = False
) -> tuple[
    dict[str, dict[Any, dict[Any, float]]],
    dict[str, np.ndarray] | None,
    dict[str, str],
]:
    """The totals ``pop`` is raked to when it moves from ``year - 1`` to ``year``.

    Residents: the published year-end population (held at 2025 after) times
    ``share`` (:func:`_stands_for`), each city keeping its share. Inside each
    city the urban share of residents moves by one logit step, the one that
    moves the population's own urban share by the published change of the
    survey's urban share (``survey``: a population on it, through 2024) or of
    the urbanisation rate; households follow their city × area's persons
    (household size kept per cell: raking persons by area alone made rural
    households smaller and urban ones larger year after year, which moved both
    areas' means and quintile ratios with no income change).
    Residents aged 60+ of each city move by the province's published change of
    the 60+ share (the population does not age otherwise), those under 15 keep
    their share; a city with fewer than ``MIN_BAND_RECORDS`` persons in an age
    band keeps its age structure, and no city's 15-59 band falls by more than a
    fifth a year. Returns the margins, the extra variables they need and, by
    city, why its 60+ share does not follow the province's.
    """
    residents, urban_rate = _population_target(year)
    _, urban_before = _population_target(year - 1)
    if survey:
        # The survey's urban share, implied by its all / urban / rural means
        # (the one the default baselines and the urban and rural means are on),
        # rose about half as fast as the official rate: 66.5 % to 68.3 % in
        # 2020-2024 against 72.2 % to 75.5 %. Moved by the official change, a
        # 2020 baseline projected to 2024 was 70.2 % urban, not 68.3 %.
        urban_rate = S.survey_urban_share(year)
        urban_before = S.survey_urban_share(year - 1)
    not_aged: dict[str, str] = {}  # city -> why its 60+ share does not follow
    pw = pop.weight * pop.size
    ratio = residents * share / pw.sum()
    codes = np.unique(pop.city_code)
    cities = [CITY_LABELS[c] for c in codes]
    is_urban = pop.urban.astype(np.intp)
    persons = _sums_by(pop.city_code, is_urban, pw, (len(CITY_LABELS), 2))
    households = _sums_by(pop.city_code, is_urban, pop.weight, (len(CITY_LABELS), 2))
    city_persons = persons.sum(axis=1)
    urban_share: np.ndarray = np.divide(
        persons[:, 1],
        city_persons,
        out=np.zeros(len(CITY_LABELS)),
        where=city_persons > 0,
    )
    mixed = (urban_share > 0.0) & (urban_share < 1.0)
    total_share = float(persons[:, 1].sum() / city_persons.sum())
    if total_share in (0.0, 1.0):
        # Skipped, the step rescaled an urban-only survey to every resident of
        # the province (fiscal totals half as large again), urban share 100 %.
        area = "urban" if total_share == 1.0 else "rural"
        raise CalibrationError(
            f"every household is {area}: the urban share cannot move, and the "
            "weights would be raked to all the residents it stands for, urban "
            f"and rural, not its {area} ones"
        )
    if 0.0 < total_share < 1.0:
        goal = _expit(_logit(total_share) + _logit(urban_rate) - _logit(urban_before))

        def shares_at(step: float) -> np.ndarray:
            out = urban_share.copy()
            out[mixed] = _expit(_logit(urban_share[mixed]) + step)
            return out

        def gap(step: float) -> float:
            return cast(
                "float",
                float(city_persons @ shares_at(step)) / city_persons.sum() - goal,
            )

        lo, hi = -1.0, 1.0
        while gap(lo) > 0.0 and lo > -64.0:
            lo *= 2.0
        while gap(hi) < 0.0 and hi < 64.0:
            hi *= 2.0
        for _ in range(200):  # bisection: the share is increasing in the step
            mid = 0.5 * (lo + hi)
            if gap(mid) < 0.0:
                lo = mid
            else:
                hi = mid
        if not abs(gap(0.5 * (lo + hi))) <= 1e-12:
            raise CalibrationError(
                f"the urban share of residents cannot move from {total_share:.4f} "
                f"to {goal:.4f} inside the cities"
            )
        urban_share = shares_at(0.5 * (lo + hi))
    new_persons = (
        ratio
        * city_persons[:, None]
        * np.stack([1.0 - urban_share, urban_share], axis=1)
    )
    size = np.divide(
        persons, households, out=np.ones_like(persons), where=households > 0
    )
    new_households = new_persons / size
    cells = [
        (CITY_LABELS[c], bool(a)) for c in codes for a in (0, 1) if persons[c, a] > 0
    ]
    margins: dict[str, dict[Any, dict[Any, float]]] = {
        "households": {
            ("city", "urban"): {
                (c, a): new_households[CITY_LABELS.index(c), int(a)] for c, a in cells
            }
        },
        "persons": {
            ("city", "urban"): {
                (c, a): new_persons[CITY_LABELS.index(c), int(a)] for c, a in cells
            }
        },
    }
    # residents by city x age band, where every band has enough records
    band = np.searchsorted([b[1] for b in AGE_BANDS], pop.age, side="right")
    hh = pop.person_household_index
    person_city = pop.city_code[hh]
    shape = (len(CITY_LABELS), len(AGE_BANDS))
    ages = _sums_by(person_city, band, pop.weight[hh], shape)
    records = _sums_by(person_city, band, None, shape)
    change = _old_share_change(year)

    def moved_shares(shares: np.ndarray) -> tuple[np.ndarray | None, str]:
        """Band shares with the 60+ one moved by ``change``, and why not all."""
        young, old = shares[0], shares[2]
        middle = 1.0 - young - old
        if not old > 0.0:
            return None, "no residents aged 60+"
        # At most a fifth of the 15-59 band a year: an elderly-heavy sample ran
        # it down to 0.1 % by 2050, with weights 2.8 million times apart.
        step = min(change, 0.2 * middle)
        why = (
            "its residents aged 15-59 would fall by over a fifth"
            if step < change
            else ""
        )
        return np.array([young, middle - step, old + step]), why

    aged: dict[Any, float] = {}
    rest: list[str] = []
    rest_codes: list[int] = []
    for c, city in zip(codes, cities, strict=True):
        moved, why = (
            moved_shares(ages[c] / ages[c].sum())
            if records[c].min() >= MIN_BAND_RECORDS
            else (None, "")
        )
        if moved is None:
            rest.append(city)  # pooled below
            continue
        if why:
            not_aged[city] = why
        total = new_persons[c].sum()
        for (low, high), part in zip(AGE_BANDS, moved, strict=True):
            aged[(city, (low, high))] = total * part
    if rest:
        # Cities with too few records in an age band for a margin of their own
        # share one (every person must fall in a cell of each margin), moved as
        # one when the pooled bands have the records, else kept as they are.
        rest_codes = [CITY_LABELS.index(c) for c in rest]
        pooled = np.isin(person_city, rest_codes)
        pooled_ages = np.bincount(
            band[pooled], weights=pop.weight[hh][pooled], minlength=len(AGE_BANDS)
        )
        pooled_records = np.bincount(band[pooled], minlength=len(AGE_BANDS))
        shares = pooled_ages / pooled_ages.sum()
        moved, why = (
            moved_shares(shares)
            if pooled_records.min() >= MIN_BAND_RECORDS
            else (None, f"fewer than {MIN_BAND_RECORDS} person records in an age band")
        )
        for city in rest:
            if why:
                not_aged[city] = why
        if moved is None:
            if len(rest) == len(cities):
                return margins, None, not_aged  # no city can be moved: no margin
            moved = shares
        total = float(new_persons[rest_codes].sum())
        for (low, high), part in zip(AGE_BANDS, moved, strict=True):
            if part > 0:
                aged[("other", (low, high))] = total * part
    if aged:
        labels = np.asarray(CITY_LABELS, dtype=object)[pop.city_code]
        groups = np.where(np.isin(pop.city_code, rest_codes), "other", labels)
        margins["persons"][("age_city", "age")] = aged
        return margins, {"age_city": groups}, not_aged
    return margins, None, not_aged


def _limits_detail(exc: PopulationError) -> str:
    """A population's own refusal without its prefix and its advice on frames.

    Said by a step of the library (a projection, a wage carry), it quoted the
    constructor and pointed at from_frames, which the caller never called.
    """
    detail = str(exc).removeprefix("Population: ")
    return re.sub(r" \(Population\.from_frames and from_arrays .*\)$", "", detail)


def _projected(pop: Population, step: int, **changes: Any) -> Population:
    """``dataclasses.replace(pop, **changes)``, its limits' errors said as project's.

    Uprating or reweighting can take a valid population beyond the library's
    limits (a wage of 1e12 grown by a year's rate); the population's own message
    quoted values the caller never gave and pointed at from_frames.
    """
    try:
        return dataclasses.replace(pop, **changes)
    except PopulationError as exc:
        detail = _limits_detail(exc)
        raise PopulationError(
            f"project: the projection to {step} (incomes grown by that year's "
            "rates, households reweighted to its residents) leaves the library's "
            f"limits: {detail}"
        ) from None


@interruptible
@warnings_once
def project(population: Population, to_year: int, growth: Any = None) -> Population:
    """Project a population forward to `to_year`: uprate incomes, then reweight.

    Parameters
    ----------
    population : Population
        With ``year`` set (e.g. from :func:`~commonprosperity.baseline`).
    to_year : int
        Target year, ``population.year`` to 2050.
    growth : float or mapping, optional
        Growth overrides; see :func:`growth_rates`.

    Returns
    -------
    Population
        Incomes uprated year by year (:func:`growth_rates`); weights raked each year
        so that residents equal the published year-end population, each city
        keeping its share of residents (a population of some of the cities
        whose weights add up to their residents stands for them only, their
        2020-census share of the province's; one of some cities weighted
        otherwise is a sample of the province; which, is said in a
        ``UserWarning``); inside each city the urban share moves by one logit
        step, the one that moves the population's own urban share by the
        published change of the share it is on (through 2024 the survey's,
        :func:`~commonprosperity.statistics.survey_urban_share`, for a
        population nearer it than the urbanisation rate, as the default
        baselines are; else, and after 2024, the urbanisation rate's), with
        the persons per household of each city × area kept; and each city's
        residents aged 60+ move by the
        province's published change of their share (those under 15 keep theirs;
        the persons themselves do not age; cities with fewer than 30 person
        records in an age band move as one group, and no 15-59 band falls by
        more than a fifth a year: a ``UserWarning`` names any city whose 60+
        share could not follow the province's). After 2024 the 60+ share moves
        by its 2020–2024 average change a year; after 2025 the population is held
        at its 2025 value and the urbanisation rate follows its 2020–2025 logit
        trend (R assumptions). A published rate is the growth of a per-capita
        amount, which already holds the year's change of composition (more
        residents aged 60+, who draw pensions and earn no wages): through 2024
        each source of each city × area is scaled after the reweighting so that
        its per-capita amount grows as published (amounts as magnitudes, so
        that business losses nearly cancelling gains leave the factor inside
        the weights' moves). Rates given in ``growth``,
        and those assumed after 2024, grow each person's income as they stand.

    Raises
    ------
    PopulationError
        If the population has no year, a year after 2050 and `to_year` after
        it, or a year before 2020 and `to_year` after it (the published
        figures start in 2020); or if a year's step takes a value beyond the
        population's limits (an income near ±1e12 yuan grown by a year's rate, a
        weight near 1e-300 beside weights a quadrillion times larger reweighted
        to the residents).
    ArgumentError
        If `to_year` is not an integer, before the population's year or after
        2050.
    CommonProsperityError
        If ``growth`` is invalid, or keyed by years outside
        ``population.year + 1 .. to_year``, or given when ``to_year`` is the
        population's year (it would be ignored).
    CalibrationError
        If no weights give a year's residents and urban share (e.g. every city's
        households are all urban or all rural, so the urban share cannot move).
        Residents aged 60+ that cannot move (too few records, households all of
        one age mix) give a ``UserWarning`` instead, and keep their share.

    Examples
    --------
    >>> from commonprosperity.baseline import baseline
    >>> pop = baseline(2022, n_households=8_000, seed=3)
    >>> p24 = project(pop, 2024)
    >>> p24.year, round(p24.residents)
    (2024, 66700000)
    """
    not_aged: dict[str, tuple[int, str]] = {}
    pop = _project(population, to_year, growth, not_aged)
    _say_not_aged(not_aged)
    return pop


def _project(
    population: Population,
    to_year: int,
    growth: Any,
    not_aged: dict[str, tuple[int, str]],
) -> Population:
    """:func:`project`, adding to ``not_aged`` the cities whose 60+ share is held.

    ``not_aged[city]`` = (first year held, why); a city already there keeps its
    year, so :func:`simulate_path`, projecting year by year, says each city once
    with the year it was first held.
    """
    if not isinstance(population, Population):
        raise ArgumentTypeError(
            f"project: population must be a Population; got {type(population).__name__}"
        )
    if population.year is None:
        raise PopulationError(
            "project: population.year is None; set it with "
            "population.with_year(year) first"
        )
    # The argument's error, not the data's (README: PopulationError is for data):
    # a caller catching ArgumentError for bad arguments missed it.
    bad_to_year = ArgumentError(
        f"project: to_year must be an integer in {population.year}–"
        f"{max(MAX_YEAR, population.year)} (projection runs forward from "
        f"population.year); got {quoted(to_year)}"
    )
    if not is_integer(to_year) or to_year < population.year:
        # Backwards is refused as such (a 2060 population to 2059 was told its
        # year must be at most 2050).
        raise bad_to_year
    # To its own year is no step, whatever the year (simulate_path runs a
    # population after 2050 in its own year).
    if population.year > MAX_YEAR and to_year != population.year:
        raise PopulationError(
            f"project: population.year must be at most {MAX_YEAR} (the last year "
            f"projected); got {population.year}"
        )
    if not population.year <= to_year <= max(MAX_YEAR, population.year):
        raise bad_to_year
    if population.year < FIRST_YEAR and to_year > population.year:
        # The first step would need the published growth into population.year + 1.
        raise PopulationError(
            f"project: population.year must be {FIRST_YEAR} or later to project "
            f"(published incomes and population start in {FIRST_YEAR}); got "
            f"{population.year}"
        )
    _check_growth_years(growth, population.year + 1, int(to_year), "project")
    pop = population
    # Decided once, from the population as given: after a step its weights
    # are the projection's.
    share, chosen = _stands_for(population) if to_year > population.year else (1.0, "")
    on_survey_share = to_year > population.year and _on_survey_share(population)
    hh = pop.person_household_index
    # Each household's cell in the tables by (city code, urban): the households
    # and their cells stay; only weights and incomes change from year to year.
    cell = (pop.city_code, pop.urban.astype(np.intp))
    cells = pd.MultiIndex.from_product([list(CITY_LABELS), [False, True]])
    for year in range(pop.year + 1, int(to_year) + 1):  # type: ignore[operator]
        spec = _year_spec(year, growth)
        # The rates of each city × area, then gathered by household: reindexing
        # by a million households' labels took a tenth of a year's step.
        table = _growth_table(year, spec).reindex(cells).to_numpy()
        factors = table.reshape(len(CITY_LABELS), 2, -1)[cell]  # (n, 4)
        survey = on_survey_share and year <= LAST_PUBLISHED
        # Start the raking from weights scaled to this year's residents: from
        # sample weights (e.g. all 1) the first Newton step overflowed exp()
        # (a RuntimeWarning, an error under np.seterr(all="raise")). The
        # households-by-cell margins span the constant, so the result is the same.
        start = _projected(
            pop,
            year,
            weight=pop.weight * (_population_target(year)[0] * share) / pop.residents,
            _cache={},
        )
        try:
            margins, variables, held = _margins(pop, year, share, survey)
        except CalibrationError as exc:
            raise _cannot_reweight(pop, year, exc, share, survey) from None
        try:
            reweighted = calibrate(
                start,
                margins,
                method="raking",
                max_iter=50,
                tol=1e-10,
                variables=variables,
            )
        except CalibrationError as exc:
            if variables is None:
                raise _cannot_reweight(pop, year, exc, share, survey) from None
            # The households' age mix cannot carry the age margin (every
            # household young and old alike, say): reweight without it.
            del margins["persons"][("age_city", "age")]
            try:
                reweighted = calibrate(
                    start, margins, method="raking", max_iter=50, tol=1e-10
                )
            except CalibrationError as exc2:
                raise _cannot_reweight(pop, year, exc2, share, survey) from None
            held = {
                city: held.get(city, "its households' mix of ages cannot move that far")
                for city in sorted({CITY_LABELS[c] for c in pop.city_code})
            }
        for city, why in held.items():
            not_aged.setdefault(city, (year, why))
        kept = _composition_kept(pop, reweighted.weight, year, spec)[cell]
        incomes = {
            c: sealed(getattr(pop, c) * factors[hh, i] * kept[hh, i])
            for i, c in enumerate(INCOME_COLUMNS)
        }
        pop = _projected(
            pop,
            year,
            weight=reweighted.weight,
            year=year,
            _cache={},
            # The growth is the projection's assumption: two populations
            # projected with different ones had the same source.
            source=f"{population.source} | project(to_year={to_year}"
            + ("" if growth is None else f", growth={_plain(growth)!r}")
            # Where it started, when after the published years: the growth
            # assumed for those years is read back from this (_assumed_growth).
            + (f", from={population.year}" if population.year > LAST_PUBLISHED else "")
            + ")",
            **incomes,
        )
        pop.weight.flags.writeable = False
    if chosen and " | project(" not in population.source:
        # Said, not silent: whether a population of some cities stands for them
        # or for the province is read from its weights. Said once: a projected
        # population (simulate_path's steps) gets the same reading from the
        # weights the projection gave it, which the text would call its own.
        warn_user(f"project: {chosen}")
    return pop


def _say_not_aged(not_aged: dict[str, tuple[int, str]]) -> None:
    """Warn of the cities whose residents aged 60+ do not follow the province."""
    if not_aged:
        # Said, not silent: these cities' residents aged 60+ do not follow the
        # province's published change.
        warn_user(
            "project: the share of residents aged 60+ does not move with the "
            "province's in "
            + "; ".join(f"{c} from {y} ({why})" for c, (y, why) in not_aged.items())
        )


def _cannot_reweight(
    pop: Population, year: int, exc: CalibrationError, share: float, survey: bool
) -> CalibrationError:
    """The error of a year whose totals no weights meet, with what could cause it.

    ``share`` and ``survey`` as for :func:`_margins`: the residents raked to and
    the urban share moved are the ones the step used.
    """
    mixed = [
        CITY_LABELS[c]
        for c in np.unique(pop.city_code)
        if len(set(pop.urban[pop.city_code == c].tolist())) == 2
    ]
    hint = (
        f"only {mixed} have both urban and rural households"
        if mixed
        else "no city has both urban and rural households"
    )
    return CalibrationError(
        f"project: cannot reweight the population to {year}: "
        f"{_population_target(year)[0] * share:,.0f} residents, each city keeping "
        "its share, with the urban share moved by the published change of the "
        + ("survey's urban share" if survey else "urbanisation rate")
        + f" inside the cities, where {hint} ({exc})"
    )


def _national_accounts(
    values: Mapping[int, float] | None, name: str, years: list[int]
) -> dict[int, float]:
    """Check GDP or labour compensation by year: path years, finite yuan > 0.

    A key that is not a year of the path, or a value that is not a positive
    number, would otherwise be silently ignored (T7 and T10 read as NA) or give a
    meaningless share.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ScenarioError(
            f"simulate_path: {name} must be a mapping of year to yuan; "
            f"got {type(values).__name__}"
        )
    problems = []
    out = {}
    for y, v in values.items():
        if y not in years or not is_integer(y):
            keys = " (keys are integer years)" if not is_integer(y) else ""
            problems.append(f"{name}[{y!r}]: not a year of the path {years}{keys}")
        elif problem := positive_yuan_problem(f"{name}[{y!r}]", v):
            problems.append(problem)
        else:
            out[int(y)] = float(v)
    # Each year passes the units check on its own; one year in 亿元 among
    # others in yuan, or a figure a digit off, made T10 "met" (0.51 -> 3.54).
    problems += [
        f"{name}[{y}] = {out[y]:g} is {out[y] / out[y - 1]:.3g} times "
        f"{name}[{y - 1}] = {out[y - 1]:g}; a year-on-year change beyond "
        f"{1 / _NATIONAL_ACCOUNTS_STEP:g}–{_NATIONAL_ACCOUNTS_STEP:g}× is no "
        "plausible change of a province's national accounts: give every year in "
        "yuan"
        for y in sorted(out)
        if y - 1 in out
        and not 1 / _NATIONAL_ACCOUNTS_STEP
        <= out[y] / out[y - 1]
        <= _NATIONAL_ACCOUNTS_STEP
    ]
    if problems:
        raise ScenarioError("simulate_path: " + joined_problems(problems))
    return out


#: The largest year-on-year ratio of GDP or labour compensation accepted.
_NATIONAL_ACCOUNTS_STEP = 1.5


def _top_bottom(res: Any, pop: Population, urban: bool) -> float:
    sel = pop.urban == urban
    if not sel.any():
        return float("nan")
    size = pop.size[sel]
    pc = res.households["disposable_income"].to_numpy()[sel] / size
    q = quintile_means(pc, pop.weight[sel], size)
    return float(q[4] / q[0]) if q[0] > 0 else float("nan")


@interruptible
@warnings_once
def simulate_path(
    population: Population,
    scenarios_by_year: Mapping[int, Scenario],
    *,
    gdp: Mapping[int, float] | None = None,
    labour_compensation: Mapping[int, float] | None = None,
    growth: Any = None,
    band_basis: str = "household",
) -> pd.DataFrame:
    """Simulate one scenario per year on the projected population.

    Parameters
    ----------
    population : Population
        The starting population, with ``year`` set.
    scenarios_by_year : mapping of int to Scenario
        The policy of each year; each scenario's ``year`` must equal its key, and
        every key must be ``>= population.year`` and at most 2050 (the last
        year :func:`project` reaches) or the population's own year. The years
        must be consecutive (T9 and T10 compare each year with the year before);
        the first may be after ``population.year``.
    gdp, labour_compensation : mapping of int to float, optional
        GDP and labour remuneration by year, yuan (national accounts) for T7/T10.
        Keys must be years of the path, values finite and > 0; labour
        compensation only for years with GDP.
    growth : float or mapping, optional
        Growth overrides passed to :func:`project`; the years of a year-keyed
        mapping must lie after ``population.year`` and up to the last year.
        A scenario's own ``wages.growth_rate`` is extra wage growth of its
        year: the wages it reaches are carried into the later years (projected
        from there, and grown again by their own ``growth_rate``), so 5 % in
        each of two years is 1.05² of the wages, and 5 % in the first only
        keeps its 5 % in the second.
    band_basis : {"household", "three_person"}
        The income of the plan's bands for T2/T3, as in :func:`simulate`:
        household disposable income (the plan's words), or 3 × per-capita
        disposable income (the statistical bureau's typical three-person
        household).

    Returns
    -------
    pandas.DataFrame
        One row per year (index ``year``): the indicators of ``INDICATOR_NAMES``,
        the fiscal totals ``social_insurance_fund_revenue``, ``housing_fund``
        and ``net_revenue`` of :attr:`Result.fiscal` (yuan per year; the
        indicator ``social_insurance_contributions`` includes the housing fund,
        which is employees' savings, not revenue), ``urban_top_bottom_ratio``
        and ``rural_top_bottom_ratio`` (top-20 % ÷ bottom-20 % mean per-capita
        disposable income, quintiles of households as the statistical bureau
        forms them: :func:`~commonprosperity.baseline.quintile_means`),
        ``dibao_monthly``, ``dibao_monthly_grade`` ("C" or "R" when the year's
        line is a derived or unverified status-quo value, else ""; the status
        quo's lines are derived from consumption and income, so T8 judged on
        them judges that derivation, not a published standard), ``residents``,
        ``income_to_gdp_per_capita``
        (per-capita disposable income ÷ GDP per resident, the year's ``gdp``
        divided by ``residents``, its year-end residents; NaN without GDP. The
        statistical bureau divides GDP by the year's average population instead,
        which for a growing population is smaller: with Zhejiang's growth of
        0.6-0.8 % a year in 2022-2023 (``statistics.population``: 65.40, 65.77,
        66.27 million at the ends of 2021-2023) by about 0.3-0.4 %, so its GDP
        per capita is that much higher and the ratio that much lower), the trend
        values ``T8_value`` (dibao
        growth ÷ per-capita income growth over the year; NaN when income did not
        grow, and T8 is then met when dibao growth is not below income growth),
        ``T8_since_start_value`` and ``T8_since_start`` (the same ratio and
        verdict over the years since the path's first: a path of 2020–2025
        measures the plan's period 2021–2025 from its base year 2020 (one
        starting in 2021 leaves 2021's own growth out); a dibao raised in some
        years only can meet it while missing T8 in others), ``T9_value``
        (largest year-on-year change of the two quintile ratios; NaN when either
        ratio is undefined in either year), ``T10_value``
        (change of income ÷ GDP per capita), ``T1``–``T10`` (met, nullable
        boolean; trends NA in the first year) and ``note`` (why each target that
        is NA was not judged that year, e.g. ``"T7: needs gdp and
        labour_compensation …; T10: needs gdp for 2024"``; empty when every
        target was judged; T8 since the first year included; also why T8 is
        judged without a value, and, in the first row, that it keeps the
        population's own weights when they are more than 1 % off the published
        residents, which the later years are raked to). The notes
        :meth:`Result.targets` adds to judged targets are not repeated here: on
        the default baseline (``urban_definition="survey"``) T6 reads not met
        every year for the survey's urban share (README, "Three things to know"),
        and T2/T3 are on ``band_basis``.

    Raises
    ------
    ArgumentError
        If ``band_basis`` is not one of those allowed.
    ScenarioError
        If a scenario's year differs from its key, precedes the population's or
        is after 2050 and the population's, or
        ``gdp`` / ``labour_compensation`` has a key that is not a year of the path
        or a value that is not a finite number > 0, or a labour compensation
        above the year's GDP or given for a year without GDP, or a GDP per
        resident that per-capita income is not 0.05–5 times of (GDP not in yuan,
        or a population not weighted to the residents it represents); if
        ``scenarios_by_year`` is not a mapping with integer year keys, or skips a
        year between its first and last.
    CommonProsperityError
        If ``growth`` is invalid or has years outside the path (see :func:`project`).
    PopulationError
        If a year's projection takes a value beyond the population's limits (see
        :func:`project`).

    Examples
    --------
    >>> from commonprosperity import Scenario
    >>> from commonprosperity.baseline import baseline
    >>> pop = baseline(2023, n_households=8_000, seed=1)
    >>> path = simulate_path(pop, {y: Scenario.status_quo(y) for y in (2023, 2024)})
    >>> list(path.index), bool(pd.isna(path.loc[2023, "T8"]))
    ([2023, 2024], True)
    """
    if not isinstance(population, Population):
        raise ArgumentTypeError(
            f"simulate_path: population must be a Population; got "
            f"{type(population).__name__}"
        )
    if population.year is None:
        raise PopulationError("simulate_path: population.year is None")
    check_band_basis(band_basis, "simulate_path: ")
    if not isinstance(scenarios_by_year, Mapping):
        raise ScenarioError(
            "simulate_path: scenarios_by_year must be a mapping of year to Scenario, "
            f"e.g. {{2025: Scenario.status_quo(2025)}}; got "
            f"{type(scenarios_by_year).__name__}"
        )
    if not scenarios_by_year:
        raise ScenarioError("simulate_path: scenarios_by_year is empty")
    problems = []
    for y, sc in scenarios_by_year.items():
        if not is_integer(y):
            problems.append(
                f"scenarios_by_year key {y!r} must be an integer year "
                "(the scenario's year)"
            )
        elif not isinstance(sc, Scenario):
            problems.append(
                f"scenarios_by_year[{y!r}] must be a Scenario; got {type(sc).__name__}"
            )
        elif sc.year != y:
            problems.append(f"scenarios_by_year[{y!r}] has year {sc.year}")
        if is_integer(y) and y < population.year:
            problems.append(f"year {y} is before population.year {population.year}")
        elif is_integer(y) and y > max(MAX_YEAR, population.year):
            # Found only after simulating every year before it.
            problems.append(
                f"year {y} is after {MAX_YEAR}, the last year a population is "
                "projected to"
            )
    if problems:
        raise ScenarioError("simulate_path: " + joined_problems(problems))
    years = sorted(int(y) for y in scenarios_by_year)
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        # T9 and T10 compare each year with the year before: across a gap they
        # were judged over several years and said nothing of the years between.
        raise ScenarioError(
            f"simulate_path: scenarios_by_year has missing year(s) {missing}; give "
            f"a scenario for every year from {years[0]} to {years[-1]} (the trend "
            "targets T9 and T10 compare each year with the year before), e.g. "
            "Scenario.status_quo(2025).replace({'year': y}) for a year after 2025"
        )
    gdp = _national_accounts(gdp, "gdp", years)
    labour = _national_accounts(labour_compensation, "labour_compensation", years)
    above = [
        f"year {y}: {problem}"
        for y in labour
        if y in gdp and (problem := labour_share_problem(gdp[y], labour[y]))
    ]
    # T7 is their ratio: labour compensation of a year without GDP was ignored.
    above += [
        f"labour_compensation[{y}] is given but gdp[{y}] is not (T7 is labour "
        "compensation ÷ GDP: give both for a year, or neither)"
        for y in sorted(set(labour) - set(gdp))
    ]
    if above:
        raise ScenarioError("simulate_path: " + joined_problems(above))
    _check_growth_years(growth, population.year + 1, years[-1], "simulate_path")
    rows: list[dict[str, Any]] = []
    pop = population
    previous: dict[str, float] | None = None
    # Held cities said once, with the year each was first held (each year's
    # project() said them again, "from" that year).
    not_aged: dict[str, tuple[int, str]] = {}
    try:
        for year in years:
            step = growth
            if _is_by_year(growth):
                # this step uses the years after the previous one, up to `year`
                step = {y: g for y, g in growth.items() if pop.year < y <= year}
            # A year the population already is takes no growth (project refuses it).
            pop = _project(
                pop, year, step if year > cast("int", pop.year) else None, not_aged
            )
            sc = scenarios_by_year[year]
            res = simulate(pop, sc, band_basis=band_basis)
            ind = res.indicators
            row: dict[str, Any] = {"year": year}
            row.update({k: float(ind[k]) for k in INDICATOR_NAMES})
            # The cost of the path by year, split as Result.fiscal splits it: the
            # contributions include the housing fund, employees' savings, which
            # "taxes + contributions - transfers" would count as revenue.
            row.update({k: float(res.fiscal[k]) for k in PATH_FISCAL})
            row["urban_top_bottom_ratio"] = _top_bottom(res, pop, True)
            row["rural_top_bottom_ratio"] = _top_bottom(res, pop, False)
            row["dibao_monthly"] = sc.transfers.dibao_monthly
            # The status quo's lines are placeholders derived from consumption and
            # income (no published standard was found): T8 on them judges their
            # derivation, not a policy; the row says which lines are such.
            row["dibao_monthly_grade"] = next(
                (
                    w["grade"]
                    for w in res.provenance["weak_values"]
                    if w["key"] == "transfers.dibao_monthly"
                ),
                "",
            )
            row["residents"] = pop.residents
            income_gdp = float("nan")
            if year in gdp:
                problem = income_to_gdp_problem(
                    f"gdp[{year}]",
                    gdp[year],
                    pop.residents,
                    row["per_capita_disposable_income"],
                )
                if problem:
                    raise ScenarioError(f"simulate_path: {problem}")
                income_gdp = row["per_capita_disposable_income"] / (
                    gdp[year] / pop.residents
                )
            row["income_to_gdp_per_capita"] = income_gdp
            trends: dict[str, float] = {}
            verdicts: dict[str, tuple[bool, str]] = target_verdicts(res)
            ratio, flat = _t8(rows[0], row) if rows else (float("nan"), None)
            row["T8_since_start_value"] = ratio
            row["T8_since_start"] = (
                bool(_met(ratio, _T8)[0])
                if np.isfinite(ratio)
                else (flat[0] if flat else pd.NA)
            )
            if previous is not None:
                ratio, flat = _t8(previous, row)
                if np.isfinite(ratio):
                    trends["T8"] = ratio
                elif flat:
                    verdicts["T8"] = flat
                changes = [
                    row[k] - previous[k]
                    for k in ("urban_top_bottom_ratio", "rural_top_bottom_ratio")
                ]
                # The plan's target is the gap inside urban *and* inside rural
                # residents: with either ratio undefined (no households of the area,
                # or a bottom quintile without positive income) T9 is NA, rather than
                # judged on the other area alone.
                if all(np.isfinite(c) for c in changes):
                    trends["T9"] = max(changes)
                if np.isfinite(income_gdp) and np.isfinite(
                    previous["income_to_gdp_per_capita"]
                ):
                    trends["T10"] = income_gdp - previous["income_to_gdp_per_capita"]
            table = evaluate_targets(
                ind,
                residents=pop.residents,
                gdp=gdp.get(year),
                labour_compensation=labour.get(year),
                trends=trends,
                undefined=res.undefined,
                verdicts=verdicts,
            )
            for tid in ("T8", "T9", "T10"):
                row[f"{tid}_value"] = trends.get(tid, float("nan"))
            for tid, met in table["met"].items():
                row[str(tid)] = met
            row["note"] = _path_note(table, row, previous, rows[0] if rows else None)
            if previous is None and year >= FIRST_YEAR and len(years) > 1:
                # The first year keeps the population's weights and the later ones
                # are raked to the published residents: a sample weighted to itself
                # jumped from 2,339 residents to 66 m between the first two rows.
                published = _population_target(year)[0] * _stands_for(pop)[0]
                if abs(pop.residents / published - 1.0) > 0.01:
                    first = (
                        f"{year} keeps the population's own weights "
                        f"({pop.residents:,.0f} residents against the published "
                        f"{published:,.0f}); later years are raked to the "
                        "published residents, so totals change basis after it"
                    )
                    row["note"] = f"{row['note']}; {first}" if row["note"] else first
            rows.append(row)
            previous = row
            if year != years[-1]:
                pop = _wages_grown(pop, sc)
    finally:
        _say_not_aged(not_aged)
    frame = pd.DataFrame(rows).set_index("year")
    for tid in (*(f"T{i}" for i in range(1, 11)), "T8_since_start"):
        frame[tid] = frame[tid].astype("boolean")
    return frame


def _wages_grown(pop: Population, scenario: Scenario) -> Population:
    """``pop`` with the wages its year's scenario grew them to, for later years.

    ``wages.growth_rate`` is growth of the scenario's year: the level it
    reaches stays. Carried only in the population, it vanished the next year,
    and a path's income fell back (T8 then met on the fall) while two years of
    5 % extra growth gave 5 % in all. The product is the rules' own (a positive
    wage times ``1 + growth_rate``), so the next year starts from the wages this
    year's scenario paid.
    """
    g = scenario.wages.growth_rate
    if g == 0.0:
        return pop
    try:
        return dataclasses.replace(
            pop,
            wage=sealed(pop.wage * (1.0 + g)),
            source=f"{pop.source} | wages.growth_rate={g!r} of {scenario.year}",
            _cache={},
        )
    except PopulationError as exc:
        # Not project's message: nothing was projected, the scenario's growth
        # is what was carried.
        detail = _limits_detail(exc)
        raise PopulationError(
            f"simulate_path: wages.growth_rate = {g!r} of {scenario.year}, carried "
            f"into {scenario.year + 1}, takes wages beyond the library's limits: "
            f"{detail}"
        ) from None


def _path_note(
    table: pd.DataFrame,
    row: dict[str, Any],
    previous: dict[str, Any] | None,
    start: dict[str, Any] | None = None,
) -> str:
    """Why targets of a path's year are not judged, or judged without a value.

    A target is not judged when its ``met`` is NA; T8 is judged without a value
    in a year when income did not grow. Returns "" when there is nothing to say.

    The trend targets' reasons are the path's: the first year, which ratio is
    undefined in which year, which year lacks GDP; the others' are the target
    table's notes.
    """
    year = row["year"]
    notes = []
    for tid, met in table["met"].items():
        if not pd.isna(met):
            # Judged without a value (T8 when income did not grow): say how.
            if pd.isna(table.at[tid, "value"]) and table.at[tid, "note"]:
                notes.append(f"{tid}: {table.at[tid, 'note']}")
            continue
        note = str(table.at[tid, "note"])
        if tid in ("T8", "T9", "T10") and previous is None:
            note = "the path's first year: no year before it to compare with"
        elif tid == "T8":
            assert previous is not None  # a first year took the branch above
            note = _t8_reason(previous, row)
        elif tid == "T9":
            assert previous is not None  # a first year took the branch above
            undefined = [
                f"{area} ratio in {y}"
                for y, r in ((previous["year"], previous), (year, row))
                for area in ("urban", "rural")
                if not np.isfinite(r[f"{area}_top_bottom_ratio"])
            ]
            note = (
                "top/bottom 20 % ratio undefined (no residents of the area, or a "
                "bottom quintile without positive income): " + ", ".join(undefined)
            )
        elif tid == "T10":
            assert previous is not None  # a first year took the branch above
            missing = [
                str(r["year"])
                for r in (previous, row)
                if not np.isfinite(r["income_to_gdp_per_capita"])
            ]
            note = "needs gdp for " + " and ".join(missing)
        notes.append(f"{tid}: {note}")
    if start is not None and pd.isna(row["T8_since_start"]):
        notes.append(f"T8 since {start['year']}: {_t8_reason(start, row)}")
    elif start is not None and not np.isfinite(row["T8_since_start_value"]):
        # Judged without a value (income did not grow since the start), as T8
        # is above: say how.
        flat = _t8(start, row)[1]
        if flat:
            notes.append(f"T8 since {start['year']}: {flat[1]}")
    return "; ".join(notes)


def _t8(start: dict[str, Any], end: dict[str, Any]) -> tuple[float, Any]:
    """T8 from year ``start`` to year ``end``: ``(ratio, verdict)``.

    ``ratio`` is the dibao line's growth ÷ per-capita income growth when income
    grew (``verdict`` None: the target judges the ratio). When income did not
    grow the ratio says nothing (NaN), but 增幅不低于 still compares the growths:
    ``verdict`` is ``(met, note)``; so too when the start's dibao line is 0 and
    the end's is not (met: a line introduced rises more than any income). Both
    NaN / None when a growth is otherwise undefined (the dibao line 0 at both
    ends, or the start's per-capita income not positive: a growth from a base of
    0 or below has no meaning, :func:`_t8_reason`).
    """
    base = start["per_capita_disposable_income"]
    g_income = (
        end["per_capita_disposable_income"] / base - 1.0 if base > 0 else float("nan")
    )
    g_dibao = (
        end["dibao_monthly"] / start["dibao_monthly"] - 1.0
        if start["dibao_monthly"] > 0
        else float("nan")
    )
    # Growths within rounding of each other or of zero are equal: re-weighting
    # alone moved unchanged incomes by 1e-16 and flipped the verdict.
    tol = BOUND_TOLERANCE
    if g_income > tol and np.isfinite(g_dibao):
        return g_dibao / g_income, None
    if np.isfinite(g_income) and np.isfinite(g_dibao):
        return float("nan"), (
            bool(g_dibao >= g_income - tol),
            f"per-capita income growth {g_income:+.2%} is not positive, so "
            f"the growth ratio is undefined; dibao growth {g_dibao:+.2%} "
            + ("is not below it" if g_dibao >= g_income - tol else "is below it"),
        )
    if start["dibao_monthly"] == 0 < end["dibao_monthly"] and np.isfinite(g_income):
        # A line introduced where there was none: its growth has no ratio, but
        # it is below no income growth (the target is met, not unknown).
        return float("nan"), (
            True,
            f"the dibao line rose from 0 to {end['dibao_monthly']:,.6g} yuan a "
            f"month, a growth without bound, not below per-capita income growth "
            f"{g_income:+.2%}",
        )
    return float("nan"), None


def _t8_reason(start: dict[str, Any], end: dict[str, Any]) -> str:
    """Why T8 from ``start`` to ``end`` has neither a ratio nor a verdict."""
    reasons = []
    if not start["dibao_monthly"] > 0:
        reasons.append(
            f"the dibao line of {start['year']} is {start['dibao_monthly']:g} yuan a "
            "month, so its growth is undefined"
        )
    for r in (start, end):
        income = r["per_capita_disposable_income"]
        if not (np.isfinite(income) and (r is end or income > 0)):
            reasons.append(
                f"per-capita disposable income of {r['year']} is {income:,.0f}, so "
                "its growth is undefined"
            )
    return "; ".join(reasons) or "the growths are undefined"
