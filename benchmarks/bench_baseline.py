"""Generation time and peak memory of the calibrated Zhejiang baseline.

Definition. For ``baseline(2023, n, seed)`` (default 1e6 households; quick 1e5) and,
as the same-run reference, ``synthetic_population(n, seed)``: a fresh process
imports the library, generates once at 2,000 households (n if smaller; Numba cache
loading and compilation are not timed), then generates ``repeats`` times at ``n``
and reports the median wall time. That worker runs under a small wrapper process,
which reads the worker's peak resident memory with
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (kilobytes on Linux), so each
case's peak is its own.

    ratio = reference time ÷ baseline time     (how much slower calibration is)

The baseline row also carries ``peak_rss_mb`` and ``reference_peak_rss_mb``; a
second row reports peak memory ÷ the reference's (lower is better). Target
(issue 4): 1,000,000 households in a few seconds (≤ 4 s on a 2-core machine).
Sizes below the baseline's minimum of 1,000 households are raised to it, with a
note. Run alone: ``python -m benchmarks --only baseline [--quick]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from benchmarks import common

FULL_SIZES = (1_000_000,)
QUICK_SIZES = (100_000,)
YEAR = 2023
WARM_UP = 2_000

WORKER = r"""
import json, sys, time
case, n, repeats, seed, year, warm = sys.argv[1:7]
n, repeats, seed, year, warm = int(n), int(repeats), int(seed), int(year), int(warm)
t0 = time.perf_counter()
import commonprosperity as cp
imported = time.perf_counter() - t0

def make(size):
    if case == "baseline":
        return cp.baseline(year, n_households=size, seed=seed)
    return cp.synthetic_population(size, seed=seed)

t0 = time.perf_counter()
make(warm)
first = time.perf_counter() - t0
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    pop = make(n)
    times.append(time.perf_counter() - t0)
    del pop
print(json.dumps({"times": times, "import_s": imported, "first_call_s": first}))
"""

WRAPPER = r"""
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
if done.returncode:
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)
out = json.loads(done.stdout.strip().splitlines()[-1])
out["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(out))
"""


def _measure(case: str, n: int, repeats: int) -> dict:
    """Run one case in a wrapped worker process; times (s) and peak RSS (kB)."""
    worker = [
        sys.executable,
        "-c",
        WORKER,
        case,
        str(n),
        str(repeats),
        str(common.SEED % 2**31),
        str(YEAR),
        str(min(WARM_UP, n)),
    ]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *worker],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"bench_baseline: the {case} worker failed (exit {done.returncode}):\n"
            f"{done.stderr[-2000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool, sizes: list[int] | None = None) -> list[dict]:
    """Time and measure baseline generation against synthetic_population."""
    rows = []
    repeats = 1 if common.smoke() else (3 if quick else 5)
    for n in common.pick_sizes(quick, sizes, FULL_SIZES, QUICK_SIZES):
        if n < common.MIN_SIZE:
            common.note(
                f"baseline: {n:,} households is below the baseline's minimum; "
                f"measured at {common.MIN_SIZE:,}"
            )
            n = common.MIN_SIZE
        base = _measure("baseline", n, repeats)
        ref = _measure("synthetic", n, repeats)
        t_base = statistics.median(base["times"])
        t_ref = statistics.median(ref["times"])
        peak, ref_peak = base["peak_rss_kb"] / 1024, ref["peak_rss_kb"] / 1024
        note = (
            f"median of {repeats}; {os.cpu_count()} CPU(s); first call "
            f"({min(WARM_UP, n):,} households, cache load) "
            f"{base['first_call_s']:.2f} s; import "
            f"{base['import_s']:.2f} s; reference: synthetic_population"
        )
        row = common.row(
            f"baseline({YEAR}) generation",
            n,
            t_base,
            t_ref,
            better="higher",
            target="≤ 4 s at 1e6 households (2 cores; issue 4)"
            if n == 1_000_000
            else "",
            note=note,
        )
        row["peak_rss_mb"] = peak
        row["reference_peak_rss_mb"] = ref_peak
        rows.append(row)
        mem = common.row(
            f"baseline({YEAR}) peak memory (MB ÷ reference MB)",
            n,
            None,
            None,
            ratio=peak / ref_peak,
            per_second=None,
            better="lower",
            note=f"peak RSS {peak:,.0f} MB; synthetic_population {ref_peak:,.0f} MB",
        )
        mem["peak_rss_mb"] = peak
        mem["reference_peak_rss_mb"] = ref_peak
        rows.append(mem)
    return rows
