"""The income growth ``project`` assumes after the last published year (R).

Apart from ``projection`` so that ``simulate`` can list the assumption with the
C/R values a result rests on (``projection`` imports ``simulate``).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

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
#: given (``project``'s source text).
_STEP = re.compile(r"\| project\(to_year=(\d+)(, growth=)?")


def assumed_growth_values(source: str) -> list[dict[str, Any]]:
    """The assumed growth a projected population's incomes rest on, as a weak value.

    One entry (``key``, ``value``, ``grade`` R, ``source``) if any projection in
    ``source`` went past :data:`LAST_PUBLISHED`, else none: results for 2025 on
    (T1, T4) rest on :data:`DEFAULT_GROWTH_AFTER_2024`, an assumption, and the
    command line lists such values with every result.
    """
    steps = [(int(m[1]), m[2] is not None) for m in _STEP.finditer(source)]
    later = [(year, given) for year, given in steps if year > LAST_PUBLISHED]
    if not later:
        return []
    rates = ", ".join(
        f"{area} {100 * rate:.2f} %" for area, rate in DEFAULT_GROWTH_AFTER_2024.items()
    )
    first, last = LAST_PUBLISHED + 1, max(y for y, _ in later)
    value = f"{rates} a year of gross incomes, " + (
        f"{first}" if last == first else f"{first}–{last}"
    )
    if any(given for _, given in later):
        value += " where project's growth= does not set it"
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
