"""The Numba kernels (layer 1), and the guard that keeps their on-disk cache fresh.

Numba's cache (``cache=True``) checks only the source file of the function it
loads. The kernels call and inline one another across files, so after an edit of
``rules.py`` alone, ``simulate.py``'s cached pass still ran the old rules: stale
code, with stale results and timings (a dropped experiment's rules ran 3× slower
for a whole session in an editable install). On import, :func:`refresh_cache`
compares a digest of every kernel source with the one stored beside the cache and,
when they differ, removes the kernels' cache entries so that each is compiled
afresh.

With ``NUMBA_CACHE_DIR`` set, :func:`share_cache_by_content` files the kernels'
entries under a directory named after that digest instead of the sources' path,
so every copy of the same kernels (an installed package and a source checkout,
two virtual environments) shares one cache.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_HERE = Path(__file__).resolve().parent
#: Beside the cache entries: the digest of the kernel sources they were built from.
STAMP_NAME = "commonprosperity-kernels.sha256"


def read_only(a: np.ndarray) -> np.ndarray:
    """``a`` as a read-only array: ``a`` itself if it is one, else a read-only view.

    The kernels take their inputs read-only. Numba compiles a kernel once per
    argument type and a read-only array is another type than a writable one, so
    inputs passed both ways compiled the same kernel up to four times (a sweep
    kernel's compilation takes 20-40 s). Callers pass inputs through this; a view
    costs nothing and leaves the caller's array writable.
    """
    if not a.flags.writeable:
        return a
    view = a.view()
    view.flags.writeable = False
    return view


def thread_count() -> int:
    """Numba's threads for the next parallel kernel (``numba.get_num_threads``).

    Here so that only the kernels' layer imports Numba (DESIGN.md's layers).
    """
    import numba

    return numba.get_num_threads()


def _locate() -> None:
    """A function of this directory: Numba's locator finds the cache from it."""


def _cache_somewhere() -> Path | None:
    """:func:`cache_directory`, after giving Numba a temporary one if it has none.

    With the package read-only (a root-owned site-packages, a read-only
    container) and neither ``NUMBA_CACHE_DIR`` nor the user's cache writable,
    every ``cache=True`` kernel raised "cannot cache function ...: no locator
    available" as it was defined: the library could not even be imported. The
    kernels are then cached in a private temporary directory, removed at exit.
    None: other Numba internals (:func:`refresh_cache` says so).
    """
    try:
        from numba.core.caching import CompileResultCacheImpl

        return Path(CompileResultCacheImpl(_locate).locator.get_cache_path())
    except RuntimeError:
        pass  # no locator: Numba has nowhere to write
    except (ImportError, AttributeError):
        return None
    import atexit
    import shutil
    import tempfile

    from numba.core import config

    directory = tempfile.mkdtemp(prefix="commonprosperity-numba-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    # numba.config sets its options at runtime: no attribute for a type checker.
    config.CACHE_DIR = directory  # type: ignore[attr-defined]
    warnings.warn(
        "commonprosperity: Numba has no writable cache directory (the package's "
        "directory, NUMBA_CACHE_DIR and the user's cache are not writable), so "
        f"its kernels are compiled into {directory} and removed at exit; set "
        "NUMBA_CACHE_DIR to a writable directory to keep them between runs",
        RuntimeWarning,
        stacklevel=2,
    )
    return cache_directory()


def source_digest(directory: Path = _HERE) -> str:
    """SHA-256 of the ``*.py`` files of ``directory`` (names and contents)."""
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def cache_directory(func=_locate) -> Path | None:
    """Where Numba caches the functions of ``func``'s file (None: not found).

    Asks Numba's own locators, in Numba's order (``NUMBA_CACHE_DIR``, the
    ``__pycache__`` beside the source when writable, the user-wide cache), so the
    answer is the directory Numba reads.
    """
    try:
        from numba.core.caching import CompileResultCacheImpl

        return Path(CompileResultCacheImpl(func).locator.get_cache_path())
    except (ImportError, AttributeError, RuntimeError):
        return None


def refresh_cache(
    directory: Path = _HERE, cache_dir: Path | None = None, digest: str | None = None
) -> list[Path]:
    """Remove the cache entries of ``directory``'s modules if their sources changed.

    Parameters
    ----------
    directory : Path
        The kernel sources (default: this package).
    cache_dir : Path, optional
        Numba's cache directory for them (default: :func:`cache_directory`).
    digest : str, optional
        The sources' digest (default: :func:`source_digest` of ``directory``).

    Returns
    -------
    list of Path
        The cache files removed (empty when the stored digest matches).
    """
    if cache_dir is None:
        cache_dir = cache_directory()
        if cache_dir is None:
            warnings.warn(
                "commonprosperity could not locate Numba's cache (this Numba "
                "version's internals differ); after editing the kernels, delete "
                "their *.nbi and *.nbc cache files by hand",
                RuntimeWarning,
                stacklevel=2,
            )
            return []
    if digest is None:
        digest = source_digest(directory)
    stamp = cache_dir / STAMP_NAME
    try:
        if stamp.read_text().strip() == digest:
            return []
    except OSError:
        pass  # no stamp yet: entries of unknown origin are removed
    modules = {p.stem for p in directory.glob("*.py")}
    removed = []
    try:
        entries = list(cache_dir.iterdir())
    except OSError:
        entries = []
    for path in entries:
        module = path.name.split(".")[0]
        if path.suffix not in (".nbi", ".nbc") or module not in modules:
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass  # another process removed it first
        except OSError as exc:
            warnings.warn(
                f"commonprosperity could not remove the stale Numba cache file "
                f"{path}: {exc}; delete it by hand",
                RuntimeWarning,
                stacklevel=2,
            )
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Written whole and renamed, so a concurrent reader sees old or new.
        tmp = cache_dir / f"{STAMP_NAME}.{os.getpid()}.tmp"
        tmp.write_text(digest + "\n")
        os.replace(tmp, stamp)
    except OSError:
        pass  # unwritable: Numba will not write entries here either
    return removed


def share_cache_by_content(digest: str, directory: Path = _HERE) -> bool:
    """Cache ``directory``'s kernels in ``NUMBA_CACHE_DIR``, under their digest.

    Numba files a function's entries in ``NUMBA_CACHE_DIR`` under a directory
    named after the path of its source file, so two copies of the same kernels
    compiled everything twice with one cache directory: CI's installed main job
    and its editable test run each compiled the kernels the main job needs, 70 s
    on znver3. Here a locator ahead of Numba's own names the directory after the
    sources' ``digest`` (:func:`source_digest`) and Numba's version, for the
    functions of ``directory`` only and only while ``NUMBA_CACHE_DIR`` is set
    (otherwise Numba's own locators apply, unchanged). An edit of any kernel
    file changes the digest, so callers in other files are compiled afresh too.
    Numba still checks each entry's source file and argument types and the
    CPU it was compiled for. Installed before the kernel modules are imported
    (Numba picks a function's locator as it is decorated); returns whether the
    locator is installed (False: another Numba's internals, or
    ``NUMBA_CACHE_LOCATOR_CLASSES`` chooses the locators).
    """
    try:
        import numba
        from numba.core import caching, config
    except ImportError:
        return False
    impl = getattr(caching, "CacheImpl", None)
    base = getattr(caching, "UserProvidedCacheLocator", None)
    if impl is None or base is None or "_locator_classes" not in vars(impl):
        return False
    if getattr(config, "CACHE_LOCATOR_CLASSES", None):
        return False
    home = str(directory)
    if any(getattr(c, "kernels_of", None) == home for c in impl._locator_classes):
        return True
    name = f"commonprosperity-kernels-{digest[:16]}-numba-{numba.__version__}"

    class ContentCacheLocator(base):  # type: ignore[misc, valid-type]
        """``NUMBA_CACHE_DIR/<name>`` for the functions of ``home``."""

        kernels_of = home

        def __init__(self, py_func: object, py_file: str) -> None:
            super().__init__(py_func, py_file)
            # numba.config sets its options at runtime: no attribute for a type
            # checker.
            self._cache_path = os.path.join(config.CACHE_DIR, name)  # type: ignore[attr-defined]

        @classmethod
        def from_function(cls, py_func: object, py_file: str) -> object:
            try:
                if str(Path(py_file).resolve().parent) != home:
                    return None
            except (OSError, RuntimeError, TypeError):
                return None
            return super().from_function(py_func, py_file)

    impl._locator_classes = [ContentCacheLocator, *impl._locator_classes]
    return True


# One digest of the sources and one lookup of the cache at import (each lookup
# tries to write in the directory).
_DIGEST = source_digest()
share_cache_by_content(_DIGEST)
refresh_cache(cache_dir=_cache_somewhere(), digest=_DIGEST)
