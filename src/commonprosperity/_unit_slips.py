"""Scenario amounts that look typed in the wrong unit.

A yearly amount in a ``_monthly`` field, or a monthly one in a yearly field.
Nothing here is an error: a scenario may raise the dibao eightfold on purpose.
But ``dibao_monthly = 13_536`` (1,128 × 12) ran without a word, with a dibao
line of twice the per-capita income and a cost of a quarter of GDP, and that is
the likeliest slip of the scenario's units; so ``simulate`` and ``sweep`` warn.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from commonprosperity._warn import warn_user
from commonprosperity.published import POLICY_YEARS

__all__ = ["status_quo_of", "unit_slips", "warn_unit_slips"]

#: A value this many times its status quo (or this fraction of it, for a yearly
#: field) reads as the other unit: 12 for a month, with room for real reforms.
SLIP_FACTOR = 10.0
#: The same for the top threshold of a schedule with brackets added or removed:
#: a monthly schedule with a top bracket added reaches 2 × the monthly top, a
#: sixth of the yearly one.
SCHEDULE_SLIP_FACTOR = 5.0
#: A monthly amount above this (twice the plan's 75,000 yuan of per-capita income
#: a year, monthly) where no policy year has the field above 0.
MONTHLY_CEILING = 12_500.0

#: Yearly fields that a monthly figure is typed into (a deduction of 5,000 a
#: month, 60,000 a year; the brackets' thresholds).
_YEARLY = (
    ("income_tax", "basic_deduction"),
    ("income_tax", "thresholds"),
    ("income_tax", "business_thresholds"),
)


@functools.cache
def status_quo_of(year: int) -> Any:
    """The status quo a scenario of ``year`` departs from.

    Its year's, or 2025's for later years (the README's frozen 2025 policy).
    """
    from commonprosperity.scenario import Scenario

    return Scenario.status_quo(min(max(year, min(POLICY_YEARS)), max(POLICY_YEARS)))


@functools.cache
def _nearest_positive(section: str, name: str, year: int) -> tuple[int, float] | None:
    """The nearest policy year whose status quo has ``section.name`` above 0.

    ``(year, value)``, the earlier year on a tie; None if no year has it.
    """
    for other in sorted(POLICY_YEARS, key=lambda y: (abs(y - year), y)):
        value = float(getattr(getattr(status_quo_of(other), section), name))
        if value > 0.0:
            return other, value
    return None


def unit_slips(scenario: Any) -> list[tuple[str, str]]:
    """``(path, note)`` of every amount of ``scenario`` that looks mistyped.

    Compared with the status quo of its year (the nearest policy year).
    """
    from commonprosperity.scenario import lever_unit

    ref = status_quo_of(scenario.year)
    out = []
    for section in ("wages", "social_insurance", "income_tax", "transfers"):
        given, usual = getattr(scenario, section), getattr(ref, section)
        for name in type(given).model_fields:
            # The library's naming rule: the minimum wages
            # (minimum_wage_monthly_tier1 ...) are monthly but do not end in it.
            if lever_unit(name) != "yuan per month":
                continue
            value, base = float(getattr(given, name)), float(getattr(usual, name))
            # A benefit the year does not have yet (0: the child allowance
            # before 2025) is compared with the nearest year that has it: 3,600,
            # the allowance's yearly figure, typed into 2024 passed unwarned.
            year = ref.year
            if base == 0.0 and (nearest := _nearest_positive(section, name, year)):
                year, base = nearest
            if (base > 0.0 and value >= SLIP_FACTOR * base) or (
                base == 0.0 and value > MONTHLY_CEILING
            ):
                out.append(
                    (
                        f"{section}.{name}",
                        f"{section}.{name} = {value:,.0f} yuan a month ("
                        + (
                            f"{value / base:.0f}× the {year} status quo, "
                            f"{base:,.0f}"
                            + (f"; 0 in {ref.year}" if year != ref.year else "")
                            if base > 0.0
                            else f"above {MONTHLY_CEILING:,.0f}"
                        )
                        + "): is it a yearly amount? Fields named _monthly are "
                        "yuan per month",
                    )
                )
    for section, name in _YEARLY:
        value, base = (
            getattr(getattr(scenario, section), name),
            getattr(getattr(ref, section), name),
        )
        values, bases = np.atleast_1d(value), np.atleast_1d(base)
        if values.shape == bases.shape:
            # Bracket by bracket.
            low = [
                (v, b)
                for v, b in zip(values, bases, strict=True)
                if b > 0.0 and 0.0 < v <= b / SLIP_FACTOR
            ]
        else:
            # Brackets added or removed: compared as far as both go, every
            # threshold and the top one at a fifth or less. A monthly schedule
            # with one bracket removed has its places shifted (25,000 against
            # 144,000); low brackets inserted keep the yearly top; a schedule
            # cut short keeps the status quo's first thresholds.
            both = min(values.shape[0], bases.shape[0])
            pairs = [
                (v, b)
                for v, b in zip(values[:both], bases[:both], strict=True)
                if b > 0.0 and v > 0.0
            ]
            top, usual_top = float(values.max()), float(bases.max())
            low = (
                [(top, usual_top)]
                if pairs
                and all(v <= b / SCHEDULE_SLIP_FACTOR for v, b in pairs)
                and 0.0 < top <= usual_top / SCHEDULE_SLIP_FACTOR
                else []
            )
        if low:
            v, b = low[0]
            out.append(
                (
                    f"{section}.{name}",
                    f"{section}.{name} has {v:,.0f} yuan where the {ref.year} "
                    f"status quo has {b:,.0f}: is it a monthly amount? This field "
                    "is yuan per year",
                )
            )
    return out


#: Set in :func:`slips_said`: the caller has said the slips already.
_SAID: ContextVar[bool] = ContextVar("commonprosperity_slips_said", default=False)


@contextmanager
def slips_said() -> Iterator[None]:
    """No unit-slip warning in the block (per thread or task): already given.

    The command line's ``solve`` simulated the solved scenario and its base
    after :func:`~commonprosperity.solve.solve` had said their slips, and each
    slip was said twice.
    """
    token = _SAID.set(True)
    try:
        yield
    finally:
        _SAID.reset(token)


def warn_unit_slips(
    scenarios: Iterable[Any], where: str, skip: Collection[str] = ()
) -> None:
    """One warning for the amounts of ``scenarios`` that look mistyped.

    A sweep's thousand dibao lines give one line per field, not a thousand.
    ``skip``: fields not to say (solve's lever, whose base value it never runs).
    Nothing inside :func:`slips_said`.
    """
    if _SAID.get():
        return
    found: dict[str, tuple[str, int]] = {}
    for scenario in scenarios:
        for path, note in unit_slips(scenario):
            if path in skip:
                continue
            first, count = found.get(path, (note, 0))
            found[path] = (first, count + 1)
    if found:
        notes = [
            note
            + (
                f" (and {count - 1:,} more scenario{'s' if count > 2 else ''})"
                if count > 1
                else ""
            )
            for note, count in found.values()
        ]
        warn_user(f"{where}: " + "; ".join(notes))
