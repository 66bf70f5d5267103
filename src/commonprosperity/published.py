"""Shipped, cited status-quo policy values of Zhejiang for 2020-2025.

The values live in ``commonprosperity/data/policy.toml`` as dated segments, each with
its unit, source, confidence grade and note.  This module reads that file once
(stdlib :mod:`tomllib`), checks it, and turns the segments into one value per policy
year: the month-weighted mean of the segments in force during that calendar year.

Confidence grades: ``A`` official, ``B`` secondary, ``C`` derived (the note gives the
method), ``R`` unverified recollection or assumption.  :func:`weak_values` lists the
C and R values of a year so that reports can print them.

Examples
--------
>>> from commonprosperity.published import policy_values
>>> policy_values(2023)["income_tax.child_education_monthly"].value
2000.0
>>> city_label("hangzhou")
'杭州'
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import operator
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from types import MappingProxyType
from typing import Any, cast

from commonprosperity._validate import public_dir, quoted
from commonprosperity.errors import PopulationError, ScenarioError

__all__ = [
    "CITIES",
    "CITY_NAMES_EN",
    "GRADES",
    "POLICY_YEARS",
    "PROVINCE",
    "PublishedValue",
    "city_label",
    "minimum_wage_tier",
    "minimum_wage_tiers",
    "policy_values",
    "weak_minimum_wage_tiers",
    "weak_values",
]

CITIES: tuple[str, ...] = (
    "杭州",
    "宁波",
    "温州",
    "嘉兴",
    "湖州",
    "绍兴",
    "金华",
    "衢州",
    "舟山",
    "台州",
    "丽水",
)
"""The 11 prefecture-level cities of Zhejiang, by Chinese name."""

CITY_NAMES_EN: Mapping[str, str] = MappingProxyType(
    {
        "杭州": "Hangzhou",
        "宁波": "Ningbo",
        "温州": "Wenzhou",
        "嘉兴": "Jiaxing",
        "湖州": "Huzhou",
        "绍兴": "Shaoxing",
        "金华": "Jinhua",
        "衢州": "Quzhou",
        "舟山": "Zhoushan",
        "台州": "Taizhou",
        "丽水": "Lishui",
    }
)
"""English name of each city in :data:`CITIES`."""

#: GB/T 2260 administrative division codes of the 11 cities (six-digit 330100 ...
#: 331100 and four-digit 3301 ... 3311); public as
#: ``commonprosperity.survey.ADMINISTRATIVE_CITY_CODES``, here for the population's
#: own message about such codes.
_ADMINISTRATIVE_CITY_CODES: Mapping[int, str] = MappingProxyType(
    {
        **{330100 + 100 * k: city for k, city in enumerate(CITY_NAMES_EN)},
        **{3301 + k: city for k, city in enumerate(CITY_NAMES_EN)},
    }
)

PROVINCE = "浙江"
"""Pseudo-city label of a population without city information."""

POLICY_YEARS: tuple[int, ...] = tuple(range(2020, 2026))
"""Years with shipped status-quo policy values."""

GRADES: tuple[str, ...] = ("A", "B", "C", "R")
"""Confidence grades, strongest first."""

_WEAK_GRADES = frozenset({"C", "R"})
_ENTRY_FIELDS = frozenset({"key", "unit", "note", "segment"})
_SEGMENT_FIELDS = frozenset(
    {"from", "value", "grade", "source", "source_date", "url", "method", "note"}
)
_TIER_FIELDS = frozenset(
    {
        "city",
        "urban",
        "rural",
        "urban_grade",
        "rural_grade",
        "source",
        "source_date",
        "url",
        "note",
    }
)
_LABELS: dict[str, str] = {
    **{name: name for name in (*CITIES, PROVINCE)},
    **{en.casefold(): zh for zh, en in CITY_NAMES_EN.items()},
    "zhejiang": PROVINCE,
}


@dataclass(frozen=True)
class PublishedValue:
    """A status-quo policy value of one year, with its provenance.

    Attributes
    ----------
    key : str
        Dotted scenario path, e.g. ``"income_tax.basic_deduction"``.
    value : float or tuple of float
        The value for the year; a tuple for bracket schedules.  A value that changed
        during the year is the month-weighted mean of the values in force.
    unit : str
        Unit of ``value`` (amounts are yuan; rates and shares are fractions).
    grade : str
        Confidence grade, one of :data:`GRADES`; for a value combined from several
        segments, the weakest of them.
    source : str
        Title, date and URL (where known) of the source of each segment used.
    note : str
        Caveats, the method of a derived (C) value and the reason of an R value.

    Examples
    --------
    >>> from commonprosperity.published import policy_values
    >>> v = policy_values(2023)["income_tax.basic_deduction"]
    >>> v.value, v.unit, v.grade
    (60000.0, 'yuan per year', 'A')
    >>> v.source.startswith("《中华人民共和国个人所得税法》")
    True
    >>> dibao = policy_values(2024)["transfers.dibao_monthly"]
    >>> dibao.value, dibao.unit, dibao.grade  # derived (C): see dibao.note
    (1055.0, 'yuan per person per month', 'C')
    """

    key: str
    value: float | tuple[float, ...]
    unit: str
    grade: str
    source: str
    note: str


@dataclass(frozen=True)
class _Segment:
    start: dt.date
    value: float | tuple[float, ...]
    grade: str
    source: str
    note: str


@dataclass(frozen=True)
class _Entry:
    key: str
    unit: str
    note: str
    segments: tuple[_Segment, ...]


@dataclass(frozen=True)
class _Policy:
    years: Mapping[int, Mapping[str, PublishedValue]]
    tiers: Mapping[tuple[str, bool], int]
    #: (grade, source) of each (city, urban) pair's tier.
    tier_grades: Mapping[tuple[str, bool], tuple[str, str]]


def _known_label(name: object) -> str | None:
    """:func:`city_label` of ``name``, or None where that raises.

    Without the error's message: a column of 200,000 unknown names spent seconds
    writing messages no one read.
    """
    if not isinstance(name, str):
        return None
    text = name.strip()
    for suffix in ("市", "省"):
        if text.endswith(suffix) and text[: -len(suffix)] in _LABELS:
            text = text[: -len(suffix)]
    return _LABELS.get(text.casefold())


def city_label(name: str) -> str:
    """Return the Chinese label of a city given in Chinese or English.

    Parameters
    ----------
    name : str
        A city of :data:`CITIES` in Chinese (a trailing ``市`` is allowed) or in
        English (any case), or the province (``"浙江"``, ``"Zhejiang"``) for a
        population without city information.

    Returns
    -------
    str
        The Chinese label, one of :data:`CITIES` or :data:`PROVINCE`.

    Raises
    ------
    PopulationError
        If ``name`` is not a known city; the message lists the allowed names.

    Examples
    --------
    >>> city_label("NINGBO"), city_label("温州市"), city_label("Zhejiang")
    ('宁波', '温州', '浙江')
    """
    label = _known_label(name)
    if label is not None:
        return label
    allowed = ", ".join(f"{zh} ({en})" for zh, en in CITY_NAMES_EN.items())
    raise PopulationError(
        f"city must be one of the 11 cities {allowed}, or {PROVINCE} (Zhejiang) "
        f"for a population without city information, in Chinese or English "
        f"(any case); got {quoted(name)}."
    )


def policy_values(year: int) -> dict[str, PublishedValue]:
    """Return every status-quo policy value of a year, keyed by scenario path.

    Parameters
    ----------
    year : int
        A policy year of :data:`POLICY_YEARS` (2020-2025).

    Returns
    -------
    dict of str to PublishedValue
        One entry per scenario key (``"wages.minimum_wage_monthly_tier1"``, ...), in
        the order of the data file.  The dict is a fresh copy; the values are frozen.

    Raises
    ------
    ScenarioError
        If ``year`` is not a policy year, or if the shipped data file is unreadable
        or inconsistent.

    Notes
    -----
    A value that changes during the year is the month-weighted mean of the segments
    in force (standards are monthly amounts paid by the month): with m_i months of
    the year under value v_i, v = Σ m_i v_i / 12, a part month counting its share of
    that month's days; computed exactly (in rationals) and rounded to float once.
    Bracket schedules may not change inside a year.

    Examples
    --------
    >>> values = policy_values(2021)
    >>> wage = values["wages.minimum_wage_monthly_tier1"]
    >>> wage.value == (7 * 2010 + 5 * 2280) / 12, wage.grade
    (True, 'R')
    >>> values["income_tax.rates"].value
    (0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45)
    >>> policy_values(2019)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commonprosperity.errors.ScenarioError: year must be one of 2020-2025 ...
    """
    return dict(_load_policy().years[_check_year(year)])


def weak_values(year: int) -> list[PublishedValue]:
    """Return the values of a year graded C (derived) or R (unverified).

    Parameters
    ----------
    year : int
        A policy year of :data:`POLICY_YEARS`.

    Returns
    -------
    list of PublishedValue
        The C and R values, in the order of the data file.

    Raises
    ------
    ScenarioError
        If ``year`` is not a policy year.

    Examples
    --------
    >>> weak = weak_values(2024)
    >>> "transfers.dibao_monthly" in [v.key for v in weak]
    True
    >>> sorted({v.grade for v in weak})
    ['C', 'R']
    """
    return [v for v in policy_values(year).values() if v.grade in _WEAK_GRADES]


def minimum_wage_tier(city: str, urban: bool) -> int:
    """Return the minimum-wage tier applied to a city's urban or rural households.

    Parameters
    ----------
    city : str
        City name in Chinese or English, or the province (see :func:`city_label`).
    urban : bool
        True for the urban area, False for the rural area.

    Returns
    -------
    int
        1 (highest standard), 2 or 3; the same in every policy year.

    Raises
    ------
    PopulationError
        If ``city`` is unknown or ``urban`` is not a boolean.

    Notes
    -----
    Urban Hangzhou, Ningbo and Wenzhou are tier 1 and urban Huzhou, Shaoxing and
    Taizhou tier 2 (the 2021 notice, B).  The rest is an assumption (R): other urban
    areas tier 2, rural areas one tier below urban, floored at 3; the province
    pseudo-city is 2 urban and 3 rural.

    Examples
    --------
    >>> minimum_wage_tier("Hangzhou", True), minimum_wage_tier("丽水", False)
    (1, 3)
    """
    if not _is_flag(urban):
        raise PopulationError(f"urban must be True or False; got {quoted(urban)}.")
    return _load_policy().tiers[(city_label(city), bool(urban))]


def _is_flag(value: Any) -> bool:
    """Whether ``value`` is True or False, NumPy's too.

    ``in (True, False)`` let 1, 1.0 and 0.0 pass, and ``bool()`` read the text
    "False" of a CSV file as True.
    """
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return isinstance(value, bool) or (kind == "b" and getattr(value, "ndim", 1) == 0)


def minimum_wage_tiers() -> dict[tuple[str, bool], int]:
    """Return the minimum-wage tier of every (city, urban) pair.

    Returns
    -------
    dict of (str, bool) to int
        Keys are ``(label, urban)`` for every label of :data:`CITIES` and
        :data:`PROVINCE`; values are tiers 1-3.

    Examples
    --------
    >>> tiers = minimum_wage_tiers()
    >>> len(tiers), tiers[("浙江", True)], tiers[("浙江", False)]
    (24, 2, 3)
    """
    return dict(_load_policy().tiers)


def weak_minimum_wage_tiers(
    cells: Iterable[tuple[str, bool]],
) -> list[dict[str, Any]]:
    """The C- or R-graded tier assignments of these (city, urban) pairs.

    One entry per area and grade, as a scenario's weak values are listed
    (``key``, ``value``, ``grade``, ``source``): the key names the area, the value
    lists "city tier" for each pair of that area and grade, in city order.

    Parameters
    ----------
    cells : iterable of (str, bool)
        (city label or English name, urban) pairs, e.g. those of a population.

    Returns
    -------
    list of dict

    Raises
    ------
    PopulationError
        If a city is unknown or an ``urban`` is not True or False.

    Examples
    --------
    >>> [w["value"] for w in weak_minimum_wage_tiers([("杭州", True), ("杭州", False)])]
    ['杭州 2']
    """
    policy = _load_policy()
    given = list(cells)
    bad = [u for _, u in given if not _is_flag(u)]
    if bad:
        raise PopulationError(
            "weak_minimum_wage_tiers: each cell's urban must be True or False; "
            f"got {quoted(bad[0])}"
        )
    wanted = {(city_label(c), bool(u)) for c, u in given}
    out = []
    for urban in (True, False):
        for grade in ("C", "R"):
            pairs = [
                (c, policy.tiers[(c, urban)], policy.tier_grades[(c, urban)][1])
                for c in (*CITIES, PROVINCE)
                if (c, urban) in wanted and policy.tier_grades[(c, urban)][0] == grade
            ]
            if pairs:
                area = "urban" if urban else "rural"
                out.append(
                    {
                        "key": f"minimum_wage_tier ({area} areas)",
                        "value": ", ".join(f"{c} {t}" for c, t, _ in pairs),
                        "grade": grade,
                        "source": _joined_sources(src for *_, src in pairs),
                    }
                )
    return out


def _check_year(year: int) -> int:
    """Return ``year`` as an int if it is a policy year, else raise ScenarioError."""
    number: int | None
    try:
        number = operator.index(year)
    except TypeError:
        number = None
    if isinstance(year, bool) or number not in POLICY_YEARS:
        raise ScenarioError(
            f"year must be one of {POLICY_YEARS[0]}-{POLICY_YEARS[-1]} (the years "
            f"with shipped status-quo policy values); got {quoted(year)}."
        )
    return int(year)


@functools.lru_cache(maxsize=1)
def _load_policy() -> _Policy:
    """Read, check and evaluate the shipped data file (once per process)."""
    resource = resources.files("commonprosperity") / "data" / "policy.toml"
    origin = str(resource)
    try:
        raw = tomllib.loads(resource.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{origin}: cannot read the policy data: {exc}") from exc
    return _parse_policy(raw, origin)


def _parse_policy(raw: Mapping[str, Any], origin: str) -> _Policy:
    """Check the parsed data file and evaluate every policy year.

    All problems are collected and raised together as one ScenarioError.
    """
    problems: list[str] = []
    unknown = sorted(set(raw) - {"policy", "minimum_wage_tier"})
    if unknown:
        problems.append(f"unknown top-level keys {unknown}")
    entries: list[_Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(_table_list(raw, "policy", problems)):
        entry = _parse_entry(item, f"policy[{i}]", problems)
        if entry is None:
            continue
        if entry.key in seen:
            problems.append(f"policy[{i}]: key {entry.key!r} appears twice")
        seen.add(entry.key)
        entries.append(entry)
    tiers, tier_grades = _parse_tiers(
        _table_list(raw, "minimum_wage_tier", problems), problems
    )
    years: dict[int, dict[str, PublishedValue]] = {}
    if not problems:
        for year in POLICY_YEARS:
            years[year] = {}
            for entry in entries:
                try:
                    years[year][entry.key] = _entry_value(entry, year)
                except ScenarioError as exc:
                    problems.append(str(exc))
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise ScenarioError(
            f"{origin}: the shipped policy data has {len(problems)} problem(s); "
            f"fix the file:\n{listing}"
        )
    return _Policy(years=years, tiers=tiers, tier_grades=tier_grades)


def _table_list(raw: Mapping[str, Any], name: str, problems: list[str]) -> list[Any]:
    """Return the array of tables ``raw[name]``, recording a problem if absent."""
    items = raw.get(name)
    if not isinstance(items, list) or not items:
        problems.append(f"[[{name}]] tables are missing")
        return []
    return items


def _parse_entry(item: Any, where: str, problems: list[str]) -> _Entry | None:
    """Check one ``[[policy]]`` table; return None (and record why) if unusable."""
    if not isinstance(item, dict):
        problems.append(f"{where}: must be a table")
        return None
    before = len(problems)
    if set(item) - _ENTRY_FIELDS:
        problems.append(f"{where}: unknown fields {sorted(set(item) - _ENTRY_FIELDS)}")
    key, unit = item.get("key"), item.get("unit")
    for field, text in (("key", key), ("unit", unit)):
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: {field} must be a non-empty string")
    where = f"{where} ({key})" if isinstance(key, str) else where
    raw_segments = item.get("segment")
    if not isinstance(raw_segments, list) or not raw_segments:
        problems.append(f"{where}: needs at least one [[policy.segment]]")
        raw_segments = []
    segments = [
        _parse_segment(seg, f"{where}.segment[{j}]", problems)
        for j, seg in enumerate(raw_segments)
    ]
    starts = [s.start for s in segments if s is not None]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        problems.append(f"{where}: segment dates must increase strictly; got {starts}")
    kinds = {isinstance(s.value, tuple) for s in segments if s is not None}
    if len(kinds) > 1:
        problems.append(f"{where}: segments mix numbers and arrays")
    if len(problems) > before:
        return None
    return _Entry(
        key=str(key),
        unit=str(unit),
        note=str(item.get("note", "")).strip(),
        segments=tuple(s for s in segments if s is not None),
    )


def _parse_segment(seg: Any, where: str, problems: list[str]) -> _Segment | None:
    """Check one ``[[policy.segment]]`` table; return None if unusable."""
    if not isinstance(seg, dict):
        problems.append(f"{where}: must be a table")
        return None
    before = len(problems)
    if set(seg) - _SEGMENT_FIELDS:
        problems.append(f"{where}: unknown fields {sorted(set(seg) - _SEGMENT_FIELDS)}")
    start = seg.get("from")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        problems.append(
            f"{where}: 'from' must be a TOML date (2021-08-01); got {quoted(start)}"
        )
    value = _parse_value(seg.get("value"))
    if value is None:
        problems.append(
            f"{where}: value must be a finite number or a non-empty array of them; "
            f"got {seg.get('value')!r}"
        )
    grade = seg.get("grade")
    if grade not in GRADES:
        problems.append(
            f"{where}: grade must be one of {list(GRADES)}; got {quoted(grade)}"
        )
    text = {
        f: seg.get(f, "") for f in ("source", "source_date", "url", "method", "note")
    }
    for field, content in text.items():
        if not isinstance(content, str | dt.date):
            problems.append(f"{where}: {field} must be a string")
            text[field] = ""
    text = {f: str(v).strip() for f, v in text.items()}
    for field in ("source", "source_date"):
        if not text[field]:
            problems.append(f"{where}: {field} must be a non-empty string")
    if grade == "C" and not text["method"]:
        problems.append(f"{where}: a derived (C) value needs a method")
    if grade == "R" and not text["note"]:
        problems.append(f"{where}: an R value needs a note saying why it is used")
    if len(problems) > before or value is None:
        return None
    source = f"{text['source']} ({text['source_date']})"
    if text["url"]:
        source += f", {text['url']}"
    note = text["note"]
    if text["method"]:
        note = f"Method: {text['method']}. {note}".strip()
    return _Segment(
        start=cast(dt.date, start),
        value=value,
        grade=str(grade),
        source=source,
        note=note,
    )


def _parse_value(raw: Any) -> float | tuple[float, ...] | None:
    """Return a number as float and an array as a tuple of floats; None if invalid."""

    def number(x: Any) -> float | None:
        ok = isinstance(x, int | float) and not isinstance(x, bool)
        return float(x) if ok and math.isfinite(x) else None

    if isinstance(raw, list):
        numbers = [number(x) for x in raw]
        if not numbers or any(x is None for x in numbers):
            return None
        return tuple(x for x in numbers if x is not None)
    return number(raw)


def _joined_sources(sources: Iterable[str]) -> str:
    """Distinct sources joined by "; ", leaving out one another one extends.

    "Rule of this library; Rule of this library (no tier list found ...)" read as
    one source said twice.
    """
    distinct = list(dict.fromkeys(sources))
    return "; ".join(
        s for s in distinct if not any(t != s and t.startswith(s) for t in distinct)
    )


def _area_source(item: Mapping[str, Any], urban: bool) -> str:
    """The part of a tier entry's source for one area.

    Entries sourced differently by area read "Urban: ...; rural: ...".
    """
    source = str(item.get("source", "")).strip()
    m = re.fullmatch(r"Urban: (.*); rural: (.*)", source, re.DOTALL)
    if m is None:
        return source
    part = m.group(1 if urban else 2).strip()
    return part[:1].upper() + part[1:]


def _parse_tiers(
    items: list[Any], problems: list[str]
) -> tuple[dict[tuple[str, bool], int], dict[tuple[str, bool], tuple[str, str]]]:
    """Check the ``[[minimum_wage_tier]]`` tables.

    Returns the tiers and their (grade, source) by (city, urban).
    """
    tiers: dict[tuple[str, bool], int] = {}
    grades: dict[tuple[str, bool], tuple[str, str]] = {}
    for i, item in enumerate(items):
        where = f"minimum_wage_tier[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        if set(item) - _TIER_FIELDS:
            problems.append(
                f"{where}: unknown fields {sorted(set(item) - _TIER_FIELDS)}"
            )
        city = item.get("city")
        if city not in (*CITIES, PROVINCE):
            problems.append(
                f"{where}: city must be a Chinese label; got {quoted(city)}"
            )
            continue
        if (city, True) in tiers:
            problems.append(f"{where}: city {city} appears twice")
        for field in ("source", "source_date"):
            if not isinstance(item.get(field), str) or not item[field].strip():
                problems.append(f"{where} ({city}): {field} must be a non-empty string")
        for area, urban in (("urban", True), ("rural", False)):
            tier, grade = item.get(area), item.get(f"{area}_grade")
            if isinstance(tier, bool) or tier not in (1, 2, 3):
                problems.append(
                    f"{where} ({city}): {area} must be 1, 2 or 3; got {quoted(tier)}"
                )
            else:
                tiers[(city, urban)] = int(tier)
            if grade not in GRADES:
                problems.append(
                    f"{where} ({city}): {area}_grade must be one of {list(GRADES)}; "
                    f"got {quoted(grade)}"
                )
            else:
                grades[(city, urban)] = (grade, _area_source(item, urban))
    missing = [c for c in (*CITIES, PROVINCE) if (c, True) not in tiers]
    if items and missing:
        problems.append(f"minimum_wage_tier: no tier for {missing}")
    return tiers, grades


def _month_share(start: dt.date, stop: dt.date, year: int) -> Fraction:
    """The months of ``year`` in ``[start, stop)``, exactly.

    Whole months, and the days of a part month as a share of that month's days (so
    a change on the 1st of a month counts whole months: 7 and 5 in 2021 for a
    change on 1 August).
    """
    share = Fraction(0)
    for month in range(1, 13):
        m0 = dt.date(year, month, 1)
        m1 = dt.date(year + month // 12, month % 12 + 1, 1)
        days = (min(stop, m1) - max(start, m0)).days
        if days > 0:
            share += Fraction(days, (m1 - m0).days)
    return share


def _months_text(months: Fraction) -> str:
    return f"{int(months)} mo" if months.denominator == 1 else f"{float(months):.2f} mo"


def _entry_value(entry: _Entry, year: int) -> PublishedValue:
    """Return the month-weighted value of ``entry`` over calendar ``year``.

    Standards are monthly amounts paid by the month: a change on 1 August counts
    7 months of the old value and 5 of the new (a day weighting, 212 and 153 days,
    gave a full-year minimum-wage worker 8 yuan a year too many); a change inside
    a month counts that month's days. Raises ScenarioError if part of the year has
    no segment in force or if an array value changes inside the year.
    """
    first, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    used: list[tuple[_Segment, Fraction]] = []
    for seg, nxt in zip(entry.segments, (*entry.segments[1:], None), strict=True):
        stop = end if nxt is None else min(nxt.start, end)
        months = _month_share(max(seg.start, first), stop, year)
        if months > 0:
            used.append((seg, months))
    if entry.segments[0].start > first:
        gap_end = min(entry.segments[0].start, end) - dt.timedelta(days=1)
        raise ScenarioError(
            f"{entry.key}: no value in force from {first} to {gap_end} (year {year}); "
            f"the first segment starts on {entry.segments[0].start}."
        )
    values = [seg.value for seg, _ in used]
    scalars = [(seg.value, days) for seg, days in used if isinstance(seg.value, float)]
    if all(v == values[0] for v in values):
        value = values[0]
    elif len(scalars) < len(used):
        changes = ", ".join(f"{seg.start}: {seg.value}" for seg, _ in used)
        raise ScenarioError(
            f"{entry.key}: an array value may not change inside a year, but in {year} "
            f"it changes ({changes}); move the change to 1 January."
        )
    else:
        total = sum((months * Fraction(v) for v, months in scalars), Fraction(0))
        value = float(total / sum(months for _, months in scalars))
    grade = max((seg.grade for seg, _ in used), key=GRADES.index)
    if len(used) == 1:
        source, notes = used[0][0].source, [used[0][0].note]
    else:
        source = "; ".join(
            f"from {s.start} ({_months_text(m)}): {s.source}" for s, m in used
        )
        notes = [
            f"From {s.start} ({_months_text(m)}): {s.note}" for s, m in used if s.note
        ]
    note = " | ".join(n for n in (entry.note, *notes) if n)
    return PublishedValue(
        key=entry.key,
        value=value,
        unit=entry.unit,
        grade=grade,
        source=source,
        note=note,
    )


def __dir__() -> list[str]:
    return public_dir(globals())
