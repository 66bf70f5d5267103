"""The plan's 2025 income targets (T1–T10) and their evaluation.

Source: 中共浙江省委 浙江省人民政府
《浙江高质量发展建设共同富裕示范区实施方案（2021—2025年）》,
2021-06-25, section 一 (third and fourth goals).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity._validate import (
    as_float,
    finite_float,
    income_to_gdp_problem,
    is_integer,
    is_real,
    labour_share_problem,
    positive_yuan_problem,
    quoted,
)
from commonprosperity.errors import ArgumentError, ScenarioError
from commonprosperity.scenario import YEAR_RANGE

__all__ = [
    "INDICATOR_NAMES",
    "PLAN_SOURCE",
    "TARGETS",
    "Target",
    "evaluate_targets",
    "target_years",
]

#: The contract indicators of a simulation (``Result.indicators``; with
#: ``gini="bracket"`` also ``gini_lower`` and ``gini_upper``). Defined here, where
#: they are judged, and re-exported by :mod:`commonprosperity.simulate`.
INDICATOR_NAMES: tuple[str, ...] = (
    "per_capita_disposable_income",
    "urban_per_capita_disposable_income",
    "rural_per_capita_disposable_income",
    "urban_rural_ratio",
    "city_max_min_ratio",
    "band_share_100k_500k",
    "band_share_200k_600k",
    "gini",
    "urbanization_rate",
    "iit_revenue",
    "social_insurance_contributions",
    "transfer_spending",
)

#: What each indicator may be: shares are in [0, 1]; the ratios of per-capita
#: incomes are > 0 (simulate gives NaN, with the reason, where a ratio cannot be
#: formed of positive incomes). Others are any finite number.
_SHARES = ("band_share_100k_500k", "band_share_200k_600k", "urbanization_rate")
_RATIOS = ("urban_rural_ratio", "city_max_min_ratio")


def goal_value_problem(indicator: str, value: float) -> str | None:
    """Why ``value`` cannot be a goal for ``indicator`` (solve's targets), or None.

    Shares and the Gini are fractions: a goal typed in per cent ("gini <= 35",
    "T2 >= 80") is met by every scenario or by none, and solve answered with
    its lower bound or blamed the lever.
    """
    if indicator in (*_SHARES, "gini") and not 0.0 <= value <= 1.0:
        return (
            f"{indicator} is a fraction from 0 to 1 (0.8 = 80 %), so a goal of "
            f"{value:g} is met by every scenario or by none"
        )
    if indicator in _RATIOS and not value > 0.0:
        return f"{indicator} is a ratio of incomes (> 0); got {value:g}"
    return None


#: The targets' source, in English (figures' fonts have no CJK glyphs).
PLAN_SOURCE = (
    "Zhejiang High-Quality Development and Common Prosperity Demonstration Zone "
    "Implementation Plan (2021–2025), CPC Zhejiang Provincial Committee and "
    "Zhejiang Provincial Government, 25 June 2021"
)
#: The same in its own words, for text that can show them (report.md).
PLAN_SOURCE_ZH = (
    "中共浙江省委 浙江省人民政府《浙江高质量发展建设共同富裕示范区实施方案"
    "（2021—2025年）》, 2021-06-25, 一、主要目标"
)


@dataclass(frozen=True)
class Target:
    """One plan target: the indicator, the bound and how it is compared.

    ``unit`` is the short name the formats are keyed by (``"yuan"``, ``"share"``,
    ``"ratio"``, ``"ratio change"``); the frames and files of targets state it in
    full where it is per something (T1: ``UNIT_TEXT["yuan"]``, "yuan per person
    per year").
    """

    id: str
    indicator: str
    description: str
    target: float
    comparison: str  # ">=", ">" or "<"
    unit: str


#: A target's unit as the frames and files of targets state it, where its short
#: name (``Target.unit``, the formatting key) leaves out what it is per.
UNIT_TEXT = MappingProxyType({"yuan": "yuan per person per year"})

TARGETS: tuple[Target, ...] = (
    Target(
        "T1",
        "per_capita_disposable_income",
        "per-capita disposable income of residents",
        75_000.0,
        ">=",
        "yuan",
    ),
    Target(
        "T2",
        "band_share_100k_500k",
        "share of households with annual disposable income 100k–500k",
        0.80,
        ">=",
        "share",
    ),
    Target(
        "T3",
        "band_share_200k_600k",
        "share of households with annual disposable income 200k–600k (stretch)",
        0.45,
        ">=",
        "share",
    ),
    Target(
        "T4",
        "urban_rural_ratio",
        "urban / rural per-capita disposable income",
        1.9,
        "<",
        "ratio",
    ),
    Target(
        "T5",
        "city_max_min_ratio",
        "highest / lowest prefecture-city per-capita disposable income",
        1.55,
        "<",
        "ratio",
    ),
    Target(
        "T6",
        "urbanization_rate",
        "urbanisation rate of the resident population",
        0.75,
        ">=",
        "share",
    ),
    Target(
        "T7",
        "labour_share_of_gdp",
        "labour remuneration as a share of GDP",
        0.50,
        ">",
        "share",
    ),
    Target(
        "T8",
        "dibao_growth_over_income_growth",
        "dibao standard growth ÷ per-capita income growth",
        1.0,
        ">=",
        "ratio",
    ),
    Target(
        "T9",
        "top_bottom_quintile_ratio_change",
        "change of the top/bottom-20 % income ratio inside urban and inside rural "
        "residents (largest of the two)",
        0.0,
        "<",
        "ratio change",
    ),
    Target(
        "T10",
        "income_to_gdp_per_capita_change",
        "change of per-capita disposable income ÷ per-capita GDP",
        0.0,
        ">",
        "ratio change",
    ),
)

_TREND_NOTE = "trend target: needs a multi-year path (simulate_path)"


#: Distance from a target's bound within which a value counts as on it, relative
#: to the bound (absolute for bounds below 1 in magnitude: the trend targets'
#: bound is 0). Indicators are ratios of weighted sums whose last digits depend
#: on the weights' scale (three households at exactly 75,000 yuan with weight 0.1
#: averaged 74,999.99999999999): without it a population exactly on a bound was
#: met or not by rounding, a strict target (T4 "< 1.9") met at
#: 1.8999999999999997, and unchanged quintile ratios "narrowed" by 9e-15 (T9).
BOUND_TOLERANCE = 1e-12


def on_bound(value: Any, bound: float, tolerance: float = BOUND_TOLERANCE) -> Any:
    """``value`` (a number or an array), snapped to ``bound`` where within rounding.

    Within ``tolerance`` (relative to the bound, absolute below 1) of the bound it
    is replaced by it; NaN stays NaN.
    """
    value = np.asarray(value, dtype=float)
    near = np.abs(value - bound) <= tolerance * max(abs(bound), 1.0)
    value = np.where(near, bound, value)
    return float(value) if value.ndim == 0 else value


#: The comparisons of targets and of conditions such as "gini <= 0.35".
_COMPARE = {"<=": np.less_equal, ">=": np.greater_equal, "<": np.less, ">": np.greater}


def unbounded_gaps(
    indicators: Mapping[str, Any], city_per_capita: Any = ()
) -> dict[str, tuple[bool, str]]:
    """Verdicts of T4 and T5 whose ratio is undefined but whose gap is unbounded.

    Urban per-capita income positive over a rural one that is not (or so close
    to 0 that the ratio overflows) is no ratio, but it is no gap below 1.9
    either: T4 is not met, rather than not judged. The same for T5 with the
    highest and lowest of ``city_per_capita`` (the cities' per-capita incomes).
    Neither income positive, or an area without households, stays not judged.
    """
    out: dict[str, tuple[bool, str]] = {}

    def unbounded(high: float, low: float) -> bool:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            # NaN (an area or city without households) is neither: not judged.
            return bool(
                high > 0 and (low <= 0 or (low > 0 and not np.isfinite(high / low)))
            )

    urban = _as_number(indicators.get("urban_per_capita_disposable_income"))
    rural = _as_number(indicators.get("rural_per_capita_disposable_income"))
    if unbounded(urban, rural):
        out["T4"] = (
            False,
            "rural per-capita income is not positive (or next to 0) while urban "
            "is: no finite ratio, the gap is unbounded",
        )
    cities = [float(v) for v in city_per_capita]
    if len(cities) >= 2 and unbounded(max(cities), min(cities)):
        out["T5"] = (
            False,
            "a city's per-capita income is not positive (or next to 0) while "
            "another's is: no finite ratio, the gap is unbounded",
        )
    return out


def _as_number(value: Any) -> float:
    """``value`` as a float, NaN if it is none."""
    return float(value) if is_real(value) else float("nan")


def meets(
    value: Any, comparison: str, bound: float, tolerance: float = BOUND_TOLERANCE
) -> Any:
    """Whether ``value`` (a number or an array) meets ``comparison bound``.

    A value within ``tolerance`` of the bound counts as on it; NaN never meets.
    The one judgement of every path (targets, sweep columns, ``solve``,
    ``cheapest``, the figures), so that they agree on a bound; ``solve`` searches
    with a tighter tolerance (see there).
    """
    with np.errstate(invalid="ignore"):
        return _COMPARE[comparison](on_bound(value, bound, tolerance), bound)


def _met(value: Any, target: Target) -> tuple[Any, Any]:
    """``(met, gap)`` of a value (or an array of them) against a target."""
    bound = target.target
    value = on_bound(value, bound)
    with np.errstate(invalid="ignore"):
        met = _COMPARE[target.comparison](value, bound)
    met = bool(met) if np.ndim(met) == 0 else met
    if target.comparison in (">=", ">"):
        return met, bound - value
    return met, value - bound


#: The plan's targets by id (T1-T10).
TARGET_BY_ID: Mapping[str, Target] = MappingProxyType({t.id: t for t in TARGETS})


def _as_checked_number(value: Any) -> Any:
    """A Decimal as a float and an integer beyond the floats as ±inf; else as is.

    The checks below then judge them as numbers: a Decimal was "not a number",
    10**400 a bare OverflowError.
    """
    number = as_float(value)
    if number is not None and (
        isinstance(value, decimal.Decimal) or (math.isinf(number) and is_integer(value))
    ):
        return number
    return value


def evaluate_targets(
    indicators: Mapping[str, float] | pd.Series,
    *,
    residents: float | None = None,
    gdp: float | None = None,
    labour_compensation: float | None = None,
    trends: Mapping[str, float] | None = None,
    undefined: Mapping[str, str] | None = None,
    verdicts: Mapping[str, tuple[bool, str]] | None = None,
) -> pd.DataFrame:
    """Evaluate the plan's targets T1–T10 against a set of indicators.

    Parameters
    ----------
    indicators : mapping of str to float
        Indicator values by their contract names (a ``Result.indicators``).
    residents : float, optional
        Residents represented (Σ weight × size), for per-capita GDP.
    gdp : float, optional
        Gross domestic product of the year, yuan (from national accounts).
    labour_compensation : float, optional
        Labour remuneration (劳动者报酬) of the year, yuan (national accounts, not
        household wages).
    trends : mapping of str to float, optional
        Values of the trend targets from a multi-year path, keyed by T8, T9, T10
        (no other key).
    undefined : mapping of str to str, optional
        Why an indicator is NaN; quoted in the note.
    verdicts : mapping of str to (bool, str), optional
        Targets judged without a value, keyed by id: ``(met, note)``. For T8 in a
        year when per-capita income did not grow, the growth ratio is undefined
        but "dibao growth not below income growth" can still be judged; for T5
        with a city's per-capita income not positive while another's is, the
        gap is unbounded (not met).

    Returns
    -------
    pandas.DataFrame
        Indexed T1–T10 (index name ``target_id``) with columns ``indicator,
        value, target, comparison, met, gap, note``, then ``description`` and
        ``unit`` (the unit of ``value``, ``target`` and ``gap``).
        ``gap`` > 0 means not yet met, in the target's unit (a value
        exactly on the bound of a strict target, T4, T5 or T7, has gap 0 and is
        not met; a value within ``BOUND_TOLERANCE`` = 1e-12 of a bound,
        relative to it or absolute for bounds below 1 such as the trend
        targets' 0, counts as on it, so that rounding in the weighted sums does
        not decide a verdict); ``met`` is a nullable boolean, NA where the
        needed input is absent. T4 is not met, with no value, where urban
        per-capita income is positive and rural is not (or next to 0): the gap
        is unbounded (:func:`unbounded_gaps`); T5's like verdict needs the
        cities' incomes, which ``indicators`` lacks: pass it in ``verdicts``
        (``Result.targets`` does).

    Raises
    ------
    ScenarioError
        If ``indicators`` is not a mapping, one of its keys is not an indicator
        name (``INDICATOR_NAMES``, ``gini_lower``, ``gini_upper``) or one of its
        values is not a number, is infinite, a share outside [0, 1] or a ratio of
        per-capita incomes not > 0; if ``residents`` is given but is not a finite
        number > 0; if a target is given both a trend and a verdict; if a key
        of ``trends`` is not T8, T9 or T10 or its value is not a number,
        a key of ``verdicts`` is not a target id, or ``gdp`` or
        ``labour_compensation`` is given but is not a finite number > 0, or
        ``labour_compensation`` is given without ``gdp``, or labour compensation
        exceeds GDP or is below 1 % of it (the two in different units, e.g. GDP
        in 亿元), as :func:`commonprosperity.simulate_path` checks them; or, when
        ``trends`` holds T10, per-capita income is no plausible multiple of GDP
        per resident (with ``residents``). Without a T10 trend such a ratio
        (GDP in 亿元, or a sample weighted to itself) is only left out of T10's
        note, with the reason.

    Examples
    --------
    >>> t = evaluate_targets({"per_capita_disposable_income": 70_000.0})
    >>> bool(t.loc["T1", "met"]), float(t.loc["T1", "gap"])
    (False, 5000.0)
    """
    if not isinstance(indicators, Mapping | pd.Series):
        raise ScenarioError(
            "evaluate_targets: indicators must be a mapping of indicator names to "
            f"numbers (a Result.indicators); got {type(indicators).__name__}"
        )
    indicators = {k: _as_checked_number(v) for k, v in indicators.items()}
    for name, given in (
        ("trends", trends),
        ("undefined", undefined),
        ("verdicts", verdicts),
    ):
        if given is not None and not isinstance(given, Mapping):
            # dict(x or {}): True raised a bare TypeError, "" or 0 was nothing.
            raise ScenarioError(
                f"evaluate_targets: {name} must be a mapping keyed by "
                f"{'indicator' if name == 'undefined' else 'target id'}; got "
                f"{type(given).__name__}"
            )
    if residents is not None:
        number = finite_float(residents)
        if number is None or not number > 0:
            raise ScenarioError(
                "evaluate_targets: residents (Σ weight × household size) must be "
                f"a finite number > 0; got {quoted(residents)}"
            )
        residents = number
    problems = [
        p
        for name, v in (("gdp", gdp), ("labour_compensation", labour_compensation))
        if v is not None and (p := positive_yuan_problem(name, v))
    ]
    if not problems:
        # As floats from here: a Fraction met np.isnan further on.
        gdp = None if gdp is None else float(gdp)
        if labour_compensation is not None:
            labour_compensation = float(labour_compensation)
    if labour_compensation is not None and gdp is None:
        # T7 is their ratio: labour compensation alone was ignored (T7 read NA).
        problems.append(
            "labour_compensation is given but gdp is not (T7 is labour "
            "compensation ÷ GDP: give both, or neither)"
        )
    if gdp is not None and labour_compensation is None and residents is None:
        # Nothing reads GDP alone: the table came out as without it.
        problems.append(
            "gdp is given but neither labour_compensation (T7 is labour "
            "compensation ÷ GDP) nor residents (T10's note, GDP per resident) is; "
            "give one of them too, or leave gdp out"
        )
    if not problems and gdp is not None and labour_compensation is not None:
        problems += filter(None, [labour_share_problem(gdp, labour_compensation)])
    income = indicators.get("per_capita_disposable_income")
    gdp_ratio_problem = None
    if not problems and gdp is not None and residents and is_real(income):
        # GDP of 1 yuan (units mixed up) put a ratio of 4e12 in T10's note.
        gdp_ratio_problem = income_to_gdp_problem(
            "gdp", gdp, residents, float(cast("float", income))
        )
        # Only T10 reads GDP per resident. Judged from it (a trend), a wrong
        # ratio is an error; otherwise it only stays out of T10's note, so that
        # T7 (population-free) can be judged on a sample weighted to itself.
        if gdp_ratio_problem and trends and "T10" in trends:
            problems.append(gdp_ratio_problem)
    if problems:
        # GDP 0 divided by zero in T10's note; a negative or NaN one gave a
        # meaningless ratio or an unexplained NA.
        raise ScenarioError("evaluate_targets: " + "; ".join(problems))
    trends = {k: _as_checked_number(v) for k, v in dict(trends or {}).items()}
    undefined = dict(undefined or {})
    verdicts = dict(verdicts or {})
    known = (*INDICATOR_NAMES, "gini_lower", "gini_upper")
    # A misspelt indicator read "indicator not available"; a share of 1.7 or a
    # ratio of -1 was judged (met).
    bad = [
        f"indicators[{k!r}]: not an indicator; allowed: {', '.join(known)}"
        for k in indicators.keys()  # noqa: SIM118 - a Series iterates values
        if k not in known
    ]
    for k, v in indicators.items():
        if k in _SHARES + _RATIOS and is_real(v) and math.isfinite(float(v)):
            x = float(v)
            if k in _SHARES and not -BOUND_TOLERANCE <= x <= 1 + BOUND_TOLERANCE:
                bad.append(f"indicators[{k!r}] is a share in [0, 1]; got {quoted(x)}")
            elif k in _RATIOS and not x > 0:
                bad.append(
                    f"indicators[{k!r}] is a ratio of positive per-capita incomes, "
                    f"> 0 (NaN when undefined); got {quoted(x)}"
                )
    # A verdict is for a target judged without a value: beside T1's value it
    # replaced it (T1 "met" at 39,669 yuan, the value dropped).
    by_id = {t.id: t for t in TARGETS}
    bad += [
        f"verdicts[{k!r}]: {k} has a value (indicators[{by_id[k].indicator!r}] = "
        f"{float(indicators[by_id[k].indicator]):.6g}), judged against its target; "
        "a verdict is for a target judged without a value"
        for k in verdicts
        if k in by_id
        and by_id[k].indicator in indicators
        and is_real(indicators[by_id[k].indicator])
        and math.isfinite(float(indicators[by_id[k].indicator]))
    ]
    bad += [
        f"undefined[{k!r}]: not an indicator; allowed: {', '.join(known)}"
        for k in undefined
        if k not in known
    ]
    both = sorted(set(trends) & set(verdicts))
    if both:
        # The verdict won and the trend's value vanished.
        bad.append(
            f"{', '.join(both)}: given both a trend value and a verdict; give one"
        )
    # A raw TypeError or IndexError named nothing.
    bad += [
        f"verdicts[{k!r}] must be a (met: bool, note: str) pair; got {quoted(v)}"
        for k, v in verdicts.items()
        if not (
            isinstance(v, tuple)
            and len(v) == 2
            and isinstance(v[0], bool | np.bool_)
            and isinstance(v[1], str)
        )
    ]
    # A misspelt or non-trend key was silently ignored (the target read NA).
    trend_ids = ("T8", "T9", "T10")
    for name, given, allowed, what in (
        ("trends", trends, trend_ids, "a trend target"),
        ("verdicts", verdicts, tuple(t.id for t in TARGETS), "a target id"),
    ):
        bad += [
            f"{name}[{k!r}]: not {what}; allowed: {', '.join(allowed)}"
            for k in given
            if k not in allowed
        ]
    bad += [
        f"trends[{k!r}] must be a number; got {quoted(v)}"
        for k, v in trends.items()
        if k in trend_ids and not is_real(v)
    ]
    bad += [
        f"indicators[{k!r}] must be a number (NaN when undefined); got {quoted(v)}"
        for k, v in indicators.items()
        if not is_real(v)
    ]
    # No indicator is infinite (simulate gives NaN for a ratio it cannot
    # form): T1 = inf read "met".
    bad += [
        f"indicators[{k!r}] must be finite (NaN when undefined); got {float(v)!r}"
        for k, v in indicators.items()
        if is_real(v) and math.isinf(float(v))
    ]
    bad += [
        f"trends[{k!r}] must be finite (NaN when undefined); got {float(v)!r}"
        for k, v in trends.items()
        if k in trend_ids and is_real(v) and math.isinf(float(v))
    ]
    if bad:
        raise ScenarioError("evaluate_targets: " + "; ".join(bad))
    # T4 from the urban and rural incomes given (T5 needs the cities': the
    # caller's verdicts, as Result.targets gives).
    for tid, verdict in unbounded_gaps(indicators).items():
        if not math.isfinite(_as_number(indicators.get(TARGET_BY_ID[tid].indicator))):
            verdicts.setdefault(tid, verdict)
    rows = []
    for t in TARGETS:
        note = ""
        value = float("nan")
        if t.id in verdicts:
            note = verdicts[t.id][1]  # judged without a value
        elif t.id == "T7":
            if gdp is not None and labour_compensation is not None and gdp > 0:
                value = labour_compensation / gdp
            else:
                note = "needs gdp and labour_compensation (yuan, national accounts)"
        elif t.id in ("T8", "T9", "T10"):
            if t.id in trends:
                value = float(trends[t.id])
                if np.isnan(value):
                    # NA needs its reason, as every other NA row has one.
                    note = "trend undefined (NaN) over the path given"
            else:
                note = _TREND_NOTE
                if t.id == "T10" and gdp_ratio_problem:
                    note += f"; this year's ratio is not shown: {gdp_ratio_problem}"
                elif t.id == "T10" and gdp is not None and residents:
                    pc = indicators.get("per_capita_disposable_income", np.nan)
                    note += (
                        f"; this year's ratio of per-capita income to per-capita "
                        f"GDP is {pc / (gdp / residents):.4f}"
                    )
        else:
            value = float(indicators.get(t.indicator, np.nan))
            if np.isnan(value):
                note = undefined.get(t.indicator, "indicator not available")
        if t.id in verdicts:
            met: object = bool(verdicts[t.id][0])
            gap = float("nan")
        elif np.isnan(value):
            met = pd.NA
            gap = float("nan")
        else:
            ok, gap = _met(value, t)
            met = bool(ok)
        rows.append(
            {
                "indicator": t.indicator,
                "value": value,
                "target": t.target,
                "comparison": t.comparison,
                "met": met,
                "gap": gap,
                "note": note,
                # Beyond DESIGN.md's columns, after them: for reading the frame.
                "description": t.description,
                "unit": UNIT_TEXT.get(t.unit, t.unit),
            }
        )
    frame = pd.DataFrame(
        rows, index=pd.Index([t.id for t in TARGETS], name="target_id")
    )
    frame["met"] = frame["met"].astype("boolean")
    return frame


def verdict_column(frame: pd.DataFrame, tid: str, where: str) -> pd.Series:
    """A frame's ``{tid}_met`` column as nullable booleans (NA: not judged).

    Raises
    ------
    ArgumentError
        If the column holds other than True, False or NA (a CSV read as text):
        pandas said only "Need to pass bool-like values".
    """
    column = frame[f"{tid}_met"]
    try:
        return column.astype("boolean")
    except (TypeError, ValueError):
        raise ArgumentError(
            f"{where}: frame column {tid}_met must hold True, False or NA; got "
            f"{column.dtype} values {quoted(column.dropna().unique()[:3].tolist())}"
        ) from None


def target_years(path: pd.DataFrame) -> pd.DataFrame:
    """By when each plan target is met on a multi-year path.

    Parameters
    ----------
    path : pandas.DataFrame
        The table of :func:`commonprosperity.simulate_path`: one row per year
        (index ``year``, consecutive years) with the nullable boolean verdicts
        ``T1``–``T10`` and ``T8_since_start``.

    Returns
    -------
    pandas.DataFrame
        Indexed T1–T10 and ``T8_since_start`` (index name ``target_id``), columns:
        ``first_met`` (the first year the target is met; NA if never),
        ``met_since`` (the first year from which it is met in every year to the
        end of the path: the answer to "by when", if the path's last policy is
        kept; NA unless it is met in the last year), ``years_met`` and
        ``years_judged`` (years with a verdict; a target is not judged in a year
        whose verdict is NA, see the path's ``note`` column). A year without a
        verdict ends a run of met years: it is not known to be met.

    Raises
    ------
    ScenarioError
        If ``path`` is not such a table (a verdict column missing, not boolean, or
        years not consecutive integers, policy years 2000–2100: a path whose
        years became a column has its row positions 0, 1, ... as index).

    Examples
    --------
    >>> import pandas as pd
    >>> verdicts = {f"T{i}": [False, True, True] for i in range(1, 11)}
    >>> verdicts["T8_since_start"] = [pd.NA, True, True]
    >>> path = pd.DataFrame(verdicts, dtype="boolean", index=[2023, 2024, 2025])
    >>> target_years(path).loc["T1", ["first_met", "met_since"]].tolist()
    [2024, 2024]
    """
    ids = [*(t.id for t in TARGETS), "T8_since_start"]
    if not isinstance(path, pd.DataFrame):
        raise ScenarioError(
            "target_years: path must be the DataFrame of simulate_path; got "
            f"{type(path).__name__}"
        )
    missing = [c for c in ids if c not in path.columns]
    if missing:
        raise ScenarioError(
            f"target_years: path lacks the verdict column(s) {missing} "
            "(give the table of simulate_path)"
        )
    years = list(path.index)
    if not years or not all(is_integer(y) for y in years):
        raise ScenarioError(
            "target_years: path's index must be its years (integers); "
            f"got {quoted(years)}"
        )
    first, last = YEAR_RANGE
    low, high = int(min(years)), int(max(years))
    if not (first <= low and high <= last):
        # A path whose year became a column (reset_index, a CSV or Parquet file
        # written without its index) has the row positions 0, 1, ... as index:
        # consecutive integers, which were answered as years.
        hint = (
            "; path has a 'year' column: give path.set_index('year')"
            if "year" in path.columns
            else ""
        )
        raise ScenarioError(
            "target_years: path's index must be its years, policy years "
            f"{first}–{last}; got {low}–{high}{hint}"
        )
    if years != list(range(int(years[0]), int(years[0]) + len(years))):
        raise ScenarioError(
            f"target_years: path's years must be consecutive and increasing; got "
            f"{[int(y) for y in years]}"
        )
    rows = []
    for tid in ids:
        column = path[tid]
        if not (pd.api.types.is_bool_dtype(column) or column.isna().all()):
            raise ScenarioError(
                f"target_years: path[{tid!r}] must hold booleans (NA when not "
                f"judged); got dtype {column.dtype}"
            )
        verdicts = column.astype("boolean")
        met = verdicts.fillna(False).to_numpy(dtype=bool)
        judged = int(verdicts.notna().sum())
        first = int(years[int(np.argmax(met))]) if met.any() else pd.NA
        # The start of the last run of met years: after the last year not met.
        unmet = np.flatnonzero(~met)
        last_unmet = int(unmet[-1]) if unmet.size else -1
        since = int(years[last_unmet + 1]) if last_unmet < len(met) - 1 else pd.NA
        rows.append(
            {
                "target_id": tid,
                "first_met": first,
                "met_since": since,
                "years_met": int(met.sum()),
                "years_judged": judged,
            }
        )
    out = pd.DataFrame(rows).set_index("target_id")
    for c in ("first_met", "met_since"):
        out[c] = out[c].astype("Int64")
    return out
