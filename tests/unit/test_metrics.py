"""Unit tests of commonprosperity.metrics: exact small cases, definitions, errors.

Expected values are derived in the tests from the definitions (O(n²) double sums,
row replication, hand arithmetic in the comments), never from the library's output.
"""

from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pandas as pd
import pytest

from commonprosperity import metrics as m
from commonprosperity.errors import MeasureError

JIT = not numba.config.DISABLE_JIT


@pytest.fixture(autouse=True)
def _strict_floating_point():
    """Any numpy floating-point warning inside the library is a bug."""
    with np.errstate(all="raise"):
        yield


@pytest.fixture
def rng_metrics() -> np.random.Generator:
    return np.random.default_rng(20240601)


def brute_gini(x, w=None):
    """O(n²) population definition ΣΣ w_i w_j |x_i - x_j| / (2 W² μ)."""
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    d = np.abs(x[:, None] - x[None, :])
    W = w.sum()
    mu = (w * x).sum() / W
    return float((w[:, None] * w[None, :] * d).sum() / (2 * W * W * mu))


def brute_concentration(v, rank, w):
    """(2/μ_v) cov(v, F~(rank)) with explicit weighted mid-ranks."""
    v, rank, w = (np.asarray(a, dtype=float) for a in (v, rank, w))
    W = w.sum()
    below = np.array([w[rank < r].sum() for r in rank])
    tie = np.array([w[rank == r].sum() for r in rank])
    f = (below + tie / 2) / W
    p = w / W
    mu = (p * v).sum()
    cov = (p * v * f).sum() - mu * (p * f).sum()
    return float(2 * cov / mu)


def small_weighted(rng, n=40, ties=True):
    x = rng.lognormal(10, 0.8, n).round(-2 if ties else 6)
    w = rng.integers(0, 5, n).astype(float)
    w[0] = 1.0
    return x, w


# ---------------------------------------------------------------- Gini (exact)
def test_gini_exact_small_cases():
    # [0, 0, 10]: ΣΣ|d| = 4 × 10 = 40; 2 n² μ = 2 × 9 × 10/3 = 60 → 2/3
    assert m.gini([0.0, 0.0, 10.0]) == pytest.approx(2 / 3, abs=1e-15)
    assert m.gini([7.5] * 6) == 0.0
    assert m.gini([3.0]) == 0.0
    # [1, 2, 3, 4]: ΣΣ|d| = 2 × 10 = 20; 2 × 16 × 2.5 = 80 → 0.25
    assert m.gini([4.0, 1.0, 3.0, 2.0]) == pytest.approx(0.25, abs=1e-15)


def test_gini_equals_double_sum_definition(rng_metrics):
    for ties in (True, False):
        x, w = small_weighted(rng_metrics, ties=ties)
        assert m.gini(x, w) == pytest.approx(brute_gini(x, w), rel=1e-12, abs=1e-15)


def test_gini_integer_weights_equal_repeated_rows(rng_metrics):
    x, w = small_weighted(rng_metrics)
    rep = np.repeat(x, w.astype(int))
    assert m.gini(x, w) == pytest.approx(m.gini(rep), rel=1e-12)


def test_zero_weight_rows_are_ignored(rng_metrics):
    x, w = small_weighted(rng_metrics)
    keep = w > 0
    assert m.gini(x, w) == pytest.approx(m.gini(x[keep], w[keep]), rel=1e-12)
    p, s = m.lorenz(x, w)
    p2, s2 = m.lorenz(x[keep], w[keep])
    np.testing.assert_allclose(p, p2, rtol=1e-13)
    np.testing.assert_allclose(s, s2, rtol=1e-13)


def test_inputs_are_not_modified_and_read_only_inputs_work(rng_metrics):
    x, w = small_weighted(rng_metrics)
    x.flags.writeable = False
    w.flags.writeable = False
    x0, w0 = x.copy(), w.copy()
    m.gini(x, w)
    m.gini(x, w, method="bracket")
    m.lorenz(x, w)
    m.quantile_shares(x, w)
    m.theil(x, w)
    m.atkinson(x, w, 2.0)
    m.gini_by_source({"a": x, "b": x / 2}, w)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_gini_accepts_lists_ints_and_series():
    assert m.gini([0, 0, 10]) == pytest.approx(2 / 3)
    s = pd.Series([0.0, 0.0, 10.0], index=[5, 6, 7])
    assert m.gini(s, pd.Series([1, 1, 1], index=[5, 6, 7])) == pytest.approx(2 / 3)
    assert m.gini(s, np.array([1, 1, 1])) == pytest.approx(2 / 3)


def test_series_with_different_indexes_are_refused_not_paired_by_position():
    """Same labels in another order: by label the weighted mean is
    (10 * 1 + 20 * 3) / 4 = 17.5, by position (10 * 3 + 20 * 1) / 4 = 12.5."""
    income = pd.Series([10.0, 20.0], index=["a", "b"])
    weight = pd.Series([3.0, 1.0], index=["b", "a"])
    with pytest.raises(MeasureError, match="different indexes"):
        m.weighted_mean(income, weight)
    with pytest.raises(MeasureError, match="different indexes"):
        m.gini(income, weight=pd.Series([1.0, 1.0], index=[5, 6]))
    aligned = weight.reindex(income.index)
    assert m.weighted_mean(income, aligned) == pytest.approx(17.5)


def test_gini_negative_incomes_warn_and_follow_the_definition():
    x = np.array([-5.0, 1.0, 2.0, 10.0])
    with pytest.warns(UserWarning, match="1 negative value"):
        g = m.gini(x)
    assert g == pytest.approx(brute_gini(x), rel=1e-12)


def test_gini_no_warning_for_negative_income_with_zero_weight():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.gini([-5.0, 1.0, 2.0], [0.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("income", "weight", "message"),
    [
        ([], None, "income must have at least one element; got an empty array"),
        ([1.0, np.nan, 2.0], None, r"income must be finite .*got nan at index \[1\]"),
        ([1.0, np.inf], None, r"got inf at index \[1\]"),
        ([[1.0, 2.0]], None, r"income must be 1-D; got an array of shape \(1, 2\)"),
        (["a", "b"], None, "income must be a 1-D array of real numbers; got dtype"),
        (
            [1.0, 2.0, 3.0],
            [1.0, 1.0],
            r"weight must have the same length as income \(3\)",
        ),
        (
            [1.0, 2.0, 3.0, 4.0],
            [1.0, 1.0, 1.0, -1.0],
            r"weight must be >= 0 for every element; got -1.0 at index \[3\]",
        ),
        ([1.0, 2.0], [0.0, 0.0], "weight must have a positive sum"),
        ([1.0, 2.0], [1.0, np.nan], r"weight must be finite .*index \[1\]"),
        ([-1.0, 0.5], None, "gini requires a positive weighted mean of income"),
        ([0.0, 0.0], None, "got mean 0.0"),
    ],
)
def test_gini_rejects_invalid_input(income, weight, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(MeasureError, match=message):
            m.gini(income, weight)


def test_error_counts_every_offending_element():
    with pytest.raises(MeasureError, match=r"index \[1\] \(2 such elements in total\)"):
        m.gini([1.0, 2.0, 3.0], [1.0, -1.0, -2.0])


def test_gini_unknown_method():
    with pytest.raises(
        MeasureError, match="method must be 'exact' or 'bracket'; got 'fast'"
    ):
        m.gini([1.0, 2.0], method="fast")


def test_measure_error_is_a_value_error():
    with pytest.raises(ValueError):
        m.gini([])


# ---------------------------------------------------------------- Gini (bracket)
def test_bracket_fields_and_containment(rng_metrics):
    x, w = small_weighted(rng_metrics, n=300, ties=False)
    b = m.gini(x, w, method="bracket")
    assert isinstance(b, m.GiniBracket)
    assert b.gini_lower == b.lower and b.gini_upper == b.upper
    assert b.width == b.upper - b.lower >= 0
    exact = brute_gini(x, w)
    assert b.lower <= exact <= b.upper
    assert b.lower <= b.estimate <= b.upper
    assert b.width < 1e-8


def test_bracket_of_distinct_bins_is_exact():
    # every value alone in its bin: within parts vanish, between part is exact
    from commonprosperity._kernels.histogram import histogram_bracket

    estimate, lower, upper, usable, _ = histogram_bracket(
        np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    )
    assert usable
    assert estimate == pytest.approx(0.25, abs=1e-15)
    assert upper - lower < 1e-14


def test_bracket_of_few_rows_is_their_exact_gini_and_its_allowance():
    # Below 32,768 rows the bins outnumber the rows: the bracket is the exact
    # Gini (the same float as method="exact") with 1e-12 of it each side.
    b = m.gini([1.0, 2.0, 3.0, 4.0], method="bracket")
    assert b.estimate == 0.25 == m.gini([1.0, 2.0, 3.0, 4.0])
    # abs=0: approx's default abs of 1e-12 is four times the allowance itself.
    # rel: the 1e-12 and the mean's rounding (8u times its condition, here 1).
    assert b.lower == pytest.approx(0.25 * (1 - 1e-12), rel=1e-14, abs=0)
    assert b.upper == pytest.approx(0.25 * (1 + 1e-12), rel=1e-14, abs=0)
    rng = np.random.default_rng(4)
    for n in (2, 1_000, 32_767):
        x, w = rng.lognormal(10, 0.8, n), rng.uniform(0.5, 2.0, n)
        b = m.gini(x, w, method="bracket")
        assert b.estimate == m.gini(x, w)
        assert b.width == pytest.approx(2e-12 * b.estimate, rel=1e-3, abs=0)
    # From 32,768 rows the histogram's (about 3e-9 wide on such incomes).
    x, w = rng.lognormal(10, 0.8, 32_768), rng.uniform(0.5, 2.0, 32_768)
    b = m.gini(x, w, method="bracket")
    assert 1e-10 < b.width < 1e-8
    assert b.lower <= m.gini(x, w) <= b.upper


def test_bracket_mass_point_has_zero_width():
    b = m.gini(np.full(1000, 24_000.0), np.linspace(0.5, 2, 1000), method="bracket")
    assert b.estimate == 0.0
    assert b.upper < 1e-15


def test_bracket_negative_and_small_values():
    x = np.array([-3.0, -0.5, 0.0, 0.25, 0.75, 5.0, 5.0, 1e7, 3e19])
    with pytest.warns(UserWarning):
        b = m.gini(x, method="bracket")
    g = brute_gini(x)
    assert b.lower <= g <= b.upper


# ---------------------------------------------------------------- Lorenz and shares
def test_lorenz_points_and_ties():
    p, s = m.lorenz([3.0, 1.0, 1.0, 5.0], [1.0, 1.0, 1.0, 2.0])
    # sorted: 1 (w 2), 3 (w 1), 5 (w 2); W = 5, X = 2 + 3 + 10 = 15
    np.testing.assert_allclose(p, [0, 2 / 5, 3 / 5, 1])
    np.testing.assert_allclose(s, [0, 2 / 15, 5 / 15, 1])
    assert p[-1] == 1.0 and s[-1] == 1.0


def test_lorenz_area_gives_gini(rng_metrics):
    x, w = small_weighted(rng_metrics)
    p, s = m.lorenz(x, w)
    area_gini = 1 - np.sum(np.diff(p) * (s[1:] + s[:-1]))
    assert area_gini == pytest.approx(brute_gini(x, w), rel=1e-12)


def test_quantile_shares_fractional_split():
    # 5 unit rows, n = 2: bottom half is 1 + 2 + 0.5 × 3 = 4.5 of 15
    np.testing.assert_allclose(m.quantile_shares([1, 2, 3, 4, 5], n=2), [0.3, 0.7])
    # weight 3 on one row straddling quintile cuts: same as three rows
    got = m.quantile_shares([1.0, 2.0, 6.0], [1, 3, 1], n=5)
    np.testing.assert_allclose(got, np.array([1, 2, 2, 2, 6]) / 13, rtol=1e-14)
    np.testing.assert_allclose(m.quantile_shares([4.0, 1.0], n=1), [1.0])


def test_quantile_shares_match_repeated_rows(rng_metrics):
    x, w = small_weighted(rng_metrics)
    rep = np.repeat(x, w.astype(int))
    for n in (3, 5, 10):
        np.testing.assert_allclose(
            m.quantile_shares(x, w, n), m.quantile_shares(rep, None, n), rtol=1e-12
        )


def test_quantile_shares_invalid_n():
    for bad in (0, 2.5, True, 100_001, 10**13):
        with pytest.raises(MeasureError, match="n must be an integer in 1–100,000"):
            m.quantile_shares([1.0, 2.0], n=bad)


def test_weights_whose_sum_overflows_are_scaled_not_refused():
    """Three weights of 1e308 are three equal weights: Gini of 1, 2, 3 is
    (2 * (1 + 2 + 1)) / (2 * 9 * 2) = 2/9."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.gini([1.0, 2.0, 3.0], [1e308] * 3) == pytest.approx(2 / 9)


def test_top_share_palma_s80_s20():
    x = np.arange(1.0, 11.0)  # 1..10, total 55
    assert m.top_share(x, None, 0.1) == pytest.approx(10 / 55)
    assert m.top_share(x, None, 0.0) == 0.0
    assert m.top_share(x, None, 1.0) == pytest.approx(1.0)
    assert m.palma(x) == pytest.approx(10 / (1 + 2 + 3 + 4))
    assert m.s80_s20(x) == pytest.approx((9 + 10) / (1 + 2))
    with pytest.raises(MeasureError, match=r"p must be in \[0.0, 1.0\]; got 1.5"):
        m.top_share(x, None, 1.5)
    with pytest.raises(MeasureError, match="positive income share of the bottom 40 %"):
        m.palma([0.0, 0.0, 0.0, 0.0, 1.0])


def test_band_share():
    x = [50_000.0, 100_000.0, 499_999.0, 500_000.0, -1_000.0]
    w = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert m.band_share(x, w, 100_000, 500_000) == pytest.approx(5 / 20)
    assert m.band_share(x, w, 500_000, np.inf) == pytest.approx(4 / 20)
    assert m.band_share(x, w, -np.inf, 0.0) == pytest.approx(10 / 20)
    cuts = [-np.inf, 0.0, 100_000.0, 500_000.0, np.inf]
    total = sum(m.band_share(x, w, lo, hi) for lo, hi in itertools.pairwise(cuts))
    assert total == pytest.approx(1.0, abs=1e-15)
    with pytest.warns(UserWarning, match="empty"):
        assert m.band_share(x, w, 5.0, 5.0) == 0.0
    with pytest.raises(MeasureError, match="low must be <= high"):
        m.band_share(x, w, 6.0, 5.0)
    with pytest.raises(MeasureError, match="low must be a finite number; got nan"):
        m.band_share(x, w, np.nan, 5.0)


# ---------------------------------------------------------------- entropy family
def test_theil_mld_hand_values():
    # x = [1, 3], μ = 2: T = (0.5 ln 0.5 + 1.5 ln 1.5) / 2, L = (ln 2 + ln(2/3)) / 2
    assert m.theil([1.0, 3.0]) == pytest.approx(
        (0.5 * np.log(0.5) + 1.5 * np.log(1.5)) / 2
    )
    assert m.mld([1.0, 3.0]) == pytest.approx((np.log(2) + np.log(2 / 3)) / 2)
    assert m.theil([1.0, 3.0], [2, 1]) == pytest.approx(m.theil([1.0, 1.0, 3.0]))
    assert m.theil([5.0, 5.0]) == 0.0
    assert m.mld([5.0, 5.0]) == 0.0


def test_log_measures_reject_non_positive_incomes():
    for f in (m.theil, m.mld):
        with pytest.raises(MeasureError, match=r"found 2 non-positive value\(s\)"):
            f([1.0, 0.0, -2.0])
    with pytest.raises(
        MeasureError, match=r"atkinson \(epsilon=0.5\) is defined only for"
    ):
        m.atkinson([1.0, 0.0], None, 0.5)
    # zero-weight rows are ignored, including their sign
    assert m.theil([1.0, -4.0, 3.0], [1.0, 0.0, 1.0]) == pytest.approx(
        m.theil([1.0, 3.0])
    )


def test_atkinson_hand_values():
    x = [1.0, 4.0]  # mean 2.5, geometric mean 2, harmonic mean 1.6
    assert m.atkinson(x, None, 0.0) == 0.0
    assert m.atkinson(x, None, 1.0) == pytest.approx(1 - 2 / 2.5, rel=1e-14)
    assert m.atkinson(x, None, 2.0) == pytest.approx(1 - 1.6 / 2.5, rel=1e-14)
    # ε = 0.5: ξ = ((1 + 2) / 2)² = 2.25
    assert m.atkinson(x, None, 0.5) == pytest.approx(1 - 2.25 / 2.5, rel=1e-14)
    # large ε tends to 1 - min/mean without overflow
    assert m.atkinson(x, None, 400.0) == pytest.approx(1 - 1 / 2.5, rel=1e-2)
    assert m.atkinson([-1.0, 4.0], None, 0.0) == 0.0
    with pytest.raises(MeasureError, match="epsilon must be in"):
        m.atkinson(x, None, -1.0)


def test_coefficient_of_variation_and_means():
    assert m.coefficient_of_variation([1.0, 3.0]) == pytest.approx(0.5)
    # weighted: [1, 1, 3] → μ = 5/3, var = (2 × 4/9 + 16/9) / 3 = 8/9
    assert m.coefficient_of_variation([1.0, 3.0], [2, 1]) == pytest.approx(
        np.sqrt(8 / 9) / (5 / 3)
    )
    assert m.weighted_mean([10.0, 20.0], [3, 1]) == 12.5
    assert m.weighted_mean([-1.0, 1.0]) == 0.0
    with pytest.raises(
        MeasureError, match="weight must have the same length as values"
    ):
        m.weighted_mean([1.0], [1.0, 2.0])


def test_group_mean():
    s = m.group_mean([1.0, 3.0, 10.0, 7.0], [1, 1, 2, 0], ["b", "b", "a", "c"])
    assert list(s.index) == ["a", "b", "c"]
    assert s.index.name == "group"
    assert s["a"] == 10.0 and s["b"] == 2.0 and np.isnan(s["c"])
    with pytest.raises(MeasureError, match="group must have a label for every row"):
        m.group_mean([1.0, 2.0], None, ["a", None])
    with pytest.raises(MeasureError, match="group must have the same length"):
        m.group_mean([1.0, 2.0], None, ["a"])


@pytest.mark.parametrize("measure", ["theil", "mld"])
def test_decompose_adds_up(rng_metrics, measure):
    n = 500
    x = rng_metrics.lognormal(10, 0.7, n)
    w = rng_metrics.uniform(0, 3, n)
    g = rng_metrics.choice(["杭州", "宁波", "丽水"], n)
    d = m.decompose(x, w, g, measure)
    total = m.theil(x, w) if measure == "theil" else m.mld(x, w)
    assert d.total == pytest.approx(total, rel=1e-13)
    assert d.between + d.within == pytest.approx(d.total, rel=1e-12, abs=1e-15)
    assert d.groups["population_share"].sum() == pytest.approx(1.0)
    assert d.groups["income_share"].sum() == pytest.approx(1.0)
    assert d.groups["within_contribution"].sum() == pytest.approx(d.within)
    for label, row in d.groups.iterrows():
        sel = g == label
        own = m.theil(x[sel], w[sel]) if measure == "theil" else m.mld(x[sel], w[sel])
        assert row["index"] == pytest.approx(own, rel=1e-12)
        assert row["mean"] == pytest.approx(m.weighted_mean(x[sel], w[sel]), rel=1e-14)
    # the between part is the index of the group-mean-smoothed data
    smooth = d.groups["mean"].reindex(g).to_numpy()
    between = m.theil(smooth, w) if measure == "theil" else m.mld(smooth, w)
    assert d.between == pytest.approx(between, rel=1e-10, abs=1e-15)


def test_decompose_errors_and_zero_weight_groups():
    with pytest.raises(MeasureError, match="measure must be 'theil' or 'mld'"):
        m.decompose([1.0, 2.0], None, [0, 1], "gini")
    d = m.decompose([1.0, 2.0, 3.0], [1.0, 1.0, 0.0], ["a", "b", "c"])
    assert list(d.groups.index) == ["a", "b"]


def test_decompose_exclude_by_hand():
    """Rows -5 (weight 1, group a) and 0 (weight 2, group c) are left out: the
    rest is 1, 2 in a and 4 (weight 3) in b. Theil of (1, 2, 4, 4, 4) by hand."""
    x = [1.0, 2.0, -5.0, 4.0, 0.0, 7.0]
    w = [1.0, 1.0, 1.0, 3.0, 2.0, 0.0]
    g = ["a", "a", "a", "b", "c", "c"]
    with pytest.raises(MeasureError, match="non-positive"):
        m.decompose(x, w, g)
    with pytest.raises(MeasureError, match="'raise' or 'exclude'"):
        m.decompose(x, w, g, nonpositive="ignore")
    with pytest.warns(UserWarning, match=r"left out 2 row\(s\).*37\.500%.*-5\.0"):
        d = m.decompose(x, w, g, nonpositive="exclude")
    values = np.array([1.0, 2.0, 4.0, 4.0, 4.0])
    s = values / values.mean()
    assert d.total == pytest.approx(np.mean(s * np.log(s)), rel=1e-14)
    # between: income shares 3/15 (mean 1.5) and 12/15 (mean 4), overall mean 3
    assert d.between == pytest.approx(
        0.2 * np.log(1.5 / 3) + 0.8 * np.log(4 / 3), rel=1e-14
    )
    # c had only a left-out row (and one of weight 0): kept, wholly excluded.
    assert list(d.groups.index) == ["a", "b", "c"]
    assert d.groups["excluded_share"].tolist() == [pytest.approx(1 / 3), 0.0, 1.0]
    assert d.groups["population_share"].tolist()[2] == 0.0
    with pytest.raises(MeasureError, match="no positively weighted income"):
        m.decompose([-1.0, 0.0], None, [0, 1], nonpositive="exclude")
    # nothing to leave out: no warning, and the same numbers as "raise"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = m.decompose([1.0, 3.0], None, [0, 1], nonpositive="exclude")
    assert e.total == m.decompose([1.0, 3.0], None, [0, 1]).total


# ---------------------------------------------------------------- poverty
def test_fgt_hand_values():
    x = [5_000.0, 10_000.0, 20_000.0, 40_000.0, -10_000.0]
    w = [1.0, 2.0, 3.0, 4.0, 0.0]
    z = 20_000.0
    # poor: 5k (gap 0.75, w 1) and 10k (gap 0.5, w 2); 20k is on the line: not poor
    assert m.fgt(x, w, z, 0) == pytest.approx(3 / 10)
    assert m.fgt(x, w, z, 1) == pytest.approx((0.75 + 2 * 0.5) / 10)
    assert m.fgt(x, w, z, 2) == pytest.approx((0.75**2 + 2 * 0.25) / 10)
    assert m.fgt(x, w, 1_000.0, 2) == 0.0
    # per-row lines
    assert m.fgt(
        x, w, [10_000.0, 10_000.0, 40_000.0, 40_000.0, 1.0], 0
    ) == pytest.approx(4 / 10)
    # negative income: gap above 1
    assert m.fgt([-10_000.0, 30_000.0], None, z, 1) == pytest.approx(1.5 / 2)


def test_fgt_errors():
    with pytest.raises(MeasureError, match=r"line must be in \(0.0, inf\); got -1.0"):
        m.fgt([1.0], None, -1.0, 0)
    with pytest.raises(MeasureError, match="alpha must be in"):
        m.fgt([1.0], None, 1.0, -1)
    with pytest.raises(
        MeasureError, match="line must be a number or have the same length"
    ):
        m.fgt([1.0, 2.0], None, [1.0, 2.0, 3.0], 0)
    with pytest.raises(
        MeasureError, match=r"line must be > 0 for every element; got 0.0"
    ):
        m.fgt([1.0, 2.0], None, [1.0, 0.0], 0)


# ---------------------------------------------------------------- sources and taxes
def test_gini_by_source_contributions_sum_to_gini(rng_metrics):
    n = 200
    wage = rng_metrics.lognormal(10, 0.6, n).round(-3)
    wage[rng_metrics.random(n) < 0.2] = 0.0
    business = np.maximum(rng_metrics.normal(3_000, 6_000, n), -11_000).round(-3)
    transfer = np.where(wage < 20_000, 12_000.0, 0.0)
    w = rng_metrics.integers(0, 4, n).astype(float)
    w[0] = 1.0
    total = wage + business + transfer
    assert (total > 0).all()
    df = m.gini_by_source({"wage": wage, "business": business, "transfer": transfer}, w)
    g = brute_gini(total, w)
    assert df.attrs["gini"] == pytest.approx(g, rel=1e-12)
    assert df["contribution"].sum() == pytest.approx(g, rel=1e-12)
    assert df["relative_contribution"].sum() == pytest.approx(1.0, rel=1e-12)
    assert df["share"].sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(
        df["contribution"],
        df["share"] * df["gini"] * df["gini_correlation"],
        rtol=1e-12,
    )
    assert df.loc["wage", "gini"] == pytest.approx(brute_gini(wage, w), rel=1e-12)
    c = brute_concentration(transfer, total, w)
    assert df.loc["transfer", "gini"] * df.loc["transfer", "gini_correlation"] == (
        pytest.approx(c, rel=1e-12)
    )
    assert (df["gini_correlation"].abs() <= 1 + 1e-12).all()
    assert list(df.columns) == [
        "share",
        "gini",
        "gini_correlation",
        "contribution",
        "relative_contribution",
        "marginal_effect",
    ]


def test_gini_by_source_array_input_and_errors():
    arr = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 5.0]])
    df = m.gini_by_source(arr)
    assert list(df.index) == ["component_0", "component_1"]
    assert df["contribution"].sum() == pytest.approx(brute_gini(arr.sum(axis=1)))
    with pytest.raises(MeasureError, match="every component must have the same length"):
        m.gini_by_source({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(MeasureError, match="components must be a mapping"):
        m.gini_by_source([1.0, 2.0])


def test_concentration_kakwani_reynolds_smolensky(rng_metrics):
    n = 60
    x = rng_metrics.lognormal(11, 0.7, n).round(-3)  # ties in the ranking variable
    w = rng_metrics.integers(1, 4, n).astype(float)
    tax = 0.3 * np.maximum(x - 60_000, 0) + rng_metrics.uniform(0, 500, n)
    post = x - tax
    c_tax = brute_concentration(tax, x, w)
    assert m.concentration(tax, w, rank_by=x) == pytest.approx(c_tax, rel=1e-12)
    assert m.concentration(x, w, rank_by=x) == pytest.approx(
        brute_gini(x, w), rel=1e-12
    )
    assert m.kakwani(x, tax, w) == pytest.approx(c_tax - brute_gini(x, w), rel=1e-12)
    assert m.kakwani(x, 0.2 * x, w) == pytest.approx(0.0, abs=1e-14)
    rs = m.reynolds_smolensky(x, post, w)
    assert rs == pytest.approx(
        brute_gini(x, w) - brute_concentration(post, x, w), rel=1e-12
    )
    # RS = (G_X - G_Y) + reranking, reranking = G_Y - C_Y|X >= 0
    rerank = brute_gini(post, w) - brute_concentration(post, x, w)
    assert rerank >= -1e-15
    assert rs == pytest.approx(
        brute_gini(x, w) - brute_gini(post, w) + rerank, rel=1e-12
    )
    with pytest.raises(
        MeasureError, match="kakwani requires a positive weighted mean of tax"
    ):
        m.kakwani(x, -tax, w)
    with pytest.raises(
        MeasureError, match=r"tax must have the same length as pre_tax_income"
    ):
        m.kakwani(x, tax[:-1], w)
    with pytest.raises(MeasureError, match="non-zero weighted total"):
        m.concentration([1.0, -1.0], rank_by=[1.0, 2.0])


def _covariance_concentration(values, weight, rank):
    """Concentration index from its covariance form (Lerman and Yitzhaki 1989):
    ``2 cov_w(v, F) / mean_w(v)`` with ``F`` the mid-point cumulative weight share;
    exact when ``rank`` has no ties."""
    order = np.argsort(rank)
    v, w = values[order], weight[order]
    total = w.sum()
    f = (np.cumsum(w) - w / 2) / total
    v_bar = np.sum(w * v) / total
    f_bar = np.sum(w * f) / total
    return 2 * np.sum(w * (v - v_bar) * (f - f_bar)) / total / v_bar


@pytest.mark.skipif(not JIT, reason="pure Python too slow at this size")
def test_sorting_measures_at_scale_equal_their_textbook_forms():
    # From SORT_BUCKET_MIN_ROWS rows the measures sort by buckets; the textbook
    # forms here sort with numpy. Continuous incomes: no ties.
    from commonprosperity._kernels.buckets import SORT_BUCKET_MIN_ROWS

    rng = np.random.default_rng(23)
    n = SORT_BUCKET_MIN_ROWS + 13
    x = 30_000.0 * rng.lognormal(0.0, 0.8, n)
    w = rng.uniform(0.5, 1.5, n)
    tax = 0.05 * x + 0.1 * np.maximum(x - 40_000.0, 0.0)
    post = x - tax
    g_x = _covariance_concentration(x, w, x)
    assert m.kakwani(x, tax, w) == pytest.approx(
        _covariance_concentration(tax, w, x) - g_x, rel=1e-9
    )
    assert m.reynolds_smolensky(x, post, w) == pytest.approx(
        g_x - _covariance_concentration(post, w, x), rel=1e-9
    )
    assert m.concentration(tax, w, rank_by=x) == pytest.approx(
        _covariance_concentration(tax, w, x), rel=1e-9
    )
    # Top 10 % share: rows above the 90 % weight cut, the straddling row split.
    order = np.argsort(x)
    xs, ws = x[order], w[order]
    ends = np.cumsum(ws)
    cut = 0.9 * ends[-1]
    above = ends > cut
    first = np.argmax(above)
    top = np.sum((ws * xs)[first + 1 :]) + (ends[first] - cut) * xs[first]
    assert m.top_share(x, w, 0.1) == pytest.approx(top / np.sum(w * x), rel=1e-9)
    p, s = m.lorenz(x, w)
    np.testing.assert_allclose(p[1:], ends / ends[-1], rtol=1e-12)
    np.testing.assert_allclose(s[1:], np.cumsum(ws * xs) / np.sum(w * x), rtol=1e-9)
