"""Newton solver of the calibration equations, on a row-compressed design.

Private helper of :mod:`commonprosperity.calibrate` and the baseline generator.
Calibrated weights are ``w_i = d_i · F(x_i'λ)``, so households with the same design
row ``x_i`` share one factor. :func:`compress` merges identical rows (summing their
design weights), and :func:`solve` runs Newton's method on the merged rows; a census
or survey of a million households usually has a few thousand distinct rows, so the
solve costs almost nothing and the equations, the solution and the convergence
test are exactly those of the uncompressed problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    # Imported where used at run time: 0.2-0.3 s of the package's import, or
    # 0.1 s of its import and first simulate (where Numba imports scipy.linalg).
    import scipy.sparse as sp

__all__ = ["Compressed", "Solution", "compress", "distance", "solve"]

#: Seed of the random projections that find identical rows (results do not
#: depend on it: every merge is verified exactly).
_PROJECTION_SEED = 20240601

Function = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Compressed:
    """Distinct rows of a design matrix.

    Attributes
    ----------
    X : scipy.sparse.csr_matrix, shape (g, k)
        The distinct rows.
    d : ndarray of float64, shape (g,)
        Sum of the design weights of the households sharing each row.
    inverse : ndarray of int64, shape (n,)
        Row of ``X`` of each household: ``X_full = X[inverse]``.
    """

    X: sp.csr_matrix
    d: np.ndarray
    inverse: np.ndarray


@dataclass(frozen=True)
class Solution:
    """Outcome of :func:`solve` on (possibly compressed) rows.

    Attributes
    ----------
    factor : ndarray of float64, shape (g,)
        ``F(x_g'λ)``: calibrated / initial weight of each row.
    iterations : int
        Iterations used (of both solvers when the first failed).
    max_relative_error : float
        Largest ``|t − X'w| / |t|`` over the margin cells.
    residual : ndarray of float64, shape (k,)
        ``t − X'w``.
    exhausted : bool
        Whether every solver tried stopped at ``max_iter`` iterations, still
        lowering the error (rather than stalling or overflowing).
    """

    factor: np.ndarray
    iterations: int
    max_relative_error: float
    residual: np.ndarray
    exhausted: bool = False


def compress(X: sp.csr_matrix, d: np.ndarray) -> Compressed | None:
    """Merge identical rows of ``X``; None when that would not save much.

    Rows are grouped by a random projection and every merge is then verified
    exactly (``X == X_distinct[inverse]``), so a projection collision can only
    cost the saving, never change a result. Deterministic for a given input.
    """
    n, k = X.shape
    if n < 1_000 or k == 0:
        return None
    r = np.random.default_rng(_PROJECTION_SEED).random(k)
    h = np.asarray(X @ r).ravel()
    order = np.argsort(h, kind="stable")
    hs = h[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(hs[1:], hs[:-1], out=new[1:])
    n_distinct = int(new.sum())
    if n_distinct > n // 4:
        return None
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    distinct = X[order[new]]
    diff = distinct[inverse] - X
    diff.eliminate_zeros()
    if diff.nnz:
        return None  # a projection collision: solve uncompressed
    return Compressed(
        X=distinct.tocsr(),
        d=np.bincount(inverse, weights=d, minlength=n_distinct),
        inverse=inverse,
    )


def distance(
    method: str, bounds: tuple[float, float] | None
) -> tuple[Function, Function]:
    """The calibration function ``F`` and its derivative for a method and bounds.

    ``"linear"``: ``F(u) = 1 + u`` (truncated to the bounds); ``"raking"``:
    ``F(u) = exp(u)``, or with bounds the "logit" function of Deville & Särndal
    (1992) with ``lo < F < hi``.
    """
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


def _primitive(method: str, bounds: tuple[float, float] | None) -> Function:
    """``G(u) = ∫_0^u F``: the calibration's dual objective is ``Σ d G(x'λ) − t'λ``.

    Convex (``F`` is increasing), with gradient ``−(t − X'w)`` and Hessian the
    Newton Jacobian; its line search cannot stall where ``F`` is flat (a factor
    at a bound), which the residual's norm did.
    """
    if method == "linear":
        if bounds is None:
            return lambda u: u + 0.5 * u * u
        lo, hi = bounds
        a, b = lo - 1.0, hi - 1.0

        def linear(u: np.ndarray) -> np.ndarray:
            inside = np.clip(u, a, b)
            return cast(
                "np.ndarray",
                inside
                + 0.5 * inside * inside
                + lo * np.minimum(u - a, 0.0)
                + hi * np.maximum(u - b, 0.0),
            )

        return linear
    if bounds is None:
        return lambda u: np.expm1(np.clip(u, -700, 700))
    lo, hi = bounds
    slope = (hi - lo) / ((1.0 - lo) * (hi - 1.0))
    log_a, log_b = np.log(hi - 1.0), np.log(1.0 - lo)
    at_zero = np.logaddexp(log_a, log_b)

    def logit(u: np.ndarray) -> np.ndarray:
        return cast(
            "np.ndarray",
            lo * u
            + (hi - lo) / slope * (np.logaddexp(log_a, log_b + slope * u) - at_zero),
        )

    return logit


def _magnitude(method: str, bounds: tuple[float, float] | None) -> Function:
    """Size of the terms whose sum is ``G(u)``, for the rounding of the dual.

    The bounded raking's ``G`` is a difference of logarithms near 4.6 times up
    to (hi − lo) / slope: its rounding is that of the terms, not of ``G``.
    """
    G = _primitive(method, bounds)
    if method == "linear" or bounds is None:
        return lambda u: np.abs(G(u)) + np.abs(u)
    lo, hi = bounds
    slope = (hi - lo) / ((1.0 - lo) * (hi - 1.0))
    log_a, log_b = np.log(hi - 1.0), np.log(1.0 - lo)
    at_zero = abs(float(np.logaddexp(log_a, log_b)))
    return lambda u: (
        lo * np.abs(u)
        + (hi - lo) / slope * (np.abs(np.logaddexp(log_a, log_b + slope * u)) + at_zero)
    )


def _largest_move(method: str, bounds: tuple[float, float] | None) -> float:
    """Largest change of any ``x'λ`` in one step (inf: none).

    With bounds a full Newton step could carry a factor deep into a bound, where
    ``F`` is flat and the Jacobian loses that household (bounded raking stuck at
    a factor of exactly 10.0); a few units of the distance's own scale a step
    keep every factor where its derivative still tells.
    """
    if bounds is None:
        return np.inf
    lo, hi = bounds
    if method == "linear":
        return hi - lo
    return 4.0 * (1.0 - lo) * (hi - 1.0) / (hi - lo)


def solve(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    max_iter: int,
    tol: float,
) -> Solution:
    """Solve ``Σ d F(x'λ) x = t`` for λ.

    Newton's method with step halving first (:func:`_newton`); where it does not
    reach ``tol`` in ``max_iter`` iterations (factors stuck at a bound: bounded
    raking refused 17 of 400 feasible problems), the damped method on the dual
    (:func:`_damped`) from the start, and the better of the two. Stops when every
    cell's relative error is at most ``tol`` or after ``max_iter`` iterations of
    each; the caller decides what non-convergence means.
    """
    first = _newton(X, d, t, method, bounds, max_iter, tol)
    if first.max_relative_error <= tol:
        return first
    second = _damped(X, d, t, method, bounds, max_iter, tol)
    best = min((first, second), key=lambda s: s.max_relative_error)
    return dataclasses.replace(
        best,
        iterations=first.iterations + second.iterations,
        exhausted=first.exhausted and second.exhausted,
    )


def _start(
    X: sp.csr_matrix, d: np.ndarray, t: np.ndarray, F: Function
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """``(scale, λ, Xλ, residual, largest relative error)`` at λ = 0."""
    scale = np.maximum(np.abs(t), 1e-300)
    lam = np.zeros(X.shape[1])
    u = np.zeros(X.shape[0])
    resid = t - X.T @ (d * F(u))
    return scale, lam, u, resid, float(np.max(np.abs(resid) / scale))


def _jacobian(
    X: sp.csr_matrix, d: np.ndarray, dF: Function, u: np.ndarray, resid: np.ndarray
) -> sp.csr_matrix | None:
    """``X' diag(d F'(u)) X`` (sparse), or None when it or the residual overflowed."""
    import scipy.sparse as sp

    with np.errstate(over="ignore", invalid="ignore"):
        jac = sp.csr_matrix(X.T @ sp.diags(d * dF(u)) @ X)
    if not (np.all(np.isfinite(jac.data)) and np.all(np.isfinite(resid))):
        return None
    return jac


#: A block whose cells' diagonal entries (their weighted totals) span more than
#: this is solved in Jacobi-scaled coordinates (:func:`_scaled_solution`).
SCALED_SPAN = 1e4


def _badly_scaled(diagonal: np.ndarray) -> bool:
    positive = diagonal[diagonal > 0.0]
    return positive.size > 1 and bool(positive.max() > SCALED_SPAN * positive.min())


def _scaled_solution(block: np.ndarray, resid: np.ndarray, k: int) -> np.ndarray:
    """``S · pinv(S B S) · S · r``, ``S`` = diag(1 / sqrt(diag B)), 0 where that is 0.

    A least-squares solve of ``B`` itself is accurate to ``eps`` of its largest
    entry: the cells of a city of tiny design weights, coupled to the others by
    a margin over all cities (urban, age), reached a relative error of about
    ``eps / tiny`` and never ``tol`` (1e-8 of the others' weights: "did not
    converge ... the margins may be inconsistent"). Scaled, every cell's diagonal
    is 1 and each is solved to its own relative accuracy; singular values are cut
    as ``lstsq`` cuts them, in the scaled matrix.
    """
    root = np.sqrt(np.maximum(np.diag(block), 0.0))
    scale = np.divide(1.0, root, out=np.zeros_like(root), where=root > 0.0)
    u, sv, vt = np.linalg.svd(block * scale[:, None] * scale[None, :])
    keep = sv > np.finfo(np.float64).eps * k * sv[0]
    return cast("np.ndarray", scale * _pseudo_solve(u, sv, vt, keep, scale * resid))


def _pseudo_solve(
    u: np.ndarray, sv: np.ndarray, vt: np.ndarray, keep: np.ndarray, r: np.ndarray
) -> np.ndarray:
    """``pinv(B) · r`` from ``B``'s SVD, with the singular values ``keep`` says."""
    return cast("np.ndarray", vt[keep].T @ ((u[:, keep].T @ r) / sv[keep]))


def _least_squares(jac: sp.csr_matrix, resid: np.ndarray, rows: int) -> np.ndarray:
    """The minimum-norm least-squares solution of ``jac · step = resid``.

    ``jac`` = ``X' D X`` couples two margin cells only where some household
    counts in both, so it is block diagonal over the connected groups of cells,
    each solved apart: one dense solve of a categorical margin of 3,000 cells
    (survey PSUs) took a minute an iteration, its 3,000 blocks of one cell
    nothing. The singular values cut are those ``numpy.linalg.lstsq`` cuts in
    the whole matrix (at most ``eps · k`` of the largest of all blocks'): cut
    within each block's own scale, a collinear margin's null direction of one
    block was kept. A block far smaller than the largest (a city of tiny design
    weights) keeps the singular values above its own rounding bound, ``eps ·
    (rows + k) · size`` of its largest (``rows`` households summed into each
    entry, all terms >= 0): cut at the whole matrix's scale, such a city's cells
    never moved, and calibrate called margins that a factor of 1.1 meets
    inconsistent. A block whose cells' totals span more than ``SCALED_SPAN`` is
    solved scaled (:func:`_scaled_solution`; the minimum norm is then that of the
    scaled step). Raises ``numpy.linalg.LinAlgError`` as ``lstsq`` does.
    """
    from scipy.sparse import csgraph

    k = resid.shape[0]
    n_blocks, label = csgraph.connected_components(jac, directed=False)
    if n_blocks == 1:
        whole = jac.toarray()
        if _badly_scaled(np.diag(whole)):
            return _scaled_solution(whole, resid, k)
        return cast("np.ndarray", np.linalg.lstsq(whole, resid, rcond=None)[0])
    eps = np.finfo(np.float64).eps
    order = np.argsort(label, kind="stable")
    ends = np.searchsorted(label[order], np.arange(n_blocks + 1))
    sizes = np.diff(ends)
    single = order[ends[:-1][sizes == 1]]
    diagonal = jac.diagonal()[single]
    blocks = []
    scaled = []
    top = float(np.max(np.abs(diagonal), initial=0.0))
    for b in np.flatnonzero(sizes > 1):
        cells = order[ends[b] : ends[b + 1]]
        block = jac[cells][:, cells].toarray()
        if _badly_scaled(np.diag(block)):
            scaled.append((cells, block))
            continue
        u, sv, vt = np.linalg.svd(block)
        blocks.append((cells, u, sv, vt))
        top = max(top, float(sv[0]))
    cutoff = eps * k * top
    step = np.zeros(k)
    # Blocks of one cell at once: r / j, and 0 for a cell of no household (j, a
    # sum of terms >= 0, is 0); a positive j is above its own rounding bound.
    kept = diagonal > 0.0
    step[single[kept]] = resid[single[kept]] / diagonal[kept]
    for cells, u, sv, vt in blocks:
        keep = sv > min(cutoff, eps * (rows + k) * cells.shape[0] * sv[0])
        step[cells] = _pseudo_solve(u, sv, vt, keep, resid[cells])
    for cells, block in scaled:
        step[cells] = _scaled_solution(block, resid[cells], k)
    return step


def _newton(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    max_iter: int,
    tol: float,
) -> Solution:
    """Newton's method on the equations with step halving on the residual's norm.

    Fast and exact where it converges (quadratically, in a few iterations); it
    can stall where factors sit at a bound (``F`` flat), which :func:`_damped`
    does not.
    """
    F, dF = distance(method, bounds)
    scale, lam, u, resid, err = _start(X, d, t, F)
    iterations = 0
    stalled = False
    while err > tol and iterations < max_iter:
        iterations += 1
        jac = _jacobian(X, d, dF, u, resid)
        if jac is None:
            stalled = True
            break  # overflowed: not converged, the caller reports the worst cell
        try:
            step = _least_squares(jac, resid, X.shape[0])
        except np.linalg.LinAlgError:
            stalled = True
            break
        lam, u, resid, fell = _halved(X, d, t, F, scale, lam, resid, step)
        stalled = not fell
        err = float(np.max(np.abs(resid) / scale))
    return Solution(
        factor=F(u),
        iterations=iterations,
        max_relative_error=err,
        residual=resid,
        exhausted=err > tol and not stalled,
    )


def _damped(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    max_iter: int,
    tol: float,
) -> Solution:
    """Solve ``Σ d F(x'λ) x = t`` for λ by a damped Newton method on the dual.

    The Jacobian ``X' diag(d F'(Xλ)) X`` is solved in the least-squares sense, so
    collinear margins (urban + rural = all cities) are fine. Each step is
    searched along (halved until the convex dual objective falls enough,
    :func:`_primitive`); where the Newton direction does not descend, the
    gradient's does. Stops when every cell's relative error is at most ``tol``
    or after ``max_iter`` iterations; the caller decides what non-convergence
    means.
    """
    import scipy.sparse as sp

    F, dF = distance(method, bounds)
    G = _primitive(method, bounds)
    magnitude = _magnitude(method, bounds)
    most = _largest_move(method, bounds)
    scale, lam, u, resid, err = _start(X, d, t, F)
    phi = 0.0  # G(0) = 0 and λ = 0
    # Where F is flat (factors at a bound) the Jacobian loses those households
    # and Newton's step cannot bring them back; the linear method's Jacobian,
    # the same every iteration, keeps everyone (truncated linear GREG stalled
    # at a 4 % error on feasible margins).
    flat = sp.csr_matrix(X.T @ sp.diags(d) @ X)
    iterations = 0
    stalled = False
    while err > tol and iterations < max_iter:
        iterations += 1
        jac = _jacobian(X, d, dF, u, resid)
        if jac is None:
            stalled = True
            break  # overflowed: not converged, the caller reports the worst cell
        try:
            newton = _least_squares(jac, resid, X.shape[0])
            blended = _least_squares(jac + 0.1 * flat, resid, X.shape[0])
        except np.linalg.LinAlgError:
            stalled = True
            break
        # The dual's rounding grows with its terms, not with its value: near the
        # solution the directions' duals differ by noise (choosing the lowest
        # there stalled bounded raking at 7e-10), and the step taken is then the
        # one that leaves the largest error (the convergence test's) smallest.
        with np.errstate(over="ignore", invalid="ignore"):
            rounding = 1e-12 * float(
                abs(phi) + d @ magnitude(u) + np.abs(t) @ np.abs(lam)
            )
        trials = []
        for direction in (newton, blended, resid):
            trial = _search(
                X,
                d,
                t,
                F,
                G,
                scale,
                lam,
                phi,
                rounding,
                err,
                resid,
                _capped(X, direction, most if direction is not resid else 1.0),
            )
            if trial is not None:
                trials.append(trial)
            if trial is not None and trial[3] <= tol:
                break  # converged: Newton's, the first tried, near the solution
        if not trials:
            # Where the dual's fall is all rounding, the margins' error alone
            # judges Newton's step, by the rule of the solver before the dual
            # (the scaled residual's norm falls): a tiny sample's GREG stopped at
            # 1.4e-14 where that rule reached 5e-16.
            new_lam, new_u, new_resid, fell = _halved(
                X, d, t, F, scale, lam, resid, newton
            )
            if not fell:
                stalled = True
                break  # no step lowers the error: the caller reports the worst cell
            trials.append(
                (
                    new_lam,
                    new_u,
                    float(d @ G(new_u) - t @ new_lam),
                    float(np.max(np.abs(new_resid) / scale)),
                    new_resid,
                )
            )
        done = [trial for trial in trials if trial[3] <= tol]
        if done:
            lam, u, phi, _, resid = min(done, key=lambda trial: trial[3])
        else:
            # The lowest dual, or among duals equal to rounding the smallest error.
            lowest = min(trial[2] for trial in trials)
            lam, u, phi, _, resid = min(
                (trial for trial in trials if trial[2] <= lowest + rounding),
                key=lambda trial: trial[3],
            )
        err = float(np.max(np.abs(resid) / scale))
    return Solution(
        factor=F(u),
        iterations=iterations,
        max_relative_error=err,
        residual=resid,
        exhausted=err > tol and not stalled,
    )


def _search(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    F: Function,
    G: Function,
    scale: np.ndarray,
    lam: np.ndarray,
    phi: float,
    rounding: float,
    err: float,
    resid: np.ndarray,
    step: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray] | None:
    """``(λ, Xλ, dual, largest error, residual)`` after ``step``, halved until taken.

    A step is taken when the dual falls by a part of its slope beyond its
    ``rounding`` (Armijo), or, near the solution where the dual's fall is below
    its rounding, when the dual does not rise beyond it and the margins' largest
    relative error ``err`` falls. None if ``step`` is no descent direction or no
    halving of it is taken.
    """
    descent = float(resid @ step)  # −(the dual's derivative along step)
    if not (descent > 0.0 and np.isfinite(descent)):
        return None
    for _ in range(60):
        new_lam = lam + step
        with np.errstate(over="ignore", invalid="ignore"):
            new_u = X @ new_lam
            new_phi = float(d @ G(new_u) - t @ new_lam)
            if np.isfinite(new_phi) and new_phi <= phi + rounding:
                new_resid = t - X.T @ (d * F(new_u))
                new_err = float(np.max(np.abs(new_resid) / scale))
                falls = new_phi <= phi - 1e-4 * descent and phi - new_phi > rounding
                if falls or new_err < err:
                    return new_lam, new_u, new_phi, new_err, new_resid
        step = step / 2.0
        descent /= 2.0
    return None


def _halved(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    F: Function,
    scale: np.ndarray,
    lam: np.ndarray,
    resid: np.ndarray,
    step: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(λ, Xλ, residual, fell)``: ``step`` halved until the residual norm falls.

    At most 40 halvings; the last is taken if none lowers the norm (``fell``
    False).
    """
    with np.errstate(over="ignore"):  # relative errors beyond 1e154 square to inf
        norm = float(np.linalg.norm(resid / scale))
    for _ in range(40):
        new_lam = lam + step
        # A step far too long (weights far from the margins) overflows the
        # distance function: such a trial is no better, and is halved.
        with np.errstate(over="ignore", invalid="ignore"):
            new_u = X @ new_lam
            new_resid = t - X.T @ (d * F(new_u))
            new_norm = float(np.linalg.norm(new_resid / scale))
        if new_norm < norm or not np.any(step):
            break
        step = step / 2.0
    return new_lam, new_u, new_resid, new_norm < norm


def _capped(X: sp.csr_matrix, step: np.ndarray, most: float) -> np.ndarray:
    """``step`` shortened so that no ``x'step`` exceeds ``most`` in size."""
    if not np.isfinite(most):
        return step
    largest = float(np.max(np.abs(X @ step), initial=0.0))
    return step * (most / largest) if largest > most else step
