"""Small helpers that format validation problems the same way everywhere."""

from __future__ import annotations

import decimal
import math
import numbers
import re
from collections.abc import Sequence
from typing import Any, TypeGuard, cast

import numpy as np
import pandas as pd

from commonprosperity.errors import ArgumentError, ArgumentTypeError

__all__ = [
    "INCOME_TO_GDP_RANGE",
    "LEAST_LABOUR_SHARE",
    "as_float",
    "check_flag",
    "check_frame",
    "check_text",
    "describe_rows",
    "income_to_gdp_problem",
    "is_integer",
    "is_number",
    "is_real",
    "joined_problems",
    "labour_share_problem",
    "masked_as_missing",
    "masked_problem",
    "positive_yuan_problem",
    "quoted",
    "quoted_items",
    "quoted_mapping",
    "seed_problem",
]

#: Labour compensation below this share of GDP is taken for a unit mix-up.
LEAST_LABOUR_SHARE = 0.01

#: The largest float64: a number beyond it cannot be held (:func:`beyond_float`).
FLOAT_MAX = float(np.finfo(np.float64).max)


#: Registered as numbers but none: NumPy's timedelta64 is an integer type (5 ns
#: passed as 5), and bools are ints.
_NUMBER_LOOKALIKES = (bool, np.bool_, np.timedelta64)


def wider_than_float64(values: np.ndarray) -> bool:
    """Whether ``values`` are floats of more precision or range than float64."""
    return values.dtype.kind == "f" and values.dtype.itemsize > 8


def beyond_float64(values: np.ndarray) -> np.ndarray | None:
    """Where finite ``values`` of a wider float (float128) exceed float64, or None.

    Cast to float64 they became inf, with NumPy's overflow warning, and were
    reported as "got inf". None for any other dtype (nothing to exceed).
    """
    if not wider_than_float64(values):
        return None
    beyond: np.ndarray = np.isfinite(values) & (
        np.abs(values) > np.finfo(np.float64).max
    )
    return beyond


def masked_as_missing(values: Any, ragged: bool = False) -> np.ndarray:
    """``np.asarray(values)``, with a masked array's masked entries as None.

    ``np.asarray`` drops the mask: the values under it (which the user marked
    as missing) were read as data. As None they are missing to ``pd.isna``, and
    the caller's check of missing values reports them. With ``ragged``, a ragged
    sequence is one object per row, for the caller's check of the values.
    """
    if isinstance(values, np.ma.MaskedArray) and np.ma.getmaskarray(values).any():
        out = np.array(values.data, dtype=object)
        out[np.ma.getmaskarray(values)] = None
        return out
    try:
        return np.asarray(values)
    except ValueError:
        # A ragged list ([(0, 1), (1,), ...]): NumPy's bare "inhomogeneous
        # shape".
        if not ragged or not isinstance(values, Sequence):
            raise
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            out[i] = v
        return out


def masked_problem(name: str, values: Any) -> str | None:
    """What is wrong with a masked array holding masked entries, else None.

    ``np.asarray`` drops the mask and would use the masked (missing) values.
    """
    if not (isinstance(values, np.ma.MaskedArray) and np.ma.is_masked(values)):
        return None
    masked = np.ma.getmaskarray(values)
    first = int(np.flatnonzero(masked)[0]) if masked.ndim == 1 else 0
    return (
        f"{name} must not have masked (missing) elements; got "
        f"{int(masked.sum())} masked, the first at index [{first}]"
    )


def is_real(x: object) -> bool:
    """A real number, NumPy's too; not a bool, a NumPy duration or text."""
    return isinstance(x, numbers.Real) and not isinstance(x, _NUMBER_LOOKALIKES)


def is_integer(x: object) -> TypeGuard[int]:
    """An integer, NumPy's too; not a bool or a NumPy duration."""
    return isinstance(x, numbers.Integral) and not isinstance(x, _NUMBER_LOOKALIKES)


def strictly_increasing(values: np.ndarray) -> bool:
    """Whether a 1-D array increases strictly (so its values are distinct)."""
    return bool(np.all(values[1:] > values[:-1]))


def one_of(value: object, allowed: Any) -> bool:
    """Whether ``value`` is one of the strings ``allowed``.

    ``value in allowed`` on an array compared elementwise: an option given an
    array raised a bare "truth value of an array is ambiguous".
    """
    return isinstance(value, str) and value in allowed


def is_number(x: object) -> bool:
    """:func:`is_real`, or a Decimal.

    Decimals are numbers too (``Scenario.replace`` and ``household`` take them,
    and a Parquet decimal column is read as them), though not ``numbers.Real``.
    """
    return is_real(x) or isinstance(x, decimal.Decimal)


def as_float(x: object) -> float | None:
    """``float(x)`` for a number (:func:`is_number`), else None.

    An integer beyond any float (``10**400``) is ±inf, not an OverflowError; a
    signalling Decimal NaN, which float() refuses, is None.
    """
    if not is_number(x):
        return None
    try:
        return float(x)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if x > 0 else -math.inf  # type: ignore[operator]
    except (TypeError, ValueError, ArithmeticError):
        return None


def finite_float(x: object) -> float | None:
    """``float(x)`` for a finite number (:func:`as_float`), else None."""
    value = as_float(x)
    return value if value is not None and math.isfinite(value) else None


def positive_yuan_problem(name: str, value: object) -> str | None:
    """The problem with an amount of yuan that must be finite and > 0, or None."""
    number = finite_float(value)
    if number is None or not number > 0:
        return f"{name} must be a finite number of yuan > 0; got {quoted(value)}"
    return None


def beyond_float(value: object) -> bool:
    """Whether an exact number or a wider float is beyond float64's range (±1.8e308).

    An int, a Fraction (any ``numbers.Rational``), a finite Decimal, or a finite
    NumPy float wider than float64 (``np.longdouble``). float() raises
    OverflowError for such an int or Fraction and makes such a Decimal or
    long double inf, which a check for finite numbers then names as "inf", a
    value never given.
    """
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, np.floating):
        return bool(
            value.dtype.itemsize > 8
            and np.isfinite(value)
            and abs(value) > np.finfo(np.float64).max
        )
    if not isinstance(value, numbers.Rational | decimal.Decimal):
        return False
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return False
    return bool(abs(cast("Any", value)) > FLOAT_MAX)


def as_given(x: float) -> str:
    """A number as typed: the shortest text that reads back as it.

    ``:g`` printed a bad value beside the bound it broke as that bound ("1e+13
    yuan exceeds gdp 1e+13 yuan"), and a goal of 67196.14544 as 67196.1. Plain
    digits (``repr``) up to 12 characters (100000, not 1e+05); beyond, the
    shorter of them and the exponent form (5e+12 for 5000000000000).
    """
    x = float(x)
    plain = repr(x).removesuffix(".0")
    if len(plain) <= 12 or not math.isfinite(x):
        return plain
    short = next(t for p in range(1, 18) if float(t := f"{x:.{p}g}") == x)
    return short if len(short) < len(plain) else plain


def _beyond(value: float, bound: float) -> str:
    """``value`` to three figures, or as given where those read as ``bound``."""
    short = f"{value:.3g}"
    return as_given(value) if float(short) == bound else short


def labour_share_problem(
    gdp: float,
    labour_compensation: float,
    names: tuple[str, str] = ("gdp", "labour_compensation"),
) -> str | None:
    """The problem when labour compensation is no plausible part of GDP.

    Above GDP is a mix-up (e.g. the two swapped), and T7, their ratio, would read
    a share above 1 as met. Below 1 % of GDP (no economy's labour share is near
    that: Zhejiang's is about 0.45, China's 0.5) the two are in different units,
    e.g. GDP in 亿元 or 万元 and labour compensation in yuan. ``names``: what
    the caller calls GDP and labour compensation (the command line's options).
    """
    gdp_name, labour_name = names
    if labour_compensation > gdp:
        return (
            f"{labour_name} must not exceed {gdp_name} (it is a part of GDP): "
            f"{as_given(labour_compensation)} yuan exceeds {gdp_name} "
            f"{as_given(gdp)} yuan"
        )
    # The ratio judged is the ratio shown: a product compared one step below
    # it read "is 0.01 of gdp, below ... 0.01".
    if labour_compensation / gdp < LEAST_LABOUR_SHARE:
        return (
            f"{labour_name} {as_given(labour_compensation)} is "
            f"{_beyond(labour_compensation / gdp, LEAST_LABOUR_SHARE)} of "
            f"{gdp_name} {as_given(gdp)}, below the least "
            f"plausible labour share {LEAST_LABOUR_SHARE:g}: give both in yuan "
            "(1 亿元 = 1e8 yuan, 1 万元 = 1e4 yuan)"
        )
    return None


#: Per-capita disposable income ÷ per-capita GDP outside this range is taken for
#: a unit or scale mix-up (Zhejiang's is about 0.5, China's provinces 0.3–0.7).
INCOME_TO_GDP_RANGE = (0.05, 5.0)


def income_to_gdp_problem(
    name: str, gdp: float, residents: float, per_capita_income: float
) -> str | None:
    """The problem when GDP per resident is no plausible multiple of income, or None.

    GDP in 亿元 or 万元, or a population weighted to its sample rather than to the
    residents it represents, puts the ratio thousands of times off, and T10 (its
    change) would be judged on it.
    """
    if not (math.isfinite(per_capita_income) and per_capita_income > 0):
        return None  # no ratio to judge the units by (T10 reads it as it is)
    ratio = per_capita_income / (gdp / residents)
    lo, hi = INCOME_TO_GDP_RANGE
    if lo <= ratio <= hi:
        return None
    return (
        f"{name} = {as_given(gdp)} yuan over {residents:,.0f} residents is "
        f"{gdp / residents:,.6g} yuan per resident, and per-capita disposable income "
        f"{per_capita_income:,.0f} yuan is {_beyond(ratio, lo if ratio < lo else hi)} "
        "times it; a plausible ratio is "
        f"{lo:g}–{hi:g} (Zhejiang's is about 0.5): give GDP in yuan "
        "(1 亿元 = 1e8 yuan, 1 万元 = 1e4 yuan) and a population weighted to the "
        "residents it represents"
    )


def quoted(value: Any, limit: int = 60) -> str:
    """``repr(value)`` for a message, shortened past ``limit`` characters.

    A text of kilobytes (a stray note in a city column) would make a one-line
    error as long.
    """
    try:
        shown = repr(value)
    except ValueError:
        # An int beyond Python's 4,300-digit limit for conversion to text: its
        # message told the data's owner to call sys.set_int_max_str_digits().
        if isinstance(value, int):
            digits = int(abs(value).bit_length() * math.log10(2)) + 1
            return f"an integer of about {digits:,} digits"
        # Such an int inside a list or tuple (abs() of the list raised).
        return f"a {type(value).__name__} holding an integer too long to show"
    except RecursionError:
        # Lists nested some hundreds deep (JSON metadata of a file): repr's
        # own RecursionError escaped every message that quoted them.
        return f"a {type(value).__name__} nested too deep to show"
    if len(shown) <= limit:
        return shown
    if isinstance(value, int) and not isinstance(value, bool):
        # 10**400 given for an amount: its size says what went wrong.
        return f"an integer of {len(shown.lstrip('-')):,} digits"
    if type(value) in (list, tuple) and value and limit >= 8:
        # Whole items and their count: cut inside a number, 660000.0 read as
        # "66000…", and the list's length, often the problem, was not shown.
        # Only the items that can be shown are quoted (each takes 3 characters
        # or more), a list holding itself as repr does.
        items = [
            "[...]" if v is value else quoted(v, limit // 2)
            for v in value[: limit // 3 + 1]
        ]
        kept = 1
        while kept < len(items) and len(", ".join(items[: kept + 1])) <= limit - 20:
            kept += 1
        more = f", … {len(value):,} items" if kept < len(value) else ""
        lone = "," if isinstance(value, tuple) and len(value) == 1 else ""
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        text = f"{opening}{', '.join(items[:kept])}{lone}{more}{closing}"
        if len(text) <= limit + 20:
            return text
    size = len(value) if isinstance(value, str | bytes) else len(shown)
    return f"{shown[: limit - 10]}… ({size:,} characters)"


def describe_rows(
    mask: np.ndarray, values: np.ndarray | None = None, shown: int = 5
) -> str:
    """Describe where ``mask`` is true: ``rows [3, 17] (2 more); e.g. -5.0``.

    Parameters
    ----------
    mask : ndarray of bool
        Rows with the problem.
    values : ndarray, optional
        The offending column; its first offending value is quoted.
    shown : int
        How many row numbers to list before summarising.

    Returns
    -------
    str
        A short phrase naming the rows (0-based positions) and an example value.
    """
    rows = np.flatnonzero(mask)
    listed = ", ".join(str(int(r)) for r in rows[:shown])
    text = f"rows [{listed}]"
    if rows.size > shown:
        text += f" ({rows.size - shown} more)"
    if values is not None and rows.size:
        value = values[rows[0]]
        # Quote 0.0, not np.float64(0.0): the message is for the data's owner.
        if isinstance(value, np.generic):
            value = value.item()
        text += f"; got {quoted(value)}"
    return text


def public_dir(namespace: dict[str, Any]) -> list[str]:
    """A public module's ``dir()``: its ``__all__`` and dunder names.

    Tab completion offered the names its imports bring (``np``, ``quoted``,
    ``replace_atomically``) as if public.
    """
    dunder = {n for n in namespace if n.startswith("__")}
    return sorted(dunder | set(namespace["__all__"]))


def check_result(value: Any, name: str, where: str) -> None:
    """Raise a TypeError naming ``name`` unless ``value`` looks like a Result.

    Without it a wrong argument surfaced as an ``AttributeError`` deep inside
    (``'str' object has no attribute 'targets'``). Duck-typed, so that a Result
    of another installed version or a test double passes.
    """
    if not all(hasattr(value, a) for a in ("indicators", "targets", "households")):
        raise ArgumentTypeError(
            f"{where}: {name} must be a Result (from commonprosperity.simulate); "
            f"got {type(value).__name__}"
        )


def check_text(value: Any, name: str, where: str, *, optional: bool = True) -> None:
    """Raise a TypeError naming ``name`` unless ``value`` is a str (or None).

    A title, label or command of another type was drawn or written as its repr
    (``title=5``) or failed deep inside (``'int' object is not iterable``).
    """
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"{where}: {name} must be a str{' or None' if optional else ''}; "
            f"got {type(value).__name__} {quoted(value)}"
        )


def check_flag(value: Any, name: str, where: str) -> None:
    """Raise a TypeError naming ``name`` unless ``value`` is True or False.

    A flag read by truthiness takes ``"no"`` for True.
    """
    if not isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(
            f"{where}: {name} must be True or False; got {type(value).__name__} "
            f"{quoted(value)}"
        )


def not_a_pandas_frame(value: Any) -> str:
    """What ``value`` is, for "must be a pandas DataFrame; got ...".

    A polars or DuckDB frame's bare type name read "must be a pandas DataFrame;
    got DataFrame": its module is named, with the way to convert it if it has one.
    """
    kind = type(value)
    named = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    for method in ("to_pandas", "to_df"):
        if callable(getattr(value, method, None)):
            return f"{named}; convert it with .{method}()"
    return named


def check_frame(value: Any, name: str, where: str, columns: Any = ()) -> None:
    """Raise unless ``value`` is a pandas DataFrame with the ``columns`` named.

    Raises ArgumentTypeError for another type, ArgumentError for missing columns.
    """
    if not isinstance(value, pd.DataFrame):
        raise ArgumentTypeError(
            f"{where}: {name} must be a pandas DataFrame; got "
            + not_a_pandas_frame(value)
        )
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise ArgumentError(
            f"{where}: {name} lacks the column(s) {missing}; it has "
            f"{[str(c) for c in value.columns][:20]}"
        )


def seed_problem(seed: object) -> str | None:
    """The problem with a random ``seed``, or ``None``: a non-negative integer.

    ``None`` (fresh OS entropy: other numbers on every call), bools, floats and
    negative numbers are refused.
    """
    if not is_integer(seed) or seed < 0:
        return f"seed must be a non-negative integer; got {quoted(seed)}"
    return None


#: Problems listed in one error message; the rest are counted.
SHOWN_PROBLEMS = 10


def joined_problems(problems: list[str], shown: int = SHOWN_PROBLEMS) -> str:
    """The first ``shown`` problems joined by "; ", and how many more there are.

    Ten thousand bad values of one sweep range made an error line of 1.1 MB.
    """
    head = "; ".join(problems[:shown])
    more = len(problems) - shown
    return head + (f"; and {more:,} more such problems" if more > 0 else "")


def quoted_items(items: Any, shown: int = SHOWN_PROBLEMS) -> str:
    """``['a', 'b', … 10,000 in all]``: the first ``shown`` items, each quoted.

    A list of 10,000 names (or one name 10 MB long) printed whole made the
    message as long; each item through :func:`quoted`.
    """
    items = list(items)
    more = f", … {len(items):,} in all" if len(items) > shown else ""
    return "[" + ", ".join(quoted(v) for v in items[:shown]) + more + "]"


def quoted_mapping(pairs: Any, shown: int = SHOWN_PROBLEMS) -> str:
    """``{'a': 'b', … 10,000 in all}``: :func:`quoted_items` of a mapping."""
    items = list(pairs.items())
    text = ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in items[:shown])
    more = f", … {len(items):,} in all" if len(items) > shown else ""
    return "{" + text + more + "}"


#: Characters that a terminal or a reader does not show as themselves: controls
#: (an ESC in a file name cleared the screen), bidi overrides that reorder what
#: follows, line and paragraph separators. Tab and newline are whitespace,
#: collapsed by :func:`plain_text` first.
_UNSEEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060\u2066-\u2069\u2028\u2029\ufeff\ud800-\udfff]"
)


def shown_escapes(text: str) -> str:
    """``text`` with the characters no one sees as themselves written as escapes."""
    return _UNSEEN.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def plain_text(text: str) -> str:
    r"""A name or label as one line of visible text (a terminal, a heading).

    Runs of whitespace (newlines too) are one space; control characters, bidi
    overrides and lone surrogates are written as escapes (``\x1b``).
    """
    return shown_escapes(" ".join(text.split()))
