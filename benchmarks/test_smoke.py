"""Smoke tests: every benchmark module runs once at a tiny size; runner logic.

Also the pytest-benchmark cases (``test_bench_*``): timed by pytest-benchmark when
run without ``--benchmark-disable``; each round uses a different scenario.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import re

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
    rows = runner.run_module(name, quick=True, sizes=None)
    assert isinstance(rows, list)
    for r in rows:
        assert r["case"] and r["size"] > 0
        assert r["median_s"] is None or r["median_s"] > 0
        assert r["ratio"] is None or r["ratio"] > 0
        assert r["better"] in ("higher", "lower")
    assert runner.table(rows) is not None


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
    with pytest.raises(SystemExit, match=r"unknown benchmark\(s\) \['nope'\]"):
        runner.select(names, ["simulate,nope"])


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


@pytest.mark.parametrize("text", ["abc", "0", "-5", "1.5", "nan", "inf", "1e99", ""])
def test_parse_size_names_the_bad_value_and_what_is_allowed(text):
    # 1e99 households cannot fit in any machine's memory: refused before any run.
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(repr(text))):
        common.parse_size(text)


def test_load_results_tolerates_missing_and_broken_files(tmp_path):
    assert runner.load_results(tmp_path / "absent.md") is None
    broken = tmp_path / "broken.md"
    broken.write_text("# x\n\n```json\n{not json\n```\n", encoding="utf-8")
    assert runner.load_results(broken) is None


def test_main_smoke_writes_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(common.SMOKE_ENV, "1")
    path = tmp_path / "results.md"
    assert runner.main(["--only", "indicators", "--results", str(path), "--write"]) == 0
    assert runner.load_results(path)["rows"]
    assert runner.main(["--only", "indicators", "--results", str(path)]) == 0
    out = capsys.readouterr().out
    assert "compared ratios with" in out


def test_measure_calls_with_distinct_indices():
    seen = []
    timing = common.measure(seen.append, repeats=4)
    assert seen == [0, 1, 2, 3, 4]
    assert timing.repeats == 4 and timing.median >= 0


# ------------------------------------------------------------------ pytest-benchmark
def _cycle(scenarios):
    counter = itertools.count()

    def setup():
        return (scenarios[next(counter) % len(scenarios)],), {}

    return setup


@pytest.mark.parametrize("mode", ["exact", "bracket"])
def test_bench_simulate(benchmark, population, scenarios, mode, bracket_available):
    from commonprosperity import simulate

    if mode == "bracket" and not bracket_available:
        pytest.skip("gini='bracket' not available")
    result = benchmark.pedantic(
        lambda sc: simulate(population, sc, gini=mode).indicators,
        setup=_cycle(scenarios),
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
