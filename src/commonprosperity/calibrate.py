"""Survey calibration of household weights to known totals (raking and GREG).

Calibration (Deville & Särndal 1992) finds weights ``w = d · F(x'λ)`` close to the
design weights ``d`` that reproduce known totals ``Σ w x = t`` exactly. It works on
any :class:`~commonprosperity.population.Population`: the synthetic baseline, or a
user's own survey microdata (CHIP, CFPS) reweighted to Zhejiang's totals.

Margins
-------
``margins`` maps a *unit* to margin specifications::

    {
        "households": {"city": {"杭州": 5.06e6, "宁波": 4.26e6, ...}},
        "persons": {
            "urban": {True: 46.6e6, False: 18.0e6},
            ("city", "urban"): {("杭州", True): 9.9e6, ("杭州", False): 2.0e6, ...},
            "age": {(0, 15): 8.7e6, (15, 60): 43.8e6, (60, 121): 12.1e6},
        },
    }

- ``"households"``: the total is a number of households, Σ w over the households
  of the cell.
- ``"persons"``: the total is a number of residents, Σ w × (persons of the household
  in the cell). For a household variable that is Σ w × size.
- Household variables: ``"urban"`` (True/False), ``"city"`` (Chinese or English
  name), ``"size"`` (persons), ``"stratum"``, ``"psu"``, ``"total"`` (one cell,
  key ``"all"``) and any extra column passed in ``variables``.
- Person variables (``"persons"`` only): ``"age"`` with ``(low, high)`` keys meaning
  ``low <= age < high``, and ``"employed"`` (True/False).
- A tuple of variables is their cross-classification, with tuple keys.

Every category present in the data must have a total (a margin covers all of its
cells), and all margins of one unit must add up to the same total.

References
----------
.. [1] Deville, J.-C. and Särndal, C.-E. (1992). "Calibration estimators in survey
   sampling." *Journal of the American Statistical Association* 87(418), 376–382.
.. [2] Deming, W. E. and Stephan, F. F. (1940). "On a least squares adjustment of a
   sampled frequency table when the expected marginal totals are known." *Annals of
   Mathematical Statistics* 11(4), 427–444.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from commonprosperity.errors import CalibrationError
from commonprosperity.population import CITY_LABELS, MAX_AGE, Population
from commonprosperity.published import city_label

__all__ = ["CalibrationResult", "calibrate"]

METHODS = ("raking", "linear")
UNITS = ("households", "persons")
HOUSEHOLD_VARIABLES = ("urban", "city", "size", "stratum", "psu", "total")
PERSON_VARIABLES = ("age", "employed")


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Calibrated weights and a convergence report.

    Attributes
    ----------
    population : Population
        The input population with the calibrated weights.
    weight : ndarray of float64, shape (n,)
        The calibrated household weights.
    converged : bool
        Whether every margin is met within ``tol`` (relative).
    iterations : int
        Newton iterations used.
    max_relative_error : float
        Largest ``|achieved − target| / target`` over all margin cells.
    weight_ratio_min, weight_ratio_max : float
        Range of ``calibrated / initial`` weight.
    method : str
        ``"raking"`` or ``"linear"``.
    bounds : tuple of float or None
        Bounds on the weight ratio that were imposed.
    margins : pandas.DataFrame
        One row per margin cell: ``unit, margin, cell, target, initial, achieved,
        relative_error``.
    """

    population: Population
    weight: np.ndarray
    converged: bool
    iterations: int
    max_relative_error: float
    weight_ratio_min: float
    weight_ratio_max: float
    method: str
    bounds: tuple[float, float] | None
    margins: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"CalibrationResult(method={self.method!r}, converged={self.converged}, "
            f"iterations={self.iterations}, max_relative_error="
            f"{self.max_relative_error:.2e}, weight ratio "
            f"[{self.weight_ratio_min:.3f}, {self.weight_ratio_max:.3f}])"
        )


@dataclass(frozen=True)
class _Column:
    unit: str
    margin: str
    cell: Hashable
    target: float


def _cell_name(key: Any) -> str:
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
        return values.astype(object)
    raise CalibrationError(f"unknown household variable {name!r}")


def _normalise_key(name: str, key: Any) -> Any:
    if name == "city" and isinstance(key, str):
        try:
            return city_label(key)
        except Exception as exc:
            raise CalibrationError(
                f"margin on 'city': unknown city {key!r}; allowed: {list(CITY_LABELS)}"
            ) from exc
    if name in ("urban", "employed") and isinstance(key, bool | np.bool_):
        return bool(key)
    if name == "age":
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not all(isinstance(v, int | float) for v in key)
            or key[0] >= key[1]
        ):
            raise CalibrationError(
                f"margin on 'age': keys must be (low, high) with low < high meaning "
                f"low <= age < high; got {key!r}"
            )
        return (key[0], key[1])
    return key


def _design(
    pop: Population,
    margins: Mapping[str, Mapping[Any, Mapping[Any, float]]],
    variables: Mapping[str, np.ndarray],
) -> tuple[sp.csr_matrix, list[_Column]]:
    problems: list[str] = []
    n = pop.n_households
    person_hh = pop.person_household_index
    blocks: list[sp.csr_matrix] = []
    columns: list[_Column] = []
    for v, arr in variables.items():
        if np.asarray(arr).shape != (n,):
            problems.append(
                f"variables[{v!r}] must have one value per household ({n}); "
                f"got shape {np.asarray(arr).shape}"
            )
    if problems:
        raise CalibrationError("; ".join(problems))
    for unit, specs in margins.items():
        if unit not in UNITS:
            problems.append(f"margins: unit must be one of {UNITS}; got {unit!r}")
            continue
        if not isinstance(specs, Mapping):
            problems.append(
                f"margins[{unit!r}] must be a mapping of variable to totals"
            )
            continue
        for var, totals in specs.items():
            names = var if isinstance(var, tuple) else (var,)
            label = f"{unit}.{'×'.join(names)}"
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
            if not isinstance(totals, Mapping) or not totals:
                problems.append(f"margin {label}: totals must be a non-empty mapping")
                continue
            try:
                keyed = {}
                for key, total in totals.items():
                    parts = key if len(names) > 1 else (key,)
                    if len(names) > 1 and (
                        not isinstance(key, tuple) or len(key) != len(names)
                    ):
                        raise CalibrationError(
                            f"margin {label}: keys must be tuples of {len(names)} "
                            f"values; got {key!r}"
                        )
                    norm = tuple(
                        _normalise_key(nm, p)
                        for nm, p in zip(names, parts, strict=True)
                    )
                    keyed[norm] = float(total)
            except CalibrationError as exc:
                problems.append(str(exc))
                continue
            bad_totals = {
                k: t for k, t in keyed.items() if not (np.isfinite(t) and t >= 0)
            }
            if bad_totals:
                problems.append(
                    f"margin {label}: totals must be finite and >= 0; got "
                    f"{ {_cell_name(k): t for k, t in bad_totals.items()} }"
                )
                continue
            person_level = any(nm in PERSON_VARIABLES for nm in names)
            rows = person_hh if person_level else np.arange(n)
            cells = list(keyed)
            radix = np.zeros(rows.shape[0], dtype=np.int64)
            cell_radix = np.zeros(len(cells), dtype=np.int64)
            failed = False
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
                    values = (
                        pop.employed.astype(object)
                        if nm == "employed"
                        else _household_codes(pop, nm, variables)[rows]
                    )
                    inv, uniq = pd.factorize(pd.Series(values, dtype=object))
                    known = {u: i for i, u in enumerate(uniq)}
                    code = inv.astype(np.int64)
                    n_codes = len(uniq) + len(cells)
                    part_code = np.array(
                        [known.get(p, len(uniq) + i) for i, p in enumerate(parts)],
                        dtype=np.int64,
                    )
                radix = radix * (n_codes + 1) + np.where(code >= 0, code, n_codes)
                cell_radix = cell_radix * (n_codes + 1) + part_code
            if failed:
                continue
            order_c = np.argsort(cell_radix, kind="stable")
            pos = np.searchsorted(cell_radix[order_c], radix)
            pos = np.minimum(pos, len(cells) - 1)
            hit = cell_radix[order_c][pos] == radix
            col = np.where(hit, order_c[pos], -1)
            uncovered = col < 0
            if uncovered.any():
                first = np.flatnonzero(uncovered)[:2000]
                sample = sorted(
                    {
                        tuple(
                            int(pop.age[i])
                            if nm == "age"
                            else (
                                bool(pop.employed[i])
                                if nm == "employed"
                                else _household_codes(pop, nm, variables)[rows[i]]
                            )
                            for nm in names
                        )
                        for i in first
                    },
                    key=repr,
                )[:5]
                problems.append(
                    f"margin {label}: {int(uncovered.sum())} "
                    f"{'persons' if person_level else 'households'} fall in no "
                    f"cell, e.g. {sample}; give a total for every category in the "
                    "data"
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
            for j, cell in enumerate(cells):
                if not present[j] and keyed[cell] > 0:
                    problems.append(
                        f"margin {label}: cell {cell if len(names) > 1 else cell[0]!r} "
                        f"has total {keyed[cell]:g} but no "
                        f"{'persons' if unit == 'persons' else 'households'} in the "
                        "data (empty cell)"
                    )
                if present[j] and keyed[cell] == 0:
                    problems.append(
                        f"margin {label}: cell {cell if len(names) > 1 else cell[0]!r} "
                        "has total 0 but holds records; weights must stay > 0, so drop "
                        "those records instead"
                    )
            blocks.append(block)
            for cell in cells:
                columns.append(
                    _Column(
                        unit, label, cell if len(names) > 1 else cell[0], keyed[cell]
                    )
                )
    if not problems:
        for unit in UNITS:
            sums = {}
            for c in columns:
                if c.unit == unit:
                    sums[c.margin] = sums.get(c.margin, 0.0) + c.target
            if len(sums) > 1:
                lo, hi = min(sums.values()), max(sums.values())
                if hi - lo > 1e-6 * max(hi, 1.0):
                    problems.append(
                        f"inconsistent {unit} totals: the margins add up to different "
                        f"totals { ({k: round(v, 3) for k, v in sums.items()}) }"
                    )
    if not columns and not problems:
        problems.append("margins: no margin given")
    if problems:
        raise CalibrationError("; ".join(problems))
    return sp.hstack(blocks, format="csr"), columns


def _age_lookup(
    parts: list[Any], label: str, problems: list[str]
) -> tuple[np.ndarray, bool]:
    """Map age 0..MAX_AGE to the index of its interval (sorted), -1 if none."""
    lookup = np.full(MAX_AGE + 1, -1, dtype=np.int64)
    for i, (lo, hi) in enumerate(sorted(set(parts))):
        ages = np.arange(max(0, int(np.ceil(lo))), min(MAX_AGE + 1, int(np.ceil(hi))))
        if np.any(lookup[ages] >= 0):
            problems.append(f"margin {label}: age intervals overlap at ({lo}, {hi})")
            return lookup, False
        lookup[ages] = i
    return lookup, True


def _distance(method: str, bounds: tuple[float, float] | None):
    if method == "linear":
        if bounds is None:
            return (lambda u: 1.0 + u), (lambda u: np.ones_like(u))
        lo, hi = bounds
        return (
            (lambda u: np.clip(1.0 + u, lo, hi)),
            (lambda u: ((1.0 + u > lo) & (1.0 + u < hi)).astype(np.float64)),
        )
    if bounds is None:
        return (
            lambda u: np.exp(np.clip(u, -700, 700)),
            lambda u: np.exp(np.clip(u, -700, 700)),
        )
    lo, hi = bounds
    a = (hi - lo) / ((1.0 - lo) * (hi - 1.0))

    def f(u: np.ndarray) -> np.ndarray:
        e = np.exp(np.clip(a * u, -700, 700))
        return (lo * (hi - 1.0) + hi * (1.0 - lo) * e) / ((hi - 1.0) + (1.0 - lo) * e)

    def df(u: np.ndarray) -> np.ndarray:
        e = np.exp(np.clip(a * u, -700, 700))
        den = (hi - 1.0) + (1.0 - lo) * e
        return a * (1.0 - lo) * (hi - 1.0) * (hi - lo) * (e / den) / den

    return f, df


def calibrate(
    population: Population,
    margins: Mapping[str, Mapping[Any, Mapping[Any, float]]],
    *,
    method: str = "raking",
    bounds: tuple[float, float] | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    variables: Mapping[str, Any] | None = None,
) -> CalibrationResult:
    """Calibrate household weights to known household and person totals.

    Parameters
    ----------
    population : Population
        Households with design weights (``population.weight``).
    margins : mapping
        ``{"households" | "persons": {variable or tuple: {category: total}}}``; see
        the module docstring.
    method : {"raking", "linear"}
        ``"raking"``: multiplicative, ``w = d · exp(x'λ)`` (iterative proportional
        fitting when the margins are categorical); with ``bounds``, the bounded
        "logit" method of Deville & Särndal. ``"linear"``: GREG,
        ``w = d · (1 + x'λ)``; with ``bounds``, truncated at the bounds.
    bounds : (float, float), optional
        ``(lo, hi)`` with ``0 < lo < 1 < hi``: every calibrated / initial weight
        ratio is kept in ``[lo, hi]``. Unbounded GREG may give weights <= 0; this
        function then raises and asks for bounds.
    max_iter : int
        Newton iterations at most.
    tol : float
        Convergence when every cell's relative error is below ``tol``.
    variables : mapping of str to array_like, optional
        Extra household-level classification columns usable in margins.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    CalibrationError
        On unknown units or variables, categories in the data without a total, empty
        cells with a positive total, zero totals for non-empty cells, margins of one
        unit with different sums, a cell that no weights inside ``bounds`` can reach,
        non-positive linear weights, or no convergence (naming the worst cell).

    Notes
    -----
    Newton's method on the calibration equations ``Σ d F(x'λ) x = t`` with the
    Jacobian ``X' diag(d F'(Xλ)) X`` (a least-squares solve, so collinear margins
    such as urban + rural = all cities are fine), with step halving when the residual
    grows. Raking on categorical margins has the same solution as iterative
    proportional fitting (Deming & Stephan 1940): both minimise the same
    Kullback–Leibler distance under the same constraints.

    Examples
    --------
    >>> import pandas as pd
    >>> from commonprosperity import Population
    >>> hh = pd.DataFrame({"household_id": [1, 2, 3, 4], "weight": [10., 20., 30., 40.],
    ...                    "urban": [True, True, False, False],
    ...                    "city": ["杭州", "宁波", "杭州", "宁波"]})
    >>> pp = pd.DataFrame({"household_id": [1, 2, 3, 4], "age": [40] * 4,
    ...                    "employed": [True] * 4, "wage": [1.] * 4,
    ...                    "business": [0.] * 4, "property": [0.] * 4,
    ...                    "pension": [0.] * 4})
    >>> pop = Population.from_frames(hh, pp)
    >>> res = calibrate(pop, {"households": {"urban": {True: 40, False: 60},
    ...                                      "city": {"杭州": 50, "宁波": 50}}})
    >>> round(float(res.weight[0]), 4)  # (-210 + sqrt(60100)) / 2
    17.5765
    """
    if not isinstance(population, Population):
        raise TypeError(
            f"population must be a Population; got {type(population).__name__}"
        )
    if method not in METHODS:
        raise CalibrationError(f"method must be one of {METHODS}; got {method!r}")
    if bounds is not None:
        lo, hi = (float(b) for b in bounds)
        if not (0.0 <= lo < 1.0 < hi and np.isfinite(hi)):
            raise CalibrationError(
                f"bounds must be (lo, hi) with 0 <= lo < 1 < hi < inf; got {bounds!r}"
            )
        bounds = (lo, hi)
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise CalibrationError(f"max_iter must be a positive integer; got {max_iter!r}")
    if not (tol > 0):
        raise CalibrationError(f"tol must be > 0; got {tol!r}")
    if not isinstance(margins, Mapping) or not margins:
        raise CalibrationError(
            "margins must be a non-empty mapping {unit: {variable: {category: total}}}"
        )
    X, columns = _design(
        population, margins, {k: np.asarray(v) for k, v in (variables or {}).items()}
    )
    d = population.weight.astype(np.float64)
    t = np.array([c.target for c in columns])
    initial = X.T @ d
    if bounds is not None:
        reach_lo, reach_hi = bounds[0] * initial, bounds[1] * initial
        bad = (t < reach_lo * (1 - 1e-12)) | (t > reach_hi * (1 + 1e-12))
        if bad.any():
            cells = [
                f"{columns[j].margin} cell {columns[j].cell!r}: total {t[j]:g} "
                f"outside the reachable [{reach_lo[j]:g}, {reach_hi[j]:g}]"
                for j in np.flatnonzero(bad)[:5]
            ]
            raise CalibrationError(
                f"bounds {bounds} are infeasible: "
                + "; ".join(cells)
                + " (widen the bounds)"
            )
    F, dF = _distance(method, bounds)
    scale = np.maximum(np.abs(t), 1e-300)
    lam = np.zeros(X.shape[1])
    u = np.zeros(population.n_households)
    w = d * F(u)
    resid = t - X.T @ w
    err = float(np.max(np.abs(resid) / scale))
    iterations = 0
    while err > tol and iterations < max_iter:
        iterations += 1
        jac = (X.T @ sp.diags(d * dF(u)) @ X).toarray()
        step = np.linalg.lstsq(jac, resid, rcond=None)[0]
        norm = float(np.linalg.norm(resid / scale))
        for _ in range(40):
            new_lam = lam + step
            new_u = X @ new_lam
            new_w = d * F(new_u)
            new_resid = t - X.T @ new_w
            if np.linalg.norm(new_resid / scale) < norm or not np.any(step):
                break
            step = step / 2.0
        lam, u, w, resid = new_lam, new_u, new_w, new_resid
        err = float(np.max(np.abs(resid) / scale))
    achieved = X.T @ w
    table = pd.DataFrame(
        {
            "unit": [c.unit for c in columns],
            "margin": [c.margin for c in columns],
            "cell": [_cell_name(c.cell) for c in columns],
            "target": t,
            "initial": initial,
            "achieved": achieved,
            "relative_error": (achieved - t) / scale,
        }
    )
    converged = err <= tol
    if not converged:
        j = int(np.argmax(np.abs(resid) / scale))
        raise CalibrationError(
            f"calibration ({method}, bounds={bounds}) did not converge in {iterations} "
            f"iterations: worst cell {columns[j].margin} {columns[j].cell!r}, target "
            f"{t[j]:g}, achieved {achieved[j]:g} (relative error {err:.2e}); the "
            "margins may be inconsistent with each other or with the bounds"
        )
    if np.any(w <= 0):
        raise CalibrationError(
            f"linear calibration gave {int(np.sum(w <= 0))} weights <= 0; pass bounds, "
            "e.g. bounds=(0.1, 10), or use method='raking'"
        )
    ratio = w / d
    return CalibrationResult(
        population=population.with_weights(w),
        weight=w,
        converged=converged,
        iterations=iterations,
        max_relative_error=err,
        weight_ratio_min=float(ratio.min()),
        weight_ratio_max=float(ratio.max()),
        method=method,
        bounds=bounds,
        margins=table,
    )
