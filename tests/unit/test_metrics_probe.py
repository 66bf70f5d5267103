"""Independent checks of the inequality measures on awkward but legitimate data.

Every expected value here comes from a closed form, an O(n^2) or direct numpy
evaluation of the definition, or a row-replication identity, never from the
library's own output.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from commonprosperity import metrics
from commonprosperity.errors import MeasureError


def _gini_pairs(x: np.ndarray, w: np.ndarray) -> float:
    """O(n^2) population Gini: sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu)."""
    total = w.sum()
    mu = (w * x).sum() / total
    diff = np.abs(x[:, None] - x[None, :])
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * total * total * mu))


def _atkinson_direct(x: np.ndarray, w: np.ndarray, eps: float) -> float:
    """1 - power mean / mean, straight from the definition."""
    p = w / w.sum()
    mu = (p * x).sum()
    if eps == 1.0:
        return 1.0 - math.exp((p * np.log(x)).sum()) / mu
    return 1.0 - (p * x ** (1.0 - eps)).sum() ** (1.0 / (1.0 - eps)) / mu


RNG = np.random.default_rng(20261130)
X = np.round(RNG.lognormal(0.0, 0.9, 60), 3) + 0.01
W = RNG.integers(1, 5, 60).astype(float)


# Bug: near epsilon = 1 the log-sum-exp lost 1e-16 / (1 - epsilon) of accuracy.
@pytest.mark.parametrize("eps", [0.7 + 0.3, 1.0 + 1e-12, 1.0 - 1e-12, 1.0 + 2**-52])
def test_atkinson_continuous_at_epsilon_one(eps):
    assert eps != 1.0 or 0.7 + 0.3 == 1.0
    geometric = _atkinson_direct(X, W, 1.0)
    # |dA/d eps| <= 1 here, so A(eps) is within |eps - 1| of A(1).
    assert metrics.atkinson(X, W, epsilon=eps) == pytest.approx(
        geometric, abs=abs(eps - 1.0) + 1e-14
    )


@pytest.mark.parametrize("eps", [0.25, 0.5, 1.5, 2.0, 4.0])
def test_atkinson_matches_definition(eps):
    assert metrics.atkinson(X, W, epsilon=eps) == pytest.approx(
        _atkinson_direct(X, W, eps), rel=1e-12
    )


def test_atkinson_lognormal_closed_form():
    x = np.random.default_rng(3).lognormal(0.0, 0.5, 400_000)
    # A_eps = 1 - exp(-eps sigma^2 / 2) for a lognormal; sampling error ~1e-3.
    assert metrics.atkinson(x, epsilon=0.999999999999) == pytest.approx(
        1.0 - math.exp(-0.125), abs=3e-3
    )


# Bug: a zero-weight row must be as if absent, but 0 * inf gave nan.
def test_fgt_zero_weight_row_is_absent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = metrics.fgt([-1e300, 1.0], [0.0, 1.0], 2.0, alpha=2.5)
    assert got == pytest.approx(0.5**2.5, rel=1e-14)


def test_cv_zero_weight_row_is_absent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = metrics.coefficient_of_variation([1e300, 1.0, 3.0], [0.0, 1.0, 1.0])
    assert got == pytest.approx(0.5, rel=1e-14)  # sd 1 / mean 2


@pytest.mark.parametrize(
    "measure",
    [
        lambda x, w: metrics.gini(x, w),
        lambda x, w: metrics.gini(x, w, method="bracket").estimate,
        metrics.theil,
        metrics.mld,
        lambda x, w: metrics.atkinson(x, w, 2.0),
        metrics.coefficient_of_variation,
        lambda x, w: metrics.top_share(x, w, 0.3),
        metrics.palma,
        lambda x, w: metrics.fgt(x, w, 1.5, 2.0),
        lambda x, w: metrics.decompose(x, w, x > 1.0).between,
        lambda x, w: metrics.concentration(x, w, rank_by=-x),
    ],
)
def test_zero_weight_rows_and_replication(measure):
    junk_x = np.concatenate([X, [1e300, 1e-300]])
    junk_w = np.concatenate([W, [0.0, 0.0]])
    replicated = np.repeat(X, W.astype(int))
    reference = measure(replicated, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measure(junk_x, junk_w) == pytest.approx(reference, rel=1e-12)
        assert measure(X, W) == pytest.approx(reference, rel=1e-12)


def test_bracket_zero_weight_huge_row_keeps_bracket():
    x = np.array([1e300, 1.0, 3.0])
    b = metrics.gini(x, np.array([0.0, 1.0, 1.0]), method="bracket")
    assert b.lower <= 0.25 <= b.upper  # gini([1, 3]) = 2 * 2 / (2 * 2**2 * 2)
    assert b.width < 1e-8


# Bug: relative measures are scale free, but sums over/underflowed at extreme
# scales (nan, 0 from the bracket, ZeroDivisionError from a kernel).
@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300, 1e307])
@pytest.mark.parametrize(
    "name",
    ["gini", "bracket", "theil", "mld", "atkinson", "cv", "top", "s80", "kakwani"],
)
def test_income_scale_invariance(scale, name):
    x = X / X.max()  # largest income 1, so 1e307 does not overflow the data itself
    measure = {
        "gini": lambda v: metrics.gini(v, W),
        "bracket": lambda v: metrics.gini(v, W, method="bracket"),
        "theil": lambda v: metrics.theil(v, W),
        "mld": lambda v: metrics.mld(v, W),
        "atkinson": lambda v: metrics.atkinson(v, W, 1.5),
        "cv": lambda v: metrics.coefficient_of_variation(v, W),
        "top": lambda v: metrics.top_share(v, W, 0.1),
        "s80": lambda v: metrics.s80_s20(v, W),
        "kakwani": lambda v: metrics.kakwani(v, v * x, W),
    }[name]
    if name == "bracket":
        exact = _gini_pairs(x, W)
        b = measure(x * scale)
        assert b.lower <= exact * (1 + 1e-13) and exact * (1 - 1e-13) <= b.upper
        assert b.width < 1e-8
        return
    if name == "gini":
        reference = _gini_pairs(x, W)
    elif name == "atkinson":
        reference = _atkinson_direct(x, W, 1.5)
    elif name == "cv":
        mu = np.average(x, weights=W)
        reference = math.sqrt(np.average((x - mu) ** 2, weights=W)) / mu
    else:
        reference = measure(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measure(x * scale) == pytest.approx(reference, rel=1e-11)


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300])
def test_weight_scale_invariance(scale):
    reference = _gini_pairs(X, W)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.gini(X, W * scale) == pytest.approx(reference, rel=1e-12)
        b = metrics.gini(X, W * scale, method="bracket")
        assert b.lower <= reference * (1 + 1e-13)
        assert reference * (1 - 1e-13) <= b.upper
        k = metrics.kakwani(X, X**2, W * scale)
        assert k == pytest.approx(metrics.kakwani(X, X**2, W), rel=1e-12)
        s = metrics.gini_by_source({"a": X, "b": X**2}, W * scale)
        assert s.attrs["gini"] == pytest.approx(_gini_pairs(X + X**2, W), rel=1e-12)


def test_decompose_means_in_income_units_at_extreme_scale():
    x = np.array([1.0, 3.0, 5.0, 7.0]) * 1e300
    d = metrics.decompose(x, None, ["a", "a", "b", "b"])
    np.testing.assert_allclose(d.groups["mean"].to_numpy(), [2e300, 6e300])


def test_equal_incomes_give_positive_zero():
    for measure in (metrics.mld, metrics.theil, metrics.atkinson):
        value = measure(np.full(5, 7.0))
        assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_negative_mean_message_in_income_units():
    with pytest.raises(MeasureError, match=r"got mean -2e\+300"):
        metrics.gini(np.array([-5e300, 1e300]))


# ------------------------------------------- a bottom share that is 0 exactly
@pytest.mark.parametrize(
    ("income", "weight"),
    [
        ([0.0, 1.0, 3.0], [0.6, 0.2, 0.7]),  # the bottom 40 % are the zeros: 8e15
        ([-1.0, 5.0, 6.0], None),  # -1 + 0.2 * 5 = 0: 2e15
    ],
)
def test_palma_of_a_zero_bottom_share_is_an_error(income, weight):
    with pytest.raises(MeasureError, match="0 within the rounding of the cut"):
        metrics.palma(income, weight)


@pytest.mark.parametrize("tenths", range(1, 60, 7))
def test_zero_incomes_filling_the_bottom_exactly_raise_at_any_decimal_weight(tenths):
    """Zeros weigh 0.4 (Palma) or 0.2 (S80/S20) of the total in decimal terms."""
    a = tenths / 10
    with pytest.raises(MeasureError):
        metrics.palma([0.0, 0.0, 2.0, 5.0], [a, a, 1.5 * a, 1.5 * a])
    with pytest.raises(MeasureError):
        metrics.s80_s20([0.0, 3.0, 7.0], [a, 2.0 * a, 2.0 * a])
    # A bottom share just above 0 is a ratio, however large.
    assert metrics.palma([1e-9, 1e-9, 2.0, 5.0], [a, a, 1.5 * a, 1.5 * a]) > 1e8


def test_a_zero_weight_row_the_scaling_overflows_is_ignored():
    """Rows near 1e-200 are scaled up by 2**663; a zero-weight 1e200 became inf.

    Every measure then gave nan (0 * inf) or blamed a 'mean nan'; the two
    weighted rows alone have Gini 0.25 (|1 - 3| / (2 * 2**2 * 2) * 2 * 2 = 0.25).
    """
    x = np.array([1e-200, 3e-200, 1e200])
    w = np.array([1.0, 1.0, 0.0])
    assert metrics.gini(x, w) == pytest.approx(0.25, rel=1e-15)
    assert metrics.concentration(x, w, rank_by=x) == pytest.approx(0.25, rel=1e-15)
    b = metrics.gini(x, w, method="bracket")
    assert b.lower <= 0.25 <= b.upper
    assert metrics.top_share(x, w, 0.5) == pytest.approx(0.75, rel=1e-15)
    assert metrics.coefficient_of_variation(x, w) == pytest.approx(0.5, rel=1e-15)
    p, s = metrics.lorenz(x, w)
    np.testing.assert_allclose(p, [0.0, 0.5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(s, [0.0, 0.25, 1.0], rtol=1e-15)
