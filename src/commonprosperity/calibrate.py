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

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commonprosperity._calibrate_design import cell_name, design
from commonprosperity._calibrate_solve import compress, solve
from commonprosperity._calibrate_zero import forced_to_zero, linear_programme
from commonprosperity._interrupt import interruptible
from commonprosperity._validate import (
    finite_float,
    is_integer,
    joined_problems,
    masked_as_missing,
    one_of,
    quoted,
)
from commonprosperity.errors import ArgumentTypeError, CalibrationError
from commonprosperity.population import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    Population,
    series_index_problem,
)
from commonprosperity.simulate import owned_copy

__all__ = ["CalibrationResult", "calibrate"]

METHODS = ("raking", "linear")


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
        Whether the solver met every margin within ``tol`` (relative), on the
        cells it solves (households of one design row merged). Always true: a
        calibration that does not converge raises.
    iterations : int
        Iterations used: Newton's, plus the damped method's where Newton's did
        not converge.
    max_relative_error : float
        Largest ``|achieved − target| / target`` over all margin cells, of the
        weights returned (the :attr:`margins` table's). Summing those weights
        over the households adds rounding the solver's merged cells do not
        have: at a ``tol`` near rounding (1e-14 at 200,000 households) this may
        exceed ``tol`` by a few ulps of the totals.
    weight_ratio_min, weight_ratio_max : float
        Range of ``calibrated / initial`` weight.
    method : str
        ``"raking"`` or ``"linear"``.
    bounds : tuple of float or None
        Bounds on the weight ratio that were imposed.
    margins : pandas.DataFrame
        One row per margin cell: ``unit, margin, cell, target, initial, achieved,
        relative_error``.

    Examples
    --------
    Rake a synthetic population's weights to Zhejiang's 2022 urban and rural
    residents:

    >>> import commonprosperity as cp
    >>> from commonprosperity import statistics
    >>> residents = statistics.population(2022)
    >>> urban = statistics.urbanisation_rate(2022) * residents
    >>> pop = cp.synthetic_population(2_000, seed=1)
    >>> res = cp.calibrate(
    ...     pop, {"persons": {"urban": {True: urban, False: residents - urban}}}
    ... )
    >>> res.converged, res.method, res.bounds
    (True, 'raking', None)
    >>> round(res.population.residents) == residents
    True
    >>> res.weight is res.population.weight
    True
    >>> list(res.margins["cell"])
    ['True', 'False']
    >>> bool(res.margins["relative_error"].abs().max() < 1e-10)
    True
    >>> f"{res.weight_ratio_min:.3f} to {res.weight_ratio_max:.3f}"
    '0.979 to 1.032'
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
    # Handed out as a copy (the margins property): the frame itself, edited,
    # stayed edited, and the report contradicted the weights.
    _margins: pd.DataFrame = field(repr=False)

    @property
    def margins(self) -> pd.DataFrame:
        """One row per margin cell (a copy; see the class's Attributes)."""
        return self._margins.copy()

    def __setstate__(self, state: dict[str, object]) -> None:
        # A copy (pickle, deepcopy) got weights of its own: writeable after a
        # pickle, or the array under the copy's population after a deepcopy, so
        # writing them changed that population behind its cached Gini weights.
        # They are the population's sealed weights again, as in the original.
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "weight", self.population.weight)
        # Unpickled out of band (protocol 5, as Dask and Ray move objects), the
        # margins were views of the transport's buffers: zeroing those zeroed
        # the report, which then contradicted the weights.
        object.__setattr__(self, "_margins", owned_copy(self._margins))

    def __repr__(self) -> str:
        return (
            f"CalibrationResult(method={self.method!r}, converged={self.converged}, "
            f"iterations={self.iterations}, max_relative_error="
            f"{self.max_relative_error:.2e}, weight ratio "
            f"[{self.weight_ratio_min:.3f}, {self.weight_ratio_max:.3f}])"
        )


def _start_scale(initial: np.ndarray, t: np.ndarray) -> float:
    """A power of two near the margins' totals over the weights', 1 within 2**±20.

    The median over the cells with weight of ``t / initial``; exact to multiply by.
    """
    usable = (initial > 0) & (t > 0)
    if not usable.any():
        return 1.0
    exponent = round(float(np.median(np.log2(t[usable]) - np.log2(initial[usable]))))
    return 1.0 if abs(exponent) <= 20 else math.ldexp(1.0, exponent)


def _first_margin_totals(
    columns: list[Any], t: np.ndarray, initial: np.ndarray
) -> tuple[float, float]:
    """The first margin's total and the design weights' (its unit's total).

    A margin's cells add up to every household or every person of the data
    (categories without a total are refused), so its total is its unit's.
    """
    cells = [j for j, c in enumerate(columns) if c.margin == columns[0].margin]
    return float(t[cells].sum()), float(initial[cells].sum())


def _beyond(total: float, low: float, high: float) -> str:
    """How far ``total`` is past the nearer end, where 6 figures show it on it.

    A total 1e-9 above the reachable maximum read "total 2.20965e+06 outside
    the reachable [1.41417e+06, 2.20965e+06]".
    """
    edge, side = (high, "above") if total > high else (low, "below")
    if f"{total:g}" != f"{edge:g}":
        return ""
    return f" ({abs(total / edge - 1.0):.1e} {side} it, relative)"


#: The span of design weights (largest / smallest) to which calibrate's solver
#: was measured exact: consistent margins with one city's weights 1e-35 of the
#: others' were met to the default tol of 1e-10, some at 1e-40 were not.
RELIABLE_SPAN = 1e30


def _infeasible(
    population: Population,
    X: Any,
    columns: list[Any],
    d: np.ndarray,
    t: np.ndarray,
    bounds: tuple[float, float] | None,
) -> str | None:
    """The advice when no weights meet the margins (:func:`_no_weights_meet`).

    None when some weights do (the solvers' failure is then theirs).
    """
    positive = d[d > 0.0]
    span = float(positive.max() / positive.min()) if positive.size else 1.0
    if span > RELIABLE_SPAN:
        # Margins met by construction (d · 1.1 · noise, one city's d 1e-40 of the
        # others') were called contradictory: the programme's tolerances, as the
        # solver's rounding, lose the small weights' cells.
        return (
            f"the design weights span a factor of {span:.1e}, beyond the "
            f"{RELIABLE_SPAN:.0e} to which the solver, and the linear programme "
            "that would judge the margins, are reliable: no verdict on the margins"
        )
    if not _no_weights_meet(X, d, t, bounds):
        return None
    if bounds is not None and not _no_weights_meet(X, d, t, None):
        if dropped := _dropped(population, X, columns, d, t):
            return f"no bounds can help: {dropped}"
        return (
            f"no weights within bounds {bounds} of the design weights meet these "
            "margins together (a linear programme finds none), though weights "
            "outside them do: widen the bounds"
        )
    return (
        "no weights >= 0 meet these margins together (a linear programme finds "
        "none): they contradict each other or the data's cells (e.g. an urban "
        "total below the total of a city whose households are all urban); no "
        "method, iteration count or bounds can meet them: check the margins"
    )


def _no_weights_meet(
    X: Any, d: np.ndarray, t: np.ndarray, bounds: tuple[float, float] | None
) -> bool:
    """Whether no weights (>= 0, or within ``bounds`` of ``d``) meet ``X' w = t``.

    A linear programme (HiGHS): margins that contradict each other or the data
    (an urban total below that of a city whose households are all urban) have
    no solution, and the solvers' failure is then no matter of iterations.
    Households with identical rows are merged first (their weights summed, as
    their bounds); False when the programme cannot tell.
    """
    merged = compress(X.tocsr(), d)
    if merged is not None:
        X, d = merged.X, merged.d
    if bounds is None:
        limits = [(0.0, None)] * X.shape[0]
    else:
        limits = list(zip(bounds[0] * d, bounds[1] * d, strict=True))
    # Scaled to totals of about 1, so HiGHS's tolerances are relative.
    scale = 1.0 / np.maximum(np.abs(t), 1e-300)
    found = linear_programme(
        np.zeros(X.shape[0]),
        (X.T.tocsr().multiply(scale[:, None])).tocsr(),
        t * scale,
        limits,
    )
    return found is not None and bool(found.status == 2)  # infeasible


def _could_drop(w: np.ndarray, t: np.ndarray, tol: float) -> bool:
    """Whether a weight of ``w`` is small enough to stand for a 0 the margins need.

    The solvers stop when every total is met within ``tol`` (relative). A
    household the margins force to 0 is the excess they cannot remove: after a
    Newton step the error left in each of its cells j is about w_z · x_zj, so
    they stop once w_z <= tol · t_j / x_zj, below tol · Σ t. Ten times that is
    the bound used. (A combination λ of the margins that shows the 0 bounds any
    weights within ``tol`` by tol · Σ|λ_j| t_j / (x_z·λ), which person counts
    can make several times larger, but the solvers do not stop there: 13,579
    random small calibrations (counts 0-15, tol 1e-10 to 0.1, both methods, the
    fallback solver) kept no forced 0 beyond the bound.) At the default tol an
    ordinary calibration's least weight is far above it, and no programme runs.
    """
    return bool(w.min() <= 10.0 * tol * float(np.abs(t).sum()))


def _dropped(
    population: Population, X: Any, columns: list[Any], d: np.ndarray, t: np.ndarray
) -> str | None:
    """The advice when only a weight of 0 for some households meets the margins.

    None when weights > 0 meet them (or none >= 0 do: :func:`_infeasible`).
    """
    zero = forced_to_zero(X, d, t)
    if zero.size == 0:
        return None
    ids = ", ".join(str(population.household_id[i]) for i in zero[:5])
    row = X.tocsr()[int(zero[0])]
    cells = ", ".join(
        f"{columns[j].margin} {columns[j].cell!r}" for j in np.sort(row.indices)[:6]
    )
    many = zero.size > 1
    return (
        f"these margins can be met only if {zero.size} household"
        f"{'s get weights' if many else ' gets a weight'} of 0 (household_id "
        f"{ids}{', ...' if zero.size > 5 else ''}; the first is in the cells {cells}): "
        f"every set of weights >= 0 meeting them gives {'them' if many else 'it'} 0, "
        "or less than a millionth of the design weight (a linear programme), and "
        "a calibrated weight must be > 0: check the margins (a total the other "
        "margins leave nothing for), or remove those households"
    )


@interruptible
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
    method : {"raking", "linear"}, default "raking"
        ``"raking"``: multiplicative, ``w = d · exp(x'λ)`` (iterative proportional
        fitting when the margins are categorical); with ``bounds``, the bounded
        "logit" method of Deville & Särndal. ``"linear"``: GREG,
        ``w = d · (1 + x'λ)``; with ``bounds``, truncated at the bounds. Without
        ``bounds`` both give the same weights from design weights of any common
        scale: with no households margin (whose cells add up to every
        household), the design weights ``d`` are first scaled to the persons
        margins' total, since person totals alone would also set the number of
        households from their scale (sample weights of 1 raked to Zhejiang's
        persons gave households of 5.6 persons). With ``bounds`` the ratios are
        to the weights as given: scale sample weights to the population first.
    bounds : (float, float), optional
        ``(lo, hi)`` with ``0 < lo < 1 < hi``: every calibrated / initial weight
        ratio is kept in ``[lo, hi]``. Unbounded GREG may give weights <= 0; this
        function then raises and asks for bounds.
    max_iter : int, default 100
        Iterations at most of each solver: Newton's method, then, where it does
        not converge, a damped Newton method on the dual.
    tol : float, default 1e-10
        Convergence when every cell's relative error is below ``tol`` (at least
        1e-14: the sums of weights carry rounding errors of about 1e-15).
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
        margins more than 1,000 times below the population's weighted total (persons
        or households in 万), margins that only a weight of 0 for some households
        meets (naming them; found by linear programmes), non-positive linear weights
        or weights below 1e-300, or no convergence (naming the worst cell).

    Notes
    -----
    Newton's method on the calibration equations ``Σ d F(x'λ) x = t`` with the
    Jacobian ``X' diag(d F'(Xλ)) X`` (a least-squares solve, so collinear margins
    such as urban + rural = all cities are fine), with step halving when the
    residual grows. Where that does not converge (factors stuck at a bound,
    where ``F`` is flat), a second solve damped on the convex dual
    ``Σ d G(x'λ) − t'λ`` (``G`` the integral of ``F``) takes the linear method's
    direction or the gradient where Newton's loses households, so bounded
    calibrations whose solution lies near or at a bound converge. Households with
    identical rows of ``X`` share one factor, so they are merged first (their design
    weights summed); the equations and the solution are unchanged, and a million
    households with a few thousand distinct rows calibrate in a fraction of a
    second. Raking on categorical margins has the same solution as iterative
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
        raise ArgumentTypeError(
            f"population must be a Population; got {type(population).__name__}"
        )
    if not one_of(method, METHODS):
        raise CalibrationError(f"method must be one of {METHODS}; got {quoted(method)}")
    if bounds is not None:
        # A pair of real numbers with 0 < lo < 1 < hi < inf, as documented: a lower
        # bound of 0 would allow weights of 0, which a Population refuses.
        # Any pair: a NumPy array was refused with a message it satisfies.
        try:
            pair = (
                tuple(np.asarray(bounds, dtype=object))
                if isinstance(bounds, tuple | list | np.ndarray | pd.Series | pd.Index)
                and np.ndim(bounds) == 1
                else ()
            )
        except ValueError:  # ragged ([[0.5, 0.6], 2.0]): named below
            pair = ()
        # finite_float: 10**400 raised a bare OverflowError.
        lo, hi = (
            (finite_float(pair[0]) or np.nan, finite_float(pair[1]) or np.nan)
            if len(pair) == 2
            else (np.nan, np.nan)
        )
        if not (0.0 < lo < 1.0 < hi and np.isfinite(hi)):
            raise CalibrationError(
                "bounds must be (lo, hi) with 0 < lo < 1 < hi < inf; got "
                f"{quoted(bounds)}"
            )
        bounds = (lo, hi)
    if not (is_integer(max_iter) and max_iter >= 1):
        raise CalibrationError(
            f"max_iter must be a positive integer; got {quoted(max_iter)}"
        )
    max_iter = int(max_iter)
    number = finite_float(tol)  # math.isfinite(10**400) raised OverflowError
    if not (number is not None and 1e-14 <= number < 1):
        # tol=inf reported convergence for margins missed by 9 %; below 1e-14 the
        # rounding of the sums alone misses it (1e-16 ran to max_iter, then was
        # refused with an error of 4.9e-16).
        raise CalibrationError(
            "tol must be a relative error in [1e-14, 1) (sums of weights carry "
            f"rounding errors of about 1e-15), e.g. 1e-10; got {quoted(tol)}"
        )
    if not isinstance(margins, Mapping) or not margins:
        raise CalibrationError(
            "margins must be a non-empty mapping {unit: {variable: {category: "
            f"total}}}}}}, e.g. {{'households': {{'urban': {{True: 1.2e7, False: "
            f"0.8e7}}}}}}; got {type(margins).__name__} {quoted(margins)}"
        )
    if variables is not None and not isinstance(variables, Mapping):
        # A bare AttributeError ('list' object has no attribute 'items').
        raise CalibrationError(
            "variables must be a mapping of a name to an array with one value per "
            f"household; got {type(variables).__name__}"
        )
    # A Series keyed by household id in another order was paired by position:
    # each household took another's category (with_weights refuses the same).
    misaligned = [
        problem
        for name, values in (variables or {}).items()
        if isinstance(values, pd.Series)
        for problem in series_index_problem(
            f"variables[{name!r}]", values, population.household_id
        )
    ]
    if misaligned:
        raise CalibrationError(joined_problems(misaligned))
    X, columns = design(
        population,
        margins,
        {k: masked_as_missing(v, ragged=True) for k, v in (variables or {}).items()},
        float(tol),
    )
    d = population.weight.astype(np.float64)
    t = np.array([c.target for c in columns])
    initial = X.T @ d
    _check_reachable(population, X, columns, t)
    if bounds is not None:
        reach_lo, reach_hi = bounds[0] * initial, bounds[1] * initial
        bad = (t < reach_lo * (1 - 1e-12)) | (t > reach_hi * (1 + 1e-12))
        if bad.any():
            cells = [
                f"{columns[j].margin} cell {columns[j].cell!r}: total {t[j]:g} "
                f"outside the reachable [{reach_lo[j]:g}, {reach_hi[j]:g}]"
                + _beyond(t[j], reach_lo[j], reach_hi[j])
                for j in np.flatnonzero(bad)[:5]
            ]
            wanted, held = _first_margin_totals(columns, t, initial)
            times = wanted / held
            if not bounds[0] <= times <= bounds[1]:
                # Sample weights (of 1) against population totals: no bounds
                # of the usual kind reach them.
                advice = (
                    f"the design weights add up to {held:g} {columns[0].unit} "
                    f"against the margins' {wanted:g}, {times:.3g} times as many: "
                    "scale them first, population.with_weights(population.weight "
                    f"* {times:.6g}), then calibrate within the bounds"
                )
            elif _no_weights_meet(X, d, t, None):
                # Wider bounds would not help either (rural persons fewer than
                # rural households): "widen the bounds" sent the user there.
                advice = (
                    "no weights >= 0 meet these margins together, whatever "
                    "the bounds (a linear programme finds none): check the margins"
                )
            else:
                # No bounds reach margins that only a weight of 0 meets.
                dropped = _dropped(population, X, columns, d, t)
                advice = (
                    f"no bounds can help: {dropped}" if dropped else "widen the bounds"
                )
            raise CalibrationError(
                f"bounds {bounds} are infeasible: " + "; ".join(cells) + f" ({advice})"
            )
    # Without a households margin no combination of the margins' columns is the
    # constant, so raking and GREG would also choose how many households there
    # are, from the design weights' scale: sample weights of 1 raked to 64
    # million persons made households of 5.6 persons, weights of 1e-6 of 2.5.
    # The design weights' ratios are what they carry then: they are scaled to
    # the persons margins' total first. With bounds the ratios to the weights
    # as given are the user's, and are kept.
    design_d = d
    if bounds is None and not any(c.unit == "households" for c in columns):
        wanted, held = _first_margin_totals(columns, t, initial)
        design_d = d * (wanted / held)
    # Solved with the cells in one canonical order: equal margins whose dicts
    # list them in other orders (a set's, which changes with the process's hash
    # seed) gave weights differing in the last bits.
    order = np.array(
        sorted(
            range(len(columns)),
            key=lambda j: (
                columns[j].unit,
                str(columns[j].margin),
                cell_name(columns[j].cell),
            ),
        ),
        dtype=np.int64,
    )
    X_solved, t_solved = X[:, order], t[order]
    # A sparse matrix's column selection keeps the entries of a row in the
    # selection's order; its products then added them in that order.
    X_solved.sort_indices()
    # Unbounded raking is the same problem for weights of any common scale
    # (w = d exp(x'lambda)), but Newton's method starts at lambda = 0: weights of
    # 1e-60 against totals of 1e6 took a first step it could not recover from
    # ("did not converge ... margins may be inconsistent"). It starts from the
    # weights times a power of two that brings their totals to the margins'
    # (1 for weights already near them: the same bits as without).
    shift = (
        _start_scale(X.T @ design_d, t)
        if bounds is None and method == "raking"
        else 1.0
    )
    d_start = design_d * shift
    merged = compress(X_solved, d_start)
    if merged is None:
        sol = solve(X_solved, d_start, t_solved, method, bounds, max_iter, tol)
        factor = sol.factor
    else:
        sol = solve(merged.X, merged.d, t_solved, method, bounds, max_iter, tol)
        factor = sol.factor[merged.inverse]
    factor = factor * shift
    w = design_d * factor
    if bounds is not None:
        # d * F(u) / d is not always F(u) to the last bit: a ratio of
        # 0.7999999999999999 broke "every ratio in [lo, hi]".
        w = _ratios_within(d * np.clip(factor, *bounds), d, bounds)
    err, iterations, resid = sol.max_relative_error, sol.iterations, sol.residual
    scale = np.maximum(np.abs(t), 1e-300)
    achieved = X.T @ w
    table = pd.DataFrame(
        {
            "unit": [c.unit for c in columns],
            "margin": [c.margin for c in columns],
            "cell": [cell_name(c.cell) for c in columns],
            "target": t,
            "initial": initial,
            "achieved": achieved,
            "relative_error": (achieved - t) / scale,
        }
    )
    converged = bool(err <= tol)  # a Python bool, whatever the type of tol
    if not converged:
        j = int(order[np.argmax(np.abs(resid) / scale[order])])
        raise CalibrationError(
            f"calibration ({method}, bounds={bounds}) did not converge in {iterations} "
            f"iterations (up to max_iter={max_iter} for each of its two solvers): "
            f"worst cell {columns[j].margin} {columns[j].cell!r}, target "
            f"{t[j]:g}, achieved {achieved[j]:g} (relative error {err:.2e}); "
            + (
                infeasible
                if (infeasible := _infeasible(population, X, columns, d, t, bounds))
                else dropped
                if bounds is None
                and (dropped := _dropped(population, X, columns, d, t))
                # Both stopped at max_iter still improving: more may converge.
                else "raise max_iter (the solvers were still improving), or check "
                "that the margins are consistent with each other and with the bounds"
                if sol.exhausted
                else "the margins may be inconsistent with each other or with the "
                "bounds"
            )
        )
    # Raking's weights are never 0, but it meets margins that need a weight of 0
    # by driving it there: 3.7e-5 at tol=1e-6, a household silently dropped.
    # Only a weight within the tolerance's reach can be such a 0 (_could_drop);
    # the linear programmes run then only (2 s at 100,000 households that do
    # not merge, against 0.2 s for the calibration).
    if (
        bounds is None
        and _could_drop(w, t, float(tol))
        and (dropped := _dropped(population, X, columns, d, t))
    ):
        raise CalibrationError(
            f"calibration ({method}, bounds=None) cannot meet the margins with "
            f"weights > 0 (its least weight: {np.min(w):.3g}): {dropped}"
        )
    if not np.all(w <= MAX_WEIGHT):
        big = ~(w <= MAX_WEIGHT)
        raise CalibrationError(
            f"calibration ({method}, bounds={bounds}) needs {int(big.sum())} household "
            f"weights above {MAX_WEIGHT:g}, the most one record may represent (largest "
            f"{np.nanmax(w):g}); the margins ask for far more households or persons "
            "than the data hold: check their units"
        )
    if np.all(w > 0) and not np.all(w >= MIN_WEIGHT):
        tiny = int(np.sum(w < MIN_WEIGHT))
        raise CalibrationError(
            f"calibration ({method}, bounds={bounds}) gave {tiny} household weights "
            f"below {MIN_WEIGHT:g} (least {np.min(w):g}), too small "
            "for the weighted sums; pass bounds, e.g. bounds=(0.1, 10)"
        )
    if np.any(w <= 0):
        raise CalibrationError(
            f"linear calibration gave {int(np.sum(w <= 0))} weights <= 0; "
            + (
                # Then no bounds and no other method can help.
                infeasible
                if (infeasible := _infeasible(population, X, columns, d, t, None))
                else "pass bounds, e.g. bounds=(0.1, 10), or use method='raking'"
            )
        )
    ratio = w / d
    # Named in the source as project() names itself: the generator's call and
    # seed no longer make these weights. The weights' digest tells two
    # calibrations apart (their margins may be too long to write).
    bounds_text = None if bounds is None else tuple(map(float, bounds))
    reweighted = population._reweighted(
        w,
        "calibrate",
        f"method={method!r}, bounds={bounds_text!r}, tol={float(tol)!r}, ",
    )
    return CalibrationResult(
        population=reweighted,
        # The population's own sealed copy: a writable array here took
        # c.weight[0] = -5 without a word.
        weight=reweighted.weight,
        converged=converged,
        iterations=iterations,
        # Of the weights returned, as the margins table shows them: the
        # solver's own figure (of its factors before they were expanded to the
        # households) read 0.0 beside a table of 7.7e-16.
        max_relative_error=float(np.max(np.abs(table["relative_error"].to_numpy()))),
        weight_ratio_min=float(ratio.min()),
        weight_ratio_max=float(ratio.max()),
        method=method,
        bounds=bounds,
        _margins=table,
    )


def _ratios_within(
    w: np.ndarray, d: np.ndarray, bounds: tuple[float, float]
) -> np.ndarray:
    """``w`` moved by an ulp or two where ``w / d`` rounds outside ``bounds``."""
    lo, hi = bounds
    for _ in range(8):
        low, high = w / d < lo, w / d > hi
        if not (low.any() or high.any()):
            break
        w = np.where(low, np.nextafter(w, np.inf), w)
        w = np.where(high, np.nextafter(w, -np.inf), w)
    return w


#: Margins this many times below the population's weighted total are refused.
SHRINK_LIMIT = 1_000.0


def _check_reachable(
    population: Population, X: Any, columns: list[Any], t: np.ndarray
) -> None:
    """Refuse totals no weights a Population allows can give, naming the cells.

    A cell can hold at most ``MAX_WEIGHT`` × its count of records (households, or
    persons for persons margins); and with both households and persons margins,
    residents per household (Σ w·size / Σ w) lies between the smallest and the
    largest household size in the data. A total outside is a unit mix-up (persons
    in 万, households in persons) that Newton's method could only fail on, after
    all its iterations, or overflow on.
    """
    problems = []
    capacity = MAX_WEIGHT * np.asarray(X.sum(axis=0)).ravel()
    for j in np.flatnonzero(t > capacity)[:5]:
        c = columns[j]
        problems.append(
            f"margin {c.margin} cell {c.cell!r}: total {t[j]:g} is more than its "
            f"{capacity[j] / MAX_WEIGHT:g} {c.unit} can represent at the largest "
            f"weight a household may have ({MAX_WEIGHT:g}), i.e. {capacity[j]:g}"
        )
    first_margin: dict[str, str] = {}
    totals: dict[str, float] = {}
    for c in columns:  # one margin per unit is enough: design checked they agree
        if first_margin.setdefault(c.unit, c.margin) == c.margin:
            totals[c.unit] = totals.get(c.unit, 0.0) + c.target
    h, p = totals.get("households"), totals.get("persons")
    if h is not None and p is not None and h > 0:
        lo, hi = int(population.size.min()), int(population.size.max())
        if not lo * h * (1 - 1e-9) <= p <= hi * h * (1 + 1e-9):
            problems.append(
                f"the persons margins total {p:g} and the households margins total "
                f"{h:g}, i.e. {p / h:.4g} persons per household, outside the household "
                f"sizes in the data ({lo}–{hi}); give both in the same units "
                "(persons and households, not 万)"
            )
    # Against the population's own weighted totals: margins a thousandth of
    # them are 万 (10,000s) taken for units, which nothing above catches when
    # only one unit is given (every weight shrank 4,300-fold, and every fiscal
    # total with it). Raw weights of 1 calibrated up to a province are fine.
    current = {
        "households": population.households_represented,
        "persons": population.residents,
    }
    units = [
        f"the {unit} margins ({first_margin[unit]}) total {total:g}, "
        f"{current[unit] / total:,.0f} times fewer than the population's weights "
        f"represent ({current[unit]:g} {unit}); give {unit} in units, not 万 "
        "(10,000s)"
        for unit, total in totals.items()
        if 0 < total < current[unit] / SHRINK_LIMIT
    ]
    if problems:
        raise CalibrationError(
            "margins no calibrated weights can reach: " + "; ".join(problems + units)
        )
    if units:
        raise CalibrationError("margins in the wrong units? " + "; ".join(units))
