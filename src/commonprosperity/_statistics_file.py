"""The statistics file: parsing, validation and look-up of cited figures.

Private part of :mod:`commonprosperity.statistics` (which re-exports the public
names): reads ``data/statistics.toml`` once, checks every figure and source (all
problems at once), and offers :func:`figures` and :func:`figure`.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, ParamSpec, Protocol, TypeVar

from commonprosperity._validate import is_integer, quoted
from commonprosperity.errors import ArgumentError, CommonProsperityError
from commonprosperity.published import PROVINCE, city_label

__all__ = [
    "AREAS",
    "BASELINE_YEARS",
    "COMPONENTS",
    "GRADES",
    "PERIODS",
    "QUALIFIERS",
    "Figure",
    "Source",
    "figure",
    "figures",
    "number",
    "table_cache",
]

BASELINE_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
"""Years for which the baseline is calibrated to published income figures."""

AREAS: tuple[str, ...] = ("all", "urban", "rural")
COMPONENTS: tuple[str, ...] = ("wage", "business", "property", "transfer")
GRADES: tuple[str, ...] = ("A", "B", "C", "R", "low")
QUALIFIERS: tuple[str, ...] = ("exact", "approximately", "at least", "suspect")
PERIODS: tuple[str, ...] = ("year", "Q1-Q3", "H1", "census")

_SOURCE_FIELDS = frozenset({"title", "date", "url", "note"})
_FIGURE_FIELDS = frozenset(
    {
        "series",
        "year",
        "period",
        "area",
        "city",
        "component",
        "group",
        "value",
        "unit",
        "grade",
        "source",
        "qualifier",
        "method",
        "note",
    }
)
_REQUIRED = ("series", "year", "value", "unit", "grade", "source")


@dataclass(frozen=True)
class Source:
    """Where a figure was read: title, date and URL (when known).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> source = statistics.figure("gini", 2019, city="全国").source
    >>> source.id, source.date
    ('thehill_2021', '2021-06')
    >>> source.cite() == f"{source.title} ({source.date}, {source.url})"
    True
    >>> statistics.Source("own", "Own survey report", "2024-05").cite()
    'Own survey report (2024-05)'
    """

    id: str
    title: str
    date: str
    url: str = ""
    note: str = ""

    def cite(self) -> str:
        """One-line citation: title, date and URL."""
        url = f", {self.url}" if self.url else ""
        return f"{self.title} ({self.date}{url})"


@dataclass(frozen=True)
class Figure:
    """One published or derived figure with its provenance.

    ``value`` is a float, or a tuple of floats for tables (quintiles lowest first).

    Examples
    --------
    >>> from commonprosperity import statistics
    >>> f = statistics.figure("urbanisation_rate", 2022)
    >>> f.value, f.unit, f.grade, f.qualifier
    (0.734, 'fraction of residents', 'B', 'exact')
    >>> f.key
    ('urbanisation_rate', 2022, 'year', 'all', '浙江', 'total', '')

    A value published only as a bound (2025's per-capita income, "over 70,000"
    in the 2026 government work report) says so in ``qualifier``:

    >>> bound = statistics.figure("disposable_income", 2025)
    >>> bound.value, bound.qualifier
    (70000.0, 'at least')
    """

    series: str
    year: int
    value: float | tuple[float, ...]
    unit: str
    grade: str
    source: Source
    period: str = "year"
    area: str = "all"
    city: str = PROVINCE
    component: str = "total"
    group: str = ""
    qualifier: str = "exact"
    method: str = ""
    note: str = ""

    @property
    def key(self) -> tuple[str, int, str, str, str, str, str]:
        """Identity: series, year, period, area, city, component, group."""
        return (
            self.series,
            self.year,
            self.period,
            self.area,
            self.city,
            self.component,
            self.group,
        )


@dataclass(frozen=True)
class _Data:
    figures: tuple[Figure, ...]
    index: Mapping[tuple[str, int, str, str, str, str, str], Figure]


class _Copyable(Protocol):
    def copy(self) -> Any: ...


_P = ParamSpec("_P")
_T = TypeVar("_T", bound=_Copyable)


def table_cache(derive: Callable[_P, _T]) -> Callable[_P, _T]:
    """Keep the tables ``derive`` makes of the statistics file; a copy to each caller.

    The file is read once and never changes, so a table derived from it is the
    same on every call: the baseline of a year derived its city targets and
    urban shares again at every call, each year's city targets deriving the
    previous year's and each of those the census table (``baseline(2024,
    n_households=2_000)`` took 0.18 s, 0.06 s with the tables kept; znver3,
    warm). A copy, so that a caller changing its table changes no other
    caller's. Arguments are told apart by type as well as value (``2022.0`` is
    judged as ``derive`` judges it, not served 2022's table); unhashable ones go
    to ``derive``, which names what is wrong with them.
    """
    kept = functools.lru_cache(maxsize=None, typed=True)(derive)

    @functools.wraps(derive)
    def copied(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            hash((args, tuple(kwargs.items())))
        except TypeError:
            return derive(*args, **kwargs)
        return kept(*args, **kwargs).copy()  # type: ignore[arg-type, no-any-return]

    return copied


@functools.cache
def _load() -> _Data:
    path = resources.files("commonprosperity") / "data" / "statistics.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CommonProsperityError(
            f"{path}: cannot read the statistics file: {exc}"
        ) from exc
    return _parse(raw, str(path))


def _parse(raw: Mapping[str, Any], origin: str) -> _Data:
    problems: list[str] = []
    sources: dict[str, Source] = {}
    for sid, s in dict(raw.get("sources", {})).items():
        extra = set(s) - _SOURCE_FIELDS
        if extra or "title" not in s or "date" not in s:
            problems.append(
                f"sources.{sid}: needs title and date, allows "
                f"{sorted(_SOURCE_FIELDS)}; "
                f"got keys {sorted(s)}"
            )
            continue
        sources[sid] = Source(id=sid, **{k: str(v) for k, v in s.items()})
    out: list[Figure] = []
    index: dict[tuple[str, int, str, str, str, str, str], Figure] = {}
    for i, f in enumerate(raw.get("figure", [])):
        where = f"figure[{i}] ({f.get('series', '?')} {f.get('year', '?')})"
        extra = set(f) - _FIGURE_FIELDS
        missing = [k for k in _REQUIRED if k not in f]
        if extra or missing:
            problems.append(f"{where}: missing {missing}, unknown keys {sorted(extra)}")
            continue
        if f["source"] not in sources:
            problems.append(f"{where}: source {f['source']!r} is not in [sources]")
            continue
        if f["grade"] not in GRADES:
            problems.append(
                f"{where}: grade must be one of {GRADES}; got {f['grade']!r}"
            )
        if f["grade"] == "C" and not f.get("method"):
            problems.append(f"{where}: grade C needs a method")
        for name, allowed in (
            ("area", AREAS),
            ("period", PERIODS),
            ("qualifier", QUALIFIERS),
            ("component", ("total", *COMPONENTS)),
        ):
            if name in f and f[name] not in allowed:
                problems.append(
                    f"{where}: {name} must be one of {allowed}; got {f[name]!r}"
                )
        value = f["value"]
        parsed: float | tuple[float, ...]
        if isinstance(value, list):
            parsed = tuple(float(v) for v in value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = float(value)
        else:
            problems.append(
                f"{where}: value must be a number or an array; got {quoted(value)}"
            )
            continue
        fig = Figure(
            series=f["series"],
            year=int(f["year"]),
            value=parsed,
            unit=f["unit"],
            grade=f["grade"],
            source=sources[f["source"]],
            period=f.get("period", "year"),
            area=f.get("area", "all"),
            city=f.get("city", PROVINCE),
            component=f.get("component", "total"),
            group=f.get("group", ""),
            qualifier=f.get("qualifier", "exact"),
            method=f.get("method", ""),
            note=f.get("note", ""),
        )
        if fig.key in index:
            problems.append(f"{where}: duplicate of another figure with key {fig.key}")
        index[fig.key] = fig
        out.append(fig)
    if problems:
        raise CommonProsperityError(f"{origin}: " + "; ".join(problems))
    return _Data(figures=tuple(out), index=index)


def figures(series: str | None = None, **filters: Any) -> list[Figure]:
    """All figures of a series matching the filters (fields of :class:`Figure`).

    Parameters
    ----------
    series : str, optional
        A series of the file (the module's docstring lists them); all series if
        omitted.
    **filters
        Fields of :class:`Figure` and the value each must equal
        (``year=2021, area="urban"``).

    Returns
    -------
    list of Figure
        In the file's order; empty if none matches.

    Raises
    ------
    ArgumentError
        For an unknown series (naming the file's) or a year that is not an
        integer.
    CommonProsperityError
        For a filter that is no field of :class:`Figure` (naming the fields).

    Examples
    --------
    >>> [f.year for f in figures("city_max_min_ratio", period="year")]
    [2013, 2020, 2021]
    """
    unknown = set(filters) - set(Figure.__dataclass_fields__)
    if unknown:
        raise CommonProsperityError(
            f"unknown figure field(s) {sorted(unknown)}; allowed: "
            f"{sorted(Figure.__dataclass_fields__)}"
        )
    _check_series(series)
    if "year" in filters:
        check_year(filters["year"])
    return [
        f
        for f in _load().figures
        if (series is None or f.series == series)
        and all(getattr(f, k) == v for k, v in filters.items())
    ]


@functools.cache
def _series_names() -> tuple[str, ...]:
    """The series the file holds, sorted (read once, like the file)."""
    return tuple(sorted({f.series for f in _load().figures}))


def _check_series(series: str | None) -> None:
    """Refuse a series the file does not hold, naming the ones it does.

    An unknown name (``"urbanization_rate"``, the indicator's spelling, for the
    series ``"urbanisation_rate"``) matched no figure: ``[]``, as if the series
    had none of that year.
    """
    if series is None:
        return
    known = _series_names()
    if series not in known:
        close = difflib.get_close_matches(str(series), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ArgumentError(
            f"statistics: unknown series {series!r}{hint}; the series are: "
            + ", ".join(known)
        )


def check_year(year: Any) -> None:
    """Refuse a year that is not an integer (NumPy's too).

    Parameters
    ----------
    year : object

    Raises
    ------
    ArgumentError
        If `year` is not an integer (``2021`` and ``numpy.int64(2021)`` are).

    Notes
    -----
    A complex or text year matched no figure (NaN, ``[]``: "no data"), a float
    one was written into derived texts ("2020.0 structure"), a 0-d array raised
    "unhashable type".
    """
    if not is_integer(year):
        raise ArgumentError(
            f"statistics: year must be an integer such as 2021; got {quoted(year)}"
        )


def figure(
    series: str,
    year: int,
    *,
    period: str = "year",
    area: str = "all",
    city: str = PROVINCE,
    component: str = "total",
    group: str = "",
) -> Figure:
    """The one figure with this identity; raises naming what exists otherwise.

    Parameters
    ----------
    series : str
        A series of the file.
    year : int
    period, area, city, component, group : str, keyword-only
        The rest of the figure's identity (:attr:`Figure.key`); ``city`` may be a
        city in English.

    Returns
    -------
    Figure
        Its ``value`` in the figure's ``unit``.

    Raises
    ------
    ArgumentError
        For an unknown series, city or field value (naming the file's), or a
        year that is not an integer.
    CommonProsperityError
        If no figure has this identity (naming the years the same figure has,
        else the series' figures).

    Examples
    --------
    >>> figure("resident_population", 2022).value
    65770000.0
    """
    _check_series(series)
    check_year(year)
    city = _file_city(city)
    for name, value in (
        ("period", period),
        ("area", area),
        ("component", component),
        ("group", group),
    ):
        known = _field_values(name)
        # Text only: a 0-d array "is in" the values (elementwise ==) and then
        # raised a bare "unhashable type" as part of the key.
        if not isinstance(value, str) or value not in known:
            # A misspelt area matched nothing: "no figure", which value_or_nan
            # turned into NaN as if the file had none.
            raise ArgumentError(
                f"statistics: unknown {name} {quoted(value)}; the file's are: "
                + ", ".join(map(repr, known))
            )
    key = (series, int(year), period, area, city, component, group)
    fig = _load().index.get(key)
    if fig is None:
        raise CommonProsperityError(
            f"statistics: no figure {series!r} for year={quoted(year)}, "
            f"period={period!r}, "
            f"area={area!r}, city={city!r}, component={component!r}, group={group!r}; "
            + _available(key)
        )
    return fig


def _available(key: tuple[Any, ...]) -> str:
    """What the file has near ``key``: the years of its figure, else the series'.

    ``key`` is (series, year, period, area, city, component, group).

    A list cut at 12 without saying so read as complete: 2025's figure seemed
    missing from a message listing up to 2024.
    """
    series, _, *rest = key
    years = sorted(f.year for f in figures(series) if list(_identity(f)[1:]) == rest)
    if years:
        return f"the file has it for the years {', '.join(map(str, years))}"
    near = sorted({_identity(f) for f in figures(series)})
    count = ""
    if len(near) > 12:
        count = (
            f" (the first 12 of {len(near)}; statistics.figures({series!r}) lists "
            "them all)"
        )
    return f"available (year, period, area, city, component, group){count}: {near[:12]}"


def _identity(f: Figure) -> tuple[int, str, str, str, str, str]:
    return (f.year, f.period, f.area, f.city, f.component, f.group)


@functools.cache
def _field_values(name: str) -> tuple[str, ...]:
    """The values a field of the figures takes in the file, sorted."""
    return tuple(sorted({getattr(f, name) for f in _load().figures}))


def _file_city(city: Any) -> str:
    """The file's name of ``city``: a region it holds, or a city in English.

    ``calibrate`` and the populations take English city names ("Ningbo"); here
    they matched no figure and read as "no data".
    """
    known = _field_values("city")
    if isinstance(city, str) and city in known:
        return city
    try:
        label = city_label(city)
    except CommonProsperityError:
        label = None
    if label in known:
        return label
    raise ArgumentError(
        f"statistics: unknown city {quoted(city)}; the file's are: "
        + ", ".join(known)
        + " (a city of Zhejiang may be given in English)"
    )


def number(f: Figure) -> float:
    """The value of a one-number figure, in its ``unit``.

    Parameters
    ----------
    f : Figure

    Returns
    -------
    float

    Raises
    ------
    ArgumentError
        If the figure holds a table (a tuple of values, such as quintiles).
    """
    if isinstance(f.value, tuple):
        raise ArgumentError(f"statistics: {f.key} holds a table, not a number")
    return f.value
