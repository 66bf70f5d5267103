"""The elderly-support claim draw: even for any household id (docs/model-rules.md)."""

import numpy as np
import pytest

from commonprosperity._kernels import rules as R

SHARES = (0.1, 0.3, 0.5, 0.7)
N = 20_000


def _draws(ids, age=40):
    return np.array([R.elderly_claim_draw(np.int64(i), np.int64(age)) for i in ids])


def _id_sets():
    rng = np.random.default_rng(3)
    return {
        "1..n": np.arange(1, N + 1),
        "16-digit survey codes": 3_301_020_010_010_000 + np.arange(N),
        "2**52 + k": 2**52 + np.arange(N),
        "random below 2**53": rng.integers(0, 2**53, N),
        "negative 16-digit": -(3_301_020_010_010_000 + np.arange(N)),
        "multiples of 2**26": (np.arange(N) + 1) * 2**26,
    }


@pytest.mark.parametrize("name", list(_id_sets()))
def test_claim_share_equals_the_parameter_for_any_ids(name):
    """A uniform draw: the share below s is s (binomial sd 0.0035 at n = 20,000).

    16-digit ids times one multiplier gave shares 0.25/0.5/0.5/0.75 for
    0.1/0.3/0.5/0.7, ids 2**52 + k 0.5/0.5/0.5/1.0.
    """
    d = _draws(_id_sets()[name])
    assert ((d >= 0.0) & (d < 1.0)).all()
    for s in SHARES:
        assert abs(np.mean(d < s) - s) <= 0.02, (name, s, np.mean(d < s))
    # Distinct ids draw distinct numbers (no collapse onto a few values).
    assert np.unique(d).size >= 0.99 * N


@pytest.mark.parametrize("hid", [0, 1, 7, -5, 123_456, -(2**26) + 1, 2**26 - 1])
@pytest.mark.parametrize("age", [0, 25, 59, 120])
def test_small_ids_draw_the_documented_weyl_number(hid, age):
    x = hid * 0.6180339887498949 + age * 0.7548776662466927
    assert R.elderly_claim_draw(np.int64(hid), np.int64(age)) == x - np.floor(x)


def test_large_id_draw_is_its_two_parts():
    """|id| >> 26 times sqrt(2) - 1 plus its low 26 bits times 0.618..., signed."""
    hid = 3_301_020_010_010_123
    hi, lo = hid >> 26, hid & (2**26 - 1)
    y = lo * 0.6180339887498949 + hi * 0.41421356237309515
    for sign in (1, -1):
        x = sign * y + 40 * 0.7548776662466927
        d = R.elderly_claim_draw(np.int64(sign * hid), np.int64(40))
        assert d == x - np.floor(x)
