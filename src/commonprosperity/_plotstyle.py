"""Shared look of the figures: palette, text sizes, value formats, saving.

Private to :mod:`commonprosperity.plots`; the public names are re-exported there.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from commonprosperity._files import FORMATS, FORMATS_ALLOWED, unencodable
from commonprosperity._validate import as_float, is_integer, one_of, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentError, ArgumentTypeError
from commonprosperity.published import CITY_NAMES_EN
from commonprosperity.targets import (
    BOUND_TOLERANCE,
    PLAN_SOURCE,
    TARGETS,
    UNIT_TEXT,
    Target,
    on_bound,
)

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Okabe–Ito colour-blind-safe palette; dark enough for greyscale print.
_BLUE, _ORANGE, _GREEN, _VERMILION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
_SKY, _GREY, _BLACK = "#56B4E9", "#7f7f7f", "#000000"
_PURPLE = "#CC79A7"
_MET, _NOT_MET = _GREEN, _VERMILION
_RC: dict[RcKeyType, Any] = {
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.labelsize": 10.5,
    "legend.fontsize": 9.5,
    "svg.fonttype": "path",
    "svg.hashsalt": "commonprosperity",
    # A user's matplotlibrc with usetex (common in academia) sent every title
    # (%, ≥, Chinese city names) to LaTeX: without LaTeX installed, no figure.
    "text.usetex": False,
    # A title or label as typed: a "$" in a scenario's file name ("cost $5 and
    # $10.toml") was read as mathtext, drawn as "cost 5*and*10" or, unbalanced
    # ("$^$"), failed the figure. The library draws no mathtext of its own.
    "text.parse_math": False,
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


#: The units :func:`format_value` knows.
VALUE_UNITS = ("yuan", "share", "ratio", "ratio change", "households")
_UNIT_KEYS = {text: key for key, text in UNIT_TEXT.items()}


def unit_key(unit: Any) -> str:
    """The :data:`VALUE_UNITS` key of a targets frame's unit.

    The frame says T1's unit in full ("yuan per person per year"); the formats
    are keyed by the short name.
    """
    return _UNIT_KEYS.get(str(unit), str(unit))


#: Most decimals :func:`format_value` adds (a float has 17 significant digits).
MAX_EXTRA_DECIMALS = 17


def format_value(value: float, unit: str, extra: int = 0) -> str:
    """Format an indicator value in its unit for a label.

    Parameters
    ----------
    value : float
        The value (yuan, a fraction, or a ratio).
    unit : str
        ``"yuan"``, ``"share"``, ``"ratio"``, ``"ratio change"``, ``"households"``,
        or a unit as a targets frame states it (``"yuan per person per year"``).
    extra : int
        Decimals beyond the unit's usual ones (to tell a value from its bound),
        0 to 17.

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
    if value is None:
        return "n/a"
    # A number of any type as a float: a float32 NaN printed "nan yuan", a
    # Fraction raised in format(), 10**400 overflowed.
    number = as_float(value)
    if number is None:
        raise ArgumentTypeError(
            f"format_value: value must be a number; got {type(value).__name__} "
            f"{quoted(value)}"
        )
    if math.isnan(number):
        return "n/a"
    value = number
    # T1's unit as a targets frame states it ("yuan per person per year").
    unit = unit_key(unit) if isinstance(unit, str) else unit
    if not one_of(unit, VALUE_UNITS):
        raise ArgumentError(
            f"format_value: unit must be one of {VALUE_UNITS}; got {quoted(unit)}"
        )
    if not is_integer(extra) or not 0 <= extra <= MAX_EXTRA_DECIMALS:
        raise ArgumentError(
            "format_value: extra must be an integer in "
            f"0–{MAX_EXTRA_DECIMALS} (decimals); got {quoted(extra)}"
        )
    # "z": a value rounding to zero prints 0, not "-0" (a cost of -1e-170).
    if unit == "yuan":
        return f"{value:z,.{extra}f} yuan"
    if unit == "share":
        return f"{100.0 * value:z.{1 + extra}f} %"
    if unit == "ratio change":
        return f"{value:+z.{4 + extra}f}"
    if unit == "households":
        return f"{value:z,.{extra}f}"
    return f"{value:z.{3 + extra}f}"


def distinct_decimals(value: Any, target: Any, show: Any, most: int = 12) -> int:
    """Decimals beyond the usual that show ``value`` apart from ``target``.

    ``show(x, extra)`` formats a number with ``extra`` more decimals. A value
    within rounding of its target showed as equal to it beside a verdict that
    says otherwise ("1.900 (target < 1.900): met", "NOT MET, gap 0.000"). 0 when
    the two are equal, not finite, within the targets' rounding tolerance of
    each other (judged as equal: ``targets.on_bound``), or apart by less than
    ``most`` more decimals show. The default of 12 shows apart any two that are
    not within that tolerance: six had shown solve's T4 of 1.8999999999961 as
    "1.900 < 1.900 yes".
    """
    finite = all(
        isinstance(v, numbers.Real) and math.isfinite(float(v)) for v in (value, target)
    )
    if not finite or float(on_bound(float(value), float(target))) == float(target):
        return 0
    for extra in range(most + 1):
        if show(value, extra) != show(target, extra):
            return extra
    return 0


def _target_of(indicator: str) -> Target | None:
    for t in TARGETS:
        if indicator in (t.id, t.indicator):
            return t
    return None


def _tick(v: object) -> str:
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()  # a number given as a 0-d array (fixed={...: np.array(1)})
    # A list lever (``income_tax.rates``) holds tuples: float() of one raised.
    if isinstance(v, list | tuple | np.ndarray):
        return "[" + ", ".join(_tick(x) for x in v) + "]"
    if v is pd.NA or v is None:
        # A lever a sweep did not have, in frames of two sweeps concatenated.
        return "n/a"
    if isinstance(v, str):
        # A list lever read back from CSV is its text "(0.03, 0.1)".
        return v
    f = float(v)  # type: ignore[arg-type]
    if not math.isfinite(f):
        return "n/a"
    if abs(f) < 100 and f != int(f):
        return typed_back(f, f"{f:g}")
    # The value's own decimals (up to 6, more if they do not read back as it):
    # 1,128.5 and 1,886.4306 were labelled 1,128 and 1,886, two columns under
    # one label, a value that missed T4.
    return typed_back(f, with_own_decimals(f))


def typed_back(f: float, text: str) -> str:
    """``text`` if it reads back as ``f`` to rounding, else ``f`` closer.

    A lever value is shown so that, typed back, it is ``f`` to the targets'
    rounding tolerance (``targets.BOUND_TOLERANCE``, relative): six figures of
    the growth rate 0.7001113891601562 that solve found read 0.700111, which
    misses T4, and grid values 0.700111 and 0.7001114 shared one label. The
    fewest decimals that do it, so 0.30000000000000004 (a linspace value)
    stays 0.3.
    """

    def close(shown: str) -> bool:
        return abs(float(shown.replace(",", "")) - f) <= BOUND_TOLERANCE * abs(f)

    if close(text):
        return text
    for decimals in range(18):
        shown = f"{f:,.{decimals}f}"
        if close(shown):
            return shown
    return repr(float(f))  # tiny values, beyond fixed decimals


def with_own_decimals(f: float) -> str:
    """``f`` with thousands separators and its own decimals, six at most.

    ``1,128.5``, ``2,790.736842``, ``60,000``: as many decimals as the shortest
    repr has (none for one in exponent form), so a value can be typed back.
    """
    shortest = repr(f)
    decimals = 0 if "e" in shortest else len(shortest.partition(".")[2].rstrip("0"))
    return f"{f:,.{min(decimals, 6)}f}"


def check_formats(formats: Any, where: str) -> tuple[str, ...]:
    """The figure formats as a tuple of lower-case names, all checked first.

    A single string is one format: iterating ``"png"`` gave the formats "p",
    "n", "g". Checking them all before writing anything leaves no ``.png``
    behind when a later format is unknown. A format given twice (``"png"``,
    ``"PNG"``) is one: each figure was drawn and listed again.
    """
    items = [formats] if isinstance(formats, str) else formats
    try:
        given = list(items)
    except TypeError:
        raise ArgumentTypeError(
            f"{where}: formats must be a sequence of {', '.join(FORMATS_ALLOWED)}; "
            f"got {quoted(formats)}"
        ) from None
    # Quoted as given: None was reported as 'none'.
    bad = [
        f for f in given if not isinstance(f, str) or f.lower() not in FORMATS_ALLOWED
    ]
    if bad:
        raise ArgumentError(
            f"{where}: formats must each be one of png, svg or pdf; got "
            + ", ".join(quoted(f) for f in bad)
        )
    return tuple(dict.fromkeys(f.lower() for f in given))


def linked_format(formats: Sequence[str]) -> str | None:
    """The format of the figures a report.md links: PNG, else SVG, else PDF.

    Markdown viewers show PNG and SVG, not PDF (an SVG-only run linked none); a
    PDF-only report lists its figures as links (it said nothing of them).
    """
    return next((f for f in ("png", "svg", "pdf") if f in formats), None)


def figure_markdown(name: str) -> str:
    """A report.md line for a figure file: shown if Markdown can, else linked."""
    name = str(name)
    stem = Path(name).stem
    if name.endswith((".png", ".svg")):
        return f"![{stem}]({name})"
    return f"- [{stem}]({name})"


# ------------------------------------------------------------------------ save


class _MissingDirectoryError(ArgumentError, FileNotFoundError):
    """A figure's directory does not exist: a library error and a FileNotFoundError."""


def save(
    fig: Figure, stem: str | Path, formats: str | Sequence[str] = FORMATS
) -> list[Path]:
    """Write a figure as ``stem.png`` (200 dpi) and ``stem.svg``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    stem : str or pathlib.Path
        Path without suffix; the directory must exist. The format's suffix is
        appended (``"run.v2"`` gives ``run.v2.png``); a stem that already ends in
        ``.png``, ``.svg`` or ``.pdf`` has it replaced.
    formats : str or sequence of str, default ("png", "svg")
        Any of ``"png"``, ``"svg"``, ``"pdf"`` (case-insensitive); one string is
        one format.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure.
    ValueError
        If a format is unknown (nothing is written).
    FileNotFoundError
        If the directory of ``stem`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from matplotlib.figure import Figure
    >>> from commonprosperity import plots
    >>> fig = Figure()
    >>> _ = fig.add_subplot().plot([0, 1], [0, 1])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     both = plots.save(fig, pathlib.Path(tmp) / "lorenz")
    ...     pdf = plots.save(fig, pathlib.Path(tmp) / "lorenz.png", formats="pdf")
    ...     names = [path.name for path in both + pdf]
    >>> names
    ['lorenz.png', 'lorenz.svg', 'lorenz.pdf']
    """
    if not isinstance(fig, Figure):
        raise ArgumentTypeError(
            f"save: fig must be a matplotlib.figure.Figure; got {type(fig).__name__}"
        )
    names = check_formats(formats, "save")
    if not isinstance(stem, str | os.PathLike) or not str(stem).strip():
        # Path("") is the current directory; Path(None) a bare TypeError.
        raise ArgumentError(
            f"save: stem must be a file path without its suffix, e.g. "
            f"'out/dashboard'; got {quoted(stem)}"
        )
    problem = unencodable(stem)
    if problem:
        raise ArgumentError(f"save: stem {problem}")
    stem = Path(stem)
    if stem.suffix.lower() in {f".{f}" for f in FORMATS_ALLOWED}:
        stem = stem.with_suffix("")
    if not stem.absolute().parent.is_dir():
        raise _MissingDirectoryError(
            f"save: the directory of stem {str(stem)!r} does not exist "
            f"({stem.absolute().parent}); create it first"
        )
    finish(fig)
    written = []
    engine = fig.get_layout_engine()
    with _rc():
        try:
            if not fig.stale:
                # Laid out by finish and unchanged since (_fit_titles).
                _set_layout_engine(fig, None)
            for fmt in names:
                # with_suffix replaced a dotted stem's last part ("run.v2": run.png).
                path = stem.with_name(f"{stem.name}.{fmt}")
                fig.savefig(
                    path, dpi=200 if fmt == "png" else None, metadata=_metadata(fmt)
                )
                written.append(path)
                # The files after the first keep its layout (_set_layout_engine).
                _set_layout_engine(fig, None)
        finally:
            _set_layout_engine(fig, engine)
    return written


def _set_layout_engine(fig: Figure, engine: Any) -> None:
    """Give ``fig`` the layout engine ``engine``; None for none at all.

    With an engine, ``savefig`` lays the figure out in a draw of its own before
    the draw that writes the file: for every format, the same layout found again
    (in inches and points, the same at any resolution up to a fraction of a
    pixel). A PNG and an SVG took four draws; with no engine after the PNG, the
    SVG kept its layout: three; with none from the first file when finish has
    laid the figure out and nothing changed since: two. None, not "none":
    matplotlib's place-holder engine still lays out at every save. The two rc
    settings would make None mean an engine of the user's rcParams (and give a
    figure that had none one when its engine is given back).
    """
    import matplotlib as mpl

    with mpl.rc_context(
        {"figure.autolayout": False, "figure.constrained_layout.use": False}
    ):
        fig.set_layout_engine(engine)


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation dates: the same figure gives the same bytes.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {"Software": None}


#: Fonts with Chinese glyphs, tried after DejaVu Sans where installed (matplotlib
#: falls back glyph by glyph along the list).
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)


@functools.cache
def _installed_fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The fallback families installed here, and every character they can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    paths = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    families = tuple(f for f in ("DejaVu Sans", *_CJK_FAMILIES) if f in paths)
    chars: set[int] = {ord("\n"), ord("\t")}
    for family in families:
        try:
            chars.update(FT2Font(paths[family]).get_charmap())
        except (OSError, RuntimeError):  # an unreadable font file draws nothing
            continue
    return families, frozenset(chars)


def drawable(text: str) -> str:
    """``text`` with every run of characters no installed font can draw as "?".

    Labels come from users (a scenario file named 低保提高.toml titles its
    figures); without a font holding Chinese glyphs matplotlib drew empty boxes.
    """
    _, chars = _installed_fonts()
    return "".join(
        "".join(run) if drawn else "?"
        for drawn, run in itertools.groupby(text, key=lambda c: ord(c) in chars)
    )


#: The figures finish has seen (their draws watched by :func:`_drawn`): True
#: while neither drawn by others nor changed (matplotlib's ``stale``) since.
_FINISHED: weakref.WeakKeyDictionary[Figure, bool] = weakref.WeakKeyDictionary()


def _drawn(event: Any) -> None:
    # A draw after finish leaves the figure not stale again, hiding any change
    # made in between: the figure is measured anew at its next finish.
    _FINISHED[event.canvas.figure] = False


def finish(fig: Figure) -> Figure:
    """Make every text of ``fig`` drawable with the installed fonts (see drawable).

    Warns once, naming the texts changed and how to draw them as given. Then
    wraps each title that runs past the figure's edge (:func:`_fit_titles`).
    """
    from matplotlib.text import Text

    if _FINISHED.get(fig) and not fig.stale:
        # Finished, and neither drawn nor changed since the draw that measured
        # its titles: saving a figure a plot function returned measured it a
        # second time for the same answer (a third of a PNG's time).
        return fig
    changed = []
    for t in fig.findobj(Text):
        text = t.get_text()
        safe = drawable(text)
        if safe != text:
            t.set_text(safe)
            changed.append(text)
    if changed:
        shown = ", ".join(repr(c) for c in changed[:3])
        warn_user(
            f"no installed font can draw some characters of {shown}"
            + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            + "; they are drawn as '?'. Install a font with Chinese glyphs (e.g. "
            "Noto Sans CJK SC) to draw them"
        )
    _fit_titles(fig)
    if fig not in _FINISHED:
        fig.canvas.mpl_connect("draw_event", _drawn)
    _FINISHED[fig] = True
    return fig


def _fit_titles(fig: Figure) -> None:
    """Wrap, at spaces, each title that runs past the figure's left or right edge.

    A title left-aligned to axes that begin 40 % across (the dashboard's row
    labels) lost its end ("... 1 of 6 evaluated tar") with a scenario name of 24
    characters or more. Widths are measured in the figure's own layout and fonts.
    """
    # The private attributes below hold the title Text objects; matplotlib's
    # stubs do not declare them.
    titles = [
        t
        for ax in fig.axes
        for t in (ax.title, ax._left_title, ax._right_title)  # type: ignore[attr-defined]
        if t.get_text()
    ]
    if fig._suptitle is not None and fig._suptitle.get_text():  # type: ignore[attr-defined]
        titles.append(fig._suptitle)  # type: ignore[attr-defined]
    if not titles:
        return
    engine = fig.get_layout_engine()
    if engine is not None:
        # The layout places the axes and so their titles' ends; the whole draw
        # (draw_without_rendering) that also lays the figure out took twice as
        # long, and saving drew it once more.
        engine.execute(fig)
    width = fig.bbox.width
    margin = 0.01 * width
    wrapped = False
    for t in titles:
        box = t.get_window_extent()
        # No mathtext to break across lines: the style draws "$" as itself.
        if box.x0 >= 0 and box.x1 <= width - margin:
            continue
        align = t.get_horizontalalignment()
        if align == "left":
            room = width - margin - max(box.x0, 0.0)
        elif align == "right":
            room = box.x1 - margin
        else:
            centre = 0.5 * (box.x0 + box.x1)
            room = 2.0 * (min(centre, width - centre) - margin)
        t.set_text(_wrapped(t, t.get_text(), room))
        wrapped = True
    if not wrapped:
        # Laid out as it will be drawn: save() draws it without laying it out
        # again, and finish() does not measure it again until it changes (a
        # change makes the figure stale again).
        fig.stale = False


def _wrapped(t: Any, text: str, room: float) -> str:
    """``text`` in lines no wider than ``room`` pixels as ``t`` draws them.

    Broken at spaces, and inside a word (a scenario's file name) only where the
    word alone is wider than the room.
    """

    def fits(candidate: str) -> bool:
        t.set_text(candidate)
        return bool(t.get_window_extent().width <= room)

    def pieces(word: str) -> tuple[list[str], str]:
        """The full-width pieces of a word too wide, and what is left of it."""
        full = []
        while len(word) > 1:
            # The longest prefix that fits (at least one character): prefixes of
            # 1, 2, 4 ... characters until one is too wide, then bisection.
            # Measuring the whole rest of the word for each line took time
            # growing with the square of its length (50 s for 16,000 characters).
            lo, hi = 0, 1
            while hi < len(word) and fits(word[:hi]):
                lo, hi = hi, 2 * hi
            if hi >= len(word):
                if fits(word):
                    break
                hi = len(word)
            lo, hi = max(lo, 1), hi - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(word[:mid]):
                    lo = mid
                else:
                    hi = mid - 1
            full.append(word[:lo])
            word = word[lo:]
        return full, word

    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if fits(candidate):
                line = candidate
                continue
            if line:
                lines.append(line)
            full, line = pieces(word)
            lines += full
        lines.append(line)
    return "\n".join(lines)


#: One style block at a time (:func:`_rc`).
_RC_LOCK = threading.RLock()


@contextmanager
def _rc() -> Iterator[None]:
    """Matplotlib's ``rc_context`` with the library's style, one thread at a time.

    ``rc_context`` saves the process's rcParams and restores them at its end: the
    blocks of plots drawn in two threads at once restored each other's, and the
    library's fonts and sizes stayed in the user's rcParams.
    """
    import matplotlib as mpl

    families, _ = _installed_fonts()
    with (
        _RC_LOCK,
        mpl.rc_context({**_RC, "font.sans-serif": [*families, "sans-serif"]}),
    ):
        yield


def billions(yuan: float, places: int | None = None) -> str:
    """Yuan in billions: two decimals, or three significant digits below 0.01 bn.

    A small population's totals (135,360 yuan) read "0.00 bn" or "-0.00 bn".
    ``places``: that many decimals instead (a table's, :func:`billion_places`),
    a value rounding to zero shown unsigned.
    """
    v = yuan / 1e9
    if places is not None:
        shown = f"{v:,.{places}f}"
        return shown.lstrip("-") if float(shown.replace(",", "")) == 0 else shown
    if v == 0 or abs(v) >= 0.01 or not math.isfinite(v):
        return f"{v + 0.0:,.2f}"
    return f"{v:.3g}"


def billion_places(yuan: Iterable[float]) -> int:
    """Decimals for a table of amounts in billions: two, or more for small ones.

    Enough that the largest amount shows three significant figures (at most
    eight decimals), so that the lines of one table are comparable and add up
    as printed: a county's 0.0120 and 0.0079 bn, not 0.01 and 0.00795.
    """
    finite = [abs(v) / 1e9 for v in yuan if math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return min(8, max(2, 2 - math.floor(math.log10(max(finite)))))
