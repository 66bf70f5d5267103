"""Text helpers of the reports: value formats, the target table, Markdown tables.

Also :func:`staged_directory`, through which a report's files reach their folder
all together or not at all.

Private to :mod:`commonprosperity.report`, which re-exports the public names.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import secrets
import shutil
import warnings as warnings_module
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity._files import FORMATS_ALLOWED
from commonprosperity._plotstyle import (
    distinct_decimals,
    format_value,
    typed_back,
    unit_key,
    with_own_decimals,
)
from commonprosperity._validate import (
    check_flag,
    check_frame,
    check_text,
    plain_text,
    quoted,
    shown_escapes,
)
from commonprosperity._warn import (
    this_threads_warnings,
    user_place,
    warn_at,
)
from commonprosperity.errors import ArgumentError, ArgumentTypeError

_CMP = {">=": ">=", ">": ">", "<": "<", "<=": "<="}


# ------------------------------------------------------------------ writing
@contextlib.contextmanager
def staged_directory(
    out: Path, earlier: Mapping[str, Iterable[str]] | None = None
) -> Iterator[Path]:
    """Give a scratch folder whose files are moved into ``out`` when the block ends.

    Parameters
    ----------
    out : pathlib.Path
        The output folder; it and its parents are created only on success.
    earlier : mapping of str to iterable of str, optional
        The files of each kind of output by the first words of its report.md
        (``OUTPUTS``). When the report.md this replaces is of a kind, its files
        this block did not write are an earlier output's and are removed (a
        heatmap of a two-lever sweep stayed beside the report of a one-lever
        sweep that says it has none; a run's tables beside a sweep's report).
        Other files, and any in a folder without such a report, are the user's
        and stay.

    Yields
    ------
    pathlib.Path
        A hidden, empty folder on the same filesystem as ``out``: inside ``out``
        when it exists, else in its nearest existing ancestor.

    Notes
    -----
    Writing straight into ``out`` left half a report behind when a figure failed
    or the user pressed Ctrl-C. Here nothing reaches ``out`` unless the block
    finishes: a new ``out`` appears in one rename, and each file of an existing
    one is replaced with ``os.replace``. On an error or an interrupt the scratch
    folder is removed, so ``out`` is left as it was (absent, or with its old
    files).
    """
    out = Path(out)
    check_out_dir(out)
    anchor = out if out.is_dir() else out.absolute().parent
    while not anchor.exists():
        anchor = anchor.parent
    # mkdir (not mkdtemp, which makes 0700 folders) so a renamed folder gets the
    # permissions of one made by ``out.mkdir()``.
    stage = (
        anchor / f".{out.name or 'out'}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    )
    stage.mkdir()
    try:
        yield stage
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # e.g. ``out`` appeared meanwhile
                stage.rename(out)
                return
        out.mkdir(parents=True, exist_ok=True)
        staged = sorted(stage.iterdir())
        # Checked before anything moves: a directory in the way of the third
        # file left two of the new files beside the old rest.
        for file in staged:
            if (out / file.name).is_dir():
                raise IsADirectoryError(
                    errno.EISDIR,
                    f"cannot write {file.name}: a directory of that name is in "
                    f"{str(out)!r}",
                    str(out / file.name),
                )
        names = removable_names(out, earlier or {})
        _replace_all(staged, out, stage)
        new = {file.name for file in staged}
        for name in sorted(names - new):
            stale = out / name
            if stale.is_file():
                stale.unlink()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def removable_names(out: Path, earlier: Mapping[str, Iterable[str]]) -> set[str]:
    """The file names of the output whose report.md is in ``out`` (see above)."""
    names: set[str] = set()
    for heading, files in earlier.items():
        if _report_starts(Path(out) / "report.md", heading):
            names.update(files)
    return names


def _report_starts(report: Path, heading: str) -> bool:
    """Whether the file ``report`` begins with ``heading`` (False if unreadable)."""
    try:
        with report.open("rb") as file:
            return file.read(len(heading.encode())) == heading.encode()
    except OSError:
        return False


def _replace_all(staged: list[Path], out: Path, stage: Path) -> None:
    """Move the staged files into ``out``, all of them or none.

    The files they replace are first moved aside into ``stage`` (removed with
    it); if one cannot be (an immutable file, another user's file in a sticky
    folder), those already moved go back and the error is raised, naming the
    file: replacing in one pass left 12 new files beside the old 13th.
    """
    aside: list[tuple[Path, Path]] = []
    done: list[str] = []
    try:
        for file in staged:
            target = out / file.name
            if target.exists() or target.is_symlink():
                backup = stage / f".replaced-{file.name}"
                os.replace(target, backup)
                aside.append((backup, target))
        for file in staged:
            os.replace(file, out / file.name)
            done.append(file.name)
    except OSError as exc:
        for name in done:
            with contextlib.suppress(OSError):
                (out / name).unlink()
        for backup, target in reversed(aside):
            with contextlib.suppress(OSError):
                os.replace(backup, target)
        name = Path(exc.filename).name if exc.filename else "a file"
        raise OSError(
            exc.errno,
            f"cannot replace {name} ({exc.strerror or exc}); nothing was written",
            str(out / name),
        ) from None


def out_dir_problem(out: Path) -> tuple[type[OSError], str] | None:
    """Why ``out`` cannot be written as a folder, as ``(error class, reason)``.

    The reason follows the folder's name ("is a broken symbolic link (to x)");
    None when it can be written. Checked before any work: a file or a broken
    link in the way failed only after every figure was drawn, with an errno
    message naming the hidden scratch folder.
    """
    out = Path(out)
    if out.is_symlink() and not out.exists():
        return FileExistsError, (
            f"is a broken symbolic link (to {os.readlink(out)!r}); remove it or "
            "give another folder"
        )
    if out.exists() and not out.is_dir():
        return FileExistsError, (
            "exists and is not a directory; give a directory (it is created if absent)"
        )
    parent = out.absolute().parent
    while not parent.exists():
        if parent.is_symlink():
            # Climbed past, it failed as "File exists" after the whole run.
            return FileExistsError, (
                f"cannot be created: {str(parent)!r} is a broken symbolic link "
                f"(to {os.readlink(parent)!r})"
            )
        parent = parent.parent
    if not parent.is_dir():
        return NotADirectoryError, (
            f"cannot be created: {str(parent)!r} is a file, not a directory"
        )
    # The scratch folder is made in ``out`` or its nearest existing ancestor:
    # unwritable, the error named that hidden folder, not ``out_dir``.
    anchor = out if out.is_dir() else parent
    if not os.access(anchor, os.W_OK | os.X_OK):
        return PermissionError, (
            f"cannot be written: {str(anchor)!r} is not a writable directory"
        )
    return None


def check_out_dir(out: Path) -> None:
    """Raise an OSError naming ``out`` if it cannot be written as a folder.

    FileExistsError for a file or a broken symbolic link in its place or among
    its ancestors, NotADirectoryError for a file among its ancestors,
    PermissionError if it (or the ancestor it would be created in) is not
    writable (:func:`out_dir_problem`).
    """
    problem = out_dir_problem(out)
    if problem is not None:
        error, reason = problem
        code = {
            FileExistsError: errno.EEXIST,
            NotADirectoryError: errno.ENOTDIR,
            PermissionError: errno.EACCES,
        }[error]
        raise error(code, f"out_dir {str(out)!r} {reason}")


def gini_text(result: Any, *, bold: bool = False) -> str:
    """The Gini of a result to 4 decimals, or "undefined (why)" when it is NaN."""
    g = float(result.indicators["gini"])
    if math.isfinite(g):
        return f"**{g:.4f}**" if bold else f"{g:.4f}"
    # A non-positive mean income leaves the Gini undefined: "nan" was printed.
    why = (getattr(result, "undefined", None) or {}).get("gini")
    return "undefined" + (f" ({why})" if why else "")


# ------------------------------------------------------------- text formats
def _fmt(value: Any, unit: str, extra: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return format_value(float(value), unit, extra).replace(" yuan", "")


def _gap(value: Any, unit: str, met: Any = None, extra: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    # A strict target exactly on its bound has gap 0 and is not met: show the 0.
    not_met = met is not None and met is not pd.NA and not bool(met)
    if v < 0 or (v == 0 and not not_met):
        return "-"
    if unit == "share":
        return f"{100 * v:.{1 + extra}f} pp"
    if unit == "yuan":
        return f"{v:,.{extra}f}"
    return f"{v:.{4 + extra}f}"


def _values_and_goal(
    values: Sequence[Any], target: Any, unit: str
) -> tuple[list[str], str, int]:
    """Values and their target as shown, with decimals enough to tell each apart.

    74,999.6 yuan against 75,000 showed "75,000 >= 75,000  NO  0": the verdict
    right, the figures contradicting it; a status quo of 79.996 % beside a goal
    of ">= 80.0 %" read as met; a trend of -1e-6 showed "+0.0000 < 0 (trend)".
    Every value (the scenario's, the status quo's)
    gets the decimals the closest one to the target needs. Returns the texts,
    the target's and the decimals added (for the gap).
    """
    if unit not in ("yuan", "share", "ratio", "ratio change"):
        return [_fmt(v, unit) for v in values], _fmt(target, unit), 0
    extra = max(
        distinct_decimals(v, target, lambda x, e: _fmt(x, unit, e)) for v in values
    )
    return [_fmt(v, unit, extra) for v in values], _fmt(target, unit, extra), extra


def _met(value: Any) -> str:
    if (
        value is pd.NA
        or value is None
        or (isinstance(value, float) and math.isnan(value))
    ):
        return "n/a"
    return "yes" if bool(value) else "NO"


_SHORT = {
    "T1": "per-capita disposable income (yuan)",
    "T2": "households 100k-500k yuan",
    "T3": "households 200k-600k yuan (stretch)",
    "T4": "urban / rural income ratio",
    "T5": "highest / lowest city ratio",
    "T6": "urbanisation rate",
    "T7": "labour share of GDP",
    "T8": "dibao growth / income growth",
    "T9": "top/bottom 20% ratio change",
    "T10": "income / GDP per capita change",
}


#: The columns of a target table that its renderings read.
TARGET_TABLE_COLUMNS = (
    "description",
    "unit",
    "comparison",
    "value",
    "target",
    "met",
    "gap",
)


#: The comparison column of a table beside a baseline: a status quo's, or that
#: of another scenario given as the reference (report._reference_column).
_REFERENCE_COLUMNS = ("status_quo", "reference")


def _target_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    ref = next((c for c in _REFERENCE_COLUMNS if c in table.columns), None)
    has_sq = ref is not None
    header = [
        "",
        "indicator",
        *([cast(str, ref).replace("_", " ")] if has_sq else []),
        "value",
        "goal",
        "met",
        "gap",
    ]
    rows = []
    for tid, row in table.iterrows():
        unit = unit_key(row["unit"])
        values = [row["value"], *([row[ref]] if has_sq else [])]
        texts, target, extra = _values_and_goal(values, row["target"], unit)
        goal = f"{_CMP.get(str(row['comparison']), row['comparison'])} {target}"
        if unit == "ratio change":
            goal = f"{row['comparison']} 0 (trend)"
        rows.append(
            [
                str(tid),
                _SHORT.get(str(tid), str(row["description"])),
                *texts[1:],
                texts[0],
                goal,
                _met(row["met"]),
                _gap(row["gap"], unit, row["met"], extra),
            ]
        )
    return header, rows


def format_target_table(table: pd.DataFrame) -> str:
    """Plain-text (ASCII) rendering of :func:`target_table` for a terminal.

    Parameters
    ----------
    table : pandas.DataFrame
        A target table (:func:`~commonprosperity.targets.evaluate_targets`).

    Returns
    -------
    str
        One line per target: value, target, met, gap (in the target's unit).

    Examples
    --------
    >>> from commonprosperity.targets import evaluate_targets
    >>> t = evaluate_targets({"per_capita_disposable_income": 70_000.0})
    >>> print(format_target_table(t).splitlines()[2])
    T1    per-capita disposable income (yuan)   70,000     >= 75,000   NO    5,000
    """
    check_frame(table, "table", "format_target_table", TARGET_TABLE_COLUMNS)
    header, rows = _target_rows(table)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {
        i
        for i, h in enumerate(header)
        if h in ("status quo", "reference", "value", "goal", "gap")
    }

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "   ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _short_source(source: str, width: int = 70) -> str:
    s = " ".join(str(source).split())
    return s if len(s) <= width else s[: width - 3] + "..."


def weak_frame(values: Any, skip: Any = ()) -> pd.DataFrame:
    """C- and R-graded values as a table ``key, value, grade, source``.

    ``values``: mappings or objects with those four fields (a result's
    provenance, or ``Scenario.weak_values()``); keys in ``skip`` (those another
    table already lists, or a sweep's levers) are left out.
    """
    rows = [
        v if isinstance(v, Mapping) else {k: getattr(v, k) for k in _WEAK_COLUMNS}
        for v in values
    ]
    skipped = set(skip)
    rows = [r for r in rows if r["key"] not in skipped]
    return pd.DataFrame(rows, columns=list(_WEAK_COLUMNS))


_WEAK_COLUMNS = ("key", "value", "grade", "source")


def weak_markdown(weak: pd.DataFrame) -> str:
    """A report's Markdown table of :func:`weak_frame`, values as numbers read."""
    return markdown_table(weak.assign(value=weak["value"].map(_number)), index=False)


def weak_lines(weak: pd.DataFrame) -> list[str]:
    """A terminal's lines for :func:`weak_frame`: grade, key, value, short source."""
    return [
        f"  [{v['grade']}] {v['key']} = {_number(v['value'])}: "
        f"{_short_source(v['source'])}"
        for _, v in weak.iterrows()
    ]


def _change(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "share":
        return f"{100 * float(v):+.2f} pp"
    if unit == "yuan":
        return f"{float(v):+,.0f}"
    return f"{float(v):+.4f}"


def _number(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()  # a number given as a 0-d array
    # A list lever read back from Parquet holds arrays, not tuples.
    if isinstance(v, list | tuple | np.ndarray):
        return "[" + ", ".join(_number(x) for x in v) + "]"
    if v is pd.NA:
        # A lever a sweep did not have, in frames of two sweeps concatenated.
        return "n/a"
    # bool first: float(True) printed a switch as "1"; NaN and inf crashed int().
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return str(v)
    f = float(v)
    if not math.isfinite(f):
        return "n/a" if math.isnan(f) else str(f)
    if f == int(f) and abs(f) >= 1000:
        return f"{f:,.0f}"
    if abs(f) >= 1000:
        # The value's own decimals (up to 6, more if they do not read back as
        # it): six significant digits printed a swept 2,790.736842 as
        # 2,790.74, a lever value no one could re-run.
        return typed_back(f, with_own_decimals(f))
    return typed_back(f, f"{f:,.6g}")


# ----------------------------------------------------------------- markdown
def markdown_table(
    frame: pd.DataFrame, *, index: bool = True, formats: Mapping[str, str] | None = None
) -> str:
    """Render a frame as a GitHub-flavoured Markdown table (no extra dependency).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; numbers shown to 6 significant digits unless ``formats``.
    index : bool, default True
        Whether to write the index as the first column.
    formats : mapping of str to str, optional
        A format spec per column (``{"share": ".3f"}``).

    Returns
    -------
    str

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [1.5]}, index=["x"])))
    |  | a |
    |---|---|
    | x | 1.5 |
    """
    check_frame(frame, "frame", "markdown_table")
    check_flag(index, "index", "markdown_table")
    if formats is None:
        formats = {}
    if not isinstance(formats, Mapping) or not all(
        isinstance(spec, str) for spec in formats.values()
    ):
        raise ArgumentTypeError(
            "markdown_table: formats must be a mapping of column to format spec "
            f"(e.g. {{'share': '.3f'}}); got {quoted(formats)}"
        )
    formats = dict(formats)
    cols = list(frame.columns)
    header = ([str(frame.index.name or "")] if index else []) + [str(c) for c in cols]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for idx, row in frame.iterrows():
        cells = [str(idx)] if index else []
        for c in cols:
            v = row[c]
            if c in formats and isinstance(v, int | float) and not pd.isna(v):
                try:
                    cells.append(format(v, formats[c]))
                except ValueError as e:
                    raise ArgumentError(
                        f"markdown_table: formats[{c!r}] = {formats[c]!r} cannot "
                        f"format the value {v!r} of row {idx!r} ({e})"
                    ) from None
            elif isinstance(v, float) and math.isfinite(v):
                # Not repr's 17 digits (0.35230727215800284, 1000.0).
                cells.append(f"{v:,.0f}" if v.is_integer() else f"{v:.6g}")
            else:
                cells.append(
                    ""
                    if v is None or (not isinstance(v, str) and pd.isna(v))
                    else str(v).replace("|", "\\|")
                )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def output_names(tables: Iterable[str], figures: Iterable[str]) -> list[str]:
    """Every file name of an output: the tables, and each figure in every format."""
    return [*tables, *(f"{f}.{ext}" for f in figures for ext in FORMATS_ALLOWED)]


#: The files of a run's output (``write_run``) and of a sweep's (``write_sweep``),
#: and how each one's report.md begins.
RUN_FILES = output_names(
    (
        "indicators.csv",
        "targets.csv",
        "fiscal.csv",
        "deciles.csv",
        "winners_losers.csv",
        "report.md",
    ),
    ("dashboard", "lorenz", "income_distribution", "cities"),
)
SWEEP_FILES = output_names(
    ("sweep.csv", "sweep.parquet", "report.md"), ("heatmap", "frontier")
)


def markdown_text(text: str) -> str:
    r""":func:`plain_text` for report.md: no HTML, image or link of its own.

    ``&``, ``<`` and ``>`` as entities, ``\``, ``[`` and ``]`` escaped. A file
    name holding ``<img src=x onerror=...>`` or a newline and ``#`` was raw HTML,
    or a heading of its own, in the report; a file's source holding
    ``![t](https://...)`` an image every viewer fetched.
    """
    one = plain_text(text).replace("\\", "\\\\")
    for char, shown in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        one = one.replace(char, shown)
    return one.replace("[", "\\[").replace("]", "\\]")


def code_block(text: str) -> list[str]:
    """Lines of a fenced code block holding ``text`` as typed (controls escaped).

    The fence is longer than any run of backticks in the text, which would
    otherwise close it (CommonMark).
    """
    text = shown_escapes(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


RUN_HEADING = "# commonprosperity report: "
SWEEP_HEADING = "# commonprosperity sweep report: "
#: Each kind's files by the first words of its report.md (``staged_directory``).
OUTPUTS = {RUN_HEADING: RUN_FILES, SWEEP_HEADING: SWEEP_FILES}


def warnings_markdown(warnings: Sequence[str], where: str) -> list[str]:
    """The report's lines listing the warnings a run gave ([] for none)."""
    if isinstance(warnings, str) or not isinstance(warnings, Sequence):
        raise ArgumentTypeError(
            f"{where}: warnings must be a sequence of str; got {quoted(warnings)}"
        )
    for w in warnings:
        check_text(w, "each of warnings", where, optional=False)
    if not warnings:
        return []
    return [
        "## Warnings given while it ran",
        "",
        *(f"- {plain_text(w)}" for w in warnings),
        "",
    ]


@contextlib.contextmanager
def recording_warnings(given: Sequence[str]) -> Iterator[Callable[[], tuple[str, ...]]]:
    """Yield ``said()``: ``given`` and the warnings given inside so far, once each.

    Every warning given inside is passed on when the block ends. The figures' own
    warnings (a name drawn with '?' for want of a font) were on the terminal
    only, not in the report.md beside the figures.
    """
    # Where the writer was called: the warnings are given there when the block
    # ends (from its exit they all pointed at contextlib).
    place = user_place()
    seen: list[warnings_module.WarningMessage] = []
    failed = False
    try:
        # This thread's warnings only: another thread's were listed in this
        # report and never reached that thread.
        with this_threads_warnings() as caught:

            def said() -> tuple[str, ...]:
                texts = (" ".join(str(w.message).split()) for w in caught)
                return tuple(dict.fromkeys([*given, *texts]))

            try:
                yield said
            finally:
                seen = list(caught)
    except BaseException:
        failed = True
        raise
    finally:
        # Passed on after the filters are restored, so that they decide (an
        # error under "error", once per place by default), on failure too; then
        # an "error" filter's warning must not replace the exception on its way
        # out (a Ctrl-C became a UserWarning).
        for w in seen:
            warn_at(place, str(w.message), w.category, keep_going=failed)


def toml_section(title: str, scenario: Any) -> list[str]:
    """Markdown lines of a heading and ``scenario``'s every field as TOML."""
    return [title, "", "```toml", scenario.to_toml().rstrip(), "```", ""]
