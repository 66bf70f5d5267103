"""Households no scenario of a sweep changes are evaluated once: sound and unseen.

``household_varies`` is checked against brute force (every household's flows under
every scenario, and under values between them, from the detail pass); sweeps with a
fixed part are checked against single ``simulate`` runs; the merged Ginis against
the Ginis of all the rows. The population spans several kernel chunks, so
``CP_TEST_SMALL=1`` (the no-JIT coverage run, where the small sweeps of
test_sweep.py run the same kernel lines) skips the tests that need it.
"""

import numba
import numpy as np
import pandas as pd
import pytest

import commonprosperity._sweep_engine as engine
from commonprosperity import Scenario, simulate
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.histogram import (
    binned,
    binned_bracket,
    bracket_gini,
    merge_binned,
)
from commonprosperity._kernels.inequality import (
    gini_exact_from_order,
    gini_exact_merged,
)
from commonprosperity._kernels.sweep import household_varies
from commonprosperity.population import CITY_LABELS
from commonprosperity.simulate import INDICATOR_NAMES, _tiers, person_arrays
from commonprosperity.sweep import sweep

#: Grids of every parameter group; each leaves some households unchanged.
GRIDS = {
    "dibao x deduction": {
        "transfers.dibao_monthly": [900.0, 1_300.0],
        "income_tax.basic_deduction": [60_000.0, 96_000.0],
    },
    "transfers": {
        "transfers.dibao_monthly": [700.0, 2_500.0],
        "transfers.residents_pension_monthly": [200.0, 900.0],
        "transfers.child_allowance_monthly": [0.0, 300.0],
    },
    "schedule and property": {
        "income_tax.rates[2]": [0.15, 0.3],
        "income_tax.property_rate": [0.1, 0.2],
    },
    "contributions and deductions": {
        "social_insurance.pension_rate": [0.06, 0.08],
        "transfers.child_allowance_max_age": [3, 6],
        "income_tax.elderly_support_share": [0.2, 0.9],
    },
    # Households without a wage keep theirs at zero.
    "wage growth": {"wages.growth_rate": [-0.1, 0.05]},
    "wage growth and dibao": {
        "wages.growth_rate": [0.0, 0.3],
        "transfers.dibao_monthly": [900.0, 1_300.0],
    },
    # Only wages below the highest minimum of their tier can change.
    "minimum wages": {
        "wages.minimum_wage_monthly_tier1": [2_000.0, 4_000.0],
        "wages.minimum_wage_monthly_tier3": [1_500.0, 3_000.0],
    },
}


# The histogram paths under test run from 32,768 rows; these populations are smaller.
pytestmark = pytest.mark.usefixtures("bins_at_any_size")


@pytest.fixture(scope="module")
def pop(chunked_population):
    return chunked_population


@pytest.fixture(scope="module")
def base():
    return Scenario.status_quo(2021)


def _scenarios(base, grid):
    return [base, *engine._expand_grid(base, grid).scenarios]


def _varies(pop, scenarios):
    plain = engine._ordered(pop)
    return household_varies(
        plain.starts,
        plain.ends,
        plain.household_id,
        plain.tier,
        *person_arrays(pop),
        *engine._stack(scenarios)._arrays(),
    )


def _flows(pop, scenario):
    return K.detail_pass(
        pop.offsets,
        pop.household_id,
        _tiers(pop),
        *person_arrays(pop),
        *scenario.as_arrays().kernel_args(),
    )


@pytest.mark.parametrize("kind", list(GRIDS))
def test_fixed_households_have_the_same_flows_in_every_scenario(pop, base, kind):
    scenarios = _scenarios(base, GRIDS[kind])
    fixed = ~_varies(pop, scenarios)
    assert 0 < fixed.sum() < pop.n_households
    first = _flows(pop, scenarios[0])
    for s in scenarios[1:]:
        np.testing.assert_array_equal(_flows(pop, s)[fixed], first[fixed])


def test_fixed_households_also_hold_between_the_bounds(pop, base):
    """solve() classifies on its two bounds: values between them are covered."""
    lever = "income_tax.basic_deduction"
    ends = [base.replace({lever: 30_000.0}), base.replace({lever: 90_000.0})]
    fixed = ~_varies(pop, [base, *ends])
    assert fixed.any()
    first = _flows(pop, base)
    for x in (30_000.0, 47_123.0, 61_000.0, 90_000.0):
        got = _flows(pop, base.replace({lever: x}))
        np.testing.assert_array_equal(got[fixed], first[fixed])


@pytest.mark.parametrize(
    ("lever", "values"),
    [
        ("wages.growth_rate", (-0.5, -0.21, 0.0, 0.37, 1.0)),
        ("wages.minimum_wage_monthly_tier2", (1_000.0, 2_345.6, 5_000.0)),
    ],
)
def test_wage_levers_hold_fixed_households_between_the_bounds(pop, base, lever, values):
    ends = [base.replace({lever: values[0]}), base.replace({lever: values[-1]})]
    varies = _varies(pop, ends)
    assert 0 < varies.sum() < pop.n_households
    first = _flows(pop, ends[0])
    for x in values[1:]:
        got = _flows(pop, base.replace({lever: x}))
        np.testing.assert_array_equal(got[~varies], first[~varies])
        # Households that vary do change somewhere (the test is not vacuous).
        assert (got[varies] != first[varies]).any()


def test_which_households_a_wage_lever_leaves_fixed(pop, base):
    """From the definition: growth reaches every household with a wage, a
    minimum wage only employed persons whose wage is below it."""
    growth = _varies(pop, _scenarios(base, {"wages.growth_rate": [0.0, 0.05]}))
    size = np.diff(pop.offsets)
    owner = np.repeat(np.arange(pop.n_households), size)
    with_wage = np.bincount(owner, pop.wage != 0.0, pop.n_households) > 0
    np.testing.assert_array_equal(growth, with_wage)
    lever = "wages.minimum_wage_monthly_tier1"
    top = 3_000.0
    minimum = _varies(pop, _scenarios(base, {lever: [2_000.0, top]}))
    tier1 = np.repeat(_tiers(pop) == 0, size)
    below = pop.employed & (pop.wage > 0.0) & (pop.wage < 12 * top) & tier1
    np.testing.assert_array_equal(
        minimum, np.bincount(owner, below, pop.n_households) > 0
    )
    # One scenario: nothing varies.
    assert not _varies(pop, [base]).any()


def _assert_close(a, b, what):
    assert abs(a - b) <= 1e-12 * abs(b), f"{what}: {a!r} vs {b!r}"


@pytest.mark.parametrize("kind", list(GRIDS))
@pytest.mark.parametrize("gini", ["exact", "bracket"])
def test_sweeps_with_fixed_households_equal_simulate(pop, base, kind, gini):
    grid = GRIDS[kind]
    scenarios = _scenarios(base, grid)
    ordered = engine._ordered_for_sweep(pop, base, engine._stack(scenarios), gini)
    assert ordered.n_fixed > 0 and ordered.n_fixed % K.CHUNK == 0
    assert ordered.n_fixed + ordered.n_households == pop.n_households
    f = sweep(pop, base, grid, gini=gini, progress=False)
    names = (*INDICATOR_NAMES, "gini_lower", "gini_upper")
    for i in range(len(f)):
        r = simulate(pop, scenarios[i + 1], gini=gini)
        for name in INDICATOR_NAMES if gini == "exact" else names:
            _assert_close(f[name].iloc[i], r.indicators[name], f"{kind} {i} {name}")
        if gini == "bracket":
            g = simulate(pop, scenarios[i + 1]).indicators["gini"]
            assert f["gini_lower"].iloc[i] <= g <= f["gini_upper"].iloc[i]


def test_merged_ginis_equal_those_of_all_the_rows():
    rng = np.random.default_rng(3)
    x = 30_000.0 * rng.lognormal(0.0, 0.8, 30_000)
    x[:40] = -x[:40] / 7  # business losses
    x[40:400] = 12_000.0  # a mass point shared by both parts
    w = rng.uniform(0.5, 3.0, x.size)
    cut = 21_000
    order = np.argsort(x[:cut], kind="stable")
    x1, w1 = x[:cut][order], w[:cut][order]
    x2, w2 = x[cut:], w[cut:]
    merged = gini_exact_merged(x1, w1, x2, w2, np.argsort(x2))
    whole = gini_exact_from_order(x, w, np.argsort(x))
    _assert_close(merged, whole, "exact")
    hist, keys, rows, bad, negative = merge_binned(binned(x1, w1), binned(x2, w2))
    h_all, k_all, _, _, _ = binned(x, w)
    np.testing.assert_array_equal(keys, k_all)
    np.testing.assert_allclose(hist, h_all, rtol=1e-12, atol=1e-6)
    assert not bad and negative
    est, lo, hi = binned_bracket((hist, keys, rows, bad, negative), x.size)
    assert lo <= whole <= hi and lo <= est <= hi
    assert abs(est - bracket_gini(x, w)[0]) < 1e-12


def test_one_scenario_in_parallel_equals_the_scenario_pass_bit_for_bit(pop, base):
    """One scenario runs parallel over chunks; same sums, bit for bit, as the
    scenario-parallel kernel (two copies of the scenario, one per thread)."""
    ordered = engine._ordered_for_sweep(pop, base)
    scenario = base.replace({"transfers.dibao_monthly": 1_111.0})
    st = engine._stack([scenario])
    twice = engine._stack([scenario, scenario])
    n_stats = K.N_STATS + 2 * len(CITY_LABELS)
    start = (np.linspace(0.0, 1.0, n_stats), np.linspace(0.0, 1e-9, n_stats))
    pc1 = np.empty((1, ordered.n_households))
    pc2 = np.empty((2, ordered.n_households))
    one = engine._pass_sums(ordered, st, False, per_capita=pc1, start=start)
    two = engine._pass_sums(ordered, twice, False, per_capita=pc2, start=start)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(pc1[0], pc2[0])


def test_a_bracket_too_wide_falls_back_to_all_the_rows(pop, base, monkeypatch):
    """With no bracket narrow enough, the fixed households' rows are recomputed
    and the exact Gini of all the rows is returned, as simulate does."""
    from commonprosperity._kernels import histogram

    monkeypatch.setattr(histogram, "BRACKET_WIDTH", 0.0)
    grid = GRIDS["dibao x deduction"]
    f = sweep(pop, base, grid, gini="bracket", progress=False)
    for i, s in enumerate(_scenarios(base, grid)[1:]):
        g = simulate(pop, s).indicators["gini"]
        _assert_close(f["gini"].iloc[i], g, f"row {i}")
        assert f["gini_lower"].iloc[i] <= g <= f["gini_upper"].iloc[i]


def test_gathers_equal_numpy_indexing():
    """The parallel gathers the sweep reorders with equal NumPy's fancy indexing."""
    from commonprosperity._kernels import gather as G

    rng = np.random.default_rng(4)
    size = rng.integers(1, 6, 300)
    ends = np.cumsum(size)
    starts = ends - size
    order = rng.permutation(300)
    for a in (rng.random(int(ends[-1])), rng.random(int(ends[-1])) < 0.5):
        new_size = size[order]
        new_ends = np.cumsum(new_size)
        new_starts = new_ends - new_size
        rows = np.concatenate(
            [np.arange(s, e) for s, e in zip(starts[order], ends[order], strict=True)]
        )
        got = G.gather_ranges(a, starts[order], ends[order], new_starts, rows.size)
        np.testing.assert_array_equal(got, a[rows])
        out = np.empty(rows.size, dtype=a.dtype)
        G.take_ranges(a, starts[order], ends[order], new_starts, out)
        np.testing.assert_array_equal(out, a[rows])
        np.testing.assert_array_equal(G.gather(a[:300], order), a[:300][order])
        out = np.empty(300, dtype=a.dtype)
        G.take(a[:300], order, out)
        np.testing.assert_array_equal(out, a[:300][order])


#: Every household with a wage varies: a lane group's whole rows overflow the
#: block memory, so blocks of a whole group run tile by tile (bracket mode).
WAGE_GRID = {
    "wages.growth_rate": [0.0, 0.02, 0.05, 0.08, 0.1],
    "wages.minimum_wage_monthly_tier1": [2_000.0, 2_300.0, 2_600.0, 2_900.0, 3_300.0],
}


def _spy_tiles(monkeypatch):
    calls = []
    real = engine._bracket_tiles

    def spy(rest, block, three, fixed, tile, *args):
        calls.append((rest.n_households, block.n, tile))
        return real(rest, block, three, fixed, tile, *args)

    monkeypatch.setattr(engine, "_bracket_tiles", spy)
    return calls


@pytest.mark.parametrize("groups", [1, 2])
def test_tiled_bracket_sweeps_equal_simulate(pop, base, monkeypatch, groups):
    calls = _spy_tiles(monkeypatch)
    monkeypatch.setattr(engine, "TILED_GROUPS", groups)
    f = sweep(pop, base, WAGE_GRID, gini="bracket", progress=False)
    # Blocks of whole lane groups (the 25 scenarios and the base: 24 + 2 in
    # blocks of one group, 26 in one of two), each over several tiles of whole
    # chunks.
    block = groups * engine.LANES
    assert [c[1] for c in calls] == [min(block, 26 - i) for i in range(0, 26, block)]
    assert len(calls) == (2 if groups == 1 else 1)
    assert all(n > tile and tile % K.CHUNK == 0 for n, _, tile in calls)
    names = (*INDICATOR_NAMES, "gini_lower", "gini_upper")
    for i, s in enumerate(_scenarios(base, WAGE_GRID)[1:]):
        r = simulate(pop, s, gini="bracket")
        for name in names:
            _assert_close(f[name].iloc[i], r.indicators[name], f"row {i} {name}")
        g = simulate(pop, s).indicators["gini"]
        assert f["gini_lower"].iloc[i] <= g <= f["gini_upper"].iloc[i]


def test_tiled_bracket_sweeps_do_not_depend_on_threads_or_blocks(pop, base):
    grid = {"wages.growth_rate": [0.0, 0.03, 0.06]}
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sweep(pop, base, grid, gini="bracket", progress=False)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = sweep(pop, base, grid, gini="bracket", progress=False)
    finally:
        numba.set_num_threads(previous)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    # A scenario's row is the same alone as in a block with others.
    alone = sweep(
        pop, base, {"wages.growth_rate": [0.03]}, gini="bracket", progress=False
    )
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        two.iloc[[1]].reset_index(drop=True),
        check_exact=True,
    )


def test_a_tiled_bracket_too_wide_falls_back_to_all_the_rows(pop, base, monkeypatch):
    from commonprosperity._kernels import histogram

    calls = _spy_tiles(monkeypatch)
    monkeypatch.setattr(histogram, "BRACKET_WIDTH", 0.0)
    grid = {"wages.growth_rate": [0.01, 0.04]}
    f = sweep(pop, base, grid, gini="bracket", progress=False)
    assert calls
    for i, s in enumerate(_scenarios(base, grid)[1:]):
        g = simulate(pop, s).indicators["gini"]
        _assert_close(f["gini"].iloc[i], g, f"row {i}")
        assert f["gini_lower"].iloc[i] <= g <= f["gini_upper"].iloc[i]


def test_level_d_blocks_share_the_rules_bit_for_bit(pop, base, monkeypatch):
    """Blocks of a transfers-only group start from the rules' flows computed once
    (``_transfer_invariants``): the same numbers, bit for bit, as each block
    computing them, and simulate's."""
    grid = {"transfers.dibao_monthly": [800.0 + 37.0 * i for i in range(10)]}
    # Blocks of 4: two scenarios a thread, so the level-D pass runs.
    monkeypatch.setattr(engine, "_block_size", lambda *args: 4)
    calls = []
    original = engine._transfer_invariants

    def spy(*args):
        calls.append(args[0].n_households)
        return original(*args)

    monkeypatch.setattr(engine, "_transfer_invariants", spy)
    for gini in ("exact", "bracket"):
        shared = sweep(pop, base, grid, gini=gini, progress=False)
        assert calls, "the blocks did not share the invariants"
        calls.clear()
        with monkeypatch.context() as m:
            m.setattr(engine, "_shares_invariants", lambda *args: False)
            alone = sweep(pop, base, grid, gini=gini, progress=False)
        assert not calls
        pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    for i, scenario in enumerate(_scenarios(base, grid)[1:]):
        r = simulate(pop, scenario, gini="bracket")
        for name in INDICATOR_NAMES:
            _assert_close(shared[name].iloc[i], r.indicators[name], f"{i} {name}")


@pytest.mark.parametrize(
    ("insertion", "sort"),
    [("fails", "radix"), ("fails", "timsort"), ("as it goes", "radix")],
)
def test_exact_ginis_sorted_afresh_equal_simulate(
    pop, base, monkeypatch, insertion, sort
):
    """Rows insertion cannot sort are timsorted when nearly sorted, else
    radix-sorted, the walk then reading them in order; after a radix sort every
    eighth row tries insertion again."""
    tried = []
    original = engine._sort_order

    def sort_order(per_capita, near):
        tried.append(True)
        return None if insertion == "fails" else original(per_capita, near)

    monkeypatch.setattr(engine, "_sort_order", sort_order)
    # Which sort a row insertion cannot sort takes: rows below the row before.
    monkeypatch.setattr(
        engine, "descents", lambda row: 0 if sort == "timsort" else row.shape[0]
    )
    grid = {"wages.growth_rate": list(np.linspace(0.0, 0.2, 11))}
    f = sweep(pop, base, grid, gini="exact", progress=False)
    for i, s in enumerate(_scenarios(base, grid)[1:]):
        _assert_close(f["gini"].iloc[i], simulate(pop, s).indicators["gini"], f"{i}")
    if insertion == "fails":
        # After a radix sort, insertion is tried again on every eighth row only;
        # after a timsort, on the next.
        n_rows = len(grid["wages.growth_rate"])
        if sort == "radix":
            assert 0 < len(tried) < n_rows
        else:
            assert len(tried) >= n_rows


def test_radix_sorted_orders_outlive_the_work_arrays_next_block_reuses(monkeypatch):
    """Blocks of rows radix-sorted one after the other share one set of work
    arrays; the order a block returns (the next block's start) is its own."""
    monkeypatch.setattr(engine, "_sort_order", lambda per_capita, near: None)
    monkeypatch.setattr(engine, "descents", lambda row: row.shape[0])
    rng = np.random.default_rng(7)
    # A fixed part serves groups whose rows differ in number: work arrays kept
    # from fewer rows are not reused for more.
    sizes = (400, 300, 500)
    weights = [rng.uniform(0.5, 2.0, n) for n in sizes]
    blocks = [rng.lognormal(10.0, 0.7, (3, n)) for n in sizes]
    fixed = engine._Fixed()
    near = None
    orders = []
    for rows, weight in zip(blocks, weights, strict=True):
        near = near if near is None or near.size == rows.shape[1] else None
        ginis, near = fixed.exact_ginis(rows, weight, near)
        orders.append(near)
        for gini, row in zip(ginis, rows, strict=True):
            # The Gini's definition: sum w_i w_j |x_i - x_j| / (2 W^2 mean).
            gaps = np.abs(row[:, None] - row[None, :])
            total = weight.sum()
            mean = weight @ row / total
            assert gini == pytest.approx(
                weight @ gaps @ weight / (2 * total**2 * mean), rel=1e-12
            )
    assert 1 <= len(fixed.works) <= 2
    for order, rows in zip(orders, blocks, strict=True):
        np.testing.assert_array_equal(order, np.argsort(rows[-1], kind="stable"))
