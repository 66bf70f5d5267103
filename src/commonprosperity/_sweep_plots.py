"""Figures of a sweep: an indicator over two levers, and the fiscal-cost frontier.

Private to :mod:`commonprosperity.plots`, which re-exports :func:`sweep_heatmap`,
:func:`fiscal_frontier` and :func:`pareto_front`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from commonprosperity._plotstyle import (
    _BLACK,
    _BLUE,
    _COMPARISON_TEXT,
    _GREY,
    _SKY,
    _VERMILION,
    _figure,
    _rc,
    _target_of,
    _tick,
    billions,
    cite_plan,
    distinct_decimals,
    finish,
    format_value,
)
from commonprosperity._validate import check_flag, check_text, quoted
from commonprosperity.errors import ArgumentError, ArgumentTypeError
from commonprosperity.scenario import lever_unit
from commonprosperity.targets import (
    INDICATOR_NAMES,
    TARGET_BY_ID,
    meets,
    verdict_column,
)

if TYPE_CHECKING:
    from matplotlib.ticker import ScalarFormatter

__all__ = ["fiscal_frontier", "pareto_front", "sweep_heatmap"]

#: Largest number of rows or columns of a heatmap whose cells are annotated.
_MAX_ANNOTATED = 25
#: Largest heatmap size, inches (at 200 dpi a PNG of at most 3,600 × 2,800 pixels).
_MAX_WIDTH, _MAX_HEIGHT = 18.0, 14.0
_MAX_TICKS = 12


def _indicator_unit(indicator: str) -> str:
    t = _target_of(indicator)
    if t is not None:
        return t.unit
    if indicator in ("gini",):
        return "ratio"
    if indicator.endswith(("_revenue", "_contributions", "_spending", "_cost")):
        # Province totals: tens of billions (in thousands they read 22,067,601.4).
        return "bn yuan"
    if "per_capita" in indicator:
        return "yuan"
    return "ratio"


def _scale(unit: str) -> float:
    """Factor from an indicator's unit to the unit the figures draw it in."""
    return {"share": 100.0, "yuan": 1e-3, "bn yuan": 1e-9}.get(unit, 1.0)


def _lever_label(path: str) -> str:
    return f"{path} ({lever_unit(path)})"


def sweep_heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    indicator: str,
    *,
    fixed: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Heatmap of one indicator over two levers of a sweep.

    Parameters
    ----------
    frame : pandas.DataFrame
        A sweep frame: one row per scenario, one column per lever (dotted path) and
        per indicator.
    x, y : str
        The lever columns on the horizontal and vertical axes.
    indicator : str
        The indicator column shown (a contract name such as ``"gini"``, or a
        target id T1–T6 for its indicator).
    fixed : mapping of str to float, optional
        Values of the other levers; rows elsewhere are dropped. Required when the
        frame has other lever columns that vary, unless they are in ``fixed``.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Cells coloured and annotated with the indicator; when the indicator has a
        plan target, cells meeting it are outlined in black and marked "met".
        A grid with more than 25 values of a lever is drawn at a capped size
        (18 × 14 inches at most), without cell texts and with about 12 tick
        labels per axis; cells meeting the target are still outlined.

    Raises
    ------
    ArgumentError (a ValueError)
        If ``x``, ``y``, ``indicator`` or a key of ``fixed`` is not a column of
        the frame, ``x`` equals ``y``, no row is left after ``fixed``, or several
        rows share an ``(x, y)`` pair.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=0)
    >>> grid = {"transfers.dibao_monthly": [835, 1_100, 1_300],
    ...         "income_tax.basic_deduction": [60_000, 72_000]}
    >>> frame = cp.sweep(pop, cp.Scenario.status_quo(2021), grid, progress=False)
    >>> fig = cp.plots.sweep_heatmap(
    ...     frame, "transfers.dibao_monthly", "income_tax.basic_deduction", "T4"
    ... )
    >>> print(fig.axes[0].get_title(loc="left"))
    urban_rural_ratio by dibao_monthly and basic_deduction
    outlined: meets T4 (< 1.900)
    >>> [" ".join(text.get_text().split()) for text in fig.axes[0].texts]
    ['1.9212', '1.8937 met', '1.8673 met', '1.9227', '1.8953 met', '1.8689 met']
    """
    check_text(title, "title", "sweep_heatmap")
    # A list or Series for a column name failed in pandas ("unhashable type").
    for name, value in (("x", x), ("y", y), ("indicator", indicator)):
        check_text(value, name, "sweep_heatmap", optional=False)
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentTypeError(
            f"sweep_heatmap: frame must be the DataFrame sweep() returned; got "
            f"{type(frame).__name__}"
        )
    if fixed is not None and not isinstance(fixed, Mapping):
        raise ArgumentTypeError(
            "sweep_heatmap: fixed must map lever columns to values, e.g. "
            f"{{'income_tax.basic_deduction': 60000}}; got {type(fixed).__name__}"
        )
    named = _target_of(indicator)
    if named is not None and indicator == named.id and indicator not in frame.columns:
        indicator = named.indicator  # a target id, as fiscal_frontier takes
    for arg, col in (("x", x), ("y", y), ("indicator", indicator)):
        if col not in frame.columns:
            raise ArgumentError(
                f"sweep_heatmap: {arg}={col!r} not in the sweep frame; "
                f"columns are {list(frame.columns)}"
            )
    if x == y:
        raise ArgumentError(
            f"sweep_heatmap: x and y must be two different levers; both are {x!r}"
        )
    sub = frame
    for k, v in (fixed or {}).items():
        if k not in frame.columns:
            raise ArgumentError(
                f"sweep_heatmap: fixed[{k!r}] not in the sweep frame; "
                f"columns are {list(frame.columns)}"
            )
        sub = sub[_matches(sub[k], v)]
    if sub.empty:
        raise ArgumentError(
            "sweep_heatmap: no row of the sweep frame is left to draw"
            + (
                f" with fixed={dict(fixed)!r}; the values present are "
                + "; ".join(f"{k}: {sorted(set(map(_tick, frame[k])))}" for k in fixed)
                if fixed
                else " (the frame is empty)"
            )
        )
    # A list lever read back from Parquet holds arrays, which pandas cannot
    # hash to pivot on ("unhashable type"): as tuples, what sweep() gives.
    sub = sub.assign(
        **{col: sub[col].map(_hashable) for col in (x, y) if sub[col].dtype == object}
    )
    if sub.duplicated([x, y]).any():
        raise ArgumentError(
            f"sweep_heatmap: several rows share each ({x}, {y}) pair; "
            "fix the other levers with fixed={...}"
        )
    table = (
        sub.pivot(index=y, columns=x, values=indicator).sort_index().sort_index(axis=1)
    )
    unit = _indicator_unit(indicator)
    target = _target_of(indicator)
    try:
        values = table.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"sweep_heatmap: indicator={indicator!r} must be a numeric column; its "
            f"dtype is {frame[indicator].dtype}"
        ) from None
    scale = _scale(unit)
    n_rows, n_cols = table.shape
    # A figure sized per cell and a text per cell grew without bound: a 100 × 100
    # grid took a minute and 20 MB, a 2 × 5,000 one 600,000 pixels of height.
    # Large grids get a capped size, no cell texts and a subset of tick labels.
    small = max(n_rows, n_cols) <= _MAX_ANNOTATED
    with _rc():
        fig = _figure(
            min(max(6.5, 0.95 * n_cols + 3.2), _MAX_WIDTH),
            min(max(4.2, 0.62 * n_rows + 2.2), _MAX_HEIGHT),
        )
        ax = fig.subplots()
        im = ax.imshow(values * scale, origin="lower", aspect="auto", cmap="viridis")
        finite = values[np.isfinite(values)]
        if finite.size:
            cbar = fig.colorbar(im, ax=ax)
            # On two lines: per_capita_disposable_income (thousand yuan) ran off
            # the top of a small figure.
            cbar.set_label(_unit_label(indicator, unit).replace(" (", "\n(", 1))
            # Ticks in the cells' own numbers: an offset ("+4.278e1" above ticks
            # of 0.0060 … 0.0072) did not read.
            # A colorbar's default formatter is a ScalarFormatter.
            cast("ScalarFormatter", cbar.formatter).set_useOffset(False)
            cbar.update_ticks()
        mid = float(np.median(finite) * scale) if finite.size else 0.0
        # Decimals enough to tell the lowest cell from the highest: a range of
        # 1.2 yuan coloured half the cells yellow, half purple, all reading "42.8".
        spread = (
            distinct_decimals(
                finite.min(), finite.max(), lambda x, e: _cell_text(x, unit, e)
            )
            if finite.size
            else 0
        )
        # And enough (two more at most) to tell apart neighbouring values whose
        # colours differ to the eye (2 % of the range apart): cells of 60.18 to
        # 60.23 % in four colours all read "60.2" beside a 60.5.
        ranked = np.unique(finite)
        seen = 0.02 * (ranked[-1] - ranked[0]) if ranked.size else 0.0
        for a, b in itertools.pairwise(ranked):
            if b - a < seen:
                continue
            spread = max(
                spread,
                distinct_decimals(a, b, lambda x, e: _cell_text(x, unit, e), most=2),
            )
        met_cells = []
        for (i, j), v in np.ndenumerate(values):
            met = target is not None and meets(v, target.comparison, target.target)
            if met:
                met_cells.append((i, j))
            if not small:
                continue
            extra = max(
                spread,
                0
                if target is None
                else distinct_decimals(
                    v, target.target, lambda x, e: _cell_text(x, unit, e)
                ),
            )
            text = _cell_text(v, unit, extra)
            if met:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.2, edgecolor=_BLACK
                    )
                )
                text += "\nmet"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color="white" if v * scale < mid else _BLACK,
            )
        if met_cells and not small:  # one artist, not one patch per cell
            ax.add_collection(
                PatchCollection(
                    [Rectangle((j - 0.5, i - 0.5), 1, 1) for i, j in met_cells],
                    facecolor="none",
                    edgecolor=_BLACK,
                    lw=0.8,
                )
            )
        xt, yt = _tick_positions(n_cols), _tick_positions(n_rows)
        x_labels, x_note = _tick_labels(list(table.columns), "x")
        y_labels, y_note = _tick_labels(list(table.index), "y")
        ax.set_xticks(xt, [x_labels[k] for k in xt])
        ax.set_yticks(yt, [y_labels[k] for k in yt])
        # Lists told apart by more than three elements are keyed: whole, as
        # ticks, they ran into each other beyond reading.
        key = [
            f"{labels[k]} = {_tick(values[k])}"
            for labels, note, values, ticked in (
                (x_labels, x_note, list(table.columns), xt),
                (y_labels, y_note, list(table.index), yt),
            )
            if note == _KEYED
            for k in ticked
        ]
        ax.set_xlabel(_lever_label(x) + x_note + "".join(f"\n{k}" for k in key))
        # The unit on a line of its own: a long lever's label ran past the top
        # of a grid of three rows, its unit cut off.
        ax.set_ylabel((_lever_label(y) + y_note).replace(" (", "\n(", 1))
        default = (
            f"{indicator}{_band_caveat(frame, indicator)} by {x.split('.')[-1]} "
            f"and {y.split('.')[-1]}"
        )
        if not finite.size:
            # A colour bar from -0.1 to 0.1 scaled nothing: every cell is n/a.
            default += " (undefined in every scenario)"
        if fixed:
            # The figure travels without report.md: it says where it holds
            # the other levers (the cells move with them).
            default += "\nat " + ", ".join(
                f"{k.split('.')[-1]} = {_tick(v)}" for k, v in fixed.items()
            )
        if target is not None:
            default += (
                f"\noutlined: meets {target.id} "
                f"({_COMPARISON_TEXT[target.comparison]} "
                f"{format_value(target.target, target.unit)})"
            )
            if target.id == "T5" and (caveat := _cities_caveat(frame)):
                default += f" {caveat}"
        # Wrapped at the figure's edge: a long indicator's title was cut.
        ax.set_title(title or default, loc="left", wrap=True)
        if target is not None:
            cite_plan(fig)
    return finish(fig)


def _hashable(value: Any) -> Any:
    """A lever value as ``sweep()`` gives it: an array as a tuple of floats."""
    return tuple(value.tolist()) if isinstance(value, np.ndarray) else value


def _matches(column: pd.Series, value: Any) -> pd.Series:
    """Rows of ``column`` equal to ``value``: numbers to rounding, lists exactly."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()  # a number (iterating it raised a bare TypeError)
    if isinstance(value, list | tuple | np.ndarray):
        # A list lever (``income_tax.rates``) holds tuples: astype(float) raised.
        want = tuple(float(v) for v in value)
        return column.map(
            lambda c: (
                isinstance(c, list | tuple | np.ndarray)
                and len(c) == len(want)
                and bool(np.allclose(np.asarray(c, dtype=float), want))
            )
        ).astype(bool)
    try:
        return pd.Series(
            np.isclose(column.astype(float), float(value)), index=column.index
        )
    except (TypeError, ValueError):
        return column == value


#: The axis note of list values keyed ``x1``, ``x2`` ... (:func:`_tick_labels`).
_KEYED = ": lists keyed below"


def _tick_labels(values: list[object], axis: str = "x") -> tuple[list[str], str]:
    """Tick labels of a lever's values, and a note for its axis label.

    A list lever (``income_tax.thresholds``) shows the elements its values
    differ in (``[1] 36,000``; at most three): its whole lists, printed as
    ticks, overlapped beyond reading. Lists that differ in more (or in length)
    are keyed ``x1``, ``x2`` ... (``axis``), the key under the figure.
    """
    plain = [_tick(v) for v in values]
    if not any(isinstance(v, list | tuple | np.ndarray) for v in values):
        return _fewest_decimals(values, plain), ""
    if not all(isinstance(v, list | tuple | np.ndarray) for v in values):
        return plain, ""
    keyed = [f"{axis}{k + 1}" for k in range(len(values))], _KEYED
    lengths = {len(v) for v in values}  # type: ignore[arg-type]
    if len(lengths) != 1:
        return keyed
    differ = [
        i
        for i in range(lengths.pop())
        if len({_tick(v[i]) for v in values}) > 1  # type: ignore[index]
    ]
    if len(differ) > 3:
        return keyed
    if not differ:
        return plain, ""
    labels = [
        "\n".join(f"[{i}] {_tick(v[i])}" for i in differ)  # type: ignore[index]
        for v in values
    ]
    return labels, ": elements that differ"


def _fewest_decimals(values: list[object], plain: list[str]) -> list[str]:
    """Labels of a numeric axis with the fewest decimals that tell its values apart.

    A ``{start, stop, num}`` range labelled every column with six decimals
    ("1,279.157895"), which ran into each other. Each label stays within 0.5 %
    of its value (one value of 0.05 is no "0"); ``plain`` (each value as
    :func:`~commonprosperity._plotstyle.typed_back` shows it) when no count up
    to 6 does both.
    """
    try:
        numbers = [float(v) for v in values]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return plain
    if not all(np.isfinite(numbers)):
        return plain
    distinct = len(set(numbers))
    for decimals in range(7):
        labels = [f"{v:,.{decimals}f}" for v in numbers]
        close = all(
            abs(round(v, decimals) - v) <= 0.005 * abs(v) for v in numbers if v != 0
        )
        if close and len(set(labels)) == distinct:
            return labels
    return plain


def _tick_positions(n: int) -> list[int]:
    """Indices of the cells that get a tick label: all, or about ``_MAX_TICKS``."""
    if n <= _MAX_ANNOTATED:
        return list(range(n))
    picks = np.linspace(0, n - 1, _MAX_TICKS).round().astype(np.int64)
    return sorted(set(picks.tolist()))


def _unit_label(indicator: str, unit: str) -> str:
    shown = {"share": "%", "yuan": "thousand yuan", "bn yuan": "billion yuan"}
    return f"{indicator} ({shown[unit]})" if unit in shown else indicator


def _cell_text(v: float, unit: str, extra: int = 0) -> str:
    # ``extra`` decimals tell a cell from its target (1.54996 read "1.5500 met").
    if not np.isfinite(v):
        return "n/a"
    if unit == "share":
        return f"{100 * v:.{1 + extra}f}"
    if unit == "yuan":
        return f"{v / 1e3:,.{1 + extra}f}"
    if unit == "bn yuan":
        return _bn_text(v / 1e9, 1 + extra)
    return f"{v:.{4 + extra}f}"


def pareto_front(
    values: np.ndarray, cost: np.ndarray, *, higher_is_better: bool = True
) -> np.ndarray:
    """Find the scenarios no other scenario beats on both value and cost.

    Parameters
    ----------
    values : ndarray of float64, shape (n,)
        The target indicator of each scenario; NaN where it is undefined (the
        scenario is left out).
    cost : ndarray of float64, shape (n,)
        Net fiscal cost of each scenario, yuan (lower is better); NaN leaves the
        scenario out.
    higher_is_better : bool
        Direction of the indicator.

    Returns
    -------
    ndarray of int64
        Indices of the frontier, ordered from cheapest to most costly.

    Raises
    ------
    ArgumentError (a ValueError)
        If ``values`` or ``cost`` is not numeric, holds an infinity, or they are
        not 1-D of one length.

    Examples
    --------
    >>> pareto_front(np.array([0.1, 0.2, 0.15]), np.array([1.0, 3.0, 4.0])).tolist()
    [0, 1]
    """
    check_flag(higher_is_better, "higher_is_better", "pareto_front")
    try:
        # A masked entry is an undefined one (NaN, left out): np.asarray read
        # the value under the mask, which could be put on the front.
        given = [
            np.ma.filled(np.ma.asarray(a, dtype=np.float64), np.nan)
            if isinstance(a, np.ma.MaskedArray)
            else np.asarray(a)
            for a in (values, cost)
        ]
    except (TypeError, ValueError) as exc:
        raise ArgumentError(
            f"pareto_front: values and cost must be numbers ({exc})"
        ) from None
    # Text ("1", "3") was read as numbers without a word; 10**400 (an object
    # array) overflowed in the conversion.
    if any(a.dtype.kind not in "biuf" for a in given):
        kinds = ", ".join(str(a.dtype) for a in given)
        raise ArgumentError(
            f"pareto_front: values and cost must be numbers; got dtypes {kinds}"
        )
    v, c = (a.astype(np.float64) for a in given)
    # Shapes first: lengths 2 and 3 gave NumPy's "could not be broadcast".
    if v.ndim != 1 or v.shape != c.shape:
        raise ArgumentError(
            "pareto_front: values and cost must be 1-D of one length; got shapes "
            f"{v.shape} and {c.shape}"
        )
    infinite = np.isinf(v) | np.isinf(c)
    if infinite.any():
        # An infinite value was left out as if undefined, and the points it
        # dominates stayed on the front.
        rows = np.flatnonzero(infinite).tolist()[:10]
        raise ArgumentError(
            "pareto_front: values and cost must be finite or NaN (an undefined "
            f"indicator, left out); infinite at {rows}"
        )
    ok = np.flatnonzero(np.isfinite(v) & np.isfinite(c))
    key = v[ok] if higher_is_better else -v[ok]
    order = ok[np.lexsort((-key, c[ok]))]  # cheapest first, best value first on ties
    front: list[int] = []
    best = -np.inf
    for i in order:
        k = v[i] if higher_is_better else -v[i]
        if k > best:
            front.append(int(i))
            best = k
    return np.asarray(front, dtype=np.int64)


def _in_axes(value: float, limits: tuple[float, float]) -> float:
    """Where ``value`` lies between an axis's limits (0–1)."""
    lo, hi = min(limits), max(limits)
    return 0.5 if hi <= lo else (value - lo) / (hi - lo)


def _open_degenerate_limits(ax: Any, x: np.ndarray, cost: np.ndarray) -> None:
    """Limits of their own for an axis whose scenarios all sit at one value.

    Equal costs (levers that change nothing) drew an axis of 1e-17 billion
    yuan, the rounding noise of the differences: ±1 bn yuan around them reads.
    """
    for values, setter, pad in ((cost, ax.set_ylim, 1.0), (x, ax.set_xlim, None)):
        finite = values[np.isfinite(values)]
        if not finite.size:
            continue
        lo, hi = float(finite.min()), float(finite.max())
        width = pad if pad is not None else max(abs(lo) * 0.02, 1e-6)
        if hi - lo <= 1e-9 * max(1.0, abs(lo)):
            middle = 0.5 * (lo + hi)
            setter(middle - width, middle + width)


def _corner_is_emptier_at_top(x: np.ndarray, y: np.ndarray, *, right: bool) -> bool:
    """Whether the top corner on one side holds fewer points than the bottom one."""
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return False
    x, y = x[ok], y[ok]
    xs = (x - x.min()) / (np.ptp(x) or 1.0)
    ys = (y - y.min()) / (np.ptp(y) or 1.0)
    side = xs >= 0.5 if right else xs <= 0.5
    return int((side & (ys >= 0.5)).sum()) < int((side & (ys < 0.5)).sum())


def _bn_text(bn: float, places: int = 1) -> str:
    """A cost in bn yuan to ``places`` decimals, or as :func:`billions` gives it.

    :func:`billions`' three figures where the decimals round a cost to 0: a cost
    of 2.8 (or 30) million yuan read "0.0 bn yuan", as if free.
    """
    small = 0 < abs(bn) < 0.5 * 10.0**-places
    return billions(1e9 * bn) if small else f"{bn:,.{places}f}"


def _judged_by_verdict(frame: pd.DataFrame, target: Any) -> np.ndarray:
    """Rows whose ``T*_met`` judges ``target`` (NA: not judged); none without it."""
    tid = getattr(target, "id", "")
    if f"{tid}_met" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    verdicts = verdict_column(frame, tid, "fiscal_frontier")
    return cast(np.ndarray, verdicts.notna().to_numpy(dtype=bool))


def _band_caveat(frame: pd.DataFrame, indicator: str) -> str:
    """A band share's basis when it is the three-person one, else "".

    Official figures use it and give much higher shares than the household
    basis: the figure travels without report.md, which names it.
    """
    bands = (TARGET_BY_ID["T2"].indicator, TARGET_BY_ID["T3"].indicator)
    three = frame.attrs.get("band_basis") == "three_person"
    return " (3 × per-capita income)" if three and indicator in bands else ""


def _cities_caveat(frame: pd.DataFrame) -> str:
    """Over how many of the 11 cities a sweep judged T5 ("" if all).

    The plan's ratio is over all 11 cities; the figure travels without
    report.md, and a bare "met" over two of them read as the province's.
    """
    cities = frame.attrs.get("cities")
    return str(cities).split(" (")[0] if cities else ""


#: Indicators for which less is better without a target saying so.
_LOWER_IS_BETTER = ("gini", "gini_lower", "gini_upper")
#: Indicators with a welfare direction of their own (the targets' indicators
#: take their targets' direction).
_HIGHER_IS_BETTER = (
    "per_capita_disposable_income",
    "urban_per_capita_disposable_income",
    "rural_per_capita_disposable_income",
)


def _better_direction(column: str, target: Any) -> bool | None:
    """True if more of ``column`` is better, False if less, None if neither.

    Fiscal totals (income tax revenue, transfer spending) and lever columns
    have no better direction: the figure drew them "higher is better" with a
    frontier of the cheapest for each level.
    """
    if target is not None:
        return target.comparison in (">=", ">")
    if column in _LOWER_IS_BETTER:
        return False
    if column in _HIGHER_IS_BETTER:
        return True
    return None


def fiscal_frontier(
    frame: pd.DataFrame,
    indicator: str,
    *,
    cost: str = "net_fiscal_cost",
    levers: Iterable[str] = (),
    title: str | None = None,
) -> Figure:
    """Net fiscal cost against a target indicator over a sweep, with the frontier.

    Parameters
    ----------
    frame : pandas.DataFrame
        A sweep frame with the ``indicator`` and ``cost`` columns.
    indicator : str
        The indicator on the x axis (contract name, or a target id T1–T6).
    cost : str, default "net_fiscal_cost"
        The cost column, yuan per year (positive = costs the budget).
    levers : str or iterable of str
        Lever columns used to label the cheapest scenario that meets the target
        (each must be a column of the frame).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Every scenario as a point; the frontier (no scenario is both cheaper and
        better) as a line, except for an indicator of which neither more nor
        less is better in itself (a fiscal total such as ``iit_revenue``); the
        target as a vertical line; the cheapest scenario meeting it circled and
        labelled with its lever values.

    Raises
    ------
    ArgumentError (a ValueError)
        If the indicator, the cost or a lever is not a column of the frame.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=0)
    >>> grid = {"transfers.dibao_monthly": [835, 1_100, 1_300],
    ...         "income_tax.basic_deduction": [60_000, 72_000]}
    >>> frame = cp.sweep(pop, cp.Scenario.status_quo(2021), grid, progress=False)
    >>> fig = cp.plots.fiscal_frontier(frame, "T4", levers=list(grid))
    >>> print(fig.axes[0].get_title(loc="left"))
    Fiscal cost against urban_rural_ratio over 6 scenarios
    4 of 6 scenarios meet T4; the cheapest costs 11.1 bn yuan
    >>> print(fig.axes[0].texts[0].get_text())  # the cheapest scenario's label
    dibao_monthly = 1,100
    basic_deduction = 60,000
    cost 11.1 bn yuan
    """
    check_text(title, "title", "fiscal_frontier")
    check_text(indicator, "indicator", "fiscal_frontier", optional=False)
    check_text(cost, "cost", "fiscal_frontier", optional=False)
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentTypeError(
            f"fiscal_frontier: frame must be the DataFrame sweep() returned; got "
            f"{type(frame).__name__}"
        )
    # One lever as a string was read letter by letter, and a misspelt lever was
    # dropped from the label without a word.
    levers = [levers] if isinstance(levers, str) else levers
    if not isinstance(levers, Iterable) or not all(
        isinstance(lv, str) for lv in levers
    ):
        raise ArgumentTypeError(
            f"fiscal_frontier: levers must be lever names (str) or a list of them; "
            f"got {quoted(levers)}"
        )
    levers = list(levers)
    unknown = [lv for lv in levers if lv not in frame.columns]
    if unknown:
        raise ArgumentError(
            f"fiscal_frontier: levers {unknown} are not columns of the sweep frame; "
            f"columns are {list(frame.columns)}"
        )
    target = _target_of(indicator)
    column = (
        target.indicator
        if (target is not None and indicator == target.id)
        else indicator
    )
    for arg, col in (("indicator", column), ("cost", cost)):
        if col not in frame.columns:
            hint = (
                f" ({target.id} is evaluated only on a multi-year path or with GDP, "
                "not in a sweep)"
                if target is not None
                and col == target.indicator
                and col not in INDICATOR_NAMES
                else ""
            )
            raise ArgumentError(
                f"fiscal_frontier: {arg}={col!r} not in the sweep "
                f"frame{hint}; columns are {list(frame.columns)}"
            )
    unit = _indicator_unit(column)
    higher = _better_direction(column, target)
    v = frame[column].to_numpy(dtype=np.float64)
    c = frame[cost].to_numpy(dtype=np.float64) / 1e9
    scale = _scale(unit)
    front = (
        pareto_front(v, c, higher_is_better=higher)
        if higher is not None
        else np.empty(0, dtype=np.int64)
    )
    with _rc():
        fig = _figure(8.5, 5.2)
        ax = fig.subplots()
        # Hollow where the target is missed: a scenario missing T5 by 2e-5 sat
        # on the target line and read as meeting it.
        ok = (
            meets(v, target.comparison, target.target)
            if target is not None
            else np.ones(v.shape, dtype=bool)
        )
        # A scenario whose indicator is undefined (NaN) is not judged: the
        # legend said "misses T4" where no scenario had an urban/rural ratio.
        judged = np.isfinite(v)
        for chosen, face, label in (
            (ok, _SKY, "scenarios" if target is None else f"meets {target.id}"),
            (
                ~ok & judged,
                "white",
                f"misses {target.id}" if target is not None else "",
            ),
        ):
            if chosen.any():
                ax.scatter(
                    v[chosen] * scale,
                    c[chosen],
                    s=22,
                    facecolor=face,
                    edgecolor=_BLUE,
                    lw=0.8,
                    label=label,
                    zorder=2,
                )
        if front.size:
            ax.plot(
                v[front] * scale,
                c[front],
                color=_VERMILION,
                lw=2.0,
                label="frontier: least cost for each level",
                zorder=3,
            )
            # Its points filled or hollow as the scenarios': filled markers on
            # top hid whether a frontier scenario meets the target (one missing
            # it by 2e-5 read as meeting it).
            for chosen, face in ((ok[front], _VERMILION), (~ok[front], "white")):
                if chosen.any():
                    ax.scatter(
                        v[front][chosen] * scale,
                        c[front][chosen],
                        s=30,
                        facecolor=face,
                        edgecolor=_VERMILION,
                        lw=1.2,
                        zorder=3.5,
                    )
        ax.axhline(0.0, color=_GREY, lw=0.8)
        _open_degenerate_limits(ax, v * scale, c)
        subtitle = ""
        if target is not None:
            tx = target.target * scale
            target_text = (
                f"{target.id} target {_COMPARISON_TEXT[target.comparison]} "
                f"{format_value(target.target, unit)}"
            )
            finite = v[np.isfinite(v)] * scale
            lo, hi = (
                (float(finite.min()), float(finite.max())) if finite.size else (tx, tx)
            )
            span = max(hi - lo, abs(tx) * 1e-3, 1e-12)
            shown = ax.get_xlim()
            # On the chart when inside what it shows: all scenarios at one value
            # got limits of their own, and the line's tick read "off the chart".
            if lo - span <= tx <= hi + span or min(shown) <= tx <= max(shown):
                ax.axvline(tx, color=_BLACK, ls="--", lw=1.4, label=target_text)
            else:
                side = tx > hi
                # In the emptier corner on the target's side: at the foot it
                # covered the cheapest scenarios of a lower-is-better indicator.
                top = _corner_is_emptier_at_top(v * scale, c, right=side)
                ax.text(
                    0.99 if side else 0.01,
                    0.98 if top else 0.02,
                    f"{target_text}: off the chart {'→' if side else '←'}",
                    transform=ax.transAxes,
                    ha="right" if side else "left",
                    va="top" if top else "bottom",
                    fontsize=10,
                    bbox={"facecolor": "white", "edgecolor": _BLACK},
                )
            # Among known costs (as cheapest(), which sorts a NaN cost last):
            # argmin took a NaN cost for the cheapest.
            meeting = np.flatnonzero(ok & np.isfinite(c))
            if meeting.size:
                best = meeting[np.argmin(c[meeting])]
                ax.scatter(
                    [v[best] * scale],
                    [c[best]],
                    s=160,
                    facecolor="none",
                    edgecolor=_BLACK,
                    lw=2.0,
                    zorder=4,
                    label="cheapest scenario meeting the target",
                )
                # A lever a line: three on one line ran far out of the axes.
                desc = "\n".join(
                    f"{lv.split('.')[-1]} = {_tick(frame[lv].iloc[best])}"
                    for lv in levers
                )
                # Point the label into the axes: offset right and up from a
                # point at the right edge, it ran off the figure and was cut.
                # Where the point sits in the axes, not among the points: a
                # single scenario, "in the middle" of itself, had its label
                # pushed up over the title.
                right = _in_axes(v[best] * scale, ax.get_xlim()) > 0.5
                high = _in_axes(c[best], ax.get_ylim()) > 0.5
                ax.annotate(
                    f"{desc}\ncost {_bn_text(c[best])} bn yuan",
                    (v[best] * scale, c[best]),
                    xytext=(-12 if right else 12, -12 if high else 12),
                    textcoords="offset points",
                    ha="right" if right else "left",
                    va="top" if high else "bottom",
                    fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": _GREY, "alpha": 0.8},
                    # Beneath the scenarios and the frontier (zorder 2 and 3),
                    # which show through it: the box hid a frontier point.
                    zorder=1.5,
                )
                subtitle = (
                    f"\n{int(ok.sum())} of {len(frame)} scenarios meet "
                    f"{target.id}; "
                    f"the cheapest costs {_bn_text(c[best])} bn yuan"
                )
            elif not judged.any() and not _judged_by_verdict(frame, target).any():
                # A verdict without a value (an unbounded T4 gap: NaN ratio, not
                # met) is judged, as the sweep's T*_met says.
                subtitle = (
                    f"\n{column} is undefined in every scenario: {target.id} is "
                    "not judged"
                )
            elif ok.any():
                subtitle = (
                    f"\n{int(ok.sum())} of {len(frame)} scenarios meet "
                    f"{target.id}, none of known cost"
                )
            else:
                subtitle = f"\nno scenario of the sweep meets {target.id}"
            if target.id == "T5" and (caveat := _cities_caveat(frame)):
                subtitle += f" ({caveat})"
            if target.id == "T6":
                # No lever moves the urban share; its basis says what it reads.
                basis = frame.attrs.get("urban_basis", "")
                subtitle += f" ({basis.split(';')[0]})" if basis else ""
        if higher is None:
            subtitle += (
                f"\nno frontier: neither more nor less {column} is better in itself"
            )
        # Ticks in the indicator's own numbers: an offset ("1e-5+3.504e-1")
        # did not read.
        ax.ticklabel_format(useOffset=False)
        better: dict[bool | None, str] = {
            True: " (higher is better)",
            False: " (lower is better)",
        }
        ax.set_xlabel(f"{_unit_label(column, unit)}{better.get(higher, '')}")
        ax.set_ylabel("net fiscal cost against the base, billion yuan per year")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        ax.set_title(
            title
            or f"Fiscal cost against {column}{_band_caveat(frame, column)} over "
            f"{len(frame)} scenarios{subtitle}",
            loc="left",
            wrap=True,
        )
        if target is not None:
            cite_plan(fig)
    return finish(fig)
