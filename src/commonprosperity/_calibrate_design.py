"""Design matrix of survey calibration: margins to a sparse indicator matrix.

Private helper of :mod:`commonprosperity.calibrate`: :func:`design` turns the
``margins`` mapping (see that module's docstring) into the sparse matrix ``X``
(households × margin cells) with ``Σ w x = t`` as the calibration equations, and
validates every margin, reporting all problems at once.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from commonprosperity._validate import (
    is_integer,
    is_number,
    is_real,
    joined_problems,
    quoted,
)
from commonprosperity.errors import CalibrationError
from commonprosperity.population import CITY_LABELS, MAX_AGE, Population, city_name
from commonprosperity.published import city_label

if TYPE_CHECKING:
    # Imported where used at run time, for the reason _calibrate_solve gives.
    import scipy.sparse as sp

__all__ = ["UNITS", "Column", "cell_name", "design"]

UNITS = ("households", "persons")
HOUSEHOLD_VARIABLES = ("urban", "city", "size", "stratum", "psu", "total")
PERSON_VARIABLES = ("age", "employed")


@dataclass(frozen=True)
class Column:
    """One margin cell: its unit, margin label, cell key and target total."""

    unit: str
    margin: str
    cell: Hashable
    target: float


def cell_name(key: Any) -> str:
    """Printable name of a margin cell key."""
    return repr(key)


def _household_codes(
    pop: Population, name: str, variables: Mapping[str, np.ndarray]
) -> np.ndarray:
    if name in variables:
        return np.asarray(variables[name], dtype=object)
    if name == "urban":
        return pop.urban.astype(object)
    if name == "city":
        return pop.city
    if name == "size":
        return pop.size.astype(object)
    if name == "total":
        return np.full(pop.n_households, "all", dtype=object)
    if name in ("stratum", "psu"):
        values = getattr(pop, name)
        if values is None:
            raise CalibrationError(
                f"margin variable {name!r} needs households.{name}, which this "
                "population does not have"
            )
        return cast("np.ndarray", values.astype(object))
    raise CalibrationError(f"unknown household variable {name!r}")


def _normalise_key(name: str, key: Any) -> Any:
    if name == "city" and isinstance(key, str):
        try:
            # The readers' spellings ("Hangzhou Shi", "Lìshuǐ") too.
            return city_label(city_name(key))
        except Exception as exc:
            raise CalibrationError(
                f"margin on 'city': unknown city {key!r}; allowed: {list(CITY_LABELS)}"
                " (or their English or pinyin names, as the readers accept them)"
            ) from exc
    if name in ("urban", "employed") and isinstance(key, bool | np.bool_):
        return bool(key)
    if name == "age":
        # Real numbers, NumPy's too (bounds read from an array); not bools, not NaN
        # (NaN compares false with everything, so "low < high" would not catch it).
        # An infinite bound is an open end: (60, inf) is "60 and over".
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not all(is_real(v) and not math.isnan(v) for v in key)
            or not key[0] < key[1]
        ):
            raise CalibrationError(
                f"margin on 'age': keys must be (low, high), two numbers with "
                f"low < high meaning low <= age < high (inf for an open end); "
                f"got {quoted(key)}"
            )
        return tuple(int(v) if is_integer(v) else float(v) for v in key)
    return key


def _not_a_category(value: Any) -> bool:
    """Whether a household's value cannot be a category (unhashable)."""
    try:
        hash(value)
    except TypeError:
        return True
    return False


def _factorized(
    pop: Population, name: str, variables: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, list[Any]]:
    """Codes of a household variable and the values they stand for.

    By household (by person for "employed"), int64, -1 where missing. The
    library's own variables are factorized from their typed arrays: an object
    copy of them took most of the design's time at 1e6 households.
    """
    if name == "city":
        inv, codes = pd.factorize(pop.city_code)
        return inv.astype(np.int64), [CITY_LABELS[c] for c in codes]
    typed = {"urban": pop.urban, "size": pop.size, "employed": pop.employed}
    if name in typed:
        inv, uniq = pd.factorize(typed[name])
        return inv.astype(np.int64), uniq.tolist()
    values = _household_codes(pop, name, variables)
    inv, uniq = pd.factorize(pd.Series(values, dtype=object))
    return inv.astype(np.int64), list(uniq)


def _factor_value(factor: tuple[np.ndarray, list[Any]], row: int) -> Any:
    inv, uniq = factor
    return uniq[inv[row]]


def design(
    pop: Population,
    margins: Mapping[str, Mapping[Any, Mapping[Any, float]]],
    variables: Mapping[str, np.ndarray],
    tol: float = 1e-10,
) -> tuple[sp.csr_matrix, list[Column]]:
    """The calibration design: ``X`` (households × cells) and one Column per cell.

    ``X[i, j]`` is the count the household adds to cell ``j``: 1 (households
    margins), its size (persons margins on household variables) or its persons in
    the cell (persons margins on age or employment).

    Raises
    ------
    CalibrationError
        Listing every problem of every margin (see :func:`calibrate`).
    """
    import scipy.sparse as sp

    problems: list[str] = []
    n = pop.n_households
    person_hh = pop.person_household_index
    blocks: list[sp.csr_matrix] = []
    columns: list[Column] = []
    for v, arr in variables.items():
        if np.asarray(arr).shape != (n,):
            problems.append(
                f"variables[{v!r}] must have one value per household ({n}); "
                f"got shape {np.asarray(arr).shape}"
            )
        elif (
            np.asarray(arr).dtype == object
            and (
                row := next((i for i, x in enumerate(arr) if _not_a_category(x)), None)
            )
            is not None
        ):
            # A dict per household raised a bare "unhashable type", a list per
            # household (a ragged column) NumPy's "inhomogeneous shape".
            problems.append(
                f"variables[{v!r}] must hold one category per household (a "
                f"number, text or a tuple of them); got {quoted(arr[row])} at "
                f"row {row}"
            )
    # A column named like a variable the library defines would be shadowed
    # ("urban": the population's own is replaced) or ignored ("age": margins on it
    # count persons by their ages), without a word either way.
    clash = [v for v in variables if v in (*HOUSEHOLD_VARIABLES, *PERSON_VARIABLES)]
    if clash:
        # First: the shapes' problems above are counted past ten.
        problems.insert(
            0,
            f"variables {clash} have the name of a variable the library defines "
            f"{sorted({*HOUSEHOLD_VARIABLES, *PERSON_VARIABLES})}; give them another "
            "name (e.g. 'head_age') and use that name in margins",
        )
    if problems:
        raise CalibrationError(joined_problems(problems))
    labels: dict[str, Any] = {}
    for unit, specs in margins.items():
        if unit not in UNITS:
            problems.append(f"margins: unit must be one of {UNITS}; got {quoted(unit)}")
            continue
        if not isinstance(specs, Mapping):
            problems.append(
                f"margins[{unit!r}] must be a mapping of variable to totals"
            )
            continue
        for var, totals in specs.items():
            names = var if isinstance(var, tuple) else (var,)
            if not names or not all(isinstance(v, str) for v in names):
                problems.append(
                    f"margins[{unit!r}]: a variable is a name (str) or a tuple of "
                    f"names; got {quoted(var)}"
                )
                continue
            label = f"{unit}.{'×'.join(names)}"
            if label in labels:
                # "city" and ("city",) are one variable: their totals were added
                # together in the consistency check (a false "inconsistent").
                problems.append(
                    f"margin {label} is given more than once (as "
                    f"{quoted(labels[label])} and {quoted(var)}); give it once"
                )
                continue
            labels[label] = var
            allowed = (
                *HOUSEHOLD_VARIABLES,
                *variables,
                *(PERSON_VARIABLES if unit == "persons" else ()),
            )
            bad = [v for v in names if v not in allowed]
            if bad:
                problems.append(
                    f"margin {label}: unknown variable(s) {bad} for {unit}; allowed: "
                    f"{sorted(set(allowed))}"
                )
                continue
            if isinstance(totals, pd.Series):
                if not totals.index.is_unique:
                    # to_dict kept the last of a repeated category without a word.
                    twice = totals.index[totals.index.duplicated()].unique().tolist()
                    problems.append(
                        f"margin {label}: categories {twice} are given more than "
                        "once; give one total per cell"
                    )
                    continue
                totals = totals.to_dict()
            if not isinstance(totals, Mapping) or not totals:
                problems.append(f"margin {label}: totals must be a non-empty mapping")
                continue
            try:
                keyed: dict[tuple[Any, ...], float] = {}
                # ``first`` later holds the rows that fall in no cell.
                first: dict[tuple[Any, ...], Any] | np.ndarray = {}
                for key, total in totals.items():
                    parts = key if len(names) > 1 else (key,)
                    if len(names) > 1 and (
                        not isinstance(key, tuple) or len(key) != len(names)
                    ):
                        raise CalibrationError(
                            f"margin {label}: keys must be tuples of {len(names)} "
                            f"values; got {quoted(key)}"
                        )
                    norm = tuple(
                        _normalise_key(nm, p)
                        for nm, p in zip(names, parts, strict=True)
                    )
                    # a total is a count: a string or a bool is an input error,
                    # not something to convert
                    if not is_number(total):
                        raise CalibrationError(
                            f"margin {label}: the total of {key!r} must be a number; "
                            f"got {quoted(total)}"
                        )
                    try:
                        # ``value`` later holds the records' unit counts.
                        value: float | np.ndarray = float(total)
                    except OverflowError:
                        # 10**400: a bare OverflowError.
                        raise CalibrationError(
                            f"margin {label}: the total of {key!r} must be a finite "
                            f"number; got {quoted(total)}"
                        ) from None
                    # "杭州", "杭州市" and "Hangzhou" are one cell: a second total
                    # for it would silently replace the first.
                    if norm in keyed:
                        raise CalibrationError(
                            f"margin {label}: keys {first[norm]!r} and {key!r} name "
                            f"the same cell (totals {keyed[norm]:g} and {value:g}); "
                            "give one total per cell"
                        )
                    keyed[norm] = cast("float", value)  # float(total) above
                    first[norm] = key
            except CalibrationError as exc:
                problems.append(str(exc))
                continue
            bad_totals = {
                k: t for k, t in keyed.items() if not (np.isfinite(t) and t >= 0)
            }
            if bad_totals:
                problems.append(
                    f"margin {label}: totals must be finite and >= 0; got "
                    f"{ {first[k]: t for k, t in bad_totals.items()} }"
                )
                continue
            person_level = any(nm in PERSON_VARIABLES for nm in names)
            rows = person_hh if person_level else np.arange(n)
            cells = list(keyed)
            radix = np.zeros(rows.shape[0], dtype=np.int64)
            cell_radix = np.zeros(len(cells), dtype=np.int64)
            failed = False
            # Each variable's codes and the values they stand for (by household,
            # by person for "employed"), for the sample of rows in no cell.
            factors: dict[str, tuple[np.ndarray, list[Any]]] = {}
            radix_size = 1
            for k, nm in enumerate(names):
                parts = [cell[k] for cell in cells]
                if nm == "age":
                    lookup, ok = _age_lookup(parts, label, problems)
                    if not ok:
                        failed = True
                        break
                    code = lookup[pop.age]
                    order = {p: i for i, p in enumerate(sorted(set(parts)))}
                    part_code = np.array([order[p] for p in parts], dtype=np.int64)
                    n_codes = len(order)
                else:
                    per_person = nm == "employed"
                    inv, uniq = _factorized(pop, nm, variables)
                    if (inv < 0).any():
                        # factorize codes missing values -1: they match no key,
                        # a None or NaN total included ("fall in no cell"
                        # beside the total given).
                        gaps = np.unique(
                            rows[inv < 0] if per_person else np.flatnonzero(inv < 0)
                        )
                        problems.append(
                            f"margin {label}: variables[{nm!r}] is missing (None "
                            f"or NaN) for {gaps.size} household(s), first at "
                            f"[{int(gaps[0])}]; missing values can have no total: "
                            "recode them to a category of their own (e.g. "
                            "'unknown') and give that a total"
                        )
                        failed = True
                        break
                    factors[nm] = (inv, uniq)
                    known = {u: i for i, u in enumerate(uniq)}
                    # A household variable is coded per household, then spread
                    # to the rows (persons).
                    code = inv if per_person else inv[rows]
                    n_codes = len(uniq) + len(cells)
                    part_code = np.array(
                        [known.get(p, len(uniq) + i) for i, p in enumerate(parts)],
                        dtype=np.int64,
                    )
                radix_size *= n_codes + 1
                radix = radix * (n_codes + 1) + np.where(code >= 0, code, n_codes)
                cell_radix = cell_radix * (n_codes + 1) + part_code
            if failed:
                continue
            if radix_size <= 4 * rows.shape[0] + 65_536:
                # A table of every combination of codes: one gather, where a
                # search of the cells took a fifth of a projection's year.
                table = np.full(radix_size, -1, dtype=np.int64)
                table[cell_radix] = np.arange(len(cells))
                col = table[radix]
            else:
                order_c = np.argsort(cell_radix, kind="stable")
                pos = np.searchsorted(cell_radix[order_c], radix)
                pos = np.minimum(pos, len(cells) - 1)
                hit = cell_radix[order_c][pos] == radix
                col = np.where(hit, order_c[pos], -1)
            uncovered = col < 0
            if uncovered.any():
                first = np.flatnonzero(uncovered)[:2000]
                sample: list[Any] = sorted(
                    {
                        tuple(
                            int(pop.age[i])
                            if nm == "age"
                            else _factor_value(
                                factors[nm], i if nm == "employed" else rows[i]
                            )
                            for nm in names
                        )
                        for i in first
                    },
                    key=repr,
                )[:5]
                if len(names) == 1:
                    sample = [cell[0] for cell in sample]
                # Name the margin's own keys that matched nothing: usually the
                # culprit, a key of another type ("False" for False, "3" for 3).
                matched = np.zeros(len(cells), dtype=bool)
                matched[col[~uncovered]] = True
                unmatched = [
                    cells[j] if len(names) > 1 else cells[j][0]
                    for j in np.flatnonzero(~matched)
                ]
                unmatched_text = (
                    f"; its cells {unmatched[:5]!r} match no record (a key of "
                    "another type, such as '3' for 3 or 'False' for False?)"
                    if unmatched
                    else ""
                )
                problems.append(
                    f"margin {label}: {int(uncovered.sum())} "
                    f"{'persons' if person_level else 'households'} fall in no "
                    f"cell, e.g. {sample}; give a total for every category in the "
                    f"data{unmatched_text}"
                )
                continue
            if person_level:
                value = np.ones(rows.shape[0])
            elif unit == "persons":
                value = pop.size.astype(np.float64)
            else:
                value = np.ones(n)
            block = sp.coo_matrix((value, (rows, col)), shape=(n, len(cells))).tocsr()
            present = np.asarray(block.sum(axis=0)).ravel() > 0
            target = np.array([keyed[cell] for cell in cells])
            empty = np.flatnonzero(~present & (target > 0))
            held = np.flatnonzero(present & (target == 0))
            # Five of each kind, then a count: a margin of 200,000 empty cells
            # gave a message of 19 MB.
            for j in empty[:5]:
                cell = cells[j]
                problems.append(
                    f"margin {label}: cell {cell if len(names) > 1 else cell[0]!r} "
                    f"has total {keyed[cell]:g} but no "
                    f"{'persons' if unit == 'persons' else 'households'} in the "
                    "data (empty cell)"
                )
            if empty.size > 5:
                problems.append(
                    f"margin {label}: {empty.size - 5:,} more empty cells with a "
                    "total above 0"
                )
            for j in held[:5]:
                cell = cells[j]
                problems.append(
                    f"margin {label}: cell {cell if len(names) > 1 else cell[0]!r} "
                    "has total 0 but holds records; weights must stay > 0, so drop "
                    "those records instead"
                )
            if held.size > 5:
                problems.append(
                    f"margin {label}: {held.size - 5:,} more cells with total 0 "
                    "that hold records"
                )
            blocks.append(block)
            for cell in cells:
                columns.append(
                    Column(
                        unit, label, cell if len(names) > 1 else cell[0], keyed[cell]
                    )
                )
    if not problems:
        for unit in UNITS:
            sums: dict[str, float] = {}
            for c in columns:
                if c.unit == unit:
                    sums[c.margin] = sums.get(c.margin, 0.0) + c.target
            if len(sums) > 1:
                lo, hi = min(sums.values()), max(sums.values())
                # Within tol or not at all: margins a household apart in 25
                # million passed a check at 1e-6, and the solver, held to tol,
                # then failed after max_iter, blaming a cell that met its total.
                if hi - lo > max(tol, 1e-12) * max(hi, 1.0):
                    problems.append(
                        f"inconsistent {unit} totals: the margins add up to different "
                        f"totals { ({k: round(v, 3) for k, v in sums.items()}) }, "
                        f"{(hi - lo) / max(hi, 1.0):.2g} apart (relative) where tol "
                        f"is {tol:g}; make them add up to the same total"
                    )
    if not columns and not problems:
        problems.append("margins: no margin given")
    if problems:
        raise CalibrationError(joined_problems(problems))
    return sp.hstack(blocks, format="csr"), columns


def _age_lookup(
    parts: list[Any], label: str, problems: list[str]
) -> tuple[np.ndarray, bool]:
    """Map age 0..MAX_AGE to the index of its interval (sorted), -1 if none."""
    lookup = np.full(MAX_AGE + 1, -1, dtype=np.int64)
    for i, (lo, hi) in enumerate(sorted(set(parts))):
        # Clip before int(): an open end (±inf) has no integer.
        first = int(np.ceil(np.clip(lo, 0, MAX_AGE + 1)))
        stop = int(np.ceil(np.clip(hi, 0, MAX_AGE + 1)))
        ages = np.arange(first, stop)
        if np.any(lookup[ages] >= 0):
            problems.append(f"margin {label}: age intervals overlap at ({lo}, {hi})")
            return lookup, False
        lookup[ages] = i
    return lookup, True
