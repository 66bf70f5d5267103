"""Result-level tables: deciles, winners and losers, groups, decomposition, poverty.

Every table is read from one simulated :class:`~commonprosperity.Result`. Persons are
the unit of analysis (a household counts ``weight × size`` persons) and households
are ranked by per-capita disposable income, as in the NBS household survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from commonprosperity import metrics
from commonprosperity._kernels.buckets import income_order
from commonprosperity._sums import weighted_median
from commonprosperity._validate import (
    check_result,
    finite_float,
    joined_problems,
    one_of,
    public_dir,
    quoted,
    strictly_increasing,
)
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentError, ArgumentTypeError, MeasureError
from commonprosperity.population import CITY_LABELS, DATA_ARRAYS, subsets
from commonprosperity.published import CITY_NAMES_EN, PROVINCE

if TYPE_CHECKING:
    from commonprosperity.population import Population
    from commonprosperity.simulate import Result

#: The group of households with no known city: the province's, not a city's. It
#: was labelled 浙江, which read as the province's total beside the cities.
UNKNOWN_CITY = "city unknown (Zhejiang)"

__all__ = ["by_group", "deciles", "decompose", "poverty", "winners_losers"]

_GROUP_COLUMNS = ("city", "urban", "size", "decile")

#: A fixed poverty line under 1/POVERTY_SLIP_FACTOR of the scenario's yearly
#: dibao line is warned about. Not the scenarios' factor of 10: a monthly line is
#: a twelfth of its yearly value, and the 2025 dibao a month (1,128 yuan) typed as
#: a line under 2021 policy (835 a month) is 1/8.9 of that year's line.
POVERTY_SLIP_FACTOR = 4.0


def _person_weight(result: Result) -> np.ndarray:
    from commonprosperity.simulate import _person_weight as person_weight

    return person_weight(result.population)


def _per_capita(result: Result) -> np.ndarray:
    hh = result.households
    return cast(np.ndarray, hh["disposable_income"].to_numpy() / hh["size"].to_numpy())


def decile_of(
    per_capita: np.ndarray,
    person_weight: np.ndarray,
    n: int = 10,
    household_id: np.ndarray | None = None,
) -> np.ndarray:
    """Quantile group (1..n) of each household by per-capita income, person-weighted.

    A household belongs to the group containing the midpoint of its cumulative
    person weight, so households are never split. Households of equal income are
    ranked by ``household_id`` (unique), so the groups do not depend on the order
    of the rows; without ids, by position.

    Examples
    --------
    >>> decile_of(np.array([5.0, 1.0, 3.0, 2.0]), np.ones(4), n=2).tolist()
    [2, 1, 2, 1]
    >>> decile_of(np.ones(2), np.ones(2), n=2, household_id=np.array([9, 4])).tolist()
    [2, 1]
    """
    if household_id is None or strictly_increasing(household_id):
        order = income_order(per_capita, stable=True)
    else:
        # Rows in id order first; the stable sort keeps that order among ties.
        by_id = np.argsort(household_id, kind="stable")
        order = by_id[income_order(per_capita[by_id], stable=True)]
    w = person_weight[order]
    cum = np.cumsum(w)
    position = (cum - 0.5 * w) / cum[-1] * n
    # A midpoint on a boundary (5 equal households: 0.1, 0.3, ...) lands an ulp
    # either side of it depending on the weights' scale: put it on the boundary,
    # so that it belongs to the upper group whatever the scale.
    nearest = np.round(position)
    position = np.where(np.abs(position - nearest) <= 1e-9, nearest, position)
    group = np.empty(per_capita.shape[0], dtype=np.int64)
    group[order] = np.minimum(position.astype(np.int64), n - 1) + 1
    return group


def _deciles_of(result: Result) -> np.ndarray:
    """:func:`decile_of` each household of ``result``, ties ranked by id."""
    return decile_of(
        _per_capita(result),
        _person_weight(result),
        household_id=result.population.household_id,
    )


def deciles(result: Result) -> pd.DataFrame:
    """Per-capita flows by decile of per-capita disposable income (yuan per year).

    Parameters
    ----------
    result : Result
        A result of :func:`~commonprosperity.simulate`.

    Returns
    -------
    pandas.DataFrame
        Indexed 1–10 with ``population_share``, ``households`` (represented),
        ``min_per_capita``, ``max_per_capita`` and per-capita means of ``gross``
        (wage + business + property + pension), ``contributions``, ``taxes`` (all
        IIT schedules), ``transfers`` (dibao + residents' pension + child
        allowance) and ``disposable_income``; ``gross − contributions − taxes +
        transfers = disposable_income`` in every row. A decile that holds no
        household (fewer than 10 households, or a household holding more than a
        tenth of the persons) has ``population_share`` and ``households`` 0 and
        NaN minima, maxima and means.

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate, synthetic_population, tables
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> d = tables.deciles(r)
    >>> list(d.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['population_share', 'households', 'min_per_capita', 'max_per_capita', 'gross',
     'contributions', 'taxes', 'transfers', 'disposable_income']
    >>> gap = d["gross"] - d["contributions"] - d["taxes"] + d["transfers"]
    >>> bool(((gap - d["disposable_income"]).abs() < 1e-6).all())
    True
    >>> bool(d.loc[1, "transfers"] > d.loc[10, "transfers"])
    True
    """
    check_result(result, "result", "deciles")
    hh = result.households
    pw = _person_weight(result)
    w = result.population.weight
    pc = _per_capita(result)
    group = decile_of(pc, pw, household_id=result.population.household_id)
    flows = pd.DataFrame(
        {
            "gross": hh["wage"] + hh["business"] + hh["property"] + hh["pension"],
            "contributions": hh["contributions"],
            "taxes": hh["iit"] + hh["business_tax"] + hh["property_tax"],
            "transfers": hh["dibao"] + hh["residents_pension"] + hh["child_allowance"],
            "disposable_income": hh["disposable_income"],
        }
    )
    weighted = flows.mul(w, axis=0)
    weighted["persons"] = pw
    weighted["households"] = w
    weighted["decile"] = group
    sums = weighted.groupby("decile").sum()
    out = sums[list(flows.columns)].div(sums["persons"], axis=0)
    out.insert(0, "population_share", sums["persons"] / sums["persons"].sum())
    out.insert(1, "households", sums["households"])
    frame = pd.DataFrame({"pc": pc, "decile": group})
    out.insert(2, "min_per_capita", frame.groupby("decile")["pc"].min())
    out.insert(3, "max_per_capita", frame.groupby("decile")["pc"].max())
    # A decile no household falls in (fewer than 10 households, or one holding
    # over a tenth of the persons) keeps its row rather than vanishing.
    out = out.reindex(pd.RangeIndex(1, 11, name="decile"))
    out[["population_share", "households"]] = out[
        ["population_share", "households"]
    ].fillna(0.0)
    return out


def winners_losers(
    result: Result, other: Result, threshold: float = 0.01
) -> pd.DataFrame:
    """Shares of persons gaining and losing more than ``threshold``, result → other.

    Parameters
    ----------
    result, other : Result
        The same population simulated under two scenarios (``result`` is the
        reference, e.g. the status quo): the same households, weights, areas,
        cities and persons with the same gross incomes.
    threshold : float, default 0.01
        Relative change of household disposable income counted as a gain or loss
        (0.01 = 1 %), a finite number ``>= 0``, relative to the absolute value of
        the reference income (a household with a business loss of 100,000 yuan
        that gains 500 yuan gains 0.5 %). Households with zero reference income
        count as gaining or losing on any change larger than ``threshold`` × 1
        yuan. A relative change within 1e-9 of ``threshold`` (rounding of an
        exact 1 % change) counts as on it: neither gain nor loss.

    Returns
    -------
    pandas.DataFrame
        Rows ``all``, ``decile 1``…``decile 10`` (deciles of the reference
        per-capita income), ``urban``, ``rural`` and each city present in the
        population, named in English after ``city`` (``"city Hangzhou"``; the
        Chinese names are the keys of
        :data:`commonprosperity.published.CITY_NAMES_EN`; households of no known
        city are ``"city unknown (Zhejiang)"``), so that the groups' row names do
        not collide; columns ``gain_share``, ``lose_share``, ``no_change_share``
        (person-weighted) and ``mean_change`` (yuan per person per year). A decile
        or area without households has NaN in every column.

    Raises
    ------
    CommonProsperityError
        If ``other`` is not a Result, the two results are on different
        populations (the message names the arrays that differ), or
        ``threshold`` is not a finite number ``>= 0``.

    Warns
    -----
    UserWarning
        If ``threshold >= 1`` (100 %): a fraction is meant (0.01 = 1 %).

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate, synthetic_population, tables
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> w = tables.winners_losers(before, after)
    >>> list(w.columns)
    ['gain_share', 'lose_share', 'no_change_share', 'mean_change']
    >>> w.loc[["all", "decile 1", "decile 10"], "gain_share"].round(3).tolist()
    [0.174, 1.0, 0.0]
    >>> f"{w.loc['all', 'mean_change']:.0f} yuan per person per year"
    '325 yuan per person per year'
    >>> float(w["lose_share"].max())
    0.0
    """
    check_result(result, "result", "winners_losers")
    from commonprosperity.simulate import Result as _Result

    if not isinstance(other, _Result):
        raise ArgumentTypeError(
            f"winners_losers: other must be a Result; got {type(other).__name__}"
        )
    if (value := finite_float(threshold)) is None or not value >= 0.0:
        raise ArgumentError(
            "winners_losers: threshold must be a finite number >= 0 (a fraction of "
            f"disposable income: 0.01 = 1 %); got {quoted(threshold)}"
        )
    threshold = value
    if threshold >= 1.0:
        # threshold=1 meant as 1 % counted no one a winner (gains above 100 %).
        warn_user(
            f"winners_losers: threshold={threshold:g} counts changes above "
            f"{threshold:.0%} of income; a fraction is meant (0.01 = 1 %)"
        )
    a, b = result.population, other.population
    differ = _population_differences(a, b)
    if differ:
        raise ArgumentError(
            "winners_losers needs two results on the same population (same "
            f"households, weights and persons); these differ: {', '.join(differ)}"
        )
    before = result.households["disposable_income"].to_numpy()
    after = other.households["disposable_income"].to_numpy()
    change = after - before
    # |income|: a loss-making household's change is judged against the size of
    # its income, as anyone else's (it counted as a winner on any gain).
    scale = np.where(before != 0, np.abs(before), 1.0)
    rel = change / scale
    # A change of exactly ``threshold`` (a 1 % wage rise) lands an ulp either side
    # of it after the subtraction and division: within _ON_LINE_RTOL of the
    # threshold it is on it, neither a gain nor a loss (as poverty's lines).
    on_edge = np.abs(np.abs(rel) - threshold) <= _ON_LINE_RTOL
    rel = np.where(on_edge, np.sign(rel) * threshold, rel)
    pw = _person_weight(result)
    gain_w = np.where(rel > threshold, pw, 0.0)
    lose_w = np.where(rel < -threshold, pw, 0.0)
    # Its own sum, not 1 - gain - lose: those two, each rounded, came to just
    # over 1 where no one was unchanged (a share of -3e-16).
    same_w = np.where(np.abs(rel) <= threshold, pw, 0.0)
    weighted_change = a.weight * change
    # Each grouping as integer codes, its sums by np.bincount: one pass a sum,
    # not one masked copy per group (0.65 s for 25 groups of 1e6 households).
    # Empty deciles and areas keep their row (NaN); absent cities have none.
    codings = [
        (np.zeros(a.n_households, dtype=np.int64), ["all"], True),
        (
            decile_of(before / a.size, pw, household_id=a.household_id) - 1,
            [f"decile {d}" for d in range(1, 11)],
            True,
        ),
        (np.where(a.urban, 0, 1), ["urban", "rural"], True),
        (
            a.city_code,
            # Households of no known city are the province's, not a city's.
            [
                UNKNOWN_CITY
                if label == PROVINCE
                else f"city {CITY_NAMES_EN.get(label, label)}"
                for label in CITY_LABELS
            ],
            False,
        ),
    ]
    rows: dict[str, dict[str, float]] = {}
    for codes, names, keep_empty in codings:
        k = len(names)
        present = np.bincount(codes, minlength=k) > 0
        sums = [
            np.bincount(codes, weights=v, minlength=k)
            for v in (pw, gain_w, lose_w, same_w, weighted_change)
        ]
        for g, name in enumerate(names):
            if keep_empty or present[g]:
                _add_change_row(rows, name, *(t[g] for t in sums))
    return pd.DataFrame.from_dict(rows, orient="index")


def _add_change_row(
    rows: dict[str, dict[str, float]],
    name: str,
    total: float,
    gain: float,
    lose: float,
    same: float,
    change: float,
) -> None:
    """One row of :func:`winners_losers` from a group's person-weighted sums."""
    if total <= 0:
        # An empty decile or area keeps its row: NaN, not a silent gap.
        rows[name] = dict.fromkeys(
            ("gain_share", "lose_share", "no_change_share", "mean_change"), np.nan
        )
        return
    rows[name] = {
        "gain_share": gain / total,
        "lose_share": lose / total,
        "no_change_share": same / total,
        "mean_change": float(change / total),
    }


def _population_differences(a: Population, b: Population) -> list[str]:
    """Names of the household and person arrays in which ``a`` and ``b`` differ."""
    if a is b:
        return []
    return [
        name
        for name in DATA_ARRAYS
        if not np.array_equal(getattr(a, name), getattr(b, name))
    ]


def _city_groups(pop: Population) -> np.ndarray:
    """Each household's city label, or :data:`UNKNOWN_CITY`."""
    labels = [UNKNOWN_CITY if c == PROVINCE else c for c in CITY_LABELS]
    return cast(np.ndarray, np.asarray(labels, dtype=object)[pop.city_code])


def by_group(result: Result, *by: str) -> pd.DataFrame:
    """Every indicator for each group of households, re-simulated on the group.

    Parameters
    ----------
    result : Result
        The simulation whose population and scenario are grouped.
    *by : {"city", "urban", "size", "decile"}
        Household attributes to group by (``decile`` of per-capita disposable
        income), each at most once. Cities by their Chinese names; households of
        no known city form the group ``"city unknown (Zhejiang)"``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty group (a MultiIndex for several keys), one column per
        indicator, plus ``households`` and ``residents`` represented. Indicators
        undefined for a group (e.g. the urban/rural ratio inside ``urban``) are NaN.
        ``attrs`` hold the ``band_basis`` and ``gini_method`` they are on.

    Raises
    ------
    CommonProsperityError
        If no grouping is given, a grouping is unknown or one is repeated.

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate, synthetic_population, tables
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> g = tables.by_group(r, "urban")
    >>> g.index.tolist()
    [False, True]
    >>> f"rural Gini {g.loc[False, 'gini']:.3f}, urban Gini {g.loc[True, 'gini']:.3f}"
    'rural Gini 0.428, urban Gini 0.339'
    >>> bool(g["urban_rural_ratio"].isna().all())  # undefined inside one area
    True
    >>> g.attrs
    {'band_basis': 'household', 'gini_method': 'exact'}
    """
    check_result(result, "result", "by_group")
    from commonprosperity.simulate import GROUP_OF_WARNINGS, simulate

    if not by:
        raise ArgumentError(f"by_group needs at least one of {_GROUP_COLUMNS}")
    if len(by) == 1 and isinstance(by[0], list | tuple):
        # by_group(["city"]) read the list as one grouping, "unknown" beside
        # an allowed list holding "city".
        raise ArgumentError(
            "by_group takes the groupings as separate arguments, e.g. "
            f"by_group('city', 'urban'); got one {type(by[0]).__name__} "
            f"{quoted(by[0])}"
        )
    pop = result.population
    keys = {}
    for name in by:
        if not one_of(name, _GROUP_COLUMNS):
            # `name == "city"` on an array: a bare ValueError.
            raise ArgumentError(
                f"by_group: unknown grouping {quoted(name)}; allowed: {_GROUP_COLUMNS}"
            )
        if name == "city":
            keys[name] = _city_groups(pop)
        elif name == "urban":
            keys[name] = pop.urban
        elif name == "size":
            keys[name] = pop.size
        elif name == "decile":
            keys[name] = _deciles_of(result)
        else:
            raise ArgumentError(
                f"by_group: unknown grouping {name!r}; allowed: {_GROUP_COLUMNS}"
            )
    if len(keys) != len(by):
        # The dict of keys would fold a repeated grouping into one column.
        raise ArgumentError(
            f"by_group: each grouping may be given once; got {quoted(by)}"
        )
    frame = pd.DataFrame(keys)
    rows = []
    index = []
    indices = frame.groupby(list(by), sort=True).indices
    for key, sub in zip(indices, subsets(pop, list(indices.values())), strict=True):
        labels = key if isinstance(key, tuple) else (key,)
        group = ", ".join(f"{n}={v}" for n, v in zip(by, labels, strict=True))
        token = GROUP_OF_WARNINGS.set(f"by_group, group {group}: ")
        try:
            r = simulate(
                sub,
                result.scenario,
                band_basis=result.band_basis,
                gini=result.gini_method,
            )
        finally:
            GROUP_OF_WARNINGS.reset(token)
        row = r.indicators.to_dict()
        row["households"] = sub.households_represented
        row["residents"] = sub.residents
        rows.append(row)
        index.append(key)
    names = list(by)
    if len(names) == 1:
        out_index = pd.Index(
            [k[0] if isinstance(k, tuple) else k for k in index], name=names[0]
        )
    else:
        out_index = pd.MultiIndex.from_tuples(index, names=names)
    out = pd.DataFrame(rows, index=out_index)
    # What the band shares and the Gini of each group are on, as a sweep's
    # frame keeps them: 0.76 on the three-person basis stood unlabelled.
    out.attrs["band_basis"] = result.band_basis
    out.attrs["gini_method"] = result.gini_method
    return out


def decompose(
    result: Result,
    measure: str = "theil",
    by: str = "city",
    nonpositive: str = "exclude",
) -> metrics.Decomposition:
    """Between/within decomposition of per-capita disposable income over persons.

    Parameters
    ----------
    result : Result
        The simulation whose per-capita disposable incomes are decomposed.
    measure : {"theil", "mld"}
        Theil's T (GE(1)) or the mean log deviation (GE(0)).
    by : {"city", "urban", "size", "decile"}
        The household attribute that forms the groups (households of no known
        city: the group ``"city unknown (Zhejiang)"``).
    nonpositive : {"exclude", "raise"}
        Persons in households whose disposable income is ``<= 0`` (business
        losses are real data) have no logarithm: ``"exclude"`` leaves them out
        with a ``UserWarning`` giving their number and weight share (as Stata's
        ``ineqdeco`` does), ``"raise"`` raises a ``MeasureError``. See
        :func:`commonprosperity.metrics.decompose`.

    Raises
    ------
    MeasureError
        With ``nonpositive="raise"``, if a household's per-capita disposable
        income is ``<= 0``; with ``"exclude"``, if every household's is (none is
        left); the households are named by id.

    Returns
    -------
    commonprosperity.metrics.Decomposition
        ``total``, ``between``, ``within`` and a per-group frame (with the
        share of each group left out, ``excluded_share``).

    Examples
    --------
    No household of this population has a disposable income ``<= 0``, so none is
    left out (and no warning is given):

    >>> from commonprosperity import Scenario, simulate, synthetic_population, tables
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> d = tables.decompose(r, "theil", by="urban")
    >>> f"total {d.total:.4f} = between {d.between:.4f} + within {d.within:.4f}"
    'total 0.2333 = between 0.0217 + within 0.2116'
    >>> d.groups.index.tolist(), float(d.groups["excluded_share"].max())
    (['rural', 'urban'], 0.0)
    """
    check_result(result, "result", "decompose")
    pop = result.population
    if not one_of(nonpositive, ("exclude", "raise")):
        # Compared with "raise" below: an array gave a bare "truth value ... is
        # ambiguous". A MeasureError, as metrics.decompose's for the same.
        raise MeasureError(
            "decompose: nonpositive must be 'exclude' or 'raise'; got "
            f"{quoted(nonpositive)}"
        )
    if not one_of(by, _GROUP_COLUMNS):
        # `by == "city"` on an array: a bare ValueError.
        raise ArgumentError(
            f"decompose: by must be one of {_GROUP_COLUMNS}; got {quoted(by)}"
        )
    if by == "city":
        group = _city_groups(pop)
    elif by == "urban":
        group = np.where(pop.urban, "urban", "rural")
    elif by == "size":
        group = pop.size
    elif by == "decile":
        group = _deciles_of(result)
    else:
        raise ArgumentError(
            f"decompose: unknown grouping {by!r}; allowed: {_GROUP_COLUMNS}"
        )
    pc = _per_capita(result)
    try:
        return metrics.decompose(
            pc, _person_weight(result), group, measure=measure, nonpositive=nonpositive
        )
    except MeasureError as exc:
        bad = pc <= 0
        # With "exclude", metrics raises only when no positive income is left.
        left = nonpositive == "exclude" and not bad.all()
        if not bad.any() or left or "non-positive" not in str(exc):
            raise
        # metrics named its own argument ("income") and an array position; the
        # caller passed a result: name the households.
        ids = result.population.household_id[bad]
        which = (
            f"{int(bad.sum()):,} household(s) have non-positive income (ids "
            f"{ids[:5].tolist()}{' …' if ids.size > 5 else ''}; e.g. "
            f"{pc[bad][0]:,.2f} yuan per person)"
        )
        advice = (
            "pass nonpositive='exclude' to leave them out"
            if nonpositive == "raise"
            else "every household has, so none is left to decompose"
        )
        raise MeasureError(
            f"decompose: {measure} is defined only for per-capita disposable "
            f"income > 0; {which}; {advice}"
        ) from None


#: Relative distance to a poverty line within which an income counts as on it:
#: far below money's resolution, far above the rounding of disposable / size.
_ON_LINE_RTOL = 1e-9


#: Relative poverty lines, shares of the median, and the rows of :func:`poverty`.
_MEDIAN_SHARES = (0.4, 0.5, 0.6)
_POVERTY_ROWS = ("dibao", *(f"{round(s * 100)}% median" for s in _MEDIAN_SHARES))


def poverty(result: Result, lines: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Headcount and gap at the dibao line, 40/50/60 % of the median, fixed lines.

    Lines are per person per year and compared with per-capita household
    disposable income, person-weighted. The median is the person-weighted median
    of per-capita disposable income (the lower median on ties). Persons are poor
    when their income is strictly below a line; an income within ``1e-9 × line``
    of it (about 1e-5 yuan at the dibao line) counts as on the line, so households
    the dibao tops up exactly to the line are not counted poor through rounding.

    The dibao line is the scenario's own, and the median the result's: a reform
    that raises the dibao raises that line. To compare scenarios at one line,
    give it in ``lines`` (e.g. the status quo's dibao line).

    Parameters
    ----------
    result : Result
        A simulation result.
    lines : mapping of str to float, optional
        More lines, yuan per person per year, by row name, e.g.
        ``{"status quo dibao": 12 * 1_128}``; positive and finite.

    Returns
    -------
    pandas.DataFrame
        Rows ``dibao``, ``40% median``, ``50% median``, ``60% median`` and the
        given ``lines``, in that order; columns
        ``line`` (yuan per person per year), ``headcount`` (share of persons below),
        ``poverty_gap`` (FGT α = 1), ``persons_below`` (represented). A line that
        is not positive, a scenario without dibao (line 0) or a median of 0 or
        less, has NaN in the other three columns: the gap is relative to the
        line, and "below no income" is not poverty.

    Warns
    -----
    UserWarning
        If a fixed line is under a quarter of the scenario's dibao line a year:
        a monthly amount, where lines are yearly?

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate, synthetic_population, tables
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> p = tables.poverty(simulate(pop, base))
    >>> list(p.index), float(p.loc["dibao", "line"])  # 12 x 835 yuan
    (['dibao', '40% median', '50% median', '60% median'], 10020.0)

    A higher dibao raises its own line; compare at the status quo's line:

    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> q = tables.poverty(after, {"status quo dibao": 12 * 835})
    >>> was, now = p.loc["dibao", "headcount"], q.loc["status quo dibao", "headcount"]
    >>> f"below 835 yuan a month: {was:.0%} -> {now:.0%}"
    'below 835 yuan a month: 11% -> 5%'
    """
    check_result(result, "result", "poverty")
    extra = _fixed_lines(lines)
    dibao_line = 12.0 * result.scenario.transfers.dibao_monthly
    monthly = [
        k for k, v in extra.items() if 0.0 < POVERTY_SLIP_FACTOR * v <= dibao_line
    ]
    if monthly:
        # lines={"dibao": 1128}: a headcount of 0.02 % where 3 % was meant.
        warn_user(
            f"poverty: line(s) {monthly} are under a quarter of the scenario's "
            f"dibao line ({dibao_line:,.0f} yuan a year): monthly amounts? Lines "
            "are yuan per person per year"
        )
    pc = _per_capita(result)
    pw = _person_weight(result)
    median = weighted_median(pc, pw)
    at = {"dibao": 12.0 * result.scenario.transfers.dibao_monthly}
    for share, name in zip(_MEDIAN_SHARES, _POVERTY_ROWS[1:], strict=True):
        at[name] = share * median
    at.update(extra)
    rows = {}
    for name, line in at.items():
        if line <= 0:
            rows[name] = {
                "line": line,
                "headcount": np.nan,
                "poverty_gap": np.nan,
                "persons_below": np.nan,
            }
            continue
        # The dibao lifts a household to the line, but disposable / size lands an
        # ulp or two either side of it: such incomes are on the line, not below.
        x = np.where(np.abs(pc - line) <= _ON_LINE_RTOL * line, line, pc)
        rows[name] = {
            "line": line,
            "headcount": metrics.fgt(x, pw, line, 0.0),
            "poverty_gap": metrics.fgt(x, pw, line, 1.0),
            "persons_below": float(pw[x < line].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _fixed_lines(lines: Any) -> dict[str, float]:
    """``lines`` of :func:`poverty` checked: names to positive finite yuan."""
    if lines is None:
        return {}
    if not isinstance(lines, Mapping):
        raise ArgumentError(
            "poverty: lines must be a mapping of row name to yuan per person per "
            f"year, e.g. {{'status quo dibao': 13536}}; got {type(lines).__name__}"
        )
    problems = []
    out = {}
    for name, line in lines.items():
        if not isinstance(name, str) or name in _POVERTY_ROWS:
            problems.append(
                f"lines key {quoted(name)} must be a str other than "
                f"{list(_POVERTY_ROWS)}"
            )
        elif (value := finite_float(line)) is None or not value > 0.0:
            problems.append(
                f"lines[{quoted(name)}] must be a positive finite number of yuan "
                f"per person per year; got {quoted(line)}"
            )
        else:
            out[name] = value
    if problems:
        # A few and a count: 10,000 bad lines made a message of 900 kB.
        raise ArgumentError("poverty: " + joined_problems(problems))
    return out


def __dir__() -> list[str]:
    return public_dir(globals())
