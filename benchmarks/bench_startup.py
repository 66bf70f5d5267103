"""Cold start: ``import commonprosperity`` + the first ``simulate`` in a fresh process.

Each measurement runs a new Python process that times, inside itself, the import and
the first ``simulate`` of a 1,000-household synthetic population (generating that
population is not counted; interpreter start-up is not counted either, the note
gives the whole process's wall time).

- ``startup warm cache``: ``NUMBA_CACHE_DIR`` points at a directory an earlier
  process filled, so the kernels load from the cache (what a notebook user feels).
- ``startup cold cache``: ``NUMBA_CACHE_DIR`` is a new empty directory, so every
  kernel the first call needs is compiled.

The reference is a fresh process importing only the dependencies (numpy, pandas,
numba, pydantic); ratio = that time ÷ ours, so it drifts only if our start-up grows
relative to the dependencies' floor.

Start-up is measured at 1,000 households whatever ``--sizes`` says (a note says so):
it is the cost of the first call, not of a population's size.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks import common

#: Runs at its own size whatever ``--sizes`` says (the runner's memory check).
USES_SIZES = False

SIZE = 1_000

CHILD = """
import json, time
t0 = time.perf_counter()
import commonprosperity as cp
t1 = time.perf_counter()
pop = cp.synthetic_population({size}, seed=0)
scenario = cp.Scenario.status_quo(2021)
t2 = time.perf_counter()
cp.simulate(pop, scenario)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first_simulate": t3 - t2}}))
"""

DEPENDENCIES = """
import json, time
t0 = time.perf_counter()
import numpy, pandas, numba, pydantic
print(json.dumps({"import": time.perf_counter() - t0, "first_simulate": 0.0}))
"""


def _child(code: str, cache_dir: str) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"start-up child failed ({done.returncode}):\n{done.stderr}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["total"] = out["import"] + out["first_simulate"]
    out["wall"] = wall
    return out


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def run(quick: bool, sizes: list[int] | None = None) -> list[dict]:
    """Time fresh-process start-up with a cold and a warm Numba cache."""
    if sizes and set(sizes) != {SIZE}:
        common.note(
            f"startup always runs at {SIZE:,} households; --sizes "
            f"{' '.join(f'{n:,}' for n in sizes)} not used for it"
        )
    n_cold = 1 if quick or common.smoke() else 3
    n_warm = 1 if common.smoke() else (2 if quick else 5)
    code = CHILD.format(size=SIZE)
    cold, warm, deps = [], [], []
    warm_dir = tempfile.mkdtemp(prefix="cp-bench-numba-warm-")
    try:
        for k in range(n_cold):
            # The first cold run fills warm_dir; later cold runs use fresh dirs.
            cache_dir = (
                warm_dir if k == 0 else tempfile.mkdtemp(prefix="cp-bench-cold-")
            )
            try:
                cold.append(_child(code, cache_dir))
            finally:
                if cache_dir != warm_dir:
                    shutil.rmtree(cache_dir, ignore_errors=True)
        for _ in range(n_warm):
            warm.append(_child(code, warm_dir))
            deps.append(_child(DEPENDENCIES, warm_dir))
    finally:
        shutil.rmtree(warm_dir, ignore_errors=True)

    d = _summary(deps)
    rows = []
    for name, runs, target in (("warm", warm, "≤3 s"), ("cold", cold, "")):
        s = _summary(runs)
        rows.append(
            common.row(
                f"startup {name} cache (import + first simulate)",
                SIZE,
                s["total"],
                d["import"],
                per_second=None,
                target=target,
                note=(
                    f"import {s['import']:.2f} s, first simulate "
                    f"{s['first_simulate']:.2f} s, process wall {s['wall']:.2f} s; "
                    f"reference: import numpy, pandas, numba, pydantic; "
                    f"{len(runs)} run(s)"
                ),
            )
        )
    return rows
