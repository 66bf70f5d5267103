"""Ctrl-C that reached Python inside a Numba call, told apart from a real failure.

A KeyboardInterrupt raised while Numba's dispatcher runs Python code (unpickling
a compiled function's constants) comes back as ``SystemError: CPUDispatcher(...)
returned a result with an exception set``, the interrupt as its cause: code
catching KeyboardInterrupt (the command line exits 130 on it) missed it.
"""

from __future__ import annotations


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is a KeyboardInterrupt or was caused by one (any depth)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
