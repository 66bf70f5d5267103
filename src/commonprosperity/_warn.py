"""Warnings attributed to the user's line, not to the library's."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO, TypeVar, cast

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

#: A function, kept with its signature by the library's decorators
#: (warnings_once here, _interrupt.interruptible), for type checkers.
F = TypeVar("F", bound=Callable[..., Any])


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
    if _SILENT.get():
        return
    frame, level = _user_frame(sys._getframe(1))
    level += 2  # warn_user's caller is level 2
    deferred = _DEFERRED.get()
    if deferred is None:
        warnings.warn(_of_this_thread(message, category), stacklevel=level)
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


#: The attribute of a library warning that names the thread which gave it.
_THREAD = "_commonprosperity_thread"


def _of_this_thread(message: str, category: type[Warning]) -> Warning:
    """The warning ``category(message)``, marked with the thread giving it.

    Another library's ``catch_warnings(record=True)`` in a thread writing a
    report (the figures') caught a warning another thread gave meanwhile (the
    process has one warning state) and gave it again, from the writing thread:
    the report listed another scenario's unit slip. The mark lets
    :func:`this_threads_warnings` tell such a warning from the thread's own.
    """
    warning = category(message)
    # A category whose instances take no attributes goes unmarked (recorded as
    # before).
    with contextlib.suppress(AttributeError):
        setattr(warning, _THREAD, threading.get_ident())
    return warning


#: Held by the blocks that record others' warnings with ``catch_warnings`` (the
#: report's figures, the Stata reader's text): it swaps the process's warning
#: state, and two such blocks interleaved in two threads left a recorder in place
#: for good. One at a time, they restore what they found.
RECORDING = threading.RLock()

#: Set by :func:`silenced` in this thread (or task): the library's warnings of
#: the block are dropped. Not ``catch_warnings``, which swaps the process's
#: filters: a figure's Gini silenced other threads' unit-slip warnings with it.
_SILENT: ContextVar[bool] = ContextVar("commonprosperity_silent", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Drop the library's own warnings (:func:`warn_user`) given in the block.

    Per thread or task; other threads' warnings, and other libraries', pass.
    """
    token = _SILENT.set(True)
    try:
        yield
    finally:
        _SILENT.reset(token)


def _user_frame(frame: Any) -> tuple[Any, int]:
    """The first frame from ``frame`` outwards outside this package, and its depth.

    contextlib's frames are passed too: from a ``with`` block's ``__exit__`` the
    walk stopped there, every warning of a report at one place, which Python's
    default filter shows once.
    """
    depth = 0
    while frame.f_back is not None and (
        _in_package(frame.f_code.co_filename)
        or frame.f_code.co_filename == contextlib.__file__
    ):
        frame = frame.f_back
        depth += 1
    return frame, depth


def user_place() -> tuple[str, int, dict[str, Any]]:
    """The first caller outside this package (and contextlib): file, line, globals.

    Where a warning given later, when a ``with`` block ends, belongs.
    """
    frame, _ = _user_frame(sys._getframe(1))
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


def warn_at(
    place: tuple[str, int, dict[str, Any]],
    message: str,
    category: type[Warning],
    *,
    keep_going: bool = False,
) -> None:
    """Issue a warning at ``place`` (:func:`user_place`), as ``warnings.warn``.

    ``keep_going``: an exception is on its way out, which a warning raised
    under an "error" filter must not replace (a Ctrl-C became a UserWarning).
    """
    filename, lineno, module_globals = place
    _issue_once(
        [(message, category, filename, lineno, module_globals)], keep_going=keep_going
    )


@contextmanager
def this_threads_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning this thread gives in the block; let others' pass.

    ``catch_warnings(record=True)`` is process-wide: a report written in one
    thread listed another thread's warnings, which never reached that thread.
    Here a warning of another thread is passed on at once as the filters in
    place when the block began decide (:func:`_filtered`: ignored, raised under
    "error", once per place, module or process under "default", "module" and
    "once"). This thread's are recorded with the "always" action, so that a
    warning already shown at the same place is recorded too. Holds
    :data:`RECORDING`.

    Python's warning state is one per process: a ``catch_warnings`` block of
    another thread that begins inside this one and ends after it restores this
    block's hook. The hook then passes every warning on as above, so none is
    lost.
    """
    me = threading.get_ident()
    caught: list[warnings.WarningMessage] = []
    active = [True]
    with RECORDING, warnings.catch_warnings():
        filters = list(warnings.filters)
        pass_on = warnings.showwarning
        shown: set[tuple[Any, ...]] = set()

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if (
                active[0]
                and threading.get_ident() == me
                and getattr(message, _THREAD, me) == me
            ):
                caught.append(
                    warnings.WarningMessage(
                        message, category, filename, lineno, file, line
                    )
                )
            elif not active[0] and warnings.filters != installed:
                # Left in place after the block (restored by another thread's
                # catch_warnings), under filters the user has set since: they
                # decided, and the block's own would hide what they now show.
                pass_on(message, category, filename, lineno, file, line)
            elif _filtered(filters, shown, message, category, filename, lineno):
                pass_on(message, category, filename, lineno, file, line)

        # The hook first: between the two, another thread's warnings met the
        # "always" filter without it (a filter's "ignore" was not heeded).
        warnings.showwarning = show
        warnings.simplefilter("always")
        installed = list(warnings.filters)
        try:
            yield caught
        finally:
            active[0] = False


def _filtered(
    filters: list[Any],
    shown: set[tuple[Any, ...]],
    message: Any,
    category: type[Warning],
    filename: str,
    lineno: int,
) -> bool:
    """Whether ``filters`` show a warning, as ``warnings.warn_explicit`` decides.

    Raises it under "error". "default" and "module" are once per place and per
    module of this block (``shown``; a module's own registry is out of reach),
    "once" once per process (``warnings.onceregistry``).
    """
    text = str(message)
    module = module_of(filename)
    # Undocumented module attributes, absent from typeshed's warnings stub.
    action = warnings.defaultaction  # type: ignore[attr-defined]
    for act, msg, cat, mod, ln in filters:
        if (
            _matches(msg, text)
            and issubclass(category, cat)
            and _matches(mod, module)
            and (ln == 0 or ln == lineno)
        ):
            action = act
            break
    if action == "ignore":
        return False
    if action == "error":
        raise message if isinstance(message, Warning) else category(message)
    if action == "once":
        key: tuple[Any, ...] = (text, category)
        # onceregistry: undocumented, absent from typeshed's warnings stub.
        if key in warnings.onceregistry:  # type: ignore[attr-defined]
            return False
        warnings.onceregistry[key] = 1  # type: ignore[attr-defined]
        return True
    if action in ("default", "module"):
        key = (text, category, filename, lineno if action == "default" else 0)
        if key in shown:
            return False
        shown.add(key)
    return True


def _matches(pattern: Any, text: str) -> bool:
    """A filter's message or module pattern against ``text``, as CPython's.

    Python's own default filters hold plain strings ("__main__"), matched
    exactly; ``filterwarnings`` compiles regular expressions.
    """
    if pattern is None:
        return True
    if isinstance(pattern, str):
        return pattern == text
    return pattern.match(text) is not None


def module_of(filename: str) -> str:
    """The module name of a source file, as the warning filters see it.

    A warning passed on has lost the module it was given in: the loaded
    module with that file, else the path without ``.py`` (``warn_explicit``'s
    own fallback).
    """
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    if filename.startswith("<"):
        # `python -c` ("<string>"), stdin, an interactive prompt: code run as
        # __main__, which has no file.
        return "__main__"
    return filename[:-3] if filename.lower().endswith(".py") else filename


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
                _of_this_thread(message, category),
                category,
                filename,
                lineno,
                module_globals.get("__name__"),
                module_globals.setdefault("__warningregistry__", {}),
            )
        except Exception:
            if not keep_going:
                raise


def warnings_once(function: F) -> F:
    """``function`` with its warnings issued once each (:func:`each_once`)."""

    @functools.wraps(function)
    def once(*args: Any, **kwargs: Any) -> Any:
        with each_once():
            return function(*args, **kwargs)

    return cast(F, once)
