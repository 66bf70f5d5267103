"""Weighted Gini: ``metrics.gini`` (exact and bracket) against NumPy and the peers.

Data (per size; default 1e6 and 1e7, quick 1e6): seeded per-capita incomes,
lognormal (median 30,000 yuan, σ = 0.8) with 5 % of the rows on a mass point at a
dibao-like line (12,000 yuan), and person weights = household weight (uniform 0.5–1.5)
× household size (1–6): the shape of the ``gini`` indicator's input, with ties.

Cases (ratio = peer time ÷ library time, same data, same run):

- ``gini exact vs numpy argsort``: the NumPy reference, ``np.argsort`` (default
  kind) then a cumulative sum over the sorted incomes (Lorenz trapezoid form).
- ``gini exact vs microdf``: ``MicroSeries(x, weights=w).gini()`` (weighted; the
  MicroSeries is built outside timing). Its mergesort + cumsum formula is the same
  quantity.
- ``gini exact unweighted vs pysal inequality``: ``inequality.gini.Gini(x).g``,
  which is unweighted only (argsort, then Σ (2i − n − 1) x_(i) / (n Σ x)); both sides
  run on the same incomes without weights.
- ``gini exact vs ineqpy``: ``ineqpy.inequality.gini(income=x, weights=w)``
  (argsort, then 2 cov(x, F) / mean with F the cumulative weight share — Jenkins'
  convention, which differs from the exact Gini by O(1/n); the note gives the gap).
- ``gini bracket vs numpy argsort`` and ``gini bracket vs memory floor``: the floor is
  the fastest read of income and weight (parallel Numba sum; noise only adds);
  ratio = floor ÷ bracket, so 1/3 means "within 3× of the floor".
- ``gini bracket vs three-sum scatter``: the least a one-pass bracket does per row
  (``w``, ``w x`` and ``w x²`` added to the income's bin, 4,096 bins an octave, no
  checks; fastest run) ÷ the bracket's time; its note gives that scatter in
  multiples of the read floor, i.e. how much of the 3× the histogram's memory
  access alone takes on this machine.

Rates (households/s) of these rows count incomes per second.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks import common

FULL_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (1_000_000,)
MAX_REL_DIFF = 1e-9

_DATA: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def gini_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded per-capita incomes (with a mass point) and person weights."""
    if n not in _DATA:
        rng = np.random.default_rng(common.SEED)
        income = 30_000.0 * rng.lognormal(0.0, 0.8, n)
        income[rng.random(n) < 0.05] = 12_000.0
        weight = rng.uniform(0.5, 1.5, n) * rng.integers(1, 7, n)
        _DATA.clear()
        _DATA[n] = (income, weight)
    return _DATA[n]


def gini_numpy(income: np.ndarray, weight: np.ndarray) -> float:
    """The NumPy argsort-and-cumsum reference: 1 − Σ w (L_{i−1} + L_i) / (W T)."""
    order = np.argsort(income)
    x = income[order]
    w = weight[order]
    wx = w * x
    lorenz = np.cumsum(wx)
    return float(1.0 - np.sum(w * (2.0 * lorenz - wx)) / (w.sum() * lorenz[-1]))


def _targets(n: int) -> dict[str, str]:
    """Issue 8's targets for a size, quoted at that size only."""
    # Issue 8 sets these at 1e7 only (its ≤ 3× floor is simulate's, not the
    # Gini's; the shared machine notes' 30 ms at 1e6 is no issue's target).
    if n == 10_000_000:
        return {
            "numpy": "≥2.5 (stretch 5)",
            "microdf": "≥7 (stretch 20)",
            "floor": "",
        }
    return {"numpy": "", "microdf": "", "floor": ""}


def run(quick: bool, sizes: list[int] | None = None) -> list[dict]:
    """Time the weighted Gini against its reference and peers; return rows."""
    # The library's own measure: if it fails to import, the benchmark errors
    # (and CI with it) rather than dropping its rows.
    from commonprosperity.metrics import gini

    sizes = common.pick_sizes(quick, sizes, FULL_SIZES, QUICK_SIZES)
    rows: list[dict] = []
    for n in sizes:
        rows.extend(_one_size(n, quick, gini))
    return rows


def _one_size(n: int, quick: bool, gini) -> list[dict]:
    rows: list[dict] = []
    x, w = gini_data(n)
    targets = _targets(n)
    exact = common.measure(lambda i: gini(x, w), quick=quick)
    ref = common.measure(lambda i: gini_numpy(x, w), quick=quick)
    diff = common.rel_gap(exact.last, ref.last)
    _check_peer("the NumPy reference", diff, MAX_REL_DIFF, n)
    rows.append(
        common.row(
            "gini exact vs numpy argsort",
            n,
            exact.median,
            ref.median,
            target=targets["numpy"],
            note=f"rel diff {diff:.1e}",
        )
    )

    microdf_rows, microdf = _microdf(n, x, w, exact, targets)
    rows.extend(microdf_rows)
    pysal_rows, pysal = _pysal(n, x, gini, quick)
    rows.extend(pysal_rows)
    rows.extend(_ineqpy(n, x, w, exact, quick))

    bracket = common.measure(lambda i: gini(x, w, method="bracket"), quick=quick)
    b = bracket.last
    # A NaN never compares inside; an infinite Gini is no Gini, even if bracketed.
    inside = np.isfinite(ref.last) and b.lower <= ref.last <= b.upper
    if not inside:
        raise AssertionError(
            f"bracket [{b.lower}, {b.upper}] misses the exact "
            f"Gini {ref.last} at n = {n}"
        )
    rows.append(
        common.row(
            "gini bracket vs numpy argsort",
            n,
            bracket.median,
            ref.median,
            note=f"width {b.upper - b.lower:.1e}",
        )
    )
    # The peers compute the exact Gini; the bracket is this library's answer to
    # the same question at a stated precision, so it is timed against them too.
    rows.append(
        common.row(
            "gini bracket vs microdf",
            n,
            bracket.median,
            microdf.median,
            note=f"width {b.upper - b.lower:.1e}; microdf exact",
        )
    )
    unweighted = common.measure(lambda i: gini(x, method="bracket"), quick=quick)
    u = unweighted.last
    if not u.lower <= pysal.last <= u.upper:
        raise AssertionError(
            f"unweighted bracket [{u.lower}, {u.upper}] misses pysal's Gini "
            f"{pysal.last} at n = {n}"
        )
    rows.append(
        common.row(
            "gini bracket unweighted vs pysal inequality",
            n,
            unweighted.median,
            pysal.median,
            note=f"width {u.upper - u.lower:.1e}; pysal exact, unweighted",
        )
    )
    floor = common.measure(lambda i: common.read_once((x, w)), quick=quick)
    rows.append(
        common.floor_row(
            "gini bracket vs memory floor",
            n,
            bracket.median,
            floor,
            target=targets["floor"],
            note="floor: read income and weight once",
        )
    )
    scatter = common.measure(lambda i: common.scatter_once(x, w), quick=quick)
    rows.append(
        common.floor_row(
            "gini bracket vs three-sum scatter",
            n,
            bracket.median,
            scatter,
            note=(
                "scatter: w, w·x, w·x² added to the income's bin (4,096 bins an "
                "octave, two threads, nothing else); its fastest run = "
                f"{min(scatter.times) / min(floor.times):.1f}× the fastest read"
            ),
        )
    )
    return rows


def _check_peer(peer: str, gap: float, tolerance: float, n: int) -> None:
    """Raise if a peer's Gini is not ours: a timing of another quantity is no ratio."""
    if not gap <= tolerance:
        raise AssertionError(
            f"{peer}'s Gini differs from metrics.gini by {gap:.2e} at n = {n} "
            f"(allowed {tolerance:.1e})"
        )


def _microdf(n, x, w, exact, targets):
    try:
        from microdf import MicroSeries
    except ImportError as exc:
        # A peer issue 8 names: its absence is a broken environment, not a skip.
        raise RuntimeError(
            f"microdf is not installed ({exc}); it is a required peer: install "
            "the test extras (python -m pip install -e '.[test]')"
        ) from exc
    series = MicroSeries(x, weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers' own deprecation warnings
        peer = common.measure(lambda i: series.gini(), quick=True, max_repeats=5)
    diff = common.rel_gap(peer.last, exact.last)
    _check_peer("microdf", diff, MAX_REL_DIFF, n)
    return [
        common.row(
            "gini exact vs microdf",
            n,
            exact.median,
            peer.median,
            target=targets["microdf"],
            note=f"rel diff {diff:.1e}",
        )
    ], peer


def _pysal(n, x, gini, quick):
    try:
        from inequality.gini import Gini
    except ImportError as exc:
        # A peer issue 8 names: its absence is a broken environment, not a skip.
        raise RuntimeError(
            f"pysal inequality is not installed ({exc}); it is a required peer: "
            "install the test extras (python -m pip install -e '.[test]')"
        ) from exc
    ours = common.measure(lambda i: gini(x), quick=quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = common.measure(lambda i: Gini(x).g, quick=True, max_repeats=5)
    diff = common.rel_gap(peer.last, ours.last)
    _check_peer("pysal inequality", diff, MAX_REL_DIFF, n)
    return [
        common.row(
            "gini exact unweighted vs pysal inequality",
            n,
            ours.median,
            peer.median,
            note=f"unweighted (pysal has no weights); rel diff {diff:.1e}",
        )
    ], peer


def _ineqpy(n, x, w, exact, quick):
    try:
        from ineqpy.inequality import gini as ineqpy_gini
    except ImportError as exc:
        common.note(f"ineqpy not installed ({exc}); skipped")
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = common.measure(
            lambda i: ineqpy_gini(income=x, weights=w), quick=True, max_repeats=5
        )
    gap = abs(float(peer.last) - exact.last)
    # Jenkins' convention differs from ours by O(1/n) (0.59 / n on these data);
    # 100 / n still catches a peer computing something else.
    _check_peer("ineqpy", gap, 100.0 / n, n)
    return [
        common.row(
            "gini exact vs ineqpy",
            n,
            exact.median,
            peer.median,
            note=f"Jenkins convention, |gap| {gap:.1e} (O(1/n))",
        )
    ]
