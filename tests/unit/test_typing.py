"""The public API as a type checker sees it (PEP 561: the package ships py.typed).

Without the marker mypy read nothing of the package; the decorators of simulate,
solve, bootstrap ... erased their signatures to ``(...) -> Any``; and the field
``property`` (property income) made Population's properties look like arrays.
"""

import os
import textwrap
from importlib import resources

import pytest

USER_SCRIPT = """
import pandas as pd
import commonprosperity as cp
from commonprosperity import metrics

pop = cp.synthetic_population(10, seed=1)
reveal_type(pop)
n: int = pop.n_households
residents: float = pop.residents
r = cp.simulate(pop, cp.Scenario.status_quo(2021))
reveal_type(r)
cp.evaluate_targets(r.indicators)
pop.with_weights(pd.Series(pop.weight))
pop.with_weights([1.0] * 10)


def gini_of(x: list[float], method: str = "exact") -> object:
    return metrics.gini(x, method=method)


cp.simulate(pop, "not a scenario")
"""


def test_the_package_is_marked_typed():
    assert resources.files("commonprosperity").joinpath("py.typed").is_file()


def mypy_of(source: str, tmp_path) -> tuple[list[str], str]:
    """What mypy says of a user script ``source``: its lines, and all it printed.

    The scripts' runs share one cache in the test run's temporary folder (all
    pytest-xdist workers' folders are in it): numpy's, pandas' and the library's
    types are read once a run, not once a script (15 s each on a slow machine).
    """
    api = pytest.importorskip("mypy.api")
    script = tmp_path / "user.py"
    script.write_text(textwrap.dedent(source))
    # tmp_path: <run's folder>/[<xdist worker's folder>/]<test's folder>.
    run = (
        tmp_path.parent.parent
        if "PYTEST_XDIST_WORKER" in os.environ
        else tmp_path.parent
    )
    cache = run / "mypy-cache-of-user-scripts"
    out, err, _ = api.run(
        [
            "--follow-imports=silent",
            "--ignore-missing-imports",
            "--cache-dir",
            str(cache),
            "--no-error-summary",
            "--hide-error-context",
            str(script),
        ]
    )
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if ": " in line]
    return lines, out + err


def test_a_type_checker_reads_the_public_signatures(tmp_path):
    lines, said = mypy_of(USER_SCRIPT, tmp_path)
    assert lines == [
        'note: Revealed type is "commonprosperity.population.Population"',
        'note: Revealed type is "commonprosperity.simulate.Result"',
        'error: Argument 2 to "simulate" has incompatible type "str"; expected '
        '"Scenario"  [arg-type]',
    ], said


def test_the_library_passes_strict_mypy(tmp_path, pyproject):
    """STYLE.md: mypy strict on src/ (the kernels relaxed), as pyproject.toml says."""
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(
        [
            "--config-file",
            str(pyproject),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(pyproject.parent / "src" / "commonprosperity"),
        ]
    )
    assert status == 0 and not out.strip(), out + err
