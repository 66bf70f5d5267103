"""Warnings attributed to the user's line, not to the library's."""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _in_package(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first caller outside this package.

    A fixed ``stacklevel`` pointed into the library wherever a measure was
    reached through a wrapper or a ``Result`` method; Python's default filter
    shows a warning once per message and place, so the user's second call, from
    another line, was not warned at all. Inside :func:`each_once` the warning is
    kept and issued when the block ends.
    """
    level = 2  # warn_user's caller
    frame = sys._getframe(1)
    while frame.f_back is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    deferred = _DEFERRED.get()
    if deferred is None:
        warnings.warn(message, category, stacklevel=level)
    else:
        # The place as it is now: the frame's line moves on before the block ends.
        deferred.append(
            (
                message,
                category,
                frame.f_code.co_filename,
                frame.f_lineno,
                frame.f_globals,
            )
        )


#: Held by the blocks that record others' warnings with ``catch_warnings`` (the
#: report's figures, the Stata reader's text): it swaps the process's warning
#: state, and two such blocks interleaved in two threads left a recorder in place
#: for good. One at a time, they restore what they found.
RECORDING = threading.RLock()

#: The warnings :func:`each_once` holds back in this thread (or task), or None
#: outside it: per context, so other threads' warnings are not touched.
_DEFERRED: ContextVar[list[tuple[Any, ...]] | None] = ContextVar(
    "commonprosperity_deferred_warnings", default=None
)


@contextmanager
def each_once() -> Iterator[None]:
    """Issue the library's warnings of the block once each, after it.

    Once by category and text: a step repeated year by year (``project`` to
    2050 with a growth of 0.9) gave the same warning 26 times. They are issued
    when the block ends, at the places they name, under the caller's filters.
    The library's own (:func:`warn_user`) are held back in a context variable:
    recorded with ``warnings.catch_warnings``, which swaps the process's
    warning state, two threads' blocks interleaved and left every later warning
    of the process in a list no one read.
    """
    if _DEFERRED.get() is not None:
        yield  # inside another such block, which issues them
        return
    deferred: list[tuple[Any, ...]] = []
    token = _DEFERRED.set(deferred)
    # Issued on an error too: a warning can explain it (growth read as +90 % a
    # year, then incomes beyond the limits). But not in its place: under an
    # "error" filter the warning raised replaced the exception (a Ctrl-C became
    # a UserWarning that `except Exception` swallowed).
    try:
        yield
    except BaseException:
        _DEFERRED.reset(token)
        _issue_once(deferred, keep_going=True)
        raise
    _DEFERRED.reset(token)
    _issue_once(deferred, keep_going=False)


def _issue_once(deferred: list[tuple[Any, ...]], *, keep_going: bool) -> None:
    """Issue each held-back warning once, where it was raised.

    ``keep_going``: an exception is on its way out, which a warning raised
    under an "error" filter must not replace; such warnings are dropped.
    """
    seen = set()
    for message, category, filename, lineno, module_globals in deferred:
        if (category, message) in seen:
            continue
        seen.add((category, message))
        try:
            # What warnings.warn does with the frame it finds. Not the frame's
            # globals as module_globals, which warnings.warn does not pass either:
            # under `python -c` or a script on stdin, __main__'s loader cannot give
            # its source and the warning raised ImportError instead.
            warnings.warn_explicit(
                message,
                category,
                filename,
                lineno,
                module_globals.get("__name__"),
                module_globals.setdefault("__warningregistry__", {}),
            )
        except Exception:
            if not keep_going:
                raise


def warnings_once(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its warnings issued once each (:func:`each_once`)."""

    @functools.wraps(function)
    def once(*args: Any, **kwargs: Any) -> Any:
        with each_once():
            return function(*args, **kwargs)

    return once
