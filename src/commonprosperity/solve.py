"""Goal seeking: the smallest value of one lever that meets a target."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np

from commonprosperity._interrupt import interruptible
from commonprosperity._sweep_engine import (
    _check_common,
    _evaluate,
    _fixed_part,
    _Ordered,
    _ordered_for_sweep,
    _split_fixed,
    _stack,
)
from commonprosperity._unit_slips import unit_slips, warn_unit_slips
from commonprosperity._validate import (
    as_given,
    finite_float,
    is_integer,
    is_number,
    quoted,
)
from commonprosperity._warn import warn_user
from commonprosperity.errors import (
    ArgumentError,
    ScenarioError,
    TargetUnreachableError,
)
from commonprosperity.population import Population
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import (
    INDICATOR_NAMES,
    _indicator_values,
    other_year_note,
    population_cities_note,
)
from commonprosperity.targets import (
    BOUND_TOLERANCE,
    TARGET_BY_ID,
    TARGETS,
    goal_value_problem,
    meets,
    unbounded_gaps,
)

__all__ = ["solve"]

_SINGLE_YEAR_TARGETS = tuple(t for t in TARGETS if t.indicator in INDICATOR_NAMES)


# -------------------------------------------------------------------- solve
# Each run of digits or spaces can be matched one way only: "\d+\.?\d*" split a
# run of digits n ways, and "\s*" on both sides of an absent group a run of
# spaces, so a long bad target took quadratic time (20,000 digits: 20 s).
_TARGET_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?))?\s*$"
)


@dataclass(frozen=True)
class _Goal:
    indicator: str
    comparison: str
    value: float
    text: str

    def met(self, v: np.ndarray, tolerance: float | None = None) -> np.ndarray:
        """Whether each value meets the goal (NaN never does).

        A value within ``tolerance`` of the bound is on it; by default the
        search's (:func:`search_tolerance`), so that an answer found at the edge
        of the table's tolerance is not judged missed by ``simulate``, whose
        value differs from the sweep's by rounding (a minimum wage solved for T1
        with xtol=1e-9 gave 74,999.99999992506, met, where simulate gave
        ...2477, not met). Judging rows as the table does (``cheapest``), pass
        ``targets.BOUND_TOLERANCE``.
        """
        if tolerance is None:
            tolerance = search_tolerance(self.comparison)
        return np.asarray(meets(v, self.comparison, self.value, tolerance), dtype=bool)


#: The tolerance ``solve`` judges a value on the bound of ``<=`` or ``>=`` with:
#: half the target table's (``targets.BOUND_TOLERANCE``), so a value it counts
#: as on the bound (met) is on it in ``simulate(...).targets()`` too.
SEARCH_TOLERANCE = BOUND_TOLERANCE / 2
#: ... and of ``<`` or ``>``: twice the table's, so a value it counts as off the
#: bound (met) is off it in the table too (with half, T4 < 1.9 was solved at a
#: ratio of 1.8999999999990531, which the table counts as on 1.9: not met).
STRICT_SEARCH_TOLERANCE = 2 * BOUND_TOLERANCE


def search_tolerance(comparison: str) -> float:
    """The tolerance ``solve`` judges a value against a bound with ``comparison``.

    On the bound counts as met for ``<=`` and ``>=`` and as missed for ``<`` and
    ``>``; the search's band is narrower than the table's for the first and
    wider for the second, so an answer the search finds met is met in the table.
    """
    return SEARCH_TOLERANCE if comparison in ("<=", ">=") else STRICT_SEARCH_TOLERANCE


_PARTS_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>[^\sA-Za-z0-9_.+-]+)?\s*(?P<rest>.*)$"
)


def _which_part(target: str) -> str:
    """Which part of a condition is wrong: the comparison or the number, or ""."""
    m = _PARTS_RE.match(target)
    if m is None:
        return ""
    op, rest = m.group("op"), m.group("rest").strip()
    if op is not None and op not in ("<=", ">=", "<", ">"):
        return f" (the comparison {quoted(op)} is not one of <=, >=, <, >)"
    if op is not None:
        if not rest:
            return f" (no number after {quoted(op)})"
        return f" (after {quoted(op)}, {quoted(rest)} is not a number)"
    if rest:
        return f" (no comparison before {quoted(rest)})"
    return ""


def _parse_target(target: str) -> _Goal:
    if not isinstance(target, str):
        raise ArgumentError(
            f"target must be a string like 'gini <= 0.40', 'T4' or 'T2 >= 0.8'; "
            f"got {type(target).__name__}"
        )
    m = _TARGET_RE.match(target)
    allowed = (
        f"an indicator ({', '.join(INDICATOR_NAMES)}) or a target id "
        f"({', '.join(t.id for t in _SINGLE_YEAR_TARGETS)}), then one of "
        "<=, >=, <, > and a number"
    )
    if m is None:
        raise ArgumentError(
            f"target {quoted(target)} is not understood{_which_part(target)}; write "
            f"{allowed}, e.g. 'gini <= 0.40' or 'T4'"
        )
    name, op, value = m.group("name"), m.group("op"), m.group("value")
    if value is not None and not math.isfinite(float(value)):
        # "gini <= 1e999" reads as inf: met by any value, so the lower bound.
        raise ArgumentError(
            f"target {quoted(target)}: the number must be finite; got "
            + (value if len(value) <= 40 else f"{value[:30]}… ({len(value):,} digits)")
        )
    if name in TARGET_BY_ID:
        t = TARGET_BY_ID[name]
        if t.indicator not in INDICATOR_NAMES:
            why = (
                "needs gdp and labour_compensation (national accounts), which no "
                "lever of the households moves"
                if name == "T7"
                else "cannot be judged from one year's simulation"
            )
            raise ArgumentError(
                f"target {name} ({t.indicator}) {why}; a target here is {allowed}"
            )
        if op is None:
            return _Goal(
                t.indicator,
                t.comparison,
                t.target,
                f"{name}: {t.indicator} {t.comparison} {t.target:g}",
            )
        _check_goal(target, t.indicator, float(value))
        return _Goal(t.indicator, op, float(value), f"{t.indicator} {op} {value}")
    if name not in INDICATOR_NAMES:
        raise ArgumentError(
            f"target {quoted(target)}: unknown name {quoted(name)}; write {allowed}"
        )
    if op is None:
        raise ArgumentError(
            f"target {quoted(target)} needs a comparison and a number, e.g. "
            f"'{name} <= 0.40'"
        )
    _check_goal(target, name, float(value))
    return _Goal(name, op, float(value), f"{name} {op} {value}")


def _check_goal(target: str, indicator: str, value: float) -> None:
    if problem := goal_value_problem(indicator, value):
        raise ArgumentError(f"target {quoted(target)}: {problem}")


def _slip_path(lever: str) -> str:
    """The path unit_slips names for ``lever`` (a schedule's, for one of its items)."""
    return lever.partition("[")[0]


def _warn_unit_slips(base: Scenario, lever: str, bounded: list[Scenario]) -> None:
    """Warn of amounts of the search that look typed in the wrong unit.

    The bounds when both look mistyped (yearly bounds of a monthly lever were
    solved without a word; one end alone is a generous search); the base's other
    fields as sweep says them. The lever's value in the base is never simulated,
    so its slip is not said, unless it is a schedule's field whose slip both
    bounds keep (another item of it).
    """
    path = _slip_path(lever)
    own = dict(unit_slips(base)).get(path)
    notes = [dict(unit_slips(s)).get(path) for s in bounded]
    kept = own is not None and all(n == own for n in notes)
    warn_unit_slips([base], "solve", skip=() if kept else (path,))
    if not kept and all(notes):
        warn_user(f"solve: both bounds look mistyped: {notes[0]}; and {notes[1]}")


@interruptible
def solve(
    population: Population,
    base: Scenario,
    lever: str,
    target: str,
    bounds: tuple[float, float],
    xtol: float | None = None,
    *,
    band_basis: str = "household",
) -> float | int:
    """Smallest value of one lever, within ``bounds``, that meets a target.

    Parameters
    ----------
    population : Population
        Weighted households and persons.
    base : Scenario
        The policy whose lever is varied; every other field stays as in ``base``.
    lever : str
        Dotted path of a number field, e.g. ``"transfers.dibao_monthly"``,
        ``"income_tax.rates[2]"`` or the integer
        ``"transfers.child_allowance_max_age"``.
    target : str
        ``"<indicator> <op> <number>"`` with op one of ``<=, >=, <, >`` (e.g.
        ``"gini <= 0.40"``), a plan target id T1–T6 (its own comparison and
        level, e.g. ``"T4"``) or an id with another level (``"T2 >= 0.8"``).
        Parsed without ``eval``. Judged as the target table judges, a value near
        the level counting as on it (met for ``<=``, ``>=``; not for ``<``,
        ``>``), but within half its tolerance for ``<=``, ``>=`` (5e-13 relative
        to the level, or absolute below 1) and twice it for ``<``, ``>``: the
        answer's value, recomputed by ``simulate`` (equal up to rounding), then
        meets the target in the table too.
    bounds : (float, float)
        ``(lo, hi)`` with ``lo < hi``, in the lever's unit. An integer lever
        takes the integers in ``[lo, hi]``, which must be two or more.
    xtol : float, optional
        Tolerance on a float lever, default ``1e-6 × (hi − lo)``. An integer
        lever's answer is exact; it takes no ``xtol``.
    band_basis : {"household", "three_person"}
        How households are placed in the plan's income bands (T2, T3), as in
        :func:`~commonprosperity.simulate`.

    Returns
    -------
    float or int
        A lever value ``x`` whose simulation meets the target while every value
        below ``x − xtol`` does not (``lo`` if ``lo`` already meets it); for an
        integer lever the smallest integer that meets it. The search judges a
        value against the bound with its own tolerance (``search_tolerance``:
        narrower than the table's for ``<=``/``>=``, wider for ``<``/``>``), so
        that its answer is met in the table too; with an ``xtol`` finer than
        the lever change that moves the indicator by that tolerance (about
        1e-12 of the bound), a value a little below ``x − xtol`` may also read
        "met" in the table.

    Raises
    ------
    TargetUnreachableError
        If the target is not met at either bound nor at any value tried between
        them (17 evenly spaced, then 17 more around the value nearest to meeting
        it, three times; the message gives the indicator's value at both bounds,
        and says so if the indicator is not monotone over them). A target met
        only somewhere in between means the indicator is not monotone: the error
        below.
    CommonProsperityError
        If ``lo`` misses the target, a value in the bounds meets it and the
        indicator is not monotone in the lever over the bounds (checked on 17
        evenly spaced values and on every evaluation of the search), or for a
        target or lever that cannot be solved for.

    Warns
    -----
    UserWarning
        If the population's year (``Population.year``) is not the policy
        year: its targets are judged on incomes of another year (as the
        notes of ``Result.targets()`` say); ``project`` gives the policy
        year's incomes. If the target is T5 (``city_max_min_ratio``) and the
        population has households in only some of the 11 cities (the plan's
        ratio is over all of them).

    Examples
    --------
    >>> from commonprosperity import Scenario, synthetic_population
    >>> from commonprosperity.solve import solve
    >>> pop = synthetic_population(2_000, seed=3)
    >>> x = solve(pop, Scenario.status_quo(2021), "transfers.dibao_monthly",
    ...           "gini <= 0.38", bounds=(500, 3_000), xtol=1.0)
    >>> 500 < x < 3_000
    True
    """
    _check_common(population, base, "exact", band_basis, "solve")
    goal = _parse_target(target)
    if years := other_year_note(population.year, base.year):
        warn_user(f"solve: {target} is judged on {years}")
    if goal.indicator == TARGET_BY_ID["T5"].indicator and (
        cities := population_cities_note(population, judged_only=True)
    ):
        # The plan's T5 is over all 11 cities, as Result.targets() notes.
        warn_user(f"solve: {target} is judged {cities}")
    if not isinstance(lever, str) or lever == "year":
        raise ArgumentError(
            "lever must be the dotted path of a number scenario field; "
            f"got {quoted(lever)}"
        )
    current = base.get(lever)
    integer = isinstance(current, int) and not isinstance(current, bool)
    if not (isinstance(current, float) or integer):
        element = (
            f"; solve for one of its elements, e.g. {lever}[{len(current) - 1}]"
            if isinstance(current, list) and current
            else ""
        )
        raise ArgumentError(
            f"lever {lever} must be a number field (a rate, share, amount or age); "
            f"it holds {type(current).__name__} {current!r}{element}"
        )
    try:
        # A string is not two numbers ("12" read as (1, 2)), nor are True, "500".
        if isinstance(bounds, str | bytes | Mapping):
            raise TypeError
        lo_in, hi_in = bounds
        if not all(is_number(b) for b in bounds):
            raise TypeError
        lo, hi = float(lo_in), float(hi_in)
    except (TypeError, ValueError, OverflowError):
        raise ArgumentError(
            f"bounds must be two numbers (lo, hi); got {quoted(bounds)}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ArgumentError(f"bounds must be finite with lo < hi; got ({lo!r}, {hi!r})")
    if integer:
        if xtol is not None:
            raise ArgumentError(
                f"xtol is for float levers; {lever} is an integer and its answer is "
                f"exact; got xtol={xtol!r}"
            )
        # An integer bound as given: through a float, 123456789012345678901
        # was quoted as 123456789012345683968, a number never typed.
        lo = int(lo_in) if is_integer(lo_in) else math.ceil(lo)
        hi = int(hi_in) if is_integer(hi_in) else math.floor(hi)
        lo_in, hi_in = float(lo_in), float(hi_in)
        if lo > hi:
            raise ArgumentError(
                f"bounds ({as_given(lo_in)}, {as_given(hi_in)}) hold no integer "
                f"value of {lever}"
            )
        if lo == hi:
            # Nothing to search (a float lever needs lo < hi likewise); the
            # search reported "the -1 values tried between" the bounds.
            raise ArgumentError(
                f"bounds ({as_given(lo_in)}, {as_given(hi_in)}) hold one integer "
                f"value of {lever} "
                f"({lo}) only: give bounds around two or more, or simulate "
                f"{lever} = {lo} itself"
            )
        xtol = 1
    if xtol is None:
        span = hi - lo
        # hi - lo overflows for bounds near ±1.8e308 (xtol "got inf")
        xtol = 1e-6 * span if math.isfinite(span) else 1e-6 * hi - 1e-6 * lo
        # Bounds a few subnormals apart: the default rounded to 0 and the error
        # blamed an xtol the caller never gave.
        xtol = max(xtol, math.ulp(0.0))
    # NumPy floats are numbers too; a bool is not a tolerance.
    number = finite_float(xtol)  # math.isfinite(10**400): OverflowError
    if not (number is not None and number > 0):
        raise ArgumentError(f"xtol must be a positive number; got {quoted(xtol)}")
    # The field's own type: an integer field refuses a float.
    kind = int if integer else float
    for b in (lo, hi):
        try:
            base.replace({lever: kind(b)})
        except ScenarioError as exc:
            raise ScenarioError(
                f"bounds: {lever} = {b!r} is not a valid value: "
                f"{str(exc).removeprefix('scenario: ')}"
            ) from None

    bounded = [base.replace({lever: kind(lo)}), base.replace({lever: kind(hi)})]
    # Yearly bounds of a monthly lever (12,660 to 36,000 a month) were solved
    # without a word. A range of which one end only looks mistyped is a generous
    # search (a dibao up to 30,000 a month), not a slip.
    _warn_unit_slips(base, lever, bounded)
    # Households no lever value in [lo, hi] changes are evaluated once.
    at_bounds = _stack([base, *bounded])
    three = band_basis == "three_person"
    # The households no value between the bounds changes (``head``), evaluated
    # once; as the bounds narrow, those no value between the new ones changes
    # join them (a new head around the old), and only they are evaluated. A
    # round of seven values at 1e6 households re-evaluated every fixed household
    # and re-split the others: 0.6 s a round.
    pop = _ordered_for_sweep(population, base, at_bounds)
    known = None
    if pop.head is not None:
        known = (pop.head, _fixed_part(pop.head, at_bounds, "exact", three))
    seen: dict[float, float] = {}
    why: dict[float, str] = {}  # why the indicator is NaN at a value

    narrowed = False
    worth = True  # whether narrowing still moves households to the head

    def narrow(a: float, b: float) -> None:
        nonlocal pop, known, narrowed, worth
        narrowed = True
        if not worth:
            return
        between = _stack([base.replace({lever: kind(x)}) for x in (a, b)])
        narrower = _split_fixed(pop, between)
        if narrower.head is not pop.head:
            known = (
                # A new head (_split_fixed moved households to it): not None.
                cast(_Ordered, narrower.head),
                _fixed_part(narrower.head, between, "exact", three, known),
            )
        # The households any value changes (dibao recipients, for the dibao
        # line) stay however narrow the bounds: once a split frees few, stop.
        worth = 16 * (pop.n_households - narrower.n_households) > pop.n_households
        pop = narrower

    def values(xs: np.ndarray) -> np.ndarray:
        todo = [float(x) for x in xs if float(x) not in seen]
        if todo:
            st = _stack([base.replace({lever: kind(x)}) for x in todo])
            # Once narrowed, the head holds every household the values leave
            # unchanged: no split of their own.
            out = _evaluate(
                pop, st, "exact", band_basis, known=known, split=not narrowed
            )
            for k, x in enumerate(todo):
                ind, cities, undefined = _indicator_values(out.totals[k])
                if goal.indicator in undefined:
                    why[x] = undefined[goal.indicator]
                pc_ok = ind["per_capita_disposable_income"] > 0
                ind["gini"] = out.gini[k] if pc_ok else np.nan
                value = ind[goal.indicator]
                if (
                    np.isnan(value)
                    and goal.comparison in ("<", "<=")
                    and any(
                        TARGET_BY_ID[tid].indicator == goal.indicator
                        for tid in unbounded_gaps(ind, cities.values())
                    )
                ):
                    # An unbounded gap (rural income not positive while urban
                    # is): above any bound, as the targets judge it, not a
                    # value the search cannot use.
                    value = np.inf
                seen[x] = value
        return np.array([seen[float(x)] for x in xs])

    def shape_problem() -> str | None:
        """Why the values seen are not monotone in the lever, or None."""
        xs = np.array(sorted(seen))
        v = np.array([seen[x] for x in xs])
        if np.isnan(v).any():
            bad = xs[np.isnan(v)]
            reason = why.get(float(bad[0]))
            raise ArgumentError(
                f"{goal.indicator} is undefined (NaN) at {lever} = "
                f"{as_given(bad[0])}"
                + (f" ({reason})" if reason else "")
                + (
                    # No lever gives a rural population urban households.
                    "; no lever value can change that"
                    if reason and "households" in reason
                    else "; cannot solve over these bounds"
                )
            )
        with np.errstate(invalid="ignore"):
            d = np.diff(v)
        finite = np.abs(v[np.isfinite(v)])
        tol = 1e-12 * max(1.0, float(finite.max()) if finite.size else 1.0)
        up, down = d > tol, d < -tol
        if not (up.any() and down.any()):
            return None
        i = int(np.argmax(up))
        j = int(np.argmax(down))
        return (
            f"{goal.indicator} is not monotone in {lever} over "
            f"[{as_given(lo)}, {as_given(hi)}]: it rises from {v[i]:.10g} to "
            f"{v[i + 1]:.10g} between {as_given(xs[i])} and {as_given(xs[i + 1])} "
            f"but falls from {v[j]:.10g} to {v[j + 1]:.10g} between "
            f"{as_given(xs[j])} and {as_given(xs[j + 1])}"
        )

    def check_monotone() -> None:
        problem = shape_problem()
        if problem:
            raise ArgumentError(f"{problem}; narrow the bounds to a monotone range")

    grid = _points(lo, hi, 17, integer)
    v = values(grid)
    ok = goal.met(v)
    if ok[0]:
        # The smallest value meeting it whatever the shape above lo.
        return kind(lo)
    if not ok[-1]:
        if not np.all(v == v[0]):
            # Unmet at both bounds, and the even grid may step over a narrow
            # interval where it is met (a band share rises then falls as the
            # dibao line grows: at bounds (0, 1e6) every point but 0 lay beyond
            # it, and the target was called unreachable). Look closer around the
            # value nearest to meeting it; one met there proves the indicator
            # not monotone, which check_monotone reports.
            for _ in range(3):
                xs = np.array(sorted(seen))
                vs = np.array([seen[x] for x in xs])
                rising = goal.comparison in (">=", ">")
                i = int(np.argmax(vs) if rising else np.argmin(vs))
                a, b = float(xs[max(i - 1, 0)]), float(xs[min(i + 1, len(xs) - 1)])
                closer = _points(a, b, 17, integer)
                if goal.met(values(closer)).any():
                    check_monotone()
                    raise ArgumentError(
                        f"target {goal.text} is met inside "
                        f"[{as_given(lo)}, {as_given(hi)}] but not at {lever} = "
                        f"{as_given(hi)}; the indicator is not monotone there"
                    )
                if len(closer) <= 3:
                    break
        # Met nowhere: unreachable over these bounds, whatever the shape (an
        # indicator that dips was called "not monotone", an ArgumentError, and
        # a caller catching TargetUnreachableError missed it).
        shape = shape_problem()
        # A lever that moves nothing (a top tax rate no household's income
        # reaches) deserves saying so: "not met" alone reads as "too weak".
        unbounded = (
            "; inf: an unbounded gap, the lower per-capita income not positive "
            "(or next to 0) while the higher is"
            if np.isinf(v).any()
            else ""
        )
        flat = (
            f"; {goal.indicator} is the same at all {len(v)} values tried: the "
            "lever does not move it in this population (it may not depend on "
            "incomes, as the urbanisation rate does not; the lever may change no "
            "household's income, e.g. no taxable income reaches that bracket; or "
            "the incomes it changes stay on the same side of the indicator's "
            "thresholds, as a dibao top-up does of the income bands)"
            # Not where the gap is unbounded throughout: the lever may move
            # the lower income, which stays at or below 0.
            if np.all(v == v[0]) and np.isfinite(v[0])
            else ""
        )
        raise TargetUnreachableError(
            f"target {goal.text} is not met for {lever} in "
            f"[{as_given(lo)}, {as_given(hi)}] (at either bound nor at the "
            f"{len(seen) - 2} values tried between them): {goal.indicator} = "
            f"{v[0]:.10g} at {lever} = {as_given(lo)} and {v[-1]:.10g} at "
            f"{lever} = {as_given(hi)}{unbounded}{flat}{f'; {shape}' if shape else ''}"
        )
    check_monotone()
    k = int(np.argmax(ok))
    a, b = float(grid[k - 1]), float(grid[k])
    while b - a > xtol:
        before = (a, b)
        narrow(a, b)
        xs = _points(a, b, 9, integer)[1:-1]
        vs = values(xs)
        check_monotone()
        hit = goal.met(vs)
        if hit.any():
            j = int(np.argmax(hit))
            if not hit[j:].all():
                raise ArgumentError(
                    f"target {goal.text} is met and then missed again as {lever} rises "
                    f"in [{as_given(a)}, {as_given(b)}]; the indicator is not "
                    "monotone there"
                )
            b = float(xs[j])
            if j > 0:
                a = float(xs[j - 1])
        else:
            a = float(xs[-1])
        if (a, b) == before:
            # a and b are adjacent floats (xtol finer than their spacing): b is
            # the smallest value that meets the target.
            break
    return kind(b)


def _points(a: float, b: float, n: int, integer: bool) -> np.ndarray:
    """Up to ``n`` evenly spaced values from ``a`` to ``b``.

    Integers for an integer lever: for integer ``a`` and ``b`` with ``b - a > 1``
    at least one lies strictly between them.
    """
    xs = np.linspace(a, b, n)
    return np.unique(np.round(xs)) if integer else xs
