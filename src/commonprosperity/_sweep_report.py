"""The outputs of a sweep: its frame as CSV and Parquet, figures, ``report.md``.

Private to :mod:`commonprosperity.report`, which re-exports :func:`sweep_summary`
and :func:`write_sweep`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity._files import output_folder
from commonprosperity._plotstyle import (
    billions,
    check_formats,
    distinct_decimals,
    figure_markdown,
    linked_format,
)
from commonprosperity._reportformat import (
    _SHORT,
    OUTPUTS,
    SWEEP_HEADING,
    _number,
    code_block,
    markdown_table,
    markdown_text,
    recording_warnings,
    staged_directory,
    toml_section,
    warnings_markdown,
    weak_frame,
    weak_lines,
    weak_markdown,
)
from commonprosperity._validate import check_frame, check_text, quoted
from commonprosperity._warn import silenced
from commonprosperity.errors import ArgumentError, ArgumentTypeError
from commonprosperity.scenario import lever_unit
from commonprosperity.targets import (
    TARGET_BY_ID,
    TARGETS,
    UNIT_TEXT,
    meets,
    verdict_column,
)

__all__ = ["sweep_summary", "write_sweep"]


def _verdicts(
    frame: pd.DataFrame, tid: str, where: str
) -> tuple[pd.Series, pd.Series] | None:
    """Whether each sweep row meets target ``tid``, and whether it was judged.

    From ``T*_met`` (NA: not judged) or recomputed from the indicator (NaN: not
    judged); None if the frame has neither.
    """
    if f"{tid}_met" in frame.columns:
        verdict = verdict_column(frame, tid, where)
        return verdict.fillna(False).astype(bool), verdict.notna().astype(bool)
    target = TARGET_BY_ID.get(tid)
    if target is None or target.indicator not in frame.columns:
        return None
    v = frame[target.indicator].to_numpy(dtype=float)
    return (
        pd.Series(
            meets(v, target.comparison, target.target), index=frame.index, dtype=bool
        ),
        pd.Series(~np.isnan(v), index=frame.index, dtype=bool),
    )


def _met_column(
    frame: pd.DataFrame, tid: str, where: str = "write_sweep"
) -> pd.Series | None:
    """Whether each sweep row meets target ``tid`` (from ``T*_met`` or recomputed)."""
    verdicts = _verdicts(frame, tid, where)
    return None if verdicts is None else verdicts[0]


def sweep_summary(frame: pd.DataFrame, levers: Sequence[str]) -> pd.DataFrame:
    """For each target T1–T6: how many sweep scenarios meet it, and the cheapest.

    Parameters
    ----------
    frame : pandas.DataFrame
        A sweep frame (one row per scenario, lever and indicator columns,
        ``net_fiscal_cost``).
    levers : sequence of str
        The lever columns.

    Returns
    -------
    pandas.DataFrame
        Indexed T1–T6: ``scenarios_meeting``, ``scenarios_judged`` (those whose
        verdict is not NA: the indicator is defined, e.g. T4 needs urban and
        rural households), ``cheapest_cost`` (yuan per year) and
        ``cheapest_levers`` (the lever values of the cheapest scenario meeting it).

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=0)
    >>> grid = {"transfers.dibao_monthly": [835, 1_100, 1_300],
    ...         "income_tax.basic_deduction": [60_000, 72_000]}
    >>> frame = cp.sweep(pop, cp.Scenario.status_quo(2021), grid, progress=False)
    >>> summary = cp.report.sweep_summary(frame, list(grid))
    >>> summary.loc["T4", ["scenarios_meeting", "scenarios_judged"]].tolist()
    [4, 6]
    >>> f"{summary.loc['T4', 'cheapest_cost'] / 1e9:.1f} bn yuan"
    '11.1 bn yuan'
    >>> summary.loc["T4", "cheapest_levers"]
    'transfers.dibao_monthly = 1,100, income_tax.basic_deduction = 60,000'
    """
    check_frame(frame, "frame", "sweep_summary")
    if isinstance(levers, str) or not isinstance(levers, Sequence | pd.Index):
        # A str was iterated by character, and a misspelt lever dropped: the
        # cheapest scenario's levers read "".
        raise ArgumentError(
            "sweep_summary: levers must be a list of the frame's lever columns; "
            f"got {quoted(levers)}"
        )
    unknown = [
        lv for lv in levers if not isinstance(lv, str) or lv not in frame.columns
    ]
    if unknown:
        raise ArgumentError(
            f"sweep_summary: levers {unknown} are not columns of the frame; its "
            f"columns are {list(frame.columns)[:20]}"
        )
    rows = {}
    cost = frame["net_fiscal_cost"] if "net_fiscal_cost" in frame.columns else None
    for t in TARGETS[:6]:
        verdicts = _verdicts(frame, t.id, "sweep_summary")
        if verdicts is None:
            continue
        met, judged = verdicts
        n = int(met.sum())
        row: dict[str, Any] = {
            "scenarios_meeting": n,
            "scenarios_judged": int(judged.sum()),
            "cheapest_cost": np.nan,
            "cheapest_levers": "",
        }
        costs = (
            None
            if cost is None
            else cost.to_numpy(dtype=float, na_value=np.nan)[met.to_numpy()]
        )
        if n and costs is not None and not np.isnan(costs).all():
            # By position: the label of idxmin named two rows of a frame whose
            # index repeats (two sweeps concatenated).
            best_in_met = int(np.nanargmin(costs))
            best = int(np.flatnonzero(met.to_numpy())[best_in_met])
            row["cheapest_cost"] = float(costs[best_in_met])
            row["cheapest_levers"] = ", ".join(
                f"{lv} = {_number(frame[lv].iloc[best])}"
                for lv in levers
                if lv in frame.columns
            )
        rows[t.id] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "target"
    return out


def _summary_line(tid: str, row: pd.Series, n_rows: int) -> str:
    """One target's line of the terminal summary of a sweep."""
    met, judged = int(row["scenarios_meeting"]), int(row["scenarios_judged"])
    head = f"  {tid} {_SHORT.get(str(tid), '')}: "
    if judged == 0:
        # "Met in 0" would say no scenario reaches a target none could be judged on.
        indicator = TARGET_BY_ID[tid].indicator
        return (
            f"{head}not judged in any of {n_rows:,} scenarios ({indicator} is "
            "undefined for this population)"
        )
    text = f"{head}met in {met:,} of {n_rows:,} scenarios"
    if judged < n_rows:
        indicator = TARGET_BY_ID[tid].indicator
        text += f" ({n_rows - judged:,} not judged: {indicator} undefined)"
    if met:
        text += (
            f"; cheapest {billions(row['cheapest_cost'])} bn yuan "
            f"({row['cheapest_levers']})"
        )
    return text


def write_sweep(
    frame: pd.DataFrame,
    out_dir: str | Path,
    *,
    spec: Any,
    heading: str,
    command: str | None = None,
    cheapest: Any = None,
    formats: Sequence[str] = ("png", "svg"),
    target_notes: Mapping[str, str] | None = None,
    population_weak: Sequence[Mapping[str, Any]] = (),
    warnings: Sequence[str] = (),
) -> tuple[list[Path], str]:
    """Write a sweep's frame (CSV, Parquet), figures and ``report.md``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The sweep frame: one row per scenario.
    out_dir : str or pathlib.Path
        Directory; created if needed. The files are written to a scratch folder
        and moved in at the end, so a failure or an interrupt leaves it as it was.
    spec : SweepSpec
        The sweep file read by :func:`commonprosperity.sweep.read_sweep_file`
        (levers, base, plot choices).
    heading : str
        What was swept on which population.
    command : str, optional
        The command line, quoted in the report.
    cheapest : callable, optional
        ``cheapest(frame, targets=(...))`` of :mod:`commonprosperity.sweep`; used to
        list the scenarios meeting the frontier target ordered by cost.
    formats : sequence of str, default ("png", "svg")
        Figure formats: png, svg, pdf; an empty sequence writes no figures.
    target_notes : mapping of str to str, optional
        Caveats by target id (``{"T5": "over 2 of the 11 cities ..."}``), printed
        under the summary and the report's target table.
    population_weak : sequence of mapping
        C/R values the population brings, listed after the base's (the
        minimum-wage tiers of its areas that are a library rule:
        ``published.weak_minimum_wage_tiers``).
    warnings : sequence of str
        Warnings given while the sweep was made, listed in ``report.md``.

    Returns
    -------
    written : list of pathlib.Path
        ``sweep.csv``, ``sweep.parquet``, ``heatmap.*`` (with two or more levers),
        ``frontier.*``, ``report.md``.
    summary : str
        A few lines for the terminal.

    Raises
    ------
    ArgumentTypeError
        If an argument is of the wrong kind (``frame`` no DataFrame, ``spec`` no
        sweep file's spec, ``heading`` no str, ...).
    ArgumentError
        If ``frame`` lacks a lever's column or a format is unknown (checked
        before anything is written).

    Examples
    --------
    The spec is the sweep file as ``commonprosperity sweep`` reads it:

    >>> import pathlib, tempfile
    >>> import commonprosperity as cp
    >>> from commonprosperity.sweep import read_sweep_file
    >>> text = '''year = 2021
    ... [grid]
    ... "transfers.dibao_monthly" = [835, 1100, 1300]
    ... "income_tax.basic_deduction" = [60000, 72000]
    ... [plots]
    ... heatmap = "urban_rural_ratio"
    ... frontier = "T4"
    ... '''
    >>> pop = cp.synthetic_population(2_000, seed=0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sweep_file = pathlib.Path(tmp) / "sweep.toml"
    ...     _ = sweep_file.write_text(text)
    ...     spec = read_sweep_file(sweep_file)
    ...     frame = cp.sweep(pop, spec.base, spec.grid, progress=False)
    ...     out = pathlib.Path(tmp) / "out"
    ...     files, summary = cp.report.write_sweep(
    ...         frame, out, spec=spec, heading="dibao x deduction", formats=["svg"]
    ...     )
    ...     names = sorted(path.name for path in files)
    >>> names
    ['frontier.svg', 'heatmap.svg', 'report.md', 'sweep.csv', 'sweep.parquet']
    >>> print(summary.splitlines()[4])  # doctest: +NORMALIZE_WHITESPACE
      T4 urban / rural income ratio: met in 4 of 6 scenarios; cheapest 11.07 bn yuan
      (transfers.dibao_monthly = 1,100, income_tax.basic_deduction = 60,000)
    """
    if not all(hasattr(spec, a) for a in _SPEC_ATTRIBUTES):
        raise ArgumentTypeError(
            "write_sweep: spec must be the SweepSpec read from a sweep file "
            f"({', '.join(_SPEC_ATTRIBUTES)}); got {type(spec).__name__}"
        )
    check_frame(frame, "frame", "write_sweep", list(spec.levers))
    check_text(heading, "heading", "write_sweep", optional=False)
    check_text(command, "command", "write_sweep")
    warnings_markdown(warnings, "write_sweep")  # checked before anything is made
    if target_notes is not None and not isinstance(target_notes, Mapping):
        raise ArgumentTypeError(
            "write_sweep: target_notes must be a mapping of target id to text; "
            f"got {type(target_notes).__name__}"
        )
    if cheapest is not None and not callable(cheapest):
        raise ArgumentTypeError(
            f"write_sweep: cheapest must be callable; got {type(cheapest).__name__}"
        )
    formats = check_formats(formats, "write_sweep")
    out = output_folder(out_dir, "write_sweep")
    # Every file goes to a scratch folder first: a failure or Ctrl-C part-way
    # leaves ``out`` as it was instead of half a report.
    with (
        staged_directory(out, OUTPUTS) as stage,
        recording_warnings(warnings) as said,
    ):
        written, summary = _write_sweep_files(
            frame,
            stage,
            spec,
            heading,
            command,
            cheapest,
            formats,
            target_notes,
            population_weak,
            said,
        )
    return [out / p.name for p in written], summary


#: What write_sweep reads of a sweep file's spec.
_SPEC_ATTRIBUTES = (
    "levers",
    "grid",
    "base",
    "base_label",
    "band_basis",
    "heatmap",
    "frontier",
)


def _nearest(values: Sequence[Any], base_value: Any) -> Any:
    """The grid value nearest the base's: the heatmap's other levers sit there.

    Numbers by distance; a list lever (a whole rate schedule) by its largest
    item difference, or its first value when none has the base's length.
    """
    base = np.asarray(base_value, dtype=float)
    distance = [
        float(np.max(np.abs(np.asarray(v, dtype=float) - base), initial=0.0))
        if np.shape(v) == base.shape
        else math.inf
        for v in values
    ]
    nearest = values[int(np.argmin(distance))]
    return float(nearest) if np.ndim(nearest) == 0 else nearest


def _write_sweep_files(
    frame: pd.DataFrame,
    out: Path,
    spec: Any,
    heading: str,
    command: str | None,
    cheapest: Any,
    formats: Sequence[str],
    target_notes: Mapping[str, str] | None,
    population_weak: Sequence[Mapping[str, Any]] = (),
    said: Callable[[], Sequence[str]] = tuple,
) -> tuple[list[Path], str]:
    """Write the files of :func:`write_sweep` into ``out`` (a scratch folder).

    ``said()``: the warnings given so far, for report.md.
    """
    from commonprosperity import plots

    levers = list(spec.levers)
    written: list[Path] = []
    frame.to_csv(out / "sweep.csv", index=False)
    written.append(out / "sweep.csv")
    frame.to_parquet(out / "sweep.parquet", index=False)
    written.append(out / "sweep.parquet")

    figures: list[str] = []
    notes: list[str] = []
    skipped: list[str] = []  # the figures not drawn, said on the console too

    def not_drawn(text: str) -> None:
        notes.append(text)
        skipped.append(text)

    heat_undefined = (
        spec.heatmap in frame.columns and frame[spec.heatmap].astype(float).isna().all()
    )
    if len(levers) >= 2 and heat_undefined:
        # All cells "n/a" under a colour bar of nothing: said, not drawn (as the
        # frontier below).
        not_drawn(
            f"heatmap: not drawn: {spec.heatmap} is undefined in every scenario "
            "of this sweep"
        )
    elif len(levers) >= 2:
        fixed = {}
        for lv in levers[2:]:
            fixed[lv] = _nearest(spec.grid[lv], spec.base.get(lv))
        if formats:  # none drawn for no format, as write_run
            fig = plots.sweep_heatmap(
                frame, levers[0], levers[1], spec.heatmap, fixed=fixed
            )
            written += plots.save(fig, out / "heatmap", formats)
            figures.append("heatmap.png")
        if fixed:
            notes.append(
                "heatmap: other levers fixed at "
                + ", ".join(f"{k} = {_number(v)}" for k, v in fixed.items())
            )
    else:
        not_drawn("heatmap: needs two levers; this sweep has one")
    # A frontier given as a target's indicator (urban_rural_ratio) is judged
    # against that target (T4) in the figure: its cheapest scenarios are listed
    # too.
    target_id = next(
        (t.id for t in TARGET_BY_ID.values() if spec.frontier in (t.id, t.indicator)),
        None,
    )
    frontier_indicator = (
        TARGET_BY_ID[target_id].indicator if target_id is not None else spec.frontier
    )
    # A frontier of an indicator undefined in every scenario (T4 without rural
    # households) has no point to draw and no scenario to rank: said, not drawn.
    unjudged = (
        frontier_indicator in frame.columns
        and frame[frontier_indicator].astype(float).isna().all()
    )
    if unjudged:
        not_drawn(
            f"frontier: not drawn: {spec.frontier} ({frontier_indicator}) is "
            "undefined in every scenario of this sweep"
        )
        target_id = None  # no scenario to rank either
    elif "net_fiscal_cost" in frame.columns and formats:
        fig = plots.fiscal_frontier(frame, spec.frontier, levers=levers)
        written += plots.save(fig, out / "frontier", formats)
        figures.append("frontier.png")
    # A format here; the columns shown with the cheapest scenarios below.
    shown: str | tuple[str, ...] | None = linked_format(formats)
    figures = [f.replace(".png", f".{shown}") for f in figures] if shown else []

    summary_table = sweep_summary(frame, levers)
    lines = [
        _summary_line(str(tid), row, len(frame))
        for tid, row in summary_table.iterrows()
    ]
    caveats = [
        f"{tid} {text}"
        for tid, text in (target_notes or {}).items()
        if text and tid in summary_table.index
    ]
    # The base's C/R values the levers do not replace: every row rests on them
    # (the README's promise of every result; the sweep listed none).
    weak = weak_frame([*spec.base.weak_values(), *population_weak], skip=levers)
    summary = (
        "Targets over the sweep (net fiscal cost against the base):\n"
        + "\n".join(lines + caveats)
    )
    if skipped:
        # Said in report.md only: the console printed "Wrote 5 files" and the
        # requested figure was missing without a word.
        summary += "\nFigures not drawn: " + "; ".join(skipped)
    if len(weak):
        summary += (
            "\nPolicy values of the base, not swept, that are derived (C) or "
            "unverified (R); full sources in report.md:\n" + "\n".join(weak_lines(weak))
        )

    ranked = None
    if target_id is not None and callable(cheapest):
        # T5's cities are in the caveats above: cheapest's warning of them (its
        # only one) would say it twice.
        with silenced():
            ranked = cheapest(frame, targets=(target_id,))
    if ranked is None and target_id is not None:
        met = _met_column(frame, target_id, "write_sweep")
        if met is not None and "net_fiscal_cost" in frame.columns:
            ranked = frame[met].sort_values("net_fiscal_cost")
    md = [f"{SWEEP_HEADING}{markdown_text(heading)}", ""]
    if command:
        md += ["Produced by:", "", *code_block(command), ""]
    md += warnings_markdown(said(), "write_sweep")
    md += [
        "## Grid",
        "",
        f"Base: {spec.base_label} ({spec.base.year} policy); band "
        f"basis `{spec.band_basis}`; {len(frame):,} scenarios.",
        "",
    ]
    md += [f"- `{lv}`: {', '.join(_number(v) for v in spec.grid[lv])}" for lv in levers]
    md += [
        "",
        "## Targets over the sweep",
        "",
        "Net fiscal cost is against the base scenario, yuan per year (positive: "
        "costs the budget).",
        "",
        markdown_table(summary_table, formats={"cheapest_cost": ",.0f"}),
        "",
    ]
    if caveats:
        md += [f"- {c}" for c in caveats] + [""]
    if ranked is not None:
        # The target's indicator first (how far each clears it), then the
        # heatmap's when it is another.
        # (Ranked only for a target: target_id is a str here.)
        shown = (*levers, TARGET_BY_ID[cast(str, target_id)].indicator, spec.heatmap)
        cols = [
            c for c in dict.fromkeys((*shown, "net_fiscal_cost")) if c in ranked.columns
        ]
        md += [
            f"## Cheapest scenarios meeting {target_id} (up to 10)",
            "",
            markdown_table(
                # Lever values as the grid lists them, every one with its own
                # decimals: 1,128 beside 1279.16 in one column read as typos.
                ranked[cols]
                .head(10)
                .assign(**{lv: ranked[lv].head(10).map(_number) for lv in levers}),
                index=False,
                formats={
                    "net_fiscal_cost": ",.0f",
                    **_apart_from_bound(ranked.head(10), cast(str, target_id)),
                },
            )
            if len(ranked)
            else f"No scenario of the sweep meets {target_id}.",
            "",
        ]
    if figures or notes:
        md += ["## Figures", ""]
        md += [figure_markdown(f) for f in figures]
        md += [f"- {n}" for n in notes]
        md.append("")
    if len(weak):
        md += [
            "## Policy values of the base graded C (derived) or R (unverified)",
            "",
            "Not swept, so every scenario uses them.",
            "",
            weak_markdown(weak),
            "",
        ]
    md += [
        "## Columns of sweep.csv and sweep.parquet",
        "",
        markdown_table(
            pd.DataFrame(
                column_units(frame.columns, levers), columns=["column", "unit"]
            ),
            index=False,
        ),
        "",
    ]
    md += toml_section("## Base scenario (every field)", spec.base)
    (out / "report.md").write_text(
        "\n".join(md), encoding="utf-8", errors="backslashreplace"
    )
    written.append(out / "report.md")
    return written, summary


#: The unit of a target's value, as its gap column gives it.
_TARGET_UNIT_TEXT = {
    **UNIT_TEXT,
    "share": "share (0-1)",
    "ratio": "ratio",
    "ratio change": "change of a ratio",
}


def _apart_from_bound(rows: pd.DataFrame, target_id: str) -> dict[str, str]:
    """The target indicator's format, with digits to tell its values from the bound.

    1.899999958, which meets "< 1.9", was shown as 1.9.
    """
    target = TARGET_BY_ID[target_id]
    if target.indicator not in rows.columns:
        return {}
    extra = max(
        (
            distinct_decimals(v, target.target, lambda x, e: f"{float(x):.{6 + e}g}")
            for v in rows[target.indicator]
        ),
        default=0,
    )
    return {target.indicator: f".{6 + extra}g"}


def column_units(
    columns: Sequence[str], levers: Sequence[str]
) -> list[tuple[str, str]]:
    """``(column, unit)`` of each column of a sweep frame (sweep.csv has none)."""
    from commonprosperity.report import INDICATOR_UNIT_TEXT

    out = []
    for c in columns:
        if c in levers:
            unit = lever_unit(c)
        elif c == "social_insurance_contributions":
            # The cost leaves the housing fund out: said here, or the cost
            # could not be rebuilt from the table's own columns.
            unit = (
                f"{INDICATOR_UNIT_TEXT[c]}; employee contributions including the "
                "housing fund (employees' savings, not revenue)"
            )
        elif c in INDICATOR_UNIT_TEXT:
            unit = INDICATOR_UNIT_TEXT[c]
        elif c.endswith("_met") and c[:-4] in TARGET_BY_ID:
            unit = "true/false (empty: not judged)"
        elif c.endswith("_gap") and c[:-4] in TARGET_BY_ID:
            target = TARGET_BY_ID[c[:-4]]
            unit = (
                f"{_TARGET_UNIT_TEXT.get(target.unit, target.unit)}: how far the "
                "value falls short of the target (positive: not met)"
            )
        elif c == "net_fiscal_cost":
            unit = (
                "yuan per year, against the base (positive: costs the budget): "
                "the change of transfer spending less those of income tax and of "
                "social insurance contributions without the housing fund, which "
                "is employees' savings (so not the change of "
                "social_insurance_contributions)"
            )
        else:
            unit = ""
        out.append((c, unit))
    return out
