"""Figures of a result and of a sweep (matplotlib, Agg, PNG and SVG).

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global figure registry, no interactive backend), with English labels
and units so that no CJK font is needed (cities by their English names, from
:data:`commonprosperity.published.CITY_NAMES_EN`). Figures are meant to be read in
print: 10-point text or larger, and "met / not met" is written out and hatched, not
told by colour alone. :func:`save` writes a figure as PNG and SVG.

Examples
--------
>>> from commonprosperity import Scenario, simulate, synthetic_population
>>> from commonprosperity import plots
>>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
>>> fig = plots.target_dashboard(r)
>>> fig.axes[0].get_title(loc="left").startswith("Plan targets")
True
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from commonprosperity._files import FORMATS
from commonprosperity._plotstyle import (
    _BLACK,
    _BLUE,
    _COMPARISON_TEXT,
    _GREEN,
    _GREY,
    _MET,
    _NOT_MET,
    _ORANGE,
    _PURPLE,
    _SKY,
    _VERMILION,
    _city_en,
    _figure,
    _rc,
    cite_plan,
    distinct_decimals,
    finish,
    format_value,
    save,
    unit_key,
)
from commonprosperity._sweep_plots import fiscal_frontier, pareto_front, sweep_heatmap
from commonprosperity._validate import (
    check_result,
    check_text,
    is_integer,
    positive_yuan_problem,
    public_dir,
    quoted,
)
from commonprosperity._warn import silenced
from commonprosperity.errors import ArgumentError, ArgumentTypeError, MeasureError
from commonprosperity.metrics._gini import gini
from commonprosperity.metrics._validate import as_values, as_weight
from commonprosperity.population import INCOME_COLUMNS
from commonprosperity.published import CITIES
from commonprosperity.simulate import (
    CENSUS_MEAN_NOTE,
    SURVEY_URBAN_BASIS,
    band_basis_note,
    cities_in_note,
)
from commonprosperity.targets import TARGET_BY_ID, meets

if TYPE_CHECKING:
    from commonprosperity.simulate import Result

__all__ = [
    "FORMATS",
    "city_bars",
    "fiscal_frontier",
    "format_value",
    "income_distribution",
    "lorenz_curves",
    "lorenz_points",
    "pareto_front",
    "save",
    "sweep_heatmap",
    "target_dashboard",
]

#: Most points :func:`lorenz_points` samples (more than any figure can show;
#: 10**12 asked NumPy for 7 TiB).
MAX_LORENZ_POINTS = 10**8
#: Most histogram bins :func:`income_distribution` draws.
_MAX_BINS = 2_000

_BAND_EDGES = (
    (100_000.0, 500_000.0, "band_share_100k_500k", "T2"),
    (200_000.0, 600_000.0, "band_share_200k_600k", "T3"),
)


# ---------------------------------------------------------------- Lorenz curves
def lorenz_points(
    income: np.ndarray, weight: np.ndarray, n_points: int = 1_001
) -> tuple[np.ndarray, np.ndarray]:
    """Sample the weighted Lorenz curve at ``n_points`` population shares.

    Parameters
    ----------
    income : ndarray of float64, shape (n,)
        Per-capita income of each unit, yuan per year (negatives allowed).
    weight : ndarray of float64, shape (n,)
        Persons each unit represents (> 0).
    n_points : int, default 1001
        Number of equally spaced population shares from 0 to 1 (2 to 10**8).

    Returns
    -------
    population_share, income_share : ndarray of float64, shape (n_points,)
        The curve is piecewise linear between units, so the sampled values are
        exact at the sample points. ``income_share`` is NaN when the total income
        is not positive: the curve is then undefined (as for
        :func:`commonprosperity.metrics.lorenz`).

    Examples
    --------
    >>> p, s = lorenz_points(np.array([1.0, 3.0]), np.array([1.0, 1.0]), 3)
    >>> s.tolist()
    [0.0, 0.25, 1.0]
    """
    x = as_values(income, "lorenz_points: income")
    w = as_weight(weight, x.shape[0], "lorenz_points: weight", "income")
    if not is_integer(n_points) or not 2 <= n_points <= MAX_LORENZ_POINTS:
        raise ArgumentError(
            "lorenz_points: n_points must be an integer in "
            f"2–{MAX_LORENZ_POINTS:,}; got {quoted(n_points)}"
        )
    order = np.argsort(x, kind="stable")
    w = w[order]
    x = x[order]
    cum_w = np.concatenate(([0.0], np.cumsum(w)))
    cum_x = np.concatenate(([0.0], np.cumsum(w * x)))
    p = np.linspace(0.0, 1.0, n_points)
    if not cum_x[-1] > 0.0:
        # No income at all (e.g. gross income of a survey's transfer
        # recipients): dividing by it warned and drew nothing. A negative total
        # gave shares above the line of equality (a "curve" of [0, 1.5, 1] for
        # incomes -3 and 1); metrics.lorenz refuses a mean that is not positive.
        return p, np.full(n_points, np.nan)
    return p, np.interp(p, cum_w / cum_w[-1], cum_x / cum_x[-1])


def _per_capita(result: Result, column: str | Sequence[str]) -> np.ndarray:
    hh = result.households
    columns = [column] if isinstance(column, str) else list(column)
    total = np.zeros(len(hh))
    for c in columns:
        total += hh[c].to_numpy(dtype=np.float64)
    return cast(np.ndarray, total / hh["size"].to_numpy(dtype=np.float64))


def lorenz_curves(
    results: Mapping[str, Result], *, gross: str | None = None, title: str | None = None
) -> Figure:
    """Lorenz curves of per-capita disposable income, and their differences.

    Parameters
    ----------
    results : mapping of str to Result
        Label → result, e.g. ``{"status quo 2025": base, "package 2025": reform}``;
        the first is the reference of the difference panel.
    gross : str, optional
        If given, a label under which the first result's gross income before taxes,
        contributions and transfers (wage + business + property + pension) is drawn
        too.
    title : str, optional
        Figure title; a default names the income concept.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the curves with the line of equality, Gini in the legend. Right: each
        curve minus the reference (the first result), in percentage points of total
        income, so that the small changes a reform makes are visible.

    Raises
    ------
    TypeError
        If ``results`` is not a mapping of label to Result.
    ArgumentError (a ValueError)
        If ``results`` is empty or ``gross`` is also one of its labels.

    Notes
    -----
    Persons are ranked by the per-capita disposable income of their household
    (person weight = household weight × size), as for the ``gini`` indicator.

    Examples
    --------
    >>> from commonprosperity import Scenario, plots, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> base = Scenario.status_quo(2021)
    >>> before = simulate(pop, base)
    >>> after = simulate(pop, base.replace({"transfers.dibao_monthly": 1_300}))
    >>> fig = plots.lorenz_curves({"status quo": before, "dibao 1,300": after})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['line of equality', 'status quo (Gini 0.3752)', 'dibao 1,300 (Gini 0.3652)']
    >>> fig.axes[1].get_title().splitlines()[0]
    'Difference from status quo'
    """
    if not isinstance(results, Mapping):
        raise ArgumentTypeError(
            "lorenz_curves: results must be a mapping of label to Result, e.g. "
            f"{{'status quo': result}}; got {type(results).__name__}"
        )
    if not results:
        raise ArgumentError("lorenz_curves needs at least one result")
    for label, result in results.items():
        check_text(label, "each label of results", "lorenz_curves", optional=False)
        check_result(result, f"results[{label!r}]", "lorenz_curves")
    check_text(gross, "gross", "lorenz_curves")
    check_text(title, "title", "lorenz_curves")
    if gross is not None and gross in results:
        # The curves are told apart by label: the gross curve took the reference's
        # style and the difference panel's reference became ambiguous.
        raise ArgumentError(
            f"lorenz_curves: gross={gross!r} is also a label of results; "
            "give the gross-income curve another label"
        )
    curves: list[tuple[str, np.ndarray, np.ndarray, float]] = []
    first = next(iter(results.values()))
    pw = first.population.weight * first.population.size
    if gross is not None:
        pc = _per_capita(first, INCOME_COLUMNS)
        p, s = lorenz_points(pc, pw)
        curves.append((gross, p, s, _exact_gini(pc, pw)))
    for label, result in results.items():
        weight = result.population.weight * result.population.size
        p, s = lorenz_points(_per_capita(result, "disposable_income"), weight)
        curves.append((label, p, s, float(result.indicators["gini"])))
    ref_label = next(iter(results))
    ref = next(c for c in curves if c[0] == ref_label)
    # Six colours against four dashes: a fifth result took the reference's
    # solid blue, its difference line drawn as the reference's 0.
    colours = [_BLUE, _VERMILION, _GREEN, _ORANGE, _SKY, _PURPLE]
    dashes = ["-", "--", "-.", ":"]
    with _rc():
        fig = _figure(10.0, 5.4)
        ax, dx = fig.subplots(1, 2)
        ax.plot([0, 1], [0, 1], color=_BLACK, lw=0.8, label="line of equality")
        k = 0
        ls: str | tuple[int, tuple[int, float]]  # a named style or a dash pattern
        for label, p, s, g in curves:
            if label == gross:
                colour, ls = _GREY, (0, (1, 1.5))
            else:
                # Each round of dashes shifted by one: the fifth curve is not
                # solid as the reference is.
                colour = colours[k % len(colours)]
                ls = dashes[(k + k // len(dashes)) % len(dashes)]
                k += 1
            gini = f"Gini {g:.4f}" if np.isfinite(g) else "Gini undefined"
            # Wrapped: a long label ran past both edges of the figure, its Gini
            # cut off and the line of equality's entry lost.
            entry = textwrap.fill(f"{label} ({gini})", width=90)
            ax.plot(p, s, color=colour, ls=ls, lw=2.0, label=entry)
            dx.plot(p, 100.0 * (s - ref[2]), color=colour, ls=ls, lw=2.0)
        ax.set_xlim(0, 1)
        ax.set_ylim(
            min(0.0, float(min(np.nanmin(c[2], initial=0.0) for c in curves))), 1
        )
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("cumulative share of persons, poorest first")
        ax.set_ylabel("cumulative share of income")
        ax.set_title("Lorenz curves")
        ax.grid(alpha=0.3)
        dx.set_xlim(0, 1)
        dx.set_xlabel("cumulative share of persons, poorest first")
        dx.set_ylabel("difference in cumulative income share (pp)")
        dx.set_title(f"Difference from {ref_label}\n(above 0 = more equal)")
        dx.grid(alpha=0.3)
        # One column when a label is long: in two, the gross-income label pushed
        # a curve's entry under the other panel, away from its own curve.
        labels = ax.get_legend_handles_labels()[1]
        wide = max((len(label) for label in labels), default=0) > 50
        fig.legend(loc="outside lower center", ncols=1 if wide else 2, frameon=False)
        fig.suptitle(
            title
            or "Lorenz curves of per-capita income "
            "(persons ranked by the per-capita income of their household)"
        )
    return finish(fig)


def _exact_gini(income: np.ndarray, weight: np.ndarray) -> float:
    """The weighted Gini of :func:`commonprosperity.metrics.gini`; NaN if undefined.

    Undefined, as the ``gini`` indicator, unless the mean income is positive: a
    plain Lorenz-area formula printed "Gini -1.1786" for gross incomes of a
    negative mean (business losses) and "-0.0000" for equal incomes.
    """
    try:
        # Negative incomes (business losses) are data here, as in simulate's
        # Gini, which says nothing of them: not a warning per figure. Silenced
        # in this thread only (catch_warnings dropped other threads' warnings).
        with silenced():
            return float(gini(income, weight))
    except MeasureError:
        return float("nan")


# --------------------------------------------------------- income distribution
def income_distribution(
    result: Result,
    *,
    bin_width: float = 10_000.0,
    upper: float = 800_000.0,
    title: str | None = None,
    label: str | None = None,
) -> Figure:
    """Distribution of household annual disposable income with the plan's bands.

    Parameters
    ----------
    result : Result
        A simulation result; its ``band_basis`` decides the income on the x axis
        (household income, or 3 × per-capita income for ``"three_person"``).
    bin_width : float
        Width of the histogram bins, yuan per year. Default 10,000.
    upper : float
        Right end of the x axis, yuan per year, at least 600,000 (where the
        bands end); households above it are gathered in the last bin and
        counted in a note. Default 800,000.
    title : str, optional
        Figure title.
    label : str, optional
        The scenario's name, for the default title (e.g. ``"package_2025"``).

    Returns
    -------
    matplotlib.figure.Figure
        A household-weighted histogram (share of households per bin) with the
        100k–500k and 200k–600k bands shaded, their shares (the model's
        ``band_share_*`` indicators) and targets written on the plot.

    Raises
    ------
    ArgumentError (a ValueError)
        If ``bin_width`` or ``upper`` is not a finite number > 0, ``upper`` is
        below ``bin_width`` or 600,000, or they make more than 2,000 bins.

    Examples
    --------
    >>> from commonprosperity import Scenario, plots, simulate, synthetic_population
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> fig = plots.income_distribution(r, label="status quo")
    >>> print(fig.axes[0].get_title(loc="left"))
    Household disposable income,
    status quo (2021 policy), and the plan's income bands
    >>> fig.axes[0].get_xlabel()
    'household disposable income, thousand yuan per year'
    """
    check_result(result, "result", "income_distribution")
    check_text(title, "title", "income_distribution")
    check_text(label, "label", "income_distribution")
    problems = [
        problem
        for name, value in (("bin_width", bin_width), ("upper", upper))
        if (problem := positive_yuan_problem(name, value))
    ]
    if not problems:
        # As floats: a float16 bin_width made upper / bin_width overflow to inf,
        # a Decimal one a bare TypeError.
        bin_width, upper = float(bin_width), float(upper)
    if not problems and upper < bin_width:
        problems.append(
            f"upper ({upper:,.0f}) must be at least bin_width ({bin_width:,.0f})"
        )
    bands_end = max(hi for _, hi, _, _ in _BAND_EDGES)
    if not problems and upper < bands_end:
        # The bands, their arrows and shares are drawn where they are: with an
        # axis ending before them they ran past its edge or out of sight.
        problems.append(
            f"upper must be at least {bands_end:,.0f} yuan, where the plan's bands "
            f"end (their shares are written over them); got {upper:,.0f}"
        )
    if not problems and upper / bin_width > _MAX_BINS:
        # bin_width=1 asked for 800,000 bars and ran for minutes.
        problems.append(
            f"upper / bin_width must be at most {_MAX_BINS:,} bins; got "
            f"{upper / bin_width:,.0f} (upper={upper:,.0f}, bin_width={bin_width:,.0f})"
        )
    if problems:
        raise ArgumentError("income_distribution: " + "; ".join(problems))
    hh = result.households
    income = hh["disposable_income"].to_numpy(dtype=np.float64)
    basis = "household disposable income"
    if result.band_basis == "three_person":
        income = 3.0 * income / hh["size"].to_numpy(dtype=np.float64)
        basis = "3 × per-capita disposable income (three-person basis)"
    w = result.population.weight
    share_w = w / w.sum()
    # Whole bins up to the first edge at or past upper, the last gathering the
    # incomes from upper on: edges past it (upper 800k, bins of 15k) left the
    # gathered incomes in the bar before the last, the last empty and cut off.
    edges = bin_width * np.arange(int(np.ceil(upper / bin_width - 1e-9)) + 1)
    clipped = np.clip(income, 0.0, edges[-1] - bin_width / 2.0)
    hist, _ = np.histogram(clipped, bins=edges, weights=share_w)
    above = float(share_w[income >= upper].sum())
    below = float(share_w[income < 0].sum())
    with _rc():
        fig = _figure(9.0, 5.0)
        ax = fig.subplots()
        ax.bar(
            edges[:-1] / 1e3,
            100.0 * hist,
            width=bin_width / 1e3,
            align="edge",
            color=_SKY,
            edgecolor=_BLUE,
            lw=0.4,
            label="households",
        )
        top = 100.0 * float(hist.max()) if hist.size else 1.0
        ax.set_ylim(0, top * 1.55)
        handles = []
        for (lo, hi, name, tid), colour, hatch, level in zip(
            _BAND_EDGES, (_GREEN, _ORANGE), ("//", "\\\\"), (1.36, 1.18), strict=True
        ):
            ax.axvspan(lo / 1e3, hi / 1e3, color=colour, alpha=0.12, lw=0)
            ax.axvspan(
                lo / 1e3,
                hi / 1e3,
                fill=False,
                hatch=hatch,
                edgecolor=colour,
                lw=0,
                alpha=0.35,
            )
            share = float(result.indicators[name])
            target = TARGET_BY_ID[tid]
            y = top * level
            ax.annotate(
                "",
                xy=(lo / 1e3, y),
                xytext=(hi / 1e3, y),
                arrowprops={"arrowstyle": "<->", "color": colour, "lw": 1.5},
            )
            # Decimals enough to tell the share from its target: 79.996 %
            # showed as "80.0 % (target ≥ 80 %)", a missed target read as met.
            places = 1 + distinct_decimals(
                share, target.target, lambda x, e: f"{100 * x:.{1 + e}f}"
            )
            # Centred on its band, or from the band's left end where the band
            # lies in the left third (a wide ``upper``): centred there, the
            # label ran off the figure's left edge over the axis.
            left = (lo + hi) / 2 < edges[-1] / 3
            ax.text(
                lo / 1e3 if left else (lo + hi) / 2e3,
                y,
                f"{lo / 1e3:.0f}k–{hi / 1e3:.0f}k: "
                f"{100 * share:.{places}f} % of households (target "
                f"{_COMPARISON_TEXT[target.comparison]} "
                f"{100 * target.target:.{places if places > 1 else 0}f} %)",
                ha="left" if left else "center",
                va="bottom",
                fontsize=10,
                color=_BLACK,
                bbox={"facecolor": "white", "edgecolor": colour, "pad": 2.0},
            )
            handles.append(
                Patch(
                    facecolor=colour,
                    alpha=0.3,
                    hatch=hatch,
                    label=f"{tid} band {lo / 1e3:.0f}k–{hi / 1e3:.0f}k yuan",
                )
            )
        notes = []
        if below >= 0.0005:
            notes.append(f"{100 * below:.1f} % below 0 shown in the first bin")
        if above >= 0.0005:
            notes.append(
                f"{100 * above:.1f} % at or above {upper / 1e3:.0f}k shown "
                "in the last bin"
            )
        ax.set_xlim(0, edges[-1] / 1e3)
        # Under the axis: in the plot (under the legend) it covered the bars
        # of a population whose incomes sit at the right.
        ax.set_xlabel(
            f"{basis}, thousand yuan per year" + "".join(f"\n{note}" for note in notes)
        )
        ax.set_ylabel(f"share of households per {bin_width / 1e3:g}k-yuan bin (%)")
        ax.legend(
            handles=[
                Patch(facecolor=_SKY, edgecolor=_BLUE, label="households"),
                *handles,
            ],
            loc="center right",
            frameon=False,
        )
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(
            title
            or (
                # Two lines: one ran past a 900-pixel figure on the
                # three-person basis with a scenario's name.
                f"{basis[0].upper()}{basis[1:]},\n{_which(result, label)}, "
                "and the plan's income bands"
            ),
            loc="left",
        )
        cite_plan(fig)
    return finish(fig)


# ------------------------------------------------------------ target dashboard
def _row_note(text: str) -> str:
    """A dashboard row's note, wrapped to two lines of 80 characters at most.

    One line of T10's note with GDP ran past the figure's edge and squeezed the
    bars to 40 % of its width; 80 characters stay clear of the legend at the
    lower right. Two lines at most: six ran over the row above and the axis.
    """
    return textwrap.fill(
        text, width=80, max_lines=2, placeholder=" … (whole note: the targets table)"
    )


def target_dashboard(
    result: Result | pd.DataFrame,
    *,
    title: str | None = None,
    gdp: float | None = None,
    labour_compensation: float | None = None,
    label: str | None = None,
) -> Figure:
    """Each plan target: the value against the target line, met or not.

    Parameters
    ----------
    result : Result or pandas.DataFrame
        A result, or a targets frame as returned by ``Result.targets()``.
    title : str, optional
        Title; default "Plan targets for 2025[, label]: k of m evaluated targets
        met", with the Gini on a second line when there is one.
    gdp, labour_compensation : float, optional
        Passed to ``Result.targets`` (T7).
    label : str, optional
        Name of the scenario in the default title.

    Returns
    -------
    matplotlib.figure.Figure
        One row per target T1–T10. A bar shows the value as a percentage of the
        target (the target line is at 100 %); for "<" targets a bar left of the line
        is met. Each row states the value, the target and "met" or "NOT MET" with
        the gap; targets that cannot be evaluated (T7 without GDP, trend targets
        without a multi-year path) are listed with the reason. Trend targets
        (T9, T10, target 0) have no bar: their value and verdict are written.

    Raises
    ------
    TypeError
        If ``result`` is neither a Result nor a DataFrame.
    ArgumentError (a ValueError)
        If a targets frame lacks a column of ``Result.targets()``.

    Examples
    --------
    >>> from commonprosperity import Scenario, plots, simulate, synthetic_population
    >>> pop = synthetic_population(2_000, seed=1)
    >>> reform = Scenario.status_quo(2021).replace({"transfers.dibao_monthly": 1_300})
    >>> fig = plots.target_dashboard(simulate(pop, reform), label="dibao 1,300")
    >>> print(fig.axes[0].get_title(loc="left"))
    Plan targets for 2025, dibao 1,300: 1 of 6 evaluated targets met
    Gini 0.3652 (no target in the plan)
    """
    check_text(title, "title", "target_dashboard")
    check_text(label, "label", "target_dashboard")
    if isinstance(result, pd.DataFrame):
        missing = [c for c in _DASHBOARD_COLUMNS if c not in result.columns]
        if missing:
            raise ArgumentError(
                f"target_dashboard: the targets frame lacks the columns {missing}; "
                "pass a Result or the frame of Result.targets()"
            )
        frame, gini, gini_note = result, None, ""
    else:
        check_result(result, "result", "target_dashboard")
        frame = result.targets(gdp=gdp, labour_compensation=labour_compensation)
        gini = float(result.indicators["gini"])
        gini_note = (getattr(result, "undefined", None) or {}).get("gini", "")
    n = len(frame)
    evaluated = frame["met"].notna()
    n_met = int(frame.loc[evaluated, "met"].astype(bool).sum())
    ratios = (frame["value"] / frame["target"]).where(frame["target"] != 0)
    finite = ratios[evaluated & np.isfinite(ratios)]
    xmax = max(1.35, float(finite.max()) * 1.08 if len(finite) else 1.35)
    with _rc():
        fig = _figure(10.0, 0.62 * n + 1.6)
        ax = fig.subplots()
        for i, (tid, row) in enumerate(frame.iterrows()):
            y = n - 1 - i
            unit = unit_key(row["unit"])
            cmp_text = _COMPARISON_TEXT.get(
                str(row["comparison"]), str(row["comparison"])
            )
            # Decimals enough to show the value apart from its target (1.89996
            # read "1.900 (target < 1.900): met"), as the text tables do.
            extra = distinct_decimals(
                row["value"],
                row["target"],
                lambda x, e, unit=unit: format_value(x, unit, e),
            )
            target_text = (
                f"{cmp_text} {format_value(float(row['target']), unit, extra)}"
            )
            if unit == "ratio change":
                target_text = f"{cmp_text} 0 (trend)"
            name = _short(tid, str(row["description"]))
            # A targets table (read back from targets.csv) has no band_basis:
            # its T2/T3 note names the basis.
            if tid in ("T2", "T3") and (
                getattr(result, "band_basis", None) == "three_person"
                or band_basis_note("three_person") in str(row["note"])
            ):
                # The bands read the same on either basis; say which.
                name += "\n(3 × per-capita income)"
            if tid == "T1" and CENSUS_MEAN_NOTE in str(row["note"]):
                # More residents counted urban: the mean 3–4 % high (note).
                name += "\n(census urban basis: 3–4 % high)"
            if tid == "T6" and SURVEY_URBAN_BASIS in str(row["note"]):
                # The default baseline's urban share is the survey's, several
                # points below the official rate the 75 % refers to: a bare
                # "NOT MET" there read as a verdict on the official rate.
                name += "\n(survey urban share, not the official rate)"
            if tid == "T5" and not pd.isna(row["value"]):
                # The plan's ratio is over all 11 cities: a bare "met" over two
                # of them read as the province's verdict. (The table's note says
                # it too, for a table read back from targets.csv.)
                some = (
                    _cities_present(result)
                    if hasattr(result, "city_per_capita")
                    else cities_in_note(str(row["note"]))
                )
                if some < len(CITIES):
                    name += f"\n(over {some} of the 11 cities)"
            ax.text(
                -0.01,
                y,
                f"{tid}  {name}",
                ha="right",
                va="center",
                transform=ax.get_yaxis_transform(),
            )
            ax.axhline(y - 0.5, color=_GREY, lw=0.4, alpha=0.5)
            if pd.isna(row["met"]):
                ax.text(
                    0.02,
                    y,
                    _row_note(f"not evaluated: {row['note'] or 'no value'}"),
                    va="center",
                    color=_GREY,
                    fontsize=9.5,
                    style="italic",
                )
                continue
            met = bool(row["met"])
            r = float(ratios.iloc[i])
            if not np.isfinite(r):
                # No bar where the value has no percentage of the target: T8
                # judged without a value (income did not grow), or the trends T9
                # and T10 whose target is 0. Their value was dropped ("met: ").
                value = float(row["value"])
                if np.isfinite(value):
                    verdict = (
                        "met"
                        if met
                        else f"NOT MET, gap {_gap_text(float(row['gap']), unit, extra)}"
                    )
                    text = (
                        f"{format_value(value, unit, extra)} (target {target_text}): "
                    )
                    text += verdict
                else:
                    # Wrapped as the rows not evaluated: an unbounded T4 gap's
                    # note on one line collapsed the figure's layout.
                    text = _row_note(f"{'met' if met else 'NOT MET'}: {row['note']}")
                ax.text(
                    0.02,
                    y,
                    text,
                    va="center",
                    fontsize=9.5,
                    fontweight="normal" if met else "bold",
                )
                continue
            bar_end = min(max(r, 0.0), xmax)
            ax.barh(
                y - 0.14,
                bar_end,
                height=0.42,
                color=_MET if met else _NOT_MET,
                alpha=0.85,
                hatch=None if met else "//",
                edgecolor=_BLACK,
                lw=0.6,
            )
            gap = float(row["gap"])
            verdict = "met" if met else f"NOT MET, gap {_gap_text(gap, unit, extra)}"
            row_text = (
                f"{format_value(float(row['value']), unit, extra)} "
                f"(target {target_text}): {verdict}"
            )
            ax.text(
                0.005,
                y + 0.1,
                row_text,
                ha="left",
                va="bottom",
                fontsize=9.5,
                fontweight="normal" if met else "bold",
            )
        ax.axvline(1.0, color=_BLACK, lw=1.6, ls="--")
        ax.text(1.0, n - 0.45, " target", ha="left", va="bottom", fontsize=9.5)
        ax.set_xlim(0, xmax)
        ax.set_ylim(-0.5, n - 0.1)
        ax.set_yticks([])
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_xlabel(
            "value as a percentage of the target (target line = 100 %; "
            "for '<' targets, left of the line is met)"
        )
        ax.legend(
            handles=[
                Patch(facecolor=_MET, edgecolor=_BLACK, label="met"),
                Patch(
                    facecolor=_NOT_MET, edgecolor=_BLACK, hatch="//", label="not met"
                ),
            ],
            loc="lower right",
            frameon=True,
            framealpha=0.9,
        )
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        cite_plan(fig)
        evaluated_n = int(evaluated.sum())
        default = (
            "Plan targets for 2025"
            + (f", {label}" if label else "")
            + f": {n_met} of {evaluated_n} evaluated targets met"
            + (_partial_line(result) if hasattr(result, "city_per_capita") else "")
            + (_gini_line(gini, gini_note) if gini is not None else "")
        )
        ax.set_title(title or default, loc="left")
    return finish(fig)


_DASHBOARD_COLUMNS = ("value", "target", "comparison", "met", "gap", "unit", "note")


def _partial_line(result: Result) -> str:
    """A line saying whose the verdicts are when not the province's, else "".

    The plan's targets are the province's: on urban households only, T1, T6
    and T5 read "met" as if of Zhejiang (the city chart named its line "urban
    households", the dashboard nothing).
    """
    whose = _whose_mean(result)
    some = _cities_present(result)
    # No city given (an optional column) says nothing of which cities they are.
    cities = f" of {some} of the 11 cities" if 0 < some < len(CITIES) else ""
    if whose == "province" or (whose == "all households" and not cities):
        return ""
    whose = "households" if whose == "all households" else whose
    return f"\non {whose}{cities} only, not the province's"


def _gini_line(gini: float, why: str) -> str:
    if np.isfinite(gini):
        return f"\nGini {gini:.4f} (no target in the plan)"
    # "Gini nan" when per-capita income was not positive
    return "\nGini undefined" + (f": {why}" if why else "")


_SHORT = {
    "T1": "per-capita disposable income",
    "T2": "households 100k–500k yuan",
    "T3": "households 200k–600k yuan",
    "T4": "urban / rural income ratio",
    "T5": "highest / lowest city ratio",
    "T6": "urbanisation rate",
    "T7": "labour share of GDP",
    "T8": "dibao growth ÷ income growth",
    "T9": "top/bottom 20 % ratio change",
    "T10": "income ÷ GDP per capita change",
}


def _which(result: Result, label: str | None) -> str:
    """The year of a figure's title, with the scenario's name when given."""
    year = result.scenario.year
    if not label:
        return str(year)
    # write_run's default label is "2024 policy": titled "2024 policy (2024
    # policy)".
    return label if f"{year} policy" in label else f"{label} ({year} policy)"


def _short(tid: str, description: str) -> str:
    return _SHORT.get(tid, description[:32])


def _gap_text(gap: float, unit: str, extra: int = 0) -> str:
    # Ratios to 4 decimals, as the target tables show their gaps.
    if unit == "share":
        return f"{100 * gap:.{1 + extra}f} pp"
    if unit == "yuan":
        return f"{gap:,.{extra}f} yuan"
    return f"{gap:.{4 + extra}f}"


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{100 * v:.0f} %")


# ------------------------------------------------------------------ city bars
def _cities_present(result: Result) -> int:
    """How many of the 11 cities the result's population has households in."""
    return len(set(CITIES) & set(result.city_per_capita.index))


def _whose_mean(result: Result) -> str:
    """Whose per-capita income the result's mean is, for the city chart's line.

    The province's only with households in all 11 cities, urban and rural: the
    rural households of every city read "province" at 40 % below it.
    """
    urban_share = float(result.indicators["urbanization_rate"])
    if urban_share == 0.0:
        return "rural households"
    if urban_share == 1.0:
        return "urban households"
    return "province" if _cities_present(result) == len(CITIES) else "all households"


def city_bars(
    result: Result, *, title: str | None = None, label: str | None = None
) -> Figure:
    """Per-capita disposable income by city, with the highest/lowest ratio.

    Parameters
    ----------
    result : Result
        A simulation result with households in at least one city.
    title : str, optional
        Figure title; default states the highest/lowest ratio and its target.
    label : str, optional
        The scenario's name, for the default title (e.g. ``"package_2025"``).

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars, highest first, labelled in yuan; the province's
        per-capita income as a line ("all households" when the population has
        households in some cities only, "rural households" or "urban households"
        when it has no urban or no rural ones), and the ceiling the highest city
        must stay under for T5 (lowest × 1.55).

    Examples
    --------
    >>> from commonprosperity import Scenario, plots, simulate, synthetic_population
    >>> r = simulate(synthetic_population(2_000, seed=1), Scenario.status_quo(2021))
    >>> fig = plots.city_bars(r)
    >>> print(fig.axes[0].get_title(loc="left"))
    Per-capita disposable income by city, 2021:
    highest/lowest = 1.821 (target < 1.55, not met)
    >>> len(fig.axes[0].get_yticklabels())  # the 11 cities, in English
    11
    """
    check_result(result, "result", "city_bars")
    check_text(title, "title", "city_bars")
    check_text(label, "label", "city_bars")
    cities = result.city_per_capita.sort_values(ascending=True)
    if cities.empty:
        raise ArgumentError("city_bars: the result has no city per-capita incomes")
    names = [_city_en(c) for c in cities.index]
    ratio = float(result.indicators["city_max_min_ratio"])
    t5 = TARGET_BY_ID["T5"]
    with _rc():
        fig = _figure(8.5, 0.42 * len(cities) + 1.8)
        ax = fig.subplots()
        colours = [_BLUE] * len(cities)
        hatches = [""] * len(cities)
        # One city is neither highest nor lowest of anything: plain, as the
        # legend (which names the two only) says nothing of its hatch.
        if len(cities) > 1:
            # Not the dashboard's met/not-met colours: the highest city read "met".
            colours[0], colours[-1] = _PURPLE, _SKY
            # Hatched too, and in the legend: in greyscale print the two colours
            # were the blue bars' tone, and nothing said what they meant.
            hatches[0], hatches[-1] = "..", "//"
        bars = ax.barh(
            names,
            cities.to_numpy() / 1e3,
            color=colours,
            edgecolor=_BLACK,
            lw=0.5,
            hatch=hatches,
        )
        if len(cities) > 1:
            bars[-1].set_label(f"highest: {names[-1]}")
            bars[0].set_label(f"lowest: {names[0]}")
        for bar, v in zip(bars, cities.to_numpy(), strict=True):
            ax.annotate(
                f"{v:,.0f}",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=9.5,
                zorder=5,
                # Over the reference lines, which crossed the digits.
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
            )
        mean = float(result.indicators["per_capita_disposable_income"])
        ax.axvline(
            mean / 1e3,
            color=_BLACK,
            ls="--",
            lw=1.2,
            label=f"{_whose_mean(result)}: {mean:,.0f} yuan",
        )
        # The ceiling only where the ratio is defined (a lowest city at or below
        # zero drew a negative "ceiling"); the axis spans every bar and 0 (all
        # incomes 0 set identical limits and matplotlib warned).
        ceiling = float(cities.iloc[0]) * t5.target if np.isfinite(ratio) else None
        if ceiling is not None:
            ax.axvline(
                ceiling / 1e3,
                color=_ORANGE,
                ls=":",
                lw=2.0,
                label=f"T5 ceiling for the highest city: lowest × {t5.target:g} = "
                f"{ceiling:,.0f} yuan",
            )
        ends = [float(cities.min()), float(cities.max()), mean]
        if ceiling is not None:
            ends.append(ceiling)
        low, high = min(0.0, *ends) / 1e3, max(0.0, *ends) / 1e3
        span = (high - low) or 1.0
        ax.set_xlim(low - (0.3 * span if low < 0 else 0.0), high + 0.3 * span)
        ax.set_xlabel("per-capita disposable income, thousand yuan per year")
        # Inside, in empty rows kept under the lowest bar (a row for about two
        # entries): below the axes it ran into the source line, and over the
        # bars it covered the lowest bars' labels.
        entries = len(ax.get_legend_handles_labels()[1])
        ax.set_ylim(-(0.6 * entries + 1.2), len(cities) - 0.4)
        ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=8.5)
        ax.grid(axis="x", alpha=0.3)
        if np.isfinite(ratio):
            verdict = "met" if meets(ratio, t5.comparison, t5.target) else "not met"
            places = 3 + distinct_decimals(
                ratio, t5.target, lambda x, e: f"{x:.{3 + e}f}"
            )
            some = _cities_present(result)
            over = f" over {some} of the 11 cities" if some < len(CITIES) else ""
            default = (
                f"Per-capita disposable income by city, {_which(result, label)}:\n"
                f"highest/lowest = {ratio:.{places}f}{over} (target < "
                f"{t5.target:g}, {verdict})"
            )
        else:
            default = (
                f"Per-capita disposable income by city, {_which(result, label)}:\n"
                "highest/lowest ratio undefined"
            )
        ax.set_title(title or default, loc="left")
        cite_plan(fig)
    return finish(fig)


def __dir__() -> list[str]:
    return public_dir(globals())
