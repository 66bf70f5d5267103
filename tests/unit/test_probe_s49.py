"""Defects found by the session-49 probes, each checked against its fix."""

import pytest

from commonprosperity import ArgumentError, Scenario, project, simulate, simulate_path
from commonprosperity.baseline import baseline
from commonprosperity.report import format_target_table
from commonprosperity.targets import evaluate_targets


def _line(text, target_id):
    return next(line for line in text.splitlines() if line.split()[:1] == [target_id])


def test_the_target_table_shows_a_small_trend_with_its_sign():
    """A narrowing gap of -1e-6 printed "+0.0000 < 0 (trend) yes" and a falling
    ratio of -3e-5 "+0.0000 > 0 (trend) NO 0.0000": figures contradicting the
    verdict beside them."""
    table = evaluate_targets(
        {"per_capita_disposable_income": 70_000.0},
        trends={"T9": -1e-6, "T10": -3e-5},
    )
    text = format_target_table(table)
    t9 = _line(text, "T9").split()
    assert "-0.000001" in t9 and "yes" in t9
    t10 = _line(text, "T10").split()
    # The value -3e-5 with the decimals it needs, and its gap to 0 the same.
    assert "-0.00003" in t10 and "NO" in t10 and t10[-1] == "0.00003"
    # A trend far from 0 keeps the usual four decimals.
    far = evaluate_targets(
        {"per_capita_disposable_income": 70_000.0}, trends={"T9": 0.0123}
    )
    assert "+0.0123" in _line(format_target_table(far), "T9").split()


@pytest.fixture(scope="module")
def pop_2023():
    return baseline(2023, n_households=2_000, seed=2)


def test_a_path_judges_the_bands_on_the_basis_asked(pop_2023):
    """simulate_path had no band_basis (its docstring named one): T2/T3 of every
    path were on household income, with no way to ask for the statistical
    bureau's three-person basis that simulate, sweep and solve offer."""
    scenarios = {y: Scenario.status_quo(y) for y in (2023, 2024)}
    path = simulate_path(pop_2023, scenarios, band_basis="three_person")
    by_hand = simulate(
        project(pop_2023, 2024), scenarios[2024], band_basis="three_person"
    ).indicators
    household = simulate_path(pop_2023, scenarios)
    for name in ("band_share_100k_500k", "band_share_200k_600k"):
        assert path.loc[2024, name] == by_hand[name]
    assert (
        path.loc[2024, "band_share_100k_500k"]
        != household.loc[2024, "band_share_100k_500k"]
    )
    with pytest.raises(ArgumentError, match=r"band_basis.*'three person'"):
        simulate_path(pop_2023, scenarios, band_basis="three person")


def test_a_missing_figure_names_the_years_the_file_has():
    """The message cut its list at 12 without saying so: 2025's population,
    which the file has, seemed missing."""
    from commonprosperity import CommonProsperityError, statistics

    years = sorted(
        f.year
        for f in statistics.figures("resident_population", area="all", city="浙江")
    )
    with pytest.raises(CommonProsperityError) as err:
        statistics.figure("resident_population", 2019)
    assert f"years {', '.join(map(str, years))}" in str(err.value)
    assert 2025 in years
    # Nothing of the same identity: a list that says when it is cut.
    with pytest.raises(
        CommonProsperityError, match=r"first 12 of \d+; statistics\.figures"
    ):
        statistics.figure("resident_population", 2021, city="杭州")


def test_the_default_projection_reaches_the_published_2025_floors():
    """Gross incomes grown at the disposable-income rates the 2026 work report
    implies left rural income at 44,973 (20,000 households, seed 0), under the
    report's "over 45,000" that the library ships."""
    from commonprosperity import statistics

    pop = baseline(2024, n_households=20_000, seed=0)
    ind = simulate(project(pop, 2025), Scenario.status_quo(2025)).indicators
    for area, name in (
        ("all", "per_capita_disposable_income"),
        ("urban", "urban_per_capita_disposable_income"),
        ("rural", "rural_per_capita_disposable_income"),
    ):
        floor = statistics.disposable_income(2025, area)
        assert floor.qualifier == "at least"
        assert ind[name] > floor.value, area
    # The report's ratio "≈ 1.81".
    assert ind["urban_rural_ratio"] == pytest.approx(1.81, abs=0.005)


# ------------------------------------------------------------- hostile files
def _person_file(path, ids, **columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(ids)
    table = {
        "household_id": ids,
        "weight": [100.0] * n,
        "urban": [True] * n,
        "age": [30 + i for i in range(n)],
        "employed": [True] * n,
        "wage": [50_000.0 + i for i in range(n)],
        "business": [0.0] * n,
        "property": [0.0] * n,
        "pension": [0.0] * n,
    }
    table.update(columns)
    pq.write_table(pa.table(table), path)
    return path


@pytest.mark.parametrize(
    ("dtype", "ids"),
    [
        ("float32", [2**24, 2**24 + 1]),  # stored as 2^24 twice (ties to even)
        ("float16", [2**11, 2**11 + 1]),
        ("float64", [2**53, 2**53 + 1]),
    ],
)
def test_ids_a_float_rounded_onto_its_limit_are_refused(tmp_path, dtype, ids):
    """Two households whose float ids were rounded onto the float's exactness
    limit were read as one household of two persons, with no word."""
    import numpy as np

    from commonprosperity import PopulationError
    from commonprosperity.survey import read_parquet

    stored = np.array(ids, dtype=dtype)
    assert stored[0] == stored[1]  # what the file holds: one id twice
    path = _person_file(tmp_path / "ids.parquet", stored)
    with pytest.raises(PopulationError, match="household_id") as err:
        read_parquet(path)
    assert "int64" in str(err.value)
    # One below the limit is exact and read.
    below = np.array([ids[0] - 1, ids[0] - 2], dtype=dtype)
    pop = read_parquet(_person_file(tmp_path / "ok.parquet", below))
    assert pop.n_households == 2


def test_a_stata_file_with_two_variables_of_one_name_is_named(tmp_path):
    """pandas failed with a bare TypeError: the names were read from a dict of
    the variables' labels, where the two were one key."""
    import pandas as pd

    from commonprosperity import PopulationError
    from commonprosperity.survey import read_stata

    households = pd.DataFrame(
        {
            "household_id": [1, 2],
            "weight": [10.0, 5.0],
            "urban": [1, 0],
            "wxight": [9.0, 8.0],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 1, 2],
            "age": [40, 8, 70],
            "employed": [1, 0, 0],
            "wage": [9e4, 0.0, 0.0],
            "business": [0.0, 0.0, -500.0],
            "property": [0.0] * 3,
            "pension": [0.0] * 3,
        }
    )
    h_path, p_path = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h_path, write_index=False, version=118)
    persons.to_stata(p_path, write_index=False, version=118)
    h_path.write_bytes(h_path.read_bytes().replace(b"wxight", b"weight"))
    with pytest.raises(PopulationError, match="more than one column named 'weight'"):
        read_stata(h_path, p_path)


def test_parquet_metadata_with_a_huge_integer_is_refused_by_name(tmp_path):
    """json raised Python's 4,300-digit ValueError with no file named; the
    command line printed a traceback and exited 1."""
    import pyarrow.parquet as pq

    from commonprosperity import PopulationError, synthetic_population
    from commonprosperity.survey import parquet_year, read_parquet

    path = tmp_path / "big.parquet"
    synthetic_population(20, seed=1).write_parquet(path)
    table = pq.read_table(path).replace_schema_metadata(
        {b"commonprosperity": b'{"format_version": 1, "year": ' + b"9" * 5000 + b"}"}
    )
    pq.write_table(table, path)
    with pytest.raises(PopulationError, match=f"{path}: metadata key"):
        read_parquet(path)
    assert parquet_year(path) is None


# ---------------------------------------------------------------- precision
def _exact_gini(x, w):
    """ΣΣ w_i w_j |x_i − x_j| / (2 W Σ w x), in exact rationals."""
    from fractions import Fraction

    rows = [(Fraction(xi), Fraction(wi)) for xi, wi in zip(x, w, strict=True)]
    total = sum(wi for _, wi in rows)
    gaps = sum(wi * wj * abs(xi - xj) for xi, wi in rows for xj, wj in rows)
    return gaps / (2 * total * sum(wi * xi for xi, wi in rows))


def test_the_bracket_of_a_subnormal_gini_holds_the_exact_value():
    """Weights 1e-300 and 1e12 give a Gini of 6.7e-313: its relative allowance
    rounded to 0 and the bracket of width 0 missed the exact value by an ulp."""
    from fractions import Fraction

    import numpy as np

    from commonprosperity import metrics

    x, w = np.array([1.0, 3.0]), np.array([1e-300, 1e12])
    exact = _exact_gini(x, w)
    b = metrics.gini(x, w, method="bracket")
    assert Fraction(b.lower) <= exact <= Fraction(b.upper)
    assert b.lower < b.estimate < b.upper
    # Equal incomes keep their exact bracket of width 0.
    same = metrics.gini(
        np.array([2.0, 2.0]), np.array([1e-300, 1e12]), method="bracket"
    )
    assert same.lower == same.estimate == same.upper == 0.0


@pytest.mark.parametrize("rows", [2, 70_000])
def test_the_exact_gini_of_an_array_with_tiny_weights_is_exact(rows):
    """Weights 1e-52 and 1e-279 made products of two weights subnormal on the
    ndarray fast path: a Gini 1.2 % off, where the same data as a list was
    right to an ulp."""
    from fractions import Fraction

    import numpy as np

    from commonprosperity import metrics

    # Two distinct incomes; the larger sample repeats them (the per-bin path).
    x = np.array([1e-6, 1e8] * (rows // 2))
    w = np.array([1e-52, 1e-279] * (rows // 2))
    exact = _exact_gini([1e-6, 1e8], [1e-52, 1e-279])
    # Repeating every row k times leaves the Gini as it is.
    assert _exact_gini([1e-6, 1e8] * 2, [1e-52, 1e-279] * 2) == exact
    g = metrics.gini(x, w)
    assert abs(Fraction(g) - exact) <= 1e-14 * exact
    assert g == metrics.gini(x.tolist(), w.tolist())


# ---------------------------------------------------------------- calibrate
def test_the_newton_step_solved_block_by_block_is_the_dense_one():
    """The Jacobian X'DX is block diagonal over connected margin cells; each
    block solved apart (a 3,000-cell margin took a minute an iteration as one
    dense least-squares solve) gives the dense minimum-norm solution."""
    import numpy as np
    import scipy.sparse as sp

    from commonprosperity._calibrate_solve import _least_squares

    rng = np.random.default_rng(7)
    blocks = [np.array([[0.8]]), np.array([[1.3]]), np.array([[2.0]])]
    for size in (3, 4, 2):
        a = rng.normal(size=(size, size - 1))
        blocks.append(a @ a.T)  # PSD and singular (rank size - 1): collinear cells
    blocks.append(np.zeros((1, 1)))  # a cell no household is in
    jac = sp.block_diag(blocks, format="csr")
    perm = rng.permutation(jac.shape[0])  # cells of a block need not be adjacent
    jac = sp.csr_matrix(jac[perm][:, perm])
    resid = rng.normal(size=jac.shape[0])
    dense = np.linalg.lstsq(jac.toarray(), resid, rcond=None)[0]
    np.testing.assert_allclose(
        _least_squares(jac, resid, 1_000), dense, rtol=0, atol=1e-9
    )


def test_raking_to_a_margin_of_thousands_of_cells_is_the_closed_form():
    """Raking to one categorical margin (survey PSUs) is w = d · t_c / Σ_c d."""
    import numpy as np

    from commonprosperity import calibrate, synthetic_population

    pop = synthetic_population(20_000, seed=1).with_year(2021)
    k = 2_000
    cell = (pop.household_id * 7919) % k
    held = np.bincount(cell, weights=pop.weight, minlength=k)
    target = held * np.random.default_rng(0).uniform(0.95, 1.05, k)
    result = calibrate(
        pop,
        {"households": {"cell": dict(enumerate(map(float, target)))}},
        variables={"cell": cell},
    )
    closed = pop.weight * (target / held)[cell]
    np.testing.assert_allclose(result.weight, closed, rtol=1e-9)


# ---------------------------------------------------------------- threads, Ctrl-C
def test_project_leaves_the_process_warning_state_alone():
    """project and simulate_path recorded warnings with catch_warnings, which
    swaps the process's state: two threads' calls interleaved and left every
    later warning in a list no one read."""
    import concurrent.futures
    import threading
    import warnings

    from commonprosperity._warn import each_once, warn_user

    seen = []
    barrier = threading.Barrier(2)

    def inside(i):
        with each_once():
            barrier.wait(timeout=30)
            seen.append((warnings.filters, warnings.showwarning))
            warn_user(f"held back {i}")
            warn_user(f"held back {i}")
            barrier.wait(timeout=30)

    before = (warnings.filters, warnings.showwarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = (warnings.filters, warnings.showwarning)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(inside, range(2)))
        assert all(s[0] is state[0] and s[1] is state[1] for s in seen)
    assert (warnings.filters, warnings.showwarning) == before
    # Each thread's warning once, issued when its block ended.
    assert sorted(str(w.message) for w in caught) == ["held back 0", "held back 1"]


def test_a_ctrl_c_numba_wrapped_reaches_the_caller_as_itself(monkeypatch):
    """A Ctrl-C inside a Numba call came back as SystemError (an Exception a
    service loop swallows) from simulate, bootstrap and solve."""
    import importlib

    from commonprosperity import synthetic_population
    from commonprosperity._interrupt import interruptible

    def wrapped(stop):
        def raise_it(*args, **kwargs):
            try:
                raise stop
            except BaseException as exc:
                raise SystemError("CPUDispatcher returned a result") from exc

        return raise_it

    # The module (the package's ``simulate`` is the function).
    simulate_module = importlib.import_module("commonprosperity.simulate")
    monkeypatch.setattr(
        simulate_module, "warn_unit_slips", wrapped(KeyboardInterrupt())
    )
    pop = synthetic_population(50, seed=1)
    with pytest.raises(KeyboardInterrupt):
        simulate(pop, Scenario.status_quo(2021))
    with pytest.raises(SystemExit) as stop:
        interruptible(wrapped(SystemExit(3)))()
    assert stop.value.code == 3
    with pytest.raises(SystemError):  # a real failure stays one
        interruptible(wrapped(ValueError("bad")))()


def test_households_of_no_known_city_are_not_labelled_as_the_province():
    """by_group and decompose labelled them 浙江, which read as the province's
    total (2,500) beside a row of 4,000; winners_losers already said "city
    unknown (Zhejiang)"."""
    import numpy as np
    import pandas as pd

    from commonprosperity import Population

    households = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "weight": [1.0] * 4,
            "urban": [True, False, True, False],
            "city": ["杭州", "宁波", "杭州", "浙江"],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4],
            "age": [40] * 4,
            "employed": [False] * 4,
            "wage": [0.0] * 4,
            "business": [0.0] * 4,
            "property": [1000.0, 2000.0, 3000.0, 4000.0],
            "pension": [0.0] * 4,
        }
    )
    pop = Population.from_frames(households, persons)
    result = simulate(pop, Scenario.status_quo(2021))
    groups = result.by_group("city")
    label = "city unknown (Zhejiang)"
    assert "浙江" not in groups.index and label in groups.index
    # Its row holds the one household of no known city, not the province.
    own = result.households["disposable_income"].to_numpy()[3]
    assert groups.loc[label, "per_capita_disposable_income"] == own
    assert label in result.decompose("theil", "city").groups.index
    assert np.isclose(groups["residents"].sum(), 4.0)


def test_the_comparison_with_published_figures_says_which_differences_are_absolute():
    """The Gini's difference (0.049) was absolute, read by the docstring's rule
    as relative (+4.9 % where the gap is about +16 %)."""
    from commonprosperity import baseline, compare_to_published

    table = compare_to_published(baseline(2024, n_households=3_000, seed=0))
    absolute = table["difference_kind"] == "absolute"
    assert set(table["difference_kind"]) == {"absolute", "relative"}
    by_hand = table["simulated"] - table["published"]
    relative = table["simulated"] / table["published"] - 1.0
    assert (table.loc[absolute, "difference"] == by_hand[absolute]).all()
    assert (table.loc[~absolute, "difference"] == relative[~absolute]).all()
    gini = table[table["figure"].str.startswith("Gini")]
    assert (gini["difference_kind"] == "absolute").all()


# ---------------------------------------------------------------- command line
def test_a_named_pipe_as_population_is_refused_not_waited_on(tmp_path):
    """With no --year, the policy year was read from the file first: pyarrow
    opened the pipe and waited for a writer, deaf to Ctrl-C."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "fifo.parquet"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "commonprosperity", "run", "--population", str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "not a regular file" in done.stderr


def test_an_interrupt_inside_an_import_exits_as_interrupted(monkeypatch, capsys):
    """A Ctrl-C during matplotlib's import came back as ImportError
    ("initialization failed"): exit 1, which reads as "target unreachable"."""
    from commonprosperity import cli

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc

    monkeypatch.setattr(cli, "_with_default_command", interrupted)
    assert cli.main(["run", "--households", "200"]) == 130
    assert capsys.readouterr().err.strip() == "commonprosperity: interrupted"

    def failed(*args, **kwargs):
        raise ImportError("a real failure")

    monkeypatch.setattr(cli, "_with_default_command", failed)
    # A real failure is no interrupt: its traceback, and since session 60 the
    # exit code of an unexpected error (70), not 1 ("target unreachable").
    assert cli.main(["run", "--households", "200"]) == cli.EXIT_SOFTWARE
    err = capsys.readouterr().err
    assert "Traceback" in err and "ImportError: a real failure" in err


# ---------------------------------------------------------------- bad arguments
@pytest.fixture(scope="module")
def small_sweep():
    from commonprosperity import sweep, synthetic_population

    pop = synthetic_population(300, seed=1)
    grid = {
        "transfers.dibao_monthly": [800.0, 900.0],
        "income_tax.basic_deduction": [60_000.0, 72_000.0],
    }
    result = simulate(pop, Scenario.status_quo(2021))
    return result, sweep(pop, Scenario.status_quo(2021), grid, progress=False)


def test_bad_arguments_get_the_librarys_errors(small_sweep):
    """Each raised a bare error of numpy, pandas or Python's int conversion."""
    import numpy as np

    from commonprosperity import (
        ArgumentTypeError,
        CommonProsperityError,
        cheapest,
        solve,
        synthetic_population,
    )
    from commonprosperity import plots as P

    result, frame = small_sweep
    with pytest.raises(CommonProsperityError, match="nonpositive must be"):
        result.decompose("theil", "city", np.array(["exclude", "raise"]))
    with pytest.raises(ArgumentTypeError, match="indicator must be a str"):
        P.fiscal_frontier(frame, ["gini"])
    with pytest.raises(ArgumentTypeError, match="cost must be a str"):
        P.fiscal_frontier(frame, "gini", cost=["net_fiscal_cost"])
    with pytest.raises(ArgumentTypeError, match="x must be a str"):
        P.sweep_heatmap(
            frame, ["transfers.dibao_monthly"], "income_tax.basic_deduction", "gini"
        )
    with pytest.raises(ArgumentTypeError, match="indicator must be a str"):
        P.sweep_heatmap(
            frame,
            "transfers.dibao_monthly",
            "income_tax.basic_deduction",
            frame["gini"],
        )
    with pytest.raises(CommonProsperityError, match="as strings; got ndarray"):
        cheapest(frame, np.array([["T2", "T4"]]))
    huge = 10**5000
    with pytest.raises(CommonProsperityError, match="about 5,001 digits"):
        synthetic_population(huge)
    with pytest.raises(CommonProsperityError, match="an integer too long to show"):
        solve(
            result.population,
            Scenario.status_quo(2021),
            "transfers.dibao_monthly",
            "gini <= 0.4",
            (500, huge),
        )
    with pytest.raises(CommonProsperityError, match="about 5,001 digits"):
        Scenario.status_quo(2021).get(huge)
    with pytest.raises(CommonProsperityError, match="source must be a str"):
        Scenario.from_dict(Scenario.status_quo(2021).to_dict(), source=["a"])


def test_bootstrap_quotes_a_long_indicator_shortened(small_sweep):
    from commonprosperity import CommonProsperityError, bootstrap

    result, _ = small_sweep
    with pytest.raises(CommonProsperityError) as err:
        bootstrap(result, "x" * 5000, n=10)
    assert len(str(err.value)) < 2_000 and "5,000 characters" in str(err.value)


def test_pareto_front_refuses_text_and_infinities():
    """Text was read as numbers, an infinite value dropped as undefined (the
    points it dominates kept), and 10**400 an uncaught OverflowError."""
    import numpy as np

    from commonprosperity import CommonProsperityError
    from commonprosperity.plots import pareto_front

    with pytest.raises(CommonProsperityError, match="must be numbers; got dtypes"):
        pareto_front(np.array(["1", "3", "2"]), np.array(["1", "1.5", "2"]))
    with pytest.raises(CommonProsperityError, match="infinite at \\[1\\]"):
        pareto_front(np.array([1.0, np.inf, 2.0]), np.array([1.0, 1.5, 2.0]))
    with pytest.raises(CommonProsperityError, match="must be numbers"):
        pareto_front([1.0, 10**400], [1.0, 2.0])
    # NaN stays an undefined scenario, left out.
    front = pareto_front(np.array([1.0, np.nan, 2.0]), np.array([1.0, 1.5, 2.0]))
    assert front.tolist() == [0, 2]


def test_atkinson_at_an_aversion_near_the_float_maximum():
    """epsilon = 1e308 gave NaN; the index tends to 1 - min/mean."""
    import numpy as np

    from commonprosperity import metrics

    x = np.random.default_rng(0).lognormal(10, 0.7, 200)
    limit = 1.0 - x.min() / x.mean()
    for eps in (1e200, 1e300, 1e308):
        assert metrics.atkinson(x, None, eps) == pytest.approx(limit, rel=1e-12)
        assert metrics.atkinson([1.0, 1.0], None, eps) == 0.0
    assert metrics.atkinson([1.0, 4.0], None, 1e308) == pytest.approx(0.6)


# ---------------------------------------------------------------- review of the fixes
def test_a_held_back_warning_does_not_replace_the_exception(monkeypatch):
    """Under an "error" filter, each_once's warning raised at the block's end
    replaced the exception on its way out: a Ctrl-C became a UserWarning."""
    import warnings

    from commonprosperity._warn import each_once, warn_user

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(KeyboardInterrupt), each_once():
            warn_user("said inside")
            raise KeyboardInterrupt
        # Without an exception the warning is raised, as the filter says.
        with pytest.raises(UserWarning, match="said inside"), each_once():
            warn_user("said inside")


def test_a_real_system_error_inside_a_ctrl_c_handler_stays_one(monkeypatch):
    """The caller's own handled Ctrl-C is in the context of every exception in
    its handler: a real SystemError there was turned into KeyboardInterrupt."""
    from commonprosperity._interrupt import interruptible

    def broken():
        raise SystemError("a real bug")

    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        with pytest.raises(SystemError, match="a real bug"):
            interruptible(broken)()


def test_an_object_column_float_at_two_to_the_53_is_refused():
    import pandas as pd

    from commonprosperity import Population, PopulationError

    households = pd.DataFrame(
        {
            "household_id": pd.Series([1, 2.0**53], dtype=object),
            "weight": [1.0, 1.0],
            "urban": [True, True],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": pd.Series([1, 2.0**53], dtype=object),
            "age": [40, 40],
            "employed": [True, True],
            "wage": [1.0, 2.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 0.0],
        }
    )
    with pytest.raises(PopulationError, match="may be a rounded 2\\^53 \\+ 1"):
        Population.from_frames(households, persons)
    # The integer 2^53 itself is exact and read.
    households["household_id"] = pd.Series([1, 2**53], dtype=object)
    persons["household_id"] = pd.Series([1, 2**53], dtype=object)
    assert Population.from_frames(households, persons).household_id[1] == 2**53


@pytest.mark.parametrize("eps", [3.2e10, 1e17, 1e100, 1e149])
def test_atkinson_of_equal_incomes_is_zero_at_any_aversion(eps):
    """The series' coefficients overflow from epsilon ~3e10: inf · 0 = NaN."""
    from commonprosperity import metrics

    assert metrics.atkinson([5.0, 5.0], None, eps) == 0.0
