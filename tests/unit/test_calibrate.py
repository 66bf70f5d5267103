"""Survey calibration: hand-solved cases, IPF equivalence, GREG closed form, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from commonprosperity import CalibrationError, Population
from commonprosperity.calibrate import calibrate


def make_pop(weight, urban, city, sizes=None, ages=None):
    n = len(weight)
    sizes = sizes or [1] * n
    hh = pd.DataFrame(
        {
            "household_id": np.arange(1, n + 1),
            "weight": weight,
            "urban": urban,
            "city": city,
        }
    )
    ids = np.repeat(np.arange(1, n + 1), sizes)
    m = len(ids)
    pp = pd.DataFrame(
        {
            "household_id": ids,
            "age": ages if ages is not None else [40] * m,
            "employed": [False] * m,
            "wage": [0.0] * m,
            "business": [0.0] * m,
            "property": [0.0] * m,
            "pension": [0.0] * m,
        }
    )
    return Population.from_frames(hh, pp)


def two_by_two():
    # cells (urban, city): (T, 杭州) 10, (T, 宁波) 20, (F, 杭州) 30, (F, 宁波) 40
    return make_pop(
        [10.0, 20.0, 30.0, 40.0],
        [True, True, False, False],
        ["杭州", "宁波", "杭州", "宁波"],
    )


def test_raking_2x2_solved_by_hand():
    """Raking keeps the odds ratio 10·40/(20·30) = 2/3 of the seed table.

    With rows urban 40 / rural 60 and columns 杭州 50 / 宁波 50, the (urban, 杭州)
    cell x solves x(10 + x) / ((40 − x)(50 − x)) = 2/3, i.e. x² + 210x − 4000 = 0.
    """
    res = calibrate(
        two_by_two(),
        {
            "households": {
                "urban": {True: 40, False: 60},
                "city": {"杭州": 50, "宁波": 50},
            }
        },
    )
    x = (-210.0 + math.sqrt(60100.0)) / 2.0
    np.testing.assert_allclose(res.weight, [x, 40 - x, 50 - x, 10 + x], rtol=1e-10)
    assert res.converged and res.method == "raking"
    assert res.max_relative_error < 1e-10
    np.testing.assert_allclose(res.weight_ratio_min, (10 + x) / 40)
    np.testing.assert_allclose(res.weight_ratio_max, x / 10)
    assert res.population.weight.tolist() == res.weight.tolist()


def ipf(table, rows, cols, sweeps=2000):
    t = table.astype(float).copy()
    for _ in range(sweeps):
        t *= (rows / t.sum(axis=1))[:, None]
        t *= (cols / t.sum(axis=0))[None, :]
    return t


def test_raking_equals_iterative_proportional_fitting(rng):
    cities = ["杭州", "宁波", "温州"]
    n = 60
    city = rng.choice(3, n)
    urban = rng.random(n) < 0.6
    urban[:6] = [True, False] * 3
    city[:6] = [0, 0, 1, 1, 2, 2]
    weight = rng.uniform(1, 5, n)
    pop = make_pop(weight, urban, [cities[c] for c in city])
    rows = np.array([70.0, 130.0])  # rural, urban
    cols = np.array([50.0, 60.0, 90.0])
    res = calibrate(
        pop,
        {
            "households": {
                "urban": {False: rows[0], True: rows[1]},
                "city": dict(zip(cities, cols, strict=True)),
            }
        },
    )
    seed = np.zeros((2, 3))
    np.add.at(seed, (urban.astype(int), city), weight)
    fitted = ipf(seed, rows, cols)
    achieved = np.zeros((2, 3))
    np.add.at(achieved, (urban.astype(int), city), res.weight)
    np.testing.assert_allclose(achieved, fitted, rtol=1e-9)
    # within a cell every household is scaled by the same factor
    factor = res.weight / weight
    for u in (0, 1):
        for c in range(3):
            sel = (urban.astype(int) == u) & (city == c)
            np.testing.assert_allclose(factor[sel], factor[sel][0], rtol=1e-12)


def test_linear_greg_matches_closed_form(rng):
    """GREG: w = d (1 + x'λ), λ = (X'DX)⁻¹ (t − X'd) (Deville & Särndal 1992)."""
    n = 40
    sizes = rng.integers(1, 5, n).tolist()
    urban = rng.random(n) < 0.5
    d = rng.uniform(5, 15, n)
    pop = make_pop(d, urban, ["杭州"] * n, sizes=sizes)
    size = np.array(sizes, dtype=float)
    X = np.column_stack([np.ones(n), size * urban, size * ~urban])
    t = X.T @ d * np.array([1.05, 1.10, 0.95])
    res = calibrate(
        pop,
        {
            "households": {"total": {"all": t[0]}},
            "persons": {"urban": {True: t[1], False: t[2]}},
        },
        method="linear",
    )
    lam = np.linalg.solve(X.T @ (d[:, None] * X), t - X.T @ d)
    np.testing.assert_allclose(res.weight, d * (1 + X @ lam), rtol=1e-10)
    assert res.iterations == 1


@pytest.mark.parametrize("method", ["raking", "linear"])
def test_post_stratification(method):
    pop = two_by_two()
    res = calibrate(
        pop, {"households": {"city": {"杭州": 80.0, "宁波": 120.0}}}, method=method
    )
    np.testing.assert_allclose(res.weight, [20.0, 40.0, 60.0, 80.0], rtol=1e-12)


def test_person_margins_on_age_bands():
    pop = make_pop(
        [1.0, 1.0, 1.0],
        [True, True, False],
        ["杭州"] * 3,
        sizes=[2, 1, 2],
        ages=[30, 5, 70, 40, 80],
    )
    # 4 children: household 1 (the only child's) has weight 4, so 10 aged 15-59
    # leave 6 for household 3 and 8 aged 60+ leave 2 for household 2. (With 6 aged
    # 60+ household 2 would need weight 0: test_calibrate_zero.py.)
    res = calibrate(
        pop, {"persons": {"age": {(0, 15): 4.0, (15, 60): 10.0, (60, 121): 8.0}}}
    )
    w = res.weight
    counts = {"young": 4.0, "middle": w[0] + w[2], "old": w[1] + w[2]}
    assert counts["middle"] == pytest.approx(10.0)
    assert counts["old"] == pytest.approx(8.0)
    assert w[0] == pytest.approx(4.0)  # the only child lives in household 1
    np.testing.assert_allclose(w, [4.0, 2.0, 6.0], rtol=1e-9)


def test_bounds_are_respected():
    pop = two_by_two()
    margins = {
        "households": {"urban": {True: 40, False: 60}, "city": {"杭州": 50, "宁波": 50}}
    }
    for method in ("raking", "linear"):
        res = calibrate(pop, margins, method=method, bounds=(0.5, 1.6))
        ratio = res.weight / pop.weight
        assert ratio.min() >= 0.5 - 1e-12 and ratio.max() <= 1.6 + 1e-12
        assert res.max_relative_error < 1e-9


def test_infeasible_bounds_name_the_cell():
    pop = two_by_two()
    with pytest.raises(
        CalibrationError, match=r"infeasible.*households.city cell '杭州'"
    ):
        calibrate(
            pop,
            {"households": {"city": {"杭州": 100.0, "宁波": 100.0}}},
            bounds=(0.5, 2.0),
        )


def test_jointly_infeasible_bounds_do_not_converge():
    pop = two_by_two()
    with pytest.raises(CalibrationError, match="did not converge"):
        # each cell is reachable alone, but 杭州 = 50 forces both 杭州 cells to the
        # upper bound, which leaves (rural, 宁波) at 25.5 = 0.64 × 40 < 0.8 × 40
        calibrate(
            pop,
            {
                "households": {
                    "urban": {True: 37, False: 63},
                    "city": {"杭州": 50, "宁波": 50},
                }
            },
            bounds=(0.8, 1.25),
            max_iter=30,
        )


@pytest.mark.parametrize(
    ("margins", "fragment"),
    [
        (
            {"households": {"city": {"杭州": 40, "宁波": 30, "丽水": 30}}},
            "cell '丽水' has total 30 but no households in the data (empty cell)",
        ),
        ({"households": {"city": {"杭州": 40}}}, "fall in no cell"),
        (
            {
                "households": {
                    "urban": {True: 40, False: 60},
                    "city": {"杭州": 50, "宁波": 60},
                }
            },
            "inconsistent households totals",
        ),
        ({"households": {"colour": {"red": 1}}}, "unknown variable(s) ['colour']"),
        ({"families": {"urban": {True: 1, False: 1}}}, "unit must be one of"),
        (
            {"households": {"city": {"杭州": 0.0, "宁波": 100.0}}},
            "has total 0 but holds records",
        ),
        ({"households": {"city": {"杭州": -1.0, "宁波": 100.0}}}, "finite and >= 0"),
        (
            {"households": {"age": {(0, 10): 1.0}}},
            "unknown variable(s) ['age'] for households",
        ),
        ({"persons": {"age": {(0, 50): 1.0, (40, 121): 1.0}}}, "age intervals overlap"),
        ({"households": {"city": {"Atlantis": 1.0}}}, "unknown city 'Atlantis'"),
        (  # a household apart in 100,000: passed a 1e-6 check, then the solver,
            # held to tol = 1e-10, failed after max_iter blaming another cell
            {
                "households": {
                    "urban": {True: 40_000, False: 60_001},
                    "city": {"杭州": 50_000, "宁波": 50_000},
                }
            },
            "1e-05 apart (relative) where tol is 1e-10",
        ),
        (  # '×'.join(names) raised TypeError on a non-string name
            {"households": {5: {1: 1.0}}},
            "a variable is a name (str) or a tuple of names; got 5",
        ),
    ],
)
def test_impossible_margins_raise(margins, fragment):
    with pytest.raises(CalibrationError) as info:
        calibrate(two_by_two(), margins)
    assert fragment in str(info.value)


def test_bad_arguments():
    pop = two_by_two()
    m = {"households": {"city": {"杭州": 40.0, "宁波": 60.0}}}
    with pytest.raises(CalibrationError, match="method must be one of"):
        calibrate(pop, m, method="logit")
    with pytest.raises(CalibrationError, match="bounds must be"):
        calibrate(pop, m, bounds=(1.2, 3.0))
    with pytest.raises(CalibrationError, match="margins must be a non-empty mapping"):
        calibrate(pop, {})


def test_report_table():
    res = calibrate(
        two_by_two(), {"households": {"city": {"杭州": 50.0, "宁波": 50.0}}}
    )
    table = res.margins
    assert list(table.columns) == [
        "unit",
        "margin",
        "cell",
        "target",
        "initial",
        "achieved",
        "relative_error",
    ]
    assert table["initial"].tolist() == [40.0, 60.0]
    np.testing.assert_allclose(table["achieved"], [50.0, 50.0])
    assert "converged=True" in repr(res)


@pytest.mark.parametrize(
    ("method", "bounds"), [("raking", None), ("linear", None), ("raking", (0.5, 2.0))]
)
def test_identical_rows_are_merged_and_the_solution_is_unchanged(method, bounds):
    """Households with the same design row share one factor: solving on distinct
    rows gives the weights of the uncompressed Newton solve."""
    from commonprosperity._calibrate_design import design
    from commonprosperity._calibrate_solve import compress, solve

    rng = np.random.default_rng(7)
    n = 3_000
    cities = np.array(["杭州", "宁波", "温州"])
    pop = make_pop(
        list(rng.uniform(50, 150, n)),
        list(rng.random(n) < 0.6),
        list(cities[rng.integers(0, 3, n)]),
        sizes=list(rng.integers(1, 5, n)),
    )
    w, size = pop.weight, pop.size
    margins = {
        "households": {"city": {c: 1.1 * w[pop.city == c].sum() for c in cities}},
        "persons": {
            "urban": {
                True: 1.05 * np.dot(w[pop.urban], size[pop.urban]),
                False: 1.2 * np.dot(w[~pop.urban], size[~pop.urban]),
            }
        },
    }
    X, columns = design(pop, margins, {})
    merged = compress(X, w)
    assert merged is not None and merged.X.shape[0] <= 3 * 2 * 4
    np.testing.assert_array_equal((merged.X[merged.inverse] - X).toarray(), 0.0)
    res = calibrate(pop, margins, method=method, bounds=bounds)
    t = np.array([c.target for c in columns])
    full = solve(X, w, t, method, bounds, 100, 1e-10)
    np.testing.assert_allclose(res.weight, w * full.factor, rtol=1e-9)
    assert res.converged


def test_rows_that_differ_are_never_merged():
    import scipy.sparse as sp

    from commonprosperity._calibrate_solve import compress

    X = sp.csr_matrix(np.tile(np.eye(4), (500, 1)))
    merged = compress(X, np.ones(2_000))
    assert merged is not None and merged.X.shape[0] == 4
    assert np.allclose(merged.d, 500.0)
    unique = sp.csr_matrix(np.arange(4_000.0).reshape(2_000, 2))
    assert compress(unique, np.ones(2_000)) is None  # nothing to gain


def test_raking_from_weights_far_below_the_margins():
    """Design weights 1e5 times below the totals (sample weights of 1 against
    published counts): the first Newton steps overflow exp(), which must halve
    the step quietly (warnings are errors in the tests), and the solution is that
    of weights already at scale, by the raking's invariance to a common factor of
    the design weights when the margins fix the total."""
    margins = {
        "households": {
            "urban": {True: 40e5, False: 60e5},
            "city": {"杭州": 50e5, "宁波": 50e5},
        }
    }
    pop = two_by_two()
    res = calibrate(pop.with_weights(pop.weight * 1e-5), margins)
    x = (-210.0 + math.sqrt(60100.0)) / 2.0 * 1e5  # the 2x2 solution, scaled
    np.testing.assert_allclose(res.weight, [x, 40e5 - x, 50e5 - x, 10e5 + x], rtol=1e-9)
    assert res.converged


def test_totals_may_be_a_pandas_series():
    pop = make_pop([10.0, 20.0, 30.0, 40.0], [True, False, True, False], ["杭州"] * 4)
    margins = {"households": {"urban": pd.Series({True: 50.0, False: 50.0})}}
    result = calibrate(pop, margins)
    w = result.population.weight
    assert w[pop.urban].sum() == pytest.approx(50.0, rel=1e-12)
    assert w[~pop.urban].sum() == pytest.approx(50.0, rel=1e-12)
