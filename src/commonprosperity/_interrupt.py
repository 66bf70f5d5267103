"""Ctrl-C that reached Python inside a Numba call, told apart from a real failure.

A KeyboardInterrupt raised while Numba's dispatcher runs Python code (unpickling
a compiled function's constants) comes back as ``SystemError: CPUDispatcher(...)
returned a result with an exception set``, the interrupt as its cause: code
catching KeyboardInterrupt (the command line exits 130 on it) missed it.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, cast

from commonprosperity._warn import F


def _in_chain(
    exc: BaseException, kinds: tuple[type[BaseException], ...]
) -> BaseException | None:
    """The first of ``exc`` and its causes and contexts that is one of ``kinds``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is a KeyboardInterrupt or was caused by one (any depth)."""
    return _in_chain(exc, (KeyboardInterrupt,)) is not None


def stop_in(exc: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or SystemExit ``exc`` is or was caused by, or None.

    A signal handler's ``SystemExit`` (SIGTERM) raised inside a Numba call comes
    back wrapped as a Ctrl-C does; a runner that reports failures and goes on
    must stop on it instead.
    """
    return _in_chain(exc, (KeyboardInterrupt, SystemExit))


def interruptible(function: F) -> F:
    """``function`` with a stop that Numba wrapped in ``SystemError`` unwrapped.

    A Ctrl-C during ``simulate``, ``bootstrap`` or ``solve`` came back, one time
    in ten, as ``SystemError: CPUDispatcher(...) returned a result with an
    exception set``: an ``Exception``, which a service loop's ``except
    Exception`` swallowed instead of stopping. It is raised again as the
    KeyboardInterrupt (or SIGTERM handler's SystemExit) it was.
    """

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        # A stop already being handled when the call began (the caller's own
        # `except KeyboardInterrupt:` block) is in every later exception's
        # context: it did not stop this call.
        handled = sys.exc_info()[1]
        try:
            return function(*args, **kwargs)
        except SystemError as exc:
            stop = stop_in(exc)
            if stop is None or stop is handled:
                raise
            raise type(stop)(*stop.args) from exc

    return cast(F, call)
