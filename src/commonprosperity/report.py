"""Tables and the Markdown report of a run or a sweep, and writing them to a folder.

The functions here turn a :class:`~commonprosperity.Result` (and, for a reform, the
status-quo result on the same population) into the tables a policy economist reads:
the plan targets with value, target, met and gap; the indicators; the fiscal totals;
deciles of per-capita disposable income; the C/R-graded policy values used. They
format them for a terminal (:func:`summary_text`) and as Markdown with provenance
(:func:`markdown_report`), and :func:`write_run` writes CSV files, figures and
``report.md`` into a directory.

Examples
--------
>>> from commonprosperity import Scenario, simulate, synthetic_population
>>> from commonprosperity import report
>>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
>>> table = report.target_table(r)
>>> list(table.columns[:4])
['indicator', 'value', 'comparison', 'target']
>>> report.deciles(r).shape[0]
10
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commonprosperity._files import output_folder
from commonprosperity._plotstyle import (
    _city_en,
    billion_places,
    billions,
    check_formats,
    figure_markdown,
    linked_format,
)
from commonprosperity._reportformat import (
    OUTPUTS,
    RUN_HEADING,
    _change,
    _fmt,
    _target_rows,
    code_block,
    format_target_table,
    gini_text,
    markdown_table,
    markdown_text,
    recording_warnings,
    staged_directory,
    toml_section,
    warnings_markdown,
    weak_frame,
    weak_lines,
    weak_markdown,
)
from commonprosperity._sweep_report import sweep_summary, write_sweep
from commonprosperity._unit_slips import status_quo_of
from commonprosperity._validate import (
    check_result,
    check_text,
    plain_text,
    public_dir,
    quoted,
)
from commonprosperity.errors import ArgumentError, ArgumentTypeError, ScenarioError
from commonprosperity.scenario import dotted_values
from commonprosperity.simulate import (
    CENSUS_MEAN_NOTE,
    band_basis_note,
    cities_note,
    other_year_note,
)
from commonprosperity.tables import _population_differences
from commonprosperity.targets import PLAN_SOURCE, PLAN_SOURCE_ZH

if TYPE_CHECKING:
    from commonprosperity.scenario import Scenario
    from commonprosperity.simulate import Result

__all__ = [
    "INDICATOR_UNITS",
    "INDICATOR_UNIT_TEXT",
    "deciles",
    "fiscal_table",
    "format_target_table",
    "indicator_table",
    "markdown_report",
    "markdown_table",
    "summary_text",
    "sweep_summary",
    "target_table",
    "weak_values_table",
    "write_run",
    "write_sweep",
]

#: Unit of each contract indicator, for formatting.
INDICATOR_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "per_capita_disposable_income": "yuan",
        "urban_per_capita_disposable_income": "yuan",
        "rural_per_capita_disposable_income": "yuan",
        "urban_rural_ratio": "ratio",
        "city_max_min_ratio": "ratio",
        "band_share_100k_500k": "share",
        "band_share_200k_600k": "share",
        "gini": "ratio",
        "gini_lower": "ratio",
        "gini_upper": "ratio",
        "urbanization_rate": "share",
        "iit_revenue": "yuan",
        "social_insurance_contributions": "yuan",
        "transfer_spending": "yuan",
    }
)

#: The unit column of :func:`indicator_table` (indicators.csv): yuan said in full,
#: as fiscal.csv says it (INDICATOR_UNITS is the key of the formatting).
INDICATOR_UNIT_TEXT: Mapping[str, str] = MappingProxyType(
    {
        name: (
            ("yuan per person per year" if "per_capita" in name else "yuan per year")
            if unit == "yuan"
            else unit
        )
        for name, unit in INDICATOR_UNITS.items()
    }
)


# ------------------------------------------------------------------- tables

#: The counts of the fiscal table as the report names them: with the
#: expected-value take-up, dibao_households counts every eligible household,
#: which "dibao households" read as recipients (1.45 m against about 0.87 m
#: expected at a take-up of 0.6).
_COUNT_LABELS = {
    "dibao_households": "households eligible for dibao (households represented; "
    "expected recipients are about the take-up times this; 0 at a take-up of 0)",
}


def target_table(
    result: Result,
    baseline: Result | None = None,
    *,
    gdp: float | None = None,
    labour_compensation: float | None = None,
) -> pd.DataFrame:
    """Tabulate the plan targets T1–T10 of a result, optionally beside the status quo.

    Parameters
    ----------
    result : Result
        The scenario's result.
    baseline : Result, optional
        The status quo on the same population; adds a ``status_quo`` column
        (``reference`` for another scenario's result).
    gdp, labour_compensation : float, optional
        Passed to ``Result.targets`` for T7 (yuan).

    Returns
    -------
    pandas.DataFrame
        Indexed T1–T10: ``indicator, value, comparison, target, met, gap, unit,
        description, note`` (and ``status_quo`` when a baseline is given). ``gap``
        > 0 means not yet met, in the target's unit; ``met`` is NA where the
        needed input is absent.

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> t = report.target_table(after, before)
    >>> t4 = t.loc["T4"]
    >>> f"{t4['status_quo']:.3f} -> {t4['value']:.3f} {t4['comparison']} {t4['target']}"
    '1.684 -> 1.647 < 1.9'
    >>> bool(t4["met"]), list(t.index[t["met"].isna()])
    (True, ['T7', 'T8', 'T9', 'T10'])
    """
    _check_results("target_table", result, baseline)
    return _target_table(result, baseline, gdp, labour_compensation, "target_table")


def _target_table(
    result: Result,
    baseline: Result | None,
    gdp: float | None,
    labour_compensation: float | None,
    where: str,
) -> pd.DataFrame:
    """:func:`target_table`, its errors named by ``where``, the call the user made.

    A bad ``gdp`` given to write_run was "Result.targets: gdp must be ...".
    """
    try:
        frame = result.targets(gdp=gdp, labour_compensation=labour_compensation)
    except ScenarioError as exc:
        text = str(exc).removeprefix("Result.targets: ")
        raise ScenarioError(f"{where}: {text}") from None
    cols = [
        "indicator",
        "value",
        "comparison",
        "target",
        "met",
        "gap",
        "unit",
        "description",
        "note",
    ]
    out = frame[cols].copy()
    if baseline is not None:
        base = baseline.targets(gdp=gdp, labour_compensation=labour_compensation)
        out.insert(1, _reference_column(baseline), base["value"])
    return out


def indicator_table(result: Result, baseline: Result | None = None) -> pd.DataFrame:
    """Every indicator with its unit, optionally with the status quo and the change.

    Parameters
    ----------
    result : Result
        The scenario's result.
    baseline : Result, optional
        The status quo on the same population (or another scenario's result on
        it, named "reference" when it is not a status quo).

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator name: ``value``, ``unit`` (and ``status_quo`` or
        ``reference``, ``change`` when a baseline is given), ``note``: why a
        value is undefined (NaN), empty otherwise.

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> table = report.indicator_table(after, before)
    >>> list(table.columns)
    ['value', 'status_quo', 'change', 'unit', 'note']
    >>> f"{table.loc['gini', 'change']:+.4f}"
    '-0.0100'
    >>> table.loc["rural_per_capita_disposable_income", "unit"]
    'yuan per person per year'
    """
    _check_results("indicator_table", result, baseline)
    out = pd.DataFrame({"value": result.indicators})
    out.index.name = "indicator"
    if baseline is not None:
        ref = _reference_column(baseline)
        out[ref] = baseline.indicators.reindex(out.index)
        out["change"] = out["value"] - out[ref]
    out["unit"] = [INDICATOR_UNIT_TEXT.get(k, "") for k in out.index]
    # An undefined indicator was an empty cell in indicators.csv, its reason
    # (result.undefined) nowhere in the file.
    why = result.undefined
    out["note"] = [
        why.get(k, "") if pd.isna(v) else "" for k, v in out["value"].items()
    ]
    # The band shares' basis, as the targets table notes T2/T3: 0.76 on the
    # three-person basis stood in indicators.csv beside no word of it.
    bands = [k for k in out.index if k.startswith("band_share_")]
    basis = band_basis_note(result.band_basis)
    out.loc[bands, "note"] = [
        f"{note}; {basis}" if note else basis for note in out.loc[bands, "note"]
    ]
    return out


def fiscal_table(result: Result, baseline: Result | None = None) -> pd.DataFrame:
    """Fiscal totals (yuan per year), optionally with the status quo and the change.

    Parameters
    ----------
    result : Result
        The scenario's result.
    baseline : Result, optional
        The status quo on the same population and band basis (or another
        scenario's result, named "reference").

    Returns
    -------
    pandas.DataFrame
        Indexed by item: ``value`` (and ``status_quo`` or ``reference``,
        ``change``). With a baseline, a row ``net_fiscal_cost`` = the baseline's
        net revenue − scenario net revenue (positive: the scenario costs the
        budget).

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> table = report.fiscal_table(after, before)
    >>> cost = table.loc["net_fiscal_cost", "change"]
    >>> f"{cost / 1e9:.1f} bn yuan a year"
    '21.6 bn yuan a year'

    Taxes and contributions do not change, so the cost is the extra dibao:

    >>> round(float(cost / table.loc["dibao", "change"]), 9)
    1.0
    """
    _check_results("fiscal_table", result, baseline)
    out = pd.DataFrame({"value": result.fiscal})
    out.index.name = "item"
    if baseline is not None:
        ref = _reference_column(baseline)
        out[ref] = baseline.fiscal.reindex(out.index)
        out["change"] = out["value"] - out[ref]
        if "net_revenue" in out.index:
            cost = float(out.loc["net_revenue", ref] - out.loc["net_revenue", "value"])
            out.loc["net_fiscal_cost"] = [np.nan, np.nan, cost]
    return out


def weak_values_table(result: Result) -> pd.DataFrame:
    """List the C- (derived) and R- (unverified) graded policy values used.

    Parameters
    ----------
    result : Result
        A result of :func:`~commonprosperity.simulate`.

    Returns
    -------
    pandas.DataFrame
        Columns ``key, value, grade, source``; empty when every value used is A/B
        or was set by the scenario.

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> weak = report.weak_values_table(simulate(pop, base))
    >>> list(weak.columns)
    ['key', 'value', 'grade', 'source']
    >>> dibao = weak.loc[weak["key"] == "transfers.dibao_monthly"]
    >>> dibao[["value", "grade"]].values.tolist()
    [[835.0, 'C']]

    A value the scenario sets is no longer listed:

    >>> reform = base.replace({"transfers.dibao_monthly": 1_300})
    >>> weak = report.weak_values_table(simulate(pop, reform))
    >>> "transfers.dibao_monthly" in set(weak["key"])
    False
    """
    _check_results("weak_values_table", result)
    return weak_frame(result.provenance.get("weak_values", []))


def _status_quo_weak(result: Result, baseline: Result | None) -> pd.DataFrame:
    """C/R values of ``baseline`` that ``result``'s list does not hold, or empty.

    A reform compared with the status quo was listed with its own values only,
    while the status-quo column and the net fiscal cost rest on the status
    quo's (its dibao line, say, which the reform replaced).
    """
    if baseline is None:
        return weak_frame([])
    listed = {
        (v["key"], repr(v["value"])) for v in result.provenance.get("weak_values", [])
    }
    return weak_frame(
        v
        for v in baseline.provenance.get("weak_values", [])
        if (v["key"], repr(v["value"])) not in listed
    )


#: deciles.csv's names of :func:`deciles`' columns.
_DECILE_FILE_COLUMNS = {
    "households": "households_represented",
    "gross": "gross_per_capita",
    "contributions": "contributions_per_capita",
    "taxes": "taxes_per_capita",
    "transfers": "transfers_per_capita",
    "disposable_income": "disposable_income_per_capita",
}


def deciles(result: Result) -> pd.DataFrame:
    """Deciles of persons by per-capita disposable income (``Result.deciles()``).

    Parameters
    ----------
    result : Result
        A simulation result.

    Returns
    -------
    pandas.DataFrame
        Indexed 1–10 (``decile``), one row per group of persons ranked by the
        per-capita disposable income of their household (person weight = weight ×
        size; a household belongs to the group holding the midpoint of its
        cumulative person weight). Columns include ``population_share``,
        ``households``, ``min_per_capita``, ``max_per_capita`` and
        ``disposable_income`` (mean per person, yuan per year).

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> d = report.deciles(r)
    >>> d.index.name, len(d), round(float(d["population_share"].sum()), 12)
    ('decile', 10, 1.0)
    >>> top, bottom = d.loc[10, "disposable_income"], d.loc[1, "disposable_income"]
    >>> f"top/bottom decile: {top / bottom:.1f}"
    'top/bottom decile: 14.5'
    """
    _check_results("deciles", result)
    return result.deciles()


def _check_results(where: str, result: Any, baseline: Any = None) -> None:
    # Any: checked here, duck-typed (check_result), then read as Results.
    check_result(result, "result", where)
    if baseline is not None:
        check_result(baseline, "baseline", where)
        # The status-quo column, the change and the net fiscal cost compare two
        # policies on one population; another population (another year's) mixes
        # the policy's effect with the population's.
        differ = _population_differences(baseline.population, result.population)
        if differ:
            raise ArgumentError(
                f"{where}: baseline must be simulated on the same "
                "population as result (same households, weights and persons); "
                f"these differ: {', '.join(differ)}"
            )
        if baseline.band_basis != result.band_basis:
            # T2/T3 on two bases: the change column mixed the basis with the
            # policy (-16 pp for the same policy).
            raise ArgumentError(
                f"{where}: baseline was simulated with band_basis="
                f"{baseline.band_basis!r} and result with {result.band_basis!r}; "
                "simulate both on one basis"
            )
        if baseline.gini_method != result.gini_method:
            # The bracket's bounds had a status quo of NaN beside them, unsaid,
            # and the provenance named the result's method only.
            raise ArgumentError(
                f"{where}: baseline was simulated with gini="
                f"{baseline.gini_method!r} and result with {result.gini_method!r}; "
                "simulate both with one method"
            )


def _national_accounts_line(gdp: Any, labour_compensation: Any) -> list[str]:
    """The provenance line of the national-accounts figures given, if any.

    T7's verdict and T10's ratio rest on them, a user's figures that no other
    part of the report showed.
    """
    given = [
        f"{name} {float(value):,.0f} yuan"
        for name, value in (("GDP", gdp), ("labour compensation", labour_compensation))
        if value is not None
    ]
    return [f"- national accounts as given: {', '.join(given)}"] if given else []


def _other_year(result: Result, baseline: Result | None) -> str:
    """What a status quo of another policy year makes of the comparison, or "".

    Its columns were headed "status quo" and the net fiscal cost read "vs the
    status quo" of the result's year (2021's policy beside 2024's: 8.31 bn where
    the 2024 status quo gives 3.00); a change of policy between two years is a
    use of its own, said so.
    """
    if baseline is None or baseline.scenario.year == result.scenario.year:
        return ""
    return (
        f"The status quo compared with is the {baseline.scenario.year} policy, not "
        f"{result.scenario.year}'s: its column, the changes and the net fiscal cost "
        f"compare {result.scenario.year} policy with {baseline.scenario.year} policy."
    )


def _income_year(result: Result) -> str:
    """That T1–T6 are judged on incomes of another year than the policy's, or "".

    The table puts it in the notes of T1–T6, which the plain text shows for T6
    only: a 2024 population under 2025 policy read as a caveat on urbanisation,
    beside a T1 gap of 7,880 yuan where 2025 incomes leave 4,663.
    """
    note = other_year_note(result.population.year, result.scenario.year)
    return f"T1–T6 are judged on {note}." if note else ""


@functools.lru_cache(maxsize=16)
def _departures(scenario: Scenario) -> tuple[str, ...]:
    """``path = value (status quo v)`` of each field ``scenario`` sets otherwise.

    Kept per scenario: a report names its baseline in a dozen places.
    """
    ours = dotted_values(scenario)
    usual = dotted_values(status_quo_of(scenario.year))
    return tuple(
        f"{k} = {v} (status quo {usual[k]})" for k, v in ours.items() if v != usual[k]
    )


def _reference_name(baseline: Result | None) -> str:
    """What a baseline is called in tables and text: "status quo" or "reference".

    A baseline of another scenario (comparing reform B with reform A) was headed
    "status quo" throughout, A's numbers passing for the status quo's.
    """
    if baseline is None or not _departures(baseline.scenario):
        return "status quo"
    return "reference"


def _reference_column(baseline: Result | None) -> str:
    """The tables' column of the baseline's values (``status_quo``/``reference``)."""
    return _reference_name(baseline).replace(" ", "_")


def _reference_note(baseline: Result | None) -> str:
    """What the reference scenario changes from the status quo, or ""."""
    if baseline is None or _reference_name(baseline) == "status quo":
        return ""
    changes = _departures(baseline.scenario)
    shown = "; ".join(changes[:6]) + (
        f"; and {len(changes) - 6} more" if len(changes) > 6 else ""
    )
    return (
        f"The baseline compared with is not the {baseline.scenario.year} status quo "
        f"but a reference scenario ({shown}): the reference column, the changes "
        "and the net fiscal cost compare with it."
    )


def _check_heading(where: str, heading: object) -> None:
    if not isinstance(heading, str):
        raise ArgumentTypeError(
            f"{where}: heading must be a str (what was simulated on which "
            f"population); got {type(heading).__name__}"
        )


def _fiscal_lines(result: Result, baseline: Result | None) -> list[str]:
    table = fiscal_table(result, baseline)
    name = _reference_name(baseline)
    labels = {
        "iit_revenue": "income tax revenue (all schedules)",
        "social_insurance_contributions": "employee contributions incl. housing fund",
        "social_insurance_fund_revenue": "  of which social insurance funds",
        "housing_fund": "  of which housing fund (employees' savings)",
        "transfer_spending": "transfer spending (dibao, residents' pension, child)",
        "net_revenue": "net revenue (taxes + social insurance - transfers)",
        "net_fiscal_cost": f"net fiscal cost vs the {name} (+: costs the budget)",
    }
    shown = _in_billions(table.loc[[k for k in labels if k in table.index]])
    out = []
    for key, label in labels.items():
        if key not in shown.index:
            continue
        row = shown.loc[key]
        if key == "net_fiscal_cost":
            out.append(f"  {label:<52} {row['change']:>12} bn")
        elif baseline is not None:
            out.append(
                f"  {label:<52} {row['value']:>12} bn  "
                f"({name} {row[_reference_column(baseline)]} bn)"
            )
        else:
            out.append(f"  {label:<52} {row['value']:>12} bn")
    return out


def _in_billions(table: pd.DataFrame) -> pd.DataFrame:
    """A fiscal table's amounts as text in billions ("" for NaN).

    The levels (the value and the reference) share one precision, so that they
    compare and their lines add up as printed (a county's 0.0120 and 0.0079 bn,
    not 0.01 and 0.00795); the change has its own, so that a reform of 3.6
    million yuan beside totals of 100 bn reads 0.00363, not 0.00; and the net
    fiscal cost its own again (beside component changes of billions a
    near-neutral reform's cost read 0.00).
    """
    levels = [c for c in table.columns if c != "change"]
    places = dict.fromkeys(levels, billion_places(table[levels].to_numpy().ravel()))
    if "change" in table.columns:
        places["change"] = billion_places(table["change"].to_numpy())
    shown = table.apply(
        lambda column: column.map(
            lambda v: "" if pd.isna(v) else billions(v, places[column.name])
        )
    )
    if "net_fiscal_cost" in table.index:
        cost = table.loc["net_fiscal_cost", "change"]
        shown.loc["net_fiscal_cost", "change"] = billions(cost, billion_places([cost]))
    return shown


def summary_text(
    result: Result,
    *,
    heading: str,
    baseline: Result | None = None,
    gdp: float | None = None,
    labour_compensation: float | None = None,
) -> str:
    """Format what ``commonprosperity run`` prints: targets, Gini, fiscal, C/R values.

    Parameters
    ----------
    result : Result
        The scenario's result.
    heading : str
        First line (what was simulated, on which population).
    baseline : Result, optional
        The status quo on the same population, or another scenario's result on it
        named "reference" (adds its column and the net
        fiscal cost).
    gdp, labour_compensation : float, optional
        For T7.

    Returns
    -------
    str
        Plain text; amounts in yuan per year, billions as "bn".

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> text = report.summary_text(after, heading="dibao 1,300", baseline=before)
    >>> lines = text.splitlines()
    >>> lines[0]
    'dibao 1,300'
    >>> print(next(line for line in lines if line.startswith("T4 ")))
    ... # doctest: +NORMALIZE_WHITESPACE
    T4  urban / rural income ratio  1.684  1.647  < 1.900  yes  -
    >>> print(next(line for line in lines if "net fiscal cost" in line).strip())
    net fiscal cost vs the status quo (+: costs the budget)        21.58 bn
    """
    _check_results("summary_text", result, baseline)
    _check_heading("summary_text", heading)
    lines = [plain_text(heading), ""]
    lines.append(
        f"Plan targets for 2025, evaluated on {result.scenario.year} policy "
        f"(band basis: {result.band_basis})"
    )
    other = _other_year(result, baseline)
    if other:
        lines.append(other)
    if income_year := _income_year(result):
        lines.append(income_year)
    if reference := _reference_note(baseline):
        lines.append(reference)
    table = _target_table(result, baseline, gdp, labour_compensation, "summary_text")
    lines.append(format_target_table(table))
    # T6 reads "NO" on the default baseline, whose urban share is the survey's:
    # the table has no room for the note that says so.
    lines.append(f"T6 {table.at['T6', 'note']}")
    # T1 on the census urban basis reads 3–4 % high: its note, as T6's.
    if CENSUS_MEAN_NOTE in str(table.at["T1", "note"]):
        lines.append(f"T1 {CENSUS_MEAN_NOTE}")
    cities = cities_note(set(result.city_per_capita.index))
    if cities and not pd.isna(table.at["T5", "value"]):
        lines.append(f"T5 {cities}")
    # A target of one year without a value (T4 of an all-urban population) read
    # "n/a" here with its reason in report.md only.
    lines += [
        f"{tid} {table.at[tid, 'note']}"
        for tid in ("T1", "T2", "T3", "T4", "T5")
        if pd.isna(table.at[tid, "value"]) and table.at[tid, "note"]
    ]
    lines.append("")
    gini = f"Gini of per-capita disposable income (persons): {gini_text(result)}"
    if baseline is not None:
        gini += f"  ({_reference_name(baseline)} {gini_text(baseline)})"
    lines.append(gini + "  -- no numeric target in the plan")
    lines.append("")
    lines.append("Fiscal totals, yuan per year (bn = 1e9)")
    lines += _fiscal_lines(result, baseline)
    for weak, title in (
        (
            weak_values_table(result),
            "Policy values used that are derived (C) or unverified (R); full "
            "sources in report.md:",
        ),
        (
            _status_quo_weak(result, baseline),
            f"and by the {_reference_name(baseline)} it is compared with (its column "
            "and the net fiscal cost rest on them):",
        ),
    ):
        if len(weak):
            lines += ["", title, *weak_lines(weak)]
    undefined = getattr(result, "undefined", {}) or {}
    if undefined:
        lines.append("")
        lines.append("Undefined indicators:")
        lines += [f"  {k}: {why}" for k, why in undefined.items()]
    return "\n".join(lines)


def _targets_markdown(table: pd.DataFrame) -> str:
    header, rows = _target_rows(table)
    notes = table["note"].fillna("").astype(str).tolist()
    frame = pd.DataFrame(
        [[*r[1:], n] for r, n in zip(rows, notes, strict=True)],
        index=pd.Index([r[0] for r in rows], name="id"),
        columns=[*header[1:], "note"],
    )
    return markdown_table(frame)


def _empty_rows_note(empty: pd.Index) -> str:
    """Why the winners table has no row for groups without persons, or ""."""
    deciles = [str(e) for e in empty if str(e).startswith("decile")]
    areas = [str(e) for e in empty if not str(e).startswith("decile")]
    note = ""
    if areas:
        note += f" No row for {', '.join(areas)}: the population has no persons there."
    if deciles:
        # A household's persons share one decile: one of large weight fills
        # several, and the deciles it spans past its own have nobody.
        note += (
            f" No row for {', '.join(deciles)}: no household's persons rank there "
            "(a household of large weight spans several deciles and is counted in "
            "one)."
        )
    return note


def _share_text(share: float) -> str:
    """A share to three decimals, never 0.000 or 1.000 when it is not exactly so.

    A cut of the minimum wage made 2.1e-5 of the persons lose: "0.000" read as
    no loser at all.
    """
    if not math.isfinite(share):
        return ""
    text = f"{share:.3f}"
    if text == "0.000" and share > 0.0:
        return "<0.001"
    if text == "1.000" and share < 1.0:
        return ">0.999"
    return text


def _change_text(change: float) -> str:
    """A change in yuan: to the yuan, to the fen up to half a yuan, else 1.0e-03.

    ",.0f" wrote "-0" for a loss of a few fen a person (and "0" for 0.5, which
    it rounds to even).
    """
    if not math.isfinite(change):
        return ""
    if change == 0.0:
        return "0"
    if abs(change) < 0.005:
        return f"{change:.1e}"
    if abs(change) <= 0.5:
        return f"{change:.2f}"
    return f"{change:,.0f}"


def _winners_text(table: pd.DataFrame) -> pd.DataFrame:
    """The winners table as text for the report (:func:`_share_text`)."""
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        show = _change_text if column == "mean_change" else _share_text
        out[column] = [show(float(v)) for v in table[column]]
    return out


def _winners_file(table: pd.DataFrame) -> pd.DataFrame:
    """winners_losers.csv: the table in full, its mean change's unit said."""
    return table.rename(columns={"mean_change": "mean_change_yuan_per_person"})


def markdown_report(
    result: Result,
    *,
    heading: str,
    baseline: Result | None = None,
    figures: Sequence[str] = (),
    command: str | None = None,
    gdp: float | None = None,
    labour_compensation: float | None = None,
    warnings: Sequence[str] = (),
) -> str:
    """Write the Markdown report of a run, with provenance.

    Parameters
    ----------
    result : Result
        The scenario's result.
    heading : str
        What was simulated on which population.
    baseline : Result, optional
        The status quo on the same population (or another scenario's result on
        it, named "reference" when it is not a status quo).
    figures : sequence of str
        File names of figures (relative to the report): PNG and SVG are
        embedded, others (PDF) linked.
    command : str, optional
        The command line that produced the report.
    gdp, labour_compensation : float, optional
        For T7.
    warnings : sequence of str
        Warnings given while the run was made (a unit slip, a projection's
        caveat), listed under the command: the report travels without the
        terminal.

    Returns
    -------
    str
        Sections: warnings (if any), targets, indicators, fiscal totals,
        deciles, figures, and provenance (library and data versions, population
        source, policy year, band basis, Gini method, the C/R-graded values with
        full sources, and the full scenario as TOML). No timestamps: the same
        run gives the same text.

    Examples
    --------
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> md = report.markdown_report(after, heading="dibao 1,300", baseline=before)
    >>> md.splitlines()[0]
    '# commonprosperity report: dibao 1,300'
    >>> [line for line in md.splitlines() if line.startswith("## ")][:2]
    ['## Plan targets for 2025', '## Indicators']

    No timestamps: the same run gives the same text.

    >>> md == report.markdown_report(after, heading="dibao 1,300", baseline=before)
    True
    """
    return _markdown_report(
        result,
        heading=heading,
        baseline=baseline,
        figures=figures,
        command=command,
        gdp=gdp,
        labour_compensation=labour_compensation,
        warnings=warnings,
    )


def _markdown_report(
    result: Result,
    *,
    heading: str,
    baseline: Result | None,
    figures: Sequence[str],
    command: str | None,
    gdp: float | None,
    labour_compensation: float | None,
    warnings: Sequence[str],
    winners: pd.DataFrame | None = None,
) -> str:
    """:func:`markdown_report`, given ``baseline.winners_losers(result)`` if known.

    ``write_run`` writes the table to a file too: computed once (a sort of every
    person's income) instead of twice.
    """
    _check_results("markdown_report", result, baseline)
    _check_heading("markdown_report", heading)
    check_text(command, "command", "markdown_report")
    said = warnings_markdown(warnings, "markdown_report")
    if isinstance(figures, str | Path):
        figures = [str(figures)]  # one file, not one image per character
    if not isinstance(figures, Sequence) or not all(
        isinstance(f, str | Path) for f in figures
    ):
        raise ArgumentTypeError(
            "markdown_report: figures must be a sequence of file names (str or "
            f"pathlib.Path); got {quoted(figures)}"
        )
    p = result.provenance
    other = _other_year(result, baseline)
    out = [f"{RUN_HEADING}{markdown_text(heading)}", ""]
    if command:
        out += ["Produced by:", "", *code_block(command), ""]
    out += [
        "Numbers here are rounded for reading (more figures near a target's "
        "bound); a run writes indicators.csv, targets.csv, fiscal.csv, "
        "deciles.csv and, beside a reference, winners_losers.csv next to this "
        "report with them in full.",
        "",
    ]
    out += said
    out += [
        "## Plan targets for 2025",
        "",
        f"Evaluated on {result.scenario.year} policy; band basis "
        f"`{result.band_basis}`. `gap` > 0 means not yet met (in the target's unit; "
        f"pp = percentage points). Targets: {PLAN_SOURCE_ZH} ({PLAN_SOURCE})."
        + (f" {other}" if other else "")
        + (f" {income_year}" if (income_year := _income_year(result)) else "")
        + (f" {note}" if (note := _reference_note(baseline)) else ""),
        "",
        _targets_markdown(
            _target_table(result, baseline, gdp, labour_compensation, "markdown_report")
        ),
        "",
        "Gini of per-capita disposable income over persons: "
        + gini_text(result, bold=True)
        + (f" ({_reference_name(baseline)} {gini_text(baseline)})" if baseline else "")
        + "; the plan sets no numeric target for it.",
        "",
    ]
    ind = indicator_table(result, baseline)
    shown = ind.copy()
    # The Gini to 4 decimals as the headline and the CSV give it (a change of
    # -0.0032 stood beside levels shown 0.345 and 0.348).
    extra = [1 if k.startswith("gini") else 0 for k in ind.index]
    units = [INDICATOR_UNITS.get(k, "") for k in ind.index]
    for col in [
        c for c in ("value", "status_quo", "reference", "change") if c in shown.columns
    ]:
        shown[col] = [
            _change(v, u) if col == "change" else _fmt(v, u, e)
            for v, u, e in zip(ind[col], units, extra, strict=True)
        ]
    out += ["## Indicators", "", markdown_table(shown), ""]
    cities = result.city_per_capita
    if len(cities):
        # The values the cities figure draws (T5 is their highest ÷ lowest).
        table = pd.DataFrame({"value": cities})
        if baseline is not None:
            table[_reference_column(baseline)] = baseline.city_per_capita.reindex(
                cities.index
            )
        table.index = [f"{c} ({_city_en(c)})" for c in cities.index]
        out += [
            "## Per-capita disposable income by city (yuan per person per year)",
            "",
            markdown_table(table, formats={c: ",.0f" for c in table.columns}),
            "",
        ]
    fiscal = fiscal_table(result, baseline)
    counts = fiscal.loc[[i for i in fiscal.index if i.endswith("_households")]]
    # As the terminal summary (small totals in three figures, not "0.00").
    fiscal = _in_billions(fiscal.drop(counts.index))
    out += [
        "## Fiscal totals (billion yuan per year)",
        "",
        markdown_table(fiscal),
        "",
        "net_revenue = income tax + social insurance fund contributions − "
        "transfers (the housing fund is the employees' own savings, not revenue)"
        + (
            f"; net_fiscal_cost = {_reference_name(baseline)}'s net revenue − "
            "scenario net revenue (positive: the scenario costs the budget)."
            if baseline is not None
            else "."
        ),
        "",
    ]
    for item, row in counts.iterrows():
        what = _COUNT_LABELS.get(
            item, f"{item.replace('_', ' ')} (households represented)"
        )
        line = f"{what}: {row['value']:,.0f}"
        if baseline is not None:
            ref = row[_reference_column(baseline)]
            line += f" ({_reference_name(baseline)} {ref:,.0f})"
        out += [line, ""]
    if baseline is not None:
        wl = getattr(baseline, "winners_losers", None)
        if callable(wl):
            table = wl(result) if winners is None else winners
            if table is not None:
                # A group without persons (the rural ones of an urban survey) is
                # all NaN: a blank row read as a rendering failure.
                empty = table.index[table.isna().all(axis=1)]
                table = table.drop(index=empty)
                out += [
                    "## Who gains and who loses (persons, change > 1 %; "
                    "mean change in yuan per person per year)",
                    "",
                    "Deciles of persons ranked by their per-capita income under "
                    f"the {_reference_name(baseline)}: the same persons in both."
                    + _empty_rows_note(empty),
                    "",
                    markdown_table(_winners_text(table)),
                    "",
                ]
    dec = deciles(result)
    out += [
        "## Deciles of per-capita disposable income",
        "",
        # The title gave every column "yuan per person per year", the share of
        # persons and the households represented too.
        "Persons ranked by their per-capita disposable income under the scenario"
        + (
            f" (not under the {_reference_name(baseline)}, as in the table above: a "
            "decile here holds other persons)"
            if baseline is not None
            else ""
        )
        + ". population_share: share of persons; households: households "
        "represented; the other columns: yuan per person per year.",
        "",
        markdown_table(
            dec, formats={c: (",.4f" if "share" in c else ",.0f") for c in dec.columns}
        ),
        "",
    ]
    if figures:
        out += ["## Figures", ""]
        out += [figure_markdown(f) for f in figures]
        out.append("")
    out += [
        "## Provenance",
        "",
        f"- library version: {p.get('library_version')}",
        f"- data version (hash of the shipped policy data): {p.get('data_version')}",
        f"- population: {markdown_text(p.get('population_source') or 'unknown')} "
        f"(income year {p.get('population_year') or 'unknown'})",
        f"- policy year: {p.get('policy_year', result.scenario.year)}",
        f"- band basis: {result.band_basis}; Gini method: {result.gini_method}",
        *_national_accounts_line(gdp, labour_compensation),
        "- household records (sample households, unweighted) with negative "
        "disposable income: "
        f"{p.get('households_with_negative_disposable_income', 'n/a')}",
        "",
    ]
    weak = weak_values_table(result)
    if len(weak):
        out += [
            "### Policy values graded C (derived) or R (unverified) used by this run",
            "",
            weak_markdown(weak),
            "",
        ]
    status_quo_weak = _status_quo_weak(result, baseline)
    if len(status_quo_weak):
        out += [
            f"### Further C or R values used by the {_reference_name(baseline)} it "
            "is compared with",
            "",
            "Its column and the net fiscal cost rest on these too.",
            "",
            weak_markdown(status_quo_weak),
            "",
        ]
    if result.undefined:
        out += ["### Undefined indicators", ""]
        out += [f"- `{k}`: {why}" for k, why in result.undefined.items()]
        out.append("")
    out += toml_section("### Scenario (every field)", result.scenario)
    if baseline is not None and _reference_name(baseline) != "status quo":
        out += toml_section(
            "### Reference scenario compared with (every field)", baseline.scenario
        )
    return "\n".join(out)


# -------------------------------------------------------------------- write
def write_run(
    result: Result,
    out_dir: str | Path,
    *,
    heading: str,
    baseline: Result | None = None,
    command: str | None = None,
    formats: Sequence[str] = ("png", "svg"),
    gdp: float | None = None,
    labour_compensation: float | None = None,
    label: str | None = None,
    warnings: Sequence[str] = (),
) -> list[Path]:
    """Write the tables, figures and ``report.md`` of a run into ``out_dir``.

    Parameters
    ----------
    result : Result
        The scenario's result.
    out_dir : str or pathlib.Path
        Directory; created (with parents) if needed. The files are written to a
        scratch folder and moved in at the end, so a failure or an interrupt
        leaves it as it was.
    heading : str
        What was simulated on which population.
    baseline : Result, optional
        The status quo on the same population, or another scenario's result on it
        named "reference" (comparison columns, Lorenz curves of
        both).
    command : str, optional
        The command line, quoted in the report.
    formats : sequence of str, default ("png", "svg")
        Figure formats: png, svg, pdf; an empty sequence writes no figures.
    gdp, labour_compensation : float, optional
        For T7.
    label : str, optional
        Short name of the scenario in figure titles and legends (default
        "YEAR policy").
    warnings : sequence of str
        Warnings given while the run was made, listed in ``report.md``.

    Returns
    -------
    list of pathlib.Path
        Every file written: ``indicators.csv``, ``targets.csv``, ``fiscal.csv``,
        ``deciles.csv``, ``winners_losers.csv`` (with a ``baseline``), ``lorenz``,
        ``income_distribution``, ``dashboard`` and ``cities`` figures,
        ``report.md``.

    Raises
    ------
    TypeError
        If ``result`` or ``baseline`` is not a Result, or ``heading`` not a str.
    ValueError
        If a format is not png, svg or pdf (checked before anything is made).
    FileExistsError, NotADirectoryError
        If ``out_dir``, or one of its ancestors, is a file (or ``out_dir`` a
        broken symbolic link).
    PermissionError
        If ``out_dir``, or the folder it would be created in, is not writable.

    Examples
    --------
    >>> import tempfile
    >>> from commonprosperity import Scenario, report, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = report.write_run(
    ...         after, tmp, heading="dibao 1,300", baseline=before, formats=["svg"]
    ...     )
    ...     names = sorted(path.name for path in files)
    >>> names  # doctest: +NORMALIZE_WHITESPACE
    ['cities.svg', 'dashboard.svg', 'deciles.csv', 'fiscal.csv',
     'income_distribution.svg', 'indicators.csv', 'lorenz.svg', 'report.md',
     'targets.csv', 'winners_losers.csv']
    """
    from commonprosperity import plots

    _check_results("write_run", result, baseline)
    _check_heading("write_run", heading)
    check_text(command, "command", "write_run")
    check_text(label, "label", "write_run")
    warnings_markdown(warnings, "write_run")
    # Checked before the tables and figures are made, not at the first save.
    formats = check_formats(formats, "write_run")
    out = output_folder(out_dir, "write_run")
    written: list[Path] = []
    # Every file goes to a scratch folder first: a failure or Ctrl-C part-way
    # leaves ``out`` as it was instead of half a report.
    with (
        staged_directory(out, OUTPUTS) as stage,
        recording_warnings(warnings) as said,
    ):

        def csv(frame: pd.DataFrame, name: str) -> None:
            path = stage / name
            frame.to_csv(path)
            written.append(path)

        csv(indicator_table(result, baseline), "indicators.csv")
        targets = _target_table(result, baseline, gdp, labour_compensation, "write_run")
        # Each target beside its source, as every published figure.
        csv(targets.assign(source=PLAN_SOURCE), "targets.csv")
        fiscal = fiscal_table(result, baseline)
        # One column of units, as indicators.csv: the table mixes a count with yuan.
        fiscal["unit"] = [
            "households" if i.endswith("_households") else "yuan per year"
            for i in fiscal.index
        ]
        csv(fiscal, "fiscal.csv")
        # The file's columns say what they are per: the means are per person
        # (yuan per year, the library's unit), the households a count.
        csv(deciles(result).rename(columns=_DECILE_FILE_COLUMNS), "deciles.csv")
        winners = None
        if baseline is not None:
            winners = baseline.winners_losers(result)
            csv(_winners_file(winners), "winners_losers.csv")

        year = result.scenario.year
        label = label or f"{year} policy"
        if baseline is not None:
            reference = f"{_reference_name(baseline)} {baseline.scenario.year}"
            if label == reference:
                # A scenario file named like the status quo: one key would
                # overwrite the other and the figure lose a curve.
                label = f"{label} (scenario file)"
            curves = {reference: baseline, label: result}
            gross = None
        else:
            curves = {f"disposable income, {label}": result}
            gross = "gross income incl. pensions, before taxes and transfers"
        # None drawn for no format: drawing them took most of such a run.
        figures = {}
        if formats:
            figures["dashboard"] = plots.target_dashboard(
                result, gdp=gdp, labour_compensation=labour_compensation, label=label
            )
            figures["lorenz"] = plots.lorenz_curves(curves, gross=gross)
            figures["income_distribution"] = plots.income_distribution(
                result, label=label
            )
            if len(result.city_per_capita):
                figures["cities"] = plots.city_bars(result, label=label)
        shown = linked_format(formats)
        images = []
        for name, fig in figures.items():
            written += plots.save(fig, stage / name, formats)
            if shown is not None:
                images.append(f"{name}.{shown}")
        report = stage / "report.md"
        report.write_text(
            _markdown_report(
                result,
                heading=heading,
                baseline=baseline,
                figures=images,
                command=command,
                gdp=gdp,
                labour_compensation=labour_compensation,
                warnings=said(),
                winners=winners,
            ),
            encoding="utf-8",
            # A source read from a file name that is not UTF-8 (a GBK name
            # keeps its bytes as lone surrogates) failed the whole report.
            errors="backslashreplace",
        )
        written.append(report)
    return [out / p.name for p in written]


def __dir__() -> list[str]:
    return public_dir(globals())
