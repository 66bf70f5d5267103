"""pytest-benchmark fixtures: seeded synthetic households and scenario variants.

``python -m pytest benchmarks --benchmark-disable`` runs every benchmark once at a
tiny size (the smoke run CI does so they cannot rot); without
``--benchmark-disable`` pytest-benchmark times the ``test_bench_*`` functions.
``--bench-sizes 1e4,1e5,1e6`` chooses the population sizes (default 1e4).
"""

from __future__ import annotations

import argparse

import pytest

from benchmarks import common


def pytest_addoption(parser):
    parser.addoption(
        "--bench-sizes",
        default="10000",
        help="comma-separated household counts for the pytest-benchmark "
        "cases (default 10000)",
    )


def pytest_generate_tests(metafunc):
    if "n_households" in metafunc.fixturenames:
        text = metafunc.config.getoption("--bench-sizes", default="10000")
        try:
            sizes = [common.parse_size(s) for s in text.split(",") if s.strip()]
            if not sizes:
                # An empty list skipped every case, and the run passed.
                raise ValueError(f"no size given (got {text!r})")
            common.check_sizes(sizes)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise pytest.UsageError(f"--bench-sizes: {exc}") from None
        metafunc.parametrize(
            "n_households", sizes, ids=[f"n{n}" for n in sizes], scope="session"
        )


@pytest.fixture(scope="session")
def population(n_households):
    return common.population(n_households)


@pytest.fixture(scope="session")
def frames(population):
    from tests.reference import pandas_model

    return pandas_model.frames(population)


@pytest.fixture(scope="session")
def scenarios():
    from commonprosperity import Scenario

    return common.variants(Scenario.status_quo(2021), 64)
