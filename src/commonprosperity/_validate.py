"""Small helpers that format validation problems the same way everywhere."""

from __future__ import annotations

import numpy as np

__all__ = ["describe_rows", "seed_problem"]


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
        text += f"; got {value!r}"
    return text


def seed_problem(seed: object) -> str | None:
    """The problem with a random ``seed``, or ``None``: a non-negative integer.

    ``None`` (fresh OS entropy: other numbers on every call), bools, floats and
    negative numbers are refused.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        return f"seed must be a non-negative integer; got {seed!r}"
    return None
