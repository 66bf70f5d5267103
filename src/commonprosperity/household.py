"""The household calculator: every flow of one family, person by person.

:func:`household` builds a one-household :class:`Population` and runs the rules
kernel that :func:`commonprosperity.simulate` runs
(:func:`commonprosperity._kernels.rules.household_flows`, with its person-level
output switched on). Nothing here re-implements a rule: the table only decomposes
the kernel's numbers (contributions by scheme, deductions by kind) and adds them up.
"""

from __future__ import annotations

import decimal
import difflib
import fractions
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from commonprosperity._kernels import layout, rules
from commonprosperity._unit_slips import warn_unit_slips
from commonprosperity._validate import (
    FLOAT_MAX,
    SHOWN_PROBLEMS,
    beyond_float,
    is_integer,
    is_number,
    joined_problems,
    quoted,
)
from commonprosperity.errors import ArgumentTypeError, PopulationError, ScenarioError
from commonprosperity.population import (
    INCOME_COLUMNS,
    MAX_HOUSEHOLD_SIZE,
    Population,
    source_prefix,
)
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import BAND_EDGES, _tiers

__all__ = ["HOUSEHOLD_FRAME_COLUMNS", "MEMBER_KEYS", "household"]

#: Keys a member dict may have; only ``age`` is required.
MEMBER_KEYS: tuple[str, ...] = (
    "age",
    "employed",
    "wage",
    "business",
    "property",
    "pension",
)

#: Columns of the frame :func:`household` returns, in order.
HOUSEHOLD_FRAME_COLUMNS: tuple[str, ...] = (
    "age",
    "employed",
    # gross income by source, yuan per year
    "wage_reported",
    "wage",
    "business",
    "property",
    "pension",
    # employee contributions
    "contribution_pension",
    "contribution_medical",
    "contribution_unemployment",
    "contribution_housing_fund",
    "contributions",
    # deductions against comprehensive income (per person)
    "deduction_basic",
    "deduction_children",
    "deduction_elderly_support",
    "deductions",
    # income tax by schedule
    "taxable_income",
    "iit",
    "business_taxable_income",
    "business_tax",
    "property_tax",
    "iit_total",
    # transfers
    "residents_pension",
    "child_allowance",
    "dibao",
    "transfers",
    # totals
    "gross_income",
    "disposable_income",
    "per_capita_disposable_income",
    "three_person_income",
    "band_100k_500k",
    "band_200k_600k",
    "band_100k_500k_three_person",
    "band_200k_600k_three_person",
)
_HOUSEHOLD_ONLY = ("dibao", "per_capita_disposable_income", "three_person_income")
_PERSON_ONLY = (
    "deduction_basic",
    "deduction_children",
    "deduction_elderly_support",
    "deductions",
)
_BANDS = (
    "band_100k_500k",
    "band_200k_600k",
    "band_100k_500k_three_person",
    "band_200k_600k_three_person",
)


def household(
    year: int | None = None,
    *,
    members: Sequence[Mapping[str, Any]],
    urban: bool = True,
    city: str = "杭州",
    scenario: Scenario | None = None,
    household_id: int = 1,
) -> pd.DataFrame:
    """Every flow of one family under one year's policy, person by person.

    Parameters
    ----------
    year : int, optional
        Policy year. With ``scenario=None`` the status quo of that year
        (2020–2025) applies, 2021 when ``year`` is not given either; with a
        scenario, ``year`` defaults to the scenario's and must equal it.
    members : sequence of dict
        One dict per person with ``age`` (completed years, required) and optionally
        ``wage``, ``business`` (may be negative), ``property``, ``pension`` (gross
        yuan per year, default 0) and ``employed`` (bool; default: ``wage > 0``
        and ``16 <= age < 60``). An employed person's wage is raised to the
        minimum wage and pays employee contributions; past the retirement age
        (60 here) work is not under a labour contract (劳动合同法实施条例 art.
        21: it ends at the statutory retirement age), nor under 16 (劳动法 art.
        15 forbids employing a child), so a working pensioner or a child with a
        wage is not employed unless ``employed=True`` says so.
    urban : bool, default True
        Urban household (城镇) or rural (农村); with ``city`` it sets the
        minimum-wage tier.
    city : str, default "杭州"
        One of the 11 cities in Chinese or English, or "浙江" (no city).
    scenario : Scenario, optional
        The policy; default ``Scenario.status_quo(year)``.
    household_id : int, default 1
        Identifier of the family (an integer within ±2^53). It matters only
        through the elderly-support deduction: who of the wage earners aged 25–59
        claims it is the kernel's deterministic draw for (household_id, age),
        claimed with probability ``income_tax.elderly_support_share``. Set that
        share to 0 or 1 in the scenario to switch the claim off or on for
        everyone.

    Returns
    -------
    pandas.DataFrame
        Index ``member``: the positions 0, 1, ... of ``members``, then
        ``"household"``. Columns (:data:`HOUSEHOLD_FRAME_COLUMNS`), yuan per year:

        - ``age``, ``employed``: the member's inputs (NA on the household row);
        - gross income by source: ``wage_reported`` (as given), ``wage`` (after
          the scenario's wage growth and the minimum wage), ``business``,
          ``property``, ``pension``;
        - employee contributions ``contribution_pension``, ``_medical``,
          ``_unemployment``, ``_housing_fund`` and their total ``contributions``;
        - deductions available against comprehensive income: ``deduction_basic``,
          ``deduction_children`` (child education and infant care together, all
          taken by the highest-wage adult), ``deduction_elderly_support``,
          ``deductions`` (NaN on the household row: allowances, not flows);
        - ``taxable_income`` and ``iit`` (comprehensive income, i.e. wages),
          ``business_taxable_income`` and ``business_tax``, ``property_tax``, and
          ``iit_total`` = iit + business_tax + property_tax;
        - transfers ``residents_pension``, ``child_allowance``, ``dibao`` (a
          household transfer: NaN on person rows), ``transfers`` (their sum);
        - ``gross_income`` = wage + business + property + pension + transfers;
          ``disposable_income`` = gross_income − contributions − iit_total (on a
          person row, before the household's dibao);
        - household row only: ``per_capita_disposable_income`` (÷ size),
          ``three_person_income`` (3 × per capita) and whether the household is in
          the plan's bands [100k, 500k) and [200k, 600k) on the household basis
          (``band_100k_500k``, ``band_200k_600k``) and the three-person basis
          (``..._three_person``), as in :func:`commonprosperity.simulate`.

        ``attrs`` holds ``year``, ``city``, ``urban``, ``size``,
        ``minimum_wage_annual`` and ``household_id``.

    Raises
    ------
    PopulationError
        For a member key that is not allowed (naming it and listing the allowed
        keys), a missing age, a value of the wrong type or out of range, or an
        unknown city. All the problems of one call are reported together.
    ScenarioError
        For a year without a shipped status quo, or a scenario of another year.

    Warns
    -----
    UserWarning
        If an amount of the scenario looks typed in the wrong unit, as
        :func:`~commonprosperity.simulate` warns: a ``monthly`` field at 10 times
        its status quo or more, a yearly deduction or threshold at a tenth of it
        or less.

    Notes
    -----
    The household row's wage, business, property, pension, contributions, iit,
    business_tax, property_tax, dibao, residents_pension, child_allowance and
    disposable_income are the kernel's household totals, identical to the row of
    ``simulate(population, scenario).households`` for the same family. The
    contributions are split by scheme as total × rate / (sum of the four rates),
    since the kernel applies one combined rate to one clipped base.

    Examples
    --------
    >>> hh = household(2021, members=[{"age": 40, "wage": 120_000}])
    >>> total = hh.loc["household", ["contributions", "iit", "disposable_income"]]
    >>> total.astype(float).round(2).tolist()
    [27000.0, 990.0, 92010.0]

    Contributions are 22.5 % of 120,000; taxable income 120,000 − 27,000 − 60,000
    = 33,000 is taxed at 3 % (个人所得税法 附表一).
    """
    # numbers.Integral: NumPy integers too (``for year in np.arange(...)``), as
    # Scenario accepts them; bools are Integral but not years. Checked with a
    # scenario too: "2021" was told it differs from the scenario's 2021.
    if year is not None and not is_integer(year):
        raise ScenarioError(f"household(): year must be an integer; got {quoted(year)}")
    if scenario is None:
        year = 2021 if year is None else year
        scenario = Scenario.status_quo(year)
    elif not isinstance(scenario, Scenario):
        raise ArgumentTypeError(
            f"scenario must be a Scenario; got {type(scenario).__name__}"
        )
    elif year is not None and scenario.year != year:
        raise ScenarioError(
            f"household(): year={year!r} but the scenario is for {scenario.year}; pass "
            f"year={scenario.year} with this scenario"
        )
    else:
        scenario.check_unchanged("household()")
    pop = _family(
        members, urban=urban, city=city, household_id=household_id, year=scenario.year
    )
    # As simulate: a dibao line of 13,536 a month (the year's) gave one family
    # a top-up twelve times the rule's without a word.
    warn_unit_slips([scenario], "household")
    return _frame(pop, scenario, [m.get("wage", 0) for m in members])


_SOURCE = "household() (persons rows are positions in members)"


def _ages(ages: list[Any]) -> np.ndarray:
    """The members' ages as an array: integers as int64 where every one fits."""
    if all(is_integer(a) and -(2**63) <= a < 2**63 for a in ages):
        return np.array(ages, dtype=np.int64)
    return np.array(ages, dtype=np.float64)


def _family(
    members: Any, *, urban: Any, city: Any, household_id: Any, year: int
) -> Population:
    """Validate the members and build a one-household population."""
    if isinstance(members, str | bytes | Mapping) or not isinstance(members, Sequence):
        raise PopulationError(
            "household(): members must be a list of dicts, one per person, e.g. "
            f"[{{'age': 40, 'wage': 120_000}}]; got {type(members).__name__}"
        )
    if len(members) == 0:
        raise PopulationError("household(): members is empty; give at least one person")
    if len(members) > MAX_HOUSEHOLD_SIZE:
        # Checked first: 100,000 bad members made a message of 6.7 MB.
        raise PopulationError(
            f"household(): members has {len(members):,} persons; a household may "
            f"have at most {MAX_HOUSEHOLD_SIZE}"
        )
    problems = []
    # Each member with its bad entries left out (their defaults in their place),
    # so that Population's checks of ranges and the city run beside these ones:
    # all the problems of one call are said at once.
    kept: list[dict[str, Any]] = []
    for i, member in enumerate(members):
        if not isinstance(member, Mapping):
            problems.append(f"members[{i}] must be a dict; got {type(member).__name__}")
            kept.append({"age": 0})
            continue
        clean = {k: v for k, v in member.items() if k in MEMBER_KEYS}
        clean.setdefault("age", 0)
        kept.append(clean)
        for key in member:
            if key not in MEMBER_KEYS and len(problems) >= SHOWN_PROBLEMS:
                # Counted, not explained, past those the message shows (the
                # closest key of each of 500,000 unknown ones took 15 s).
                problems.append(f"members[{i}] has unknown key {quoted(key)}")
            elif key not in MEMBER_KEYS:
                # Case-blind: 'Wage' is 'wage' mistyped, not 'age'.
                close = [
                    k
                    for k in MEMBER_KEYS
                    if k.casefold() == str(key).strip().casefold()
                ] or difflib.get_close_matches(str(key), MEMBER_KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(
                    f"members[{i}] has unknown key {quoted(key)}{hint}; allowed keys: "
                    f"{', '.join(MEMBER_KEYS)}"
                )
        if "age" not in member:
            problems.append(f"members[{i}] needs 'age' (completed years, 0–120)")
        for key in ("age", *INCOME_COLUMNS):
            value = member.get(key, 0)
            if not is_number(value):
                unit = "completed years" if key == "age" else "yuan per year"
                problems.append(
                    f"members[{i}]['{key}'] must be a number ({unit}); "
                    f"got {quoted(value)}"
                )
                clean[key] = 0
            elif key == "age" and _exact_fraction(value):
                # Checked before float(), which rounds 40.0000000000000001 to 40
                # (Population.from_frames refuses it).
                problems.append(
                    f"members[{i}]['age'] must be a whole number (completed years); "
                    f"got {quoted(value)}"
                )
                clean[key] = 0
            elif beyond_float(value):
                # float() of an int raised a bare OverflowError further on; a
                # Decimal became inf, "got inf" a value never given.
                problems.append(
                    f"members[{i}]['{key}'] is too large for a float (at most "
                    f"{FLOAT_MAX:.4g}); got {quoted(value)}"
                )
                clean[key] = 0
        employed = member.get("employed", False)
        if not isinstance(employed, bool | np.bool_):
            problems.append(
                f"members[{i}]['employed'] must be True or False; "
                f"got {quoted(employed)}"
            )
            clean.pop("employed")
    if not isinstance(urban, bool | np.bool_):
        problems.append(f"urban must be True or False; got {quoted(urban)}")
        urban = True
    if not is_integer(household_id) or not -(2**53) <= household_id <= 2**53:
        # The bound of Population's household_id; a larger one overflowed int64.
        problems.append(
            f"household_id must be an integer within ±2^53; got {quoted(household_id)}"
        )
        household_id = 0
    # A Decimal NaN raises on comparison (decimal.InvalidOperation): as floats,
    # Population's checks name it.
    members = [{k: _plain_number(v) for k, v in m.items()} for m in kept]
    n = len(members)
    persons: dict[str, Any] = {
        "household_id": np.full(n, household_id, dtype=np.int64),
        # Not made float here: an integer age is then quoted as given when
        # refused (2**53 + 1 was "got 9007199254740992.0"), as from_frames does.
        "age": _ages([m["age"] for m in members]),
        "employed": np.array(
            [
                bool(m.get("employed", m.get("wage", 0) > 0 and 16 <= m["age"] < 60))
                for m in members
            ]
        ),
    }
    for key in INCOME_COLUMNS:
        persons[key] = np.array([m.get(key, 0) for m in members], dtype=np.float64)
    households = {
        "household_id": [household_id],
        "weight": [1.0],
        "urban": [bool(urban)],
        "city": np.array([city], dtype=object),
    }
    try:
        pop = Population.from_arrays(households, persons, year=year, source=_SOURCE)
    except PopulationError as error:
        if not problems:
            raise
        problems.append(str(error).removeprefix(source_prefix(_SOURCE)))
        raise PopulationError(
            source_prefix(_SOURCE) + joined_problems(problems)
        ) from None
    if problems:
        raise PopulationError("household(): " + joined_problems(problems))
    return pop


def _exact_fraction(value: Any) -> bool:
    """Whether ``value`` is an exact number (Decimal, Fraction) with a fraction."""
    if isinstance(value, decimal.Decimal):
        return value.is_finite() and value != value.to_integral_value()
    if isinstance(value, fractions.Fraction):
        return value.denominator != 1
    return False


def _plain_number(value: Any) -> Any:
    """A Decimal as a float (a signalling NaN as NaN); anything else as it is."""
    if isinstance(value, decimal.Decimal):
        return math.nan if value.is_nan() else float(value)
    return value


def _frame(pop: Population, scenario: Scenario, reported: list[Any]) -> pd.DataFrame:
    a = scenario.as_arrays()
    p = a.params
    n = pop.n_persons
    minimum_wage = float(p[layout.MINIMUM_WAGE_TIER1 + _tiers(pop)[0]])
    out = np.zeros((n, rules.N_PERSON_COLUMNS))
    f = rules.household_flows(
        0,
        n,
        pop.household_id[0],
        minimum_wage,
        pop.age,
        pop.employed,
        pop.wage,
        pop.business,
        pop.property,
        pop.pension,
        p,
        a.thresholds,
        a.rates,
        a.quick_deductions,
        a.business_thresholds,
        a.business_rates,
        a.business_quick_deductions,
        True,
        out,
    )
    (
        wage,
        business,
        prop,
        pension,
        contributions,
        iit,
        business_tax,
        property_tax,
        dibao,
        residents_pension,
        child_allowance,
    ) = (float(x) for x in f)
    # Same expression, in the same order, as the detail pass behind Result.households.
    disposable = (
        wage
        + business
        + prop
        + pension
        - contributions
        - iit
        - business_tax
        - property_tax
        + dibao
        + residents_pension
        + child_allowance
    )

    si = scenario.social_insurance
    rates = {
        "pension": si.pension_rate,
        "medical": si.medical_rate,
        "unemployment": si.unemployment_rate,
        "housing_fund": si.housing_fund_rate,
    }
    total_rate = p[layout.CONTRIBUTION_RATE]
    share = {k: (r / total_rate if total_rate > 0 else 0.0) for k, r in rates.items()}

    person: dict[str, np.ndarray] = {
        "wage_reported": np.asarray(reported, dtype=np.float64),
        "wage": out[:, rules.P_WAGE],
        "business": pop.business.astype(np.float64),
        "property": pop.property.astype(np.float64),
        "pension": pop.pension.astype(np.float64),
    }
    c = out[:, rules.P_CONTRIBUTIONS]
    for k in rates:
        person[f"contribution_{k}"] = c * share[k]
    person["contributions"] = c
    elderly = out[:, rules.P_ELDERLY_CLAIM] * p[layout.ELDERLY_SUPPORT]
    person["deduction_basic"] = np.full(n, p[layout.BASIC_DEDUCTION])
    # Read, not found by subtracting the others from the sum: (basic + child) +
    # elderly less elderly less basic left 6e-8 yuan on persons without any.
    person["deduction_children"] = out[:, rules.P_CHILD_DEDUCTION]
    person["deduction_elderly_support"] = elderly
    person["deductions"] = out[:, rules.P_DEDUCTIONS]
    person["taxable_income"] = out[:, rules.P_TAXABLE]
    person["iit"] = out[:, rules.P_IIT]
    person["business_taxable_income"] = out[:, rules.P_BUSINESS_TAXABLE]
    person["business_tax"] = out[:, rules.P_BUSINESS_TAX]
    person["property_tax"] = out[:, rules.P_PROPERTY_TAX]
    person["iit_total"] = (
        person["iit"] + person["business_tax"] + person["property_tax"]
    )
    person["residents_pension"] = out[:, rules.P_RESIDENTS_PENSION]
    person["child_allowance"] = out[:, rules.P_CHILD_ALLOWANCE]
    person["dibao"] = np.full(n, np.nan)
    person["transfers"] = person["residents_pension"] + person["child_allowance"]
    person["gross_income"] = (
        person["wage"]
        + person["business"]
        + person["property"]
        + person["pension"]
        + person["transfers"]
    )
    person["disposable_income"] = (
        person["gross_income"] - person["contributions"] - person["iit_total"]
    )

    total: dict[str, float] = {k: float(np.sum(v)) for k, v in person.items()}
    total.update(
        {
            "wage": wage,
            "business": business,
            "property": prop,
            "pension": pension,
            "contributions": contributions,
            "iit": iit,
            "business_tax": business_tax,
            "property_tax": property_tax,
            "dibao": dibao,
            "residents_pension": residents_pension,
            "child_allowance": child_allowance,
            "disposable_income": disposable,
        }
    )
    for k in rates:
        total[f"contribution_{k}"] = contributions * share[k]
    for k in _PERSON_ONLY:
        total[k] = np.nan
    total["iit_total"] = iit + business_tax + property_tax
    total["transfers"] = residents_pension + child_allowance + dibao
    total["gross_income"] = wage + business + prop + pension + total["transfers"]
    per_capita = disposable / n
    three_person = 3.0 * disposable / n
    total["per_capita_disposable_income"] = per_capita
    total["three_person_income"] = three_person

    index = pd.Index([*range(n), "household"], dtype=object, name="member")
    low1, high1, low2, high2 = (float(x) for x in BAND_EDGES)
    bands = {
        "band_100k_500k": low1 <= disposable < high1,
        "band_200k_600k": low2 <= disposable < high2,
        "band_100k_500k_three_person": low1 <= three_person < high1,
        "band_200k_600k_three_person": low2 <= three_person < high2,
    }
    columns: dict[str, Any] = {
        "age": pd.array([*pop.age.tolist(), None], dtype="Int64"),
        "employed": pd.array([*pop.employed.tolist(), None], dtype="boolean"),
    }
    for name in HOUSEHOLD_FRAME_COLUMNS[2:]:
        if name in _BANDS:
            columns[name] = pd.array([None] * n + [bands[name]], dtype="boolean")
            continue
        column = np.full(n, np.nan) if name in _HOUSEHOLD_ONLY else person[name]
        columns[name] = np.append(np.asarray(column, dtype=np.float64), total[name])
    # One frame from all its columns: inserted one at a time they took 10 ms of
    # a call (pandas checks its column index at each insert).
    frame = pd.DataFrame(columns, index=index)
    frame.attrs.update(
        {
            "year": scenario.year,
            "city": str(pop.city[0]),
            "urban": bool(pop.urban[0]),
            "size": n,
            "minimum_wage_annual": minimum_wage,
            "household_id": int(pop.household_id[0]),
        }
    )
    return frame
