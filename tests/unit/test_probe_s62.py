"""Defects found by the session-62 probes, each test failing on the code before."""

from __future__ import annotations

import warnings

import numpy as np

import commonprosperity as cp


def test_bootstrap_three_person_band_edge_as_simulate_rounds_it():
    # 3 x 166,666.666... / 5 is exactly 100,000 (in the band); 3 x (d / 5) is
    # 99,999.99999999999. With every household its own stratum every replicate
    # is the sample itself, so each must equal simulate's band share.
    k, n = 40, 5
    hid = np.arange(k)
    pension = np.zeros(k * n)
    pension[::n] = 40_000.0
    pension[0] = 157_066.66666666666
    pop = cp.Population.from_arrays(
        {"household_id": hid, "weight": np.full(k, 100.0), "urban": np.ones(k, bool)},
        {
            "household_id": np.repeat(hid, n),
            "age": np.full(k * n, 70),
            "employed": np.zeros(k * n, bool),
            "wage": np.zeros(k * n),
            "business": np.zeros(k * n),
            "property": np.zeros(k * n),
            "pension": pension,
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small pensions of elders
        r = cp.simulate(pop, cp.Scenario.status_quo(2021), band_basis="three_person")
        d = r.households["disposable_income"].to_numpy()[0]
        assert 3.0 * d / 5 == 100_000.0  # the case: on the band's lower edge
        b = cp.bootstrap(
            r,
            "band_share_100k_500k",
            n=10,
            strata=np.arange(k),
            psu=np.zeros(k, int),
        )
    assert r.indicators["band_share_100k_500k"] == 1 / 40
    assert b.estimate == 1 / 40
    assert set(b.replicates.tolist()) == {1 / 40}
