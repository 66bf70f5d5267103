"""Session 72: kernels called with one set of argument types from every caller.

Numba compiles a kernel once per set of argument types (read-only or writable,
contiguous or strided, the dtype of each array); each set of the rules pass took
about 10 s to compile (znver3), so callers passing the same data as different
types made a baseline and a run compile the same pass three times.
"""

from __future__ import annotations

import sys

import numba
import pytest

from commonprosperity import Scenario, simulate
from commonprosperity._kernels import simulate as K

B = sys.modules["commonprosperity.baseline"]  # the package exports the function


def test_baseline_and_a_result_call_the_rules_pass_with_one_set_of_types(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, ...]] = []
    real = K.detail_pass

    def spy(*args):
        seen.append(tuple(str(numba.typeof(a)) for a in args))
        return real(*args)

    monkeypatch.setattr(K, "detail_pass", spy)
    # A subsample solve and the full population's correction (both paths).
    pop, report = B.generate(2021, 6_000, 3, subsample=1_500)
    assert report["subsample_stride"] > 1 and report["full_passes"] >= 1
    assert len(simulate(pop, Scenario.status_quo(2021)).households) == 6_000
    assert len(seen) >= 3
    assert len(set(seen)) == 1, sorted(set(seen))
