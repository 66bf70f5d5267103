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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
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
        Newton iterations used.
    max_relative_error : float
        Largest ``|t − X'w| / |t|`` over the margin cells.
    residual : ndarray of float64, shape (k,)
        ``t − X'w``.
    """

    factor: np.ndarray
    iterations: int
    max_relative_error: float
    residual: np.ndarray


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


def solve(
    X: sp.csr_matrix,
    d: np.ndarray,
    t: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    max_iter: int,
    tol: float,
) -> Solution:
    """Solve ``Σ d F(x'λ) x = t`` for λ by Newton's method with step halving.

    The Jacobian ``X' diag(d F'(Xλ)) X`` is solved in the least-squares sense, so
    collinear margins (urban + rural = all cities) are fine. Stops when every
    cell's relative error is at most ``tol`` or after ``max_iter`` iterations;
    the caller decides what non-convergence means.
    """
    F, dF = distance(method, bounds)
    scale = np.maximum(np.abs(t), 1e-300)
    lam = np.zeros(X.shape[1])
    u = np.zeros(X.shape[0])
    w = d * F(u)
    resid = t - X.T @ w
    err = float(np.max(np.abs(resid) / scale))
    iterations = 0
    while err > tol and iterations < max_iter:
        iterations += 1
        with np.errstate(over="ignore", invalid="ignore"):
            jac = (X.T @ sp.diags(d * dF(u)) @ X).toarray()
        if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(resid))):
            break  # overflowed: not converged, the caller reports the worst cell
        try:
            step = np.linalg.lstsq(jac, resid, rcond=None)[0]
        except np.linalg.LinAlgError:
            break
        with np.errstate(over="ignore"):  # relative errors beyond 1e154 square to inf
            norm = float(np.linalg.norm(resid / scale))
        for _ in range(40):
            new_lam = lam + step
            # A step far too long (weights far from the margins) overflows the
            # distance function: such a trial is no better, and is halved.
            with np.errstate(over="ignore", invalid="ignore"):
                new_u = X @ new_lam
                new_w = d * F(new_u)
                new_resid = t - X.T @ new_w
                new_norm = float(np.linalg.norm(new_resid / scale))
            if new_norm < norm or not np.any(step):
                break
            step = step / 2.0
        lam, u, w, resid = new_lam, new_u, new_w, new_resid
        err = float(np.max(np.abs(resid) / scale))
    return Solution(
        factor=F(u),
        iterations=iterations,
        max_relative_error=err,
        residual=resid,
    )
