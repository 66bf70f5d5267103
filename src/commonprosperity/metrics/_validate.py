"""Boundary validation shared by the public measures.

Every public measure passes its inputs through these helpers before it calls a
kernel: they coerce to contiguous float64 *without writing to the caller's
arrays* (a copy is made only when the dtype or layout requires one) and raise
:class:`~commonprosperity.errors.MeasureError` naming the argument, what is allowed
and what was found, listing every problem of one argument at once.
"""

from __future__ import annotations

import decimal
import functools
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from commonprosperity._kernels.inequality import weighted_totals
from commonprosperity._validate import (
    as_float,
    beyond_float64,
    is_real,
    masked_problem,
    quoted,
)
from commonprosperity._warn import warn_user
from commonprosperity.errors import MeasureError

__all__ = [
    "aligned",
    "as_scalar",
    "as_values",
    "as_weight",
    "normalised",
    "positive_mean",
    "pow2_normalised",
    "pow2_normalised_weight",
    "require_positive",
    "scaled_positive_mean",
    "warn_negative",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


F = TypeVar("F", bound=Callable[..., Any])


def _labelled(arguments: Mapping[str, Any]) -> list[tuple[str, pd.Index]]:
    """The indexes of the pandas Series and frames among a call's arguments."""
    found = []
    for name, value in arguments.items():
        if isinstance(value, pd.Series | pd.DataFrame):
            found.append((name, value.index))
        elif isinstance(value, Mapping):
            found += [
                (f"{name}[{key!r}]", v.index)
                for key, v in value.items()
                if isinstance(v, pd.Series)
            ]
    return found


def aligned(function: F) -> F:
    """Refuse labelled arguments (pandas Series) whose indexes differ.

    The measures pair rows by position; two Series with the same labels in
    another order (or other labels) were paired silently, where pandas would
    align them by label (a weighted mean of 12.5 for pandas' 17.5).
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            arguments = signature.bind_partial(*args, **kwargs).arguments
        except TypeError:
            return function(*args, **kwargs)  # Python's own message
        labelled = _labelled(arguments)
        first, first_index = labelled[0] if labelled else (None, None)
        for name, index in labelled[1:]:
            if not index.equals(first_index):
                raise MeasureError(
                    f"{first} and {name} are pandas objects with different indexes "
                    "(other labels, or the same in another order); the measures "
                    "pair rows by position, not by label. Align them first (e.g. "
                    f"{name}.reindex({first}.index)) or pass NumPy arrays"
                )
        return function(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _where(mask: np.ndarray, values: np.ndarray) -> str:
    """Describe the first offending element and how many there are."""
    idx = np.flatnonzero(mask)
    first = int(idx[0])
    text = f"got {float(values[first])!r} at index [{first}]"
    if idx.size > 1:
        text += f" ({idx.size} such elements in total)"
    return text


def _first_non_number(arr: np.ndarray) -> str:
    """`` with VALUE at index [i]`` for the first non-number of a 1-D object array.

    A list with a ``None`` or ``pd.NA`` (a missing value) becomes an object
    array; the message then names the missing value and where it is.
    """
    if arr.dtype.kind != "O" or arr.ndim != 1:
        return ""
    for i, v in enumerate(arr):
        # Decimals (a Parquet decimal column) are numbers, as populations read
        # them, though not numbers.Real.
        if not (is_real(v) or isinstance(v, decimal.Decimal)):
            return f" with {v!r} at index [{i}]"
    return ""


def as_values(x: ArrayLike, name: str) -> FloatArray:
    """Return ``x`` as a non-empty, finite, contiguous 1-D float64 array.

    Parameters
    ----------
    x : array_like
        Real numbers (bool, int or float dtype, or objects that are real numbers;
        a list or a pandas Series is fine).
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray of float64
        ``x`` itself when it already is contiguous float64, else a converted copy.

    Raises
    ------
    MeasureError
        If ``x`` is not 1-D real numbers, is empty or holds ``nan`` or ``inf``.
    """
    if (problem := masked_problem(name, x)) is not None:
        raise MeasureError(problem)
    values: Any = x.array if isinstance(x, pd.Series | pd.Index) else x
    # A nullable column's NA, or a pyarrow array's null, became nan in NumPy and
    # was named "nan".
    missing = None
    if (
        isinstance(values, pd.api.extensions.ExtensionArray)
        and not isinstance(values, pd.arrays.NumpyExtensionArray)
        and values.ndim == 1
    ):
        missing = np.asarray(pd.isna(values), dtype=bool)
    elif type(values).__module__.startswith("pyarrow") and getattr(
        values, "null_count", None
    ):
        missing = np.asarray(values.is_null().to_numpy(zero_copy_only=False))
    if missing is not None and missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise MeasureError(
            f"{name} must not have missing (NA) elements; got "
            f"{int(missing.sum())} missing, the first at index [{first}]"
        )
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise MeasureError(
            f"{name} must be a 1-D array of real numbers; got {type(x).__name__}"
        ) from exc
    if arr.dtype.kind == "O" and arr.ndim == 1 and not _first_non_number(arr):
        # Numbers held as objects (a pandas column of mixed ints and floats, of
        # Decimals), as populations take them; an int beyond floats is inf.
        converted = np.array([as_float(v) for v in arr], dtype=np.float64)
        huge = np.isinf(converted) & np.array(
            [not (isinstance(v, float) and math.isinf(v)) for v in arr], dtype=bool
        )
        if huge.any():
            # 10**400 is no inf: say what it is.
            first = int(np.flatnonzero(huge)[0])
            raise MeasureError(
                f"{name} must be within float64's range (±1.8e308) for every "
                f"element; got {quoted(arr[first])} at index [{first}]"
            )
        arr = converted
    if arr.dtype.kind not in "biuf":
        raise MeasureError(
            f"{name} must be a 1-D array of real numbers; got dtype {arr.dtype}"
            + _first_non_number(arr)
        )
    if arr.ndim != 1:
        raise MeasureError(f"{name} must be 1-D; got an array of shape {arr.shape}")
    if arr.size == 0:
        raise MeasureError(f"{name} must have at least one element; got an empty array")
    huge = beyond_float64(arr)
    if huge is not None and huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise MeasureError(
            f"{name} must be within float64's range (±1.8e308) for every "
            f"element; got {arr[first]!r} at index [{first}]"
        )
    out = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        raise MeasureError(
            f"{name} must be finite (no nan or inf) for every element; "
            f"{_where(bad, out)}"
        )
    return out


def as_weight(
    weight: ArrayLike | None, n: int, name: str = "weight", of: str = "income"
) -> FloatArray:
    """Return validated frequency weights for ``n`` rows.

    Parameters
    ----------
    weight : array_like or None
        Frequency weights (a weight of 2 counts the row twice); ``None`` means
        equal weights. Zero weights are allowed as long as the sum is positive.
    n : int
        Number of rows the weights must match.
    name, of : str
        Argument names used in error messages.

    Returns
    -------
    ndarray of float64
        The weights (a new array of ones when ``weight`` is None).

    Raises
    ------
    MeasureError
        On a length mismatch, non-finite or negative weights, or a zero sum. All
        problems found are reported in one message.
    """
    if weight is None:
        return np.ones(n)
    w = as_values(weight, name)
    if w.shape[0] != n:
        raise MeasureError(
            f"{name} must have the same length as {of} ({n}); got length {w.shape[0]}"
        )
    negative = w < 0
    if negative.any():
        raise MeasureError(
            f"{name} must be >= 0 for every element; {_where(negative, w)}"
        )
    with np.errstate(over="ignore"):
        total = float(np.sum(w))
    if not total > 0:
        raise MeasureError(
            f"{name} must have a positive sum (zero weights are allowed, but not "
            f"all of them); got sum {total!r}"
        )
    if not np.isfinite(total):
        # Finite weights whose sum overflows (three of 1e308): the measures do
        # not depend on the weights' scale, so they are scaled by a power of two
        # (exact), as weights of 1e-300 are.
        w = pow2_normalised_weight(w)
    return w


def as_scalar(
    value: Any,
    name: str,
    *,
    low: float = -np.inf,
    high: float = np.inf,
    low_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a float checked against ``[low, high]``.

    Parameters
    ----------
    value : Any
        A real number.
    name : str
        Argument name used in error messages.
    low, high : float
        Allowed range (closed unless ``low_open``).
    low_open : bool
        Whether ``low`` itself is excluded.
    allow_inf : bool
        Whether ``+inf`` / ``-inf`` are accepted.

    Returns
    -------
    float
        The validated number.

    Raises
    ------
    MeasureError
        If ``value`` is not a real number (text and booleans are refused) or lies
        outside the range.
    """
    # Text and booleans convert to floats ("5" -> 5.0, True -> 1.0) but are not
    # numbers an economist meant: refused, not converted. A 0-d array is its
    # item (np.array(True) passed as epsilon=1); durations are no numbers.
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, str | bytes | bool | np.bool_ | np.timedelta64):
        raise MeasureError(f"{name} must be a real number; got {quoted(value)}")
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise MeasureError(
            f"{name} must be a real number; got {quoted(value)}"
        ) from exc
    except OverflowError:
        # An int beyond any float (10**400): a bare OverflowError.
        raise MeasureError(
            f"{name} must be a finite number; got {quoted(value)}"
        ) from None
    if np.isnan(out) or (np.isinf(out) and not allow_inf):
        raise MeasureError(f"{name} must be a finite number; got {quoted(out)}")
    below = out <= low if low_open else out < low
    if below or out > high:
        left = "(" if low_open else "["
        # An infinite bound that is refused is an open end: (0.0, inf).
        right = ")" if np.isinf(high) and not allow_inf else "]"
        raise MeasureError(
            f"{name} must be in {left}{low!r}, {high!r}{right}; got {quoted(out)}"
        )
    return out


#: Magnitudes inside this range are left alone by :func:`pow2_normalised`.
_SAFE_LOW = 2.0**-64
_SAFE_HIGH = 2.0**64


def _magnitude(a: FloatArray) -> float:
    return max(float(np.max(a)), -float(np.min(a))) if a.shape[0] else 0.0


def positive_weight_rows(
    w: FloatArray, *columns: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """The rows of positive weight: zero-weight rows are ignored, as documented.

    Kept, a zero-weight row at ±1.7e308 made a gap of inf (0 × inf a NaN Gini),
    overflowed a sum of sources or the scaling, and came back as a NaN index
    without a word.
    """
    keep = w > 0
    return [c[keep] for c in columns], w[keep]


def pow2_normalised(
    a: FloatArray, weight: FloatArray | None = None
) -> tuple[FloatArray, int]:
    """Return ``a`` scaled by a power of two so that its largest magnitude is near 1.

    Parameters
    ----------
    a : ndarray of float64
        Finite values (incomes in yuan, or weights).
    weight : ndarray of float64, optional
        Weights of ``a``'s rows: the scale is then read from the positively
        weighted rows only, so a zero-weight row of 1e300 does not push the
        others into underflow; a zero-weight row that the scaling overflows
        becomes 0 (it weighs nothing in any measure, and ``inf`` made the
        measures ``nan``: ``0 * inf``).

    Returns
    -------
    scaled : ndarray of float64
        ``a`` itself when its largest magnitude lies in ``[2**-64, 2**64]`` (or is
        zero or not finite), else ``a * 2**-k`` with ``k`` the binary exponent of
        that magnitude.
    k : int
        The exponent removed (0 when ``a`` is returned as is).

    Notes
    -----
    Every measure that calls this is invariant to scaling incomes (or weights)
    by a constant, and a power of two rescales every float exactly, so the
    result is unchanged wherever it was already computable. Without it sums such
    as ``sum(w * x)``, ``W * X`` or squared deviations overflow for incomes near
    1e300 and underflow for incomes or weights near 1e-200, which gave ``nan``,
    0 or a ``ZeroDivisionError`` from a kernel instead of the scale-free value.
    """
    top = _magnitude(a)
    if weight is not None and not _SAFE_LOW <= top <= _SAFE_HIGH:
        with np.errstate(invalid="ignore"):
            top = _magnitude(a[weight > 0])
    if top == 0.0 or _SAFE_LOW <= top <= _SAFE_HIGH or not np.isfinite(top):
        return a, 0
    _, exponent = np.frexp(top)
    with np.errstate(over="ignore"):
        scaled = np.ldexp(a, -int(exponent))
    if weight is not None:
        huge = ~np.isfinite(scaled)
        if huge.any():  # only zero-weight rows: the others set the scale
            scaled = np.where(huge, 0.0, scaled)
    return scaled, int(exponent)


def pow2_normalised_weight(w: FloatArray) -> FloatArray:
    """Weights scaled by :func:`pow2_normalised`, none of them lost to underflow.

    Raises
    ------
    MeasureError
        If a positive weight is more than about 1e308 times smaller than the
        largest: scaled, it underflowed to 0 or lost its bits, and its row
        counted as unweighted, silently (a CV of 0.0 for 1.0).
    """
    scaled, exponent = pow2_normalised(w)
    lost = (w > 0) & (np.ldexp(scaled, exponent) != w)
    if exponent != 0:
        # Made subnormal by the scaling (2**-52 beside 1e300): exact, but the
        # sums then lost its bits (a coefficient of variation 3e-8 off).
        lost |= (scaled > 0) & (scaled < np.finfo(np.float64).tiny)
    if lost.any():
        raise MeasureError(
            "weight spans more than a float can hold side by side: scaled so "
            f"that its largest ({_magnitude(w)!r}) is near 1, smaller weights "
            f"underflow ({_where(lost, w)}); rescale or drop the negligible "
            "weights (or set them to 0)"
        )
    return scaled


def normalised(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """``(x / 2**k, w / 2**j, k)``: both by :func:`pow2_normalised`.

    For measures that are scale free in both; ``k`` restores the values' unit.
    """
    xs, k = pow2_normalised(x, w)
    return xs, pow2_normalised_weight(w), k


def scaled_positive_mean(
    x: FloatArray, w: FloatArray, name: str, measure: str
) -> tuple[FloatArray, FloatArray, float, float]:
    """:func:`normalised` values and weights, requiring a positive weighted mean.

    Parameters
    ----------
    x, w : ndarray of float64
        Validated values and weights.
    name, measure : str
        Argument and measure names used in the error message.

    Returns
    -------
    tuple
        ``(x_scaled, w_scaled, sum(w_scaled), sum(w_scaled * x_scaled))``; only
        scale-free measures may use the scaled arrays.

    Raises
    ------
    MeasureError
        If the weighted mean of ``x`` is not positive (reported in the unit of
        ``x``, not the scaled one).
    """
    xs, ws, k = normalised(x, w)
    total_w, total_x = positive_mean(xs, ws, name, measure, exponent=k)
    return xs, ws, total_w, total_x


def require_positive(x: FloatArray, w: FloatArray, name: str, measure: str) -> None:
    """Raise unless every positively weighted element of ``x`` is ``> 0``.

    Parameters
    ----------
    x, w : ndarray of float64
        Values and weights; rows of zero weight are ignored.
    name, measure : str
        Argument and measure names used in the error message.

    Raises
    ------
    MeasureError
        Naming the count of non-positive values and the first of them.
    """
    bad = (x <= 0) & (w > 0)
    if bad.any():
        raise MeasureError(
            f"{measure} is defined only for {name} > 0 (it takes logarithms or "
            f"negative powers); found {int(bad.sum())} non-positive value(s): "
            f"{_where(bad, x)}"
        )


def warn_negative(x: FloatArray, w: FloatArray, name: str, measure: str) -> None:
    """Warn, at the user's call, about negative values."""
    negative = (x < 0) & (w > 0)
    if negative.any():
        warn_user(
            f"{name} has {int(negative.sum())} negative value(s); {measure} is still "
            "computed from its definition, but it is no longer bounded by 1 and "
            "loses its usual interpretation"
        )


def positive_mean(
    x: FloatArray, w: FloatArray, name: str, measure: str, exponent: int = 0
) -> tuple[float, float]:
    """Return compensated ``(sum w, sum w x)``, raising unless the mean is > 0.

    Parameters
    ----------
    x, w : ndarray of float64
        Validated values and weights.
    name, measure : str
        Argument and measure names used in the error message.
    exponent : int
        ``x`` is the caller's values over ``2**exponent`` (:func:`normalised`);
        the error reports the mean in the caller's unit.

    Returns
    -------
    tuple of float
        ``(sum(w), sum(w * x))``.

    Raises
    ------
    MeasureError
        If the weighted mean of ``x`` is not positive.
    """
    total_w, total_x = weighted_totals(x, w)
    if not total_x > 0:
        raise MeasureError(
            f"{measure} requires a positive weighted mean of {name}; got mean "
            f"{float(np.ldexp(total_x / total_w, exponent))!r}"
        )
    return float(total_w), float(total_x)
