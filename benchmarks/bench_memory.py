"""Peak memory of ``simulate`` (and of ``sweep`` when it exists) per household.

Definition. The population (default 1e6 and 1e7 households; quick 1e6) is saved
once as ``.npy`` files. For each workload a fresh process imports the library, warms
the workload's kernels up on a 200-household population (so compilation and cache
loading are not counted), loads the arrays (``np.load``, no extra copies) into a
``Population``, collects garbage, resets the kernel's peak-RSS mark to the current
RSS (``/proc/self/clear_refs`` = 5, Linux), runs the workload and reads the peak
(``getrusage(RUSAGE_SELF).ru_maxrss``, what the parent would read as
``RUSAGE_CHILDREN`` for a one-workload child):

    extra = peak during the workload − RSS just before it
    ratio = (population bytes + extra) ÷ population bytes        target ≤ 2 (from 1e5)

so the ratio is the peak memory of "population + workload" in units of the
population's own arrays (household and person columns, ``common.population_bytes``).
Lower is better. Without ``clear_refs`` (not Linux, or not permitted; force it with
``COMMONPROSPERITY_BENCH_MEMORY_FALLBACK=1``), ``extra`` = the workload process's peak
− the peak of a control process that warms up the same kernels and loads the
population but runs nothing (this under-counts when start-up peaks exceed the
population, i.e. for small populations).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from benchmarks import common

FULL_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (1_000_000,)
#: The smallest size the ≤ 2 target is quoted at (the issue's sizes start at 1e5).
SMALLEST_TARGET_SIZE = 100_000

CHILD = r"""
import gc, json, os, resource, sys
import numpy as np
import commonprosperity as cp
from commonprosperity.population import Population

folder, workloads = sys.argv[1], json.loads(sys.argv[2])
force_fallback, measured = sys.argv[3] == "1", json.loads(sys.argv[4])
base = cp.Scenario.status_quo(2021)


def sweep_function():
    import importlib
    return getattr(importlib.import_module("commonprosperity.sweep"), "sweep")


def run(pop, workload, mode, count):
    if workload == "simulate":
        cp.simulate(pop, base, gini=mode).indicators
    elif workload == "sweep":
        line = base.transfers.dibao_monthly
        grid = {"transfers.dibao_monthly": [line + i for i in range(count)]}
        sweep_function()(pop, base, grid, gini=mode)


def reset_peak():
    if force_fallback:
        return False
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak():
    # ru_maxrss and VmHWM read the same high-water mark; the smaller guards against
    # a stale process-wide maximum that clear_refs does not reset.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return min(maxrss, int(line.split()[1]) * 1024)
    return maxrss


tiny = cp.synthetic_population(200, seed=0)
for workload, mode, count in workloads:
    run(tiny, workload, mode, 2)

meta = json.load(open(os.path.join(folder, "meta.json")))
arrays = {}
for name in meta["fields"]:
    a = np.load(os.path.join(folder, name + ".npy"))
    a.flags.writeable = False
    arrays[name] = a
pop = Population(**arrays, year=None, source="bench_memory")
out = []
for k, (workload, mode, count) in enumerate(workloads):
    if k not in measured:
        continue
    gc.collect()
    reset = reset_peak()
    before = rss()
    run(pop, workload, mode, count)
    out.append({"reset": reset, "rss_before": before, "peak": peak()})
if not measured:
    out.append({"reset": False, "rss_before": rss(), "peak": peak()})
print(json.dumps(out))
"""


def _child(
    folder: str, workloads: list, measured: list[int], fallback: bool = False
) -> list[dict]:
    """Run a child that warms up every workload and measures those in ``measured``."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            folder,
            json.dumps(workloads),
            "1" if fallback else "0",
            json.dumps(measured),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"memory child {workloads} failed ({done.returncode}):\n{done.stderr}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _extras(folder: str, workloads: list, fallback: bool) -> list[float]:
    """Extra bytes of each workload over the RSS (or control peak) before it."""
    if not fallback:
        # One process per workload, so none reuses memory another left behind.
        out = [_child(folder, [w], [0])[0] for w in workloads]
        if all(r["reset"] for r in out):
            return [max(r["peak"] - r["rss_before"], 0) for r in out]
    control = _child(folder, workloads, [], fallback=True)[0]["peak"]
    return [
        max(_child(folder, workloads, [k], fallback=True)[0]["peak"] - control, 0)
        for k in range(len(workloads))
    ]


def _save(pop, folder: str) -> int:
    arrays = common.population_arrays(pop)
    for name, a in arrays.items():
        np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(a))
    with open(os.path.join(folder, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump({"fields": list(arrays)}, fh)
    return common.population_bytes(pop)


def run(quick: bool, sizes: list[int] | None = None) -> list[dict]:
    """Measure peak memory of simulate (and sweep) over the population's bytes."""
    sizes = common.pick_sizes(quick, sizes, FULL_SIZES, QUICK_SIZES)
    modes = ["exact", "bracket"]
    repeats = 1 if quick or common.smoke() else 3
    workloads = [("simulate", mode, 1) for mode in modes]
    # Quick runs (CI) measure the bracket sweep only, to stay within budget.
    for mode in modes[1:] if quick else modes:
        count = 8 if mode == "exact" else (16 if quick else 32)
        workloads.append(("sweep", mode, count))

    rows = []
    fallback = os.environ.get("COMMONPROSPERITY_BENCH_MEMORY_FALLBACK", "") == "1"
    for n in sizes:
        folder = tempfile.mkdtemp(prefix="cp-bench-memory-")
        try:
            nbytes = _save(common.population(n), folder)
            runs = [
                _extras(folder, [list(w) for w in workloads], fallback)
                for _ in range(repeats)
            ]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        for k, (workload, mode, count) in enumerate(workloads):
            extra = statistics.median(r[k] for r in runs)
            # Issue 8's ≤ 2 is simulate's (issue 5 asks a sweep's to stay "near
            # the population's own size" and sets no number), from 1e5 households:
            # below, the kernels' fixed workspace, not the households, sets the peak.
            simulate_row = workload == "simulate"
            small = n < SMALLEST_TARGET_SIZE
            label = (
                f"peak memory simulate {mode}"
                if simulate_row
                else f"peak memory sweep {mode} ({count} scenarios)"
            )
            rows.append(
                common.row(
                    label,
                    n,
                    None,
                    ratio=(nbytes + extra) / nbytes,
                    per_second=None,
                    better="lower",
                    target="≤2" if simulate_row and not small else "",
                    note=(
                        f"(population + extra) / population; extra {extra / n:.0f} "
                        f"B/household over the population's {nbytes / n:.0f} "
                        f"B/household ({extra / 2**20:.0f} MiB)"
                        + (
                            "; no target below 1e5 households, where the "
                            "fixed workspace outweighs the population"
                            if simulate_row and small
                            else ""
                        )
                    ),
                )
            )
    return rows
