"""Warnings attributed to the user's line, not to the library's."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _in_package(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first caller outside this package.

    A fixed ``stacklevel`` pointed into the library wherever a measure was
    reached through a wrapper or a ``Result`` method; Python's default filter
    shows a warning once per message and place, so the user's second call, from
    another line, was not warned at all.
    """
    level = 2  # warn_user's caller
    frame = sys._getframe(1)
    while frame.f_back is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


@contextmanager
def each_once() -> Iterator[None]:
    """Issue the warnings of the block once each (by category and text), after it.

    A step repeated year by year (``project`` to 2050 with a growth of 0.9)
    gave the same warning 26 times. The warnings are issued when the block
    ends, at the places they name, under the caller's filters.
    """
    # Issued on an error too: a warning can explain it (growth read as +90 % a
    # year, then incomes beyond the limits).
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        seen = set()
        for w in caught:
            key = (w.category, str(w.message))
            if key not in seen:
                seen.add(key)
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def warnings_once(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its warnings issued once each (:func:`each_once`)."""

    @functools.wraps(function)
    def once(*args: Any, **kwargs: Any) -> Any:
        with each_once():
            return function(*args, **kwargs)

    return once
