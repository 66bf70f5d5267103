"""The engine behind :func:`~commonprosperity.sweep.sweep` and ``solve``.

Grids become scenarios (:func:`_expand_grid`), scenarios become stacked kernel inputs
(:func:`_stack`), and :func:`_evaluate` runs them in blocks through
:func:`commonprosperity._kernels.sweep.sweep_pass`.

How a sweep runs:

1. For the exact Gini, the base scenario is simulated once and the households
   are ordered by its per-capita disposable income (:func:`_ordered_for_sweep`),
   so every scenario's per-capita incomes are nearly sorted (cheaper sorts); the
   bracketed Gini's histograms take the households in their own order.
2. Households that no scenario of the sweep can change
   (:func:`~commonprosperity._kernels.sweep.household_varies`: conservative,
   monotone bounds on the rules; e.g. no dibao at the highest line, no tax at the
   lowest deduction) go, in whole chunks, to a fixed part, ``_Ordered.head``,
   evaluated once (:func:`_fixed_part`). The others' persons are copied in sweep
   order, so the per-scenario passes read memory in order.
3. Scenarios that differ only in transfer parameters (:func:`_policy_groups`, over
   the sweep's whole grid, so Dask tasks group alike) split off a second fixed
   part: the households none of their transfers change.
4. Each block of scenarios is one kernel pass over the remaining households,
   staged by :meth:`_Stacked.level` (the rule stages whose parameters are the same
   across the block run once per chunk, only the varying ones per scenario; when
   only transfers vary, the rules' flows are computed once for all the group's
   blocks, :func:`_transfer_invariants`; when contributions, deductions or tax
   schedules vary, the scenarios run as SIMD lanes,
   :func:`~commonprosperity._kernels.sweep_lanes.lanes_sweep`) and
   continuing the fixed parts' compensated sums chunk for chunk: every total is
   bit for bit that of one pass over all the households in that order. A block's
   per-capita incomes are kept within a memory budget (:func:`_block_size`); when
   that leaves a bracketed lane pass less than a whole lane group (a wage lever
   makes every household with a wage vary), whole groups run over tiles of
   households instead
   (:func:`_bracket_tiles`), each scenario's rows added to its own histogram.
5. Ginis merge the fixed part with each scenario's varying households: the exact
   one sums the fixed incomes, sorted, once (their gap sum and running totals)
   and per scenario walks the scenario's rows only, adding each row's distances
   to the fixed rows from those totals
   (:func:`~commonprosperity._kernels.split_gini.gini_exact_split`; 1,000
   scenarios at 1e6 households: 19.4 -> 15.7 s for a tax lever, 11.0 -> 8.3 s
   for the dibao line x basic deduction grid); where that sum's rounding bound
   is not small (rows crowded at one income) the fixed and the scenario's
   incomes are merged in one gap-form pass
   (:func:`~commonprosperity._kernels.inequality.gini_exact_merged`). A
   scenario's incomes are sorted by insertion from the previous scenario's order
   (:func:`~commonprosperity._kernels.inequality.resort_stable`, which gives the
   stable argsort's order; timsort when they moved too far). Two runs of
   consecutive scenarios go at a time in Python threads (the kernels release the
   GIL); the bracketed one adds the scenario's histogram to the fixed part's
   (:func:`~commonprosperity._kernels.histogram.merge_binned`), with at least the
   rounding allowance of one histogram of all the rows, so it is simulate's
   bracket up to rounding.

6. Bracketed sweeps of crossed grids (transfer levers crossed with tax or
   contribution levers, e.g. dibao line × basic deduction) go further
   (:mod:`commonprosperity._sweep_crossed`): the households only the transfer
   levers change are evaluated once per transfer setting instead of once per
   policy group, and the others once per policy group, a block of groups per
   pass; each scenario adds its parts' sums and merges their histograms.

Every scenario's numbers depend on nothing but the scenario, the population and
the sweep's grid (which households are fixed), so results do not change with the
thread count, the block size or the engine; they equal single ``simulate`` runs
to 1e-12 (tests/unit/test_sweep.py, test_sweep_fixed.py).
"""

from __future__ import annotations

import builtins
import dataclasses
import decimal
import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, cast

import numpy as np
from pydantic import ConfigDict, TypeAdapter, ValidationError

from commonprosperity._kernels import layout as L
from commonprosperity._kernels import read_only, thread_count
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.gather import gather, gather_ranges
from commonprosperity._kernels.histogram import (
    add_rows,
    binned,
    binned_bracket,
    bracket_by_sort,
    bracket_gini,
    collect_rows,
    exact_gini_bounds,
    income_sums,
    merge_binned,
    running_sums,
)
from commonprosperity._kernels.inequality import (
    descents,
    gini_exact_from_order,
    gini_exact_merged,
    resort_stable,
)
from commonprosperity._kernels.radix_sort import (
    sort_work,
    sorted_values,
    stable_sorted_rows,
)
from commonprosperity._kernels.split_gini import (
    fixed_part_sums,
    gini_exact_split,
    row_weights,
)
from commonprosperity._kernels.sweep import (
    GROUP_D,
    LEVEL_C,
    LEVEL_D,
    LEVEL_T,
    LEVEL_W,
    N_COUNTS,
    household_varies,
    pad_schedules,
    stage_level,
    sweep_pass,
    transfer_invariants,
    transfers_sweep_from,
)
from commonprosperity._kernels.sweep_lanes import KMAX, LANES, lanes_sweep
from commonprosperity._validate import is_real, joined_problems, one_of, quoted
from commonprosperity.errors import ArgumentError, ArgumentTypeError, ScenarioError
from commonprosperity.population import CITY_LABELS, INCOME_COLUMNS, Population
from commonprosperity.scenario import Scenario, dotted_values, overlapping_paths
from commonprosperity.simulate import (
    BAND_EDGES,
    _gini_weight,
    _tiers,
    check_band_basis,
    person_arrays,
)

SWEEP_GINI_METHODS = ("exact", "bracket")
#: Most scenarios one sweep may hold (as many as a sweep file's). Each holds
#: about 5-15 kB while the sweep runs (its validated Scenario, parameter rows,
#: totals): a million took 7.5-15 GB on a population of 1,000 households.
MAX_SCENARIOS = 100_000
#: Most bytes for the per-block buffers (per-capita incomes or histograms).
#: Blocks of 48 scenarios instead of 24 share each pass's invariant work among
#: twice the scenarios: a tax lever of 1,000 scenarios at 1e6 households (307,776
#: households varying) took 3.3-3.7 s instead of 3.9-4.7 (alternated runs, 2
#: threads, znver3), for 60 MB more.
BLOCK_BYTES = 128 * 2**20
#: Largest relative rounding bound of the split exact Gini (gini_exact_split)
#: taken; above it (rows crowded at one income) the merged walk runs instead.
SPLIT_ERROR = 1e-13
#: Most scenarios per kernel pass.
MAX_BLOCK = 64
#: Lane groups in a bracketed block run by tiles: each person's scalar work and
#: each chunk's invariant stages (``_precompute``) are then shared by twice the
#: scenarios. A wage lever of 1,000 scenarios at 1e6 households: kernel passes
#: 3.2-3.5 s in blocks of 48 against 4.1-4.3 in blocks of 24 (72: 3.2, 144: 3.4),
#: whole sweep 5.6-5.9 s against 6.3-6.6 (2 threads, znver5). The tiles shrink
#: to keep the block memory; the histograms (one per scenario of the block)
#: take only the pages their bins touch.
TILED_GROUPS = 2
#: Bytes a household of the population the per-capita buffer of a block may take
#: (the population's own arrays take about 140).
BLOCK_PER_HOUSEHOLD = 120

#: :func:`~commonprosperity._kernels.sweep.transfer_invariants`: flows, counts,
#: sizes and the per-chunk parts.
_Invariants = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: A :func:`~commonprosperity._kernels.histogram.binned` histogram.
_Binned = tuple[np.ndarray, np.ndarray, int, bool, bool]
#: :func:`~commonprosperity._kernels.split_gini.fixed_part_sums`.
_FixedSums = tuple[np.ndarray, np.ndarray, float, float, float, float, float, float]
#: The household columns of an ``_Ordered``, in its fields' order.
_HouseholdColumns = tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


# ------------------------------------------------------------------ scenario grids
@dataclass(frozen=True)
class _Grid:
    """Scenarios to evaluate and, per lever path, the value of each scenario."""

    scenarios: list[Scenario]
    levers: dict[str, list[Any]]


def _plain(value: Any) -> Any:
    """NumPy scalars to Python scalars, lists to tuples (hashable, frame-friendly).

    A float16 stays one, for the scenario to refuse (it may have been rounded).
    """
    if isinstance(value, np.generic) and not isinstance(value, np.float16):
        return value.item()
    if isinstance(value, np.ma.MaskedArray) and value.ndim == 0:
        # np.ma.masked[()] is np.ma.masked: the recursion below never ended.
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        # np.array(900.0) is one number: iterating it raised a bare TypeError.
        return _plain(value[()])
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(_plain(v) for v in value)
    return value


def _nested(value: Any) -> bool:
    """Whether a grid value is more than a number or a flat list of them."""

    def container(v: Any) -> bool:
        if isinstance(v, np.ndarray):
            return v.ndim > 0
        return isinstance(v, list | tuple | Mapping | set | frozenset)

    if isinstance(value, Mapping | set | frozenset):
        return True
    if isinstance(value, np.ndarray):
        return value.ndim > 1 or (
            value.dtype == object and any(container(v) for v in value.ravel())
        )
    return isinstance(value, list | tuple) and any(container(v) for v in value)


def _is_values(values: Any) -> bool:
    if isinstance(values, np.ndarray) and values.ndim == 0:
        return False
    return isinstance(values, Iterable) and not isinstance(
        values, str | bytes | Mapping
    )


def value_key(value: Any) -> Any:
    """A key for a lever value that tells apart values a scenario tells apart.

    ``True == 1.0`` (and ``Decimal(1)``, ``Fraction(1)``) with equal hashes, so as
    a plain dict key a bool following an equal float took the float's place: it
    was never validated, and ``[1.0, True]`` swept ``True`` as the rate 1.0 (a
    bool alone is refused). The key adds each value's type (tuples element by
    element).
    """
    if isinstance(value, tuple):
        return tuple(value_key(v) for v in value)
    return (type(value), value)


def _expand_grid(
    base: Scenario, grid: Any, checked: Callable[[int], Any] | None = None
) -> _Grid:
    """The scenarios of ``grid``, each validated.

    ``checked(1)`` is called after each combination of several levers is
    validated (a progress bar's ``update``).
    """
    if isinstance(grid, Mapping):
        return _expand_mapping(base, grid, checked)
    if isinstance(grid, Sequence) and not isinstance(grid, str | bytes):
        return _expand_list(base, grid)
    raise ScenarioError(
        "grid must be a mapping of dotted scenario paths to lists of values, or a "
        f"list of Scenario objects of one year; got {type(grid).__name__}"
    )


def repeated_values(values: Sequence[Any]) -> list[Any]:
    """The lever values given more than once, in the order they repeat.

    A repeated value repeats its scenarios (two rows per grid point). Numbers
    compare as numbers (1000 and 1000.0 repeat), other values by
    :func:`value_key` (``True`` is not ``1.0``). Shared by :func:`sweep` grids
    and sweep files; one pass (``list.count`` per value was quadratic).
    """
    seen: set[Any] = set()
    found: set[Any] = set()
    repeated = []
    for v in values:
        key = _repeat_key(v)
        if key in seen and key not in found:
            found.add(key)
            repeated.append(v)
        seen.add(key)
    return repeated


def _repeat_key(value: Any) -> Any:
    """:func:`value_key` with real numbers as floats, in lists too.

    A scenario stores its numbers as floats: 1000, 1000.0, Decimal("1000") and
    Fraction(1000) are one value, and so are [0, 36000] and [0.0, 36000.0].
    """
    if isinstance(value, tuple | list):
        return tuple(_repeat_key(v) for v in value)
    if is_real(value) or isinstance(value, decimal.Decimal):
        try:
            return value_key(float(value))
        except OverflowError:  # refused by the scenario's validation later
            return value_key(value)
    return value_key(value)


def not_a_lever(path: str, current: Any) -> str | None:
    """Why ``path`` (``current`` its value in the base) cannot be a grid lever.

    None when it can. Shared by :func:`sweep` grids and sweep files.
    """
    if path == "year":
        return (
            "cannot be a lever (a sweep's or solve's scenarios are of one year; "
            "project() moves a population between years)"
        )
    if isinstance(current, dict):
        return "is a section, not a lever; give one of its fields: " + ", ".join(
            f"{path}.{k}" for k in current
        )
    return None


@functools.lru_cache(maxsize=64)
def _field_check(lever: str) -> TypeAdapter[Any] | None:
    """The validator of the field at ``lever``'s path, or None if no field.

    Built once a field: built for each of 16,000 bad values, it took 3 s.
    """
    section, _, key = lever.partition(".")
    model = Scenario.model_fields.get(section)
    fields = getattr(getattr(model, "annotation", None), "model_fields", {})
    if key not in fields:
        return None
    field = fields[key]
    return TypeAdapter(
        cast(Any, Annotated[field.annotation, *field.metadata]),
        config=ConfigDict(allow_inf_nan=False),
    )


def fails_alone(lever: str, value: Any) -> bool:
    """Whether the field of ``lever`` refuses ``value`` whatever the others are.

    Its own type and bounds (a take-up of 1.1, a percent for a rate), which no
    other lever can change: ten such values beside a 10,000-value lever of the
    same section were each tried with every other value (55 s). False where
    unsure (an element of a list): the combinations then decide.
    """
    check = _field_check(lever)
    if check is None:
        return False
    try:
        check.validate_python(value)
    except (ValidationError, ValueError, TypeError):
        return True
    return False


def scenarios_alone(
    base: Scenario, levers: Mapping[str, Sequence[Any]]
) -> tuple[dict[tuple[str, Any], Scenario], dict[tuple[str, Any], str]]:
    """Each lever value applied alone to ``base``: the scenarios, and the rejections.

    Returns ``(scenarios, reasons)`` keyed by ``(path, value_key(value))``
    (:func:`value_key`: ``True`` is not the value ``1.0``); a reason is the
    scenario's error without its ``scenario:`` prefix. Shared by :func:`sweep`
    grids and sweep files, which report every rejected value at once.
    """
    scenarios: dict[tuple[str, Any], Scenario] = {}
    reasons: dict[tuple[str, Any], str] = {}
    for path, vals in levers.items():
        for v in vals:
            key = (path, value_key(v))
            if key in scenarios or key in reasons:
                continue
            try:
                scenarios[key] = base.replace({path: v})
            except ScenarioError as exc:
                reasons[key] = str(exc).removeprefix("scenario: ")
    return scenarios, reasons


def _expand_mapping(
    base: Scenario,
    grid: Mapping[Any, Any],
    checked: Callable[[int], Any] | None = None,
) -> _Grid:
    if not grid:
        raise ScenarioError(
            "grid is empty: give at least one dotted path and its values, e.g. "
            "{'transfers.dibao_monthly': [1000, 1200]}"
        )
    problems: list[str] = []
    levers: dict[str, list[Any]] = {}
    for path, values in grid.items():
        if not isinstance(path, str):
            problems.append(f"grid keys must be dotted paths (str); got {quoted(path)}")
            continue
        try:
            current = base.get(path)
        except ScenarioError as exc:
            problems.append(f"grid: {exc}")
            continue
        why = not_a_lever(path, current)
        if why is not None:
            problems.append(f"grid: {path} {why}")
            continue
        if not _is_values(values):
            problems.append(
                f"grid: {path} must map to a list of values; got "
                f"{type(values).__name__} {quoted(values)}"
            )
            continue
        if isinstance(values, set | frozenset):
            # The rows would follow the set's hash order, not the order given.
            problems.append(
                f"grid: {path} must map to a list of values, not a set (a set has "
                f"no order, and the sweep's rows follow the values' order); got "
                f"{quoted(values)}"
            )
            continue
        if isinstance(values, Sized) and len(values) > MAX_SCENARIOS:
            # Before each value is looked at: ten million of them took 26 s to
            # be refused for their count.
            problems.append(
                f"grid: {path} has {len(values):,} values; at most "
                f"{MAX_SCENARIOS:,} scenarios are allowed in one sweep"
            )
            continue
        # An iterator has no length: read one past the limit, no more (an
        # endless one filled the memory).
        if not isinstance(values, np.ndarray) and hasattr(values, "dtype"):
            # A pandas Series or Index: iterated, a float16 one gave Python
            # floats, its rounding unseen.
            values = np.asarray(values)
        raw = list(itertools.islice(values, MAX_SCENARIOS + 1))
        nested = [i for i, v in enumerate(raw) if _nested(v)]
        if nested:
            # A dict raised a bare "unhashable type", lists hundreds deep (or
            # holding themselves) repr's RecursionError, a ragged list NumPy's
            # "inhomogeneous shape".
            problems.append(
                f"grid: {path}[{nested[0]}] must be a number, or for a list lever "
                f"a flat list of numbers; got {quoted(raw[nested[0]])}"
            )
            continue
        vals = [_plain(v) for v in raw]
        if any(isinstance(v, np.float16) for v in vals):
            # Before the repeats: two values a float16 rounded alike read as
            # "repeats the value", which hid why.
            problems.append(
                f"grid: {path} holds NumPy float16 values, which keep about 3 "
                "significant figures, so they may have been rounded when stored; "
                "give Python floats (or float64) from the original data"
            )
            continue
        if len(vals) > MAX_SCENARIOS:
            problems.append(
                f"grid: {path} has more than {MAX_SCENARIOS:,} values; at most "
                f"{MAX_SCENARIOS:,} scenarios are allowed in one sweep"
            )
            continue
        if not vals:
            problems.append(f"grid: {path} has no values; give at least one")
            continue
        masked = [i for i, v in enumerate(vals) if v is np.ma.masked]
        if masked:
            problems.append(
                f"grid: {path} has a masked (missing) value at [{masked[0]}]; give "
                "a number"
            )
            continue
        repeated = repeated_values(vals)
        if repeated:
            problems.append(
                f"grid: {path} repeats the value(s) {repeated[:3]}; give each "
                "value once"
            )
            continue
        if isinstance(current, list):
            bad = [v for v in vals if not isinstance(v, tuple)]
            if bad:
                problems.append(
                    f"grid: {path} is a list field, so each value must be a list; "
                    f"got {bad[0]!r}"
                )
                continue
        levers[path] = vals
    # First: the levers' own problems are counted past ten.
    problems[:0] = [f"grid: {m}" for m in overlapping_paths(base, list(levers))]
    if problems:
        # Every problem at once: with them, the well-named levers' values that
        # their own field refuses (in any combination), which were said only
        # once the names were mended.
        for p, vals in levers.items():
            for v in vals:
                if fails_alone(p, v):
                    try:
                        base.replace({p: v})
                    except ScenarioError as exc:
                        reason = str(exc).removeprefix("scenario: ")
                        problems.append(f"grid: {p} = {quoted(v)}: {reason}")
        raise ScenarioError(joined_problems(problems))
    count = math.prod(len(v) for v in levers.values())
    if count > MAX_SCENARIOS:
        sizes = " × ".join(f"{len(v)} ({p})" for p, v in levers.items())
        raise ScenarioError(
            f"grid has {sizes} = {count:,} scenarios; at most {MAX_SCENARIOS:,} are "
            "allowed in one sweep"
        )
    # Each value alone first, so that every bad value is reported at once. With
    # several levers a value invalid on ``base`` may still be valid together with
    # another lever's value (a base floor above base's ceiling, with a higher
    # ceiling; new thresholds with rates of their length), so it is judged by the
    # combinations it takes part in.
    alone, rejected = scenarios_alone(base, levers)
    bad_alone: dict[tuple[str, Any], str] = {}
    # Values their own field refuses fail in every combination: left out of
    # the combinations below and said with the other problems (ten beside a
    # 10,000-value lever made 100,000 combinations: 50 s).
    own: set[tuple[str, Any]] = set()
    for p, vals in levers.items():
        for v in vals:
            key = (p, value_key(v))
            if key in rejected and key not in bad_alone:
                bad_alone[key] = f"grid: {p} = {quoted(v)}: {rejected[key]}"
                if fails_alone(p, v):
                    own.add(key)
    paths = list(levers)
    if bad_alone and len(paths) == 1:
        raise ScenarioError(joined_problems(list(bad_alone.values())))
    combined = {
        p: [v for v in vals if (p, value_key(v)) not in own]
        for p, vals in levers.items()
    }
    scenarios: list[Scenario] = []
    columns: dict[str, list[Any]] = {p: [] for p in paths}
    # A lever's column holds its value as the scenarios hold it (6.0 given for
    # an integer field is 6, 900 for an amount 900.0), as for a list of
    # scenarios; a value's validation does not depend on the other levers.
    shown = {k: _plain(sc.get(k[0])) for k, sc in alone.items()}
    # Values invalid alone and in every combination seen so far; the first failing
    # combination of each value invalid alone, and the first failing combinations
    # of values valid alone.
    hopeless = set(bad_alone)
    first_failure: dict[Any, str] = {}
    mixed: list[str] = []
    n_mixed = 0
    for combo in itertools.product(*combined.values()):
        pairs = list(zip(paths, combo, strict=True))
        keys = [(p, value_key(v)) for p, v in pairs]
        if len(paths) == 1:
            scenario = alone[keys[0]]  # validated alone above
        else:
            try:
                scenario = base.replace(dict(pairs))
            except ScenarioError as exc:
                where = ", ".join(f"{p} = {quoted(v)}" for p, v in pairs)
                msg = f"grid: {where}: {str(exc).removeprefix('scenario: ')}"
                culprit = next((k for k in keys if k in bad_alone), None)
                if culprit is not None:
                    first_failure.setdefault(culprit, msg)
                else:
                    n_mixed += 1
                    if len(mixed) < 10:
                        mixed.append(msg)
                continue
            hopeless.difference_update(keys)
            if checked is not None:
                checked(1)
        scenarios.append(scenario)
        for key in keys:
            if key not in shown:  # invalid alone, valid in this combination
                shown[key] = _plain(scenario.get(key[0]))
            columns[key[0]].append(shown[key])
    problems = [bad_alone[k] for k in bad_alone if k in hopeless]
    # A value invalid alone but valid in some combination: its failing
    # combinations are reported as combinations.
    problems += [m for k, m in first_failure.items() if k not in hopeless]
    problems += mixed
    if n_mixed > len(mixed):
        problems.append(f"and {n_mixed - len(mixed):,} more invalid combinations")
    if problems:
        raise ScenarioError(joined_problems(problems))
    return _Grid(scenarios, columns)


def _changed(scenario: Scenario, where: str) -> str | None:
    """The problem of a scenario changed in place since validation, or None."""
    try:
        scenario.check_unchanged(where)
    except ScenarioError as exc:
        return str(exc)
    return None


def _expand_list(base: Scenario, grid: Sequence[Any]) -> _Grid:
    if len(grid) == 0:
        raise ScenarioError("grid is an empty list: give at least one Scenario")
    if len(grid) > MAX_SCENARIOS:
        raise ScenarioError(
            f"grid has {len(grid):,} scenarios; at most {MAX_SCENARIOS:,} are allowed"
        )
    problems: list[str] = []
    n_problems = 0
    for i, s in enumerate(grid):
        if not isinstance(s, Scenario):
            problem = f"grid[{i}] must be a Scenario; got {type(s).__name__}"
        elif (changed := _changed(s, f"grid[{i}]")) is not None:
            problem = changed
        elif s.year != base.year:
            problem = (
                f"grid[{i}].year must equal the base year {base.year} (a sweep holds "
                f"scenarios of one year); got {s.year}"
            )
        else:
            continue
        n_problems += 1
        if len(problems) < 10:
            problems.append(problem)
    if n_problems > len(problems):
        # The first ten, and how many more (they were dropped unsaid).
        problems.append(f"and {n_problems - len(problems):,} more such scenarios")
    if problems:
        raise ScenarioError("; ".join(problems))
    scenarios = list(grid)
    reference = dotted_values(base)
    flats = [dotted_values(s) for s in scenarios]
    paths = [p for p in reference if any(f[p] != reference[p] for f in flats)]
    return _Grid(scenarios, {p: [f[p] for f in flats] for p in paths})


# --------------------------------------------------------------- kernel inputs
@dataclass(frozen=True)
class _Stacked:
    """Kernel inputs of several scenarios: one row per scenario."""

    P: np.ndarray
    T: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    BT: np.ndarray
    BR: np.ndarray
    BQ: np.ndarray

    @property
    def n(self) -> int:
        return int(self.P.shape[0])

    def rows(self, i0: int, i1: int) -> _Stacked:
        return _Stacked(*(np.ascontiguousarray(a[i0:i1]) for a in self._arrays()))

    def select(self, index: np.ndarray) -> _Stacked:
        return _Stacked(*(np.ascontiguousarray(a[index]) for a in self._arrays()))

    def policy_key(self, i: int) -> bytes:
        """Scenario ``i``'s parameters other than the transfers' (group D)."""
        p: np.ndarray = self.P[i].copy()
        p[list(GROUP_D)] = 0.0
        return p.tobytes() + b"".join(a[i].tobytes() for a in self._arrays()[1:])

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.P, self.T, self.R, self.Q, self.BT, self.BR, self.BQ)

    def level(self) -> int:
        """Which stages vary across these scenarios (``_kernels.sweep.LEVEL_*``)."""
        return stage_level(self.P, self._arrays()[1:])

    def lanes(self) -> bool:
        """Whether the lane pass (``_kernels.sweep_lanes``) runs these scenarios.

        It does when contributions, deductions, schedules or wages vary (levels C,
        T and W) and every schedule is convex (a maximum of lines, no branches)
        with at most ``KMAX`` lines.
        """
        return (
            self.level() in (LEVEL_C, LEVEL_T, LEVEL_W)
            and bool(np.all(self.P[:, [L.SCHEDULE_CONVEX, L.BUSINESS_SCHEDULE_CONVEX]]))
            and self.R.shape[1] <= KMAX
            and self.BR.shape[1] <= KMAX
        )


def _stack(scenarios: Sequence[Scenario]) -> _Stacked:
    arrays = [s.as_arrays() for s in scenarios]
    T, R, Q = pad_schedules(
        [(a.thresholds, a.rates, a.quick_deductions) for a in arrays]
    )
    BT, BR, BQ = pad_schedules(
        [
            (a.business_thresholds, a.business_rates, a.business_quick_deductions)
            for a in arrays
        ]
    )
    P = np.ascontiguousarray(np.stack([a.params for a in arrays]))
    return _Stacked(P, T, R, Q, BT, BR, BQ)


# ----------------------------------------------------------------- the engine
@dataclass(frozen=True)
class _Ordered:
    """A population's households in some order; the person arrays are shared.

    Household ``h`` here is household ``order[h]`` of the population; its persons
    are rows ``starts[h]:ends[h]`` of the population's own (unmoved) person arrays,
    so re-ordering copies only the household columns (about 57 bytes each).
    """

    starts: np.ndarray
    ends: np.ndarray
    household_id: np.ndarray
    weight: np.ndarray
    urban: np.ndarray
    city_code: np.ndarray
    tier: np.ndarray
    gini_weight: np.ndarray
    age: np.ndarray
    employed: np.ndarray
    wage: np.ndarray
    business: np.ndarray
    property: np.ndarray
    pension: np.ndarray
    #: The households whose flows are the same in every scenario of the sweep
    #: (:func:`_ordered_for_sweep`), evaluated once, not per scenario; the fields
    #: above are then the other households only.
    head: _Ordered | None = None

    def __post_init__(self) -> None:
        # The population's columns are read-only; the gathered copies are made so
        # too (:func:`~commonprosperity._kernels.read_only`).
        for f in dataclasses.fields(self):
            a = getattr(self, f.name)
            if isinstance(a, np.ndarray):
                object.__setattr__(self, f.name, read_only(a))

    # builtins.property: the field ``property`` above shadows the name for mypy.
    @builtins.property
    def n_households(self) -> int:
        return int(self.weight.shape[0])

    @builtins.property
    def n_fixed(self) -> int:
        return 0 if self.head is None else self.head.n_households


#: The household fields of an ``_Ordered`` (the others are the persons').
_HOUSEHOLD_COLUMNS = (
    "starts",
    "ends",
    "household_id",
    "weight",
    "urban",
    "city_code",
    "tier",
    "gini_weight",
)


def _ordered(pop: Population, order: np.ndarray | None = None) -> _Ordered:
    """``pop`` with its households in ``order`` (input order if None).

    The person ranges and city codes are narrowed (int32 when the persons allow,
    int8), which keeps the sweep's copies of the household columns small.
    """
    index = np.int32 if pop.offsets[-1] < 2**31 else np.int64
    household: _HouseholdColumns = (
        pop.offsets[:-1].astype(index),
        pop.offsets[1:].astype(index),
        pop.household_id,
        pop.weight,
        pop.urban,
        pop.city_code.astype(np.int8),
        _tiers(pop),
        # The Gini's weights, as simulate's: scaled by a power of two (exact),
        # so that weights of 1e-300 do not underflow its sums (a sweep's Gini
        # drifted from 1e-158 on and was NaN below 1e-168).
        _gini_weight(pop),
    )
    if order is not None:
        household = cast(
            _HouseholdColumns, tuple(np.ascontiguousarray(a[order]) for a in household)
        )
    return _Ordered(*household, *person_arrays(pop))


def _reorder(src: _Ordered, order: np.ndarray, copy_persons: bool) -> _Ordered:
    """Households ``order`` of ``src``; their persons copied in that order or not.

    Contiguous persons keep a pass over households sorted by income from reading
    each household's persons from a different place in memory (measured 2x
    slower at 1e6 households).
    """
    ordered = dataclasses.replace(
        src,
        head=None,
        **{c: gather(getattr(src, c), order) for c in _HOUSEHOLD_COLUMNS},
    )
    if not copy_persons:
        return ordered
    size = ordered.ends - ordered.starts
    ends = np.cumsum(size, dtype=ordered.ends.dtype)
    starts = ends - size
    total = int(ends[-1]) if size.size else 0
    persons = ("age", "employed", *INCOME_COLUMNS)
    return dataclasses.replace(
        ordered,
        starts=starts,
        ends=ends,
        # The person columns (arrays; never ``head``).
        **cast(
            dict[str, Any],
            {
                c: gather_ranges(
                    getattr(src, c), ordered.starts, ordered.ends, starts, total
                )
                for c in persons
            },
        ),
    )


def _compact(pop: Population, order: np.ndarray) -> _Ordered:
    """Households ``order`` of ``pop`` with their persons copied in that order."""
    return _reorder(_ordered(pop), order, copy_persons=True)


def _household_varies(pop: _Ordered, scenarios: _Stacked) -> np.ndarray:
    """Per household of ``pop`` (not its head): whether ``scenarios`` may change it.

    :func:`~commonprosperity._kernels.sweep.household_varies`.
    """
    return cast(
        np.ndarray,
        household_varies(
            pop.starts,
            pop.ends,
            pop.household_id,
            pop.tier,
            pop.age,
            pop.employed,
            pop.wage,
            pop.business,
            pop.property,
            pop.pension,
            *scenarios._arrays(),
        ),
    )


def _split_fixed(
    pop: _Ordered, scenarios: _Stacked, order: np.ndarray | None = None
) -> _Ordered:
    """Move the households ``scenarios`` all leave unchanged to a new ``head``.

    The households are taken in ``order`` (default ``pop``'s). Whole chunks of
    the unchanged ones go to the new head, which comes after ``pop.head`` (it is
    its ``head``) and before the others; their persons are not copied, the
    others' are (:func:`_reorder`). Nothing to move: ``pop`` in that order.
    """
    rest = dataclasses.replace(pop, head=None)
    varies = _household_varies(rest, scenarios)
    in_place = order is None
    order = np.arange(rest.n_households) if order is None else order
    fixed = ~varies[order]
    n_fixed = int(fixed.sum()) // K.CHUNK * K.CHUNK
    fixed[np.flatnonzero(fixed)[n_fixed:]] = False
    if n_fixed == 0:
        if in_place:
            return pop
        return dataclasses.replace(_reorder(rest, order, True), head=pop.head)
    head = dataclasses.replace(
        _reorder(rest, order[fixed], copy_persons=False), head=pop.head
    )
    # Scenarios differing only in transfers read the persons once per chunk
    # (the level-D pass), not once per scenario: no copy needed.
    copy = scenarios.level() != LEVEL_D
    return dataclasses.replace(_reorder(rest, order[~fixed], copy), head=head)


def _pass_sums(
    pop: _Ordered,
    st: _Stacked,
    three_person: bool,
    per_capita: np.ndarray | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    shared: _Invariants | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The kernel pass: running sums and compensations, each (S, n_stats).

    ``start``: the state the sums continue from, ``(sums, comps)`` each
    ``(n_stats,)`` (the same for every scenario) or ``(S, n_stats)``; default zeros.
    ``shared``: :func:`_transfer_invariants` of ``pop`` under a scenario that
    differs from these in transfers only; a level-D pass then starts from it
    (the same sums, bit for bit).
    """
    n_stats = K.N_STATS + 2 * len(CITY_LABELS)
    if start is None:
        start = (np.zeros(n_stats), np.zeros(n_stats))
    start = cast(
        tuple[np.ndarray, np.ndarray],
        tuple(
            read_only(
                np.ascontiguousarray(
                    np.broadcast_to(a, (st.n, n_stats)), dtype=np.float64
                )
            )
            for a in start
        ),
    )
    if st.n == 1:
        # One scenario: parallel over chunks (sweep_pass is over scenarios).
        parts = K.chunk_sums(
            pop.starts,
            pop.ends,
            pop.household_id,
            pop.weight,
            pop.urban,
            pop.city_code,
            len(CITY_LABELS),
            pop.tier,
            pop.age,
            pop.employed,
            pop.wage,
            pop.business,
            pop.property,
            pop.pension,
            st.P[0],
            st.T[0],
            st.R[0],
            st.Q[0],
            st.BT[0],
            st.BR[0],
            st.BQ[0],
            BAND_EDGES,
            three_person,
            per_capita is not None,
            per_capita[0] if per_capita is not None else np.zeros(1),
        )
        sums, comps = K.fold_rows(parts, start[0][0], start[1][0])
        return sums[None, :], comps[None, :]
    if st.lanes():
        return cast(
            tuple[np.ndarray, np.ndarray],
            lanes_sweep(
                pop.starts,
                pop.ends,
                pop.household_id,
                pop.weight,
                pop.urban,
                pop.city_code,
                len(CITY_LABELS),
                pop.tier,
                pop.age,
                pop.employed,
                pop.wage,
                pop.business,
                pop.property,
                pop.pension,
                st.P,
                st.R,
                st.Q,
                st.BR,
                st.BQ,
                BAND_EDGES,
                three_person,
                per_capita is not None,
                per_capita if per_capita is not None else np.zeros((1, 1)),
                *start,
                # Wage lanes only when wages vary: the kernel compiled for None runs
                # none of their code.
                True if st.level() == LEVEL_W else None,
            ),
        )
    group = max(1, -(-st.n // thread_count()))
    # With one scenario per task, precomputing the invariant stages saves nothing.
    level = st.level() if group > 1 else LEVEL_W
    if shared is not None and level == LEVEL_D:
        return cast(
            tuple[np.ndarray, np.ndarray],
            transfers_sweep_from(
                *shared,
                pop.weight,
                pop.urban,
                pop.city_code,
                st.P,
                BAND_EDGES,
                three_person,
                per_capita is not None,
                per_capita if per_capita is not None else np.zeros((1, 1)),
                *start,
            ),
        )
    return cast(
        tuple[np.ndarray, np.ndarray],
        sweep_pass(
            pop.starts,
            pop.ends,
            pop.household_id,
            pop.weight,
            pop.urban,
            pop.city_code,
            len(CITY_LABELS),
            pop.tier,
            pop.age,
            pop.employed,
            pop.wage,
            pop.business,
            pop.property,
            pop.pension,
            st.P,
            st.T,
            st.R,
            st.Q,
            st.BT,
            st.BR,
            st.BQ,
            BAND_EDGES,
            three_person,
            group,
            level,
            per_capita is not None,
            per_capita if per_capita is not None else np.zeros((1, 1)),
            *start,
        ),
    )


#: Bytes per household of :func:`_transfer_invariants` (8 flows, 4 counts, size).
_INVARIANT_BYTES = 8 * (8 + 4 + 1)


def _shares_invariants(
    part: _Stacked, block: int, n_households: int, n_population: int
) -> bool:
    """Whether a group's blocks share :func:`_transfer_invariants`.

    When its scenarios (``part``, in blocks of ``block``) differ in transfers
    only (level D) and take more than one block, and the invariants of its
    ``n_households`` varying households fit the block memory of a population of
    ``n_population``.
    """
    return (
        part.n > block
        and part.level() == LEVEL_D
        and _INVARIANT_BYTES * n_households <= _block_budget(n_population)
    )


def _transfer_invariants(pop: _Ordered, first: _Stacked, three: bool) -> _Invariants:
    """What every level-D block over ``pop`` shares, computed once (under ``first``).

    :func:`~commonprosperity._kernels.sweep.transfer_invariants`: the rules'
    flows, counts and size per household (104 bytes) would otherwise be
    recomputed by every block (17-40 ms a block of 185,000 households).
    """
    n = pop.n_households
    return cast(
        _Invariants,
        transfer_invariants(
            pop.starts,
            pop.ends,
            pop.household_id,
            pop.weight,
            pop.urban,
            pop.city_code,
            len(CITY_LABELS),
            pop.tier,
            pop.age,
            pop.employed,
            pop.wage,
            pop.business,
            pop.property,
            pop.pension,
            first.P[0],
            first.T[0],
            first.R[0],
            first.Q[0],
            first.BT[0],
            first.BR[0],
            first.BQ[0],
            BAND_EDGES,
            three,
            np.empty((8, n)),
            np.empty((N_COUNTS, n), dtype=np.int64),
            np.empty(n, dtype=np.int64),
        ),
    )


def _pass(
    pop: _Ordered,
    st: _Stacked,
    three_person: bool,
    per_capita: np.ndarray | None = None,
) -> np.ndarray:
    """Totals (S, n_stats) of the scenarios ``st`` on all of ``pop``'s households."""
    sums, comps = _pass_sums(pop, st, three_person, per_capita)
    return cast(np.ndarray, sums + comps)


def _ordered_for_sweep(
    pop: Population,
    base: Scenario,
    scenarios: _Stacked | None = None,
    gini: str = "exact",
) -> _Ordered:
    """The population's households in the order a sweep evaluates them.

    For the exact Gini (``gini="exact"``), ordered by their per-capita disposable
    income under ``base``, their persons copied in that order (:func:`_compact`).

    With ``scenarios``, the households whose flows are the same in every one of
    them, and in every scenario whose parameters lie between theirs
    (:func:`~commonprosperity._kernels.sweep.household_varies`), in whole chunks
    of the kernel's ``CHUNK`` households, go to ``head`` (persons not copied):
    they are evaluated once per sweep. Each part is ordered by income (exact).

    ``gini="bracket"``: the population's own order, not sorted (a histogram takes
    its rows in any order): no pass under ``base``, no sort and no copy of the
    persons the split leaves in place. Bracketed sweeps at 1e6 households took
    0.3-0.5 s less (1,000 scenarios of dibao line × basic deduction 2.3 -> 1.8 s,
    48 dibao lines 0.84 -> 0.34 s).
    """
    plain = _ordered(pop)
    if gini == "bracket":
        if scenarios is None or scenarios.n < 2:
            return plain
        return _split_fixed(plain, scenarios)
    per_capita = np.empty((1, pop.n_households))
    _pass(plain, _stack([base]), False, per_capita=per_capita)
    by_income = np.argsort(per_capita[0], kind="stable")
    if scenarios is None or scenarios.n < 2:
        return _compact(pop, by_income)
    # Ordered in place of the plain population: no intermediate copy.
    return _split_fixed(plain, scenarios, by_income)


def _block_budget(n_population: int) -> int:
    """Bytes a block's per-capita incomes may take, for a population of this size."""
    return min(BLOCK_BYTES, BLOCK_PER_HOUSEHOLD * max(n_population, 1))


def _block_size(n_households: int, n_population: int | None = None) -> int:
    """Scenarios per kernel pass, a multiple of the thread count.

    The block's per-capita incomes (``n_households`` per scenario: those that
    vary) stay within ``BLOCK_BYTES`` and ``BLOCK_PER_HOUSEHOLD`` bytes a household
    of the population (``n_population``, default ``n_households``).
    """
    n_population = n_households if n_population is None else n_population
    per = 8 * max(n_households, 1)
    threads = thread_count()
    size = max(threads, min(MAX_BLOCK, _block_budget(n_population) // per))
    return max(threads, size - size % threads)


def _tiled(n_households: int, n_population: int) -> bool:
    """Whether a bracketed lane pass over ``n_households`` runs by tiles.

    It does when whole rows of a full lane group would overflow the block
    memory (:func:`_block_size`, without its rounding to the thread count, so
    that the choice does not depend on it).
    """
    return _block_budget(n_population) // (8 * max(n_households, 1)) < LANES


def _whole_groups(block: int) -> int:
    """``block`` scenarios as whole lane groups (0 when it rounds down to none).

    A group computes ``LANES`` scenarios whatever the block (a block of 30
    computed 48 lanes, one of 22 a whole group of 24): rounded up when that takes
    less than an eighth more than the block memory (22 -> 24, a tax lever at 1e6
    households: 15.7 -> 14.6 s for 1,000 exact scenarios), else down.
    """
    up = -(-block // LANES) * LANES
    return up if 8 * up < 9 * block else block - block % LANES


def _tile_rows(block: int, n_population: int) -> int:
    """Households a tile of a pass by tiles (:func:`_bracket_tiles`) takes.

    The ``block`` scenarios' per-capita incomes of a tile take the memory of an
    untiled block's (:func:`_block_size`); whole chunks, so the sums continue
    chunk for chunk.
    """
    rows = _block_budget(n_population) // (8 * block)
    return max(K.CHUNK, rows - rows % K.CHUNK)


def _tile(pop: _Ordered, h0: int, h1: int) -> _Ordered:
    """Households ``h0:h1`` of ``pop`` (views; the person arrays are shared)."""
    return dataclasses.replace(
        pop, head=None, **{c: getattr(pop, c)[h0:h1] for c in _HOUSEHOLD_COLUMNS}
    )


class _Running:
    """The histograms of a block's scenarios, filled tile by tile.

    Histogram ``k`` is scenario ``k``'s (``_kernels.histogram``).
    """

    def __init__(self, count: int) -> None:
        self.totals, self.evers = running_sums(count)
        self.lowest = np.zeros(count)
        self.counts: list[int] = []

    def add(self, per_capita: np.ndarray, weight: np.ndarray) -> None:
        """Add row ``k`` of ``per_capita`` (a tile's rows) to histogram ``k``."""
        S = per_capita.shape[0]
        least = add_rows(per_capita, weight, self.totals[:S], self.evers[:S])
        np.minimum(self.lowest[:S], least, out=self.lowest[:S])
        self.counts.append(per_capita.shape[1])

    def take(self, k: int) -> _Binned:
        """The :func:`binned` histogram of the rows added to ``k``; empties it."""
        out = collect_rows(self.totals[k], self.evers[k], self.lowest[k], self.counts)
        self.lowest[k] = 0.0
        return out

    def restart(self) -> None:
        """Start the next block's rows (every histogram taken)."""
        self.counts = []


def _sort_order(
    per_capita: np.ndarray, near: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.argsort(per_capita, kind="stable")`` by insertion from a nearby order.

    The households are in the base's order and a sweep's scenarios change little
    from one to the next, so ``per_capita`` is nearly sorted in ``near`` (the
    previous scenario's order; None: the households' own order). Insertion from
    there gives the same order (:func:`resort_stable`). Returns the order and
    the incomes in it, or None when the rows moved too far (more moves than
    rows: a wage lever moves every household with a wage); sort them then
    (:meth:`_Fixed.exact_ginis`).
    """
    n = per_capita.shape[0]
    order = np.arange(n) if near is None else near.copy()
    income = np.empty(n)
    return (order, income) if resort_stable(per_capita, order, income, n) else None


@dataclass
class _Outcome:
    """Raw results of a set of scenarios, rows in scenario order."""

    totals: np.ndarray
    gini: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    #: The population's ``source`` and T5 caveat (cities lacking), when the
    #: sweep's caller never held it (Dask workers that read the population file
    #: themselves).
    source: str | None = None
    cities: str = ""


@dataclass
class _Fixed:
    """The households every scenario shares (``_Ordered.head``), evaluated once.

    Holds the compensated sums' state after them and, for the exact Gini, their
    per-capita incomes and weights sorted by income; for the bracketed Gini,
    their histogram, their number and a way to recompute their rows (only
    needed if a bracket must fall back to the rows).
    """

    start: tuple[np.ndarray, np.ndarray] | None = None
    income: np.ndarray | None = None
    weight: np.ndarray | None = None
    #: :func:`fixed_part_sums` of ``income`` and ``weight`` (exact Gini), derived.
    sums: _FixedSums | None = None
    binned: _Binned | None = None
    n_rows: int = 0
    rows: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
    #: The radix sort's work arrays (:func:`sort_work`), one set a thread at a
    #: time, kept between blocks: made afresh for each block, their first touch
    #: made its first sort twice as slow (list.pop and append are atomic).
    works: list[tuple[np.ndarray, ...]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.income is not None and self.sums is None:
            self.sums = fixed_part_sums(self.income, self.weight)

    def exact_gini(
        self,
        per_capita: np.ndarray,
        weight: np.ndarray,
        order: np.ndarray,
        weight_sum: tuple[float, float] | None = None,
    ) -> float:
        """The exact Gini of the fixed rows and these (``order`` sorts them).

        From the fixed rows' sums (:func:`gini_exact_split`, a walk over these
        rows only); the merged walk over all the rows when its rounding bound is
        not below ``SPLIT_ERROR``. ``weight_sum``: :func:`row_weights` of
        ``weight``, if known.
        """
        if self.income is None:
            return float(gini_exact_from_order(per_capita, weight, order))
        if weight_sum is None:
            weight_sum = row_weights(weight)
        gini, error = gini_exact_split(
            self.income,
            *cast(_FixedSums, self.sums),
            per_capita,
            weight,
            order,
            weight_sum,
        )
        if error < SPLIT_ERROR:
            return float(gini)
        return float(
            gini_exact_merged(
                self.income, cast(np.ndarray, self.weight), per_capita, weight, order
            )
        )

    def exact_ginis(
        self, per_capita: np.ndarray, weight: np.ndarray, near: np.ndarray | None
    ) -> tuple[list[float], np.ndarray | None]:
        """Exact Ginis of consecutive scenarios (rows of ``per_capita``), in turn.

        Each row is sorted from the previous row's order (the first from
        ``near``) by insertion; else, if it is nearly sorted in the households'
        order (few rows below the one before), by a timsort, else by a radix
        sort that also copies its incomes and weights in order, for the Gini's
        walk to read in order (insertion leaves the incomes in order too, and
        the weights are gathered once); the radix sort gives the order only
        where a row starts from it. 1,000 wage-growth rates at 1e6 households (every
        row moves too far for insertion and from the base's order): 32.7 s with
        a timsort and the walk gathering the rows, 16.5 s so, 13.0-13.4 s with
        the radix sort by the top digits first and its work arrays kept
        (14.0-14.8 s before, alternated), 12.9-13.0 s with the weights carried
        through the sort where no row starts from its order (13.7-14.3 s
        before, alternated); 1,000 dibao lines,
        whose rows stay nearly sorted: 3.6 s with the radix sort, 2.2 s with the
        timsort. After a row insertion could not sort and the radix sort did,
        the next rows but every eighth are sorted afresh: a lever that moves
        rows so far moves them so in every scenario, and a failed try costs a
        fifth of a sort. Returns the Ginis and the last row's order.
        """
        ginis = []
        weight_sum = row_weights(weight) if self.income is not None else None
        afresh = 0  # rows radix-sorted since insertion last gave the order
        # The order of rows already in order (the radix sort's copies).
        in_order = np.arange(per_capita.shape[1])
        work = None  # the radix sort's arrays, taken at its first row
        last = per_capita.shape[0] - 1
        for k, row in enumerate(per_capita):
            inserted = None if afresh % 8 else _sort_order(row, near)
            if inserted is not None:
                near, income = inserted
                afresh = 0
                # Insertion left the incomes in order: with the weights
                # gathered once, the walk reads the rows in order.
                ginis.append(
                    self.exact_gini(income, weight[near], in_order, weight_sum)
                )
            elif descents(row) < row.shape[0] // 32:
                # Nearly sorted in the households' order (the base's order of
                # incomes): a timsort takes their runs.
                near = np.argsort(row, kind="stable")
                afresh = 0
                ginis.append(self.exact_gini(row, weight, near, weight_sum))
            else:
                if work is None:
                    work = self.works.pop() if self.works else None
                    # A fixed part serves groups (and solve's calls) whose rows
                    # differ in number.
                    if work is None or work[2].shape[0] < row.shape[0]:
                        work = sort_work(row.shape[0])
                afresh += 1
                # The order only where insertion starts from it: the next row
                # tries (afresh % 8 == 0) or the caller's next block does.
                if afresh % 8 == 0 or k == last:
                    near, income, row_weight = stable_sorted_rows(row, weight, work)
                else:
                    income, row_weight = sorted_values(row, weight, work)
                    near = None  # no row starts from it (see above)
                ginis.append(self.exact_gini(income, row_weight, in_order, weight_sum))
        if work is not None:
            if afresh:  # the order is the work's, which another block reuses
                near = cast(np.ndarray, near).copy()
            self.works.append(work)
        return ginis, near

    def merged_bracket(
        self, per_capita: np.ndarray, weight: np.ndarray
    ) -> tuple[float, float, float] | None:
        """The bracket of the fixed part's histogram and these rows', or None.

        None: the bracket must come from the rows (:meth:`rows_bracket`). Runs on
        the calling thread (several at once on a pool's threads).
        """
        return self.binned_bracket(
            binned(per_capita, weight, serial=True), per_capita.shape[0]
        )

    def binned_bracket(
        self, part: _Binned, n_rows: int
    ) -> tuple[float, float, float] | None:
        """The bracket of the fixed part's histogram and ``part``'s, or None.

        ``part``: the :func:`binned` histogram of ``n_rows`` other rows.
        """
        merged = part if self.binned is None else merge_binned(self.binned, part)
        # The depth allowed for all the rows, as simulate's: its bracket up to
        # rounding.
        return binned_bracket(merged, self.n_rows + n_rows)

    def rows_bracket(
        self, per_capita: np.ndarray, weight: np.ndarray
    ) -> tuple[float, float, float]:
        """Bad rows or a wide bracket: simulate's own path on all the rows."""
        if self.rows is None:  # no fixed part
            return bracket_gini(per_capita, weight)
        income, fixed_weight = self.rows()
        return bracket_gini(
            np.concatenate([income, per_capita]),
            np.concatenate([fixed_weight, weight]),
        )


def _whole_rows(
    rest: _Ordered,
    block: _Stacked,
    three: bool,
    fixed: _Fixed,
    pc: np.ndarray,
    gini: str,
    executor: ThreadPoolExecutor,
    near: np.ndarray | None,
    shared: _Invariants | None = None,
) -> tuple[np.ndarray, list[tuple[float, float, float]], np.ndarray | None]:
    """Totals and Ginis of the scenarios ``block`` on ``rest``, in one pass.

    The per-capita incomes of every household go to ``pc`` (S, n). Returns the
    totals, ``(gini, lower, upper)`` per scenario (bounds nan for the exact Gini)
    and the sort order of the last scenario (exact; ``near`` is the one before
    the block's first, None: the households' own order; bracket: ``near``).
    ``shared``: :func:`_transfer_invariants` of ``rest``, for a level-D block.
    """
    sums, comps = _pass_sums(
        rest, block, three, per_capita=pc, start=fixed.start, shared=shared
    )
    pw = rest.gini_weight
    if gini == "bracket":
        # The histogram bracket of simulate: with a fixed part, two scenarios at
        # a time, each histogram and merge on one thread (no thread launch per
        # histogram); else one at a time, the kernel parallel itself. Fallbacks
        # run here.
        merged: list[tuple[float, float, float] | None]
        if fixed.binned is None:
            merged = [bracket_gini(row, pw) for row in pc]
        else:
            merged = list(executor.map(fixed.merged_bracket, pc, itertools.repeat(pw)))
        brackets = [
            m or fixed.rows_bracket(row, pw) for m, row in zip(merged, pc, strict=True)
        ]
        return sums + comps, brackets, near
    # Two runs of consecutive scenarios at a time, each sorted from the one before
    # (the same orders as sorting each afresh).
    half = (block.n + 1) // 2
    futures = [
        executor.submit(fixed.exact_ginis, pc[k0:k1], pw, near)
        for k0, k1 in ((0, half), (half, block.n))
        if k1 > k0
    ]
    results = [f.result() for f in futures]
    ginis = [(g, math.nan, math.nan) for part, _ in results for g in part]
    return sums + comps, ginis, results[-1][1]


def _exact_brackets(
    fixed: _Fixed,
    per_capita: np.ndarray,
    weight: np.ndarray,
    ginis: list[tuple[float, float, float]],
) -> list[tuple[float, float, float]]:
    """Exact Ginis of scenarios (rows of ``per_capita``) as brackets.

    Each with the allowance ``simulate`` gives the exact Gini of rows too few for
    a histogram (:func:`exact_gini_bounds`), for all its rows: the fixed part's
    (``fixed``, sorted, exact mode) and the row's.
    """
    total = magnitude = 0.0
    if fixed.income is not None:
        total, magnitude = income_sums(fixed.income, cast(np.ndarray, fixed.weight))
    brackets = []
    for (g, _, _), row in zip(ginis, per_capita, strict=True):
        row_total, row_magnitude = income_sums(row, weight)
        brackets.append(
            exact_gini_bounds(g, 0.0, total + row_total, magnitude + row_magnitude)
        )
    return brackets


def _bracket_tiles(
    rest: _Ordered,
    block: _Stacked,
    three: bool,
    fixed: _Fixed,
    tile: int,
    buffer: np.ndarray,
    running: _Running,
    executor: ThreadPoolExecutor,
) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Totals and bracketed Ginis of the scenarios ``block`` on ``rest``, by tiles.

    For a block whose per-capita incomes over all of ``rest`` would overflow the
    block memory: the pass runs over tiles of ``tile`` households (whole chunks),
    each continuing every scenario's sums from the tile before (so the totals
    are bit for bit one pass's), into ``buffer``. Each scenario's rows are added
    to its histogram in ``running`` (Numba's threads take runs of them), each
    collected and bracketed on a pool thread. A bracket too wide
    or bad rows: that scenario's rows are recomputed and simulate's path runs.
    """
    S = block.n
    n = rest.n_households
    state = fixed.start
    for t0 in range(0, n, tile):
        t1 = min(n, t0 + tile)
        pc = buffer[: S * (t1 - t0)].reshape(S, t1 - t0)
        state = _pass_sums(_tile(rest, t0, t1), block, three, pc, state)
        running.add(pc, rest.gini_weight[t0:t1])
    sums, comps = cast(tuple[np.ndarray, np.ndarray], state)
    # Each histogram's collection and bracket on a pool thread (its kernels
    # release the GIL): serial here they took a sixth of a wage lever's sweep of
    # 100 scenarios at 1e5 households.
    taken = list(
        executor.map(lambda k: fixed.binned_bracket(running.take(k), n), range(S))
    )
    running.restart()
    brackets = []
    for k, bracket in enumerate(taken):
        if bracket is None:
            row = np.empty((1, n))
            _pass_sums(rest, block.rows(k, k + 1), three, row, fixed.start)
            bracket = fixed.rows_bracket(row[0], rest.gini_weight)
        brackets.append(bracket)
    return sums + comps, brackets


def _head_rows(
    head: _Ordered | None, st: _Stacked, three: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per-capita incomes and person weights of ``head`` and its own heads."""
    incomes, weights = [], []
    while head is not None:
        this = dataclasses.replace(head, head=None)
        pc = np.empty((1, this.n_households))
        _pass_sums(this, st, three, per_capita=pc)
        incomes.append(pc[0])
        weights.append(this.gini_weight)
        head = head.head
    return np.concatenate(incomes), np.concatenate(weights)


def _fixed_part(
    head: _Ordered | None,
    st: _Stacked,
    gini: str,
    three: bool,
    known: tuple[_Ordered, _Fixed] | None = None,
) -> _Fixed:
    """Evaluate the fixed households ``head`` (and its own heads) once.

    Under the first scenario of ``st``. ``known``: a head already evaluated (the
    sweep's, shared by every group) and its part.
    """
    if head is None:
        return _Fixed()
    if known is not None and head is known[0]:
        return known[1]
    inner = _fixed_part(head.head, st, gini, three, known)
    this = dataclasses.replace(head, head=None)
    first = st.rows(0, 1)
    pc = np.empty((1, this.n_households))
    sums, comps = _pass_sums(this, first, three, per_capita=pc, start=inner.start)
    income, weight = pc[0], this.gini_weight
    fixed = _Fixed(start=(sums[0], comps[0]), n_rows=inner.n_rows + income.shape[0])
    if gini == "bracket":
        # On this thread: the sweep's histograms all use one-group workspaces.
        part = binned(income, weight, serial=True)
        fixed.binned = (
            part if inner.binned is None else merge_binned(inner.binned, part)
        )
        fixed.rows = lambda: _head_rows(head, first, three)
        return fixed
    order = np.argsort(income, kind="stable")
    income, weight = income[order], weight[order]
    if inner.income is not None:
        # Two sorted runs: the stable sort merges them.
        income = np.concatenate([inner.income, income])
        weight = np.concatenate([inner.weight, weight])
        order = np.argsort(income, kind="stable")
        income, weight = income[order], weight[order]
    return dataclasses.replace(
        fixed, income=np.ascontiguousarray(income), weight=np.ascontiguousarray(weight)
    )


def _policy_groups(
    st: _Stacked, universe: _Stacked | None
) -> list[tuple[np.ndarray, _Stacked, bool]]:
    """The scenarios of ``st`` grouped by all their parameters but the transfers'.

    Returns ``(indices into st, the entry's scenarios in universe, split)``,
    groups in order of first appearance, ``universe`` defaulting to ``st``; a
    group is defined by the whole universe, so a scenario's numbers do not depend
    on how a sweep is cut into parts (blocks, Dask tasks). ``split``: the group
    has its own fixed part (:func:`_split_fixed` over its scenarios). Scenarios
    alone in their group in ``universe`` come last, as one entry without a
    fixed part of its own (its scenarios: all of the universe's such ones): they
    share blocks, one pass evaluating many (1,000 basic-deduction values at 1e6
    households, exact: 42 s -> 30 s).
    """
    universe = st if universe is None else universe
    members: dict[bytes, list[int]] = {}
    for i in range(universe.n):
        members.setdefault(universe.policy_key(i), []).append(i)
    where: dict[bytes, list[int]] = {}
    for i in range(st.n):
        where.setdefault(st.policy_key(i), []).append(i)
    out = []
    alone = []
    for key, index in where.items():
        rows = members.get(key, [])
        if len(rows) > 1:
            out.append((np.array(index), universe.select(np.array(rows)), True))
        else:
            alone.extend(index)
    if alone:
        singles = [r[0] for r in members.values() if len(r) == 1]
        out.append(
            (
                np.array(sorted(alone)),
                universe.select(np.array(sorted(singles))),
                False,
            )
        )
    return out


def _evaluate(
    pop: _Ordered,
    st: _Stacked,
    gini: str,
    band_basis: str,
    advance: Callable[[int], None] | None = None,
    universe: _Stacked | None = None,
    known: tuple[_Ordered, _Fixed] | None = None,
    split: bool = True,
) -> _Outcome:
    """Evaluate every scenario of ``st`` on ``pop`` in blocks (threads engine).

    The fixed households (``pop.head``) are evaluated once. Scenarios that differ
    only in transfer parameters (a group, :func:`_policy_groups` over
    ``universe``, the sweep's whole set of scenarios) share more: the households
    none of the group's transfers change become the group's own fixed part. Each
    block of scenarios is then one kernel pass over the remaining households,
    continuing the fixed parts' compensated sums chunk for chunk, so the totals
    are bit for bit those of one pass over the households in that order. The
    Ginis merge the fixed part (sorted once, binned once) with each scenario's
    varying households. ``known``: ``(pop.head, its part)`` already evaluated
    (:func:`_fixed_part` with the same ``gini`` and band basis), as ``solve``
    keeps it from one call to the next. ``split=False``: no group gets a fixed
    part of its own (``pop.head`` already holds every household the scenarios
    leave unchanged, as ``solve``'s narrowed bounds make it).
    """
    S = st.n
    three = band_basis == "three_person"
    n_stats = K.N_STATS + 2 * len(CITY_LABELS)
    out = _Outcome(
        np.empty((S, n_stats)),
        np.full(S, np.nan),
        np.full(S, np.nan),
        np.full(S, np.nan),
    )
    n_population = pop.n_households + pop.n_fixed
    # Two exact Ginis at a time: np.argsort and the Gini kernel release the GIL.
    executor = ThreadPoolExecutor(max_workers=2)
    # One buffer for every block's per-capita incomes: a fresh one per block was
    # paged in and zeroed by the kernel's first writes (14 ms of a 62 ms pass of
    # 22 scenarios at 1e6 households).
    buffer = np.empty(0)
    running: _Running | None = None  # histograms of a tiled block's scenarios
    try:
        # So few rows are bracketed by their exact Gini (simulate's rule): the
        # exact path runs, its Ginis given their allowance (_exact_brackets).
        few = gini == "bracket" and bracket_by_sort(n_population)
        mode = "exact" if few else gini
        if mode == "bracket":
            # Imported here: that module builds on this one's helpers.
            from commonprosperity._sweep_crossed import crossed_outcome

            crossed = crossed_outcome(
                pop, st, three, st if universe is None else universe, executor, advance
            )
            if crossed is not None:
                return crossed
        groups = [
            (index, members, grouped and split)
            for index, members, grouped in _policy_groups(st, universe)
        ]
        if known is not None and known[0] is not pop.head:
            known = None
        if known is None and pop.head is not None and any(own for _, _, own in groups):
            known = (pop.head, _fixed_part(pop.head, st, mode, three))
        for index, members, own in groups:
            part_pop = _split_fixed(pop, members) if own else pop
            part = st.select(index)
            fixed = _fixed_part(part_pop.head, part, mode, three, known)
            rest = dataclasses.replace(part_pop, head=None)
            block = _block_size(rest.n_households, n_population)
            tile = rest.n_households
            if part.lanes() and (block > LANES or mode == "exact"):
                # A bracketed block short of one group runs by tiles (below).
                block = _whole_groups(block) or block
            elif (
                mode == "bracket"
                and _tiled(rest.n_households, n_population)
                and members.lanes()
            ):
                # A lane group computes LANES scenarios whatever the block: a
                # block of 6 wasted 3/4 of the pass (wage levers at 1e6
                # households: 24 ms a scenario, 7 ms in blocks of 24). The
                # histograms need no whole rows: a whole group, by tiles. The
                # choice is the universe's (a tiled histogram's sums are
                # grouped by tiles), so every Dask task makes the same.
                block = TILED_GROUPS * LANES
                tile = min(tile, _tile_rows(block, n_population))
                running = running or _Running(block)
            near = None  # the sort order of the group's last scenario
            shared = (
                _transfer_invariants(rest, part.rows(0, 1), three)
                if tile == rest.n_households
                and _shares_invariants(part, block, rest.n_households, n_population)
                else None
            )
            for i0 in range(0, part.n, block):
                i1 = min(part.n, i0 + block)
                rows = index[i0:i1]
                if buffer.shape[0] < (i1 - i0) * tile:
                    del buffer
                    buffer = np.empty(min(block, part.n) * tile)
                if tile < rest.n_households:
                    totals, brackets = _bracket_tiles(
                        rest,
                        part.rows(i0, i1),
                        three,
                        fixed,
                        tile,
                        buffer,
                        cast(_Running, running),
                        executor,
                    )
                else:
                    pc = buffer[: (i1 - i0) * tile].reshape(i1 - i0, tile)
                    totals, brackets, near = _whole_rows(
                        rest,
                        part.rows(i0, i1),
                        three,
                        fixed,
                        pc,
                        mode,
                        executor,
                        near,
                        shared,
                    )
                    if few:
                        brackets = _exact_brackets(
                            fixed, pc, rest.gini_weight, brackets
                        )
                out.totals[rows] = totals
                out.gini[rows], out.lower[rows], out.upper[rows] = zip(
                    *brackets, strict=True
                )
                if advance is not None:
                    advance(i1 - i0)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return out


def _check_common(
    population: Any, base: Any, gini: str, band_basis: str, where: str = "sweep"
) -> None:
    if not isinstance(population, Population):
        raise ArgumentTypeError(
            f"population must be a Population; got {type(population).__name__}"
        )
    _check_policy(base, gini, band_basis, where)


def _check_policy(base: Any, gini: str, band_basis: str, where: str = "sweep") -> None:
    if not isinstance(base, Scenario):
        raise ArgumentTypeError(f"base must be a Scenario; got {type(base).__name__}")
    base.check_unchanged(f"{where}: base")
    if not one_of(gini, SWEEP_GINI_METHODS):
        raise ArgumentError(
            f"gini must be one of {SWEEP_GINI_METHODS}; got {quoted(gini)}"
        )
    check_band_basis(band_basis)
