"""Defects found in session 40 (its probes and its own review), each with its fix."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("gdp", "labour", "message"),
    [
        ("5e12", "6e12", "--labour-compensation must not exceed --gdp"),
        ("5e12", "6", "--labour-compensation 6 is 1.2e-12 of --gdp 5e+12"),
    ],
)
def test_run_names_the_options_of_an_implausible_labour_share(
    tmp_path, capsys, gdp, labour, message
):
    """The error named evaluate_targets' arguments (labour_compensation, gdp), after
    the whole run; the options are checked first, in their own names."""
    from commonprosperity.cli import main

    out = tmp_path / "o"
    code = main(
        ["run", "--gdp", gdp, "--labour-compensation", labour, "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "evaluate_targets" not in err
    assert not out.exists()
