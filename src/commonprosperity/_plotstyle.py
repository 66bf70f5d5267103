"""Shared look of the figures: palette, text sizes, value formats, saving.

Private to :mod:`commonprosperity.plots`; the public names are re-exported there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from commonprosperity.published import CITY_NAMES_EN
from commonprosperity.targets import PLAN_SOURCE, TARGETS, Target

#: File formats written by :func:`save`.
FORMATS: tuple[str, ...] = ("png", "svg")

# Okabe–Ito colour-blind-safe palette; dark enough for greyscale print.
_BLUE, _ORANGE, _GREEN, _VERMILION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
_SKY, _GREY, _BLACK = "#56B4E9", "#7f7f7f", "#000000"
_MET, _NOT_MET = _GREEN, _VERMILION
_RC = {
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.labelsize": 10.5,
    "legend.fontsize": 9.5,
    "svg.fonttype": "path",
    "svg.hashsalt": "commonprosperity",
}

_COMPARISON_TEXT = {">=": "≥", ">": ">", "<": "<", "<=": "≤"}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def cite_plan(fig: Figure, values: str = "simulated") -> None:
    """Cite the plan the figure's targets come from, at its foot.

    Every figure that draws a plan target carries it: the targets are published
    figures, the values are the library's (``values`` says how they were made).
    """
    fig.supxlabel(
        f"Targets: {PLAN_SOURCE}. Values: {values}.",
        x=0.01,
        ha="left",
        fontsize=8,
        color="0.35",
        wrap=True,
    )


def _city_en(label: str) -> str:
    return CITY_NAMES_EN.get(label, "Zhejiang (no city)")


def format_value(value: float, unit: str) -> str:
    """Format an indicator value in its unit for a label.

    Parameters
    ----------
    value : float
        The value (yuan, a fraction, or a ratio).
    unit : str
        ``"yuan"``, ``"share"``, ``"ratio"``, ``"ratio change"``, ``"households"``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(75_000.0, "yuan"), format_value(0.8, "share")
    ('75,000 yuan', '80.0 %')
    >>> format_value(float("nan"), "ratio")
    'n/a'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "yuan":
        return f"{value:,.0f} yuan"
    if unit == "share":
        return f"{100.0 * value:.1f} %"
    if unit == "ratio change":
        return f"{value:+.4f}"
    if unit == "households":
        return f"{value:,.0f}"
    return f"{value:.3f}"


def _target_of(indicator: str) -> Target | None:
    for t in TARGETS:
        if indicator in (t.id, t.indicator):
            return t
    return None


def _tick(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return f"{f:,.0f}" if abs(f) >= 100 or f == int(f) else f"{f:g}"


def _meets(v: float, target: Target) -> bool:
    c = target.comparison
    return bool(
        v >= target.target
        if c == ">="
        else v > target.target
        if c == ">"
        else v < target.target
        if c == "<"
        else v <= target.target
    )


# ------------------------------------------------------------------------ save
def save(fig: Figure, stem: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write a figure as ``stem.png`` (200 dpi) and ``stem.svg``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    stem : str or pathlib.Path
        Path without suffix; the directory must exist.
    formats : sequence of str
        Any of ``"png"``, ``"svg"``, ``"pdf"``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    stem = Path(stem)
    written = []
    for fmt in formats:
        if fmt not in ("png", "svg", "pdf"):
            raise ValueError(f"save: format must be png, svg or pdf; got {fmt!r}")
        path = stem.with_suffix(f".{fmt}")
        with _rc():
            fig.savefig(
                path, dpi=200 if fmt == "png" else None, metadata=_metadata(fmt)
            )
        written.append(path)
    return written


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation dates: the same figure gives the same bytes.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {"Software": None}


def _rc() -> Any:
    import matplotlib as mpl

    return mpl.rc_context(_RC)
