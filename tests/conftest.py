"""Shared fixtures: seeded RNG, tiny populations, a hand-computable scenario."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from commonprosperity import Population, Scenario
from tests import compile_once

# STYLE.md's conftest: floating-point errors raise (Tax-Calculator's
# numpy.seterr(all="raise")), whether or not a warnings filter would show them.
# NumPy keeps this state per thread: in the sweep's pool threads and Dask's,
# filterwarnings = ["error"] (pyproject) catches them instead.
# Underflow is exempt: a result below the smallest normal double rounding towards
# 0 is the correctly rounded value (e.g. exp(-800) in an Atkinson index of a
# large epsilon), not an error.
np.seterr(all="raise", under="ignore")


_COMPILE_STEP = pytest.StashKey[
    tuple[float, list[subprocess.Popen[bytes]], Path, threading.Thread, list[float]]
]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before pytest-xdist starts its workers on the whole suite, start
    compiling the kernels into the Numba cache in two processes beside them.

    The workers began with tests of the same modules and compiled every kernel
    at once, each at both cores' expense (``tests/compile_kernels.py`` says
    more). Only when the workers run the default selection with the JIT on:
    selected files or ``-k`` may need few kernels. Runs before xdist's own
    ``pytest_sessionstart`` (``trylast``), which starts the workers.

    The workers do not wait for the two processes to end: all four compile
    each kernel once between them (``tests/compile_once.py``), a worker waiting
    only for a kernel another process is compiling. Waiting for the processes
    left a core idle: one took 147 s, the other 30 s, on a 2-core AVX2 machine.
    Without ``fcntl`` (Windows) the controller waits for them before the
    workers start.
    """
    config = session.config
    if (
        not config.pluginmanager.hasplugin("dsession")  # not the xdist controller
        or os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")
        or config.args_source is not pytest.Config.ArgsSource.TESTPATHS
        or config.option.keyword
        or config.option.collectonly
    ):
        return
    script = Path(__file__).with_name("compile_kernels.py")
    folder = Path(tempfile.mkdtemp(prefix="commonprosperity-compile-"))
    if compile_once.fcntl is not None:
        # Inherited by the two processes and the workers.
        os.environ[compile_once.FOLDER] = str(folder)
    start = time.monotonic()
    parts = []
    for part in range(2):
        # A file, not a pipe: nothing reads it before the processes end.
        with open(folder / f"part-{part}.err", "wb") as err:
            parts.append(
                subprocess.Popen(
                    [sys.executable, str(script), str(part)],
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            )
    ended: list[float] = []

    def wait() -> None:
        for process in parts:
            process.wait()
        ended.append(time.monotonic())

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    config.stash[_COMPILE_STEP] = (start, parts, folder, waiter, ended)
    if compile_once.fcntl is None:
        _end_compile_step(config)


def _end_compile_step(config: pytest.Config, *, stop: bool = False) -> None:
    """Wait for (or, if the session was interrupted, stop) the compile step's
    processes and say how long they took and whether they failed."""
    step = config.stash.get(_COMPILE_STEP, None)
    if step is None:
        return
    del config.stash[_COMPILE_STEP]
    start, parts, folder, waiter, ended = step
    if stop:
        for process in parts:
            process.kill()
    waiter.join()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter else print
    if not stop:
        say(f"kernels compiled into the Numba cache in {ended[0] - start:.0f} s")
        for part, process in enumerate(parts):
            if process.returncode:
                err = (folder / f"part-{part}.err").read_text(errors="replace")
                # The tests then compiled what they needed and reported any error.
                say(f"tests/compile_kernels.py {part} failed:\n{err.strip()}")
    shutil.rmtree(folder, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _end_compile_step(session.config, stop=exitstatus == pytest.ExitCode.INTERRUPTED)


def pytest_configure(config: pytest.Config) -> None:
    folder = os.environ.get(compile_once.FOLDER)
    if folder and os.environ.get("PYTEST_XDIST_WORKER"):
        compile_once.share_compiling(folder)


settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def max_examples(wanted: int) -> int:
    """A property test's own example count, held to the loaded profile's.

    The CI profile runs at most its 50 examples a test (the reliability
    issue's ``max_examples`` <= 50); ``dev`` runs at least its 200, and a test
    asking for more gets them. The fuzz tests of hostile files keep their own
    counts (>= 500 in all across their strategies).
    """
    profile = settings().max_examples
    ci = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"
    return min(wanted, profile) if ci else max(wanted, profile)


#: Round-number policy for hand-computed households (the law's IIT schedules).
HAND_POLICY = {
    "year": 2021,
    "wages": {
        "growth_rate": 0.0,
        "minimum_wage_monthly_tier1": 2_000.0,
        "minimum_wage_monthly_tier2": 1_800.0,
        "minimum_wage_monthly_tier3": 1_600.0,
    },
    "social_insurance": {
        "pension_rate": 0.08,
        "medical_rate": 0.02,
        "unemployment_rate": 0.005,
        "housing_fund_rate": 0.12,
        "base_floor_monthly": 3_000.0,
        "base_ceiling_monthly": 20_000.0,
    },
    "income_tax": {
        "thresholds": [0, 36_000, 144_000, 300_000, 420_000, 660_000, 960_000],
        "rates": [0.03, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45],
        "basic_deduction": 60_000.0,
        "child_education_monthly": 1_000.0,
        "infant_care_monthly": 1_000.0,
        "elderly_support_monthly": 2_000.0,
        "elderly_support_share": 0.0,
        "business_thresholds": [0, 30_000, 90_000, 300_000, 500_000],
        "business_rates": [0.05, 0.10, 0.20, 0.30, 0.35],
        "property_rate": 0.2,
        "taxable_property_share": 0.5,
    },
    "transfers": {
        "dibao_monthly": 1_000.0,
        "dibao_take_up": 1.0,
        "residents_pension_monthly": 200.0,
        "child_allowance_monthly": 0.0,
        "child_allowance_max_age": 3,
    },
}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def hand_scenario() -> Scenario:
    return Scenario.from_dict(HAND_POLICY)


def business_households(business, year=2023):
    """One non-employed 30-year-old per household with ``business[i]`` yuan.

    Weights 1e5; urban and rural alternate; the eleven cities in turn.
    """
    from commonprosperity.published import CITY_NAMES_EN

    n = len(business)
    cities = list(CITY_NAMES_EN)
    households = pd.DataFrame(
        {
            "household_id": np.arange(n),
            "weight": np.full(n, 1e5),
            "urban": [i % 2 == 0 for i in range(n)],
            "city": [cities[i % len(cities)] for i in range(n)],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": np.arange(n),
            "age": 30,
            "employed": False,
            "wage": 0.0,
            "business": business,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    return Population.from_frames(households, persons, year=year)


def one_household(members, *, urban=True, city="杭州", weight=1.0, household_id=1):
    """A population of one household from a list of person dicts."""
    rows = []
    for m in members:
        rows.append(
            {
                "household_id": household_id,
                "age": m.get("age", 40),
                "employed": m.get("employed", m.get("wage", 0) > 0),
                "wage": float(m.get("wage", 0.0)),
                "business": float(m.get("business", 0.0)),
                "property": float(m.get("property", 0.0)),
                "pension": float(m.get("pension", 0.0)),
            }
        )
    households = pd.DataFrame(
        {
            "household_id": [household_id],
            "weight": [weight],
            "urban": [urban],
            "city": [city],
        }
    )
    return Population.from_frames(households, pd.DataFrame(rows))


def tiny_frames():
    """A valid 3-household (households, persons) pair for error tests."""
    households = pd.DataFrame(
        {
            "household_id": [1, 2, 3],
            "weight": [100.0, 200.0, 50.0],
            "urban": [True, False, True],
            "city": ["杭州", "丽水", "宁波"],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 3, 3, 3],
            "age": [40, 10, 70, 35, 33, 1],
            "employed": [True, False, False, True, True, False],
            "wage": [100_000.0, 0.0, 0.0, 150_000.0, 80_000.0, 0.0],
            "business": [0.0, 0.0, -2_000.0, 0.0, 20_000.0, 0.0],
            "property": [5_000.0, 0.0, 0.0, 3_000.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    return households, persons


@pytest.fixture
def bins_at_any_size(monkeypatch):
    """Bracket Ginis from histograms however few the rows.

    Fewer than ``HISTOGRAM_MIN_ROWS`` (32,768) rows are bracketed by their exact
    Gini in ``simulate``, ``metrics.gini`` and sweeps alike; tests of the
    histogram paths (a sweep's merged, crossed and tiled histograms) on
    ``chunked_population`` lower it to 0 so that those paths run.
    """
    from commonprosperity._kernels import histogram

    monkeypatch.setattr(histogram, "HISTOGRAM_MIN_ROWS", 0)


@pytest.fixture(scope="session")
def chunked_population():
    """14,000 households: several kernel chunks (2,048 households), so sweeps can
    evaluate whole chunks of fixed households once. Skipped by the no-JIT
    coverage run (``CP_TEST_SMALL=1``): too slow without JIT."""
    if os.environ.get("CP_TEST_SMALL") == "1":
        pytest.skip("needs 14,000 households: too slow without JIT")
    from commonprosperity import synthetic_population

    return synthetic_population(14_000, seed=21)


@pytest.fixture(scope="session")
def pyproject():
    """The repository's pyproject.toml, beside the installed package's source.

    Skips the test where the source tree is not there (a wheel install); the
    README's editable install has it. For the checks that read its configuration
    (mypy, import-linter).
    """
    from pathlib import Path

    import commonprosperity

    package = Path(commonprosperity.__file__).resolve().parent
    config = package.parent.parent / "pyproject.toml"
    if package.parent.name != "src" or not config.is_file():
        pytest.skip("the source tree is not beside the installed package")
    return config
