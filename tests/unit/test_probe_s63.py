"""Behaviours found unpinned by session 63's probes, each with a test."""

import warnings

import numpy as np
import pandas as pd
import pytest

import commonprosperity as cp
from commonprosperity.errors import CalibrationError
from tests.property.test_metrics_properties import _rational_gini


def test_a_name_clash_is_said_first_when_more_than_ten_problems_are_cut():
    """Mutant K1 of session 62: the clash line was put after eleven shape
    problems, past the ten a message shows, and vanished."""
    pop = cp.synthetic_population(50, seed=1)
    variables = {f"v{i}": np.zeros(3) for i in range(11)}
    variables["urban"] = np.zeros(pop.n_households)
    margins = {"households": {"city": {c: 1.0 for c in np.unique(pop.city)}}}
    with pytest.raises(CalibrationError) as info:
        cp.calibrate(pop, margins, variables=variables)
    message = str(info.value)
    assert "['urban'] have the name of a variable the library defines" in message
    assert message.index("['urban']") < message.index("variables['v0']")
    assert "and 2 more such problems" in message


def test_household_says_every_problem_of_a_call_at_once():
    """DESIGN.md: all problems of one input are reported at once. household()
    said a mistyped key first, and the age out of range and the unknown city
    only when the key was mended (two rounds)."""
    with pytest.raises(cp.PopulationError) as info:
        cp.household(
            2024,
            members=[{"age": 40, "wage": 1.0}, {"age": 400, "wagee": 3.0}],
            city="Nowhere",
            urban="yes",
        )
    message = str(info.value)
    assert "members[1] has unknown key 'wagee' (did you mean 'wage'?)" in message
    assert "urban must be True or False; got 'yes'" in message
    assert "persons.age must be in 0–120; rows [1]; got 400" in message
    assert "got 'Nowhere'" in message


def test_household_keeps_good_values_beside_a_bad_one():
    """The defaults put in place of bad values are not reported themselves: a
    non-number age is one problem, not also a range or an employment one."""
    with pytest.raises(cp.PopulationError) as info:
        cp.household(2024, members=[{"age": "forty", "wage": -1.0}])
    message = str(info.value)
    wanted = "members[0]['age'] must be a number (completed years); got 'forty'"
    assert wanted in message
    assert "persons.wage must be >= 0" in message
    assert "persons.age" not in message


def test_a_sweep_file_takes_a_target_id_for_its_heatmap(tmp_path):
    """plots.sweep_heatmap and the file's frontier take a target id; the file's
    heatmap refused one ("must be an indicator")."""
    from commonprosperity.sweep import read_sweep_file

    file = tmp_path / "s.toml"
    file.write_text(
        'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1200, 1400]\n'
        '"income_tax.basic_deduction" = [60000, 72000]\n[plots]\nheatmap = "T4"\n',
        encoding="utf-8",
    )
    spec = read_sweep_file(file)
    assert spec.heatmap == "urban_rural_ratio"  # T4's indicator (the plan's)


def _contains(bracket, true):
    from fractions import Fraction

    lower = -np.inf if bracket.lower == -np.inf else Fraction(bracket.lower)
    upper = np.inf if bracket.upper == np.inf else Fraction(bracket.upper)
    return lower <= true <= upper


def _elders(weight, business, pension):
    """Urban households of one person aged 70, no wage: business and pension."""
    ids = np.arange(len(weight))
    return cp.Population.from_arrays(
        {"household_id": ids, "weight": weight, "urban": np.ones(len(ids), bool)},
        {
            "household_id": ids,
            "age": np.full(len(ids), 70),
            "employed": np.zeros(len(ids), dtype=bool),
            "wage": np.zeros(len(ids)),
            "business": business,
            "property": np.zeros(len(ids)),
            "pension": pension,
        },
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_bracket_holds_the_gini_where_rounding_swamps_the_mean():
    """Review of session 62: incomes of -47,393 and 27,851 whose weighted sum
    rounds to 50 times its exact value. The exact Gini's allowance was added to
    it linearly (8u times the cancellation), and the bracket (-9e16, 1.05e17)
    missed the true Gini of 3.05e18."""
    x = np.array([-47393.15621578681, 27850.99745293766])
    w = np.array([1.1362719233122431, 1.933557778537283])
    true = _rational_gini(x, w)
    assert true > 1e18
    assert _contains(cp.metrics.gini(x, w, method="bracket"), true)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_histogram_falls_back_to_the_rows_where_its_bins_lose_the_mean(
    monkeypatch,
):
    """From 32,768 rows the bins' weighted income, re-formed from their sums,
    came out <= 0 where the rows' is positive: a nan Gini with no reason. The
    rows' own bracket is given instead, and holds the true Gini."""
    n = 32_768
    x = np.zeros(n)
    w = np.full(n, 1e-3)
    x[:2] = [-47393.15621578681, 27850.99745293766]
    w[:2] = [1.1362719233122431, 1.933557778537283]
    bracket = cp.metrics.gini(x, w, method="bracket")
    assert not np.isnan(bracket.estimate)
    # The zeros grouped: one row of their weight, the same Gini.
    true = _rational_gini([x[0], x[1], 0.0], [w[0], w[1], 1e-3 * (n - 2)])
    assert _contains(bracket, true)


def test_an_ordinary_bracket_is_still_narrow():
    """The divided allowance is the added one to first order: lognormal incomes
    keep a bracket far inside 1e-8, few rows (sorted) and many (bins) alike."""
    rng = np.random.default_rng(20240601)
    for n in (1_000, 40_000):
        x = rng.lognormal(10, 0.7, n)
        w = rng.uniform(0.5, 2.0, n)
        b = cp.metrics.gini(x, w, method="bracket")
        exact = cp.metrics.gini(x, w)
        assert b.lower <= exact <= b.upper
        assert b.upper - b.lower < 1e-8


def test_the_bracket_path_is_chosen_on_the_rows_given_whatever_their_container():
    """Review of session 62: 32,768 rows with one zero weight took the bins as a
    float64 array and the sort as a list (the full path counted the rows left
    after dropping zero weights)."""
    rng = np.random.default_rng(3)
    x = rng.lognormal(10, 0.8, 32_768)
    w = rng.uniform(0.5, 2.0, 32_768)
    w[0] = 0.0
    as_array = cp.metrics.gini(x, w, method="bracket")
    as_list = cp.metrics.gini(x.tolist(), w.tolist(), method="bracket")
    # Both from the bins: the sorted path's bracket is 1e-12 of the Gini wide.
    for b in (as_array, as_list):
        assert b.upper - b.lower > 1e-10
    assert as_list.lower <= as_array.estimate <= as_list.upper


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_unbounded_gini_bracket_is_undefined_with_its_reason():
    """simulate and sweep: a bracket no bound holds (the mean of 1e-11 yuan from
    incomes of -300,000 and 120,000) is NaN with a reason, as every undefined
    indicator; report writers refuse infinite indicators."""
    n = 40
    ids = np.arange(1, n + 1)
    w = np.full(n, 1e-6)
    w[0], w[1] = 1.0067813041688827, 3.2476816263512345
    wage = np.zeros(n)
    wage[1] = 120_000.0
    business = np.zeros(n)
    business[0] = -300_000.0
    employed = np.zeros(n, dtype=bool)
    employed[1] = True
    pop = cp.Population.from_arrays(
        {"household_id": ids, "weight": w, "urban": np.ones(n, dtype=bool)},
        {
            "household_id": ids,
            "age": np.full(n, 40),
            "employed": employed,
            "wage": wage,
            "business": business,
            "property": np.zeros(n),
            "pension": np.zeros(n),
        },
    )
    zero = {
        "transfers.dibao_monthly": 0.0,
        "transfers.residents_pension_monthly": 0.0,
        "transfers.child_allowance_monthly": 0.0,
    }
    scenario = cp.Scenario.status_quo(2024).replace(zero)
    r = cp.simulate(pop, scenario, gini="bracket")
    assert r.indicators["gini"] > 1e15
    for name in ("gini_lower", "gini_upper"):
        assert np.isnan(r.indicators[name])
        assert "no bound on the Gini holds" in r.undefined[name]
    frame = cp.sweep(pop, scenario, {"transfers.dibao_monthly": [0.0]}, gini="bracket")
    assert frame[["gini_lower", "gini_upper"]].isna().all(axis=None)


def test_calibrate_max_relative_error_is_the_margins_tables():
    """CalibrationResult.max_relative_error is documented as the largest
    |achieved - target| / target over the margin cells; it was the solver's
    figure before expansion (0.0 beside a table of 7.7e-16)."""
    pop = cp.synthetic_population(1_000, seed=1)
    res = cp.calibrate(pop, {"persons": {"urban": {True: 48.3e6, False: 17.5e6}}})
    table = res.margins
    by_hand = (table["achieved"] - table["target"]).abs() / table["target"].abs()
    assert res.max_relative_error == by_hand.max()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_gini_whose_mean_rounds_away_is_undefined_not_negative():
    """Review of session 63: the totals' mean came out 4.8e-11 yuan but the
    Gini's own sum of incomes (in income order) negative: simulate gave a Gini
    of -2.7e16 with a 1e-12 bracket; the exact rationals say +1.2e17. Now NaN
    with its reason, in simulate and sweep alike."""
    x = [-765731.86, -432321.36, -409217.22, 770459.81]
    x += [134865.34, 799045.94, 622836.33, 740451.01]
    w = [4.730123202781999, 5.2333624795442315, 5.20745545208707, 2.055311535042635]
    w += [3.5585275675671233, 3.4075560752799876, 4.5022822794329285]
    w += [0.5740353870297883]
    n = 40
    weight = np.full(n, 1e-9)
    weight[:8] = w
    x = np.array(x)
    business = np.zeros(n)
    business[:8] = np.minimum(x, 0)
    pension = np.zeros(n)
    pension[:8] = np.maximum(x, 0)
    pop = _elders(weight, business, pension)
    zero = {
        "transfers.dibao_monthly": 0.0,
        "transfers.residents_pension_monthly": 0.0,
        "transfers.child_allowance_monthly": 0.0,
    }
    scenario = cp.Scenario.status_quo(2024).replace(zero)
    for method in ("exact", "bracket"):
        r = cp.simulate(pop, scenario, gini=method)
        assert r.indicators["per_capita_disposable_income"] > 0
        assert np.isnan(r.indicators["gini"])
        assert "cancel the positive ones to within rounding" in r.undefined["gini"]
        frame = cp.sweep(pop, scenario, {"transfers.dibao_monthly": [0.0]}, gini=method)
        assert frame["gini"].isna().all()


def test_metrics_bracket_refuses_a_mean_that_rounds_away_as_exact_does():
    """Review of session 63: 40,000 rows whose weighted mean is 0 to within
    rounding: method='exact' refused (mean <= 0), the bracket gave a negative
    Gini with a 1e-12 bracket missing the true +4e16."""
    x = [-441262.44467856403, -409184.16524359817, -947300.243449495]
    x += [155755.58838342837, 168923.66806227612, 347409.23968499637]
    x += [622142.05001473, 240992.90633685386]
    w = [2.6448452267237026, 2.2183332562807445, 0.6709596229891241]
    w += [1.7261838445519655, 0.5667827833306636, 1.670436163452452]
    w += [0.5287106300482216, 5.960814649819178]
    n = 40_000
    income = np.zeros(n)
    weight = np.full(n, 1e-30)
    income[:8] = x
    weight[:8] = w
    for method in ("exact", "bracket"):
        with pytest.raises(cp.MeasureError):
            cp.metrics.gini(income, weight, method=method)


# --- Mutation run on session 62's code (mutants that survived the suite) ---


def _cancelling_pensioners(loss_weight=None):
    """5,000 urban pensioners and one household with a 1e8 business loss."""
    k = 5_000
    business = np.zeros(k)
    pension = np.full(k, 30_000.0)
    business[0] = -1.0e8
    pension[0] = 0.0
    weight = np.full(k, 100.0)
    if loss_weight is not None:
        weight[0] = loss_weight
    return _elders(weight, business, pension)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_few_row_sweep_gives_cancelling_incomes_simulates_allowance():
    """Mutants S5, S6, S8, S12: the sweep's few-row bracket computed its
    condition from the varying rows only, from x for |x|, or with the
    household weights: the bracket shrank to the plain 1e-12 where simulate's
    is about 1e-11 (Σ w x is 1e-4 of Σ w |x| by construction)."""
    base = cp.Scenario.status_quo(2024)
    d = cp.simulate(_cancelling_pensioners(), base).households["disposable_income"]
    rest = 100.0 * d.to_numpy()[1:].sum()
    pop = _cancelling_pensioners(rest * (1 - 2e-4) / -d.to_numpy()[0])
    grid = {"transfers.dibao_monthly": [900.0, 1_100.0]}
    frame = cp.sweep(pop, base, grid, gini="bracket")
    for _, row in frame.iterrows():
        scenario = base.replace({"transfers.dibao_monthly": row.iloc[0]})
        alone = cp.simulate(pop, scenario, gini="bracket").indicators
        width = row["gini_upper"] - row["gini_lower"]
        assert width == pytest.approx(alone["gini_upper"] - alone["gini_lower"])
        # The condition, about 1e4 here, widens the 1e-12 tenfold.
        assert width / row["gini"] > 1.5e-11


def _small():
    return cp.synthetic_population(200, seed=1)


def test_a_grid_checks_every_value_of_a_lever_beside_a_bad_name():
    """Mutant S15: only the first value of each lever was judged alone."""
    grid = {"transfers.dibao_monthly": [900.0, -1.0], "transfers.nope": [1.0]}
    with pytest.raises(cp.ScenarioError) as info:
        cp.sweep(_small(), cp.Scenario.status_quo(2024), grid)
    assert "-1" in str(info.value)
    assert "transfers.nope" in str(info.value)


def test_a_grid_refuses_no_value_that_is_valid_with_the_others():
    """Mutant S13: thresholds and rates of six brackets each, valid together,
    were said to need one rate per bracket beside a bad lever name."""
    thresholds = [0.0, 36_000.0, 144_000.0, 300_000.0, 420_000.0, 660_000.0]
    grid = {
        "income_tax.thresholds": [thresholds],
        "income_tax.rates": [[0.03, 0.1, 0.2, 0.25, 0.3, 0.35]],
        "transfers.nope": [1.0],
    }
    with pytest.raises(cp.ScenarioError) as info:
        cp.sweep(_small(), cp.Scenario.status_quo(2024), grid)
    assert "transfers.nope" in str(info.value)
    assert "one rate per bracket" not in str(info.value)


def test_bootstrap_area_indicators_use_each_households_own_multiplier():
    """Mutant U9: each household took another's PSU multiplier in the area
    and city indicators; with certain units (all multipliers 1) no test saw it.
    The replicates are rebuilt here from the same draws with plain masks."""
    from commonprosperity.uncertainty import _Design

    pop = cp.synthetic_population(2_000, seed=3)
    r = cp.simulate(pop, cp.Scenario.status_quo(2024))
    cluster = np.unique(pop.household_id, return_inverse=True)[1].reshape(-1)
    design = _Design.of(cluster, np.zeros(cluster.max() + 1, dtype=np.int64), True)
    rng = np.random.default_rng(5)
    d = r.households["disposable_income"].to_numpy()
    size = pop.size.astype(float)
    urban = pop.urban
    want = []
    for _ in range(40):
        w = pop.weight * design.psu_multipliers(rng)[cluster]

        def per_capita(m, w=w):
            return (w[m] * d[m]).sum() / (w[m] * size[m]).sum()

        want.append(per_capita(urban) / per_capita(~urban))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = cp.bootstrap(r, "urban_rural_ratio", n=40, seed=5)
    np.testing.assert_allclose(b.replicates, want, rtol=1e-12)


def test_bootstrap_city_ratio_of_one_city_is_undefined_in_every_replicate():
    """Mutant U7: a sample of one city gave replicates of 1.0 (the city's
    income over itself), where simulate gives NaN: no gap between cities."""
    k = 200
    ids = np.arange(k)
    pop = cp.Population.from_arrays(
        {
            "household_id": ids,
            "weight": np.full(k, 100.0),
            "urban": ids % 2 == 0,
            "city": np.full(k, "杭州"),
        },
        {
            "household_id": ids,
            "age": np.full(k, 40),
            "employed": np.ones(k, dtype=bool),
            "wage": 50_000.0 + 100.0 * ids,
            "business": np.zeros(k),
            "property": np.zeros(k),
            "pension": np.zeros(k),
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = cp.simulate(pop, cp.Scenario.status_quo(2024))
        b = cp.bootstrap(r, "city_max_min_ratio", n=20, seed=1)
    assert np.isnan(r.indicators["city_max_min_ratio"])
    assert np.isnan(b.replicates).all()


def test_household_frame_bands_and_flags_only_on_their_rows():
    """Mutants HH1-HH3: person rows' band columns and the household row's
    'employed' are NA (documented), and a three-person income of exactly
    100,000 yuan is inside the band [100,000, 500,000)."""

    def frame(pension):
        members = [{"age": 70, "pension": pension}]
        members += [{"age": 70, "pension": 0.0}, {"age": 70, "pension": 0.0}]
        return cp.household(2024, members=members)

    first = frame(100_000.0)
    disposable = first.loc["household", "disposable_income"]
    f = frame(100_000.0 + (100_000.0 - disposable))
    household = f.loc["household"]
    assert household["disposable_income"] == 100_000.0
    assert household["three_person_income"] == 100_000.0
    assert bool(household["band_100k_500k_three_person"])
    assert f["band_100k_500k"].iloc[:3].isna().all()
    assert pd.isna(f.loc["household", "employed"])


def test_a_grids_overlap_is_said_first_beside_many_refused_values():
    """Mutant S14: refused values put before the overlapping levers pushed the
    overlap past the ten problems a message shows."""
    grid = {f"transfers.nope{i}": [1.0] for i in range(3)}
    grid["income_tax.rates"] = [[0.03, 0.1, 0.2, 0.25, 0.3, 0.35, 0.45]]
    grid["income_tax.rates[0]"] = [0.03, 0.04]
    grid["transfers.dibao_take_up"] = [1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    with pytest.raises(cp.ScenarioError) as info:
        cp.sweep(_small(), cp.Scenario.status_quo(2024), grid)
    message = str(info.value)
    assert message.startswith("grid: income_tax.rates and income_tax.rates[0] overlap")
