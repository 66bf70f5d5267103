"""The person-vectorised flows of a chunk equal ``household_flows``'s bit for bit.

The oracle is :func:`commonprosperity._kernels.simulate.chunk_flows`, which calls
``household_flows`` once per household (the rules' single composition, itself
checked against the NumPy and pandas references elsewhere). Households here are
larger than the plan's (up to 12 persons), wages tie often (equal values, zeros,
the minimum wage), ages sit on every threshold of the rules, business income may
be negative, and chunks start anywhere in the person rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonprosperity import Scenario, simulate, synthetic_population
from commonprosperity._kernels import flat_flows as F
from commonprosperity._kernels import lane_sums as LS
from commonprosperity._kernels import layout as L
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.household_terms import gini_weight_scale
from commonprosperity.population import CITY_LABELS
from commonprosperity.simulate import (
    BAND_EDGES,
    _gini_weight,
    _gini_weight_exponent,
    _tier_table,
    _tiers,
    person_arrays,
)
from tests.conftest import max_examples
from tests.property.test_simulate_properties import scenarios

AGES = st.one_of(
    st.sampled_from([0, 2, 3, 5, 17, 18, 24, 25, 59, 60, 61, 80]),
    st.integers(0, 100),
)
WAGES = st.one_of(
    st.sampled_from([0.0, 30_000.0, 60_000.0, 250_000.0]),
    st.floats(-1.0e3, 2.0e6, allow_subnormal=False),
)
INCOMES = st.one_of(st.just(0.0), st.floats(0.0, 1.0e6, allow_subnormal=False))


@st.composite
def households(draw, max_households=40, max_size=12):
    """Kernel arrays of a few households (persons contiguous, in household order)."""
    sizes = draw(
        st.lists(st.integers(1, max_size), min_size=1, max_size=max_households)
    )
    m = sum(sizes)

    def column(strategy):
        return np.array(draw(st.lists(strategy, min_size=m, max_size=m)))

    n = len(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return {
        "offsets": offsets,
        "household_id": np.array(
            draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)),
            dtype=np.int64,
        ),
        "tier": np.array(
            draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int8
        ),
        "age": column(AGES).astype(np.int64),
        "is_employed": column(st.booleans()).astype(np.bool_),
        "wage": column(WAGES).astype(np.float64),
        "business": column(
            st.one_of(st.just(0.0), st.floats(-2e5, 1e6, allow_subnormal=False))
        ).astype(np.float64),
        "property_income": column(INCOMES).astype(np.float64),
        "pension": column(INCOMES).astype(np.float64),
    }


def _persons(d):
    return (
        d["age"],
        d["is_employed"],
        d["wage"],
        d["business"],
        d["property_income"],
        d["pension"],
    )


def _flat(kernel, d, kernel_args, h0, h1, flows, lane=1, with_dibao=True):
    """``kernel`` (flat_chunk_flows or its py_func) on households h0:h1, into lane
    ``lane`` of a lane workspace, with work buffers full of stale values; their
    flows are copied to ``flows``'s first columns. Nothing else of the workspace
    may be written (nor the dibao's row without ``with_dibao``)."""
    params, _, rates, qd, _, b_rates, b_qd = kernel_args
    starts = d["offsets"][:-1][h0:h1]
    ends = d["offsets"][1:][h0:h1]
    fwork, iwork = F.work_buffers(int(ends[-1] - starts[0]))
    # Stale values in the work buffers must not leak into a chunk.
    for row in fwork:
        row[:] = 7.5
    for row in iwork:
        row[:] = 3
    # Cells whose tier table gives d's tiers: city = tier, either urban flag.
    city = d["tier"].astype(np.int64)
    urban = d["household_id"] % 2 == 0
    tier_cells = np.array([0, 0, 1, 1, 2, 2], dtype=np.int8)
    space = np.full(11 * LS.ROW, np.nan)
    kernel(
        h0,
        h1,
        starts,
        ends,
        d["household_id"],
        city,
        urban,
        tier_cells,
        *_persons(d),
        params,
        rates,
        qd,
        b_rates,
        b_qd,
        space,
        lane,
        fwork,
        iwork,
        np.bool_(with_dibao),
    )
    written = np.zeros(space.shape, dtype=bool)
    LS.flows_of_lane(written, lane)[:, : h1 - h0] = True
    if not with_dibao:
        LS.flows_of_lane(written, lane)[8] = False
    assert np.isnan(space[~written]).all()
    flows[:, : h1 - h0] = LS.flows_of_lane(space, lane)[:, : h1 - h0]


def _both(d, kernel_args, h0, h1):
    """Flows of households h0:h1 by chunk_flows and by flat_chunk_flows."""
    want = np.full((11, h1 - h0 + 3), np.nan)
    K.chunk_flows(
        h0,
        h1,
        d["offsets"][:-1][h0:h1],
        d["offsets"][1:][h0:h1],
        d["household_id"],
        d["tier"],
        *_persons(d),
        *kernel_args,
        want,
        np.zeros((1, 11)),
    )
    got = np.full_like(want, np.nan)
    _flat(F.flat_chunk_flows, d, kernel_args, h0, h1, got, lane=h0 % LS.LANES)
    return want, got


@settings(deadline=None, max_examples=max_examples(150))
@given(d=households(), scenario=scenarios(), data=st.data())
def test_the_lanes_dibao_is_that_of_household_flows(d, scenario, data):
    """Without its dibao a chunk's flows are the same; ``lane_dibao`` then forms
    the dibao from them and the sizes, bit for bit ``household_flows``' (drawn
    dibao lines, take-ups and child allowances, negative business incomes)."""
    _, args = _convex(_sorted_rates(scenario))
    n = len(d["offsets"]) - 1
    h0 = data.draw(st.integers(0, n - 1), label="h0")
    h1 = data.draw(st.integers(h0 + 1, n), label="h1")
    lane = data.draw(st.integers(0, LS.LANES - 1), label="lane")
    want, _ = _both(d, args, h0, h1)
    got = np.full_like(want, np.nan)
    _flat(F.flat_chunk_flows, d, args, h0, h1, got, lane=lane, with_dibao=False)
    assert np.isnan(got[8]).all()
    keep = np.arange(11) != 8
    np.testing.assert_array_equal(got[keep, : h1 - h0], want[keep, : h1 - h0])
    work = np.full(LS.lane_workspace(True).shape, np.nan)
    LS.flows_of_lane(work, lane)[:, : h1 - h0] = got[:, : h1 - h0]
    row = LS._SIZE * LS.ROW  # the sizes' row: household i of a lane at i * LANES
    sizes = work[row + lane : row + LS.SPAN : LS.LANES]
    sizes[: h1 - h0] = np.diff(d["offsets"])[h0:h1]
    LS.lane_dibao(work, args[0])
    np.testing.assert_array_equal(
        LS.flows_of_lane(work, lane)[8, : h1 - h0], want[8, : h1 - h0]
    )


def test_counts_of_a_chunk_beyond_the_packed_fields_stay_exact():
    """The running counts share one integer, 16 bits a count. A chunk of 700
    households of 100 persons, nearly all children, counts 69,300 children past
    the fields' 65,535: each household's counts, and so its flows, stay those
    of household_flows."""
    rng = np.random.default_rng(5)
    n, size = 700, 100
    m = n * size
    age = np.full(m, 5, dtype=np.int64)
    age[::size] = 40  # one parent a household
    age[1::size] = rng.integers(0, 3, n)  # an infant
    wage = np.zeros(m)
    wage[::size] = rng.uniform(50_000.0, 600_000.0, n)
    d = {
        "offsets": np.arange(0, m + 1, size, dtype=np.int64),
        "household_id": rng.integers(0, 2**40, n),
        "tier": rng.integers(0, 3, n).astype(np.int8),
        "age": age,
        "is_employed": age == 40,
        "wage": wage,
        "business": np.zeros(m),
        "property_income": np.zeros(m),
        "pension": np.zeros(m),
    }
    args = Scenario.status_quo(2025).as_arrays().kernel_args()
    want, got = _both(d, args, 0, n)
    assert want[10, :n].min() > 0.0  # every household has an allowance
    np.testing.assert_array_equal(got[:, :n], want[:, :n])


def _sorted_rates(scenario):
    """``scenario`` with both schedules' rates sorted: half the drawn schedules
    are not convex, and sorting makes them so (keeping all else drawn)."""
    return scenario.replace(
        {
            "income_tax.rates": sorted(scenario.income_tax.rates),
            "income_tax.business_rates": sorted(scenario.income_tax.business_rates),
        }
    )


def _convex(scenario):
    args = scenario.as_arrays().kernel_args()
    return F.applies(args[0], args[2], args[5]), args


@settings(deadline=None, max_examples=max_examples(300))
@given(d=households(), scenario=scenarios(), data=st.data())
def test_flat_flows_equal_household_flows_bit_for_bit(d, scenario, data):
    convex, args = _convex(_sorted_rates(scenario))
    assert convex
    n = len(d["offsets"]) - 1
    h0 = data.draw(st.integers(0, n - 1), label="h0")
    h1 = data.draw(st.integers(h0 + 1, n), label="h1")
    want, got = _both(d, args, h0, h1)
    np.testing.assert_array_equal(got[:, : h1 - h0], want[:, : h1 - h0])
    assert np.isnan(got[:, h1 - h0 :]).all()  # nothing written past the chunk


def test_a_non_convex_or_long_schedule_keeps_to_household_flows():
    """The largest line is a convex schedule's tax only: other schedules, and
    schedules longer than the unrolled eight lines, are not for the vector path."""
    base = Scenario.status_quo(2025)
    assert _convex(base)[0]
    falling = base.replace(
        {"income_tax.rates": [0.45, 0.35, 0.3, 0.25, 0.2, 0.1, 0.03]}
    )
    assert not _convex(falling)[0]
    falling = base.replace({"income_tax.business_rates": [0.35, 0.3, 0.2, 0.1, 0.05]})
    assert not _convex(falling)[0]
    nine = base.replace(
        {
            "income_tax.thresholds": [0.0, *(36_000.0 * k for k in range(1, 9))],
            "income_tax.rates": [0.03 + 0.05 * k for k in range(9)],
        }
    )
    assert not _convex(nine)[0]


@pytest.mark.skipif(
    not hasattr(F.flat_chunk_flows, "py_func"),
    reason="NUMBA_DISABLE_JIT=1: kernels are Python already",
)
@settings(deadline=None, max_examples=max_examples(60))
@given(d=households(max_households=12, max_size=8), data=st.data())
def test_flat_flows_compiled_equal_pure_python(d, data):
    """Unsigned indexing and the running counts mean the same without the JIT."""
    args = Scenario.status_quo(
        data.draw(st.sampled_from([2020, 2022, 2025]))
    ).as_arrays()
    n = len(d["offsets"]) - 1
    out = []
    for kernel in (F.flat_chunk_flows, F.flat_chunk_flows.py_func):
        flows = np.zeros((11, n))
        _flat(kernel, d, args.kernel_args(), 0, n, flows)
        out.append(flows)
    np.testing.assert_array_equal(out[0], out[1])


def _parent_and_child(wage):
    """One household: an employed parent of 40 with ``wage``, a child of 10."""
    return {
        "offsets": np.array([0, 2], dtype=np.int64),
        "household_id": np.array([12345], dtype=np.int64),
        "tier": np.array([0], dtype=np.int8),
        "age": np.array([40, 10], dtype=np.int64),
        "is_employed": np.array([True, False]),
        "wage": np.array([wage, 0.0]),
        "business": np.zeros(2),
        "property_income": np.zeros(2),
        "pension": np.zeros(2),
    }


def _plain_wages(params):
    """No growth, no contributions, no elderly-support claims: taxable income
    before the child deductions is wage - basic deduction."""
    params = params.copy()
    params[L.GROWTH_RATE] = 0.0
    params[L.CONTRIBUTION_RATE] = 0.0
    params[L.ELDERLY_SUPPORT_SHARE] = 0.0
    return params


@pytest.mark.parametrize("above", [0.5, 1.0, 2.0**-20])
def test_a_parent_taxable_by_a_little_still_takes_the_child_deductions(above):
    """The vector pass looks for the best earner only where someone is taxable
    before the child deductions. A parent ``above`` yuan over the basic deduction
    owes 3 % of it alone, nothing with the child's deduction: by hand, then both
    passes alike."""
    args = list(Scenario.status_quo(2024).as_arrays().kernel_args())
    args[0] = _plain_wages(args[0])
    basic = args[0][L.BASIC_DEDUCTION]
    d = _parent_and_child(basic + above)
    alone = _parent_and_child(basic + above)
    alone["age"][1] = 30  # the same household without a child
    assert _both(alone, tuple(args), 0, 1)[1][5, 0] == pytest.approx(0.03 * above)
    want, got = _both(d, tuple(args), 0, 1)
    assert want[5, 0] == 0.0  # income tax
    np.testing.assert_array_equal(got[:, :1], want[:, :1])


@pytest.mark.parametrize(("amount", "child_age"), [("education", 10), ("infant", 1)])
def test_a_negative_child_deduction_keeps_the_best_earner_search(amount, child_age):
    """Hand-built, negative amounts (Scenario refuses them) raise the taxable
    income they are deducted from: a parent 100 yuan under the basic deduction
    becomes taxable by the child's, and owes 3 % of 19,900 yuan by hand; the
    vector pass, which otherwise skips households where no one is taxable
    without child deductions, agrees with household_flows."""
    args = list(Scenario.status_quo(2024).as_arrays().kernel_args())
    params = _plain_wages(args[0])
    key = {"education": L.CHILD_EDUCATION, "infant": L.INFANT_CARE}[amount]
    params[key] = -20_000.0
    args[0] = params
    d = _parent_and_child(params[L.BASIC_DEDUCTION] - 100.0)
    d["age"][1] = child_age
    want, got = _both(d, tuple(args), 0, 1)
    assert want[5, 0] == pytest.approx(0.03 * 19_900.0)
    np.testing.assert_array_equal(got[:, :1], want[:, :1])


def test_the_law_s_schedules_take_the_vector_path():
    """Every status-quo year's schedules are convex with at most eight brackets."""
    for year in range(2020, 2026):
        args = Scenario.status_quo(year).as_arrays().kernel_args()
        assert F.applies(args[0], args[2], args[5]), year


@pytest.mark.parametrize("year", [2020, 2025])
@pytest.mark.parametrize("three_person", [False, True])
def test_the_vector_aggregate_pass_gives_the_same_totals_bit_for_bit(
    year, three_person
):
    """Several chunks (5,000 households, 3 chunks of 2,048), every total and every
    per-capita income, against the household-by-household pass; the Gini weights
    the vector pass writes are the population's own, bit for bit."""
    pop = synthetic_population(5_000, seed=11)
    kernel_args = Scenario.status_quo(year).as_arrays().kernel_args()
    assert F.applies(kernel_args[0], kernel_args[2], kernel_args[5])
    out = []
    gini_weight = np.full(pop.n_households, np.nan)
    scale = gini_weight_scale(_gini_weight_exponent(pop))
    for kernel, tiers, extra in (
        (K.aggregate_pass, _tiers(pop), ()),
        (F.aggregate_pass, _tier_table().ravel(), (gini_weight, scale)),
    ):
        per_capita = np.empty(pop.n_households)
        totals = kernel(
            pop.offsets,
            pop.household_id,
            pop.weight,
            pop.urban,
            pop.city_code,
            len(CITY_LABELS),
            tiers,
            *person_arrays(pop),
            *kernel_args,
            BAND_EDGES,
            three_person,
            per_capita,
            *extra,
        )
        out.append((totals, per_capita))
    np.testing.assert_array_equal(out[1][0], out[0][0])
    np.testing.assert_array_equal(out[1][1], out[0][1])
    np.testing.assert_array_equal(gini_weight, _gini_weight(pop))


def test_simulate_takes_the_vector_pass_only_where_it_applies(monkeypatch):
    """A convex scenario runs the vector pass, a non-convex one the other; the
    convex one's indicators are those of the household-by-household pass, bit for
    bit."""
    calls = []
    real = F.aggregate_pass

    def spy(*args):
        calls.append("vector")
        return real(*args)

    monkeypatch.setattr(F, "aggregate_pass", spy)
    pop = synthetic_population(3_000, seed=2)
    base = Scenario.status_quo(2023)
    falling = base.replace(
        {"income_tax.rates": [0.45, 0.35, 0.3, 0.25, 0.2, 0.1, 0.03]}
    )
    vector = simulate(pop, base, gini="bracket").indicators
    assert calls == ["vector"]
    simulate(pop, falling)
    assert calls == ["vector"]
    monkeypatch.setattr(F, "applies", lambda *args: False)
    household = simulate(pop, base, gini="bracket").indicators
    assert calls == ["vector"]
    np.testing.assert_array_equal(vector.to_numpy(), household.to_numpy())


def test_applies_refuses_what_the_largest_line_would_get_wrong():
    """No bracket, or a negative rate (a positive line at a taxable income <= 0):
    hand-built arguments only, as Scenario refuses both."""
    params = Scenario.status_quo(2025).as_arrays().kernel_args()[0]
    ok = np.array([0.03, 0.1])
    assert F.applies(params, ok, ok)
    assert not F.applies(params, np.array([]), ok)
    assert not F.applies(params, ok, np.array([]))
    assert not F.applies(params, np.array([-0.1, 0.2]), ok)
    assert not F.applies(params, ok, np.array([np.nan, 0.2]))
    assert not F.applies(params, np.linspace(0, 0.45, 9), ok)
