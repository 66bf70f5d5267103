"""Warnings attributed to the user's line, not to the library's."""

from __future__ import annotations

import os
import sys
import warnings

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
