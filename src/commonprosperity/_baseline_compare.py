"""Set a baseline population's simulated figures beside the published ones.

Private part of :mod:`commonprosperity.baseline` (which re-exports
:func:`compare_to_published` and :func:`quintile_means`).
"""

from __future__ import annotations

import re
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity import statistics as S
from commonprosperity._sums import dot
from commonprosperity._validate import quoted
from commonprosperity.errors import PopulationError, ScenarioError
from commonprosperity.population import CITY_LABELS, Population
from commonprosperity.published import CITIES
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import (
    _generator_argument,
    _ratio,
    population_cities_note,
    simulate,
    weights_set_after_generator,
)

__all__ = ["RATIO_TOLERANCE", "compare_to_published", "quintile_means"]

#: Tolerances of the held-out rows (docs/baseline.md, Tolerances): city
#: per-capita incomes, relative, and a point value of the low-income rural
#: households' mean over the rural mean (Jiaxing's), absolute.
HELD_OUT_CITY_TOLERANCE = 0.12
HELD_OUT_LOW_INCOME_TOLERANCE = 0.15

#: Tolerance of the urban/rural and highest/lowest city ratios, absolute: the
#: published ratios are rounded to 0.01 (docs/baseline.md, Tolerances).
RATIO_TOLERANCE = 0.005


def quintile_means(
    per_capita: np.ndarray,
    household_weight: np.ndarray,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Mean per-capita income of the five quintile groups of households (NBS 五等份).

    As the statistical bureau forms them: households ranked by per-capita income
    and cut at every 20 % of households (weighted); each group's mean is its
    income over its persons (yuan per person per year). A household straddling
    a cut is split between the two groups by weight; so is a block of households
    of one income (with its persons and income in proportion), so the result
    does not depend on the order of the rows.

    Parameters
    ----------
    per_capita : ndarray of float64
        Per-capita disposable income of each household, yuan per year.
    household_weight : ndarray of float64
        Households each record stands for.
    size : ndarray, optional
        Persons of each household. None: one person each, so the weights weigh
        persons and the groups are fifths of persons (this function's only
        reading before session 30).

    Examples
    --------
    Ten one-person households with incomes 1 to 10; then two households of
    four persons at 1 yuan and one of one person at 6 yuan: the fourth fifth of
    the three households is 0.2 of the first kind (0.8 persons at 1 yuan) and
    0.4 of the last (0.4 persons at 6 yuan), (0.8 + 2.4) / 1.2 = 2.67 a person:

    >>> quintile_means(np.arange(1.0, 11.0), np.ones(10), np.ones(10)).round(6).tolist()
    [1.5, 3.5, 5.5, 7.5, 9.5]
    >>> q = quintile_means(np.array([1.0, 6.0]), np.array([2.0, 1.0]), [4, 1])
    >>> q.round(4).tolist()
    [1.0, 1.0, 1.0, 2.6667, 6.0]
    """
    x = np.asarray(per_capita, dtype=np.float64)
    w = np.asarray(household_weight, dtype=np.float64)
    persons = w * (1.0 if size is None else np.asarray(size, dtype=np.float64))
    order = np.argsort(x, kind="stable")
    x, w, persons = x[order], w[order], persons[order]
    # Households of one income form one block, which a cut shares by weight
    # with its persons and income pro rata: cut household by household, which
    # of them fell below depended on row order (a household of three or of one
    # at a tied income crossing the 20 % cut moved the top/bottom ratio 5.47 ->
    # 4.78).
    first = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
    if x.shape[0] > 0:
        income = np.add.reduceat(persons * x, first)
        w, persons = np.add.reduceat(w, first), np.add.reduceat(persons, first)
    else:
        income = persons * x
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cp = np.concatenate([[0.0], np.cumsum(persons)])
    cx = np.concatenate([[0.0], np.cumsum(income)])
    cuts = cw[-1] * np.linspace(0.0, 1.0, 6)
    # piecewise linear inside a household: a share of its weight carries that
    # share of its persons and income
    return cast(
        "np.ndarray",
        np.diff(np.interp(cuts, cw, cx)) / np.diff(np.interp(cuts, cw, cp)),
    )


def _quintiles(
    per_capita: np.ndarray, household_weight: np.ndarray, size: np.ndarray
) -> np.ndarray:
    """:func:`quintile_means`, NaN for an area without households."""
    if per_capita.shape[0] == 0:
        return np.full(5, np.nan)
    return quintile_means(per_capita, household_weight, size)


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
        ``held out``, ``shape`` or ``not reproduced``), ``published``, ``year``
        (of the published figure, which may be another year's, as the 2020
        census household sizes; NA for the shape rows, set from several years),
        ``simulated, difference`` (simulated ÷ published − 1, or simulated −
        published), ``difference_kind`` (``"relative"``, or ``"absolute"`` for
        shares, the Gini and most ratios, published to a few digits),
        ``tolerance`` (of the same kind), ``within, grade, source`` (id in
        ``data/statistics.toml``, or the basis of a derived figure), ``method``
        (how a figure that is not published as it stands was derived or set,
        e.g. a 2020 city income from its 2021 level and growth, or Jiaxing's
        household size read as a transcription error; empty for a published
        one), ``note`` (why a figure is not reproduced, where it is not) and
        ``citation`` (title, date and URL of the source of a published figure;
        empty for derived ones). A figure of an area or city
        the population has no households in (a survey of some cities) is ``not
        reproduced``, its ``simulated`` NaN; so is the highest/lowest city ratio
        of a population lacking some of the 11 cities (the published one is over
        all 11). Tolerances are those of ``docs/baseline.md``.

    Notes
    -----
    The published all / urban / rural means imply an urban share of residents 5.6–7.2
    points below the official urbanisation rate, so one population cannot reproduce
    all four. A baseline made with ``urban_definition="survey"`` (the default) has
    the survey-implied share: its urbanisation rate row is ``not reproduced`` with
    the gap and the reason in ``note``; one made with ``"census"`` reproduces the
    urbanisation rate and its all-resident mean is ``not reproduced`` instead.
    The definition is read from the population's ``source``; another population
    (a survey) is read as of the census definition only if its urban share of
    residents is within 0.005 of the official urbanisation rate.

    The Gini row is a band, not a published point: its ``published`` value is
    the midpoint of the band from the 2020 lower bound to the 2019 national Gini
    (its label gives both) and its ``tolerance`` the half-width, so ``within``
    says the simulated Gini lies in the band.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.baseline(2022, n_households=8_000, seed=1)
    >>> table = cp.compare_to_published(pop)
    >>> sorted(table["role"].unique())
    ['calibrated', 'held out', 'not reproduced', 'shape']
    >>> bool(table.loc[table["role"] == "calibrated", "within"].all())
    True

    The survey-defined baseline (the default) does not reproduce the official
    urbanisation rate, and the row says so:

    >>> row = table.loc[table["figure"] == "urbanisation rate"].iloc[0]
    >>> row["role"], float(row["published"]), round(float(row["simulated"]), 3)
    ('not reproduced', 0.734, 0.675)
    """
    if not isinstance(population, Population):
        raise PopulationError(
            "compare_to_published: population must be a Population; got "
            f"{type(population).__name__}"
        )
    year = population.year
    if year not in S.BASELINE_YEARS:
        raise PopulationError(
            f"compare_to_published: population.year must be one of {S.BASELINE_YEARS}; "
            f"got {quoted(year)}"
        )
    assert year is not None
    # `scenario or ...` took {}, "", 0 or False for the status quo, and an
    # array's truth value raised a bare ValueError.
    scenario = Scenario.status_quo(year) if scenario is None else scenario
    if not isinstance(scenario, Scenario) or scenario.year != year:
        # The published figures are those of population.year: the rules of another
        # year would be compared with them silently.
        got = scenario.year if isinstance(scenario, Scenario) else scenario
        raise ScenarioError(
            f"compare_to_published: scenario must be a Scenario of the population's "
            f"year {year} (the published figures are of that year); got {quoted(got)}"
        )
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
        note: str = "",
        at_least: bool = False,
        undefined: str = "",
        missed: str = "",
        of: S.Figure | None = None,
        figure_year: int | None = None,
        method: str = "",
    ) -> None:
        if of is not None:
            # The figure's own year and derivation: a row may rest on another
            # year's figure (the census) or on a derived one.
            figure_year, method = of.year, method or of.method
        simulated = float(simulated)
        if not np.isfinite(simulated):
            # A population without households of the area or city (a survey of
            # some cities, urban households only): nothing to compare. The
            # reason first: a row's description ("published for Jiaxing")
            # does not say why it is empty.
            role = "not reproduced"
            reason = undefined or (
                f"the population has no {'' if area == 'all' else area + ' '}"
                f"households{'' if city == '浙江' else ' in ' + city} to compare"
            )
            note = f"{reason}; {note}" if note else reason
        diff = simulated - published if absolute else simulated / published - 1.0
        # A published floor ("at least") is missed only from below.
        within = diff >= -tol if at_least else abs(diff) <= tol
        if role == "calibrated" and not within and not note:
            # The note says why a figure is not reproduced, a calibrated one too.
            relabelled = re.search(r"\| with_year\(\d+\)[^|]*$", population.source)
            note = missed or (
                "calibrated, but outside the tolerance in this population: "
                "relabelled by with_year, its incomes are of another year than "
                "the published figures"
                if relabelled
                else "calibrated, but outside the tolerance in this population (a "
                "small baseline whose raking skipped or merged some margins, "
                "named in its source, weights set after baseline() by calibrate, "
                "with_weights or project, or a population baseline() did not "
                "make)"
            )
        rows.append(
            {
                "figure": fig,
                "area": area,
                "city": city,
                "role": role,
                "published": published,
                "year": figure_year,
                "simulated": simulated,
                "difference": diff,
                "difference_kind": "absolute" if absolute else "relative",
                "tolerance": tol,
                "within": bool(within),
                "grade": grade,
                "source": source,
                "method": method,
                "note": note,
            }
        )

    share = float(ind["urbanization_rate"])
    survey_share = S.survey_urban_share(year)
    # The library's baseline says how it was made; another population, or one
    # whose weights were set after the generator (calibrate, with_weights,
    # project's reweighting to a later year), is read by its urban share: a
    # baseline raked to the official rate was still called a survey-definition
    # one, its note contradicting the share beside it.
    made = (
        None
        if weights_set_after_generator(population.source)
        or " | project(" in population.source
        else _generator_argument(
            population.source, "urban_definition", "'census'|'survey'"
        )
    )
    if made is not None:
        census = made == "'census'"
        basis = f"urban_definition={made}"
    else:
        # As if "census" only if it has the official rate (within the rows'
        # 0.005): an all-urban survey is no census-definition population.
        census = abs(share - S.urbanisation_rate(year)) <= 0.005
        basis = (
            f"the population's urban share of residents ({share:.3f}) is the "
            f"urbanisation rate, not the survey's ({survey_share:.3f})"
            if census
            else f"the population's urban share of residents is {share:.3f}"
        )
    for area, name in (
        ("all", "per_capita_disposable_income"),
        ("urban", "urban_per_capita_disposable_income"),
        ("rural", "rural_per_capita_disposable_income"),
    ):
        f = S.disposable_income(year, area)
        gap = census and area == "all"
        add(
            "per-capita disposable income",
            area,
            "浙江",
            "not reproduced" if gap else "calibrated",
            cast("float", f.value),
            ind[name],
            0.005,
            f.grade,
            f.source.id,
            of=f,
            note=(
                f"{basis}: with the official urbanisation rate as "
                "the urban share, the published urban and rural means give an "
                "all-resident mean above the published one (the survey weighs urban "
                f"residents at {survey_share:.3f}, not {S.urbanisation_rate(year)})"
                if gap
                else ""
            ),
        )
    ratio = S.figures("urban_rural_ratio", year=year, city="浙江")[0]
    # docs/baseline.md (Tolerances): 0.005 absolute, since published ratios are
    # rounded to 0.01 (a relative 1 % would accept 1.96 ± 0.0196)
    add(
        "urban/rural ratio",
        "all",
        "浙江",
        "calibrated",
        cast("float", ratio.value),
        ind["urban_rural_ratio"],
        RATIO_TOLERANCE,
        ratio.grade,
        ratio.source.id,
        absolute=True,
        of=ratio,
        undefined=res.undefined.get("urban_rural_ratio", ""),
    )
    comp = S.composition(year)
    urban = population.urban
    for area in ("urban", "rural"):
        sel = urban if area == "urban" else ~urban
        npers = dot(w[sel], size[sel])
        flows = {
            k: _ratio(dot(w[sel], hh[k].to_numpy()[sel]), npers)
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
            # Published from 2022 (grade B): cite the table the component and
            # the total come from. Before, derived (C): the basis, uncited.
            published = comp.loc[area, "grade"] == "B"
            add(
                f"share of {k} income",
                area,
                "浙江",
                "calibrated",
                comp.loc[area, k] / comp.loc[area, "total"],
                _ratio(model[k], flows["disposable_income"]),
                0.02,
                comp.loc[area, "grade"],
                S.disposable_income(year, area, k).source.id
                if published
                else "composition",
                absolute=True,
                figure_year=year,
                method="" if published else _COMPOSITION_METHOD[year],
            )
    # The city targets the baseline was calibrated to: their urban and rural
    # residents weighed by the urban shares of the population's definition.
    targets = S.city_income_targets(year, "census" if census else "survey")
    city_pc = res.city_per_capita
    anchors = set(S.CITY_ANCHORS.get(year, ()))
    for c in CITIES:
        add(
            "city per-capita income (target)",
            "all",
            c,
            "calibrated",
            targets.loc[c, "all"],
            city_pc.get(c, np.nan),
            0.005,
            targets.loc[c, "grade"],
            targets.loc[c, "basis"],
            figure_year=year,
            # A derived target says how, as the other derived rows.
            method=""
            if targets.loc[c, "grade"] in ("A", "B")
            else f"the province's {year} urban and rural means times the city's "
            f"relative level ({targets.loc[c, 'basis']}), closed to the province "
            "means (statistics.city_income_targets)",
        )
        if c in anchors:
            f = S.disposable_income(year, "all", city=c)
            add(
                "city per-capita income (published)",
                "all",
                c,
                "calibrated",
                cast("float", f.value),
                city_pc.get(c, np.nan),
                0.07,
                f.grade,
                f.source.id,
                of=f,
            )
    maxmin = S.figures("city_max_min_ratio", year=year, period="year")
    if maxmin:
        # The published ratio is over all 11 cities: one over some of them was
        # judged against it, "calibrated" and within, for Hangzhou and Lishui.
        partial = population_cities_note(population)
        add(
            "highest/lowest city ratio",
            "all",
            "浙江",
            "not reproduced" if partial else "calibrated",
            cast("float", maxmin[0].value),
            ind["city_max_min_ratio"],
            RATIO_TOLERANCE,
            maxmin[0].grade,
            maxmin[0].source.id,
            absolute=True,
            note=f"a ratio {partial}; the published one is over all 11"
            if partial
            else "",
            of=maxmin[0],
        )
    residents = S.figure("resident_population", year)
    add(
        "resident population",
        "all",
        "浙江",
        "calibrated",
        S.population(year),
        population.residents,
        1e-6,
        residents.grade,
        "pop_bulletins",
        of=residents,
    )
    urb = S.figure("urbanisation_rate", year)
    if made is not None:
        urbanisation_note = (
            "urban_definition='survey': the urban share of residents is the one "
            "implied by the published all / urban / rural means "
            f"({survey_share:.4f}), "
            f"{cast('float', urb.value) - survey_share:.4f} below the "
            "official urbanisation rate, so that those three means hold; no single "
            "set of weights reproduces all four (docs/baseline.md). Use "
            "urban_definition='census' for the official rate."
        )
    else:
        urbanisation_note = (
            f"{basis}; the official urbanisation rate is {urb.value:g} and the "
            f"published all / urban / rural means imply {survey_share:.4f} "
            "(docs/baseline.md)"
        )
    add(
        "survey-implied urban share",
        "all",
        "浙江",
        "not reproduced" if census else "calibrated",
        survey_share,
        share,
        0.005,
        "C",
        "(all − rural) / (urban − rural), published means",
        absolute=True,
        figure_year=year,
        method="(all − rural) / (urban − rural) of the published per-capita means",
        note=(
            f"{basis}: the urban share follows the urbanisation rate" if census else ""
        ),
    )
    add(
        "urbanisation rate",
        "all",
        "浙江",
        "calibrated" if census else "not reproduced",
        cast("float", urb.value),
        share,
        0.005,
        urb.grade,
        urb.source.id,
        absolute=True,
        of=urb,
        note="" if census else urbanisation_note,
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
            _ratio(city_persons[i], city_households[i]),
            1e-6,
            _household_size_grade(c),
            "leiii_census",
            **_household_size_basis(c),
        )
    # residents by age: the raking's province totals (its margins are by city)
    person_weight = w[population.person_household_index]
    unraked = "NOT raked" in population.source or "as one band" in population.source
    age_note = (
        "age bands of small cities were not raked, or raked as one, at this size "
        "(fewer than 30 records in a band; the population's source names them): "
        "use more households"
        if unraked
        else ""
    )
    # ``low`` later holds the published figures of the rural bottom quintile.
    low: int | S.Figure
    for group, low in (("60+", 60), ("65+", 65)):
        period = "census" if year == 2020 else "year"
        f = S.figure("age_share", year, group=group, period=period)
        add(
            f"residents aged {group} (share)",
            "all",
            "浙江",
            "calibrated",
            cast("float", f.value),
            dot(person_weight, (population.age >= low).astype(np.float64))
            / person_weight.sum(),
            0.005,
            f.grade,
            f.source.id,
            absolute=True,
            missed=age_note,
            of=f,
        )
    # held out: the 0-15 share of the bulletins (the raking keeps the census's
    # 0-14 share in every year)
    young = S.figures("age_share", year=year, group="0-15")
    if young:
        f = young[0]
        add(
            "residents aged 0-15 (share)",
            "all",
            "浙江",
            "held out",
            cast("float", f.value),
            dot(person_weight, (population.age < 16).astype(np.float64))
            / person_weight.sum(),
            0.005,
            f.grade,
            f.source.id,
            absolute=True,
            note="the raking keeps the 2020 census share aged 0-14 in every year",
            of=f,
        )
    # held out: city values not used in the calibration
    for series, y, area, city, _ in S.HELD_OUT:
        if y != year or series != "disposable_income":
            continue
        f = S.disposable_income(year, area, city=city)
        sel = population.city_code == CITY_LABELS.index(city)
        if area != "all":
            sel &= urban if area == "urban" else ~urban
        sim = _ratio(
            dot(w[sel], hh["disposable_income"].to_numpy()[sel]), pw[sel].sum()
        )
        add(
            "city per-capita income",
            area,
            city,
            "held out",
            cast("float", f.value),
            sim,
            HELD_OUT_CITY_TOLERANCE,
            f.grade,
            f.source.id,
            of=f,
        )
    if year == 2021:
        f = S.figure("wage_share_of_disposable_income", 2021)
        tot = dot(w, hh["disposable_income"].to_numpy())
        add(
            "wage share of income",
            "all",
            "浙江",
            "held out",
            cast("float", f.value),
            dot(w, hh["wage"].to_numpy()) / tot,
            0.02,
            f.grade,
            f.source.id,
            absolute=True,
            of=f,
        )
    rural = ~urban
    # Every rural row's reason when the population has no rural households.
    no_rural = "" if rural.any() else "the population has no rural households"
    q_rural = _quintiles(pc[rural], w[rural], size[rural])
    q_urban = _quintiles(pc[urban], w[urban], size[urban])
    mean_rural = _ratio(dot(pw[rural], pc[rural]), pw[rural].sum())
    add(
        "top/bottom quintile ratio",
        "urban",
        "浙江",
        "shape",
        6.0,
        _ratio(q_urban[4], q_urban[0]),
        1.0 / 6.0,
        "C",
        "quintile tables (5-7)",
        method=_QUINTILE_METHOD,
    )
    add(
        "top/bottom quintile ratio",
        "rural",
        "浙江",
        "shape",
        6.0,
        _ratio(q_rural[4], q_rural[0]),
        1.0 / 6.0,
        "C",
        "quintile tables (5-7)",
        method=_QUINTILE_METHOD,
    )
    # The province's rural bottom quintile against the published ratios of rural
    # low-income households: Jiaxing's (the one published as a ratio) and the
    # province's floor. Not like for like (a registered group, not the poorest
    # fifth of the year; docs/baseline.md): held out.
    # Jiaxing's ratio of the year, or of the nearest year published (2021, 2022).
    jiaxing = min(
        S.figures("low_income_rural_ratio", city="嘉兴"),
        key=lambda f: (abs(f.year - year), -f.year),
    )
    province = S.figure("low_income_rural_ratio", 2023)
    for low, note in (
        (
            jiaxing,
            f"published for Jiaxing (嘉兴) {jiaxing.year} (1 : "
            f"{1.0 / cast('float', jiaxing.value):.2f}), not the province",
        ),
        (
            province,
            f"province 2023, {province.qualifier} {province.value:g} "
            f"({province.method})",
        ),
    ):
        add(
            "rural bottom-quintile mean / rural mean",
            "rural",
            "浙江",
            "held out",
            cast("float", low.value),
            _ratio(q_rural[0], mean_rural),
            # A floor is met or missed: 0.353 against "at least 0.496" read as
            # within a tolerance meant for the distance to a point value.
            0.0 if low.qualifier == "at least" else HELD_OUT_LOW_INCOME_TOLERANCE,
            low.grade,
            low.source.id,
            absolute=True,
            note=note,
            at_least=low.qualifier == "at least",
            undefined=no_rural,
            of=low,
        )
    low_gini = S.figure("gini_lower_bound", 2020, period="Q1-Q3")
    high_gini = S.figure("gini", 2019, city="全国")
    floor, ceiling = cast("float", low_gini.value), cast("float", high_gini.value)
    add(
        f"Gini (between {floor:g} and {ceiling:g})",
        "all",
        "浙江",
        "shape",
        (floor + ceiling) / 2,
        ind["gini"],
        (ceiling - floor) / 2,
        "C",
        "gini_lower_bound / national gini",
        absolute=True,
        method=(
            f"a band, not a published point: from the {low_gini.year} "
            f"({low_gini.period}) lower bound {floor:g} ({low_gini.method}) to the "
            f"{high_gini.year} national Gini {ceiling:g}; published = its midpoint, "
            "tolerance its half-width"
        ),
    )
    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype("Int64")
    # Cite every published figure next to it (title, date, URL), not only by the
    # id of its source in data/statistics.toml; derived rows keep their basis.
    cites = {f.source.id: f.source.cite() for f in S.figures()}
    table["citation"] = table["source"].map(lambda sid: cites.get(sid, ""))
    return table


#: How the quintile-shape rows' published value was set.
_QUINTILE_METHOD = (
    "not a published figure: the midpoint of the 5-7 range of the top/bottom "
    "quintile ratios in published quintile tables (Fujian, Sanming, Quanzhou, "
    "Hangzhou, national; docs/baseline.md)"
)

#: How the income components of the years without a published split were set
#: (statistics.composition).
_COMPOSITION_METHOD = {
    2020: "the Q1-Q3 2020 source shares applied to the annual urban and rural "
    "totals; the rural Q1-Q3 split derived from all and urban with the survey's "
    "implied urban share",
    2021: "shares halfway between 2020's and 2022's",
}


def _household_size_basis(city: str) -> dict[str, Any]:
    """The census year and, for a replaced figure, what the source publishes.

    The row compares with the size the baseline is calibrated to; where that is
    not the published one (Jiaxing's 2.88), its method gives the figure the
    citation shows and why it was replaced.
    """
    used = S.figures("household_size_used", city=city)
    if not used:
        return {"figure_year": 2020}
    published = S.figure("household_size", 2020, period="census", city=city)
    return {
        "figure_year": 2020,
        "method": f"the source cited publishes {published.value:g}; "
        f"{used[0].method} ({used[0].grade})",
    }


def _household_size_grade(city: str) -> str:
    """The grade of the household size a city is calibrated to (a replaced value's)."""
    used = S.figures("household_size_used", city=city)
    if used:
        return used[0].grade
    return S.figure("household_size", 2020, period="census", city=city).grade
