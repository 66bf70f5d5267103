"""Defects found in session 44's probes, each with the test that shows it fixed."""

import warnings

import numpy as np
import pytest

from commonprosperity import Scenario, synthetic_population
from commonprosperity.sweep import sweep

GRID = {"transfers.dibao_monthly": [900.0, 1_100.0]}


@pytest.fixture(scope="module")
def pop():
    return synthetic_population(800, seed=44)


# ------------------------------------------------------------------ sweeps
@pytest.mark.dask
def test_dask_sweep_of_a_parquet_path_warns_about_the_populations_year(pop, tmp_path):
    """sweep() warns when T1–T6 are judged on another year's incomes; given a
    Parquet path and the Dask engine (only the workers read the file) it did not."""
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "population 2021.parquet"
    pop.with_year(2021).write_parquet(path)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.warns(
            UserWarning, match="incomes of the 2021 population under 2025 policy"
        ):
            sweep(
                str(path),
                Scenario.status_quo(2025),
                GRID,
                engine="dask",
                client=client,
                progress=False,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sweep(
                path,
                Scenario.status_quo(2021),
                GRID,
                engine="dask",
                client=client,
                progress=False,
            )


# ---------------------------------------------------------- renamed columns
def _frames():
    import pandas as pd

    hh = pd.DataFrame(
        {"household_id": [1, 2, 3], "weight": [1.0, 2.0, 1.5], "urban": [1, 0, 1]}
    )
    pp = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 3, 3],
            "age": [40, 10, 70, 30, 31],
            "employed": [True, False, False, True, True],
            "wage": [5e4, 0.0, 0.0, 6e4, 1e4],
            "business": [0.0, 0.0, 0.0, -100.0, 0.0],
            "property": [0.0] * 5,
            "pension": [0.0, 0.0, 2e4, 0.0, 0.0],
        }
    )
    return hh, pp


def _advised(message):
    import ast
    import re

    return ast.literal_eval(re.search(r"e\.g\. columns=(\{[^}]*\})", message)[1])


@pytest.mark.parametrize("in_households_too", [False, True])
def test_the_fix_advised_for_two_columns_mapped_onto_one_works(in_households_too):
    """columns= applies to both frames: the advice for persons' household_id and
    hh_id (renamed onto it) was {'hh_id': 'household_id', 'household_id': None},
    which left the households frame without its household_id."""
    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    hh, pp = _frames()
    pp = pp.assign(hh_id=pp.household_id)
    if in_households_too:
        hh = hh.assign(hh_id=hh.household_id)
    with pytest.raises(PopulationError, match="all map to 'household_id'") as err:
        Population.from_frames(hh, pp, columns={"hh_id": "household_id"})
    fixed = Population.from_frames(hh, pp, columns=_advised(str(err.value)))
    assert fixed.household_id.tolist() == [1, 2, 3]
    assert fixed.offsets.tolist() == [0, 2, 3, 5]


def test_the_fix_advised_for_stata_files_keeps_the_other_files_column(tmp_path):
    from commonprosperity import Population
    from commonprosperity.errors import PopulationError

    hh, pp = _frames()
    hh.to_stata(tmp_path / "h.dta", write_index=False, version=118)
    pp.assign(hh_id=pp.household_id, employed=pp.employed.astype("int8")).to_stata(
        tmp_path / "p.dta", write_index=False, version=118
    )
    files = (tmp_path / "h.dta", tmp_path / "p.dta")
    with pytest.raises(PopulationError, match="applies to both files") as err:
        Population.read_stata(*files, columns={"hh_id": "household_id"})
    advised = _advised(str(err.value))
    assert advised == {"hh_id": None}
    assert Population.read_stata(*files, columns=advised).household_id.tolist() == [
        1,
        2,
        3,
    ]


# ------------------------------------------------------------ command line
@pytest.mark.parametrize(
    "args, shown",
    [
        (["run", "--year", "2021", "--year", "2025"], "--year 2021 and --year 2025"),
        (
            ["run", "--households", "1000", "--households=2000"],
            "--households 1000 and --households 2000",
        ),
        (
            ["solve", "--lever", "a", "--target", "gini<1", "--bounds", "0", "1",
             "--bounds", "2", "3"],
            "--bounds 0.0 1.0 and --bounds 2.0 3.0",
        ),
        (["baseline", "--year", "2021", "--year", "2022", "--households", "9",
          "--out", "x.parquet"], "--year 2021 and --year 2022"),
    ],
)  # fmt: skip
def test_an_option_given_twice_is_refused(args, shown, capsys):
    """argparse kept the last of two values: one year the user typed was dropped
    without a word."""
    from commonprosperity import cli

    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert f"given twice ({shown}); give it once" in err


# -------------------------------------------------------------- projection
def test_growth_rates_refuses_a_year_given_as_none():
    """growth_rates took {2025: None} for the default growth; project refused it."""
    from commonprosperity.errors import ArgumentError
    from commonprosperity.projection import growth_rates

    with pytest.raises(ArgumentError, match=r"growth\[2025\] is None"):
        growth_rates(2025, {2025: None})
    # A year the mapping leaves out keeps the default, as documented.
    assert growth_rates(2025, {2026: 0.5}).equals(growth_rates(2025))


def test_growth_mixing_year_and_rate_keys_says_so(pop):
    """It read "growth[2025]: unknown key 2025", as if 2025's rate were wrong."""
    from commonprosperity.errors import ArgumentError
    from commonprosperity.projection import project

    with pytest.raises(
        ArgumentError, match=r"mixes year keys \[2025\] with rate keys \['urban'\]"
    ):
        project(pop.with_year(2024), 2026, growth={2025: 0.1, "urban": 0.1})


def test_a_population_after_2050_runs_in_its_own_year(pop):
    """simulate_path allows the path {2060: ...} for a 2060 population; project,
    asked for no step, refused the year."""
    from commonprosperity.errors import PopulationError
    from commonprosperity.projection import project, simulate_path

    later = pop.with_year(2060)
    assert project(later, 2060) is later
    scenario = Scenario.status_quo(2025).replace({"year": 2060})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = simulate_path(later, {2060: scenario})
    assert list(path.index) == [2060]
    with pytest.raises(PopulationError, match="at most 2050"):
        project(later, 2061)


# ------------------------------------------------- numbers of other types
def test_decimals_are_numbers_wherever_an_amount_or_rate_is_taken(pop):
    """Scenario.replace and household() took Decimals; these refused them as
    out of range ("must be in (0, 0.2]; got Decimal('0.01')")."""
    from decimal import Decimal as D  # noqa: N817

    import commonprosperity as cp
    from commonprosperity.projection import project

    assert cp.Scenario.status_quo(2024).with_business_relief(
        D("0.5"), 100_000
    ) == cp.Scenario.status_quo(2024).with_business_relief(0.5, 100_000)
    scenario = Scenario.status_quo(2024)
    assert scenario.replace(
        {"transfers.child_allowance_max_age": D(3)}
    ) == scenario.replace({"transfers.child_allowance_max_age": 3})
    from fractions import Fraction

    assert scenario.replace(
        {"transfers.child_allowance_max_age": Fraction(6, 2)}
    ) == scenario.replace({"transfers.child_allowance_max_age": 3})
    with pytest.raises(cp.ScenarioError, match="must be an integer"):
        scenario.replace({"transfers.child_allowance_max_age": D("3.5")})
    result = cp.simulate(pop, Scenario.status_quo(2021))
    assert cp.bootstrap(result, "gini", n=10, level=D("0.9"), seed=1).ci_lower == (
        cp.bootstrap(result, "gini", n=10, level=0.9, seed=1).ci_lower
    )
    margins = {"households": {"urban": {True: D("1.5e7"), False: D("0.8e7")}}}
    floats = {"households": {"urban": {True: 1.5e7, False: 0.8e7}}}
    assert np.array_equal(
        cp.calibrate(pop, margins).weight, cp.calibrate(pop, floats).weight
    )
    start = pop.with_year(2022)
    assert np.array_equal(
        project(start, 2023, growth=D("0.03")).wage,
        project(start, 2023, growth=0.03).wage,
    )
    sq = Scenario.status_quo(2021)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solved = cp.solve(
            pop, sq, "transfers.dibao_monthly", "gini <= 0.9", bounds=(D(500), D(900))
        )
    assert solved == 500.0  # lo meets the goal already
    tail = cp.baseline(
        2024, n_households=1_000, top_tail={"share": D("0.01"), "alpha": 2}
    )
    assert tail.n_households == 1_000


def test_a_fraction_level_gives_a_result_that_prints():
    """level=Fraction(9, 10) was kept as a Fraction, whose "%" format raised in
    the result's repr on Python 3.11."""
    from fractions import Fraction

    import commonprosperity as cp

    result = cp.simulate(synthetic_population(300, seed=2), Scenario.status_quo(2021))
    b = cp.bootstrap(result, "gini", n=10, level=Fraction(9, 10), seed=3)
    assert b.level == 0.9 and isinstance(b.level, float)
    assert "90% CI" in repr(b)


# ------------------------------------------------------ results are sealed
def test_bootstrap_and_calibration_arrays_are_read_only(pop):
    """b.replicates[:] = 0 stuck while std_error kept its value; c.weight took a
    negative weight."""
    import commonprosperity as cp

    b = cp.bootstrap(cp.simulate(pop, Scenario.status_quo(2021)), "gini", n=10)
    with pytest.raises(ValueError, match="read-only"):
        b.replicates[0] = 0.0
    c = cp.calibrate(pop, {"households": {"urban": {True: 1.5e7, False: 0.8e7}}})
    with pytest.raises(ValueError, match="read-only"):
        c.weight[0] = -5.0
    assert np.array_equal(c.weight, c.population.weight)


# ------------------------------------------------------------- household()
def test_household_messages_are_short_whatever_the_input():
    """Every bad value was repeated in full and every member listed: a 1 MB string
    gave a message of 1 MB; 100,000 bad members one of 6.7 MB."""
    import commonprosperity as cp

    with pytest.raises(cp.PopulationError) as err:
        cp.household(2024, members=[{"age": 40, "wage": "x" * 10**6}])
    assert len(str(err.value)) < 300 and "1,000,000 characters" in str(err.value)
    with pytest.raises(cp.PopulationError, match="at most 100") as err:
        cp.household(2024, members=[{"age": "x"}] * 10**5)
    assert len(str(err.value)) < 300
    with pytest.raises(cp.PopulationError, match="and 20 more such problems") as err:
        cp.household(2024, members=[{"age": "x"}] * 30)
    assert len(str(err.value)) < 3_000


# ----------------------------------------------------------------- metrics
def _exact_gini(x, w):
    from fractions import Fraction as F  # noqa: N817

    total = sum(F(a) * F(b) for a, b in zip(x, w, strict=True))
    pairs = sum(
        F(w[i]) * F(w[j]) * abs(F(x[i]) - F(x[j]))
        for i in range(len(x))
        for j in range(i + 1, len(x))
    )
    return pairs / (sum(F(b) for b in w) * total)


def test_the_bracketed_gini_holds_when_incomes_nearly_cancel():
    """The histogram bracket widened by a fixed relative allowance: with negative
    incomes nearly cancelling the positive ones, the weighted income's rounding
    grows by its condition (Gini 245.37..., lower bound 2.2e-12 above it)."""
    from fractions import Fraction as F  # noqa: N817

    from commonprosperity import metrics

    x, w = [1134.95, -2233.69], [1.49, 0.754]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative incomes are flagged
        b = metrics.gini(x, w, method="bracket")
    assert F(b.lower) <= _exact_gini(x, w) <= F(b.upper)
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 40))
        x = np.round(rng.normal(0, 1000, n), 2)
        w = np.round(rng.uniform(0.1, 2, n), 3)
        x = x - np.round(np.dot(w, x) / w.sum(), 2) + 0.01 * rng.uniform(0.5, 5)
        if np.dot(w, x) <= 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # negative incomes are flagged
            b = metrics.gini(x, w, method="bracket")
        assert F(b.lower) <= _exact_gini(x, w) <= F(b.upper)


@pytest.mark.parametrize(
    "labels", [[1, "1", 2], (b"a", "a", "b"), np.array([1, "1", 2], dtype=object)]
)
def test_group_labels_of_different_types_are_not_merged(labels):
    """A list went through np.asarray, which made 1 and "1" one group "1"; an
    object array kept them apart but unsorted, against the docstring."""
    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError

    with pytest.raises(MeasureError, match="labels must be sortable, of one kind"):
        metrics.group_mean([10.0, 20.0, 30.0], None, labels)
    assert metrics.group_mean([10.0, 20.0, 30.0], None, [3, 1, 3]).to_dict() == {
        1: 20.0,
        3: 20.0,
    }


def test_fgt_beyond_float64_is_an_error_not_nan():
    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError

    with pytest.raises(MeasureError, match=r"alpha=1000 is beyond 1\.8e308"):
        metrics.fgt([-10.0, 5.0], None, 3.0, alpha=1000)
    assert metrics.fgt([-10.0, 5.0], None, 3.0, alpha=2) == pytest.approx(
        ((13 / 3) ** 2 + 0) / 2
    )


def test_an_endless_iterator_of_grid_values_is_refused(pop):
    """A list longer than the limit was refused at once; an iterator, which has no
    length, was read whole first: an endless one filled the memory."""
    import itertools

    from commonprosperity.errors import ScenarioError

    values = (1_000.0 + i % 1_000 for i in itertools.count())
    with pytest.raises(ScenarioError, match="has more than 100,000 values"):
        sweep(
            pop,
            Scenario.status_quo(2021),
            {"transfers.dibao_monthly": values},
            progress=False,
        )


def test_the_progress_bar_counts_the_scenarios_asked_for(pop, monkeypatch):
    """It counted the base too: 13/13 under a heading of 12 scenarios."""
    import tqdm.auto

    seen = []

    class Bar:
        def __init__(self, total=None, desc="", **kwargs):
            self.total, self.n = total, 0
            seen.append(self)

        def update(self, k=1):
            self.n += k

        def reset(self, total=None):
            self.total, self.n = total, 0

        def set_description(self, desc):
            pass

        def close(self):
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    grid = {"transfers.dibao_monthly": [900.0, 1_000.0, 1_100.0]}
    frame = sweep(pop, Scenario.status_quo(2021), grid, progress=True)
    (bar,) = seen
    assert bar.total == bar.n == len(frame) == 3


# ------------------------------------------------------------- public names
def test_the_documented_error_classes_are_public_and_dir_shows_no_private_module():
    """simulate's Raises names ArgumentTypeError, which cp did not export; dir(cp)
    listed _sweep_engine and the other private modules."""
    import commonprosperity as cp
    from commonprosperity import errors

    assert cp.ArgumentTypeError is errors.ArgumentTypeError
    assert "ArgumentTypeError" in cp.__all__ and "ArgumentTypeError" in errors.__all__
    names = dir(cp)
    assert not [n for n in names if n.startswith("_") and not n.startswith("__")]
    assert {"simulate", "plots", "report", "__version__"} <= set(names)


def test_growth_rates_in_a_mapping_may_be_decimals():
    from decimal import Decimal

    from commonprosperity.projection import growth_rates

    assert growth_rates(2025, {"urban": Decimal("0.05")}).equals(
        growth_rates(2025, {"urban": 0.05})
    )


# ---------------------------------------------------------------- units
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"transfers.dibao_monthly": 13_536.0}, "transfers.dibao_monthly = 13,536"),
        ({"transfers.residents_pension_monthly": 3_420.0}, "residents_pension"),
        ({"income_tax.basic_deduction": 5_000.0}, "basic_deduction has 5,000"),
        (
            {
                "income_tax.thresholds": [
                    0,
                    3_000,
                    12_000,
                    25_000,
                    35_000,
                    55_000,
                    80_000,
                ]
            },
            "thresholds has 3,000",
        ),
    ],
)
def test_an_amount_in_the_wrong_unit_is_warned_about(pop, changes, field):
    """dibao_monthly = 13,536 (1,128 × 12) ran without a word: a line of twice the
    per-capita income, a cost of a quarter of GDP."""
    import commonprosperity as cp

    slip = Scenario.status_quo(2025).replace(changes)
    with pytest.warns(UserWarning, match=f"simulate: .*{field}"):
        cp.simulate(pop, slip)
    path = next(iter(changes))
    values = [changes[path], Scenario.status_quo(2025).get(path)]
    with pytest.warns(UserWarning, match=f"sweep: .*{field}") as seen:
        sweep(pop, slip, {path: values}, progress=False)
    assert sum("sweep: " in str(w.message) for w in seen) == 1


def test_real_reforms_are_not_taken_for_unit_slips(pop):
    import commonprosperity as cp

    reform = Scenario.status_quo(2025).replace(
        {
            "transfers.dibao_monthly": 3_000.0,
            "transfers.child_allowance_monthly": 1_000.0,
            "income_tax.basic_deduction": 90_000.0,
            "social_insurance.base_ceiling_monthly": 40_000.0,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp.simulate(pop, reform)


def test_a_monthly_poverty_line_and_a_percent_threshold_are_warned_about(pop):
    import commonprosperity as cp

    before = cp.simulate(pop, Scenario.status_quo(2021))
    after = cp.simulate(
        pop, Scenario.status_quo(2021).replace({"transfers.dibao_monthly": 1_000.0})
    )
    with pytest.warns(UserWarning, match=r"\['sq dibao'\] are under a quarter"):
        before.poverty({"sq dibao": 835.0})
    with pytest.warns(UserWarning, match="threshold=1 counts changes above 100%"):
        before.winners_losers(after, threshold=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before.poverty({"sq dibao": 12 * 835.0})
        before.winners_losers(after, threshold=0.01)


# ------------------------------------------------- types and sealed state
def test_the_baselines_income_arrays_cannot_be_made_writable():
    """They were sealed views of the draws' writable income matrix: a view of a
    writable base can be made writable again (b.wage[0] = 1e9 then worked)."""
    import commonprosperity as cp

    b = cp.baseline(2021, n_households=1_000)
    for name in ("wage", "business", "property", "pension", "weight", "age"):
        with pytest.raises(ValueError, match="WRITEABLE"):
            getattr(b, name).flags.writeable = True


def test_calibration_margins_are_handed_out_as_a_copy(pop):
    import commonprosperity as cp

    cr = cp.calibrate(pop, {"households": {"urban": {True: 1.5e7, False: 0.8e7}}})
    table = cr.margins
    table.loc[0, "target"] = -1.0
    assert cr.margins.loc[0, "target"] == 1.5e7
    assert (
        cp.calibrate(
            pop,
            {"households": {"urban": {True: 1.5e7, False: 0.8e7}}},
            tol=np.float64(1e-9),
        ).converged
        is True
    )


def test_a_masked_grid_value_is_refused_by_name(pop):
    """np.ma.masked[()] is np.ma.masked: a RecursionError."""
    from commonprosperity.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"masked \(missing\) value at \[1\]"):
        sweep(
            pop,
            Scenario.status_quo(2021),
            {"transfers.dibao_monthly": [1_000.0, np.ma.masked]},
            progress=False,
        )


def test_a_year_given_as_a_0d_array_is_its_number():
    """Scenario(year=np.array(2021)) raised ScenarioError('scenario: ')."""
    assert Scenario(year=np.array(2021)) == Scenario.status_quo(2021)
    with pytest.raises(Exception, match="year: is masked"):
        Scenario(year=np.ma.masked)


def test_a_0d_boolean_array_is_no_number_in_the_measures():
    from commonprosperity import metrics
    from commonprosperity.errors import MeasureError

    with pytest.raises(MeasureError, match="epsilon must be a real number"):
        metrics.atkinson([1.0, 2.0, 3.0], None, epsilon=np.array(True))
    assert metrics.atkinson([1.0, 2.0, 3.0], None, epsilon=np.array(0.5)) == (
        metrics.atkinson([1.0, 2.0, 3.0], None, epsilon=0.5)
    )


# ------------------------------------------------------- displayed numbers
def test_sweep_cheapest_table_shows_values_apart_from_the_bound(tmp_path):
    """1.899999958 (meets "< 1.9") was shown as 1.9 in the table of scenarios
    meeting T4; the frontier labelled dibao 1,886.4306 (meets) as 1,886 (misses)."""
    import re

    from commonprosperity import cli

    sweep_file = tmp_path / "near.toml"
    sweep_file.write_text(
        "year = 2021\n[population]\nhouseholds = 5000\nseed = 0\n[grid]\n"
        '"transfers.dibao_monthly" = [1886.4306, 1886.5, 2000]\n'
        '"income_tax.basic_deduction" = [60_000, 60_001]\n'
        '[plots]\nheatmap = "urban_rural_ratio"\nfrontier = "T4"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert cli.main(["sweep", str(sweep_file), "--out", str(out), "--no-progress"]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    table = report.split("## Cheapest scenarios meeting T4")[1].split("\n## ")[0]
    lines = [ln for ln in table.splitlines() if ln.startswith("|")]
    column = [c.strip() for c in lines[0].strip("|").split("|")].index(
        "urban_rural_ratio"
    )
    shown = [ln.strip("|").split("|")[column].strip() for ln in lines[2:]]
    assert shown and all(float(re.sub(",", "", v)) < 1.9 for v in shown), shown


def test_tick_labels_keep_a_levers_decimals():
    from commonprosperity._plotstyle import _tick

    assert [_tick(v) for v in (1_128, 1_128.5, 1_886.4306, 60_000.0, 0.05)] == [
        "1,128",
        "1,128.5",
        "1,886.4306",
        "60,000",
        "0.05",
    ]


def test_income_distribution_gathers_the_top_in_its_last_bar(pop):
    """With upper not a multiple of bin_width the incomes above upper went to
    the bar before the last; the label rounded 2,500 yuan to "2k"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import commonprosperity as cp
    from commonprosperity import plots

    r = cp.simulate(pop, Scenario.status_quo(2021))
    income = r.households["disposable_income"].to_numpy()
    share = pop.weight / pop.weight.sum()
    # Not a multiple of the bin width; at least 600,000 since session 51 (the
    # bands' end), so the incomes are raised for some to lie above it.
    upper = 612_345.0
    households, persons = pop.to_frames()
    richer = cp.Population.from_frames(
        households, persons.assign(wage=4 * persons.wage)
    )
    r = cp.simulate(richer, Scenario.status_quo(2021))
    income = r.households["disposable_income"].to_numpy()
    assert share[income >= upper].sum() > 0.01
    fig = plots.income_distribution(r, bin_width=15_000, upper=upper)
    last = list(fig.axes[0].containers[0])[-1]  # the bars, in order
    assert last.get_x() * 1e3 < upper <= (last.get_x() + last.get_width()) * 1e3
    assert last.get_height() >= 100 * share[income >= upper].sum() - 1e-9
    assert fig.axes[0].get_xlim()[1] * 1e3 >= upper
    plt.close(fig)
    fig = plots.income_distribution(r, bin_width=2_500)
    assert "per 2.5k-yuan bin" in fig.axes[0].get_ylabel()
    plt.close(fig)


def test_numpy_durations_are_no_integers_anywhere(pop):
    """np.timedelta64 is a NumPy integer type: checks written as isinstance(x,
    int | np.integer) took 2021 days as the year 2021, then failed with a bare
    TypeError (baseline, synthetic_population, threads, bootstrap n, with_year,
    project, household) or, for quantile_shares, gave quintiles."""
    import commonprosperity as cp
    from commonprosperity import metrics

    r = cp.simulate(pop, Scenario.status_quo(2021))
    days = np.timedelta64(5, "D")
    calls = [
        lambda: metrics.quantile_shares([1.0, 2.0, 3.0], None, n=days),
        lambda: cp.baseline(np.timedelta64(2021, "D")),
        lambda: cp.synthetic_population(days),
        lambda: cp.simulate(pop, Scenario.status_quo(2021), threads=days),
        lambda: cp.bootstrap(r, "gini", n=np.timedelta64(20, "D")),
        lambda: pop.with_year(np.timedelta64(2021, "D")),
        lambda: cp.household(np.timedelta64(2021, "D"), members=[{"age": 40}]),
        lambda: cp.household(2021, members=[{"age": np.timedelta64(40, "D")}]),
        lambda: cp.project(pop.with_year(2021), np.timedelta64(2022, "D")),
    ]
    for call in calls:
        with pytest.raises(cp.CommonProsperityError, match="timedelta64"):
            call()


def test_format_value_takes_any_number_type():
    """A float32 NaN printed "nan yuan" (only float NaNs were caught), a Fraction
    raised in format(), 10**400 overflowed, a Decimal was refused."""
    from decimal import Decimal
    from fractions import Fraction

    from commonprosperity.plots import format_value

    assert format_value(np.float32("nan"), "yuan") == "n/a"
    assert format_value(Fraction(1, 3), "share") == "33.3 %"
    assert format_value(Decimal("75000"), "yuan") == "75,000 yuan"
    assert format_value(10**400, "yuan") == "inf yuan"


def test_evaluate_targets_reads_decimals_and_huge_integers_as_numbers(pop):
    """Its gdp took a Decimal, its indicator and trend values did not ("must be
    a number"); 10**400 raised a bare OverflowError."""
    from decimal import Decimal

    import commonprosperity as cp

    indicators = dict(cp.simulate(pop, Scenario.status_quo(2021)).indicators)
    as_decimal = dict(indicators)
    income = indicators["per_capita_disposable_income"]
    as_decimal["per_capita_disposable_income"] = Decimal(repr(float(income)))
    assert cp.evaluate_targets(as_decimal).equals(cp.evaluate_targets(indicators))
    cp.evaluate_targets(indicators, trends={"T9": Decimal("0.01")})
    huge = dict(indicators, per_capita_disposable_income=10**400)
    with pytest.raises(cp.ScenarioError, match="must be finite"):
        cp.evaluate_targets(huge)


@pytest.mark.parametrize(
    "year", [2021 + 0j, 2021.0, "2021", None, np.array(2021), np.timedelta64(2021, "D")]
)
def test_published_statistics_refuse_a_year_that_is_no_integer(year):
    """A complex year read the 2021 figure; "2021" read NaN or [] ("no data"); a
    float year was written into derived texts; a 0-d array raised "unhashable"."""
    from commonprosperity import statistics
    from commonprosperity.errors import ArgumentError

    for call in (
        statistics.population,
        lambda y: statistics.value_or_nan("resident_population", y),
        lambda y: statistics.figures(year=y),
        statistics.urbanisation_rate,
    ):
        with pytest.raises(ArgumentError, match="year must be an integer"):
            call(year)
    assert statistics.population(np.int64(2021)) == statistics.population(2021)
