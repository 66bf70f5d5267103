"""Run the benchmarks and compare their ratios with ``benchmarks/results.md``.

Usage: ``python -m benchmarks [--quick] [--sizes N ...] [--only NAME] [--write]``
(also ``--results PATH``, ``--smoke``). Usage errors (an unknown ``--only`` name, a
size below the minimum, given twice or too large for this machine's memory, a
``--results`` path that is a directory or that ``--write`` would overwrite though it
is not a results file) exit with status 2 before any benchmark runs.

Runs every ``benchmarks/bench_*.py`` module exposing ``run(quick)`` (and passes
``sizes=`` to those whose ``run`` accepts it), prints one table (case, size, median
time, reference time, ratio, households per second, target), compares every ratio
with the one stored in ``benchmarks/results.md`` for the same case and size, and
prints a ``WARNING`` line for each ratio worse by more than 1.5×, and for each row
with no ratio now where the stored row has one, and how many ratios had no stored
ratio to compare with. ``--write`` merges this run's rows into
``benchmarks/results.md``.
The exit code is 0 unless a benchmark raised (timings never fail a run).
"""

from __future__ import annotations

import argparse
import decimal
import gc
import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks import common
from commonprosperity._files import path_state
from commonprosperity._interrupt import stop_in

RESULTS = Path(__file__).with_name("results.md")
#: A ratio worse than the stored one by more than this factor prints a WARNING.
TOLERANCE = 1.5
#: Modules that measure in-process run first, subprocess-based ones last.
ORDER = ("bench_simulate", "bench_indicators", "bench_sweep")
LAST = ("bench_startup", "bench_memory")
_JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)
#: First line of every results file --write writes: what tells one from a README.
TITLE = "# Benchmark results"


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
    """Filter module names by ``--only`` values (``simulate`` or ``bench_simulate``).

    Raises ``ValueError`` naming an unknown value, or a value naming no module
    (``''``, ``','``), and listing the allowed names.
    """
    if only is None:
        return names
    allowed = f"allowed: {', '.join(n[6:] for n in names)}"
    wanted = {}  # module name -> the value as given, for the error message
    for value in only:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts:
            raise ValueError(f"--only {value!r} names no benchmark; {allowed}")
        for part in parts:
            module = part if part.startswith("bench_") else f"bench_{part}"
            wanted[module] = part
    unknown = sorted(given for module, given in wanted.items() if module not in names)
    if unknown:
        raise ValueError(f"--only: unknown benchmark(s) {unknown}; {allowed}")
    return [n for n in names if n in wanted]


def size_needs(names: list[str]) -> dict[str, bool]:
    """What the modules ``names`` do with ``--sizes``: ``uses_sizes``, whether any
    runs at them (a module sets ``USES_SIZES = False`` if not), and ``pandas``,
    whether any runs the pandas reference there (``PANDAS_REFERENCE = True``)."""
    modules = [importlib.import_module(f"benchmarks.{name}") for name in names]
    return {
        "uses_sizes": any(getattr(m, "USES_SIZES", True) for m in modules),
        "pandas": any(getattr(m, "PANDAS_REFERENCE", False) for m in modules),
    }


def default_sizes(names: list[str], quick: bool) -> list[int]:
    """The household counts the modules ``names`` run at without ``--sizes``.

    A module's ``FULL_SIZES``/``QUICK_SIZES``, or the households of its
    ``FULL``/``QUICK`` workload (``bench_sweep``); each count once.
    """
    sizes: set[int] = set()
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        if not getattr(module, "USES_SIZES", True):
            continue
        own = getattr(module, "QUICK_SIZES" if quick else "FULL_SIZES", None)
        if own is None:
            workload = getattr(module, "QUICK" if quick else "FULL", None)
            own = () if workload is None else (workload[0],)
        sizes.update(int(n) for n in own)
    return sorted(sizes)


def run_module(name: str, quick: bool, sizes: list[int] | None) -> list[dict]:
    """Import ``benchmarks.<name>`` and return its validated rows."""
    module = importlib.import_module(f"benchmarks.{name}")
    run = getattr(module, "run", None)
    if not callable(run):
        # A bench module that lost its entry point must not pass unnoticed.
        raise TypeError(f"benchmarks.{name} has no run(quick) function")
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


def fmt_time(t: float | None, up: bool = False) -> str:
    """Seconds in s, ms or µs; ``up``: rounded up (the library's time, shown
    against a time target: 3.004 s was "3.00 s" beside "≤3 s" and "no")."""
    if t is None:
        return "—"
    if up and math.isfinite(t):
        # In decimal, from the shortest repr: 1.1 s is 110 hundredths, not
        # 110.00000000000001 ("1.11 s"), and 3.000000001 s still "3.01 s".
        exact = decimal.Decimal(repr(t))

        def ceil(scale: int) -> int:
            return int((exact * scale).to_integral_value(decimal.ROUND_CEILING))

        if ceil(10_000) >= 10_000:
            return f"{decimal.Decimal(ceil(100)) / 100:.2f} s"
        if ceil(1_000_000) >= 1000:
            return f"{decimal.Decimal(ceil(10_000)) / 10:.1f} ms"
        return f"{ceil(1_000_000)} µs"
    # The unit is chosen on the rounded figure: 0.99996 s is "1.00 s", not
    # "1000.0 ms".
    if round(t * 1e3, 1) >= 1000:
        return f"{t:.2f} s"
    if round(t * 1e6) >= 1000:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def fmt_ratio(r: float | None, better: str = "higher") -> str:
    """A ratio with ×, to three figures rounded towards worse.

    A speed-up (``better="higher"``) is rounded down and a "lower is better" ratio
    up, so a shown figure never meets a target the ratio misses: 0.9996 is
    "0.999×" against "≥1", not "1×".
    """
    if r is None:
        return "—"
    if not math.isfinite(r) or r <= 0:
        return f"{r:.3g}×"
    exponent = 2 - math.floor(math.log10(r))
    if abs(exponent) > 300:
        # 10 ** exponent overflows: a stored ratio of 1e-310 crashed the table.
        return f"{r:.3g}×"
    scale = 10.0**exponent
    # The tolerance keeps a ratio such as 0.57 (569.99… × 1000) from losing a unit.
    if better == "lower":
        shown = math.ceil(r * scale * (1 - 1e-12)) / scale
    else:
        shown = math.floor(r * scale * (1 + 1e-12)) / scale
    return f"{shown:.3g}×"


def fmt_rate(x: float | None) -> str:
    """Households per second to two significant figures, as ``6.1e8`` or ``1e4``."""
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    # Rounding to two figures in the same step as the exponent keeps 9960 from
    # becoming "10e3".
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


#: A bound as targets and notes write it: "≥" or "≤", then a number or a
#: fraction ("≥1/3": within 3× of the floor; 0.33 marked 3.03× as met).
_BOUND = r"([≥≤])\s*([0-9]+(?:\.[0-9]+)?(?:/[0-9]+(?:\.[0-9]+)?)?)\s*"


def _bound_value(text: str) -> float:
    """A bound's number, a fraction divided out (NaN for a zero denominator)."""
    numerator, _, denominator = text.partition("/")
    if not denominator:
        return float(numerator)
    return float(numerator) / float(denominator) if float(denominator) else math.nan


def target_met(r: dict[str, Any]) -> str:
    """``yes`` if every target the row quotes holds, ``no`` if one does not, empty if
    it quotes none or lacks a value to check.

    The targets: the target column's leading bound, on the ratio (``≥3 (stretch
    8)``) or on the median time (``≤3 s``), and every time target its note quotes
    from the issue (``issue: ≤4 s``), on the median time.
    """
    bounds = []
    m = re.match(r"\s*" + _BOUND + r"(s\b)?", r.get("target") or "")
    if m:
        bounds.append(m.groups())
    for op, bound in re.findall(r"issue: " + _BOUND + r"s\b", r.get("note") or ""):
        bounds.append((op, bound, "s"))
    if not bounds:
        return ""
    ok = True
    for op, bound, seconds in bounds:
        value = r.get("median_s") if seconds else r.get("ratio")
        if value is None:
            return ""
        limit = _bound_value(bound)
        if math.isnan(limit):
            return ""  # "≥1/0" in a stored row: no bound to check
        ok = ok and (value >= limit if op == "≥" else value <= limit)
    return "yes" if ok else "no"


def has_time_target(r: dict[str, Any]) -> bool:
    """Whether the row quotes a target on its median time (``target_met``'s)."""
    m = re.match(r"\s*" + _BOUND + r"(s\b)?", r.get("target") or "")
    return bool(m and m.group(3)) or bool(
        re.search(r"issue: " + _BOUND + r"s\b", r.get("note") or "")
    )


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
            # Rounded up only against a time target: elsewhere the same time
            # read 73.7 ms here and 73.6 ms as the next row's reference.
            fmt_time(r["median_s"], up=has_time_target(r)),
            fmt_time(r["reference_s"]),
            fmt_ratio(r["ratio"], r.get("better", "higher")),
            fmt_rate(r["per_second"]),
            r.get("target") or "",
            target_met(r),
        ]
        if machine:
            cells.append(r.get("machine", ""))
        if markdown:
            cells.append(r.get("note") or "")
        body.append([_one_line(str(c)) for c in cells])
    if markdown:
        numeric = range(1, 6)
        lines = [
            "| " + " | ".join(head) + " |",
            "|"
            + "|".join("---:" if i in numeric else "---" for i in range(len(head)))
            + "|",
        ]
        lines += [
            "| " + " | ".join(_one_line(c).replace("|", "\\|") for c in b) + " |"
            for b in body
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


def _one_line(text: str) -> str:
    """``text`` with its line breaks as spaces: a table row is one line."""
    return " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


# --------------------------------------------------------------------------- results
def check_results_path(path: Path, write: bool) -> Path:
    """Return the results file ``path`` names (a symbolic link's target), or raise
    ``ValueError`` if it cannot be one: a name the system refuses, a link that
    loops, a directory, a device, pipe or socket (reading one would wait or never
    end), a file in a missing directory or, with ``write``, a place where the file
    or the ``.partial`` file written beside it first cannot be written."""
    try:
        if path.is_symlink():
            # --write renames a finished file over the path: over the link's
            # target, not over the link.
            try:
                path = path.resolve(strict=False)
            except (OSError, RuntimeError) as exc:
                raise ValueError(
                    f"{path} is a symbolic link that cannot be followed ({exc})"
                ) from None
            if path.is_symlink():
                raise ValueError(f"{path} is a symbolic link that loops")
        state = path_state(path)
    except OSError as exc:
        raise ValueError(
            f"{path}: the system refuses this name ({exc.strerror or exc})"
        ) from None
    if state == "directory":
        raise ValueError(f"{path} is a directory, not a results file")
    if state == "other":
        raise ValueError(
            f"{path} is not a regular file (a device, pipe or socket); give a "
            "Markdown file written by --write, or a new one"
        )
    if not path.parent.is_dir():
        if path.parent.exists():
            raise ValueError(f"{path}: {path.parent} is not a directory")
        raise ValueError(f"{path}: its directory {path.parent} does not exist")
    if write:
        if path.exists() and not os.access(path, os.W_OK):
            raise ValueError(f"{path} cannot be written (permission denied)")
        # The run writes beside the file, then renames: try that now, not after
        # the benchmarks have run for minutes.
        partial = _partial(path)
        try:
            with open(partial, "a", encoding="utf-8"):
                pass
            partial.unlink()
        except OSError as exc:
            raise ValueError(
                f"{path} cannot be written: {partial} cannot be created there "
                f"({exc.strerror or exc})"
            ) from None
    return path


def _partial(path: Path) -> Path:
    """Where ``--write`` writes before renaming over ``path``."""
    return path.with_name(path.name + ".partial")


def load_results(path: Path = RESULTS) -> dict[str, Any] | None:
    """The machine-readable block of a results file, or None if there is no file.

    Raises ``ValueError`` naming the file and why if it exists but is not a results
    file written by ``--write`` (no title or no JSON block: a README, say), its
    block is not valid JSON, or a stored row is not a row, so that ``--write``
    refuses it rather than overwrite it.
    """
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"{path} cannot be read ({exc})") from None
    blocks = _JSON_BLOCK.findall(text)
    if not text.startswith(TITLE) or not blocks:
        raise ValueError(
            f"{path} is not a results file written by --write (it lacks the "
            f"{TITLE!r} title or a ```json block)"
        )
    try:
        data = json.loads(blocks[-1])
    except ValueError as exc:
        # JSONDecodeError, and plain ValueError for an integer of more than
        # 4,300 digits, whose message named no file.
        raise ValueError(
            f"{path}: machine-readable block is not valid JSON ({exc})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValueError(
            f'{path}: machine-readable block is not an object with a "rows" list'
        )
    seen: dict[tuple[str, int], int] = {}
    for i, r in enumerate(data["rows"], 1):
        if not _is_row(r):
            raise ValueError(
                f"{path}: stored row {i} is not a row (an object with a text case, "
                f"a whole size, finite numbers or null for the times and the rate, a "
                f"positive ratio or null, text or null for the target, note, machine "
                f'and date, and "better" of "higher" or "lower"): '
                f"{json.dumps(r, ensure_ascii=False)[:200]}"
            )
        key = (r["case"], r["size"])
        if key in seen:
            # Compared with one and replaced in the other, a duplicate would
            # warn on every run.
            raise ValueError(
                f"{path}: stored rows {seen[key]} and {i} are both {r['case']!r} at "
                f"size {r['size']:,}; keep one"
            )
        seen[key] = i
    return data


def table_edited(path: Path, stored: dict[str, Any]) -> bool:
    """Whether the Markdown table of ``path`` is not the one its JSON block gives.

    Runs compare with the JSON block and ``--write`` renders the table from it, so
    a hand edit of the table alone would be dropped without a word.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return False
    return table(stored["rows"], markdown=True, machine=True) not in text


def _is_row(r: Any) -> bool:
    """Whether ``r`` is a row :func:`table` and :func:`compare` can use."""
    if not isinstance(r, dict) or not isinstance(r.get("case"), str):
        return False
    if not isinstance(r.get("size"), int) or isinstance(r.get("size"), bool):
        return False
    # Present, if null: table() reads them by key, and a row without one made
    # --write fail at the end of the run, its benchmarks thrown away.
    if not all(key in r for key in ("median_s", "reference_s", "ratio", "per_second")):
        return False
    numbers = all(
        r.get(key) is None
        or (
            isinstance(r[key], int | float)
            and not isinstance(r[key], bool)
            and math.isfinite(r[key])
        )
        for key in ("median_s", "reference_s", "ratio", "per_second")
    )
    texts = all(
        r.get(key) is None or isinstance(r[key], str)
        for key in ("target", "note", "machine", "date", "module")
    )
    ratio = r.get("ratio")
    return (
        numbers
        and texts
        and (ratio is None or ratio > 0)
        and r.get("better", "higher") in ("higher", "lower")
    )


def _by_key(stored: dict[str, Any] | None) -> dict[tuple[str, int], dict]:
    """The stored rows by (case, size) (unique: :func:`load_results` checks)."""
    return {(r["case"], r["size"]): r for r in stored["rows"]} if stored else {}


def stored_pairs(
    rows: list[dict], stored: dict[str, Any] | None
) -> list[tuple[dict, dict | None]]:
    """This run's rows with a ratio, each with the stored row of the same case and
    size that has a ratio (None if there is none)."""
    old = _by_key(stored)
    pairs = []
    for r in rows:
        if r["ratio"] is None or r.get("stated_reference"):
            continue
        before = old.get((r["case"], r["size"]))
        pairs.append((r, before if before and before.get("ratio") else None))
    return pairs


def compare(
    rows: list[dict], stored: dict[str, Any] | None, tolerance: float = TOLERANCE
) -> list[str]:
    """WARNING lines for ratios worse than the stored ones by more than tolerance,
    and for rows that have no ratio now where the stored row has one."""
    warnings = []
    old = _by_key(stored)
    for r in rows:
        if r.get("stated_reference"):
            continue
        before = old.get((r["case"], r["size"]))
        if r["ratio"] is None and before is not None and before.get("ratio"):
            warnings.append(
                f"WARNING: no ratio now: {r['case']} @ {fmt_size(r['size'])} "
                f"(stored {before['ratio']:.3g}); see its note"
            )
    for r, before in stored_pairs(rows, stored):
        if before is None:
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
                f" is better; worse by {_rounded_up(worse)}x > {tolerance}x)"
                f"{elsewhere}"
            )
    return warnings


def _rounded_up(factor: float) -> str:
    """``factor`` to three decimals, rounded up: a factor of 1.504 over a
    tolerance of 1.5 read "worse by 1.50x > 1.5x" to two."""
    return f"{math.ceil(factor * 1000) / 1000:.3f}"


def not_measured(rows: list[dict], stored: dict[str, Any] | None) -> list[str]:
    """Stored cases of the modules and sizes this run measured that it did not
    measure (a quick run measures fewer cases than a full one)."""
    if not stored:
        return []
    ran = {(r.get("module"), r["size"]) for r in rows}
    now = {(r["case"], r["size"]) for r in rows}
    return [
        f"{r['case']} @ {fmt_size(r['size'])}"
        for r in stored["rows"]
        if (r.get("module"), r["size"]) in ran and (r["case"], r["size"]) not in now
    ]


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


def _machines_note(rows: list[dict], machine: dict[str, Any]) -> str:
    """A sentence naming the machines of rows kept from other runs, or ""."""
    own = common.machine_tag(machine)
    others: dict[str, int] = {}
    for r in rows:
        tag = r.get("machine")
        if tag and tag != own:
            others[tag] = others.get(tag, 0) + 1
    if not others:
        return ""
    kept = "; ".join(f"{n} on {tag}" for tag, n in others.items())
    return (
        f" Rows kept from earlier runs on other machines ({kept}) keep their "
        "machine in the table's machine column; the machine and versions below "
        "are the last run's."
    )


def render(rows: list[dict], machine: dict[str, Any]) -> str:
    """The text of ``results.md``."""
    v = machine["versions"]
    versions = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    return f"""{TITLE}

Written by `python -m benchmarks --write` (rows of a run replace the stored rows of the
same case and size; other rows are kept, and each row names its machine). Regenerate
the official figures on a quiet machine with `python -m benchmarks --write` and the
rows CI compares with (its smaller sizes) with `python -m benchmarks --quick --write`;
CI runs `python -m benchmarks --quick`, which compares its ratios with these and
prints a WARNING for any ratio worse by more than {TOLERANCE}×, or missing where a
stored row has one (it never fails on timing).

How to read the table:

- **case**: `sweep` cases end with their scenario count ("(1,000 scenarios)"):
  quick and full runs sweep different counts and must not be compared.
- **median time**: median of k timed repetitions after one warm-up call, seconds;
  each repetition of a `simulate` case uses a different scenario
  (`transfers.dibao_monthly` + i yuan), so no result can be reused, and the
  population forgets what earlier calls derived from it (sizes, tiers, Gini
  weights) before each, untimed: `simulate` derives them every time, as the
  reference models do. (What `simulate` keeps of earlier calls on a population
  are two work arrays, a row per household, whose every value it writes anew.)
- **reference time**: the reference measured in the same run on the same data
  (NumPy and pandas models of `tests/reference/`, peers, the memory floor).
- **ratio**: reference time ÷ library time (a speed-up; higher is better), except
  two kinds of row where lower is better: `peak memory` = (population + extra) ÷
  population bytes (target ≤ 2), and `baseline(2023) peak memory` = the baseline's
  peak RSS ÷ synthetic_population's (no target). "vs memory floor": floor ÷
  library, so 1/3 is "within 3× of reading the data once"; the floor is the
  fastest of its repetitions, not the median, since it is a hardware lower bound
  and noise only adds time; a floor slower than the library's median is noted
  "floor measurement invalid (machine busy?)" and given no ratio. "vs three-sum
  scatter": the same, with the fastest run of the three sums a Gini bracket needs
  per row (w, w·x, w·x² added to the income's bin, nothing else) as the floor. "vs
  Tax-Calculator anchor": our households/s (a sweep's: household-scenarios/s)
  ÷ 5e5 records/s, the issue's "about
  5e5" for Tax-Calculator, stated, not measured (the workplace's shared machine
  notes, `../shared/PERFORMANCE.md`, not shipped, give 4.7e5 records/s warm; the
  issue's figure is the anchor used); with a stated, not measured, reference
  these ratios follow the machine's speed, so runs do not compare them with the
  stored ones. "threads=2 vs threads=1": the scaling from 1 to 2 threads.
- **households/s**: size ÷ median time; for `sweep` rows household-scenarios per
  second (size × scenarios ÷ time), for `gini` rows incomes per second (size =
  incomes), for `bootstrap` rows households per second of one replicate.
- **target / met**: a required target (stretch in brackets) of issue 8, or of the
  issue named beside it (issue 4: the baseline; 5: sweeps; 6: the bootstrap),
  quoted at the size and workload it is set for only, and whether this row meets
  it: "yes" only if every target the row quotes holds, the target column's and a
  time target its note quotes from the issue ("issue: ≤4 s"); blank if it quotes
  none or lacks the value. Ratios are shown to three figures rounded towards
  worse, so a shown ratio never meets a target the row misses.

Last written: {machine["date"]}.{_machines_note(rows, machine)}

- Machine of that run: {machine["cpu"]} ({machine.get("cpu_target", "?")}, \
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
def _terminated(signum, frame) -> None:
    # As for Ctrl-C: unwinding runs the modules' clean-ups (bench_startup's
    # scratch caches in the temporary folder), which a bare SIGTERM skips.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the table and warnings; see module doc."""
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
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
        action="extend",
        nargs="+",
        type=common.parse_size,
        metavar="N",
        help=f"household counts overriding the modules' sizes (e.g. 1e5 1e6; each "
        f"at least {common.MIN_SIZE:,} and given once; startup always runs at "
        "1,000 households)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only these modules ({', '.join(n[6:] for n in discover())}; "
        "repeat or comma-separate)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="merge this run's rows into the --results file (refused, before any "
        "run, if that file exists but was not written by --write)",
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
        help=f"run every case once, at {common.SMOKE_SIZE:,} households unless "
        "--sizes is given",
    )
    args = parser.parse_args(argv)
    # Every usage error is reported here, before a benchmark runs for minutes.
    try:
        names = select(discover(), args.only)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        common.pandas_max()  # an environment variable's error, not --sizes'
    except ValueError as exc:
        parser.error(str(exc))
    try:
        common.check_sizes(args.sizes or [], **size_needs(names))
    except ValueError as exc:
        parser.error(f"--sizes: {exc}")
    if not args.sizes and not args.smoke:
        # The modules' own sizes (1e7 in a full run) need the memory too.
        try:
            common.check_sizes(default_sizes(names, args.quick), **size_needs(names))
        except ValueError as exc:
            parser.error(f"the default sizes of this run: {exc}; give --sizes")
    try:
        args.results = check_results_path(args.results, args.write)
    except ValueError as exc:
        parser.error(f"--results: {exc}")
    try:
        stored = load_results(args.results)
    except ValueError as exc:
        if args.write:
            parser.error(
                f"--results: {exc}; --write would overwrite it: fix or move it, "
                "or give another --results"
            )
        print(f"WARNING: {exc}; ratios not compared", flush=True)
        stored = None
    if stored is not None and table_edited(args.results, stored):
        print(
            f"WARNING: the table in {args.results} is not the one its JSON block "
            "gives (edited by hand?): ratios are compared with the JSON block, and "
            "--write renders the table from it, dropping such edits",
            flush=True,
        )
    smoke_env = common.smoke() and not args.smoke
    if smoke_env and args.write and args.results.resolve() == RESULTS.resolve():
        # The stored ratios CI compares with; another file is the smoke tests'.
        parser.error(
            f"{common.SMOKE_ENV} is set: every case runs once, untimed (a smoke "
            f"run), and does not --write {RESULTS.name}; unset it for timings "
            "to store"
        )
    if args.smoke and args.write:
        # One repetition each is a check that every case runs, not a timing: as
        # stored ratios later runs would be compared with noise.
        parser.error("--smoke runs every case once, untimed: it does not --write")
    if args.smoke:
        os.environ[common.SMOKE_ENV] = "1"

    machine = common.machine_info()
    mode = (
        "smoke"
        if args.smoke
        else f"smoke: {common.SMOKE_ENV} is set"
        if smoke_env
        else "quick"
        if args.quick
        else "full"
    )
    print(
        f"commonprosperity benchmarks ({mode}): {', '.join(n[6:] for n in names)}",
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
        except Exception as exc:  # report every failing benchmark, then go on
            stop = stop_in(exc)
            if stop is not None:
                # SIGTERM or Ctrl-C inside a Numba call, wrapped in a
                # SystemError: a stop, not a failing benchmark.
                raise stop from None
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

    warnings = compare(rows, stored)
    pairs = stored_pairs(rows, stored)
    compared = sum(1 for _, before in pairs if before is not None)
    print()
    if stored is None:
        print(
            f"no stored results in {args.results}: {len(pairs)} ratio(s) not compared"
        )
    else:
        stated = sum(1 for r in rows if r.get("stated_reference"))
        print(
            f"compared ratios with {args.results}: {compared} compared, "
            f"{len(pairs) - compared} with no stored ratio; {len(warnings)} warning(s)"
            + (
                f"; {stated} against a stated reference not compared (they follow "
                "the machine's speed)"
                if stated
                else ""
            )
        )
    for w in warnings:
        print(w)
    missing = not_measured(rows, stored)
    if missing:
        print(
            f"{len(missing)} stored case(s) of the modules and sizes run were not "
            f"measured: {'; '.join(missing)}"
        )
    if args.write and not rows:
        print(f"nothing written to {args.results}: no benchmark gave a row")
    elif args.write:
        # Written beside and then renamed over the file, so that an interrupted
        # write cannot leave it half written.
        partial = _partial(args.results)
        partial.write_text(render(merge(rows, stored), machine), encoding="utf-8")
        os.replace(partial, args.results)
        print(f"wrote {args.results}")
    print(f"total {time.perf_counter() - t_start:.1f} s")
    if failed:
        print(f"FAILED: {', '.join(failed)} raised (see tracebacks above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
