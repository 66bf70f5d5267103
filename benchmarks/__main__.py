"""Run the benchmarks and compare their ratios with ``benchmarks/results.md``.

Usage: ``python -m benchmarks [--quick] [--sizes N ...] [--only NAME] [--write]``
(also ``--results PATH``, ``--smoke``).

Runs every ``benchmarks/bench_*.py`` module exposing ``run(quick)`` (and passes
``sizes=`` to those whose ``run`` accepts it), prints one table (case, size, median
time, reference time, ratio, households per second, target), compares every ratio
with the one stored in ``benchmarks/results.md`` for the same case and size, and
prints a ``WARNING`` line for each ratio worse by more than 1.5×. ``--write`` merges
this run's rows into ``benchmarks/results.md``. The exit code is 0 unless a
benchmark raised (timings never fail a run).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks import common

RESULTS = Path(__file__).with_name("results.md")
#: A ratio worse than the stored one by more than this factor prints a WARNING.
TOLERANCE = 1.5
#: Modules that measure in-process run first, subprocess-based ones last.
ORDER = ("bench_simulate", "bench_indicators", "bench_sweep")
LAST = ("bench_startup", "bench_memory")
_JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


# --------------------------------------------------------------------------- modules
def discover() -> list[str]:
    """Names of the ``bench_*`` modules of this package, in run order."""
    here = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )
    first = [n for n in ORDER if n in names]
    last = [n for n in LAST if n in names]
    middle = [n for n in names if n not in first and n not in last]
    return first + middle + last


def select(names: list[str], only: list[str] | None) -> list[str]:
    """Filter module names by ``--only`` values (``simulate`` or ``bench_simulate``)."""
    if not only:
        return names
    wanted = {}  # module name -> the value as given, for the error message
    for value in only:
        for part in value.split(","):
            part = part.strip()
            if part:
                module = part if part.startswith("bench_") else f"bench_{part}"
                wanted[module] = part
    unknown = sorted(given for module, given in wanted.items() if module not in names)
    if unknown:
        raise SystemExit(
            f"--only: unknown benchmark(s) {unknown}; "
            f"available: {[n[6:] for n in names]}"
        )
    return [n for n in names if n in wanted]


def run_module(name: str, quick: bool, sizes: list[int] | None) -> list[dict]:
    """Import ``benchmarks.<name>`` and return its validated rows."""
    module = importlib.import_module(f"benchmarks.{name}")
    run = getattr(module, "run", None)
    if not callable(run):
        common.note(f"{name} has no run(quick); skipped")
        return []
    params = inspect.signature(run).parameters
    if "sizes" in params:
        rows = run(quick, sizes=sizes)
    else:
        if sizes:
            common.note(f"{name}.run does not take sizes; --sizes ignored for it")
        rows = run(quick)
    out = common.validate_rows(rows, name)
    for r in out:
        r.setdefault("module", name)
    return out


# --------------------------------------------------------------------------- format
def fmt_size(n: int) -> str:
    """``100000`` → ``1e5``; other sizes with thousands separators."""
    k = round(math.log10(n)) if n > 0 else 0
    return f"1e{k}" if n == 10**k and k >= 3 else f"{n:,}"


def fmt_time(t: float | None) -> str:
    """Seconds in s, ms or µs."""
    if t is None:
        return "—"
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def fmt_ratio(r: float | None) -> str:
    """A ratio with ×."""
    return "—" if r is None else f"{r:.3g}×"


def fmt_rate(x: float | None) -> str:
    """Households per second as ``6.1e8``."""
    if x is None:
        return "—"
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{float(mantissa):.2g}e{int(exponent)}"


def target_met(r: dict[str, Any]) -> str:
    """``yes``/``no`` for targets like ``≥3 (stretch 8)`` or ``≤3 s``; else empty."""
    m = re.match(r"\s*([≥≤])\s*([0-9.]+)\s*(s\b)?", r.get("target") or "")
    if not m:
        return ""
    value = r.get("median_s") if m.group(3) else r.get("ratio")
    if value is None:
        return ""
    bound = float(m.group(2))
    ok = value >= bound if m.group(1) == "≥" else value <= bound
    return "yes" if ok else "no"


def table(rows: list[dict], markdown: bool = False, machine: bool = False) -> str:
    """The result table, plain text (console) or Markdown (results.md)."""
    head = [
        "case",
        "size",
        "median time",
        "reference time",
        "ratio",
        "households/s",
        "target",
        "met",
    ]
    if machine:
        head.append("machine")
    if markdown:
        head.append("note")
    body = []
    for i, r in enumerate(rows, 1):
        case = r["case"] if markdown else f"[{i}] {r['case']}"
        cells = [
            case,
            fmt_size(r["size"]),
            fmt_time(r["median_s"]),
            fmt_time(r["reference_s"]),
            fmt_ratio(r["ratio"]),
            fmt_rate(r["per_second"]),
            r.get("target") or "",
            target_met(r),
        ]
        if machine:
            cells.append(r.get("machine", ""))
        if markdown:
            cells.append(r.get("note") or "")
        body.append([str(c) for c in cells])
    if markdown:
        numeric = range(1, 6)
        lines = [
            "| " + " | ".join(head) + " |",
            "|"
            + "|".join("---:" if i in numeric else "---" for i in range(len(head)))
            + "|",
        ]
        lines += [
            "| " + " | ".join(c.replace("|", "\\|") for c in b) + " |" for b in body
        ]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h)
        for i, h in enumerate(head)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if 1 <= i <= 5 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines = [line(head), "  ".join("-" * w for w in widths)]
    lines += [line(b) for b in body]
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------- results
def load_results(path: Path = RESULTS) -> dict[str, Any] | None:
    """The machine-readable block of ``results.md`` (None if absent or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    blocks = _JSON_BLOCK.findall(text)
    if not blocks:
        return None
    try:
        data = json.loads(blocks[-1])
    except json.JSONDecodeError as exc:
        print(
            f"WARNING: {path}: machine-readable block is not valid JSON ({exc}); "
            "ratios not compared",
            flush=True,
        )
        return None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        return None
    return data


def compare(
    rows: list[dict], stored: dict[str, Any] | None, tolerance: float = TOLERANCE
) -> list[str]:
    """WARNING lines for ratios worse than the stored ones by more than tolerance."""
    if not stored:
        return []
    old = {(r.get("case"), r.get("size")): r for r in stored["rows"]}
    warnings = []
    for r in rows:
        before = old.get((r["case"], r["size"]))
        if before is None or r["ratio"] is None or not before.get("ratio"):
            continue
        now, then = float(r["ratio"]), float(before["ratio"])
        if now <= 0:
            continue
        lower = r.get("better", "higher") == "lower"
        worse = now / then if lower else then / now
        if worse > tolerance:
            # A ratio measured on another machine (another CPU target or SIMD
            # width) may differ for that reason alone: say so.
            where = before.get("machine")
            elsewhere = (
                f"; stored on another machine: {where}"
                if where and where != r.get("machine", where)
                else ""
            )
            warnings.append(
                f"WARNING: ratio regression: {r['case']} @ {fmt_size(r['size'])}: "
                f"{then:.3g} stored -> {now:.3g} now ({'lower' if lower else 'higher'}"
                f" is better; worse by {worse:.2f}x > {tolerance}x){elsewhere}"
            )
    return warnings


def merge(rows: list[dict], stored: dict[str, Any] | None) -> list[dict]:
    """Stored rows with this run's rows replacing those of the same case and size;
    new rows are appended."""
    old = list(stored["rows"]) if stored else []
    new = {(r["case"], r["size"]): r for r in rows}
    out = []
    for r in old:
        key = (r.get("case"), r.get("size"))
        out.append(new.pop(key) if key in new else r)
    out.extend(r for r in rows if (r["case"], r["size"]) in new)
    return out


def render(rows: list[dict], machine: dict[str, Any]) -> str:
    """The text of ``results.md``."""
    v = machine["versions"]
    versions = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    return f"""# Benchmark results

Written by `python -m benchmarks --write` (rows of a run replace the stored rows of the
same case and size; other rows are kept, and each row names its machine). Regenerate
the official figures on a quiet machine with `python -m benchmarks --write`; CI runs
`python -m benchmarks --quick`, which compares its ratios with these and prints a
WARNING for any ratio worse by more than {TOLERANCE}× (it never fails on timing).

How to read the table:

- **median time**: median of k timed repetitions after one warm-up call, seconds;
  each repetition of a `simulate` case uses a different scenario
  (`transfers.dibao_monthly` + i yuan), so nothing can be cached.
- **reference time**: the reference measured in the same run on the same data
  (NumPy and pandas models of `tests/reference/`, peers, the memory floor).
- **ratio**: reference time ÷ library time (a speed-up; higher is better), except
  rows with a "≤" target on the ratio: `peak memory` = (population + extra) ÷
  population bytes, lower is better. "vs memory floor": floor ÷ simulate, so 0.33 is
  "within 3× of reading the population once". "vs Tax-Calculator anchor": our
  households/s ÷ 5e5 records/s, an outside anchor stated, not measured.
  "threads=2 vs threads=1": the scaling from 1 to 2 threads.
- **households/s**: size ÷ median time.
- **target / met**: the issue's required target (stretch in brackets) and whether
  this row meets it.

Last written: {machine["date"]}.

- Machine: {machine["cpu"]} ({machine.get("cpu_target", "?")}, \
{machine.get("simd", "?")}), {machine["usable_cores"]} usable cores \
({machine["logical_cores"]} logical), {machine["memory_gib"]} GiB, {machine["platform"]}
- Numba threads: {machine["numba_threads"]} ({machine["numba_threading_layer"]})
- Versions: Python {machine["python"]}, {versions}

{table(rows, markdown=True, machine=True)}

## Machine-readable data

Parsed by `python -m benchmarks` to compare ratios; regenerate rather than edit.

```json
{json.dumps({"machine": machine, "rows": rows}, ensure_ascii=False, indent=1)}
```
"""


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the table and warnings; see module doc."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI sizes (each module's quick sizes; ≤ 2 minutes)",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=common.parse_size,
        metavar="N",
        help="household counts overriding the modules' sizes (e.g. 1e5 1e6)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only these modules (simulate, indicators, sweep, "
        "startup, memory; repeat or comma-separate)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"merge this run's rows into {RESULTS.name}",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="results file to compare with and write (default benchmarks/results.md)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"run every case once at {common.SMOKE_SIZE} households",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        os.environ[common.SMOKE_ENV] = "1"

    names = select(discover(), args.only)
    machine = common.machine_info()
    print(
        f"commonprosperity benchmarks ({'quick' if args.quick else 'full'}): "
        f"{', '.join(n[6:] for n in names)}",
        flush=True,
    )
    print(
        f"machine: {common.machine_tag(machine)}; {machine['memory_gib']} GiB; "
        f"Python {machine['python']}",
        flush=True,
    )

    rows: list[dict] = []
    failed: list[str] = []
    t_start = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            got = run_module(name, args.quick, args.sizes)
        except Exception:  # report every failing benchmark, then go on
            failed.append(name)
            print(f"ERROR: {name} raised:", flush=True)
            traceback.print_exc()
            continue
        finally:
            gc.collect()
        machine = common.machine_info()  # threading layer is known after a run
        for r in got:
            r["machine"] = common.machine_tag(machine)
            r["date"] = machine["date"]
        rows.extend(got)
        print(f"   {len(got)} rows in {time.perf_counter() - t0:.1f} s", flush=True)

    print()
    print(table(rows))
    notes = [(i, r["note"]) for i, r in enumerate(rows, 1) if r.get("note")]
    if notes:
        print("\nnotes:")
        for i, text in notes:
            print(
                f"  [{i}] {rows[i - 1]['case']} @ {fmt_size(rows[i - 1]['size'])}: "
                f"{text}"
            )

    stored = load_results(args.results)
    warnings = compare(rows, stored)
    print()
    if stored is None:
        print(f"no stored results in {args.results}: ratios not compared")
    else:
        compared = sum(1 for r in rows if r["ratio"] is not None)
        print(
            f"compared ratios with {args.results} ({compared} rows with a ratio): "
            f"{len(warnings)} warning(s)"
        )
    for w in warnings:
        print(w)
    if args.write:
        args.results.write_text(render(merge(rows, stored), machine), encoding="utf-8")
        print(f"wrote {args.results}")
    print(f"total {time.perf_counter() - t_start:.1f} s")
    if failed:
        print(f"FAILED: {', '.join(failed)} raised (see tracebacks above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
