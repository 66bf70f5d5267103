"""Households that every set of weights meeting the margins leaves at 0.

Raking's weights ``d · exp(x'λ)`` are never 0, but margins can be met only if some
household's weight is: three households, 宁波 = 50 and rural = 50 fix the weights of
the two that are 宁波 or rural at 50 each, and 杭州 = urban = 50 then leave nothing
for the third, urban 杭州 household. Newton's method meets such margins within any
tolerance by driving that weight towards 0 (3.7e-5 at ``tol=1e-6``), a household
silently dropped. Linear programmes decide it: the set of weights ``w >= 0`` with
``X' w = t`` is convex, so if every household is positive in some solution, their
average is positive everywhere, and conversely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from commonprosperity._calibrate_solve import compress

if TYPE_CHECKING:
    # Imported where used at run time, for the reason _calibrate_solve gives.
    import scipy.sparse as sp

#: A weight ratio (to the design weight scaled to the margins) this small is 0 to
#: the programme: HiGHS's feasibility tolerance is 1e-7 on equations scaled to 1.
ZERO_RATIO = 1e-6


def forced_to_zero(X: Any, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Indices of the households whose weight is 0 in every solution of ``X' w = t``.

    Parameters
    ----------
    X : scipy.sparse matrix, shape (n households, n cells)
        The calibration's design: a household's count in each cell.
    d : ndarray, shape (n,)
        Design weights (households), > 0.
    t : ndarray, shape (n cells,)
        The margins' totals.

    Returns
    -------
    ndarray of int64
        Sorted household indices; empty when some weights ``w > 0`` meet the margins,
        or when the programmes cannot tell (no weights >= 0 meet them, which the
        caller reports otherwise, or a solver failure). "0" is below
        :data:`ZERO_RATIO` of the household's design weight scaled to the margins'
        total.

    Notes
    -----
    The first programme maximises ``s`` with ``w_i >= s · d_i``: ``s > 0`` means no
    household is forced to 0. Otherwise households positive in its solution are
    not; for the rest, programmes maximise ``Σ min(w_i / d_i, 1)`` over them until
    the rest stays at 0. Households with identical rows are merged first (one is
    forced to 0 only if all are).
    """
    import scipy.sparse as sp

    X = sp.csr_matrix(X)
    d = np.asarray(d, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    merged = compress(X, d)
    if merged is not None:
        X, d = merged.X, merged.d
    # Ratios to design weights scaled to the margins' total, so that the ratios are
    # about 1 and ZERO_RATIO is relative whatever the weights' scale.
    held = X.T @ d
    usable = (held > 0) & (t > 0)
    scaled = d * (float(np.median(t[usable] / held[usable])) if usable.any() else 1.0)
    # Equations sum_i X_ij scaled_i g_i = t_j, divided by t_j (rows of totals 0 kept).
    row_scale = 1.0 / np.where(t > 0, t, 1.0)
    A = sp.csr_matrix(X.T.multiply(scaled[None, :]).multiply(row_scale[:, None]))
    b = t * row_scale
    found = _max_smallest_ratio(A, b)
    if found is None or found[0] > ZERO_RATIO:
        return np.empty(0, dtype=np.int64)
    positive = found[1] > ZERO_RATIO
    while True:
        rest = np.flatnonzero(~positive)
        raised = _max_ratios_of(A, b, rest)
        if raised is None:
            return np.empty(0, dtype=np.int64)
        total, g = raised
        newly = g[rest] > ZERO_RATIO
        if total <= ZERO_RATIO or not newly.any():
            break
        positive[rest[newly]] = True
    zero_rows = ~positive
    if merged is not None:
        zero_rows = zero_rows[merged.inverse]
    return np.flatnonzero(zero_rows).astype(np.int64)


def _max_smallest_ratio(
    A: sp.csr_matrix, b: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """``max s`` subject to ``A g = b``, ``g >= s >= 0``, ``s <= 1``; with a ``g``.

    Written with ``g = h + s``, ``h >= 0``: the programme has only the margins'
    equations as rows (one row per household for ``g >= s`` took 45 s at 100,000
    households that do not merge). None when no ``g >= 0`` solves ``A g = b`` or
    HiGHS fails.
    """
    import scipy.sparse as sp

    k = A.shape[1]
    cost = np.zeros(k + 1)
    cost[k] = -1.0
    equal = sp.hstack([A, sp.csr_matrix(A @ np.ones((k, 1)))], format="csr")
    bounds = [(0.0, None)] * k + [(0.0, 1.0)]
    result = _solved(cost, equal, b, bounds)
    if result is None:
        return None
    s = float(result[k])
    return s, result[:k] + s


def _max_ratios_of(
    A: sp.csr_matrix, b: np.ndarray, rest: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """``max Σ_rest y`` subject to ``A g = b``, ``g >= 0``, ``0 <= y_i <= min(g_i, 1)``.

    Written with ``g = h + y`` on ``rest`` (``h >= 0``), so only the margins'
    equations are rows. Returns the optimum and ``g``; None on infeasibility or a
    solver failure.
    """
    import scipy.sparse as sp

    k, r = A.shape[1], rest.size
    cost = np.concatenate([np.zeros(k), -np.ones(r)])
    equal = sp.hstack([A, A[:, rest]], format="csr")
    bounds = [(0.0, None)] * k + [(0.0, 1.0)] * r
    result = _solved(cost, equal, b, bounds)
    if result is None:
        return None
    g = result[:k].copy()
    g[rest] += result[k:]
    return float(result[k:].sum()), g


def linear_programme(
    cost: np.ndarray,
    A_eq: Any,
    b_eq: np.ndarray,
    bounds: Sequence[tuple[float | None, float | None]],
) -> Any:
    """HiGHS's answer to ``min cost·x`` with ``A_eq x = b_eq`` within ``bounds``.

    scipy's ``OptimizeResult`` (``status`` 0 optimal, 2 infeasible), or None
    where scipy refuses the programme (its size limits).
    """
    # Imported here: scipy.optimize takes 0.15-0.2 s, paid only by a check.
    from scipy.optimize import linprog

    try:
        return linprog(cost, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    except (ValueError, MemoryError):  # pragma: no cover - scipy's own limits
        return None


def _solved(
    cost: np.ndarray,
    A_eq: sp.csr_matrix,
    b_eq: np.ndarray,
    bounds: Sequence[tuple[float | None, float | None]],
) -> np.ndarray | None:
    """HiGHS's optimal point, or None when it finds none."""
    found = linear_programme(cost, A_eq, b_eq, bounds)
    if found is None or found.status != 0:
        return None
    return np.asarray(found.x, dtype=np.float64)
