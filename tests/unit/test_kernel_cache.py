"""The kernels' Numba cache is refreshed when any kernel source changes.

Numba checks only the loaded function's own file: a caller cached before its
callee (in another file) changed kept running the old callee. The integration
test shows that stale result without the guard, and the fresh one with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest

import commonprosperity._kernels as kernels
from commonprosperity._kernels import STAMP_NAME, refresh_cache, source_digest


def _touch(path: Path) -> Path:
    path.write_bytes(b"x")
    return path


def test_refresh_removes_only_the_kernels_entries_and_only_when_sources_change(
    tmp_path,
):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("A = 1\n")
    (src / "b.py").write_text("B = 2\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    ours = [
        _touch(cache / "a.f-3.py311.nbi"),
        _touch(cache / "a.f-3.py311.1.nbc"),
        _touch(cache / "b.g-1.py311.nbi"),
    ]
    others = [
        _touch(cache / "other.h-1.py311.nbi"),
        _touch(cache / "a.cpython-311.pyc"),
    ]

    # No stamp: entries of unknown origin go, the digest is written.
    assert sorted(refresh_cache(src, cache)) == sorted(ours)
    assert (cache / STAMP_NAME).read_text().strip() == source_digest(src)
    assert all(p.exists() for p in others)

    # Sources unchanged: nothing is removed.
    again = [_touch(cache / "a.f-3.py311.nbi"), _touch(cache / "b.g-1.py311.nbi")]
    assert refresh_cache(src, cache) == []
    assert all(p.exists() for p in again)

    # One source edited: every kernel module's entries go (callers too).
    (src / "b.py").write_text("B = 3\n")
    assert sorted(refresh_cache(src, cache)) == sorted(again)
    assert all(p.exists() for p in others)


def test_digest_follows_names_and_contents(tmp_path):
    (tmp_path / "a.py").write_text("A = 1\n")
    first = source_digest(tmp_path)
    (tmp_path / "a.py").write_text("A = 2\n")
    second = source_digest(tmp_path)
    (tmp_path / "a.py").rename(tmp_path / "c.py")
    third = source_digest(tmp_path)
    assert len({first, second, third}) == 3


def test_the_package_cache_carries_the_current_digest():
    directory = kernels.cache_directory()
    assert directory is not None
    assert (directory / STAMP_NAME).read_text().strip() == source_digest()


def _python(code: str, path: Path, cache: Path, **env: str) -> str:
    """What ``code`` prints in a fresh process, JIT on, ``path`` first on its path."""
    env = {**os.environ, **env, "PYTHONPATH": str(path), "NUMBA_CACHE_DIR": str(cache)}
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _run(root: Path, guard: bool) -> str:
    return _python(
        "from fakepkg.a import f; print(f(1.0))",
        root,
        root / "numba-cache",
        GUARD="1" if guard else "",
    )


def test_an_edited_callee_in_another_file_is_recompiled(tmp_path):
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    guard_file = Path(kernels.__file__)
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            f"""
            import importlib.util, os
            from pathlib import Path

            def _here():
                pass

            if os.environ.get("GUARD"):
                spec = importlib.util.spec_from_file_location(
                    "cp_cache_guard", {str(guard_file)!r}
                )
                guard = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(guard)
                guard.refresh_cache(
                    Path(__file__).parent, guard.cache_directory(_here)
                )
            """
        )
    )
    (pkg / "a.py").write_text(
        "from numba import njit\n"
        "from fakepkg.b import g\n\n"
        "@njit(cache=True)\n"
        "def f(x):\n"
        "    return g(x) + 1.0\n"
    )
    callee = (
        "from numba import njit\n\n@njit(cache=True)\ndef g(x):\n    return x * {}\n"
    )
    (pkg / "b.py").write_text(callee.format(2.0))

    # Without the guard Numba keeps the caller's old code: the bug guarded.
    assert _run(tmp_path, guard=False) == "3.0"
    (pkg / "b.py").write_text(callee.format(10.0))
    assert _run(tmp_path, guard=False) == "3.0"

    # With it, the edit is seen (and a second run loads the fresh entries).
    assert _run(tmp_path, guard=True) == "11.0"
    assert _run(tmp_path, guard=True) == "11.0"


@pytest.mark.skipif(
    numba.config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT=1: no dispatchers to cache"
)
def test_with_a_cache_directory_the_kernels_are_filed_under_their_digest(
    monkeypatch, tmp_path
):
    from numba.core import config
    from numba.core.caching import CompileResultCacheImpl, UserProvidedCacheLocator

    from commonprosperity._kernels import rules

    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path))
    name = f"commonprosperity-kernels-{source_digest()[:16]}-numba-{numba.__version__}"
    ours = CompileResultCacheImpl(rules.quick_deductions.py_func).locator
    assert Path(ours.get_cache_path()) == tmp_path / name

    # Any other function keeps Numba's own locator, named after its file's path.
    def elsewhere():
        pass

    theirs = CompileResultCacheImpl(elsewhere).locator
    assert type(theirs) is UserProvidedCacheLocator
    assert Path(theirs.get_cache_path()).parent == tmp_path
    assert Path(theirs.get_cache_path()).name != name


def _cache_hits(package_parent: Path, cache: Path) -> str:
    return _python(
        "import numpy as np, commonprosperity\n"
        "from commonprosperity._kernels import rules\n"
        "rules.quick_deductions(np.array([0.0, 1.0]), np.array([0.1, 0.2]))\n"
        f"print(commonprosperity.__file__.startswith({str(package_parent)!r}),"
        " sum(rules.quick_deductions.stats.cache_hits.values()))\n",
        package_parent,
        cache,
    )


def test_two_copies_of_the_kernels_share_one_cache_directory(tmp_path):
    import shutil

    package = Path(kernels.__file__).resolve().parents[1]
    copy = tmp_path / "copy"
    shutil.copytree(
        package,
        copy / "commonprosperity",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    cache = tmp_path / "numba-cache"
    # The copy compiles and saves; the original, elsewhere, loads that entry.
    assert _cache_hits(copy, cache) == "True 0"
    assert _cache_hits(package.parent, cache) == "True 1"
