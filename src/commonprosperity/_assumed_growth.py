"""The income growth ``project`` assumes after the last published year (R).

Apart from ``projection`` so that ``simulate`` can list the assumption with the
C/R values a result rests on (``projection`` imports ``simulate``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from commonprosperity.population import INCOME_COLUMNS

LAST_PUBLISHED = 2024

#: Nominal growth of gross incomes assumed after 2024, by area (R). 2025: from the
#: 2026 government work report (all > 70,000 ≈ +4.8 %, urban/rural ratio ≈ 1.81,
#: rural "over 45,000"): with the survey's urban share extrapolated to 0.69 these
#: give per-capita disposable incomes of urban ≈ 81,500 (+4.2 %) and rural ≈ 45,050
#: (+5.3 %); derived (C) but from the +4.8 % that only a secondary script gives
#: (R in data/statistics.toml), so R. Later years repeat 2025 (R assumption).
#: The rates grow every household's gross incomes (wage, business, property,
#: pension); contributions, taxes and transfers follow the policy, so disposable
#: income grows less: gross rates of 4.2 % and 5.3 % gave 81,386 and 44,992 (rural
#: below the published floor). The rates are those under which the 2025 status
#: quo on the 2024 baseline (200,000 households, seed 0, the command line's)
#: reaches the derived figures: urban 81,500, rural 45,051, all 70,335, ratio
#: 1.809 (20,000 households, seed 0: 81,506 and 45,032).
DEFAULT_GROWTH_AFTER_2024 = MappingProxyType({"urban": 0.0435, "rural": 0.0544})


#: A projection step in a population's source: its year, and whether growth= was
#: given (``project``'s source text); or a relabelling of its income year
#: (``Population.with_year``), group 4.
_STEP = re.compile(
    # The growth text stops at the next step's "|" (a growth= holds none): a
    # lazy ".*?" scanned to the end of a file's crafted source from every
    # "growth=", quadratic (124 KB took 24 s).
    r"\| (?:project\(to_year=(\d+)(?:, growth=([^|]*?))?(?:, from=(\d+))?\)"
    r"|with_year\((\d+|None)\))(?= \||$)"
)

_AREAS = ("urban", "rural")


def growth_key(spec: Mapping[str, Any], area: str, source: str) -> str | None:
    """The key of a growth mapping that sets ``source`` in ``area``, or None.

    The first given of ``"<area>.<source>"``, the source, the area and
    ``"all"`` (``projection.growth_rates``' rule; None: the default growth).
    """
    return next(
        (k for k in (f"{area}.{source}", source, area, "all") if k in spec), None
    )


def _default_used(spec: Any) -> bool:
    """Whether a year's growth spec leaves some area's source at the default."""
    if spec is None:
        return True
    if not isinstance(spec, dict):
        return False  # one number for everything
    return any(growth_key(spec, a, s) is None for a in _AREAS for s in INCOME_COLUMNS)


def _assumed_years(start: int, to_year: int, growth: str | None) -> list[int] | None:
    """The years of one projection step grown by the default; None if unknown."""
    years = range(max(start, LAST_PUBLISHED) + 1, to_year + 1)
    if growth is None:
        return list(years)
    try:
        spec = ast.literal_eval(growth)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        # A growth= the text cannot give back (a user's own text, a file's:
        # "{[1]: 2}" raised TypeError).
        return None
    if isinstance(spec, dict) and spec and all(isinstance(k, int) for k in spec):
        return [y for y in years if _default_used(spec.get(y))]
    return list(years) if _default_used(spec) else []


def assumed_growth_values(source: str) -> list[dict[str, Any]]:
    """The assumed growth a projected population's incomes rest on, as a weak value.

    One entry (``key``, ``value``, ``grade`` R, ``source``) if a projection in
    ``source`` grew some year after :data:`LAST_PUBLISHED` by
    :data:`DEFAULT_GROWTH_AFTER_2024` (no ``growth=`` for that year, area or
    source), else none: results for 2025 on (T1, T4) rest on an assumption, and
    the command line lists such values with every result. A step's first year
    is the previous step's year (or a relabelled one), or the last published one.
    """
    years: set[int] = set()
    unknown = False
    start = LAST_PUBLISHED
    for match in _STEP.finditer(source):
        if match[1] is None:
            # with_year: the incomes are of that year from here on.
            if match[4] != "None":
                relabelled = _year(match[4])
                if relabelled is None:
                    unknown = True
                    continue
                start = max(relabelled, LAST_PUBLISHED)
            continue
        to_year = _year(match[1])
        since = None if match[3] is None else _year(match[3])
        if to_year is None or (match[3] is not None and since is None):
            unknown = True
            continue
        if since is not None:
            start = since  # a population of its own year after 2024
        found = _assumed_years(start, to_year, match[2])
        if found is None:
            unknown = True
        else:
            years.update(found)
        start = to_year
    if not years and not unknown:
        return []
    rates = ", ".join(
        f"{area} {100 * rate:.2f} %" for area, rate in DEFAULT_GROWTH_AFTER_2024.items()
    )
    value = f"{rates} a year of gross incomes"
    if years:
        value += ", " + ", ".join(_spans(sorted(years)))
    if unknown:
        value += (
            ", and " if years else ", "
        ) + "where project's growth= does not set it"
    return [
        {
            "key": "project: income growth after 2024 (DEFAULT_GROWTH_AFTER_2024)",
            "value": value,
            "grade": "R",
            "source": (
                "Assumption of this library: the rates under which the 2025 status "
                "quo on the 2024 baseline reaches per-capita incomes of urban "
                "81,500 and rural 45,050 yuan (ratio 1.81), derived from the 2026 "
                "Zhejiang government work report's 2025 figures (all over 70,000, "
                "+4.8 % from a secondary source, R); later years repeat 2025"
            ),
        }
    ]


def _year(text: str) -> int | None:
    """A year of a source's step (1900–2100, a population's years), else None.

    A source is text a file may carry: a year of 5,000 digits raised int()'s
    ValueError, and one of 300,000,000 listed every year up to it.
    """
    year = int(text) if len(text) <= 4 else None
    return year if year is not None and 1900 <= year <= 2100 else None


def _spans(years: list[int]) -> list[str]:
    """Consecutive years as spans: [2025, 2026, 2028] -> ["2025–2026", "2028"]."""
    out: list[str] = []
    for y in years:
        if out and int(out[-1][-4:]) == y - 1:
            out[-1] = f"{out[-1][:4]}–{y}"
        else:
            out.append(str(y))
    return out
