"""Shared benchmark machinery: timing, rows, populations, the memory floor, machine.

Conventions every ``bench_*.py`` module follows (the runner relies on them):

- ``run(quick: bool, sizes: list[int] | None = None) -> list[dict]``; ``sizes``
  (optional parameter) overrides the module's default sizes.
- Each row is made by :func:`row`: ``case`` (str), ``size`` (households), ``median_s``
  (library, seconds), ``reference_s`` (the reference measured in the same run),
  ``ratio``, ``per_second`` (households per second of the library), ``better``
  (``"higher"``: ratio is a speed-up, reference ÷ library; ``"lower"``: e.g. peak
  memory ÷ population bytes), ``target`` (the issue's target, text) and ``note``.
- Timing (:func:`measure`): one warm-up call (JIT compilation and first-touch page
  faults are not timed), then the median of k repetitions, k chosen from the warm-up
  time within a budget (at least 3). The timed function receives the repetition
  index; simulate benchmarks use it to pick a different scenario each time
  (:func:`variants`: ``transfers.dibao_monthly`` + i yuan), so no result can be
  reused; a ``setup`` runs untimed before each call, for the simulate benchmarks
  :func:`forget_derived`, so that the population's derived terms are computed in
  every call, as the references compute theirs. Library and references use the
  same scenarios and the same population.
- The memory floor (:func:`read_once`, :func:`floor_row`) is the fastest of its
  repetitions, not the median: a lower bound that noise can only raise.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np
from numba import njit, prange

#: Seed of every benchmark population and data set.
SEED = 20240601
#: Households per record set in smoke runs (``pytest benchmarks``).
SMOKE_SIZE = 2_000
#: Environment variable that turns every module into a smoke run at SMOKE_SIZE.
SMOKE_ENV = "COMMONPROSPERITY_BENCH_SMOKE"
#: Tax-Calculator's speed, records/s: the issue's "about 5e5", an outside anchor only.
#: The workplace's shared machine notes (``../shared/PERFORMANCE.md``, not shipped)
#: give 4.7e5 records/s warm (``calc_all`` on its bundled data); the issue's round
#: figure is the one the targets were set against.
TAX_CALCULATOR_RECORDS_PER_S = 5e5
#: Environment variable: largest size at which bench_simulate runs the pandas
#: reference, whose frames take most of a run's memory (about 9 GB at 1e7).
PANDAS_MAX_ENV = "COMMONPROSPERITY_BENCH_PANDAS_MAX"

ROW_KEYS = (
    "case",
    "size",
    "median_s",
    "reference_s",
    "ratio",
    "per_second",
    "better",
    "target",
    "note",
)


# --------------------------------------------------------------------------- sizes
def smoke() -> bool:
    """True when benchmarks should run once at :data:`SMOKE_SIZE` (smoke test)."""
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")


def pick_sizes(
    quick: bool,
    sizes: Iterable[int] | None,
    full: Sequence[int],
    quick_sizes: Sequence[int],
) -> list[int]:
    """Sizes to run: ``sizes`` if given, else smoke, quick or full defaults."""
    if sizes:
        return [int(s) for s in sizes]
    if smoke():
        return [SMOKE_SIZE]
    return list(quick_sizes if quick else full)


#: Fewest households a size may have: ``commonprosperity.baseline.MIN_HOUSEHOLDS``
#: (bench_baseline cannot go lower, and tiny populations crash the references).
MIN_SIZE = 1_000
#: Largest size :func:`parse_size` takes (memory is checked by check_sizes).
MAX_SIZE = 10**12
#: Peak bytes a household takes in a run, as measured: with the pandas reference's
#: frames, and without them (sizes above :func:`pandas_max`). The population alone
#: is 141 B; the rest is the references' and the workloads' temporaries.
BYTES_PER_HOUSEHOLD_PANDAS = 1_200
BYTES_PER_HOUSEHOLD = 700


def parse_size(text: str) -> int:
    """Parse ``"1e6"``, ``"1_000_000"`` or ``"1000000"`` as a household count.

    Raises ``argparse.ArgumentTypeError`` naming the value and what is allowed: a
    whole number of at least :data:`MIN_SIZE`. Whether the size fits in memory is
    :func:`check_sizes`'s question.
    """
    value = _count(text)
    if value is None or value < MIN_SIZE:
        raise argparse.ArgumentTypeError(
            f"size {text!r} is not a household count of at least {MIN_SIZE:,} "
            "(the baseline's minimum): give a whole number such as 100000, "
            "100_000 or 1e5"
        )
    if value > MAX_SIZE:
        # Refused here as typed: check_sizes' memory message echoed 1e30 as
        # the 31 digits of int(1e30).
        raise argparse.ArgumentTypeError(
            f"size {text!r} is more households than any machine holds (at most "
            f"{MAX_SIZE:.0e}; this one's limit is checked after)"
        )
    return value


def _count(text: str) -> int | None:
    """``"1e6"``, ``"1_000_000"`` or ``"1000000"`` as a whole number >= 0, else None."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        return None
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        return None
    return int(value)


def pandas_max() -> int:
    """Largest size with the pandas reference (:data:`PANDAS_MAX_ENV`, default 1e7).

    Raises ``ValueError`` naming the variable and its value if it is not a count.
    """
    text = os.environ.get(PANDAS_MAX_ENV, "1e7")
    value = _count(text)
    if value is None:
        raise ValueError(
            f"{PANDAS_MAX_ENV}={text!r} is not a household count: give a whole "
            "number such as 1e6 (0 skips the pandas reference)"
        )
    return value


def check_sizes(
    sizes: Sequence[int], *, uses_sizes: bool = True, pandas: bool = True
) -> None:
    """Raise ``ValueError`` for a size given twice or one whose estimated peak memory
    exceeds this machine's available memory (:data:`BYTES_PER_HOUSEHOLD_PANDAS` a
    household up to :func:`pandas_max` if ``pandas``, a module running the pandas
    reference, is selected; :data:`BYTES_PER_HOUSEHOLD` otherwise). No memory
    check when ``uses_sizes`` is false: no selected module runs at the sizes."""
    seen: set[int] = set()
    for n in sizes:
        if n in seen:
            raise ValueError(f"size {n:,} is given twice; give each size once")
        seen.add(n)
    # Read, and so checked, whatever runs: a bad value is an error, not ignored.
    limit = pandas_max()
    if not uses_sizes:
        return
    if not pandas:
        limit = 0
    available = _meminfo_gib("MemAvailable")
    if available is None:
        return
    for n in sizes:
        per, need = _need_gib(n, limit)
        if need > available:
            with_pandas = (
                f" with the pandas reference ({PANDAS_MAX_ENV} = {limit:,})"
                if n <= limit
                else ""
            )
            raise ValueError(
                f"size {n:,} households: about {need:.3g} GiB needed ({per:,} B a "
                f"household{with_pandas}) and this machine has {available:g} GiB "
                f"available; give at most {_largest_fitting(available, limit):,}"
            )


def _largest_fitting(available_gib: float, pandas_limit: int) -> int:
    """The most households whose estimate fits ``available_gib``: with the pandas
    reference up to ``pandas_limit`` households, without it above."""
    available = available_gib * 2**30
    with_pandas = min(pandas_limit, int(available // BYTES_PER_HOUSEHOLD_PANDAS))
    without = int(available // BYTES_PER_HOUSEHOLD)
    return max(with_pandas, without if without > pandas_limit else 0)


def _need_gib(n: int, pandas_limit: int) -> tuple[int, float]:
    """Estimated peak bytes a household and GiB in all of a run at ``n`` households."""
    per = BYTES_PER_HOUSEHOLD_PANDAS if n <= pandas_limit else BYTES_PER_HOUSEHOLD
    return per, n * per / 2**30


# --------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Timing:
    """Median and all repetition times (seconds) of one measurement."""

    median: float
    times: tuple[float, ...]
    warmup: float
    last: Any = None

    @property
    def repeats(self) -> int:
        """Number of timed repetitions."""
        return len(self.times)


def measure(
    fn: Callable[[int], Any],
    *,
    quick: bool = False,
    repeats: int | None = None,
    budget_s: float | None = None,
    min_repeats: int = 3,
    max_repeats: int | None = None,
    setup: Callable[[], Any] | None = None,
) -> Timing:
    """Warm up once, then time ``fn(i)`` for i = 1..k and return the median.

    ``fn`` receives the repetition index (0 for the warm-up) so that each call can
    use a different scenario. k is ``repeats`` if given, else as many as fit in
    ``budget_s`` (from the warm-up time), between ``min_repeats`` and
    ``max_repeats``. The garbage collector is run before and disabled during each
    call so that one call does not pay for another's garbage. ``setup()``, if
    given, runs before each call, untimed (:func:`forget_derived`).
    """
    if smoke():
        repeats = 1
        min_repeats = 1
    if budget_s is None:
        budget_s = 2.0 if quick else 8.0
    if max_repeats is None:
        max_repeats = 5 if quick else 11
    warmup = _timed_call(fn, 0, setup)
    if repeats is None:
        guess = int(budget_s / max(warmup[0], 1e-9))
        repeats = max(min_repeats, min(max_repeats, guess))
    times = []
    last = warmup[1]
    for i in range(1, repeats + 1):
        t, last = _timed_call(fn, i, setup)
        times.append(t)
    return Timing(statistics.median(times), tuple(times), warmup[0], last)


def _timed_call(
    fn: Callable[[int], Any], i: int, setup: Callable[[], Any] | None = None
) -> tuple[float, Any]:
    if setup is not None:
        setup()
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn(i)
        elapsed = time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()
    return elapsed, out


def forget_derived(pop) -> None:
    """Drop what ``pop`` keeps of earlier calls: its sizes, tiers, Gini weights.

    A Population derives these once and keeps them for later calls (it is
    immutable); a timed ``simulate`` after this derives them again, as a reference
    model does on every call, so the ratio compares like with like.
    """
    pop._cache.clear()


def variants(base, count: int, path: str = "transfers.dibao_monthly") -> list:
    """``count`` scenarios with ``path`` = base value + i yuan (i = 0..count-1).

    Built before timing; index i is used by repetition i, so no two timed calls see
    the same scenario.
    """
    value = float(base.get(path))
    return [base.replace({path: value + i}) for i in range(count)]


# --------------------------------------------------------------------------- rows
def row(
    case: str,
    size: int,
    median_s: float | None,
    reference_s: float | None = None,
    *,
    ratio: float | None = None,
    per_second: float | str | None = "auto",
    better: str = "higher",
    target: str = "",
    note: str = "",
    stated_reference: bool = False,
) -> dict[str, Any]:
    """One result row. ``ratio`` defaults to ``reference_s / median_s`` (a speed-up)
    and ``per_second`` to ``size / median_s`` (households per second; pass None for
    rows where a rate means nothing). ``stated_reference``: the reference time is
    a stated figure, not measured in this run (the Tax-Calculator anchor), so the
    ratio follows the machine's speed and is not compared with the stored one."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower'; got {better!r}")
    if ratio is None and median_s and reference_s:
        ratio = reference_s / median_s
    if per_second == "auto":
        per_second = size / median_s if median_s else None
    return {
        "case": case,
        "size": int(size),
        "median_s": None if median_s is None else float(median_s),
        "reference_s": None if reference_s is None else float(reference_s),
        "ratio": None if ratio is None else float(ratio),
        "per_second": None if per_second is None else float(per_second),
        "better": better,
        "target": target,
        "note": note,
        **({"stated_reference": True} if stated_reference else {}),
    }


def validate_rows(rows: Any, module: str = "") -> list[dict[str, Any]]:
    """Check that ``rows`` is a list of row dicts (as :func:`row` makes) and fill the
    optional keys; raise ``TypeError``/``ValueError`` naming the module otherwise."""
    if not isinstance(rows, list):
        raise TypeError(f"{module}.run must return a list of dicts; got {type(rows)}")
    out = []
    for r in rows:
        if not isinstance(r, dict):
            raise TypeError(f"{module}: row {r!r} is not a dict")
        missing = {"case", "size", "median_s"} - set(r)
        if missing:
            raise ValueError(f"{module}: row {r!r} lacks {sorted(missing)}")
        full = {
            "reference_s": None,
            "ratio": None,
            "per_second": None,
            "better": "higher",
            "target": "",
            "note": "",
        }
        full.update(r)
        full["size"] = int(full["size"])
        # A NaN or infinite figure written to results.md made every later run's
        # stored rows unreadable ("not a row"): refused while it is fresh.
        for key in ("median_s", "reference_s", "ratio", "per_second"):
            value = full[key]
            if value is not None and not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and (key != "ratio" or value > 0)
            ):
                raise ValueError(
                    f"{module}: row {full['case']!r} @ {full['size']}: {key} must be "
                    f"a finite number{' > 0' if key == 'ratio' else ''} or None; "
                    f"got {value!r}"
                )
        out.append(full)
    return out


def floor_row(
    case: str,
    size: int,
    median_s: float,
    floor: Timing,
    *,
    target: str = "",
    note: str = "",
) -> dict[str, Any]:
    """A "vs memory floor" row: ratio = floor ÷ library.

    The floor is the fastest of the reads, not their median: it is a hardware lower
    bound, and noise (another process, a page fault) only adds time. A floor slower
    than the library's median cannot be a floor, so that row gets no ratio.
    """
    fastest = min(floor.times)
    how = f"floor = fastest of {floor.repeats} read(s)"
    r = row(
        case,
        size,
        median_s,
        fastest,
        target=target,
        note=f"{note}; {how}" if note else how,
    )
    if fastest > median_s:
        r["ratio"] = None
        r["note"] = (
            "floor measurement invalid (machine busy?): the fastest read took "
            f"{fastest:.3g} s, the library's median {median_s:.3g} s; no ratio; "
            + r["note"]
        )
    return r


def note(message: str) -> None:
    """Print a note (skipped case, missing optional peer) during a run."""
    print(f"  note: {message}", flush=True)


# --------------------------------------------------------------------------- data
_POPULATIONS: dict[tuple[int, int], Any] = {}


def population(n: int, seed: int = SEED):
    """The seeded synthetic population of ``n`` households, generated once per run.

    1e7 households take about 30 s and several GB to generate, so every benchmark
    module shares this cache (call :func:`release_populations` to free it); the
    populations held are released first when the memory available is less than
    this size's estimated need.
    """
    from commonprosperity import synthetic_population

    key = (int(n), int(seed))
    if key not in _POPULATIONS:
        available = _meminfo_gib("MemAvailable")
        need = _need_gib(n, pandas_max())[1]
        if _POPULATIONS and available is not None and need > available:
            # check_sizes checked each size alone: with the populations held so
            # far this one may not fit.
            release_populations()
        t0 = time.perf_counter()
        _POPULATIONS[key] = synthetic_population(int(n), seed=int(seed))
        if n >= 1_000_000:
            note(f"generated {n:,} households in {time.perf_counter() - t0:.1f} s")
    return _POPULATIONS[key]


def release_populations(keep: Iterable[int] = ()) -> None:
    """Drop cached populations except those of the sizes in ``keep``."""
    keep = set(keep)
    for key in list(_POPULATIONS):
        if key[0] not in keep:
            del _POPULATIONS[key]
    gc.collect()


def population_arrays(pop) -> dict[str, np.ndarray]:
    """The population's own arrays (what it costs to hold it), by field name."""
    names = (
        "household_id",
        "weight",
        "urban",
        "city_code",
        "offsets",
        "age",
        "employed",
        "wage",
        "business",
        "property",
        "pension",
    )
    return {name: getattr(pop, name) for name in names}


def population_bytes(pop) -> int:
    """Bytes of the population's own arrays (household and person columns)."""
    return int(sum(a.nbytes for a in population_arrays(pop).values()))


# --------------------------------------------------------------------------- floor
@njit(cache=True, parallel=True, fastmath=True)
def _sum_array(a):
    s = 0.0
    for i in prange(a.shape[0]):
        s += a[i]
    return s


def read_once(arrays: Iterable[np.ndarray]) -> float:
    """Read every array once (a parallel Numba sum of each): the memory floor.

    Time it several times and keep the fastest (:func:`floor_row`). Booleans are
    read as bytes. The sum is returned so the reads cannot be skipped.
    """
    total = 0.0
    for a in arrays:
        if a.dtype == np.bool_:
            a = a.view(np.uint8)
        total += _sum_array(a)
    return total


#: Bins of :func:`scatter_once`: the low 6 exponent bits and the top 12 mantissa
#: bits of a float, i.e. 4,096 bins an octave, as the library's histogram.
_SCATTER_BITS = 18


@njit(cache=True, parallel=True)
def _scatter(x, w, hist):
    n = x.shape[0]
    half = (n + 1) // 2
    mask = np.int64((1 << _SCATTER_BITS) - 1)
    for t in prange(2):
        xs = x[t * half : min(n, (t + 1) * half)]
        ws = w[t * half : min(n, (t + 1) * half)]
        h = hist[t]
        for i in range(xs.shape[0]):
            v = xs[i]
            wi = ws[i]
            j = np.uint64((np.float64(v).view(np.int64) >> 40) & mask) * np.uint64(3)
            wv = wi * v
            h[j] += wi
            h[j + np.uint64(1)] += wv
            h[j + np.uint64(2)] += wv * v
    # The sums stay in ``hist`` (the caller's), so no store can be dropped;
    # summing all of it would add a read of 12 MB.
    return hist[0, 0] + hist[1, 0]


def scatter_once(x: np.ndarray, w: np.ndarray) -> float:
    """Add each row's ``w``, ``w x`` and ``w x²`` to its income's bin, two threads.

    The three sums a bin needs for a rigorous Gini bracket (weight, mean, spread),
    in fixed halves on two threads, and nothing else: no checks, no anchors, no
    bounds. A reference for what the histogram's memory access costs beyond
    reading its input (:func:`read_once`).
    """
    hist = np.zeros((2, 3 << _SCATTER_BITS))
    return _scatter(x, w, hist)


# --------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_target() -> tuple[str, str]:
    """``(microarchitecture, widest SIMD)`` the kernels are compiled for.

    The same "AMD EPYC" model name covers machines with and without AVX-512 (the
    lane kernels run 8 or 4 doubles a vector): the tag must tell them apart.
    """
    import llvmlite.binding as llvm

    try:
        target = llvm.get_host_cpu_name()
    except Exception:  # pragma: no cover - llvmlite always has it on x86
        target = "unknown"
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    return target, simd if flags else "unknown SIMD"


def _meminfo_gib(field: str = "MemTotal") -> float | None:
    """A ``/proc/meminfo`` field in GiB (None where there is no such file)."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(f"{field}:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """CPU model, cores, Numba threads, memory and library versions."""
    import numba

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    try:
        layer = numba.threading_layer()
    except ValueError:
        # No parallel kernel has run in this process yet (only modules timing
        # subprocesses did): run one, so the header names the layer.
        _sum_array(np.zeros(1))
        layer = numba.threading_layer()
    target, simd = _cpu_target()
    versions = {
        dist: _version(dist)
        for dist in (
            "commonprosperity",
            "numpy",
            "numba",
            "llvmlite",
            "pandas",
            "microdf-python",
            "inequality",
            "IneqPy",
        )
    }
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cpu_target": target,
        "simd": simd,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": layer,
        "memory_gib": _meminfo_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
    }


def machine_tag(info: dict[str, Any]) -> str:
    """Short machine label: CPU (target, SIMD), cores, Numba threads."""
    arch = ""
    if info.get("cpu_target"):
        arch = f" ({info['cpu_target']}, {info.get('simd', '?')})"
    return (
        f"{info['cpu']}{arch}, {info['usable_cores']} cores, "
        f"{info['numba_threads']} threads"
    )


def max_threads() -> int:
    """Most Numba threads available (cores and NUMBA_NUM_THREADS permitting)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def rel_gap(x: float, y: float) -> float:
    """Relative difference of ``x`` from ``y``; infinite if either is infinite or
    only one is NaN (so that a check ``gap > tolerance`` fails), 0 if both are NaN."""
    x, y = float(x), float(y)
    if math.isnan(x) and math.isnan(y):
        return 0.0
    if not (math.isfinite(x) and math.isfinite(y)):
        return math.inf
    return abs(x - y) / max(abs(y), 1e-300)


def rel_diff(a: dict[str, float], b: dict[str, float], names: Iterable[str]) -> float:
    """Largest :func:`rel_gap` between two indicator mappings over ``names``."""
    return max((rel_gap(a[name], b[name]) for name in names), default=0.0)
