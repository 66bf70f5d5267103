"""Second probe of the inequality measures: regressions for the bugs it found.

Every expected value comes from a hand calculation, a closed form, exact
rational arithmetic or a property that must hold, never from the library's own
output. All data are tiny, so ``CP_TEST_SMALL=1`` (the no-JIT run) needs no
smaller sizes.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from commonprosperity import metrics
from commonprosperity.errors import MeasureError

LN2 = math.log(2.0)
LN10 = math.log(10.0)
THEIL_1_3 = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)  # Theil of [1, 3]
MLD_1_3 = math.log(2.0) - math.log(3.0) / 2.0  # MLD of [1, 3]


# Bug: incomes spanning more than the float range in a ratio (1e-300 next to
# 1e300) made x / mean underflow to 0 and 0 * log(0) = nan, which the clip at 0
# turned into a silent 0.0 for theil, mld and atkinson (epsilon >= 1), and nan
# for decompose.
def test_entropy_measures_of_incomes_spanning_the_float_range():
    x = np.array([1e-300, 1e300])
    # mu = 5e299; the poor row's income share is 1e-600, so T = ln(1e300 / mu).
    assert metrics.theil(x) == pytest.approx(LN2, rel=1e-13)
    # L = (ln(mu / 1e-300) + ln(mu / 1e300)) / 2 = (ln 5 + 599 ln 10 - ln 2) / 2
    expected_mld = (math.log(5.0) + 599 * LN10 - LN2) / 2
    assert metrics.mld(x) == pytest.approx(expected_mld, rel=1e-13)
    # Geometric mean 1 and harmonic mean 2e-300 against a mean of 5e299.
    assert metrics.atkinson(x, epsilon=1.0) == 1.0
    assert metrics.atkinson(x, epsilon=2.0) == 1.0
    # epsilon = 0.5: ((sqrt(1e-300) + sqrt(1e300)) / 2)**2 = 2.5e299 (to 1e-300)
    assert metrics.atkinson(x, epsilon=0.5) == pytest.approx(0.5, rel=1e-13)


@pytest.mark.parametrize("measure", ["theil", "mld"])
def test_decompose_of_incomes_spanning_the_float_range(measure):
    x = np.array([1e-300, 3e-300, 1e300, 3e300])
    group = ["a", "a", "b", "b"]
    d = metrics.decompose(x, None, group, measure)
    if measure == "theil":
        # Income shares (~0, ~1): within = T([1, 3]), between = ln(2e300 / 1e300).
        within, between = THEIL_1_3, LN2
    else:
        # Population shares (1/2, 1/2): within = L([1, 3]),
        # between = (ln(1e300 / 2e-300) + ln(1e300 / 2e300)) / 2.
        within, between = MLD_1_3, (600 * LN10 - 2 * LN2) / 2
    assert d.within == pytest.approx(within, rel=1e-12)
    assert d.between == pytest.approx(between, rel=1e-12)
    assert d.total == pytest.approx(within + between, rel=1e-12)
    assert abs(d.total - (d.between + d.within)) <= 1e-12 * d.total
    assert d.total == pytest.approx(getattr(metrics, measure)(x), rel=1e-12)
    np.testing.assert_allclose(d.groups["mean"], [2e-300, 2e300], rtol=1e-12)
    np.testing.assert_allclose(d.groups["population_share"], [0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(d.groups["income_share"], [0.0, 1.0], atol=1e-15)


# Bug: near epsilon = 0 the Atkinson index is about epsilon * T, but the mean
# of s**(1 - epsilon) - 1 cancelled: 2e-6 relative error at epsilon = 1e-10,
# 2.2e-16 (46 times too large) at epsilon = 1e-17.
@pytest.mark.parametrize("eps", [1e-8, 1e-10, 1e-12, 1e-17])
def test_atkinson_near_epsilon_zero_is_epsilon_times_theil(eps):
    x = np.array([1.0, 2.0, 3.0, 7.0, 20.0])
    w = np.array([1.0, 2.0, 1.0, 1.0, 0.5])
    p = w / w.sum()
    s = x / (p * x).sum()
    theil = float((p * s * np.log(s)).sum())
    # A(eps) = eps T + O(eps^2): d/d eps of log(power mean) at eps = 0 is -T.
    assert metrics.atkinson(x, w, epsilon=eps) == pytest.approx(
        eps * theil, rel=1e-8, abs=0.0
    )


# Bug: the cut-sum kernel measured each row as (C + w) - C, so a row whose
# weight is below the rounding unit of the cumulative weight vanished: the
# shares of [1, 1e20] with weights [1e17, 1] were [0.0005, 0.0005].
def test_quantile_shares_keep_a_light_row_after_a_heavy_one():
    x = np.array([1.0, 1e20])
    w = np.array([1e17, 1.0])
    total_w = Fraction(10**17) + 1
    total_x = Fraction(10**17) + 10**20
    # The bottom half is (W / 2) rows of income 1; the top half the rest.
    bottom = total_w / 2 / total_x
    shares = metrics.quantile_shares(x, w, 2)
    np.testing.assert_allclose(shares, [float(bottom), float(1 - bottom)], rtol=1e-14)
    assert metrics.top_share(x, w, 0.5) == pytest.approx(float(1 - bottom), rel=1e-14)
    # Top 20 % against bottom 20 %, all of whom have income 1 except the rich.
    top20 = (Fraction(10**20) + (total_w / 5 - 1)) / total_x
    bottom20 = total_w / 5 / total_x
    assert metrics.s80_s20(x, w) == pytest.approx(float(top20 / bottom20), rel=1e-13)


def test_top_share_is_exactly_0_and_1_at_the_ends_with_fractional_weights():
    rng = np.random.default_rng(7)
    for _ in range(50):
        x = rng.lognormal(0.0, 1.0, 7)
        w = rng.random(7) * rng.integers(0, 2, 7) + 1e-3 * rng.random(7)
        assert metrics.top_share(x, w, 0.0) == 0.0
        assert metrics.top_share(x, w, 1.0) == 1.0
        assert metrics.quantile_shares(x, w, 4).sum() == pytest.approx(1.0, abs=1e-15)


# Bug: weighted_mean and group_mean multiplied weights and values unscaled:
# weights of 1e300 on incomes of 1e300 overflowed to nan.
def test_means_with_huge_weights_and_values():
    assert metrics.weighted_mean([1e300, 3e300], [1e300, 1e300]) == 2e300
    assert metrics.weighted_mean([1.7e308, 1.7e308], [1.0, 1.0]) == 1.7e308
    means = metrics.group_mean([1e300, 3e300, 5.0], [1e300, 1e300, 1e300], list("aab"))
    assert means.to_dict() == {"a": 2e300, "b": 5.0}


# Bug: fgt is scale free in the weights, but w * gap**alpha underflowed for
# subnormal weights (P_2 = 0), and z - x overflowed for a line near 1e308 and
# a large negative income.
def test_fgt_with_tiny_weights_and_huge_gaps():
    tiny = np.array([5e-324, 5e-324])
    # One of two rows poor, gap (2 - 1) / 2: P_2 = 0.25 / 2, P_0.5 = sqrt(0.5) / 2.
    assert metrics.fgt([1.0, 4.0], tiny, 2.0, alpha=2) == pytest.approx(0.125)
    assert metrics.fgt([1.0, 4.0], tiny, 2.0, alpha=0.5) == pytest.approx(
        math.sqrt(0.5) / 2, rel=1e-15
    )
    # Gap of -1.7e308 under a line of 1e308: (1e308 + 1.7e308) / 1e308 = 2.7.
    assert metrics.fgt([-1.7e308, 1e308], None, 1e308, alpha=1) == pytest.approx(
        1.35, rel=1e-15
    )


# Bug: rel**2 overflowed to inf (and a RuntimeWarning) although the CV is
# finite: a light row with an income over 1e308 times the mean.
def test_cv_when_one_ratio_to_the_mean_exceeds_the_float_range():
    tiny = 2.0**-1030
    x = np.array([1e-10, 1e300])
    w = np.array([1.0, tiny])
    p2 = tiny / (1.0 + tiny)
    mu = (1e-10 + math.ldexp(1e300, -1030)) / (1.0 + tiny)
    # Two points: var = p1 p2 (x2 - x1)^2, so CV = sqrt(p1 p2) (x2 - x1) / mu.
    log_cv = 0.5 * (math.log1p(-p2) + math.log(p2)) + math.log(1e300) - math.log(mu)
    assert metrics.coefficient_of_variation(x, w) == pytest.approx(
        math.exp(log_cv), rel=1e-11
    )


# Bug: a masked array is an ndarray, so np.asarray (and the Gini's fast path)
# silently used the data under the mask.
def test_masked_elements_are_refused_by_name():
    x = np.ma.array([1.0, 2.0, 3.0, 100.0], mask=[0, 0, 0, 1])
    for call in (
        lambda: metrics.gini(x),
        lambda: metrics.gini(x, method="bracket"),
        lambda: metrics.theil(x),
    ):
        with pytest.raises(MeasureError, match=r"income must not have masked .* \[3\]"):
            call()
    with pytest.raises(MeasureError, match=r"weight must not have masked"):
        metrics.gini([1.0, 2.0, 3.0, 4.0], x, method="bracket")
    with pytest.raises(MeasureError, match=r"group must have a label .* index \[1\]"):
        metrics.decompose(
            [1.0, 2.0, 3.0, 4.0], None, np.ma.array(list("abab"), mask=[0, 1, 0, 0])
        )
    # Without masked elements a masked array is ordinary data: gini([1, 2, 3]) = 2/9.
    assert metrics.gini(np.ma.array([1.0, 2.0, 3.0])) == pytest.approx(2 / 9)


def test_missing_value_in_a_list_is_named_with_its_index():
    with pytest.raises(MeasureError, match=r"income .* None at index \[1\]"):
        metrics.gini([1.0, None, 3.0])
    with pytest.raises(MeasureError, match=r"weight .* <NA> at index \[2\]"):
        metrics.theil([1.0, 2.0, 3.0], pd.Series([1, 1, pd.NA], dtype=object))
