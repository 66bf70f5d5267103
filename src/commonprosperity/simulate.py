"""Run a scenario on a population: one fused Numba pass, then the indicators."""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import re
import threading
from collections.abc import Collection, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from commonprosperity._assumed_growth import assumed_growth_values
from commonprosperity._interrupt import interruptible
from commonprosperity._kernels import flat_flows
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.buckets import exact_gini
from commonprosperity._kernels.histogram import bracket_gini
from commonprosperity._kernels.household_terms import (
    gini_weight_scale,
    household_terms,
    household_tiers,
    scaled_person_weights,
)
from commonprosperity._kernels.threads import max_threads, numba_threads
from commonprosperity._scratch import give_back, take
from commonprosperity._unit_slips import warn_unit_slips
from commonprosperity._validate import is_integer, one_of, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentError, ArgumentTypeError, ScenarioError
from commonprosperity.population import CITY_LABELS, Population
from commonprosperity.published import (
    CITIES,
    POLICY_YEARS,
    minimum_wage_tier,
    weak_minimum_wage_tiers,
)
from commonprosperity.scenario import CENSUS_HOW, Scenario
from commonprosperity.targets import INDICATOR_NAMES, evaluate_targets, unbounded_gaps

if TYPE_CHECKING:
    from commonprosperity.metrics import Decomposition

__all__ = ["BAND_EDGES", "INDICATOR_NAMES", "Result", "simulate"]

#: Household disposable-income bands of the plan, yuan per year, [low, high).
BAND_EDGES = np.array([100_000.0, 500_000.0, 200_000.0, 600_000.0])
# Read-only: every band share of every run reads it.
BAND_EDGES.flags.writeable = False


HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "household_id",
    "size",
    "urban",
    "city",
    "wage",
    "business",
    "property",
    "pension",
    "contributions",
    "iit",
    "business_tax",
    "property_tax",
    "dibao",
    "residents_pension",
    "child_allowance",
    "disposable_income",
)

BAND_BASES = ("household", "three_person")
_BAND_BASIS_NOTES = {
    "household": "band basis: household disposable income",
    "three_person": "band basis: 3 × per-capita disposable income (three-person "
    "household, as the official figures)",
}
GINI_METHODS = ("exact", "bracket")
_NO_POSITIVE_GINI_MEAN = (
    "per-capita disposable income summed over persons in income order is not "
    "positive (or the Gini from it negative): negative incomes cancel the "
    "positive ones to within rounding"
)
_UNBOUNDED_GINI = (
    "negative incomes all but cancel the positive ones: rounding may have moved "
    "the mean by half of itself, so no bound on the Gini holds (docs/precision.md)"
)


def band_basis_note(basis: str) -> str:
    """The note of T2 and T3 (and the band shares) on ``basis``."""
    return _BAND_BASIS_NOTES[basis]


#: T6's note on a population whose urban flag is the survey's (the default
#: baseline): figures that show T6 say so with it.
SURVEY_URBAN_BASIS = (
    "urban basis: the survey-implied urban share of the baseline, several points "
    "below the official urbanisation rate the 75 % target refers to"
)


def weights_set_after_generator(source: str) -> bool:
    """Whether ``calibrate`` or ``with_weights`` set a population's weights.

    The generator's arguments in its ``source`` (``urban_definition``) then no
    longer say what its weights reproduce.
    """
    return re.search(r"\| (?:calibrate|with_weights)\b", source) is not None


def urban_basis_note(source: str) -> str:
    """What the urban flag of a population measures, for target T6's note.

    The plan's 75 % is the official urbanisation rate (常住人口城镇化率); the
    default baseline's urban share is the survey's, several points below it
    (docs/baseline.md), so a "not met" there says nothing about the official rate.
    Weights set by ``calibrate`` or ``with_weights`` after the generator make the
    urban share their own.
    """
    if weights_set_after_generator(source):
        return (
            "urban basis: the population's own urban flag under weights set by "
            "calibrate or with_weights; the 75 % target is the official "
            "urbanisation rate (census definition)"
        )
    # The generator's own argument, at the start: a user's source mentioning it
    # in passing ("unlike baseline(urban_definition='census')") set the note.
    definition = _generator_argument(source, "urban_definition", r"'\w+'")
    if definition == "'survey'":
        return SURVEY_URBAN_BASIS + f"; {CENSUS_HOW} uses the official rate"
    if definition == "'census'":
        return "urban basis: the official urbanisation rate (census definition)"
    return (
        "urban basis: the population's own urban flag; the 75 % target is the "
        "official urbanisation rate (census definition)"
    )


#: T1's note on a baseline drawn on the census urban basis (census_mean_note).
CENSUS_MEAN_NOTE = (
    "urban basis: the official (census) rate, which puts the all-resident "
    "mean about 3–4 % above the published one (baseline's urban_definition)"
)


def census_mean_note(source: str) -> str:
    """T1's note on a baseline drawn on the census urban basis, or "".

    More residents counted urban at urban incomes put the all-resident mean
    about 3–4 % above the published one (``baseline``'s ``urban_definition``);
    only the T6 note and the provenance said the basis, not T1's verdict.
    """
    if weights_set_after_generator(source):
        return ""
    if _generator_argument(source, "urban_definition", r"'\w+'") != "'census'":
        return ""
    return CENSUS_MEAN_NOTE


#: Set while simulate builds a Result (per thread): Result checks it.
_making = threading.local()
#: What a result's warnings are of when it is a part of another (by_group sets
#: "by_group, group city=杭州, urban=True: "): a Gini above 1 of one group read
#: as the population's, whose own Gini may be undefined.
GROUP_OF_WARNINGS: ContextVar[str] = ContextVar("GROUP_OF_WARNINGS", default="")


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of :func:`simulate`: indicators, fiscal totals, households.

    A Result is immutable: every attribute below hands out a copy (pandas objects
    as copy-on-write shallow copies, so nothing is copied until written), and
    changing what it returns changes neither the Result nor the tables and targets
    read from it.

    Attributes
    ----------
    indicators : pandas.Series of float64
        The contract indicators (see ``INDICATOR_NAMES``); yuan, shares or ratios.
    fiscal : pandas.Series of float64
        Weighted revenue and spending totals, yuan per year, and
        ``dibao_households``, the households represented eligible for dibao (a
        count, not yuan). Take-up is an expected value (every eligible household
        receives ``dibao_take_up`` × its gap), so this counts every *eligible*
        household whenever the take-up is positive (0 at a take-up of 0);
        expected recipients are about ``dibao_take_up`` × this count.
        ``social_insurance_contributions`` (all employee contributions, as
        disposable income deducts them) is
        ``social_insurance_fund_revenue`` (pension, medical, unemployment) plus
        ``housing_fund`` (the employees' own savings, outside the government
        budgets); ``net_revenue`` is income tax plus the social insurance fund
        revenue minus the modelled transfers.
    city_per_capita : pandas.Series of float64
        Per-capita disposable income by city present in the population, yuan.
    band_basis, gini_method : str
        How the bands and the Gini were computed.
    provenance : dict
        Library version, scenario, population source and year, ``seed`` (the seed
        of the generator that made the population, ``synthetic_population`` or
        ``baseline``, read from the start of its ``source``, which its copies,
        files, reweightings and projections keep; None for other data), data
        version, the
        C/R-graded published values the scenario used, and
        ``households_with_negative_disposable_income``: the number of household
        *records* (unweighted: sample households, not the households they
        represent) whose disposable income is below zero.
    undefined : dict of str to str
        Why each NaN indicator is undefined.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=1)
    >>> r = cp.simulate(pop, cp.Scenario.status_quo(2021))
    >>> f"Gini {r.indicators['gini']:.3f}", r.band_basis, r.gini_method
    ('Gini 0.375', 'household', 'exact')
    >>> r.provenance["policy_year"], r.undefined
    (2021, {})

    ``households`` holds each household's flows, unweighted; weighted by
    :attr:`weight`, they add up to the fiscal totals:

    >>> hh = r.households
    >>> list(hh.columns[-4:])
    ['dibao', 'residents_pension', 'child_allowance', 'disposable_income']
    >>> total = float((hh["dibao"] * r.weight).sum())
    >>> round(total / float(r.fiscal["dibao"]), 9)
    1.0
    """

    population: Population
    scenario: Scenario
    _indicators: pd.Series = field(repr=False)
    _fiscal: pd.Series = field(repr=False)
    _city_per_capita: pd.Series = field(repr=False)
    band_basis: str
    gini_method: str
    _provenance: dict[str, Any] = field(repr=False)
    _undefined: dict[str, str] = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Every field is simulate's, computed together: dataclasses.replace(r,
        # scenario=...) kept the indicators, fiscal totals and cached
        # households of the old scenario beside the new one (poverty() read
        # the new dibao line, fiscal the old spending).
        if not getattr(_making, "result", False):
            raise ArgumentError(
                "Result: made by simulate only, its fields computed together; for "
                "another scenario, population or band basis call "
                "simulate(population, scenario, ...) (dataclasses.replace of a "
                "Result would mix two runs)"
            )
        for name in ("_indicators", "_fiscal", "_city_per_capita"):
            _sealed_frame(getattr(self, name))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled, the pandas objects may be views of the transport's buffers
        # (pickle protocol 5 out of band, as Dask and Ray move objects): zeroing
        # those zeroed T1 and blanked the fiscal labels. Own copies, sealed.
        state = dict(state)
        for name in ("_indicators", "_fiscal", "_city_per_capita"):
            state[name] = _sealed_frame(owned_copy(state[name]))
        state["_cache"] = {
            k: _sealed_frame(owned_copy(v))
            if isinstance(v, pd.DataFrame | pd.Series)
            else v
            for k, v in state.get("_cache", {}).items()
        }
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        ind = self._indicators
        return (
            f"Result(year={self.scenario.year}, per_capita_disposable_income="
            f"{ind['per_capita_disposable_income']:,.0f}, gini={ind['gini']:.4f}, "
            f"band_basis={self.band_basis!r}, gini_method={self.gini_method!r})"
        )

    # The stored objects are mutable pandas/dict objects: hand out copies, so that
    # ``r.indicators /= 1e4`` or ``r.households.loc[:, "dibao"] = 0`` on what a user
    # got back cannot change the result, its targets or its tables.
    @property
    def indicators(self) -> pd.Series:
        """The contract indicators (a copy; see ``INDICATOR_NAMES``)."""
        return _handout(self._indicators)

    @property
    def fiscal(self) -> pd.Series:
        """Weighted revenue and spending totals, yuan per year (a copy).

        ``dibao_households`` is a count: the households represented that are
        eligible for dibao (with the expected-value take-up, those that receive
        ``dibao_take_up`` × their gap; expected recipients are about the take-up
        times this count), 0 at a take-up of 0.
        """
        return _handout(self._fiscal)

    @property
    def city_per_capita(self) -> pd.Series:
        """Per-capita disposable income by city present, yuan per year (a copy)."""
        return _handout(self._city_per_capita)

    @property
    def provenance(self) -> dict[str, Any]:
        """Library and data versions, scenario and population source (a copy)."""
        return copy.deepcopy(self._provenance)

    @property
    def undefined(self) -> dict[str, str]:
        """Why each NaN indicator is undefined (a copy)."""
        return dict(self._undefined)

    @property
    def households(self) -> pd.DataFrame:
        """One row per household in input order (built on first access).

        Columns: ``household_id``, ``size`` (persons), ``urban``, ``city``; then,
        in yuan per year for the whole household (unweighted: multiply by
        :attr:`weight` for totals), its market incomes ``wage`` (after growth
        and the minimum wage), ``business``, ``property``, ``pension``; what it
        pays: ``contributions`` (employees' social insurance and housing fund),
        ``iit`` (individual income tax on wages, the comprehensive-income
        schedule), ``business_tax`` (the same tax on business income),
        ``property_tax`` (the same tax on property income); what it receives:
        ``dibao``, ``residents_pension``, ``child_allowance``; and
        ``disposable_income``. The individual income tax in all is ``iit +
        business_tax + property_tax`` (``fiscal["iit_revenue"]``, whose parts are
        ``iit_comprehensive``, ``iit_business``, ``iit_property``).
        """
        if "households" not in self._cache:
            pop = self.population
            d = K.detail_pass(
                pop.offsets,
                pop.household_id,
                _tiers(pop),
                *person_arrays(pop),
                *self.scenario.as_arrays().kernel_args(),
            )
            frame = pd.DataFrame(
                {
                    "household_id": pop.household_id.copy(),
                    "size": pop.size.copy(),
                    "urban": pop.urban.copy(),
                    # From the codes: inferring them from 1e6 labels took 0.4 s.
                    "city": pd.Categorical.from_codes(
                        pop.city_code, categories=list(CITY_LABELS)
                    ),
                }
            )
            names = HOUSEHOLD_COLUMNS[4:]
            for k, name in enumerate(names):
                frame[name] = d[:, K.D_WAGE + k]
            self._cache["households"] = _sealed_frame(frame)
        return _handout(self._cache["households"])

    @property
    def weight(self) -> np.ndarray:
        """Household weights of the population (households represented)."""
        return self.population.weight

    def deciles(self) -> pd.DataFrame:
        """Per-capita flows by decile of per-capita disposable income.

        Deciles are tenths of *persons*, households ranked by per-capita
        disposable income and each kept whole in the decile holding the middle
        of its persons; the quintiles of T9 and ``simulate_path`` are fifths of
        *households* (the statistical bureau's 五等份), so a top/bottom ratio
        read from these deciles differs from T9's. Because records are kept
        whole, the deciles depend on how the data cut households into records
        (two half-weight copies may fall in neighbouring deciles).

        Returns
        -------
        pandas.DataFrame
            Indexed 1–10: population shares, households represented, the
            deciles' income range and per-capita flows (yuan per person per
            year). See :func:`commonprosperity.tables.deciles`.
        """
        from commonprosperity import tables

        return tables.deciles(self)

    def winners_losers(self, other: Result, threshold: float = 0.01) -> pd.DataFrame:
        """Shares gaining and losing more than ``threshold`` going to ``other``.

        Parameters
        ----------
        other : Result
            The same population under another scenario.
        threshold : float, default 0.01
            Relative change in per-capita disposable income that counts as a gain
            or a loss (0.01: more than 1 %).

        Returns
        -------
        pandas.DataFrame
            Rows ``all``, deciles, ``urban``, ``rural`` and cities (in English,
            ``"city Hangzhou"``, unlike :meth:`by_group`'s Chinese names);
            person-weighted ``gain_share``, ``lose_share``, ``no_change_share`` and
            ``mean_change`` (yuan per person per year). See
            :func:`commonprosperity.tables.winners_losers`.
        """
        from commonprosperity import tables

        return tables.winners_losers(self, other, threshold)

    def by_group(self, *by: str) -> pd.DataFrame:
        """Every indicator per group: ``"city"``, ``"urban"``, ``"size"``, ``"decile"``.

        Parameters
        ----------
        *by : str
            One or more of ``"city"``, ``"urban"``, ``"size"``, ``"decile"``.

        Returns
        -------
        pandas.DataFrame
            One row per non-empty group, one column per indicator, plus
            ``households`` and ``residents`` represented. See
            :func:`commonprosperity.tables.by_group`.
        """
        from commonprosperity import tables

        return tables.by_group(self, *by)

    def decompose(
        self, measure: str = "theil", by: str = "city", nonpositive: str = "exclude"
    ) -> Decomposition:
        """Between/within decomposition of per-capita income (Theil or MLD).

        Persons in households with disposable income ``<= 0`` are left out with
        a warning (``nonpositive="raise"`` raises instead).

        Parameters
        ----------
        measure : {"theil", "mld"}
            The index decomposed.
        by : str, default "city"
            The grouping: ``"city"``, ``"urban"``, ``"size"`` or ``"decile"``.
        nonpositive : {"exclude", "raise"}
            What to do with persons in households of disposable income ``<= 0``.

        Returns
        -------
        commonprosperity.metrics.Decomposition
            ``total``, ``between``, ``within`` and a per-group frame. See
            :func:`commonprosperity.tables.decompose`.
        """
        from commonprosperity import tables

        return tables.decompose(self, measure, by, nonpositive)

    def poverty(self, lines: Mapping[str, float] | None = None) -> pd.DataFrame:
        """Headcount and gap at the dibao line, 40/50/60 % of the median, ``lines``.

        Parameters
        ----------
        lines : mapping of str to float, optional
            More lines, yuan per person per year, by row name (a fixed line to
            compare scenarios at).

        Returns
        -------
        pandas.DataFrame
            One row per line: ``line`` (yuan per person per year), ``headcount``,
            ``poverty_gap`` and ``persons_below``. See
            :func:`commonprosperity.tables.poverty`. Person-weighted FGT 0 and 1
            on per-capita disposable income, poor meaning strictly below the
            line; negative incomes are not floored at 0, so the gap can exceed 1
            where many persons have them. With a median at or below 0 the lines
            at 40/50/60 % of it are not poverty lines, nor is a dibao line of 0
            (a scenario without dibao): their headcount, gap and
            ``persons_below`` are NaN.
        """
        from commonprosperity import tables

        return tables.poverty(self, lines)

    def targets(
        self, gdp: float | None = None, labour_compensation: float | None = None
    ) -> pd.DataFrame:
        """The plan's targets T1–T10 against this result.

        Parameters
        ----------
        gdp : float, optional
            GDP of the year, yuan; with ``labour_compensation`` it gives T7.
        labour_compensation : float, optional
            Labour remuneration of the year (national accounts), yuan.

        Returns
        -------
        pandas.DataFrame
            See :func:`commonprosperity.targets.evaluate_targets`. T8–T10 are trend
            targets: NA with a note outside a multi-year path. The notes of T2 and
            T3 name the band basis (official figures use the three-person one);
            that of T5 names the cities missing from the population, if any, and
            the share of residents without a city (in none of the cities
            compared).
            When the population's year is not the policy year, the notes of
            T1–T6 say so (its incomes are of its own year: see
            :func:`~commonprosperity.project`).
        """
        try:
            frame = evaluate_targets(
                self._indicators,
                residents=self.population.residents,
                gdp=gdp,
                labour_compensation=labour_compensation,
                undefined=self._undefined,
                verdicts=target_verdicts(self),
            )
        except ScenarioError as exc:
            # Named by the call the user made, not by the function it runs.
            text = str(exc).removeprefix("evaluate_targets: ")
            raise ScenarioError(f"Result.targets: {text}") from None

        def add_note(targets: tuple[str, ...], text: str) -> None:
            for tid in targets:
                note = frame.at[tid, "note"]
                frame.at[tid, "note"] = f"{note}; {text}" if note else text

        add_note(("T2", "T3"), band_basis_note(self.band_basis))
        add_note(("T6",), urban_basis_note(self.population.source))
        if census := census_mean_note(self.population.source):
            add_note(("T1",), census)
        cities = cities_note(set(self.city_per_capita.index))
        # Judged (a value, or an unbounded gap): over which cities it was.
        judged = not pd.isna(frame.at["T5", "met"])
        if cities and judged:
            add_note(("T5",), cities)
        # Households without a city (the province label) are in no city's mean.
        no_city = self.population.city_code == len(CITY_LABELS) - 1
        if no_city.any() and judged:
            person_weight = _person_weight(self.population)
            share = person_weight[no_city].sum() / person_weight.sum()
            add_note(
                ("T5",),
                f"{share:.1%} of residents have no city ({CITY_LABELS[-1]}) "
                "and are in none of the cities compared",
            )
        years = other_year_note(self.population.year, self.scenario.year)
        if years:
            add_note(("T1", "T2", "T3", "T4", "T5", "T6"), years)
        return frame


#: pandas 3 copies on write, so a shallow copy is free and a user's edits stay in
#: it; before, a shallow copy shares its data and only a deep one is safe.
_SHALLOW_COPY_IS_SAFE = int(pd.__version__.split(".")[0]) >= 3


#: The first income year ``project`` starts from (``projection.FIRST_YEAR``;
#: that module imports this one).
PROJECTABLE_FROM = 2020


def other_year_note(data_year: int | None, year: int) -> str:
    """Why T1–T6 of a population of another year than its policy mislead, or "".

    2020 incomes judged against the 2025 targets read "not met" for want of five
    years of growth, not of policy. ``project`` runs forward only: for a later
    population, the policy of its own year is the comparison it allows.
    """
    if data_year is None or data_year == year:
        return ""
    if PROJECTABLE_FROM <= data_year < year:
        advice = f"; commonprosperity.project(population, {year}) gives {year} incomes"
    elif data_year < year:
        # project starts from the published figures' first year.
        advice = (
            f" (incomes taken as they are: commonprosperity.project starts from "
            f"{PROJECTABLE_FROM} or later)"
        )
    elif data_year in POLICY_YEARS:
        advice = f"; Scenario.status_quo({data_year}) is its year's policy"
    else:
        advice = " (a population is projected forward only)"
    return f"incomes of the {data_year} population under {year} policy" + advice


def check_band_basis(band_basis: Any, where: str = "") -> None:
    """Raise an ArgumentError naming ``band_basis`` unless it is one of BAND_BASES.

    ``where`` prefixes the message (``"simulate_path: "``).
    """
    if not one_of(band_basis, BAND_BASES):
        raise ArgumentError(
            f"{where}band_basis must be one of {BAND_BASES}; got {quoted(band_basis)}"
        )


def cities_note(present: Collection[str]) -> str:
    """T5's caveat when some of the 11 cities have no households, else "".

    ``present``: the labels of the areas that have households (other labels than
    the 11 cities' are ignored). The plan's ratio is over all 11 prefecture
    cities; two alone gave a verdict with nothing said (``Result.targets``, the
    run and sweep summaries).
    """
    missing = [c for c in CITIES if c not in present]
    if not missing:
        return ""
    return (
        f"over {len(CITIES) - len(missing)} of the 11 cities (no households in "
        f"{', '.join(missing)})"
    )


def population_cities_note(pop: Population, *, judged_only: bool = False) -> str:
    """T5's caveat (:func:`cities_note`) for a population lacking cities, else "".

    ``judged_only``: "" also when fewer than two cities have households (T5 is
    then undefined, and says so itself).
    """
    # A count per code, not np.unique's sort: sweeps call this on every run.
    present = np.flatnonzero(np.bincount(pop.city_code, minlength=len(CITY_LABELS)))
    labels = {CITY_LABELS[c] for c in present}
    if judged_only and len(labels & set(CITIES)) < 2:
        return ""
    return cities_note(labels)


def cities_in_note(note: str) -> int:
    """The cities a T5 note of :func:`cities_note` says the ratio is over (11 if none).

    For a target table read back from targets.csv, whose note is all it keeps.
    """
    found = re.search(r"over (\d+) of the 11 cities", note)
    return int(found.group(1)) if found else len(CITIES)


def _handout(obj: Any) -> Any:
    """A copy of a stored pandas object that the caller may change freely."""
    return obj.copy(deep=not _SHALLOW_COPY_IS_SAFE)


def owned_copy(obj: Any) -> Any:
    """A copy of a pandas object in memory of its own, labels included.

    ``copy(deep=True)`` kept the buffers of string labels (the fiscal index) and
    of text columns (a calibration's margins), which are immutable and shared.
    """
    out = obj.copy(deep=True)
    out.index = _fresh_labels(obj.index)
    if isinstance(obj, pd.DataFrame):
        out.columns = _fresh_labels(obj.columns)
        for c in obj.columns:
            values = obj[c].array
            if isinstance(values, pd.Categorical):
                out[c] = pd.Categorical.from_codes(
                    values.codes.copy(), categories=values.categories.tolist()
                )
            elif pd.api.types.is_string_dtype(values.dtype):
                out[c] = pd.array(values.tolist(), dtype=values.dtype)
    return out


def _fresh_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.RangeIndex):
        return index
    return pd.Index(index.tolist(), dtype=index.dtype, name=index.name)


def _sealed_frame(obj: Any) -> Any:
    """``obj`` (a Series or DataFrame a Result stores) with read-only memory.

    The shallow copies :func:`_handout` gives share it, and the read-only NumPy
    views pandas hands out of them could be made writeable again while the
    memory itself was writeable (``a.flags.writeable = True; a[:] = 0`` zeroed
    the Result's T1). With the memory's own array read-only, no view of it can
    be made writeable; the views that exist (the frame's blocks) are sealed too.
    """
    columns = [obj] if isinstance(obj, pd.Series) else [obj[c] for c in obj.columns]
    arrays = []
    for column in columns:
        values = column.array
        if isinstance(values, pd.Categorical):
            arrays.append(values.codes)
        else:
            arrays.append(column.to_numpy(copy=False))
            arrays.append(getattr(values, "_ndarray", None))
    # The frame's own blocks too: views of the memory taken before it was sealed
    # stay writeable, and pandas hands out views of them (``np.asarray(
    # households[c].array)`` halved the Result's incomes).
    manager = getattr(obj, "_mgr", None)
    arrays += [getattr(b, "values", None) for b in getattr(manager, "blocks", ())]
    for a in arrays:
        # Every view up to the memory's owner: a view keeps its own flag.
        while isinstance(a, np.ndarray):
            a.flags.writeable = False
            a = a.base
    return obj


def _household_terms(pop: Population) -> dict[str, Any]:
    """The households' occupied cells and Gini exponent, once per population.

    Keys ``cells`` and ``gini_exponent`` (:func:`household_terms`), kept in the
    population's cache: every run reads them and the population is immutable.
    """
    if "gini_exponent" not in pop._cache:
        cells, exponent = household_terms(
            pop.city_code, pop.urban, pop.weight, pop.offsets, len(CITY_LABELS)
        )
        pop._cache.update(
            cells=[(CITY_LABELS[c // 2], bool(c % 2)) for c in cells],
            gini_exponent=int(exponent),
        )
    return pop._cache


@functools.lru_cache(maxsize=1)
def _tier_table() -> np.ndarray:
    """Minimum-wage tier index (0, 1, 2) of (city, rural 0 / urban 1)."""
    table = np.empty((len(CITY_LABELS), 2), dtype=np.int8)
    for c, label in enumerate(CITY_LABELS):
        for u in (0, 1):
            table[c, u] = minimum_wage_tier(label, bool(u)) - 1
    table.flags.writeable = False
    return table


def _tiers(pop: Population) -> np.ndarray:
    """Minimum-wage tier index (0, 1, 2) of each household (int8: a byte each)."""
    if "tier" not in pop._cache:
        # A population's arrays are read-only (Population.__post_init__), as
        # the kernels take them.
        tier = household_tiers(pop.city_code, pop.urban, _tier_table())
        tier.flags.writeable = False
        pop._cache["tier"] = tier
    return cast("np.ndarray", pop._cache["tier"])


def _cells(pop: Population) -> list[tuple[str, bool]]:
    """The (city, urban) pairs the population has households in."""
    return cast("list[tuple[str, bool]]", _household_terms(pop)["cells"])


def target_verdicts(result: Result) -> dict[str, tuple[bool, str]]:
    """Targets of ``result`` judged without a value: an unbounded T5 gap.

    (:func:`~commonprosperity.targets.unbounded_gaps`; ``evaluate_targets``
    judges T4's from the indicators itself.)
    """
    found = unbounded_gaps(result._indicators, result.city_per_capita.to_numpy())
    return {k: v for k, v in found.items() if k == "T5"}


def population_weak_values(pop: Population) -> list[dict[str, Any]]:
    """The C/R values a population brings to every run on it.

    The minimum-wage tiers of its areas that are this library's rule (R), and
    the income growth ``project`` assumed past the last published year (R).
    """
    return weak_minimum_wage_tiers(_cells(pop)) + assumed_growth_values(pop.source)


def person_arrays(
    pop: Population,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The person arrays in the order the rules kernel takes them."""
    return (pop.age, pop.employed, pop.wage, pop.business, pop.property, pop.pension)


def _person_weight(pop: Population) -> np.ndarray:
    """Persons represented by each household (weight × size), for the tables."""
    if "person_weight" not in pop._cache:
        pw = pop.weight * pop.size
        pw.flags.writeable = False
        pop._cache["person_weight"] = pw
    return cast("np.ndarray", pop._cache["person_weight"])


def _gini_weight(pop: Population) -> np.ndarray:
    """Person weights scaled by an exact power of two so the largest is in [0.5, 1).

    The Gini is scale-invariant in the weights; the scaling keeps Σw·Σwx away from
    underflow and overflow for any valid weights (1e-300 … 1e12) without rounding.
    """
    if "gini_weight" not in pop._cache:
        gini_weight = scaled_person_weights(
            pop.weight, pop.offsets, _gini_weight_exponent(pop)
        )
        gini_weight.flags.writeable = False
        pop._cache["gini_weight"] = gini_weight
    return cast("np.ndarray", pop._cache["gini_weight"])


def _gini_weight_exponent(pop: Population) -> int:
    """The power of two :func:`_gini_weight` divides the person weights by."""
    return cast("int", _household_terms(pop)["gini_exponent"])


@functools.lru_cache(maxsize=1)
def _data_version() -> str:
    digest = hashlib.sha256()
    folder = resources.files("commonprosperity") / "data"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml") or item.name.endswith(".csv"):
            digest.update(item.name.encode())
            digest.update(item.read_bytes())
    return digest.hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def _version() -> str:
    try:
        return metadata.version("commonprosperity")
    except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "unknown"


def _generator_argument(source: str, name: str, value: str) -> str | None:
    """An argument (matching ``value``) of the generator call a source starts with.

    ``synthetic_population`` and ``baseline`` begin their populations' sources
    with their call (``baseline(year=2024, ..., seed=0, urban_definition=...)``);
    a subset's source is "subset of " its population's.
    """
    found = re.match(
        rf"(?:subset of )*(?:synthetic_population|baseline)\([^)]*\b{name}=({value})",
        source,
    )
    return found.group(1) if found else None


def _generator_seed(source: str) -> int | None:
    """The seed in a population's source, as the two generators write it."""
    seed = _generator_argument(source, "seed", r"\d+")
    # A file's source may carry a seed of more digits than int() reads.
    return None if seed is None or len(seed) > 4_000 else int(seed)


@interruptible
def simulate(
    population: Population,
    scenario: Scenario,
    *,
    band_basis: str = "household",
    gini: str = "exact",
    threads: int | None = None,
) -> Result:
    """Turn gross market incomes into disposable income under a scenario.

    Parameters
    ----------
    population : Population
        Weighted households and persons, gross incomes in yuan per year.
    scenario : Scenario
        The policy of one year.
    band_basis : {"household", "three_person"}
        ``"household"`` classifies a household in the plan's income bands by its
        annual disposable income (the plan's words, 家庭年可支配收入);
        ``"three_person"`` by 3 × its per-capita disposable income (the NBS
        middle-income convention of a typical three-person household).
    gini : {"exact", "bracket"}, default "exact"
        ``"exact"``: the exact weighted Gini of per-capita household disposable
        income over persons (one sort). ``"bracket"``: a Gini with a rigorous
        bracket, adding the indicators ``gini_lower`` and ``gini_upper`` (width
        typically below 1e-8): from 32,768 households a float-bits histogram, no
        sort, so faster on large populations; fewer households (or a histogram
        bracket too wide), the exact Gini with its rounding allowance
        (:func:`commonprosperity.metrics.gini`).
    threads : int, optional
        Numba threads for this call (restored afterwards); results do not depend
        on it.

    Returns
    -------
    Result

    Raises
    ------
    ArgumentTypeError
        If ``population`` is not a Population or ``scenario`` not a Scenario.
    ArgumentError
        For a ``band_basis``, ``gini`` or ``threads`` not among those allowed.

    Warns
    -----
    UserWarning
        If the Gini coefficient is above 1, which negative disposable incomes
        (losses from business) can make it; it is still the definition's value.
        If an amount of the scenario looks typed in the wrong unit: a
        ``_monthly`` field at 10 times its status quo or more (a yearly amount?),
        a yearly deduction or threshold at a tenth of it or less (monthly?; a
        schedule of another length when its top and each threshold at a place
        both schedules have are at a fifth or less).

    Notes
    -----
    The default band basis is ``"household"`` because the plan's target text reads
    "家庭年可支配收入10—50万元的群体比例": the annual disposable income of the
    household. Official statistics apply the bands to a typical three-person
    household, which ``"three_person"`` reproduces; the two differ most for small
    and large households.

    Examples
    --------
    >>> from commonprosperity import Scenario, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=3)
    >>> r = simulate(pop, Scenario.status_quo(2021))
    >>> bool(0 < r.indicators["gini"] < 1)
    True
    """
    if not isinstance(population, Population):
        raise ArgumentTypeError(
            f"population must be a Population; got {type(population).__name__}"
        )
    if not isinstance(scenario, Scenario):
        raise ArgumentTypeError(
            f"scenario must be a Scenario; got {type(scenario).__name__}"
        )
    check_band_basis(band_basis)
    if not one_of(gini, GINI_METHODS):
        raise ArgumentError(f"gini must be one of {GINI_METHODS}; got {quoted(gini)}")
    if threads is not None and (
        not is_integer(threads) or not 1 <= threads <= max_threads()
    ):
        raise ArgumentError(
            f"threads must be an integer in 1–{max_threads()} "
            "(Numba's thread pool; set NUMBA_NUM_THREADS before import for more); "
            f"got {quoted(threads)}"
        )

    scenario.check_unchanged("simulate")
    warn_unit_slips([scenario], "simulate")
    pop = population
    a = scenario.as_arrays()
    # Work arrays of a row per household, a spare pair of an earlier call on
    # this population if there is one (every row is written before it is read).
    per_capita = take(pop, pop.n_households)
    gini_weight = take(pop, pop.n_households)
    kernel_args = a.kernel_args()
    args = (
        *person_arrays(pop),
        *kernel_args,
        BAND_EDGES,
        band_basis == "three_person",
        per_capita,
    )
    households = (pop.offsets, pop.household_id, pop.weight, pop.urban, pop.city_code)
    with numba_threads(threads):
        if flat_flows.applies(kernel_args[0], kernel_args[2], kernel_args[5]):
            # The person-vectorised pass (the same totals), which looks the
            # tiers up in their table and writes the Gini's weights: no pass
            # of their own on a fresh population.
            scale = gini_weight_scale(_gini_weight_exponent(pop))
            totals = flat_flows.aggregate_pass(
                *households,
                len(CITY_LABELS),
                _tier_table().ravel(),
                *args,
                gini_weight,
                scale,
            )
            weights = gini_weight
        else:
            totals = K.aggregate_pass(*households, len(CITY_LABELS), _tiers(pop), *args)
            weights = _gini_weight(pop)
    indicators, city_pc, undefined = _indicators(totals)
    mean = indicators["per_capita_disposable_income"]
    names = INDICATOR_NAMES
    if gini == "bracket":
        names = (*INDICATOR_NAMES, "gini_lower", "gini_upper")
    if mean > 0:
        with numba_threads(threads):
            if gini == "exact":
                indicators["gini"] = exact_gini(per_capita, weights)
            else:
                est, lower, upper = bracket_gini(per_capita, weights)
                indicators.update(gini=est, gini_lower=lower, gini_upper=upper)
                if not (math.isfinite(lower) and math.isfinite(upper)):
                    for name in ("gini_lower", "gini_upper"):
                        indicators[name] = np.nan
                        undefined[name] = _UNBOUNDED_GINI
        for name in ("gini", "gini_lower", "gini_upper"):
            if name in names and np.isnan(indicators[name]) and name not in undefined:
                # The Gini's own sum of incomes over persons, in another order
                # than the totals', came out <= 0: as good as 0.
                undefined[name] = _NO_POSITIVE_GINI_MEAN
    else:
        for name in ("gini", "gini_lower", "gini_upper"):
            indicators[name] = np.nan
            if name in names:
                # Every NaN indicator has its reason, the bracket's bounds too.
                undefined[name] = "per-capita disposable income is not positive"
    give_back(pop, per_capita)
    give_back(pop, gini_weight)
    fiscal = _fiscal(totals, scenario)
    negative = int(totals[K.S_NEGATIVE_HOUSEHOLDS])
    if indicators["gini"] > 1.0:
        # A few negative incomes leave the Gini below 1 (the default populations
        # have some) and are only counted in provenance; above 1 the figure has
        # lost its reading as a share of the maximal inequality.
        warn_user(
            f"{GROUP_OF_WARNINGS.get()}the Gini coefficient of per-capita "
            f"disposable income is "
            f"{indicators['gini']:.6g}, above 1, because {negative} household "
            "record(s) have negative disposable income; it is computed from its "
            "definition but no longer reads as a share of maximal inequality"
        )
    provenance = {
        "library_version": _version(),
        "data_version": _data_version(),
        "scenario": scenario.to_dict(),
        "population_source": pop.source,
        "seed": _generator_seed(pop.source),
        "population_year": pop.year,
        "policy_year": scenario.year,
        "weak_values": [
            {"key": v.key, "value": v.value, "grade": v.grade, "source": v.source}
            for v in scenario.weak_values()
        ]
        # The minimum wage reaches households through their area's tier, some
        # of which are this library's assumption (R): listed with the values.
        + population_weak_values(pop),
        "households_with_negative_disposable_income": negative,
    }
    series = _float_series({k: indicators[k] for k in names})
    _making.result = True
    try:
        return Result(
            population=pop,
            scenario=scenario,
            _indicators=series,
            _fiscal=fiscal,
            _city_per_capita=city_pc,
            band_basis=band_basis,
            gini_method=gini,
            _provenance=provenance,
            _undefined=undefined,
        )
    finally:
        _making.result = False


def _ratio(num: float, den: float) -> float:
    return num / den if den != 0 else np.nan


def _quiet_ratio(num: float, den: float) -> float:
    """``num / den`` as a float, ``inf`` on overflow without a RuntimeWarning."""
    with np.errstate(over="ignore"):
        return float(np.float64(num) / np.float64(den))


@functools.lru_cache(maxsize=64)
def _labels(keys: tuple[str, ...]) -> pd.Index:
    return pd.Index(keys)


def _float_series(values: Mapping[str, Any], name: str | None = None) -> pd.Series:
    """``pd.Series(values, dtype=float64)`` on a cached index of its keys.

    Inferring the string index of a dict took 0.27 ms a Series, most of a
    simulate's own time on a small population (three Series a call). The index is
    a copy, so that renaming one Series' index leaves the others'.
    """
    data = np.fromiter(values.values(), dtype=np.float64, count=len(values))
    return pd.Series(data, index=_labels(tuple(values)).copy(), name=name)


def _indicators(t: np.ndarray) -> tuple[dict[str, float], pd.Series, dict[str, str]]:
    """Indicators, the cities' per-capita income and the undefined ones' reasons."""
    out, cities, undefined = _indicator_values(t)
    city_series = _float_series(cities, name="per_capita_disposable_income")
    return out, city_series, undefined


def _indicator_values(
    t: np.ndarray,
) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """:func:`_indicators` with the cities' incomes as a dict.

    No pandas: sweeps call this once a scenario, and building a Series took most
    of its 0.35 ms.
    """
    undefined: dict[str, str] = {}
    out: dict[str, float] = {}
    out["per_capita_disposable_income"] = _ratio(t[K.S_DISPOSABLE], t[K.S_PERSONS])
    urban = _ratio(t[K.S_URBAN_DISPOSABLE], t[K.S_URBAN_PERSONS])
    rural = _ratio(t[K.S_RURAL_DISPOSABLE], t[K.S_RURAL_PERSONS])
    if t[K.S_URBAN_PERSONS] == 0:
        undefined["urban_per_capita_disposable_income"] = "no urban households"
    if t[K.S_RURAL_PERSONS] == 0:
        undefined["rural_per_capita_disposable_income"] = "no rural households"
    out["urban_per_capita_disposable_income"] = urban
    out["rural_per_capita_disposable_income"] = rural
    if np.isnan(urban) or np.isnan(rural):
        out["urban_rural_ratio"] = np.nan
        undefined["urban_rural_ratio"] = "needs both urban and rural households"
    elif rural <= 0:
        out["urban_rural_ratio"] = np.nan
        undefined["urban_rural_ratio"] = "rural per-capita income is not positive"
    elif urban <= 0:
        # A ratio <= 0 is no income gap (T4 read -4.9 as "met"); as for the
        # cities' ratio, both incomes must be positive.
        out["urban_rural_ratio"] = np.nan
        undefined["urban_rural_ratio"] = "urban per-capita income is not positive"
    elif not np.isfinite(_quiet_ratio(urban, rural)):
        out["urban_rural_ratio"] = np.nan
        undefined["urban_rural_ratio"] = (
            "rural per-capita income is too close to 0 for a finite ratio"
        )
    else:
        out["urban_rural_ratio"] = _quiet_ratio(urban, rural)
    city_pc = {}
    for c, label in enumerate(CITIES):
        persons = t[K.N_STATS + 2 * c + 1]
        if persons > 0:
            city_pc[label] = t[K.N_STATS + 2 * c] / persons
    values = list(city_pc.values())
    if len(values) < 2:
        out["city_max_min_ratio"] = np.nan
        undefined["city_max_min_ratio"] = (
            f"needs households in at least two of the 11 cities; found {len(values)}"
        )
    elif min(values) <= 0:
        out["city_max_min_ratio"] = np.nan
        undefined["city_max_min_ratio"] = "a city's per-capita income is not positive"
    elif not np.isfinite(_quiet_ratio(max(values), min(values))):
        out["city_max_min_ratio"] = np.nan
        undefined["city_max_min_ratio"] = (
            "the lowest city per-capita income is too close to 0 for a finite ratio"
        )
    else:
        out["city_max_min_ratio"] = _quiet_ratio(max(values), min(values))
    out["band_share_100k_500k"] = t[K.S_BAND_1] / t[K.S_HOUSEHOLDS]
    out["band_share_200k_600k"] = t[K.S_BAND_2] / t[K.S_HOUSEHOLDS]
    out["urbanization_rate"] = t[K.S_URBAN_PERSONS] / t[K.S_PERSONS]
    out["iit_revenue"] = t[K.S_IIT] + t[K.S_BUSINESS_TAX] + t[K.S_PROPERTY_TAX]
    out["social_insurance_contributions"] = t[K.S_CONTRIBUTIONS]
    out["transfer_spending"] = (
        t[K.S_DIBAO] + t[K.S_RESIDENTS_PENSION] + t[K.S_CHILD_ALLOWANCE]
    )
    return out, city_pc, undefined


def housing_fund_part(contributions: Any, scenario: Scenario) -> Any:
    """The housing provident fund's part of employee contributions, yuan.

    Every contribution rate applies to the same wage base, clipped to the floor
    and the ceiling (``rules.person_contribution``), so the part is the housing
    fund's share of the combined rate. The fund is the employees' own savings in
    accounts outside the government budgets, so it is no fiscal revenue.
    """
    si = scenario.social_insurance
    rate = si.contribution_rate
    return contributions * (si.housing_fund_rate / rate if rate > 0 else 0.0)


def social_insurance_fund_revenue(contributions: Any, scenario: Scenario) -> Any:
    """Employee contributions less the housing fund's part: fiscal revenue, yuan."""
    return contributions - housing_fund_part(contributions, scenario)


def _fiscal(t: np.ndarray, scenario: Scenario) -> pd.Series:
    iit = t[K.S_IIT] + t[K.S_BUSINESS_TAX] + t[K.S_PROPERTY_TAX]
    transfers = t[K.S_DIBAO] + t[K.S_RESIDENTS_PENSION] + t[K.S_CHILD_ALLOWANCE]
    social_insurance = social_insurance_fund_revenue(t[K.S_CONTRIBUTIONS], scenario)
    housing_fund = t[K.S_CONTRIBUTIONS] - social_insurance
    return _float_series(
        {
            "iit_comprehensive": t[K.S_IIT],
            "iit_business": t[K.S_BUSINESS_TAX],
            "iit_property": t[K.S_PROPERTY_TAX],
            "iit_revenue": iit,
            "social_insurance_contributions": t[K.S_CONTRIBUTIONS],
            "social_insurance_fund_revenue": social_insurance,
            "housing_fund": housing_fund,
            "dibao": t[K.S_DIBAO],
            "residents_pension": t[K.S_RESIDENTS_PENSION],
            "child_allowance": t[K.S_CHILD_ALLOWANCE],
            "transfer_spending": transfers,
            "net_revenue": iit + social_insurance - transfers,
            "dibao_households": t[K.S_DIBAO_HOUSEHOLDS],
        },
        name="fiscal",
    )
