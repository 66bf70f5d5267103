"""``sweep`` of many scenarios against one-at-a-time references (issue 5).

Workload: S scenarios × N households, a two-lever grid (``transfers.dibao_monthly`` ×
``income_tax.basic_deduction``), full S = 1,000 at N = 1e6, quick S = 20 at
N = 1e5 (smoke: 4 × 2,000). Each sweep is timed whole (grid expansion, the base
ordering pass, every kernel pass, every Gini and the frame); the kernels are compiled
before timing: on a tiny population, and those only a larger size selects (the split
Gini's) by each case's untimed first call.

Rows (ratio = reference ÷ sweep, a speed-up; per_second = household-scenarios/s).
Each case name ends with its scenario count, "(1,000 scenarios)", so that rows of
quick and full runs, which differ in it, are never compared with each other. The
issue's time targets (≤ 15 s, ≤ 4 s) are quoted as ``issue: ≤N s`` in the note, and
so checked by the "met" column, only at the workload they are set for (1,000 × 1e6),
and so are the ratio targets: a quick sweep is mostly fixed cost.

- ``sweep exact vs S × argsort``: reference = S × one ``np.argsort`` of the N
  per-capita incomes (in population order) timed in the same run. The issue asks
  time per scenario ≤ 1.2 × one argsort, i.e. ratio ≥ 1/1.2, and ≤ 15 s at
  1,000 × 1e6.
- ``sweep bracket vs loop of simulate(bracket)``: reference = S × the median time
  of one ``simulate(..., gini="bracket")``; the issue asks ratio ≥ 3 and ≤ 4 s
  at 1,000 × 1e6.
- ``sweep exact vs loop of simulate(exact)``: reference = S × one exact simulate.
- ``sweep exact, tax lever only vs S × argsort`` and ``sweep bracket, tax lever
  only vs loop of simulate(bracket)``: the same count of
  ``income_tax.basic_deduction`` values alone, so that every scenario re-runs the
  income tax of every household it can change (the lane pass of
  ``_kernels.sweep_lanes``), not only the transfers, and a third of the
  households' incomes move in every scenario.
- ``sweep exact, wage lever only vs S × argsort`` and ``sweep bracket, wage lever
  only vs loop of simulate(bracket)``: the same count of ``wages.growth_rate``
  values, so that every household with a wage varies in every scenario (the lane
  pass with wage lanes; exact: each scenario's incomes moved too far to sort by
  insertion from the previous scenario's order, radix-sorted afresh). Households
  without a wage are evaluated once per sweep.
- ``sweep bracket, wage lever only vs Tax-Calculator anchor``: the wage sweep's
  household-scenarios per second ÷ 5e5 records/s (the issue's figure for
  Tax-Calculator, stated, not measured; as ``simulate``'s anchor rows). Every
  scenario recomputes every wage-dependent rule of every household with a wage;
  Tax-Calculator, one policy per run, would take the household-scenarios at its
  records per second.
- ``sweep exact, dibao lever only vs S × argsort`` and ``sweep bracket, dibao
  lever only vs loop of simulate(bracket)``: the same count of
  ``transfers.dibao_monthly`` values alone, from the base's to 1,600 yuan a month
  (a quarter of the households may receive dibao in some scenario: the level-D
  pass over them, with every other household evaluated once).

Peak memory of a sweep is measured by ``bench_memory`` (fresh process, peak RSS over
the population's own bytes).

Run alone: ``python -m benchmarks --only sweep [--quick]``.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks import common

FULL = (1_000_000, 1_000)  # households, scenarios
QUICK = (100_000, 20)
SMOKE_SCENARIOS = 4


def _grid(base, count: int) -> dict[str, list[float]]:
    """A dibao × basic-deduction grid of ``count`` scenarios (count = a × b)."""
    b = 1
    for k in range(int(count**0.5), 0, -1):
        if count % k == 0:
            b = k
            break
    a = count // b
    dibao = float(base.transfers.dibao_monthly)
    deduction = float(base.income_tax.basic_deduction)
    return {
        "transfers.dibao_monthly": [
            dibao + 400.0 * i / max(a - 1, 1) for i in range(a)
        ],
        "income_tax.basic_deduction": [
            deduction + 36_000.0 * j / max(b - 1, 1) for j in range(b)
        ],
    }


def _tax_grid(base, count: int) -> dict[str, list[float]]:
    """``count`` basic-deduction values, 36,000 yuan apart in all."""
    deduction = float(base.income_tax.basic_deduction)
    return {
        "income_tax.basic_deduction": [
            deduction + 36_000.0 * j / max(count - 1, 1) for j in range(count)
        ]
    }


def _dibao_grid(base, count: int) -> dict[str, list[float]]:
    """``count`` dibao lines from the base's to 1,600 yuan a month."""
    dibao = float(base.transfers.dibao_monthly)
    return {
        "transfers.dibao_monthly": [
            dibao + (1_600.0 - dibao) * j / max(count - 1, 1) for j in range(count)
        ]
    }


def _wage_grid(base, count: int) -> dict[str, list[float]]:
    """``count`` wage-growth rates from the base's, 10 points above it in all."""
    growth = float(base.wages.growth_rate)
    return {
        "wages.growth_rate": [
            growth + 0.1 * j / max(count - 1, 1) for j in range(count)
        ]
    }


def _moved(grid: dict[str, list[float]], i: int) -> dict[str, list[float]]:
    """``grid`` with every value moved up by ``i`` millionths of itself (at least
    ``i`` millionths): repetition ``i``'s scenarios, none an earlier one's."""
    return {
        key: [v + i * 1e-6 * max(abs(v), 1.0) for v in values]
        for key, values in grid.items()
    }


def _time_target(seconds: int, n: int, count: int) -> str:
    """The issue's time target of a whole sweep, quoted as one only at its workload."""
    if (n, count) == FULL:
        return f"issue: ≤{seconds} s at 1,000 × 1e6"
    return f"the issue's {seconds} s is for 1,000 scenarios × 1e6 households"


def _at_full(target: str, n: int, count: int) -> str:
    """A ratio target, set only at its workload: a quick sweep of 20 scenarios is
    mostly fixed cost (the sort, the population's order), which 1,000 share."""
    return target if (n, count) == FULL else ""


def run(quick: bool, sizes: list[int] | None = None) -> list[dict]:
    """Time sweeps against S argsorts and S single simulate runs; return rows."""
    from commonprosperity import Scenario, simulate, synthetic_population
    from commonprosperity.sweep import sweep

    n_default, count = QUICK if quick else FULL
    if common.smoke():
        count = SMOKE_SCENARIOS
    ns = common.pick_sizes(quick, sizes, (n_default,), (n_default,))
    base = Scenario.status_quo(2021)
    grid = _grid(base, count)
    count = len(grid["transfers.dibao_monthly"]) * len(
        grid["income_tax.basic_deduction"]
    )
    loop_mode = "bracket"

    # Compile every kernel (and load the caches) outside timing.
    tiny = synthetic_population(300, seed=1)
    for mode in ("exact", "bracket"):
        sweep(tiny, base, _grid(base, 4), gini=mode, progress=False)
        sweep(tiny, base, _tax_grid(base, 4), gini=mode, progress=False)
        sweep(tiny, base, _wage_grid(base, 4), gini=mode, progress=False)
        sweep(tiny, base, _dibao_grid(base, 4), gini=mode, progress=False)
    simulate(tiny, base, gini=loop_mode)

    repeats = 1 if (not quick and not common.smoke()) else 3
    rows: list[dict] = []
    for n in ns:
        rows += _rows_for(
            common.population(n), base, grid, count, loop_mode, quick, repeats
        )
    return rows


#: A sweep row differing from simulate by more than this is a bug, not noise.
MAX_REL_DIFF = 1e-9


def check_against_simulate(pop, base, frame, mode: str) -> None:
    """Raise if the first or last row of a sweep is not simulate's result.

    Outside timing. Every indicator of the frame that simulate reports must agree
    to ``MAX_REL_DIFF``; with ``mode="bracket"`` the exact Gini must lie in the
    row's bracket (the sweep merges histograms, so its estimate may differ from
    simulate's within it).
    """
    from commonprosperity import simulate

    levers = [c for c in frame.columns if "." in c]
    for k in sorted({0, len(frame) - 1}):
        row = frame.iloc[k]
        scenario = base.replace({c: row[c].item() for c in levers})
        exact = simulate(pop, scenario).indicators
        names = [c for c in exact.index if c in frame.columns and c != "gini"]
        gap = common.rel_diff(row[names].to_dict(), exact[names].to_dict(), names)
        if mode == "exact":
            gap = max(gap, common.rel_gap(row["gini"], exact["gini"]))
        elif not row["gini_lower"] <= exact["gini"] <= row["gini_upper"]:
            gap = math.inf
        if not gap <= MAX_REL_DIFF:
            raise AssertionError(
                f"sweep ({mode}) row {k} ({ {c: row[c] for c in levers} }) differs "
                f"from simulate by {gap:.2e} (allowed {MAX_REL_DIFF:.0e}; bracket "
                f"[{row.get('gini_lower')}, {row.get('gini_upper')}], exact Gini "
                f"{exact['gini']})"
            )


def _rows_for(pop, base, grid, count, loop_mode, quick, repeats) -> list[dict]:
    """Time one population: argsort, single simulate runs, both sweeps."""
    from commonprosperity import simulate
    from commonprosperity.sweep import sweep

    n = pop.n_households
    scenarios = common.variants(base, 12)
    households = simulate(pop, base).households
    per_capita = np.ascontiguousarray(
        households["disposable_income"].to_numpy() / households["size"].to_numpy()
    )
    sort = common.measure(lambda i: np.argsort(per_capita), quick=quick)
    # As bench_simulate: each call derives the households' terms afresh.
    one = {
        mode: common.measure(
            lambda i, mode=mode: simulate(pop, scenarios[i], gini=mode).indicators,
            quick=quick,
            max_repeats=5,
            setup=lambda: common.forget_derived(pop),
        )
        for mode in dict.fromkeys(("exact", loop_mode))
    }

    def time_sweep(g, mode):
        # Each repetition sweeps other values (moved by a millionth), so that
        # no result of an earlier one could be reused; the same workload.
        return common.measure(
            lambda i: sweep(pop, base, _moved(g, i), gini=mode, progress=False),
            quick=quick,
            repeats=repeats,
            setup=lambda: common.forget_derived(pop),
        )

    modes = ("exact", "bracket")
    timed = {mode: time_sweep(grid, mode) for mode in modes}
    taxes = {mode: time_sweep(_tax_grid(base, count), mode) for mode in modes}
    wages = {mode: time_sweep(_wage_grid(base, count), mode) for mode in modes}
    dibaos = {mode: time_sweep(_dibao_grid(base, count), mode) for mode in modes}
    for mode in modes:
        check_against_simulate(pop, base, timed[mode].last, mode)
        check_against_simulate(pop, base, taxes[mode].last, mode)
        check_against_simulate(pop, base, dibaos[mode].last, mode)
        check_against_simulate(pop, base, wages[mode].last, mode)
    rows: list[dict] = []
    work = count * n
    size_note = f"{count} scenarios × {n:,} households"
    scenarios_label = f"({count:,} scenarios)"
    exact_t = timed["exact"].median
    rows.append(
        common.row(
            f"sweep exact vs S × argsort {scenarios_label}",
            n,
            exact_t,
            count * sort.median,
            per_second=work / exact_t,
            target=_at_full("≥1/1.2 (≤1.2× argsort per scenario; issue 5)", n, count),
            note=(
                f"{size_note}; {exact_t / count * 1e3:.1f} ms per scenario, one "
                f"argsort {sort.median * 1e3:.1f} ms; {_time_target(15, n, count)}"
            ),
        )
    )
    bracket_t = timed["bracket"].median
    rows.append(
        common.row(
            f"sweep bracket vs loop of simulate({loop_mode}) {scenarios_label}",
            n,
            bracket_t,
            count * one[loop_mode].median,
            per_second=work / bracket_t,
            target=_at_full("≥3 (issue 5)", n, count),
            note=(
                f"{size_note}; {bracket_t / count * 1e3:.2f} ms per scenario; "
                f"reference = {count} × one simulate(gini={loop_mode!r}) "
                f"({one[loop_mode].median * 1e3:.1f} ms); "
                f"{_time_target(4, n, count)}"
            ),
        )
    )
    rows.append(
        common.row(
            f"sweep exact vs loop of simulate(exact) {scenarios_label}",
            n,
            exact_t,
            count * one["exact"].median,
            per_second=work / exact_t,
            target="",
            note=f"{size_note}; reference = {count} × one simulate",
        )
    )
    tax_note = f"{count} basic-deduction values × {n:,} households"
    dibao_note = f"{count} dibao lines up to 1,600 yuan a month × {n:,} households"
    wage_note = (
        f"{count} wage-growth rates × {n:,} households (every household with a "
        "wage varies)"
    )
    for lever, t, what in (
        ("tax", taxes["exact"].median, tax_note),
        ("dibao", dibaos["exact"].median, dibao_note),
        ("wage", wages["exact"].median, wage_note),
    ):
        rows.append(
            common.row(
                f"sweep exact, {lever} lever only vs S × argsort {scenarios_label}",
                n,
                t,
                count * sort.median,
                per_second=work / t,
                target=_at_full(
                    "≥1/1.2 (≤1.2× argsort per scenario; issue 5)", n, count
                ),
                note=(
                    f"{what}; {t / count * 1e3:.1f} ms per scenario; "
                    f"{_time_target(15, n, count)}"
                ),
            )
        )
    for lever, t, what in (
        ("tax", taxes["bracket"].median, tax_note),
        ("dibao", dibaos["bracket"].median, dibao_note),
        ("wage", wages["bracket"].median, wage_note),
    ):
        rows.append(
            common.row(
                f"sweep bracket, {lever} lever only vs loop of "
                f"simulate({loop_mode}) {scenarios_label}",
                n,
                t,
                count * one[loop_mode].median,
                per_second=work / t,
                target=_at_full("≥3 (issue 5)", n, count),
                note=(
                    f"{what}; {t / count * 1e3:.2f} ms per scenario; "
                    f"{_time_target(4, n, count)}"
                ),
            )
        )
    # Outside anchor: Tax-Calculator computes one policy per run, so its time for
    # these scenarios is their household-scenarios at its records per second.
    rows.append(
        common.row(
            f"sweep bracket, wage lever only vs Tax-Calculator anchor "
            f"{scenarios_label}",
            n,
            wages["bracket"].median,
            work / common.TAX_CALCULATOR_RECORDS_PER_S,
            per_second=work / wages["bracket"].median,
            note=(
                f"{count} wage-growth rates × {n:,} households; "
                "household-scenarios/s ÷ 5e5 records/s (the issue's figure; "
                "stated, not measured); every scenario recomputes the wages, "
                "contributions, income tax, best earner and dibao of every "
                "household with a wage; what no wage changes (the households' "
                "structure, their other incomes) is computed once per sweep; no "
                "target: the issue's ≥100× is households per second (the simulate "
                "rows), not household-scenarios"
            ),
            stated_reference=True,
        )
    )
    return rows
