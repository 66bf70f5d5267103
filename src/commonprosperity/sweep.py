"""Scenario sweeps and the cheapest lever combination.

:func:`sweep` evaluates many scenarios of one year in passes of the Numba core that
each carry a block of scenarios (:mod:`commonprosperity._kernels.sweep`), on local
threads or on a Dask cluster (:mod:`commonprosperity._dask`); :func:`cheapest` ranks
the rows of a sweep that meet targets by their net fiscal cost; :func:`read_sweep_file`
reads the sweep file of ``commonprosperity sweep`` (base scenario, grid, population,
plots), whose spec :func:`commonprosperity.report.write_sweep` takes. Goal seeking is
:func:`commonprosperity.solve.solve`.
"""

from __future__ import annotations

import numbers
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from commonprosperity._interrupt import is_interrupt
from commonprosperity._sweep_engine import (
    MAX_SCENARIOS,
    SWEEP_GINI_METHODS,
    _check_policy,
    _evaluate,
    _expand_grid,
    _Grid,
    _Ordered,
    _ordered_for_sweep,
    _Outcome,
    _stack,
)
from commonprosperity._sweepfile import SweepSpec, read_sweep_file
from commonprosperity._unit_slips import warn_unit_slips
from commonprosperity._validate import joined_problems, one_of, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentError, ArgumentTypeError
from commonprosperity.population import Population
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import (
    INDICATOR_NAMES,
    _indicator_values,
    other_year_note,
    population_cities_note,
    social_insurance_fund_revenue,
    urban_basis_note,
)
from commonprosperity.solve import _PARTS_RE, _parse_target
from commonprosperity.targets import (
    BOUND_TOLERANCE,
    TARGET_BY_ID,
    TARGETS,
    _met,
    unbounded_gaps,
    verdict_column,
)

__all__ = [
    "ENGINES",
    "MAX_SCENARIOS",
    "SWEEP_GINI_METHODS",
    "SweepSpec",
    "cheapest",
    "read_sweep_file",
    "sweep",
]

ENGINES = ("threads", "dask")
_TARGET_IDS = tuple(t.id for t in TARGETS)


# ------------------------------------------------------------------- the frame
def _frame(
    base: Scenario, grid: _Grid, outcome: _Outcome, gini: str, band_basis: str
) -> pd.DataFrame:
    """Rows 1.. of ``outcome`` are the grid's scenarios; row 0 is ``base``."""
    S = len(grid.scenarios)
    values: dict[str, np.ndarray] = {name: np.empty(S) for name in INDICATOR_NAMES}
    base_ind, _, _ = _indicator_values(outcome.totals[0])
    # Rows whose T4 or T5 ratio is undefined but whose gap is unbounded: not met.
    unbounded: dict[str, list[int]] = {"T4": [], "T5": []}
    for r in range(S):
        ind, cities, _ = _indicator_values(outcome.totals[r + 1])
        for tid in unbounded_gaps(ind, cities.values()):
            unbounded[tid].append(r)
        for name in INDICATOR_NAMES:
            if name != "gini":
                values[name][r] = ind[name]
        # A negative Gini: its own sum of incomes came out < 0 (simulate's rule).
        values["gini"][r] = (
            outcome.gini[r + 1]
            if ind["per_capita_disposable_income"] > 0 and not outcome.gini[r + 1] < 0
            else np.nan
        )
    columns: dict[str, Any] = {}
    for path, vals in grid.levers.items():
        if any(isinstance(v, tuple) for v in vals):
            col = np.empty(S, dtype=object)
            col[:] = vals
            columns[path] = col
        else:
            columns[path] = vals
    columns.update(values)
    if gini == "bracket":
        # An unbounded bracket (negative incomes all but cancel the positive ones:
        # the Gini's size is unknown) is undefined, as in simulate.
        undefined = np.isnan(values["gini"]) | ~(
            np.isfinite(outcome.lower[1:]) & np.isfinite(outcome.upper[1:])
        )
        columns["gini_lower"] = np.where(undefined, np.nan, outcome.lower[1:])
        columns["gini_upper"] = np.where(undefined, np.nan, outcome.upper[1:])
    gaps = {}
    for t in TARGETS:
        met = pd.array([pd.NA] * S, dtype="boolean")
        gap = np.full(S, np.nan)
        if t.indicator in values:
            v = values[t.indicator]
            ok = ~np.isnan(v)
            hit, g = _met(v[ok], t)
            met[ok] = np.asarray(hit, dtype=bool)
            gap[ok] = g
        met[unbounded.get(t.id, [])] = False
        columns[f"{t.id}_met"] = met
        gaps[f"{t.id}_gap"] = gap
    columns.update(gaps)
    # Contributions less the housing fund: the employees' savings are no revenue.
    social_insurance = np.array(
        [
            social_insurance_fund_revenue(c, sc)
            for c, sc in zip(
                values["social_insurance_contributions"], grid.scenarios, strict=True
            )
        ]
    )
    base_social_insurance = social_insurance_fund_revenue(
        base_ind["social_insurance_contributions"], base
    )
    columns["net_fiscal_cost"] = (
        (base_ind["iit_revenue"] - values["iit_revenue"])
        + (base_social_insurance - social_insurance)
        + (values["transfer_spending"] - base_ind["transfer_spending"])
    )
    # One frame of all the columns: inserting 21 one by one took half of a small
    # sweep (10 scenarios of 1,000 households).
    frame = pd.DataFrame(columns)
    frame.attrs["gini_method"] = gini
    frame.attrs["band_basis"] = band_basis
    return frame


# ------------------------------------------------------------------ public API
def _progress_bar(progress: bool | None, total: int | None, desc: str = "sweep") -> Any:
    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="scenario", file=sys.stderr)


def sweep(
    population: Population | str | os.PathLike[str],
    base: Scenario,
    grid: Mapping[str, Iterable[Any]] | Sequence[Scenario],
    *,
    engine: str = "threads",
    client: Any = None,
    gini: str = "exact",
    band_basis: str = "household",
    progress: bool | None = None,
) -> pd.DataFrame:
    """Evaluate many scenarios of one year: indicators, targets, fiscal cost.

    Parameters
    ----------
    population : Population, str or pathlib.Path
        Weighted households and persons, gross incomes in yuan per year; or the
        path of a file written by ``Population.write_parquet``. With
        ``engine="dask"`` each worker reads that path itself (it must be readable
        there, e.g. on a shared file system) and the population never travels;
        with ``engine="threads"`` it is read here.
    base : Scenario
        The reference policy; ``net_fiscal_cost`` is measured against it.
    grid : mapping of str to list, or list of Scenario
        Either dotted scenario paths mapped to lists of values, whose cartesian
        product is evaluated (each combination applied to ``base`` with
        :meth:`Scenario.replace`), or a list of scenarios of ``base``'s year. At
        most ``MAX_SCENARIOS`` (100,000) scenarios: each holds about 5-15 kB
        while the sweep runs (split a larger grid into sweeps).
    engine : {"threads", "dask"}, default "threads"
        Local Numba threads, or a Dask cluster given by ``client``.
    client : distributed.Client or str, optional
        With ``engine="dask"``: a client, or the address of a scheduler (a client
        is opened and closed for this call); default: the current Dask client.
    gini : {"exact", "bracket"}, default "exact"
        Exact Gini per scenario, or the Gini with its rigorous bracket as
        :func:`commonprosperity.simulate` gives it (columns ``gini_lower``,
        ``gini_upper``; width ≤ 1e-8 unless negative incomes nearly cancel the
        positive ones: ``docs/precision.md``).
    band_basis : {"household", "three_person"}
        As in :func:`commonprosperity.simulate`.
    progress : bool, optional
        Show a progress bar (True or False); by default (None) only when stderr
        is an interactive terminal.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, in grid order: one column per lever, named by its
        dotted path (for a list of scenarios, every path that differs from
        ``base``), holding the lever's value as the scenario holds it (``6.0``
        given for an integer field is ``6``, ``900`` for an amount ``900.0``);
        every indicator of ``INDICATOR_NAMES`` (yuan, shares, ratios; plus
        ``gini_lower`` and ``gini_upper`` with ``gini="bracket"``);
        ``T1_met`` … ``T10_met`` (nullable booleans, NA where a target cannot be
        judged from one year's simulation; T4 and T5 False with a NaN ratio when
        the lower income is not positive while the higher is, as
        ``Result.targets``) and ``T1_gap`` … ``T10_gap`` (> 0: not yet met, in
        the target's unit); ``net_fiscal_cost``, yuan per year: the
        income-tax and social-insurance revenue lost plus the transfer spending
        added relative to ``base`` (negative: the scenario raises net revenue);
        the housing fund's part of contributions, the employees' own savings, is
        not revenue (``Result.fiscal["net_revenue"]``'s change). Each row
        and :func:`commonprosperity.simulate` of its scenario are each within
        the bound of ``docs/precision.md`` of the exact value ((κ + 1) · 2.3e-13
        relative, κ the cancellation factor of incomes of both signs), ``gini``
        included; they differ by 1e-15 to 1e-14 typically (1.2e-14 measured on
        a city ratio). With ``gini="bracket"`` the bounds
        are simulate's up to rounding (both allow for the same rounding depth,
        a function of the number of rows, though the sweep bins its parts of the
        rows on one thread each and so sums them deeper).
        ``attrs``: ``gini_method``, ``band_basis`` and ``urban_basis``, what
        the population's urban share (T6's indicator, which no lever moves)
        measures, as the note of ``Result.targets()``; and ``cities`` when the
        population lacks some of the 11 cities (T5 is then judged over those it
        has, e.g. "over 2 of the 11 cities (no households in 杭州, ...)").

    Notes
    -----
    The scenario axis runs inside the kernels: households no scenario changes
    are evaluated once, scenarios differing only in transfers share the
    evaluation of everything else, and blocks of scenarios share each pass over
    the households. With ``gini="bracket"``, a grid crossing transfer levers with
    tax or contribution levers (dibao line × basic deduction) evaluates the
    households only transfers change once per transfer setting: 1,000 such
    scenarios of 1,000,000 households took 1.1-2.0 s on 2 cores
    (``python -m benchmarks --only sweep``; ``benchmarks/results.md``).

    Raises
    ------
    ScenarioError
        For an unknown path, a path without a list of values, ``year`` as a
        lever, values that make an invalid scenario (all reported at once),
        scenarios of another year, or too many scenarios.
    CommonProsperityError
        For an unknown ``engine``, ``gini`` or ``band_basis``, or a ``progress``
        that is not True, False or None.

    Warns
    -----
    UserWarning
        If the population's year (``Population.year``; a Parquet file's, as
        the Dask workers read it) is not the policy year: its targets are
        judged on incomes of another year (as the notes of
        ``Result.targets()`` say); ``project`` gives the policy year's incomes.
        If amounts of the scenarios look typed in the wrong unit (as
        :func:`~commonprosperity.simulate.simulate` says; one warning for all).

    Examples
    --------
    >>> from commonprosperity import Scenario, synthetic_population
    >>> from commonprosperity.sweep import sweep
    >>> pop = synthetic_population(2_000, seed=3)
    >>> frame = sweep(pop, Scenario.status_quo(2021),
    ...               {"transfers.dibao_monthly": [900, 1200]}, progress=False)
    >>> frame["transfers.dibao_monthly"].tolist()  # as the scenarios hold them
    [900.0, 1200.0]
    >>> bool(frame["net_fiscal_cost"].iloc[1] > frame["net_fiscal_cost"].iloc[0])
    True
    """
    path = None
    if isinstance(population, str | os.PathLike):
        # A Parquet file (Population.write_parquet): read here for the threads
        # engine, by each worker for the Dask engine (it never travels).
        path = _population_path(population)
        if engine != "dask":
            population = Population.read_parquet(path)
    elif not isinstance(population, Population):
        raise ArgumentTypeError(
            "population must be a Population or the path of a Parquet file "
            f"(Population.write_parquet); got {type(population).__name__}"
        )
    _check_policy(base, gini, band_basis)
    if isinstance(population, Population) and (
        years := other_year_note(population.year, base.year)
    ):
        # The frame has no notes column: T1-T6 read "not met" for want of
        # growth, not of policy, without a word.
        warn_user(f"sweep: T1–T6 are judged on {years}")
    if progress is not None and not isinstance(progress, bool | np.bool_):
        # bool("no") is True: a string or a number showed a bar.
        raise ArgumentError(
            "progress must be True, False or None (a bar only when stderr is a "
            f"terminal); got {type(progress).__name__} {progress!r}"
        )
    if not one_of(engine, ENGINES):
        raise ArgumentError(f"engine must be one of {ENGINES}; got {quoted(engine)}")
    if client is not None and engine != "dask":
        raise ArgumentError(
            f"client= is only used with engine='dask'; got engine={engine!r}"
        )
    if engine == "dask":
        from commonprosperity._dask import check_client

        # Before the grid is checked and the population ordered (seconds).
        check_client(client)
    # The bar shows the scenarios' validation too: a grid of 100,000 took 16 s
    # to check, before any bar.
    bar = _progress_bar(progress, None, "sweep: checking scenarios")
    try:
        spec = _expand_grid(base, grid, bar.update if bar is not None else None)
        warn_unit_slips([base, *spec.scenarios], "sweep")
        stacked = _stack([base, *spec.scenarios])
        # A path stays a path: each Dask worker reads and orders it itself.
        pop = (
            _ordered_for_sweep(population, base, stacked, gini)
            if isinstance(population, Population)
            else cast(str, path)  # not a Population: a path, for the Dask engine
        )
        advance = None
        if bar is not None:
            # The bar counts the scenarios asked for; the base, evaluated with
            # them, comes off the first part done (12 of 12, not 13).
            bar.reset(total=stacked.n - 1)
            bar.set_description("sweep")
            base_left = [1]

            def advance(k: int) -> None:
                k, base_left[0] = k - base_left[0], 0
                bar.update(k)

        if engine == "dask":
            from commonprosperity._dask import evaluate_on_cluster

            outcome = evaluate_on_cluster(
                pop, stacked, gini, band_basis, client, advance, base=base
            )
        else:
            # The threads engine read a path above: a Population, ordered.
            outcome = _evaluate(cast(_Ordered, pop), stacked, gini, band_basis, advance)
    except SystemError as exc:
        if is_interrupt(exc):
            raise KeyboardInterrupt from exc
        raise
    finally:
        if bar is not None:
            bar.close()
    frame = _frame(base, spec, outcome, gini, band_basis)
    # T6's basis, as Result.targets() notes it: no lever moves the urban share,
    # and on the survey's it reads "not met" whatever the official rate.
    # Dask workers that read the population file report its source.
    frame.attrs["urban_basis"] = urban_basis_note(
        population.source
        if isinstance(population, Population)
        else outcome.source or ""
    )
    # The plan's T5 is over all 11 cities; two of them gave "T5 met" without a
    # word, where Result.targets() notes it: said in attrs, as T6's basis, and
    # by cheapest when it judges T5.
    cities = (
        population_cities_note(population, judged_only=True)
        if isinstance(population, Population)
        else outcome.cities
    )
    if cities:
        frame.attrs["cities"] = cities
    return frame


def _population_path(population: str | os.PathLike[str]) -> str:
    """The path of a population file, as a str."""
    path = os.fspath(population)
    if not isinstance(path, str) or not path.strip():
        raise ArgumentError(
            "population: give a Population or the path of a Parquet file "
            f"(Population.write_parquet) as a str or pathlib.Path; got {quoted(path)}"
        )
    return path


# ------------------------------------------------------------------ cheapest
def _not_of_one_sweep(target: str) -> str:
    """Why a sweep cannot judge ``target`` (T7–T10), and where it is judged."""
    if target == "T7":
        # T7 is of one year, but from national accounts, not the households:
        # a sweep takes no GDP, and no scenario moves it.
        return (
            "it needs gdp and labour_compensation (national accounts), which a "
            "sweep does not take, and no scenario of the households changes it "
            "(judge it with Result.targets(gdp=..., labour_compensation=...))"
        )
    return (
        "it cannot be judged from one year's simulation (judge it on a path: "
        "simulate_path and target_years)"
    )


def _unjudged(frame: pd.DataFrame, ids: list[str]) -> list[str]:
    """Targets whose verdict is NA in every row of ``frame``.

    An empty answer would read as "no scenario meets it" when none could be
    judged (T7-T10 in a one-year sweep, as in ``solve``).
    """
    problems = []
    for t in ids:
        if not frame[f"{t}_met"].isna().all():
            continue
        why = (
            _not_of_one_sweep(t)
            if TARGET_BY_ID[t].indicator not in INDICATOR_NAMES
            else f"{TARGET_BY_ID[t].indicator} is undefined in every row"
        )
        problems.append(
            f"target {t} ({TARGET_BY_ID[t].indicator}) is not judged in any row of the "
            f"frame ({t}_met is NA throughout): {why}"
        )
    return problems


def _judged_somewhere(frame: pd.DataFrame, indicator: str) -> bool:
    """Whether a target of ``indicator`` has a verdict in some row of ``frame``."""
    return any(
        f"{t.id}_met" in frame.columns and frame[f"{t.id}_met"].notna().any()
        for t in TARGETS
        if t.indicator == indicator
    )


_COST = "net_fiscal_cost"


def _holds_numbers(column: pd.Series) -> bool:
    """Whether a frame column holds real numbers (NA aside), not text or flags.

    An object column of floats (a frame put together by hand) is numbers too.
    """
    if is_bool_dtype(column):
        return False
    if is_numeric_dtype(column):
        return True
    return column.dtype == object and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)
        for v in column.dropna()
    )


def cheapest(
    frame: pd.DataFrame, targets: Sequence[str] | str = ("T2", "T4")
) -> pd.DataFrame:
    """Rows of a sweep that meet every given target, cheapest first.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame returned by :func:`sweep`.
    targets : str or sequence of str, default ("T2", "T4")
        Target ids (``"T1"`` … ``"T10"``): a row qualifies when every
        ``<id>_met`` is true (NA counts as not met; a target NA in every row,
        as T7 (no GDP in a sweep) and T8–T10 (trends) are, is an error); or
        conditions on an
        indicator column as :func:`~commonprosperity.solve.solve` takes them
        (``"gini <= 0.34"``, ``"T2 >= 0.7"``: T2's indicator at another level;
        NaN does not qualify).

    Returns
    -------
    pandas.DataFrame
        The qualifying rows ordered by ``net_fiscal_cost`` ascending (yuan per
        year; ties keep grid order), with their original index. Empty when no row
        qualifies.

    Raises
    ------
    CommonProsperityError
        For unknown targets, a frame lacking their columns, or a target or
        condition that no row can judge (NA or NaN throughout: an empty answer
        would read as "no scenario meets it").

    Warns
    -----
    UserWarning
        When T5 (or a condition on ``city_max_min_ratio``) is judged on a frame
        whose population lacks some of the 11 cities (``frame.attrs["cities"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"T2_met": [True, True, False], "T4_met": [True, True, True],
    ...                   "net_fiscal_cost": [5.0, 1.0, 0.0]})
    >>> cheapest(f).index.tolist()
    [1, 0]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(
            "frame must be the DataFrame returned by sweep(); got "
            f"{type(frame).__name__}"
        )
    # A mapping's values would go unread ({"T4": 1.8} is no goal of 1.8), and
    # bytes were read as their byte values ("got int 84" for b"T2").
    if not isinstance(targets, str | Iterable) or isinstance(
        targets, Mapping | bytes | bytearray
    ):
        raise ArgumentError(
            "targets must be a target id (T1–T10) or a condition, or a list of "
            'them; for a goal of your own give a condition such as "T4 < 1.8"; '
            f"got {type(targets).__name__} {quoted(targets)}"
        )
    ids = [targets] if isinstance(targets, str) else list(targets)
    if not ids:
        raise ArgumentError("targets is empty: give at least one of T1–T10")
    problems = []
    goals = {}
    # A row of a 2-D array: `t in _TARGET_IDS` raised a bare "truth value of an
    # array is ambiguous".
    not_text = [t for t in ids if not isinstance(t, str)]
    if not_text:
        raise ArgumentError(
            f"targets must be target ids ({', '.join(_TARGET_IDS)}) or conditions, "
            f"as strings; got {type(not_text[0]).__name__} {quoted(not_text[0])}"
        )
    for t in ids:
        if t in _TARGET_IDS:
            continue
        own = m.group("name") if (m := _PARTS_RE.match(t)) else ""
        if own in _TARGET_IDS and TARGET_BY_ID[own].indicator not in INDICATOR_NAMES:
            # "T8 >= 1" was "unknown" beside an allowed list holding T8.
            # Not "give T8 alone": a sweep's T8_met is NA throughout.
            problems.append(
                f"target {quoted(t)}: {own} ({TARGET_BY_ID[own].indicator}) takes "
                "no goal of your own here, and a sweep does not judge it: "
                f"{_not_of_one_sweep(own)}; or give a condition on an indicator "
                "such as 'gini <= 0.34'"
            )
            continue
        try:
            goals[t] = _parse_target(t)
        except ArgumentError as exc:
            problems.append(
                f"unknown target {quoted(t)}; allowed: a target id alone "
                f"({', '.join(_TARGET_IDS)}), or a condition such as "
                f"'gini <= 0.34' ({exc})"
            )
    needed = [f"{t}_met" for t in ids if t in _TARGET_IDS]
    needed += [g.indicator for g in goals.values()] + [_COST]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        # First: the problems of the targets are capped at ten, and this one is
        # of another kind.
        problems.insert(
            0, f"frame lacks column(s) {missing}; pass the frame sweep() returned"
        )
    if not problems:
        # Text costs were ranked in string order, one "n/a" a bare TypeError.
        for name in dict.fromkeys([*(g.indicator for g in goals.values()), _COST]):
            column = frame[name]
            if not _holds_numbers(column):
                problems.append(
                    f"frame column {name} must hold numbers; got {column.dtype} "
                    f"values {column.dropna().unique()[:3].tolist()}"
                )
    if not problems and len(frame):
        problems += _unjudged(frame, [t for t in ids if t not in goals])
        # As for a target id: "T4 < 1.9" on a rural population gave an empty
        # answer where "T4" said no row could be judged.
        # Not where a target of the indicator judges NaN rows (T4's unbounded
        # gap, rural income not positive, is "not met", not undefined).
        problems += [
            f"condition {quoted(t)} is not judged in any row of the frame: "
            f"{goal.indicator} is NaN throughout (undefined on this population)"
            for t, goal in goals.items()
            if frame[goal.indicator].isna().all()
            and not _judged_somewhere(frame, goal.indicator)
        ]
    if problems:
        raise ArgumentError(joined_problems(problems))
    judges_t5 = "T5" in ids or any(
        g.indicator == TARGET_BY_ID["T5"].indicator for g in goals.values()
    )
    if judges_t5 and frame.attrs.get("cities"):
        warn_user(
            f"cheapest: T5 (city_max_min_ratio) is judged {frame.attrs['cities']}"
        )
    keep = np.ones(len(frame), dtype=bool)
    for goal in goals.values():
        # Rows are judged as the target table judges (solve's search uses its
        # own, safer band).
        keep &= goal.met(
            frame[goal.indicator].to_numpy(dtype=np.float64), BOUND_TOLERANCE
        )
    for t in ids:
        if t in goals:
            continue
        met = verdict_column(frame, t, "cheapest")
        keep &= met.fillna(False).to_numpy(dtype=bool)
    return frame[keep].sort_values(_COST, kind="stable")
