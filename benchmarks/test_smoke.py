"""Smoke tests: every benchmark module runs once at a tiny size; runner logic.

Also the pytest-benchmark cases (``test_bench_*``): timed by pytest-benchmark when
run without ``--benchmark-disable``; each round uses a different scenario.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import math
import os
import re
import signal

import numpy as np
import pytest

import benchmarks.__main__ as runner
from benchmarks import common


# --------------------------------------------------------------------------- modules
@pytest.mark.parametrize("name", runner.discover())
def test_benchmark_module_runs_once(name, monkeypatch):
    monkeypatch.setenv(common.SMOKE_ENV, "1")
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "run", None)), f"{name} lacks run(quick)"
    # Full, not quick: quick drops workloads (bench_memory's exact sweep), which
    # then never ran in CI. Smoke mode keeps it one repetition at 2,000 households.
    rows = runner.run_module(name, quick=False, sizes=None)
    # Every module measures something: a module whose rows all vanished (a
    # feature that failed and was skipped) fails here.
    assert isinstance(rows, list) and rows, f"{name} returned no rows"
    for r in rows:
        assert r["case"] and r["size"] > 0
        assert r["median_s"] is None or r["median_s"] > 0
        assert r["ratio"] is None or r["ratio"] > 0
        assert r["better"] in ("higher", "lower")
    # A header, a rule and one line per row (no row breaks across lines).
    assert len(runner.table(rows).splitlines()) == len(rows) + 2
    if name == "bench_sweep":
        # Quick and full runs sweep different counts: the count is in the key.
        from benchmarks.bench_sweep import SMOKE_SCENARIOS

        assert rows and all(
            r["case"].endswith(f"({SMOKE_SCENARIOS} scenarios)") for r in rows
        )


def test_discover_orders_in_process_modules_first():
    names = runner.discover()
    assert {
        "bench_simulate",
        "bench_indicators",
        "bench_startup",
        "bench_memory",
    } <= set(names)
    assert names.index("bench_simulate") < names.index("bench_memory")
    assert names[-1] in runner.LAST


def test_select_accepts_short_and_long_names():
    names = runner.discover()
    assert runner.select(names, ["simulate,bench_memory"]) == [
        "bench_simulate",
        "bench_memory",
    ]
    # The error names the value as the user gave it, not the module name.
    with pytest.raises(ValueError, match=r"unknown benchmark\(s\) \['nope'\]"):
        runner.select(names, ["simulate,nope"])


def _no_run(name, quick, sizes):
    raise AssertionError(f"{name} ran despite a usage error")


def _usage_error(argv, capsys, monkeypatch) -> str:
    """stderr of ``main(argv)``, which must stop with a usage error before a run."""
    monkeypatch.setattr(runner, "run_module", _no_run)
    with pytest.raises(SystemExit) as exc:
        runner.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m benchmarks")
    return err


@pytest.mark.parametrize("value", ["nosuch", "simulate,nosuch", "", ",", " , "])
def test_only_unknown_or_empty_is_a_usage_error_listing_the_names(
    value, capsys, monkeypatch
):
    err = _usage_error(["--only", value], capsys, monkeypatch)
    assert repr("nosuch") in err if "nosuch" in value else repr(value) in err
    for name in runner.discover():
        assert name[len("bench_") :] in err


def test_help_lists_every_module_and_says_what_sizes_do(capsys):
    with pytest.raises(SystemExit) as exc:
        runner.main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    only = text[text.index("run only these modules") :]
    only = only[: only.index(")")]
    for name in runner.discover():
        assert name[len("bench_") :] in only
    smoke = text[text.index("run every case once") :]
    assert smoke.startswith(
        f"run every case once, at {common.SMOKE_SIZE:,} households unless --sizes"
    )
    assert "startup always runs at 1,000 households" in text


def test_sizes_below_the_minimum_or_given_twice_are_usage_errors(capsys, monkeypatch):
    err = _usage_error(["--sizes", "999"], capsys, monkeypatch)
    assert "'999'" in err and f"{common.MIN_SIZE:,}" in err
    err = _usage_error(["--sizes", "1e5", "100000"], capsys, monkeypatch)
    assert "100,000 is given twice" in err


def test_min_size_is_the_baselines_minimum():
    from commonprosperity.baseline import MIN_HOUSEHOLDS

    assert common.MIN_SIZE == MIN_HOUSEHOLDS
    assert common.parse_size(str(MIN_HOUSEHOLDS)) == MIN_HOUSEHOLDS


def test_memory_guard_uses_measured_bytes_and_the_pandas_limit(monkeypatch):
    monkeypatch.setattr(common, "_meminfo_gib", lambda field="MemTotal": 8.0)
    monkeypatch.delenv(common.PANDAS_MAX_ENV, raising=False)
    # 1e7 households with pandas: 1e7 × 1,200 B = 11.2 GiB > 8 GiB.
    need = 10_000_000 * common.BYTES_PER_HOUSEHOLD_PANDAS / 2**30
    with pytest.raises(ValueError) as exc:
        common.check_sizes([10_000_000])
    message = str(exc.value)
    assert "10,000,000" in message and f"{need:.3g} GiB" in message
    assert "8 GiB available" in message
    # Without pandas above 1e6: 1e7 × 700 B = 6.5 GiB fits; 2e7 (13 GiB) does not.
    monkeypatch.setenv(common.PANDAS_MAX_ENV, "1e6")
    common.check_sizes([10_000_000])
    with pytest.raises(ValueError, match="20,000,000"):
        common.check_sizes([20_000_000])


def test_too_large_sizes_and_a_bad_pandas_limit_are_usage_errors(capsys, monkeypatch):
    monkeypatch.setattr(common, "_meminfo_gib", lambda field="MemTotal": 8.0)
    err = _usage_error(["--sizes", "1e7"], capsys, monkeypatch)
    assert "10,000,000" in err and "8 GiB available" in err
    monkeypatch.setenv(common.PANDAS_MAX_ENV, "lots")
    err = _usage_error(["--only", "indicators"], capsys, monkeypatch)
    assert f"{common.PANDAS_MAX_ENV}='lots'" in err


def test_startup_and_baseline_say_what_size_they_used(monkeypatch, capsys):
    from benchmarks import bench_baseline, bench_startup

    monkeypatch.delenv(common.SMOKE_ENV, raising=False)
    timing = {"import": 0.5, "first_simulate": 0.5, "total": 1.0, "wall": 1.5}
    monkeypatch.setattr(bench_startup, "_child", lambda code, cache: dict(timing))
    rows = bench_startup.run(True, sizes=[5_000])
    assert {r["size"] for r in rows} == {bench_startup.SIZE}
    assert "startup always runs at 1,000 households" in capsys.readouterr().out

    def fake(case, n, repeats):
        return {
            "times": [1.0],
            "import_s": 0.1,
            "first_call_s": 0.2,
            "peak_rss_kb": 1024,
        }

    monkeypatch.setattr(bench_baseline, "_measure", fake)
    (row, _) = bench_baseline.run(True, sizes=[1_500])
    assert "first call (1,500 households" in row["note"]
    (row, _) = bench_baseline.run(True, sizes=[500])
    assert row["size"] == 1_000 and "first call (1,000 households" in row["note"]
    assert "below the baseline's minimum" in capsys.readouterr().out


def test_bench_modules_are_not_scripts():
    # Run as ``python benchmarks/bench_x.py`` a module cannot import ``benchmarks``:
    # none may offer a __main__ block or document that form.
    from pathlib import Path

    here = Path(runner.__file__).parent
    for name in runner.discover():
        source = (here / f"{name}.py").read_text(encoding="utf-8")
        assert "__main__" not in source, name
        assert "python benchmarks/" not in source, name


# --------------------------------------------------------------------------- results
def _rows():
    return [
        common.row(
            "simulate exact vs numpy_model",
            100_000,
            0.01,
            0.04,
            target="≥3 (stretch 8)",
        ),
        common.row(
            "peak memory simulate exact",
            100_000,
            None,
            ratio=1.3,
            per_second=None,
            better="lower",
            target="≤2",
        ),
        common.row(
            "startup warm cache", 1_000, 2.0, 1.0, per_second=None, target="≤3 s"
        ),
    ]


def test_results_round_trip_and_regression_warnings(tmp_path):
    path = tmp_path / "results.md"
    rows = _rows()
    path.write_text(runner.render(rows, common.machine_info()), encoding="utf-8")
    stored = runner.load_results(path)
    assert stored["rows"] == rows
    assert runner.compare(rows, stored) == []

    worse = _rows()
    worse[0]["ratio"] = 4.0 / 1.6  # 4x stored -> 2.5x: worse by 1.6x
    worse[1]["ratio"] = 1.3 * 1.4  # lower is better; worse by 1.4x: no warning
    warnings = runner.compare(worse, stored)
    assert len(warnings) == 1
    assert warnings[0].startswith("WARNING: ratio regression: simulate exact")
    worse[1]["ratio"] = 1.3 * 1.6
    assert len(runner.compare(worse, stored)) == 2
    better = _rows()
    better[0]["ratio"] = 100.0
    better[1]["ratio"] = 1.0
    assert runner.compare(better, stored) == []


def test_merge_replaces_same_case_and_size_and_keeps_others():
    stored = {"rows": _rows()}
    new = [
        common.row("simulate exact vs numpy_model", 100_000, 0.02, 0.04),
        common.row("new case", 10, 1.0),
    ]
    merged = runner.merge(new, stored)
    assert [r["case"] for r in merged] == [
        "simulate exact vs numpy_model",
        "peak memory simulate exact",
        "startup warm cache",
        "new case",
    ]
    assert merged[0]["median_s"] == 0.02


def test_target_met_and_formatting():
    rows = _rows()
    assert runner.target_met(rows[0]) == "yes"  # ratio 4 >= 3
    assert runner.target_met(rows[1]) == "yes"  # 1.3 <= 2
    assert runner.target_met(rows[2]) == "yes"  # 2 s <= 3 s
    assert runner.fmt_size(10_000_000) == "1e7"
    assert runner.fmt_size(2_500) == "2,500"
    assert runner.fmt_time(0.0123) == "12.3 ms"
    assert runner.fmt_rate(6.1e8) == "6.1e8"
    assert common.parse_size("1e6") == 1_000_000
    assert common.parse_size("100_000") == 100_000


def test_met_checks_the_time_target_a_note_quotes():
    def sweep_row(median_s):
        return common.row(
            "sweep bracket vs loop of simulate(bracket) (1,000 scenarios)",
            1_000_000,
            median_s,
            81.8,
            target="≥3",
            note="1000 scenarios; issue: ≤4 s at 1000 × 1e6",
        )

    assert runner.target_met(sweep_row(2.35)) == "yes"  # 34.8× ≥ 3 and ≤ 4 s
    assert runner.target_met(sweep_row(7.73)) == "no"  # 10.6× ≥ 3 but 7.73 s > 4 s
    assert runner.target_met(sweep_row(40.0)) == "no"  # 2.0× < 3, and 40 s > 4 s
    # A time target alone, in the note, is checked too; no value, no verdict.
    assert runner.target_met({"median_s": 16.8, "note": "issue: ≤15 s"}) == "no"
    assert runner.target_met({"median_s": None, "note": "issue: ≤15 s"}) == ""
    # The sweep quotes its time targets as targets only at the issue's workload.
    from benchmarks.bench_sweep import FULL, QUICK, _time_target

    at_issue = {"median_s": 5.0, "note": _time_target(4, *FULL)}
    quick = {"median_s": 5.0, "note": _time_target(4, *QUICK)}
    assert runner.target_met(at_issue) == "no" and runner.target_met(quick) == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9960, "1e4"),
        (99.6, "1e2"),
        (9940, "9.9e3"),
        (6.1e8, "6.1e8"),
        (7e6, "7e6"),
        (1.0, "1e0"),
    ],
)
def test_fmt_rate_rounds_to_two_figures_across_a_power_of_ten(value, text):
    assert runner.fmt_rate(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.99996, "1.00 s"),
        (0.99994, "999.9 ms"),
        (1.0, "1.00 s"),
        (0.0009996, "1.0 ms"),
        (0.0009994, "999 µs"),
        (2.5e-6, "2 µs"),
    ],
)
def test_fmt_time_changes_unit_on_the_rounded_figure(seconds, text):
    assert runner.fmt_time(seconds) == text


def test_formatted_figures_stay_below_their_next_unit():
    for x in np.geomspace(1e-7, 1e3, 4001):
        number, unit = runner.fmt_time(float(x)).split()
        assert unit == "s" or float(number) < 1000, x
        mantissa = float(runner.fmt_rate(float(x) * 1e6).split("e")[0])
        assert 1 <= mantissa < 10, x


@pytest.mark.parametrize(
    "text", ["abc", "0", "-5", "1.5", "nan", "inf", "", "1", "999", "1e2"]
)
def test_parse_size_names_the_bad_value_and_what_is_allowed(text):
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(repr(text))) as exc:
        common.parse_size(text)
    assert f"at least {common.MIN_SIZE:,}" in str(exc.value)


def _write_rows(path, rows):
    path.write_text(runner.render(rows, common.machine_info()), encoding="utf-8")


def test_load_results_refuses_what_it_did_not_write(tmp_path):
    assert runner.load_results(tmp_path / "absent.md") is None
    broken = tmp_path / "broken.md"
    broken.write_text(
        "# Benchmark results\n\n```json\n{not json\n```\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="not valid JSON"):
        runner.load_results(broken)
    readme = tmp_path / "README.md"
    readme.write_text("# A project\n\nSome prose.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a results file written by --write"):
        runner.load_results(readme)
    _write_rows(broken, [])
    text = broken.read_text(encoding="utf-8").replace('"rows": []', '"rows": [1]')
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="stored row 1 is not a row"):
        runner.load_results(broken)


@pytest.mark.parametrize("kind", ["readme", "broken json", "row not a dict"])
def test_write_never_overwrites_a_file_it_cannot_read(
    kind, tmp_path, capsys, monkeypatch
):
    path = tmp_path / "results.md"
    _write_rows(path, _rows())
    text = {
        "readme": "# Project\n\nNot a results file.\n",
        "broken json": path.read_text(encoding="utf-8").replace('"rows": [', "[", 1),
        "row not a dict": path.read_text(encoding="utf-8").replace(
            '"rows": [', '"rows": ["x", ', 1
        ),
    }[kind]
    path.write_text(text, encoding="utf-8")
    err = _usage_error(
        ["--only", "indicators", "--results", str(path), "--write"], capsys, monkeypatch
    )
    assert str(path) in err and "--write would overwrite it" in err
    assert path.read_text(encoding="utf-8") == text
    # Without --write the run goes on, says why nothing is compared, and writes
    # nothing.
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: _rows())
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    assert f"WARNING: {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("write", [[], ["--write"]])
def test_results_path_must_be_a_file_in_an_existing_folder(
    write, tmp_path, capsys, monkeypatch
):
    err = _usage_error(["--results", str(tmp_path), *write], capsys, monkeypatch)
    assert f"{tmp_path} is a directory" in err
    missing = tmp_path / "no such folder" / "results.md"
    err = _usage_error(["--results", str(missing), *write], capsys, monkeypatch)
    assert "does not exist" in err and str(missing.parent) in err


def test_summary_counts_compared_rows_and_rows_with_no_stored_row(
    tmp_path, capsys, monkeypatch
):
    path = tmp_path / "results.md"
    _write_rows(path, _rows()[:1])
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: _rows())
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    # Three rows with a ratio, one of them stored.
    assert "1 compared, 2 with no stored ratio" in capsys.readouterr().out


def test_main_smoke_writes_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(common.SMOKE_ENV, "1")
    path = tmp_path / "results.md"
    assert runner.main(["--only", "indicators", "--results", str(path), "--write"]) == 0
    rows = runner.load_results(path)["rows"]
    assert rows
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    out = capsys.readouterr().out
    # Exact counts are test_summary_counts_...'s: a smoke floor row may lose its
    # ratio to noise in one run and not the other.
    assert re.search(r"compared ratios with .*: \d+ compared, \d+ with no stored", out)


def test_render_explains_rates_lower_is_better_and_the_anchor():
    text = " ".join(runner.render(_rows(), common.machine_info()).split())
    assert "household-scenarios per second" in text
    assert "incomes per second" in text
    assert "`baseline(2023) peak memory`" in text and "(no target)" in text
    assert "`../shared/PERFORMANCE.md`, not shipped" in text and "4.7e5" in text
    assert "fastest of its repetitions" in text


def test_stored_sweep_rows_name_their_scenario_count():
    stored = runner.load_results(runner.RESULTS)
    keys = [(r["case"], r["size"]) for r in stored["rows"]]
    assert len(keys) == len(set(keys))
    sweeps = [r for r in stored["rows"] if r["case"].startswith("sweep")]
    assert sweeps
    for r in sweeps:
        count = int(re.match(r"(\d+) ", r["note"]).group(1))
        assert r["case"].endswith(f" ({count:,} scenarios)"), r["case"]


def test_rel_gap_fails_on_nan_or_inf_on_one_side():
    nan, inf = math.nan, math.inf
    assert common.rel_gap(1.0 + 1e-12, 1.0) == pytest.approx(1e-12)
    assert common.rel_gap(0.0, 0.0) == 0.0
    assert common.rel_gap(nan, nan) == 0.0
    for x, y in ((nan, 0.3), (0.3, nan), (inf, 0.3), (0.3, -inf), (inf, inf)):
        assert common.rel_gap(x, y) == inf
    a = {"gini": 0.3, "mean": nan, "top": 1.0}
    assert common.rel_diff(a, {"gini": 0.3, "mean": nan, "top": 1.0}, a) == 0.0
    assert common.rel_diff(a, {"gini": nan, "mean": nan, "top": 1.0}, a) == inf
    assert common.rel_diff(a, {"gini": 0.3, "mean": 2.0, "top": 1.0}, a) == inf


def test_floor_is_the_fastest_read_and_never_beats_the_library():
    floor = common.Timing(0.3, (0.5, 0.1, 0.3), 0.4)
    r = common.floor_row("simulate exact vs memory floor", 10, 0.2, floor)
    assert r["reference_s"] == 0.1 and r["ratio"] == pytest.approx(0.5)
    assert "fastest of 3" in r["note"]
    slow = common.Timing(0.4, (0.5, 0.3, 0.4), 0.4)
    r = common.floor_row("x vs memory floor", 10, 0.2, slow, target="≥0.33")
    assert r["ratio"] is None and runner.target_met(r) == ""
    assert r["note"].startswith("floor measurement invalid (machine busy?)")


def test_rules_free_pass_reads_every_array_it_claims(monkeypatch):
    # Its per-capita incomes and totals, recomputed in NumPy from the module's
    # definition: market income, with the employed count, the summed ages and the
    # id taken off as levies and given back as benefits.
    from benchmarks.skeleton import rules_free_pass, rules_free_totals_of
    from commonprosperity import synthetic_population
    from commonprosperity._kernels import histogram
    from commonprosperity._kernels import simulate as K
    from commonprosperity._kernels.histogram import (
        _ordinary_scale,
        binned,
        binned_bracket,
        exact_bracket,
    )
    from commonprosperity.simulate import _gini_weight

    pop = synthetic_population(5_000, seed=11)
    per_capita = np.empty(pop.n_households)
    totals = rules_free_totals_of(pop, per_capita)
    starts = pop.offsets[:-1]
    market = np.add.reduceat(
        pop.wage + pop.business + pop.property + pop.pension, starts
    )
    employed = np.add.reduceat(pop.employed.astype(float), starts)
    years = np.add.reduceat(pop.age.astype(float), starts)
    size = np.diff(pop.offsets)
    np.testing.assert_allclose(per_capita, market / size, rtol=1e-12, atol=1e-9)
    w = pop.weight
    assert totals[K.S_HOUSEHOLDS] == pytest.approx(w.sum(), rel=1e-12)
    assert totals[K.S_DISPOSABLE] == pytest.approx((w * market).sum(), rel=1e-12)
    assert totals[K.S_CONTRIBUTIONS] == pytest.approx((w * employed).sum(), rel=1e-12)
    assert totals[K.S_RESIDENTS_PENSION] == totals[K.S_CONTRIBUTIONS]
    assert totals[K.S_IIT] == pytest.approx((w * years).sum(), rel=1e-12)
    ids = w * pop.household_id
    assert totals[K.S_PROPERTY_TAX] == pytest.approx(ids.sum(), rel=1e-12)
    assert totals[K.S_DIBAO] == totals[K.S_PROPERTY_TAX]
    # Households without income at exactly 0: the histogram gives the bracket,
    # with no fall-back to the exact sort (simulate's path, timed alike). So few
    # households are bracketed by their exact Gini; with bins at any size (as
    # from 32,768 households, the benchmarks' sizes) the histogram's.
    assert np.all(per_capita[market == 0] == 0)
    weight = _gini_weight(pop)
    assert rules_free_pass(pop) == exact_bracket(per_capita, weight)
    monkeypatch.setattr(histogram, "HISTOGRAM_MIN_ROWS", 0)
    parts = binned(per_capita, weight)
    n = per_capita.shape[0]
    assert _ordinary_scale(parts[0], parts[1]) and binned_bracket(parts, n) is not None
    assert rules_free_pass(pop)[1:] == binned_bracket(parts, n)[1:]


def test_bootstrap_replicate_time_at_or_below_zero_gives_no_ratio():
    from benchmarks.bench_bootstrap import FEW, MANY, replicate_row

    r = replicate_row("gini", 1_000, 0.05, 0.05 + (MANY - FEW) * 0.001, 0.01)
    assert r["median_s"] == pytest.approx(0.001) and r["ratio"] == pytest.approx(10)
    for many in (0.05, 0.04):
        r = replicate_row("gini", 1_000, 0.05, many, 0.01)
        assert r["median_s"] is None and r["ratio"] is None
        assert r["per_second"] is None and r["note"].startswith("no ratio")


def test_measure_calls_with_distinct_indices():
    seen = []
    timing = common.measure(seen.append, repeats=4)
    assert seen == [0, 1, 2, 3, 4]
    assert timing.repeats == 4 and timing.median >= 0


# ------------------------------------------------------------------ pytest-benchmark
def _cycle(scenarios, population=None):
    """Each round's scenario in turn; with ``population``, which then forgets
    what earlier rounds derived from it (as ``python -m benchmarks`` does)."""
    counter = itertools.count()

    def setup():
        if population is not None:
            common.forget_derived(population)
        return (scenarios[next(counter) % len(scenarios)],), {}

    return setup


@pytest.mark.parametrize("mode", ["exact", "bracket"])
def test_bench_simulate(benchmark, population, scenarios, mode):
    from commonprosperity import simulate

    result = benchmark.pedantic(
        lambda sc: simulate(population, sc, gini=mode).indicators,
        setup=_cycle(scenarios, population),
        rounds=5,
        warmup_rounds=1,
    )
    assert 0 < result["gini"] < 1


def test_bench_numpy_reference(benchmark, population, scenarios):
    from tests.reference import numpy_model

    result = benchmark.pedantic(
        lambda sc: numpy_model.indicators(population, sc),
        setup=_cycle(scenarios),
        rounds=3,
        warmup_rounds=1,
    )
    assert 0 < result["gini"] < 1


def test_bench_pandas_reference(benchmark, frames, scenarios):
    from tests.reference import pandas_model

    result = benchmark.pedantic(
        lambda sc: pandas_model.indicators(frames, sc),
        setup=_cycle(scenarios),
        rounds=3,
        warmup_rounds=1,
    )
    assert 0 < result["gini"] < 1


@pytest.mark.parametrize("method", ["exact", "bracket"])
def test_bench_gini(benchmark, n_households, method):
    from benchmarks.bench_indicators import gini_data
    from commonprosperity.metrics import gini

    x, w = gini_data(n_households)
    result = benchmark(gini, x, w, method=method)
    value = result if method == "exact" else result.estimate
    assert 0 < value < 1


def test_bench_memory_floor(benchmark, population):
    arrays = list(common.population_arrays(population).values())
    total = benchmark(common.read_once, arrays)
    assert np.isfinite(total)


def test_machine_tag_tells_cpu_targets_apart_and_warnings_name_the_other_machine():
    info = common.machine_info()
    assert info["simd"] in ("AVX-512", "AVX2", "SSE", "unknown SIMD")
    tag = common.machine_tag(info)
    assert f"({info['cpu_target']}, {info['simd']})" in tag
    # Same model name, another SIMD width: another machine, and the warning says so.
    other = common.machine_tag({**info, "simd": "other SIMD"})
    assert other != tag
    stored = {"rows": [{**_rows()[0], "machine": other}]}
    now = [{**_rows()[0], "ratio": 1.0, "machine": tag}]
    (warning,) = runner.compare(now, stored)
    assert warning.endswith(f"stored on another machine: {other}")
    stored["rows"][0]["machine"] = tag
    (warning,) = runner.compare(now, stored)
    assert "another machine" not in warning


# ---------------------------------------------------------- errors are never skipped
def test_a_raising_benchmark_fails_the_run_and_the_others_still_run(
    monkeypatch, capsys, tmp_path
):
    def run_module(name, quick, sizes):
        if name == "bench_indicators":
            raise ValueError("broken feature")
        return _rows()[:1]

    monkeypatch.setattr(runner, "run_module", run_module)
    argv = ["--only", "simulate,indicators", "--results", str(tmp_path / "r.md")]
    assert runner.main(argv) == 1
    out = capsys.readouterr().out
    assert "ERROR: bench_indicators raised" in out
    assert "FAILED: bench_indicators" in out
    assert "simulate exact vs numpy_model" in out  # the other module's row


@pytest.mark.parametrize("stop", [SystemExit(143), KeyboardInterrupt()])
def test_a_stop_inside_a_numba_call_ends_the_run(monkeypatch, tmp_path, stop):
    """SIGTERM's SystemExit (or Ctrl-C) raised while Numba loads a kernel comes
    back as a SystemError: it was reported as a failing benchmark and the run went
    on with the other modules for minutes."""
    ran = []

    def run_module(name, quick, sizes):
        ran.append(name)
        try:
            raise stop
        except BaseException as exc:
            raise SystemError(
                "CPUDispatcher returned a result with an exception set"
            ) from exc

    monkeypatch.setattr(runner, "run_module", run_module)
    argv = ["--only", "indicators,simulate", "--results", str(tmp_path / "r.md")]
    with pytest.raises(type(stop)) as info:
        runner.main(argv)
    assert info.value is stop
    assert len(ran) == 1  # the other module did not run


def test_a_module_without_run_is_an_error(monkeypatch):
    import types

    monkeypatch.setattr(importlib, "import_module", lambda name: types.ModuleType(name))
    with pytest.raises(TypeError, match="bench_x has no run"):
        runner.run_module("bench_x", quick=True, sizes=None)


def test_peer_and_sweep_checks_raise_on_a_different_value():
    from benchmarks import bench_indicators, bench_sweep
    from commonprosperity import Scenario, sweep, synthetic_population

    bench_indicators._check_peer("microdf", 1e-12, 1e-9, 10)
    for gap in (1e-3, math.nan, math.inf):
        with pytest.raises(AssertionError, match="microdf's Gini differs"):
            bench_indicators._check_peer("microdf", gap, 1e-9, 10)

    pop = synthetic_population(300, seed=1)
    base = Scenario.status_quo(2021)
    grid = {"transfers.dibao_monthly": [900.0, 1_200.0]}
    for mode in ("exact", "bracket"):
        frame = sweep(pop, base, grid, gini=mode, progress=False)
        bench_sweep.check_against_simulate(pop, base, frame, mode)
        tampered = frame.copy()
        tampered.loc[1, "per_capita_disposable_income"] *= 1 + 1e-6
        with pytest.raises(AssertionError, match="differs from simulate"):
            bench_sweep.check_against_simulate(pop, base, tampered, mode)
        tampered = frame.copy()
        tampered.loc[0, "gini"] += 1e-3
        tampered.loc[0, "gini_upper"] = tampered.loc[0, "gini_lower"] = tampered.loc[
            0, "gini"
        ]
        with pytest.raises(AssertionError, match="differs from simulate"):
            bench_sweep.check_against_simulate(pop, base, tampered, mode)


@pytest.mark.parametrize(
    "change",
    [
        {"target": 3},
        {"note": 7},
        {"machine": ["x"]},
        {"median_s": math.nan},
        {"ratio": math.inf},
        {"ratio": 0.0},
        {"ratio": -2.0},
        {"better": "sideways"},
    ],
)
def test_load_results_refuses_a_malformed_stored_row(tmp_path, change):
    path = tmp_path / "results.md"
    text = runner.render(_rows(), common.machine_info())
    block = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    data = json.loads(block.group(1))
    data["rows"][1].update(change)
    # As a hand edit would leave it: the JSON block changed, the table not.
    path.write_text(
        text[: block.start(1)] + json.dumps(data) + text[block.end(1) :],
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="stored row 2 is not a row"):
        runner.load_results(path)


@pytest.mark.parametrize("key", ["median_s", "reference_s", "ratio", "per_second"])
def test_load_results_refuses_a_stored_row_missing_a_key(tmp_path, key):
    # table() reads these by key: --write ran every benchmark, then a KeyError.
    path = tmp_path / "results.md"
    text = runner.render(_rows(), common.machine_info())
    block = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    data = json.loads(block.group(1))
    del data["rows"][0][key]
    path.write_text(
        text[: block.start(1)] + json.dumps(data) + text[block.end(1) :],
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="stored row 1 is not a row"):
        runner.load_results(path)


def test_smoke_runs_do_not_write(tmp_path, capsys, monkeypatch):
    path = tmp_path / "results.md"
    _write_rows(path, _rows())
    before = path.read_text(encoding="utf-8")
    err = _usage_error(
        ["--smoke", "--only", "bootstrap", "--results", str(path), "--write"],
        capsys,
        monkeypatch,
    )
    assert "--smoke runs every case once, untimed: it does not --write" in err
    assert path.read_text(encoding="utf-8") == before


def test_load_results_refuses_duplicate_case_and_size(tmp_path):
    rows = _rows()
    rows.append(dict(rows[0], ratio=50.0))
    path = tmp_path / "results.md"
    path.write_text(runner.render(rows, common.machine_info()), encoding="utf-8")
    with pytest.raises(ValueError, match="stored rows 1 and 4 are both"):
        runner.load_results(path)


def test_a_lost_ratio_warns_and_unmeasured_stored_cases_are_listed():
    stored = {"rows": [dict(r, module="bench_x") for r in _rows()]}
    now = [dict(_rows()[0], ratio=None, module="bench_x")]
    warnings = runner.compare(now, stored)
    assert warnings == [
        "WARNING: no ratio now: simulate exact vs numpy_model @ 1e5 (stored 4); "
        "see its note"
    ]
    # Same module and size: the memory row was not measured; the startup row
    # (size 1,000) is of a size this run did not measure.
    assert runner.not_measured(now, stored) == ["peak memory simulate exact @ 1e5"]


def test_a_line_break_in_a_note_stays_in_its_row():
    rows = _rows()
    rows[0]["note"] = "first line\nsecond | line"
    text = runner.table(rows, markdown=True, machine=True)
    assert len(text.splitlines()) == len(rows) + 2
    assert "first line second \\| line" in text


def test_sizes_given_in_two_flags_are_merged(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(
        runner, "run_module", lambda name, quick, sizes: seen.append(sizes) or []
    )
    assert runner.main(["--only", "simulate", "--sizes", "1e5", "--sizes", "2e5"]) == 0
    assert seen == [[100_000, 200_000]]
    message = _usage_error(
        ["--only", "simulate", "--sizes", "1e5", "--sizes", "1e5"], capsys, monkeypatch
    )
    assert "1e5" in message or "100,000" in message or "100000" in message


@pytest.mark.parametrize("write", [[], ["--write"]])
def test_a_fifo_or_device_as_results_is_a_usage_error(
    write, tmp_path, capsys, monkeypatch
):
    # Reading a named pipe waited forever, /dev/zero until memory ran out: an
    # alarm turns such a regression into a failure, not a hung suite.
    fifo = tmp_path / "results.md"
    os.mkfifo(fifo)

    def hung(signum, frame):
        raise TimeoutError("the runner read the pipe or device")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        for path in (fifo, "/dev/zero"):
            err = _usage_error(["--results", str(path), *write], capsys, monkeypatch)
            assert f"{path} is not a regular file" in err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux's /proc")
def test_write_checks_it_can_create_its_partial_file_before_any_run(
    capsys, monkeypatch
):
    # /proc is a folder in which no one, root included, can create a file: the
    # run used to measure everything and then fail writing results.md.partial.
    err = _usage_error(
        ["--results", "/proc/results.md", "--write"], capsys, monkeypatch
    )
    assert "/proc/results.md.partial cannot be created" in err


def test_a_write_check_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    path = tmp_path / "results.md"
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: _rows())
    runner.check_results_path(path, write=True)
    assert list(tmp_path.iterdir()) == []
    assert runner.main(["--only", "indicators", "--results", str(path), "--write"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.md"]


def test_rows_against_a_stated_reference_are_not_compared(tmp_path, capsys):
    anchor = common.row(
        "simulate bracket vs Tax-Calculator anchor",
        1_000_000,
        0.02,
        2.0,
        stated_reference=True,
    )
    stored = {"rows": [dict(anchor, ratio=1000.0)]}
    # 100 now against 1,000 stored: the machine is slower, not the code.
    assert runner.compare([anchor], stored) == []
    assert runner.stored_pairs([anchor], stored) == []
    path = tmp_path / "results.md"
    _write_rows(path, [dict(anchor, ratio=1000.0)])
    assert runner.load_results(path)["rows"][0]["stated_reference"] is True
    # A measured reference is still compared.
    measured = dict(anchor)
    del measured["stated_reference"]
    assert len(runner.compare([measured], stored)) == 1


def test_populations_are_released_when_the_next_one_may_not_fit(monkeypatch):
    monkeypatch.setattr(common, "_POPULATIONS", {})
    monkeypatch.setattr(common, "_meminfo_gib", lambda key: 1e6)
    common.population(1_000)
    common.population(1_100)
    assert sorted(n for n, _ in common._POPULATIONS) == [1_000, 1_100]
    # Less memory available than the next size needs: the others go first.
    monkeypatch.setattr(common, "_meminfo_gib", lambda key: 1e-9)
    common.population(1_200)
    assert sorted(n for n, _ in common._POPULATIONS) == [1_200]


def test_a_hand_edited_table_is_reported(tmp_path, capsys, monkeypatch):
    path = tmp_path / "results.md"
    _write_rows(path, _rows())
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: _rows())
    assert not runner.table_edited(path, runner.load_results(path))
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    assert "edited by hand" not in capsys.readouterr().out
    # A figure changed in the table only: the JSON block still says 0.04 s.
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("| 40.0 ms |", "| 4.0 ms |", 1), encoding="utf-8")
    assert runner.table_edited(path, runner.load_results(path))
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    assert "is not the one its JSON block gives" in capsys.readouterr().out


# ------------------------------------------------------------ probe of session 36
def test_a_results_name_the_system_refuses_or_under_a_file_is_a_usage_error(
    tmp_path, capsys, monkeypatch
):
    err = _usage_error(["--results", str(tmp_path / ("x" * 300))], capsys, monkeypatch)
    assert "the system refuses this name" in err
    plain = tmp_path / "w.md"
    plain.write_text("", encoding="utf-8")
    err = _usage_error(["--results", str(plain / "x.md")], capsys, monkeypatch)
    assert f"{plain} is not a directory" in err


def test_write_through_a_link_updates_its_target_and_a_loop_is_refused(
    tmp_path, capsys, monkeypatch
):
    target = tmp_path / "target.md"
    _write_rows(target, _rows()[:1])
    link = tmp_path / "link.md"
    link.symlink_to(target)
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: _rows())
    argv = ["--only", "indicators", "--results", str(link), "--write"]
    assert runner.main(argv) == 0
    assert link.is_symlink()
    assert len(runner.load_results(target)["rows"]) == len(_rows())
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    err = _usage_error(["--results", str(loop), "--write"], capsys, monkeypatch)
    assert "symbolic link" in err


def test_write_with_no_row_leaves_the_results_file_alone(tmp_path, capsys, monkeypatch):
    path = tmp_path / "results.md"
    _write_rows(path, _rows())
    before = path.read_bytes()

    def fail(name, quick, sizes):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run_module", fail)
    argv = ["--only", "indicators", "--results", str(path), "--write"]
    assert runner.main(argv) == 1
    assert "nothing written" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_targets_are_quoted_at_the_size_they_are_set_for():
    # Only issue 8's targets (or another issue's, named), at their size.
    from benchmarks import bench_indicators, bench_memory, bench_simulate

    for n in (1_000_000, 5_000_000, 20_000_000):
        assert set(bench_indicators._targets(n).values()) == {""}
    at_1e7 = bench_indicators._targets(10_000_000)
    assert at_1e7 == {
        "numpy": "≥2.5 (stretch 5)",
        "microdf": "≥7 (stretch 20)",
        "floor": "",
    }
    at_1e7 = bench_simulate._targets(10_000_000)
    assert at_1e7["exact pandas"] == "≥6 (stretch 15)"
    assert at_1e7["bracket pandas"] == ""  # the issue sets none for bracket mode
    for n in (100_000, 1_000_000, 3_000_000, 20_000_000):
        assert set(bench_simulate._targets(n).values()) == {""}
    assert bench_memory.SMALLEST_TARGET_SIZE == 100_000


def test_a_missing_required_peer_is_an_error(monkeypatch):
    import builtins

    from benchmarks import bench_indicators

    real_import = builtins.__import__

    def no_peers(name, *args, **kwargs):
        if name.startswith(("microdf", "inequality")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_peers)
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="microdf is not installed"):
        bench_indicators._microdf(3, x, x, None, {"microdf": ""})
    with pytest.raises(RuntimeError, match="pysal inequality is not installed"):
        bench_indicators._pysal(3, x, None, True)


def test_the_memory_check_suggests_a_size_it_accepts_and_skips_unsized_modules(
    monkeypatch,
):
    monkeypatch.setattr(common, "_meminfo_gib", lambda field="MemTotal": 8.0)
    for limit in ("0", "1e6", "7e6", "3e7"):
        monkeypatch.setenv(common.PANDAS_MAX_ENV, limit)
        with pytest.raises(ValueError) as exc:
            common.check_sizes([40_000_000])
        suggested = int(
            re.search(r"at most ([0-9,]+)", str(exc.value))[1].replace(",", "")
        )
        common.check_sizes([suggested])
        with pytest.raises(ValueError):
            common.check_sizes([suggested + 1])
    # Modules that do not run at --sizes are not held to them; without the
    # pandas reference a size needs less.
    common.check_sizes([40_000_000], uses_sizes=False)
    assert runner.size_needs(["bench_startup"]) == {
        "uses_sizes": False,
        "pandas": False,
    }
    assert runner.size_needs(["bench_startup", "bench_simulate"]) == {
        "uses_sizes": True,
        "pandas": True,
    }
    monkeypatch.setenv(common.PANDAS_MAX_ENV, "3e7")
    with pytest.raises(ValueError):
        common.check_sizes([8_000_000])
    common.check_sizes([8_000_000], pandas=False)


@pytest.mark.parametrize(
    ("ratio", "better", "text"),
    [
        (0.9996, "higher", "0.999×"),
        (0.57, "higher", "0.57×"),
        (45.16, "higher", "45.1×"),
        (2.0004, "lower", "2.01×"),
        (1.29, "lower", "1.29×"),
        (None, "higher", "—"),
    ],
)
def test_fmt_ratio_rounds_towards_worse(ratio, better, text):
    assert runner.fmt_ratio(ratio, better) == text


def test_sigterm_unwinds_like_an_interrupt_and_the_handler_is_restored(monkeypatch):
    def terminate(name, quick, sizes):
        os.kill(os.getpid(), signal.SIGTERM)
        return _rows()

    monkeypatch.setattr(runner, "run_module", terminate)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exc:
        runner.main(["--only", "indicators", "--results", os.devnull + "x"])
    assert exc.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_default_sizes_are_checked_for_memory(monkeypatch, tmp_path, capsys):
    """Only --sizes were checked: a full run's 1e7 went ahead on a 4 GiB machine."""
    monkeypatch.setattr(common, "_meminfo_gib", lambda *a: 4.0)
    called = []
    monkeypatch.setattr(runner, "run_module", lambda *a: called.append(a) or [])
    with pytest.raises(SystemExit) as e:
        runner.main(["--only", "simulate", "--results", str(tmp_path / "r.md")])
    assert e.value.code == 2
    assert not called
    assert "the default sizes of this run: size 10,000,000" in capsys.readouterr().err
    assert runner.default_sizes(["bench_sweep"], quick=True) == [100_000]


def test_sweep_repetitions_sweep_other_values():
    from benchmarks.bench_sweep import _moved

    grid = {"transfers.dibao_monthly": [0.0, 1_200.0], "wages.growth_rate": [0.05]}
    assert _moved(grid, 0) == grid
    one, two = _moved(grid, 1), _moved(grid, 2)
    for key, values in grid.items():
        for a, b, c in zip(values, one[key], two[key], strict=True):
            assert a < b < c
            assert c - a <= 2.000001e-6 * max(abs(a), 1.0)


@pytest.mark.parametrize(
    "key, value", [("ratio", math.inf), ("ratio", 0.0), ("median_s", math.nan)]
)
def test_a_row_that_could_not_be_read_back_is_refused_before_it_is_written(key, value):
    """results.md is read back with every figure finite (and a ratio > 0); a row
    written with "ratio": Infinity stopped every later comparison."""
    from benchmarks import common

    row = {"case": "x vs y", "size": 10, "median_s": 1.0, "ratio": 2.0}
    row[key] = value
    with pytest.raises(ValueError, match=f"bench_x: row 'x vs y' @ 10: {key} must"):
        common.validate_rows([row], "bench_x")


def test_met_reads_a_fraction_bound_exactly():
    """Targets quoted as 0.33 ("within 3× of the floor") and 0.83 ("≤ 1.2 ×
    argsort") marked 3.03× and 1.203× as met; the bound is now the fraction."""
    floor = {"ratio": 0.3301, "target": "≥1/3 (≤3× floor)"}
    assert runner.target_met(floor) == "no"
    assert runner.target_met(dict(floor, ratio=1 / 3)) == "yes"
    sweep = {"ratio": 0.831, "target": "≥1/1.2 (≤1.2× argsort per scenario)"}
    assert runner.target_met(sweep) == "no"
    assert runner.target_met(dict(sweep, ratio=0.8334)) == "yes"


def test_a_tiny_or_huge_stored_ratio_is_shown_not_raised():
    """10 ** (2 - floor(log10 1e-310)) overflowed: a malformed results.md failed
    the run with a traceback."""
    assert runner.fmt_ratio(1e-310) == "1e-310×"
    assert runner.fmt_ratio(1e305) == "1e+305×"
    assert runner.fmt_ratio(0.57) == "0.57×"


def test_a_results_block_with_a_huge_integer_names_the_file(tmp_path):
    """json.loads raised a plain ValueError (integer of more than 4,300 digits)
    whose message named no file."""
    path = tmp_path / "results.md"
    _write_rows(path, [])
    text = path.read_text(encoding="utf-8").replace(
        '"rows": []', '"rows": [], "x": ' + "9" * 5_000
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}: .*not valid JSON"):
        runner.load_results(path)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3.004, "3.01 s"),
        (3.0, "3.00 s"),
        (1.1, "1.10 s"),
        (2.2, "2.20 s"),
        (1e10, "10000000000.00 s"),
        (3.000000001, "3.01 s"),
        (0.0010000000004, "1.1 ms"),
        (0.99991, "1.00 s"),
        (0.0123, "12.3 ms"),
    ],
)
def test_the_library_time_is_shown_rounded_up(seconds, text):
    """3.004 s showed "3.00 s" beside a target of "≤3 s" that it missed."""
    assert runner.fmt_time(seconds, up=True) == text
    number, unit = text.split()
    shown = float(number) * {"s": 1.0, "ms": 1e-3, "µs": 1e-6}[unit]
    assert shown >= seconds * (1 - 1e-12)


def test_odd_stored_values_do_not_crash_the_table():
    """A stored time of 1e305 overflowed the rounding up; a bound "≥1/0"
    divided by zero."""
    assert runner.fmt_time(1e305, up=True).endswith("00.00 s")
    assert runner.target_met({"ratio": 2.0, "target": "≥1/0"}) == ""


def test_an_exported_smoke_variable_does_not_write_and_says_smoke(capsys, monkeypatch):
    """COMMONPROSPERITY_BENCH_SMOKE=1 with --write stored one-repetition
    timings in results.md as a "full" run's (session 57's probe)."""
    monkeypatch.setenv(common.SMOKE_ENV, "1")
    before = runner.RESULTS.read_bytes()
    err = _usage_error(["--only", "baseline", "--write"], capsys, monkeypatch)
    assert f"{common.SMOKE_ENV} is set" in err and "does not --write" in err
    assert runner.RESULTS.read_bytes() == before
    monkeypatch.setattr(runner, "run_module", lambda name, quick, sizes: [])
    assert runner.main(["--only", "baseline"]) == 0
    assert f"(smoke: {common.SMOKE_ENV} is set)" in capsys.readouterr().out


def test_a_bad_pandas_limit_is_not_blamed_on_sizes(capsys, monkeypatch):
    monkeypatch.setenv(common.PANDAS_MAX_ENV, "abc")
    err = _usage_error(["--only", "startup"], capsys, monkeypatch)
    assert f"{common.PANDAS_MAX_ENV}='abc'" in err and "error: --sizes" not in err


def test_a_warned_factor_is_never_shown_within_the_tolerance(tmp_path):
    """2 stored -> 1.33 now is 1.504x worse; it read "worse by 1.50x > 1.5x"."""
    rows = _rows()
    stored = {"rows": [dict(rows[0], ratio=2.0)]}
    now = [dict(rows[0], ratio=1.33)]
    (warning,) = runner.compare(now, stored)
    assert "worse by 1.504x > 1.5x" in warning
    assert runner._rounded_up(1.5000001) == "1.501"
    assert runner._rounded_up(2.0) == "2.000"


@pytest.mark.parametrize("text", ["1e13", "1e30", "1e308"])
def test_an_impossible_size_is_refused_as_typed(text):
    with pytest.raises(argparse.ArgumentTypeError) as exc:
        common.parse_size(text)
    message = str(exc.value)
    assert repr(text) in message and len(message) < 200


def test_a_median_is_rounded_up_only_against_a_time_target():
    """The same measured time read 73.7 ms as a row's median (always rounded up)
    and 73.6 ms as the next row's reference (rounded to nearest)."""
    t = 0.0736001
    plain = common.row("simulate bracket threads=1", 1_000_000, t, None)
    timed = common.row("sweep", 1_000_000, t, None, target="≤1 s")
    noted = common.row("sweep", 1_000_000, t, None, note="issue: ≤4 s")
    assert "73.6 ms" in runner.table([plain]) and "73.7" not in runner.table([plain])
    assert "73.7 ms" in runner.table([timed])
    assert "73.7 ms" in runner.table([noted])


def test_the_stored_results_table_is_the_one_its_json_block_gives():
    """A change of how the table is drawn (a median's rounding) left the stored
    table behind its JSON block, and every CI run warned "edited by hand?"."""
    assert not runner.table_edited(runner.RESULTS, runner.load_results(runner.RESULTS))
