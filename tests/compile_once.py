"""Compile each of the library's kernels once across the test processes.

Numba's cache lets a process load what another compiled, but two processes that
miss the same kernel at once both compile it: the compile step's processes and
pytest-xdist's workers compiled the same kernels side by side, each at both
cores' expense. :func:`share_compiling` makes every process that calls it take
an exclusive ``flock`` on a file named after the kernel and signature before
compiling one of the library's kernels the cache lacks; a process finding it
taken waits for the lock, then loads what the holder saved. The kernel called
first is then compiled once, by whichever process reached it first, while the
others run what they have.

A lock is given back when the dispatcher's ``compile`` returns or raises, and
by a process that dies holding it (a ``flock`` ends with the file's last
descriptor).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no locks; callers do without
    fcntl = None  # type: ignore[assignment]

#: The folder of the lock files, set by tests/conftest.py for its processes.
FOLDER = "COMMONPROSPERITY_TESTS_COMPILE_LOCKS"


def share_compiling(folder: str | Path) -> None:
    """Take a lock in ``folder`` before compiling a library kernel the cache lacks."""
    from numba.core import caching, dispatcher

    folder = Path(folder)
    load = caching.Cache.load_overload
    compile_ = dispatcher.Dispatcher.compile
    held: dict[tuple[int, str], Any] = {}

    def load_overload(self, sig, target_context):  # type: ignore[no-untyped-def]
        cres = load(self, sig, target_context)
        if cres is not None or not self._py_func.__module__.startswith(
            "commonprosperity."
        ):
            return cres
        key = (id(self), str(sig))
        if key in held:  # this process is compiling it (a recursive kernel)
            return None
        name = f"{self._py_func.__module__}.{self._py_func.__qualname__}{sig}"
        lock = open(folder / hashlib.sha1(name.encode()).hexdigest(), "wb")  # noqa: SIM115
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks while another process compiles it
        cres = load(self, sig, target_context)
        if cres is not None:  # the holder saved it
            lock.close()
            return cres
        held[key] = lock
        return None

    def compile(self, sig):  # type: ignore[no-untyped-def]
        try:
            return compile_(self, sig)
        finally:
            lock = held.pop((id(self._cache), str(sig)), None)
            if lock is not None:
                lock.close()

    caching.Cache.load_overload = load_overload
    dispatcher.Dispatcher.compile = compile
